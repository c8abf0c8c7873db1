"""Leases in the app DB: one process at a time does a job, even with several server workers.

A lease names its holder and runs out at `expires_at` (wall clock, `utcnow()`). The holder
renews it well before then; another process takes it only once it has run out, so when the
holder dies the job moves to another process after at most one lease time. Taking and
renewing are one conditional UPDATE, so two processes can never both hold it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from kaname.clock import utcnow
from kaname.store.base import Base, Sessions

SCHEDULER = "scheduler"


class Lease(Base):
    """Who does the job `name` until `expires_at`."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    renewed_at: Mapped[dt.datetime] = mapped_column(DateTime)


def take(db: Sessions, name: str, holder: str, seconds: float, dead: str | None = None) -> bool:
    """Take or renew the lease for `seconds`; False while another holder's lease runs. `dead`
    names a holder known to be gone (its process ended): its lease is taken at once."""
    now = utcnow()
    until = now + dt.timedelta(seconds=seconds)
    free = or_(Lease.holder == holder, Lease.expires_at < now)
    if dead:
        free = or_(free, Lease.holder == dead)
    with db.session() as s:
        done = s.execute(
            update(Lease)
            .where(Lease.name == name, free)
            .values(holder=holder, expires_at=until, renewed_at=now)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            return True
        if s.get(Lease, name) is not None:
            return False
    try:
        with db.session() as s:
            s.add(Lease(name=name, holder=holder, expires_at=until, renewed_at=now))
        return True
    except IntegrityError:  # another process made it first: it holds the lease
        return False


def release(db: Sessions, name: str, holder: str) -> None:
    """Give the lease up (when the holder stops), so another process takes it at once."""
    with db.session() as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def holder(db: Sessions, name: str) -> str | None:
    """Who holds the lease now (None when nobody does or it ran out)."""
    with db.session() as s:
        row = s.execute(select(Lease).where(Lease.name == name)).scalar_one_or_none()
        return row.holder if row is not None and row.expires_at >= utcnow() else None
