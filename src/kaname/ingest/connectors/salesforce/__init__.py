"""Salesforce: Lead, Contact, Account, Opportunity with OpportunityHistory, Campaign,
CampaignMember, Task (calls) and Event (meetings) via SOQL, with a connected app's OAuth refresh
token."""

from __future__ import annotations

from typing import Any

from kaname.ingest.connectors.auth import OAuthToken, post_token
from kaname.ingest.connectors.base import Connector
from kaname.ingest.connectors.salesforce.configuration import SalesforceConfig
from kaname.ingest.connectors.salesforce.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.salesforce.source import streams


def _auth(config: SalesforceConfig) -> OAuthToken:
    def grant(client: Any) -> dict[str, Any]:
        return post_token(
            client,
            config.login_url.rstrip("/") + "/services/oauth2/token",
            {
                "grant_type": "refresh_token",
                "client_id": config.client_id,
                "client_secret": config.client_secret.get_secret_value(),
                "refresh_token": config.refresh_token.get_secret_value(),
            },
        )

    return OAuthToken(grant)


CONNECTOR = Connector(
    name="salesforce",
    title="Salesforce",
    config_model=SalesforceConfig,
    default_url="",
    streams=lambda cfg, client: streams(cfg, client),
    auth=_auth,
    default_mapping=DEFAULT_MAPPING,
    doc=__doc__ or "",
)
