"""Route dependencies: the caller, role checks, filters from the URL.

They are `async def` on purpose: none of them blocks, and FastAPI runs plain `def` dependencies
in its thread pool, a hop per dependency per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from kaname.dashboard import Dashboard, Filters
from kaname.web.i18n import Translator, translator
from kaname.web.security import Caller, Forbidden, NotSignedIn
from kaname.workspace import Workspace


def current_caller(request: Request) -> Caller:
    found: Caller | None = getattr(request.state, "caller", None)
    if found is None:
        raise NotSignedIn()
    return found


async def caller(request: Request) -> Caller:
    return current_caller(request)


def role(needed: str) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency that lets through callers whose role is `needed` or higher."""

    async def check(request: Request) -> Caller:
        who = current_caller(request)
        if not who.user.can(needed):
            raise Forbidden(needed)
        return who

    check.__name__ = f"require_{needed}"
    return check


viewer = role("viewer")
editor = role("editor")
admin = role("admin")


async def filters(request: Request) -> Filters:
    ws: Workspace = request.app.state.ws
    return Filters.parse(request.query_params, lambda text, grain: ws.period(text or None, grain))


async def dashboard(request: Request) -> Dashboard:
    return request.app.state.dashboard


async def workspace(request: Request) -> Workspace:
    return request.app.state.ws


def current_language(request: Request) -> str:
    return str(request.state.language)


async def language(request: Request) -> str:
    return current_language(request)


async def gettext(request: Request) -> Translator:
    return translator(current_language(request))
