"""GA4: sessions, users, new users and page views by date × default channel group (Data API
runReport), with a service-account key, a Google OAuth refresh token or an access token."""

from __future__ import annotations

from kaname.ingest.connectors.auth import google_auth
from kaname.ingest.connectors.base import Connector
from kaname.ingest.connectors.ga4.configuration import API_URL, GA4Config
from kaname.ingest.connectors.ga4.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.ga4.source import streams
from kaname.ingest.connectors.google_service_account import GA4_SCOPE, service_account_auth


def _auth(config: GA4Config) -> object:
    if config.service_account_json:
        return service_account_auth(config.service_account_json.get_secret_value(), GA4_SCOPE)
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
