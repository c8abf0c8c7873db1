"""Who is asking: session cookies or API tokens, roles, CSRF and login throttling."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from kaname.auth.accounts import Principal

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
    """Locks a user name (and, separately, a client address) after repeated failures."""

    max_failures: int = 5
    window_seconds: float = 15 * 60
    lock_seconds: float = 15 * 60
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, *keys: str) -> int:
        """Seconds until these keys may try again (0 when not locked)."""
        now = time.monotonic()
        with self._lock:
            waits = [self._locked_until.get(k, 0.0) - now for k in keys]
        return max(0, int(max(waits, default=0.0)) + (1 if max(waits, default=0.0) > 0 else 0))

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < self.window_seconds]
                recent.append(now)
                self._failures[key] = recent
                if len(recent) >= self.max_failures:
                    self._locked_until[key] = now + self.lock_seconds
                    self._failures[key] = []

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
                self._locked_until.pop(key, None)


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
