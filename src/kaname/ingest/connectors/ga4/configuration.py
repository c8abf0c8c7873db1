"""GA4 settings: the property id and Google credentials (a service-account key, an OAuth refresh
token, or a ready access token)."""

from __future__ import annotations

from pydantic import SecretStr, model_validator
from pydantic_core import PydanticCustomError

from kaname.ingest.connectors.auth import GOOGLE_TOKEN_URL
from kaname.ingest.connectors.base import SourceConfig
from kaname.ingest.connectors.google_service_account import ServiceAccountJson
from kaname.ingest.messages import message

API_URL = "https://analyticsdata.googleapis.com"


class GA4Config(SourceConfig):
    property_id: str
    """GA4 property id (Admin → Property details), digits only."""
    service_account_json: ServiceAccountJson = None
    """A service-account key (Google Cloud console → IAM & Admin → Service accounts → Keys →
    Add key → JSON): the file's path (`@key.json` or a plain path) or its contents. Add the
    account's e-mail to the property (Admin → Property access management, Viewer)."""
    client_id: str = ""
    """OAuth client id (Google Cloud console → Credentials) of an app with the
    analytics.readonly scope."""
    client_secret: SecretStr | None = None
    """OAuth client secret."""
    refresh_token: SecretStr | None = None
    """Refresh token of a user with read access to the property."""
    access_token: SecretStr | None = None
    """Instead of the above: a ready access token (e.g. `gcloud auth print-access-token`); it
    is not refreshed when it expires."""
    token_url: str = GOOGLE_TOKEN_URL
    """OAuth token endpoint of the refresh token (a service-account key names its own)."""
    start_date: str = "2024-01-01"
    """First sync: report from this day (YYYY-MM-DD)."""
    lookback_days: int = 3
    """Each sync pulls again the last N days before the last synced day (GA4 data settles for
    about 72 hours)."""
    window_days: int = 31
    """Days per report request (a committed, resumable step)."""
    page_size: int = 10000
    """Rows per runReport request (limit; offset pages through rowCount)."""

    @model_validator(mode="after")
    def _credentials(self) -> GA4Config:
        if not (
            self.service_account_json
            or self.access_token
            or (self.refresh_token and self.client_secret)
        ):
            raise PydanticCustomError("c_google_credentials", message("c_google_credentials"))
        self.property_id = self.property_id.removeprefix("properties/").strip()
        return self
