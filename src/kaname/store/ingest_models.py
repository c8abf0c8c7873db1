"""App-DB records of file imports, saved column mappings and duplicate merges."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kaname.clock import utcnow
from kaname.store.base import Base
from kaname.store.runs import RunOwner


class ImportRun(RunOwner, Base):
    """One `kaname import` (or upload): the file, its mapping, how its rows reconciled, who runs
    it and how far it got (`stage`: load, score, done)."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(100), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str] = mapped_column(String(20), default="")
    mapping: Mapped[str] = mapped_column(Text, default="")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")
    stage: Mapped[str] = mapped_column(String(20), default="load")


class SavedMapping(Base):
    """A confirmed column mapping, reused for the next file with the same headers."""

    __tablename__ = "import_mappings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    table_name: Mapped[str] = mapped_column(String(100), index=True)
    headers_signature: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")


class MergeLog(Base):
    """An explicit merge of duplicate leads or accounts, with the merged rows as they were."""

    __tablename__ = "merge_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(100))
    kept_key: Mapped[str] = mapped_column(String(200))
    merged_keys: Mapped[str] = mapped_column(Text)
    """JSON list of the keys merged into `kept_key`."""
    snapshot: Mapped[str] = mapped_column(Text)
    """JSON of every row before the merge, for undoing it by hand."""
    repointed: Mapped[str] = mapped_column(Text, default="{}")
    """JSON {table.column: rows re-pointed}."""
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")
