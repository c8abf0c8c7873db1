"""Who is asking: session cookies or API tokens, roles, CSRF and login throttling."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from kaname.auth.accounts import Principal
from kaname.store import throttle
from kaname.store.appdb import AppDB

SESSION_COOKIE = "kaname_session"
LOGIN_CSRF_COOKIE = "kaname_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class NotSignedIn(Exception):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this."""

    def __init__(self, needed: str) -> None:
        super().__init__(needed)
        self.needed = needed


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token."""


@dataclass
class Caller:
    """The principal of a request and how it authenticated."""

    user: Principal
    via: str
    """'session' or 'token'."""
    csrf: str = ""


@dataclass
class LoginThrottle:
    """Locks a user name (and, separately, a client address) after repeated failures. The
    failures and locks are kept in the app DB (store/throttle.py), so every server worker counts
    the same attempts."""

    db: AppDB
    max_failures: int = 5
    window_seconds: float = 15 * 60
    lock_seconds: float = 15 * 60

    def retry_after(self, *keys: str) -> int:
        """Seconds until these keys may try again (0 when not locked)."""
        wait = throttle.locked_for(self.db, keys)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        throttle.record_failure(
            self.db, keys, self.max_failures, self.window_seconds, self.lock_seconds
        )

    def succeeded(self, *keys: str) -> None:
        throttle.clear(self.db, keys)


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def client_key(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "unknown")


def login_csrf(request: Request) -> str:
    """The login form's CSRF token (double-submit cookie), made on first sight."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_csrf()
    request.state.login_csrf = token
    return token
