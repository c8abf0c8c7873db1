"""Users, roles, sessions, API tokens and the audit log (app DB), for the web app and the CLI.

Passwords are argon2 hashes; session cookies and API tokens are random secrets of which only the
SHA-256 is stored, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from kaname.clock import utcnow
from kaname.store import versions
from kaname.store.appdb import AppDB
from kaname.store.web_models import DEPARTMENTS, ROLES, ApiToken, AuditEntry, User, WebSession

SESSION_HOURS = 12
TOKEN_TOUCH = dt.timedelta(minutes=5)
"""How stale a token's `last_used_at` may be before a request updates it."""
MIN_PASSWORD = 10
_hasher = PasswordHasher()


class AccountError(ValueError):
    """An account operation was refused; the message says why and what to do."""


@dataclass(frozen=True)
class Principal:
    """Who is making a request."""

    id: int
    username: str
    display_name: str
    role: str
    department: str
    language: str
    must_change_password: bool = False

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(user: User) -> Principal:
    return Principal(
        user.id,
        user.username,
        user.display_name or user.username,
        user.role,
        user.department,
        user.language,
        user.must_change_password,
    )


def _check(role: str | None, department: str | None, language: str | None) -> None:
    if role is not None and role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if department is not None and department not in DEPARTMENTS:
        raise AccountError(f"department must be one of {', '.join(DEPARTMENTS)}")
    if language is not None and language not in ("", "ja", "en"):
        raise AccountError("language must be ja, en or empty (the workspace language)")


MAX_PASSWORD = 1024
"""Longer passwords are refused: hashing megabytes would let anyone tie up the server."""
COMMON_PASSWORDS = frozenset(
    (
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "p@ssw0rd123",
        "1234567890",
        "12345678910",
        "0123456789",
        "9876543210",
        "1111111111",
        "0000000000",
        "1234512345",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "zaq12wsxcde",
        "asdfghjkl;",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "welcome1234",
        "changeme123",
        "administrator",
        "admin12345",
        "adminadmin",
        "password!!",
        "abcdefghij",
        "abcd123456",
        "abc1234567",
        "football123",
        "baseball123",
        "monkey12345",
        "dragon12345",
        "sunshine123",
        "princess123",
        "trustno1234",
        "superman123",
        "kaname1234",
        "kanamekaname",
    )
)
"""Passwords so common that a guesser tries them first (compared lower-cased)."""


def _check_password(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
    lowered = password.lower()
    name = username.strip().lower()
    if (
        lowered in COMMON_PASSWORDS
        or len(set(lowered)) <= 2
        or (len(name) >= 3 and name in lowered)
    ):
        raise AccountError("this password is too easy to guess; choose another")


class Accounts:
    def __init__(self, db: AppDB) -> None:
        self.db = db
        self.generation = 0
        """Bumped by every change to users, sessions or tokens made through this object, so a
        caller may cache lookups until it moves. Other processes (server workers, the CLI)
        learn of the change from the app DB's ACCOUNTS version (store/versions.py)."""

    def _changed(self) -> None:
        self.generation += 1
        versions.bump(self.db, versions.ACCOUNTS)

    # ------------------------------------------------------------------ users
    def has_users(self) -> bool:
        with self.db.session() as s:
            return bool(s.execute(select(func.count(User.id))).scalar())

    def create_user(
        self,
        username: str,
        password: str,
        role: str = "viewer",
        department: str = "executive",
        display_name: str = "",
        language: str = "",
        actor: str = "system",
        must_change_password: bool = False,
    ) -> Principal:
        username = username.strip()
        if not username or len(username) > 100:
            raise AccountError("a user name is 1–100 characters")
        _check(role, department, language)
        _check_password(password, username)
        with self.db.session() as s:
            if s.execute(select(User).where(User.username == username)).scalar():
                raise AccountError(f"user {username!r} exists")
            user = User(
                username=username,
                display_name=display_name,
                password_hash=_hasher.hash(password),
                role=role,
                department=department,
                language=language,
                active=True,
                must_change_password=must_change_password,
            )
            s.add(user)
            s.flush()
            principal = _principal(user)
        self.audit(
            actor,
            "user.create",
            username,
            None,
            {"role": role, "department": department, "language": language},
        )
        return principal

    def users(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.execute(select(User).order_by(User.username)).scalars().all()
            return [
                {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role,
                    "department": u.department,
                    "language": u.language,
                    "active": u.active,
                    "created_at": u.created_at,
                }
                for u in rows
            ]

    def update_user(
        self,
        username: str,
        actor: str,
        role: str | None = None,
        department: str | None = None,
        language: str | None = None,
        display_name: str | None = None,
        active: bool | None = None,
    ) -> Principal:
        _check(role, department, language)
        with self.db.session() as s:
            user = s.execute(select(User).where(User.username == username)).scalar()
            if user is None:
                raise AccountError(f"no user {username!r}")
            before = {
                "role": user.role,
                "department": user.department,
                "language": user.language,
                "display_name": user.display_name,
                "active": user.active,
            }
            if user.role == "admin" and (role not in (None, "admin") or active is False):
                admins = s.execute(
                    select(func.count(User.id)).where(User.role == "admin", User.active)
                ).scalar()
                if (admins or 0) <= 1:
                    raise AccountError("the last active admin cannot be demoted or disabled")
            for field, value in (
                ("role", role),
                ("department", department),
                ("language", language),
                ("display_name", display_name),
                ("active", active),
            ):
                if value is not None:
                    setattr(user, field, value)
            if active is False:
                s.execute(delete(WebSession).where(WebSession.user_id == user.id))
            after = {k: getattr(user, k) for k in before}
            principal = _principal(user)
        self._changed()
        if after != before:
            self.audit(actor, "user.update", username, before, after)
        return principal

    def set_password(self, username: str, password: str, actor: str) -> None:
        """A new password ends the user's sessions and revokes their API tokens; it must differ
        from the current one (a one-time password cannot be kept)."""
        _check_password(password, username)
        with self.db.session() as s:
            user = s.execute(select(User).where(User.username == username)).scalar()
            if user is None:
                raise AccountError(f"no user {username!r}")
            with contextlib.suppress(VerificationError, InvalidHashError):
                if _hasher.verify(user.password_hash, password):
                    raise AccountError("the new password must differ from the current one")
            user.password_hash = _hasher.hash(password)
            user.must_change_password = False
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
            s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        self._changed()
        self.audit(actor, "user.password", username, None, None)

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The user when the password matches an active account, else None."""
        with self.db.session() as s:
            user = s.execute(select(User).where(User.username == username.strip())).scalar()
            if user is None or not user.active:
                _hasher.hash(password)  # same cost either way: no user-name probing by timing
                return None
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return _principal(user)

    # ------------------------------------------------------------------ sessions
    def start_session(self, user: Principal) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
            s.add(
                WebSession(
                    token_hash=_digest(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    expires_at=utcnow() + dt.timedelta(hours=SESSION_HOURS),
                )
            )
        return token, csrf

    def session_user(self, token: str) -> tuple[Principal, str] | None:
        """The signed-in user and the session's CSRF token, or None when expired or unknown."""
        with self.db.session() as s:
            row = s.get(WebSession, _digest(token))
            if row is None or row.expires_at < utcnow():
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.active:
                return None
            return _principal(user), row.csrf_token

    def end_session(self, token: str) -> None:
        with self.db.session() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
        self._changed()

    # ------------------------------------------------------------------ API tokens
    def create_token(self, user: Principal, name: str) -> str:
        """A new API token for the user; returned once, stored only as a hash."""
        name = name.strip() or "token"
        token = "kn_" + secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(ApiToken(user_id=user.id, name=name[:100], token_hash=_digest(token)))
        self.audit(user.username, "token.create", name, None, None)
        return token

    def tokens(self, user: Principal) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.execute(
                select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
            ).scalars()
            return [
                {
                    "id": t.id,
                    "name": t.name,
                    "created_at": t.created_at,
                    "last_used_at": t.last_used_at,
                }
                for t in rows
            ]

    def all_tokens(self) -> list[dict[str, Any]]:
        """Every user's API tokens (for admins): id, owner, name, created, last used."""
        with self.db.session() as s:
            rows = s.execute(
                select(ApiToken, User.username)
                .join(User, User.id == ApiToken.user_id)
                .order_by(User.username, ApiToken.id)
            ).all()
            return [
                {
                    "id": t.id,
                    "owner": owner,
                    "name": t.name,
                    "created_at": t.created_at,
                    "last_used_at": t.last_used_at,
                }
                for t, owner in rows
            ]

    def revoke_token(self, user: Principal, token_id: int) -> None:
        """Revoke one of the user's tokens; an admin may revoke anyone's."""
        with self.db.session() as s:
            row = s.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
            if row is None or (row.user_id != user.id and not user.can("admin")):
                raise AccountError("no such token of yours")
            name = row.name
            owner = s.get(User, row.user_id)
            s.delete(row)
        self._changed()
        target = name if owner is None or owner.id == user.id else f"{owner.username}: {name}"
        self.audit(user.username, "token.revoke", target, None, None)

    def token_user(self, token: str) -> Principal | None:
        with self.db.session() as s:
            row = s.execute(select(ApiToken).where(ApiToken.token_hash == _digest(token))).scalar()
            if row is None:
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.active:
                return None
            now = utcnow()
            if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH:
                row.last_used_at = now  # not on every request: a write per call would cost more
            return _principal(user)

    # ------------------------------------------------------------------ audit
    def audit(self, actor: str, action: str, target: str, before: Any, after: Any) -> None:
        """Record a change; values are stored as JSON."""

        def dump(value: Any) -> str:
            return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)

        with self.db.session() as s:
            s.add(
                AuditEntry(
                    actor=actor,
                    action=action,
                    target=target,
                    before=dump(before),
                    after=dump(after),
                )
            )

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
            return [
                {
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "before": e.before,
                    "after": e.after,
                }
                for e in rows.scalars()
            ]
