"""Marketo settings: a LaunchPoint API-only user's client id and secret, and the REST endpoint."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from kaname.ingest.connectors.base import SourceConfig


class MarketoConfig(SourceConfig):
    munchkin_url: str
    """REST endpoint without /rest, e.g. https://123-ABC-456.mktorest.com (Admin → Web Services)."""
    client_id: str
    """Client id of the LaunchPoint service (Admin → LaunchPoint → View Details)."""
    client_secret: SecretStr
    """Client secret of the LaunchPoint service."""
    start_date: str = "2024-01-01"
    """First sync: activities and lead changes since this date (YYYY-MM-DD)."""
    lead_fields: str = (
        "id,email,firstName,lastName,company,leadSource,leadStatus,createdAt,updatedAt,"
        "leadScore,mktoIsPartition,sfdcAccountId,originalSourceType"
    )
    """Lead fields to fetch (comma-separated REST API names)."""
    batch_size: int = 300
    """Records per request (Marketo allows up to 300)."""

    @model_validator(mode="after")
    def _api_root(self) -> MarketoConfig:
        if not self.base_url:
            self.base_url = self.munchkin_url.rstrip("/").removesuffix("/rest")
        return self
