"""Limits and headers every response gets: request-body sizes per route (413 before the body is
read), the Content-Security-Policy, HSTS, no caching of signed-in pages, and the same-origin
check of state-changing browser requests."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SMALL_BODY = 256 * 1024
"""Largest JSON or form body (plans, rules and settings are a few kilobytes)."""
UPLOAD_PATHS = re.compile(r"^/(import/upload|api/import/[^/]+(/suggest)?|api/local/cli)$")
"""Routes that take a file: their limit is `max_upload_mb` of kaname.yaml."""


class BodyTooLarge(HTTPException):
    """A request body over its route's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "request body too large")
        self.limit = limit


def body_limit(path: str, upload_bytes: int) -> int:
    return upload_bytes if UPLOAD_PATHS.match(path) else SMALL_BODY


class BodyLimit:
    """Refuses a body over its route's limit: at once when Content-Length says so (nothing is
    read), else as soon as the bytes received pass it (chunked uploads)."""

    def __init__(
        self, app: ASGIApp, upload_bytes: Callable[[], int], refuse: Callable[..., object]
    ) -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], self.upload_bytes())
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watch)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = self.refuse(Request(scope, receive), BodyTooLarge(limit))
        await response(scope, receive, send)  # type: ignore[operator]


def size_text(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def same_origin(request: Request) -> bool:
    """A browser request that another site could not have sent: Sec-Fetch-Site says
    same-origin (or none: typed or bookmarked), else the Origin header, when sent, names this
    host. Requests without either (scripts, old browsers) rely on the CSRF token alone."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin != "null" and urlsplit(origin).netloc.lower() == host.lower()


CSP = (
    b"default-src 'self'; "
    b"script-src 'self'; "
    b"style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data: blob:; "
    b"font-src 'self' data:; "
    b"connect-src 'self'; "
    b"object-src 'none'; "
    b"base-uri 'self'; "
    b"form-action 'self'; "
    b"frame-ancestors 'none'"
)
"""Scripts only from this server (no inline script, no eval); Plotly and htmx set inline
styles; charts and Swagger UI use data: images; no framing, no plugins."""


def security_headers(path: str, secure: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", CSP),
    ]
    if secure:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    if not path.startswith("/static/"):
        # Signed-in pages show tokens, figures and names: no browser or proxy keeps a copy.
        headers.append((b"cache-control", b"no-store"))
    return headers
