"""Google Ads settings: API credentials (developer token; a service-account key or OAuth), or a
folder of CSV exports."""

from __future__ import annotations

from pydantic import SecretStr, model_validator
from pydantic_core import PydanticCustomError

from kaname.ingest.connectors.auth import GOOGLE_TOKEN_URL
from kaname.ingest.connectors.base import SourceConfig
from kaname.ingest.connectors.google_service_account import ServiceAccountJson
from kaname.ingest.messages import message

API_URL = "https://googleads.googleapis.com"


class GoogleAdsConfig(SourceConfig):
    customer_id: str = ""
    """Ads account id (123-456-7890; dashes are removed). Not needed with export_path."""
    developer_token: SecretStr | None = None
    """Developer token (API Center of the manager account)."""
    login_customer_id: str = ""
    """Manager account id when access goes through a manager (MCC) account."""
    service_account_json: ServiceAccountJson = None
    """A service-account key (Google Cloud console → IAM & Admin → Service accounts → Keys →
    Add key → JSON): the file's path (`@key.json` or a plain path) or its contents. Add the
    account's e-mail as a user of the Ads account (Admin → Access and security)."""
    delegated_user: str = ""
    """With a service account under domain-wide delegation: the Google Workspace user it acts
    as (who has access to the Ads account). Empty when the account itself is an Ads user."""
    client_id: str = ""
    """OAuth client id with the adwords scope."""
    client_secret: SecretStr | None = None
    """OAuth client secret."""
    refresh_token: SecretStr | None = None
    """Refresh token of a user with access to the account."""
    access_token: SecretStr | None = None
    """Instead of a key or client id/secret/refresh token: a ready access token (not
    refreshed)."""
    token_url: str = GOOGLE_TOKEN_URL
    """OAuth token endpoint of the refresh token (a service-account key names its own)."""
    api_version: str = "v18"
    """Google Ads API version."""
    export_path: str = ""
    """Without API access: a "Campaign report" CSV export (Day, Campaign, Cost, Impressions,
    Clicks), or a folder of them; every sync reads them again (re-reading changes nothing)."""
    start_date: str = "2024-01-01"
    """First sync: cost from this day (YYYY-MM-DD)."""
    lookback_days: int = 7
    """Each sync pulls again the last N days (cost of recent days is still adjusted)."""
    window_days: int = 31
    """Days per searchStream request (a committed, resumable step)."""

    @model_validator(mode="after")
    def _access(self) -> GoogleAdsConfig:
        self.customer_id = self.customer_id.replace("-", "").strip()
        self.login_customer_id = self.login_customer_id.replace("-", "").strip()
        if self.export_path:
            return self
        if not self.customer_id or not self.developer_token:
            raise PydanticCustomError("c_google_ads_account", message("c_google_ads_account"))
        if not (
            self.service_account_json
            or self.access_token
            or (self.refresh_token and self.client_secret)
        ):
            raise PydanticCustomError("c_google_credentials", message("c_google_credentials"))
        return self
