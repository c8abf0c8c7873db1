"""Route dependencies: the caller, role checks, filters from the URL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from kaname.dashboard import Dashboard, Filters
from kaname.web.i18n import Translator, translator
from kaname.web.security import Caller, Forbidden, NotSignedIn
from kaname.workspace import Workspace


def caller(request: Request) -> Caller:
    found: Caller | None = getattr(request.state, "caller", None)
    if found is None:
        raise NotSignedIn()
    return found


def role(needed: str) -> Callable[[Request], Caller]:
    """A dependency that lets through callers whose role is `needed` or higher."""

    def check(request: Request) -> Caller:
        who = caller(request)
        if not who.user.can(needed):
            raise Forbidden(needed)
        return who

    check.__name__ = f"require_{needed}"
    return check


viewer = role("viewer")
editor = role("editor")
admin = role("admin")


def filters(request: Request) -> Filters:
    return Filters.parse(request.query_params)


def dashboard(request: Request) -> Dashboard:
    return request.app.state.dashboard


def workspace(request: Request) -> Workspace:
    return request.app.state.ws


def language(request: Request) -> str:
    return str(request.state.language)


def gettext(request: Request) -> Translator:
    return translator(language(request))
