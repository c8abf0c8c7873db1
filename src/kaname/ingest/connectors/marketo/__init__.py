"""Marketo: leads and their activities (web visits, forms, e-mail, program status), deleted leads,
with a LaunchPoint service's client credentials (OAuth client-credentials token)."""

from __future__ import annotations

from typing import Any

import httpx

from kaname.ingest.connectors.auth import OAuthToken, TokenError
from kaname.ingest.connectors.base import Connector
from kaname.ingest.connectors.marketo.configuration import MarketoConfig
from kaname.ingest.connectors.marketo.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.marketo.source import envelope_status, streams
from kaname.ingest.connectors.secrets import register_secret


def _auth(config: MarketoConfig) -> OAuthToken:
    def grant(client: httpx.Client) -> dict[str, Any]:
        secret = config.client_secret.get_secret_value()
        register_secret(secret)
        response = client.get(
            config.base_url.rstrip("/") + "/identity/oauth/token",
            params={
                "grant_type": "client_credentials",
                "client_id": config.client_id,
                "client_secret": secret,
            },
            timeout=60,
        )
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not body.get("access_token"):
            reason = body.get("error_description") or body.get("error") or "no reason given"
            raise TokenError(f"token request refused (HTTP {response.status_code}): {reason}")
        return body

    return OAuthToken(grant)


CONNECTOR = Connector(
    name="marketo",
    title="Marketo",
    config_model=MarketoConfig,
    default_url="",
    streams=lambda cfg, client: streams(cfg, client),
    auth=_auth,
    default_mapping=DEFAULT_MAPPING,
    doc=__doc__ or "",
    status_of=envelope_status,
)
