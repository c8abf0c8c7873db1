"""Google Ads: cost, impressions and clicks by date × campaign (API searchStream, or the Campaign
report CSV export without API access)."""

from __future__ import annotations

from kaname.ingest.connectors.auth import NoAuthentication, google_auth
from kaname.ingest.connectors.base import Connector
from kaname.ingest.connectors.google_ads.configuration import API_URL, GoogleAdsConfig
from kaname.ingest.connectors.google_ads.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.google_ads.source import streams
from kaname.ingest.connectors.google_service_account import ADS_SCOPE, service_account_auth
from kaname.ingest.connectors.secrets import register_secret


def _auth(config: GoogleAdsConfig) -> object:
    if config.export_path:
        return NoAuthentication()
    developer = config.developer_token.get_secret_value() if config.developer_token else ""
    register_secret(developer)
    headers = {"developer-token": developer}
    if config.login_customer_id:
        headers["login-customer-id"] = config.login_customer_id
    if config.service_account_json:
        return service_account_auth(
            config.service_account_json.get_secret_value(),
            ADS_SCOPE,
            subject=config.delegated_user,
            extra_headers=headers,
        )
    return google_auth(
        config.access_token.get_secret_value() if config.access_token else None,
        config.client_id,
        config.client_secret.get_secret_value() if config.client_secret else None,
        config.refresh_token.get_secret_value() if config.refresh_token else None,
        config.token_url,
        extra_headers=headers,
    )


CONNECTOR = Connector(
    name="google_ads",
    title="Google Ads",
    config_model=GoogleAdsConfig,
    default_url=API_URL,
    streams=streams,
    auth=_auth,
    default_mapping=DEFAULT_MAPPING,
    doc=__doc__ or "",
)
