"""HubSpot: contacts with lifecycle-stage dates, companies, deals with stage history, owners and
marketing email events, with a private-app token."""

from __future__ import annotations

from kaname.ingest.connectors.auth import BearerToken
from kaname.ingest.connectors.base import Connector
from kaname.ingest.connectors.hubspot.configuration import API_URL, HubSpotConfig
from kaname.ingest.connectors.hubspot.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.hubspot.source import streams

CONNECTOR = Connector(
    name="hubspot",
    title="HubSpot",
    config_model=HubSpotConfig,
    default_url=API_URL,
    streams=streams,
    auth=lambda cfg: BearerToken(cfg.access_token.get_secret_value()),
    default_mapping=DEFAULT_MAPPING,
    doc=__doc__ or "",
)
