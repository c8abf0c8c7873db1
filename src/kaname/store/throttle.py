"""Failed sign-ins and the locks they lead to, in the app DB, so that every server worker
counts the same failures (a login throttle kept in one process's memory could be dodged by
spreading attempts over the workers)."""

from __future__ import annotations

import contextlib
import datetime as dt

from sqlalchemy import DateTime, Integer, String, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from kaname.clock import utcnow
from kaname.store.base import Base, Sessions


class LoginFailure(Base):
    """One failed sign-in for a key (a user name at an address, or an address)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class LoginLock(Base):
    """A key that may not sign in until `until`."""

    __tablename__ = "login_locks"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    until: Mapped[dt.datetime] = mapped_column(DateTime)


def locked_for(db: Sessions, keys: tuple[str, ...]) -> float:
    """Seconds until all of `keys` may try again (0 when none is locked)."""
    if not keys:
        return 0.0
    now = utcnow()
    with db.session() as s:
        until = s.execute(select(func.max(LoginLock.until)).where(LoginLock.key.in_(keys))).scalar()
    return max(0.0, (until - now).total_seconds()) if until is not None else 0.0


def record_failure(
    db: Sessions, keys: tuple[str, ...], max_failures: int, window: float, lock: float
) -> None:
    """Count a failure for each key; a key with `max_failures` in `window` seconds is locked for
    `lock` seconds and starts counting afresh."""
    now = utcnow()
    since = now - dt.timedelta(seconds=window)
    # IntegrityError: another worker locked the key at the same moment, so it is locked.
    with contextlib.suppress(IntegrityError):
        _count(db, keys, now, since, max_failures, lock)


def _count(
    db: Sessions,
    keys: tuple[str, ...],
    now: dt.datetime,
    since: dt.datetime,
    max_failures: int,
    lock: float,
) -> None:
    with db.session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.at < since))
        for key in keys:
            s.add(LoginFailure(key=key, at=now))
        s.flush()
        for key in keys:
            count = s.execute(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.key == key, LoginFailure.at >= since)
            ).scalar_one()
            if count >= max_failures:
                until = now + dt.timedelta(seconds=lock)
                row = s.get(LoginLock, key)
                if row is None:
                    s.add(LoginLock(key=key, until=until))
                else:
                    row.until = until
                s.execute(delete(LoginFailure).where(LoginFailure.key == key))


def clear(db: Sessions, keys: tuple[str, ...]) -> None:
    """Forget the failures and locks of `keys` (after a successful sign-in)."""
    with db.session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))
        s.execute(delete(LoginLock).where(LoginLock.key.in_(keys)))
