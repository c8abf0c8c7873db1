"""HubSpot settings: a private-app access token."""

from __future__ import annotations

from pydantic import SecretStr

from kaname.ingest.connectors.base import SourceConfig

API_URL = "https://api.hubapi.com"


class HubSpotConfig(SourceConfig):
    access_token: SecretStr
    """Private-app access token (Settings → Integrations → Private apps) with the
    crm.objects.*.read, crm.objects.owners.read and content (marketing email) scopes."""
    page_size: int = 100
    """Records per request (HubSpot allows up to 100 on list endpoints, 200 on search)."""
