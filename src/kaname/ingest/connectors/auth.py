"""Authentication schemes shared by connectors: a static bearer token and OAuth 2 token refresh."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from kaname.ingest.connectors.secrets import register_secret


class BearerToken:
    """A long-lived token sent as `Authorization: Bearer` (HubSpot private apps, Meta)."""

    def __init__(self, token: str) -> None:
        register_secret(token)
        self.token = token

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self.token}"

    def refresh(self, client: httpx.Client) -> bool:
        return False


def _now() -> float:
    """Clock of token lifetimes (monotonic seconds)."""
    return time.monotonic()


class OAuthToken:
    """An access token obtained from a token endpoint and obtained again once when it expires.

    `grant` posts to the token endpoint and returns the token response (access_token and, for
    Salesforce, instance_url); `on_token` sees every response (to move the API base URL).
    With `renew_early` (seconds), a token whose `expires_in` runs out within that margin is
    obtained again before the next request, not only after a 401."""

    def __init__(
        self,
        grant: Callable[[httpx.Client], dict[str, Any]],
        on_token: Callable[[dict[str, Any]], None] | None = None,
        header: str = "Authorization",
        scheme: str = "Bearer ",
        extra_headers: dict[str, str] | None = None,
        renew_early: float | None = None,
    ) -> None:
        self.grant = grant
        self.on_token = on_token
        self.header = header
        self.scheme = scheme
        self.extra_headers = extra_headers or {}
        self.renew_early = renew_early
        self.token: str | None = None
        self.expires_at: float | None = None
        """When the token must be renewed (`_now()` seconds), if the endpoint said."""
        self._lock = threading.Lock()

    def _stale(self) -> bool:
        return self.token is None or (self.expires_at is not None and _now() >= self.expires_at)

    def apply(self, request: httpx.Request) -> None:
        if self._stale():
            with self._lock:
                if self._stale():
                    self._fetch(None)
        request.headers[self.header] = f"{self.scheme}{self.token}"
        for key, value in self.extra_headers.items():
            request.headers[key] = value

    def refresh(self, client: httpx.Client) -> bool:
        with self._lock:
            self._fetch(client)
        return True

    def _fetch(self, client: httpx.Client | None) -> None:
        with httpx.Client(timeout=60) as own:
            body = self.grant(client or own)
        token = str(body.get("access_token") or "")
        if not token:
            raise TokenError("the token endpoint returned no access_token")
        register_secret(token)
        self.token = token
        self.expires_at = None
        lifetime = body.get("expires_in")
        if self.renew_early is not None and isinstance(lifetime, int | float | str):
            try:
                seconds = float(lifetime)
            except ValueError:
                seconds = 0.0
            if seconds > 0:
                # A short-lived token is renewed at half its life rather than on every request.
                self.expires_at = _now() + seconds - min(self.renew_early, seconds / 2)
        if self.on_token:
            self.on_token(body)


class TokenError(Exception):
    """Credentials were refused by the token endpoint."""


def post_token(client: httpx.Client, url: str, data: dict[str, str]) -> dict[str, Any]:
    """POST a form to an OAuth token endpoint; a refusal raises TokenError with the reason."""
    for name, value in data.items():
        if name != "grant_type":  # a grant type is a public name, not a credential
            register_secret(value)
    response = client.post(url, data=data, timeout=60)
    if response.status_code >= 400:
        # The endpoint's own reason, never its raw body (the URL could answer anything).
        try:
            detail = response.json()
            reason = detail.get("error_description") or detail.get("error") or "no reason given"
        except (ValueError, AttributeError):
            reason = "no reason given"
        raise TokenError(f"token request refused (HTTP {response.status_code}): {reason}")
    result: dict[str, Any] = response.json()
    return result


GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"


def google_auth(
    access_token: str | None,
    client_id: str,
    client_secret: str | None,
    refresh_token: str | None,
    token_url: str = GOOGLE_TOKEN_URL,
    extra_headers: dict[str, str] | None = None,
) -> Any:
    """Google APIs (GA4, Google Ads): an OAuth refresh token (client id + secret), refreshed on
    401, or a ready access token (e.g. from `gcloud auth print-access-token`), which cannot be
    refreshed. Service-account keys: `google_service_account.service_account_auth`."""
    if refresh_token and client_secret:

        def grant(client: httpx.Client) -> dict[str, Any]:
            return post_token(
                client,
                token_url,
                {
                    "grant_type": "refresh_token",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "refresh_token": refresh_token,
                },
            )

        return OAuthToken(grant, extra_headers=extra_headers)
    token = BearerToken(access_token or "")
    if extra_headers:
        return _WithHeaders(token, extra_headers)
    return token


class _WithHeaders:
    def __init__(self, inner: BearerToken, headers: dict[str, str]) -> None:
        self.inner, self.headers = inner, headers

    def apply(self, request: httpx.Request) -> None:
        self.inner.apply(request)
        request.headers.update(self.headers)

    def refresh(self, client: httpx.Client) -> bool:
        return False


class NoAuthentication:
    """No credentials (sources read from files)."""

    def apply(self, request: httpx.Request) -> None:
        return None

    def refresh(self, client: httpx.Client) -> bool:
        return False
