"""App-DB tables of the connectors: configured sources (credentials encrypted), stream state and
sync runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kaname.clock import utcnow
from kaname.store.base import Base
from kaname.store.runs import RunOwner


class ConnectorConfig(Base):
    """A connected source: its settings encrypted (Fernet) and the non-secret ones for display."""

    __tablename__ = "connector_configs"
    source: Mapped[str] = mapped_column(String(50), primary_key=True)
    config_encrypted: Mapped[str] = mapped_column(Text)
    settings_public: Mapped[str] = mapped_column(Text, default="{}")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    schedule_minutes: Mapped[int] = mapped_column(Integer, default=60)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SyncState(Base):
    """Where a stream's next sync starts (cursor, resume token), saved only after its data."""

    __tablename__ = "sync_states"
    source: Mapped[str] = mapped_column(String(50), primary_key=True)
    stream: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


RUNNING_ONCE = text("status = 'running'")
"""At most one `running` sync per source (a partial unique index): the loser of two syncs
started together cannot write its row."""


class SyncRun(RunOwner, Base):
    """One sync of one source: how it ran, rows per table, the error that stopped it, who runs
    it, and the run that resumed it when it did not finish (running, ok, failed, interrupted)."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index(
            "ux_sync_runs_running",
            "source",
            unique=True,
            sqlite_where=RUNNING_ONCE,
            postgresql_where=RUNNING_ONCE,
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(50), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20), default="cli")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    table_rows: Mapped[str] = mapped_column(Text, default="{}")
    error: Mapped[str] = mapped_column(Text, default="")
    resumed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The sync that went on from where this unfinished one stopped."""
