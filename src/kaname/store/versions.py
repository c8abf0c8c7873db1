"""Version counters in the app DB, so several server processes agree on what changed.

A server worker keeps pages and sign-ins in memory. When one worker writes (a plan save, a
refresh, a logout), the others must forget what they keep. Every write bumps a counter here
(`bump(db, kind)`); every worker reads the counters (`current(db)`, one small query) and
forgets what it kept when a counter moved. Kinds: `PAGES` (what the dashboard shows) and
`ACCOUNTS` (users, sessions, API tokens). docs/decisions.md has the design.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from kaname.store.base import Base, Sessions

PAGES = "pages"
ACCOUNTS = "accounts"


class DataVersion(Base):
    """How often something of one kind changed (only ever counts up)."""

    __tablename__ = "data_versions"
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


def bump(db: Sessions, kind: str) -> int:
    """Count one change of `kind`; returns the new count (it includes every earlier change)."""
    for _ in range(3):
        try:
            with db.session() as s:
                row = s.execute(
                    update(DataVersion)
                    .where(DataVersion.kind == kind)
                    .values(version=DataVersion.version + 1)
                    .returning(DataVersion.version)
                ).first()
                if row is not None:
                    return int(row[0])
                s.add(DataVersion(kind=kind, version=1))
                return 1
        except IntegrityError:  # another process made the row first: count on it
            continue
    raise RuntimeError(f"could not count a change of {kind}")


def current(db: Sessions) -> dict[str, int]:
    """Every kind's count (kinds never changed are absent, i.e. 0)."""
    with db.session() as s:
        return {k: int(v) for k, v in s.execute(select(DataVersion.kind, DataVersion.version))}
