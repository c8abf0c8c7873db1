"""Meta Ads: spend, impressions and link clicks by date × campaign (Graph API insights, or the
Ads Manager CSV export without API access)."""

from __future__ import annotations

from kaname.ingest.connectors.auth import BearerToken, NoAuthentication
from kaname.ingest.connectors.base import Connector
from kaname.ingest.connectors.meta_ads.configuration import API_URL, MetaAdsConfig
from kaname.ingest.connectors.meta_ads.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.meta_ads.source import graph_status, streams


def _auth(config: MetaAdsConfig) -> object:
    if config.export_path or config.access_token is None:
        return NoAuthentication()
    return BearerToken(config.access_token.get_secret_value())


CONNECTOR = Connector(
    name="meta_ads",
    title="Meta Ads",
    config_model=MetaAdsConfig,
    default_url=API_URL,
    streams=streams,
    auth=_auth,
    default_mapping=DEFAULT_MAPPING,
    doc=__doc__ or "",
    status_of=graph_status,
)
