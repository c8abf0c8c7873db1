"""Meta Ads settings: an ad account and a system-user access token, or a folder of CSV exports."""

from __future__ import annotations

from pydantic import SecretStr, model_validator
from pydantic_core import PydanticCustomError

from kaname.ingest.connectors.base import SourceConfig
from kaname.ingest.messages import message

API_URL = "https://graph.facebook.com"


class MetaAdsConfig(SourceConfig):
    ad_account_id: str = ""
    """Ad account id (digits; a leading act_ is removed). Not needed with export_path."""
    access_token: SecretStr | None = None
    """System-user access token with ads_read (Business settings → System users)."""
    api_version: str = "v21.0"
    """Graph API version."""
    export_path: str = ""
    """Without API access: an Ads Manager export (Reporting starts, Campaign name, Amount spent
    (JPY), Impressions, Link clicks; broken down by day) or a folder of them."""
    start_date: str = "2024-01-01"
    """First sync: cost from this day (YYYY-MM-DD)."""
    lookback_days: int = 7
    """Each sync pulls again the last N days (Meta adjusts recent figures, e.g. invalid clicks)."""
    window_days: int = 31
    """Days per insights request (a committed, resumable step)."""
    page_size: int = 500
    """Rows per insights page (limit; paging.cursors.after pages on)."""

    @model_validator(mode="after")
    def _access(self) -> MetaAdsConfig:
        self.ad_account_id = self.ad_account_id.removeprefix("act_").strip()
        if not self.export_path and not (self.ad_account_id and self.access_token):
            raise PydanticCustomError("c_meta_ads_account", message("c_meta_ads_account"))
        return self
