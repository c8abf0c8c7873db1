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
    contact_properties: str = ""
    """More contact properties to fetch, by internal name, comma-separated (e.g. jobtitle,
    industry_segment), so a mapping can use them."""
    company_properties: str = ""
    """More company properties to fetch, by internal name, comma-separated."""
    deal_properties: str = ""
    """More deal properties to fetch, by internal name, comma-separated."""

    def extra_properties(self, kind: str) -> list[str]:
        """The extra properties configured for contacts, companies or deals."""
        text = {
            "contacts": self.contact_properties,
            "companies": self.company_properties,
            "deals": self.deal_properties,
        }.get(kind, "")
        return [p.strip() for p in text.split(",") if p.strip()]
