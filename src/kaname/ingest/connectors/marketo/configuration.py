"""Marketo settings: a LaunchPoint API-only user's client id and secret, and the REST endpoint."""

from __future__ import annotations

import datetime as dt

from pydantic import SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from kaname.ingest.connectors.base import SourceConfig
from kaname.ingest.messages import message


class MarketoConfig(SourceConfig):
    munchkin_url: str
    """REST endpoint without /rest, e.g. https://123-ABC-456.mktorest.com (Admin → Web Services)."""
    client_id: str
    """Client id of the LaunchPoint service (Admin → LaunchPoint → View Details)."""
    client_secret: SecretStr
    """Client secret of the LaunchPoint service."""
    start_date: str = "2024-01-01"
    """First sync: activities since this date (YYYY-MM-DD), and lead changes when bulk_export
    is off."""
    lead_fields: str = (
        "id,email,firstName,lastName,company,leadSource,leadStatus,createdAt,updatedAt,"
        "leadScore,mktoIsPartition,sfdcAccountId,originalSourceType"
    )
    """Lead fields to fetch (comma-separated REST API names)."""
    batch_size: int = 300
    """Records per request (Marketo allows up to 300)."""
    bulk_export: bool = True
    """First and full syncs load every lead with the Bulk Extract API (createdAt windows of 31
    days), then follow lead changes from then on; off = only leads created or changed since
    start_date."""
    bulk_start_date: str = ""
    """Bulk export: leads created since this date (YYYY-MM-DD); empty = since the oldest lead."""
    bulk_poll_seconds: float = 30.0
    """Bulk export: seconds between status checks of an export job."""
    bulk_timeout_minutes: int = 240
    """Bulk export: longest wait in minutes for one export job (queued, then processing)."""

    @field_validator("bulk_start_date")
    @classmethod
    def _date_or_empty(cls, value: str) -> str:
        try:
            if value:
                dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("c_not_date", message("c_not_date")) from None
        return value

    @model_validator(mode="after")
    def _api_root(self) -> MarketoConfig:
        if not self.base_url:
            self.base_url = self.munchkin_url.rstrip("/").removesuffix("/rest")
        return self
