"""The app database: plans and their versions, targets, custom KPIs and refresh history.

Schema changes go through Alembic migrations in `kaname/store/migrations`; `AppDB.upgrade()`
runs them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kaname.clock import utcnow
from kaname.store.base import Base
from kaname.store.runs import RunOwner

MIGRATIONS = Path(__file__).parent / "migrations"


class PlanVersion(Base):
    """One applied version of a plan file; targets point at the version that set them."""

    __tablename__ = "plan_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")


class Target(Base):
    """A target for a KPI × period × optional dimension value, valid from `effective_from`."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi_id: Mapped[str] = mapped_column(String(100), index=True)
    grain: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(50), default="")
    dimension_value: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[float] = mapped_column(Float)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    plan_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_versions.id"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")


class CustomKpi(Base):
    """A KPI a user added as a formula over measures; `definition` is the catalog entry as JSON."""

    __tablename__ = "custom_kpis"
    kpi_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")


class RefreshRun(RunOwner, Base):
    """One run of `kaname refresh`: what it recomputed, who runs it, how far it got and how it
    ended (running, ok, failed, interrupted)."""

    __tablename__ = "refresh_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    from_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")
    message: Mapped[str] = mapped_column(Text, default="")
    jobs: Mapped[int] = mapped_column(Integer, default=0)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)
    redone_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The run that did again what this unfinished one left undone (0: from before runs were
    redone)."""


class AppDB:
    """Engine and sessions for the app database."""

    def __init__(self, url: str) -> None:
        self.url = url
        _private_sqlite_file(url)
        self.engine: Engine = create_engine(url, future=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_workspace(cls, url: str, root: Path) -> AppDB:
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
            url = prefix + str((root / url[len(prefix) :]).resolve())
        return cls(url)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _private_sqlite_file(url: str) -> None:
    """A SQLite app DB holds password hashes, sessions and encrypted secrets: create it readable
    by its owner only (0600; SQLite gives its journal the same mode), and tighten an older
    one."""
    prefix = "sqlite:///"
    path = url[len(prefix) :].split("?")[0] if url.startswith(prefix) else ""
    if not path or path == ":memory:":
        return
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)


# Feature modules define their tables on the same Base; import them so the metadata knows them.
from kaname.store import act_models as _act_models  # noqa: E402, F401
from kaname.store import board_models as _board_models  # noqa: E402, F401
from kaname.store import connector_models as _connector_models  # noqa: E402, F401
from kaname.store import ingest_models as _ingest_models  # noqa: E402, F401
from kaname.store import leases as _leases  # noqa: E402, F401
from kaname.store import throttle as _throttle  # noqa: E402, F401
from kaname.store import versions as _versions  # noqa: E402, F401
