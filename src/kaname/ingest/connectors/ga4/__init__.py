"""GA4: sessions, users, new users and page views by date × default channel group (Data API
runReport), with a Google OAuth refresh token or an access token."""

from __future__ import annotations

from kaname.ingest.connectors.auth import google_auth
from kaname.ingest.connectors.base import Connector
from kaname.ingest.connectors.ga4.configuration import API_URL, GA4Config
from kaname.ingest.connectors.ga4.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.ga4.source import streams


def _auth(config: GA4Config) -> object:
    return google_auth(
        config.access_token.get_secret_value() if config.access_token else None,
        config.client_id,
        config.client_secret.get_secret_value() if config.client_secret else None,
        config.refresh_token.get_secret_value() if config.refresh_token else None,
        config.token_url,
    )


CONNECTOR = Connector(
    name="ga4",
    title="Google Analytics 4",
    config_model=GA4Config,
    default_url=API_URL,
    streams=streams,
    auth=_auth,
    default_mapping=DEFAULT_MAPPING,
    doc=__doc__ or "",
)
