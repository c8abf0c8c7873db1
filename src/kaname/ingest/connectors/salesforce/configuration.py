"""Salesforce settings: a connected app's OAuth credentials and the org's instance URL."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from kaname.ingest.connectors.base import SourceConfig

LOGIN_URL = "https://login.salesforce.com"


class SalesforceConfig(SourceConfig):
    instance_url: str
    """The org's URL, e.g. https://yourcompany.my.salesforce.com (the API root)."""
    client_id: str
    """Consumer key of the connected app (Setup → App Manager)."""
    client_secret: SecretStr
    """Consumer secret of the connected app."""
    refresh_token: SecretStr
    """Refresh token of a user who authorised the app (scopes: api, refresh_token)."""
    login_url: str = LOGIN_URL
    """Token endpoint host: https://login.salesforce.com, or test.salesforce.com for sandboxes."""
    api_version: str = "v60.0"
    """REST API version."""

    @model_validator(mode="after")
    def _api_root(self) -> SalesforceConfig:
        if not self.base_url:
            self.base_url = self.instance_url.rstrip("/")
        return self
