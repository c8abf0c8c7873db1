"""The HTTP client every connector uses: retries 429 after Retry-After, 5xx and cut responses with
backoff, refreshes an expired token once, and turns a permanent refusal into a clear error."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import orjson

log = logging.getLogger("kaname.connectors.http")


class SourceAuth(Protocol):
    """Adds credentials to a request; `refresh()` gets a new token (False when it cannot)."""

    def apply(self, request: httpx.Request) -> None: ...

    def refresh(self, client: httpx.Client) -> bool: ...


class NoAuth:
    def apply(self, request: httpx.Request) -> None:
        return None

    def refresh(self, client: httpx.Client) -> bool:
        return False


class HttpError(Exception):
    """A request failed for good; `status` is the last HTTP status (0 for a network error)."""

    def __init__(self, message: str, status: int = 0, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class RetryPolicy:
    attempts: int = 6
    """Tries per request, the first included."""
    backoff: float = 0.5
    """First wait in seconds for 5xx and network errors; doubles each try."""
    max_wait: float = 60.0
    """Longest wait, Retry-After included."""


RETRY_STATUSES = {429, 500, 502, 503, 504}


class HttpClient:
    """One httpx client with the source's auth and the retry policy."""

    def __init__(
        self,
        base_url: str,
        auth: SourceAuth | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        is_auth_error: Callable[[httpx.Response], bool] | None = None,
        status_of: Callable[[httpx.Response], int] | None = None,
    ) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout)
        self.auth = auth or NoAuth()
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.status_of = status_of or (lambda r: r.status_code)
        self.is_auth_error = is_auth_error or (lambda r: self.status_of(r) == 401)
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request and decode its JSON body, retrying what can be retried."""
        return self.request_body(method, url, **kwargs)[1]

    def request_body(self, method: str, url: str, **kwargs: Any) -> tuple[bytes, Any]:
        """Like `request_json`, and the body as it came: (bytes, decoded JSON)."""
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            request = self.client.build_request(method, url, **kwargs)
            self.auth.apply(request)
            try:
                self.requests += 1
                response = self.client.send(request)
                body = response.content
            except httpx.TransportError as exc:
                self._wait_or_raise(attempt, None, f"{method} {_path(url)}: {exc}", 0)
                continue
            if self.is_auth_error(response) and not refreshed:
                refreshed = True
                if self.auth.refresh(self.client):
                    log.info("token refreshed after %s", response.status_code)
                    attempt -= 1
                    continue
            status = self.status_of(response)
            if status in RETRY_STATUSES:
                self._wait_or_raise(
                    attempt,
                    response,
                    f"{method} {_path(url)}: HTTP {status}" + _envelope(response, status),
                    status,
                )
                continue
            if status >= 400:
                raise HttpError(
                    f"{method} {_path(url)}: HTTP {status} {_short(body)}",
                    status,
                    body.decode("utf-8", "replace"),
                )
            try:
                return body, (_loads(body) if body else None)
            except ValueError:
                # A response cut mid-body: retry like a network error.
                self._wait_or_raise(
                    attempt, None, f"{method} {_path(url)}: incomplete JSON body", 200
                )

    def _wait_or_raise(
        self, attempt: int, response: httpx.Response | None, message: str, status: int
    ) -> None:
        if attempt >= self.retry.attempts:
            raise HttpError(f"{message} (gave up after {attempt} tries)", status)
        wait = self.retry.backoff * 2 ** (attempt - 1)
        if response is not None and response.status_code == 429:
            wait = retry_after(response, wait)
        wait = min(wait, self.retry.max_wait)
        log.info("%s; retrying in %.2fs (try %d)", message, wait, attempt + 1)
        self.sleep(wait)


def _loads(body: bytes) -> Any:
    """orjson (a few times faster, and it holds the interpreter lock that much shorter) with
    json for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds from a Retry-After header (delta seconds; HTTP dates fall back to the default)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def _envelope(response: httpx.Response, status: int) -> str:
    # An error the API reports inside an HTTP 200 body (Marketo's success:false envelope).
    return f" (sent as HTTP {response.status_code})" if status != response.status_code else ""


def _path(url: str) -> str:
    # Never log query strings: some APIs (Marketo) accept tokens there.
    return url.split("?", 1)[0]


def _short(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text[:300]
