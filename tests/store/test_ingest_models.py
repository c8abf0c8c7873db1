"""Migrations 0004, 0007 and 0008 create exactly what the ingest and run models describe
(SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kaname.store.appdb import AppDB, Base, RefreshRun
from kaname.store.connector_models import SyncRun
from kaname.store.ingest_models import ImportRun, MergeLog, SavedMapping
from pg_settings import PG_DB, PG_HOST, PG_USER

OURS = re.compile(
    r"\b("
    + "|".join(m.__tablename__ for m in (ImportRun, SavedMapping, MergeLog, RefreshRun, SyncRun))
    + r")\b"
)


def _diff(db: AppDB, metadata: sa.MetaData = Base.metadata) -> list[str]:
    """Differences between the migrated schema and the models, for the ingest tables only."""
    db.upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    return [repr(d) for d in diff if OURS.search(repr(d))]


def test_models_match_migration_on_sqlite(tmp_path: Path) -> None:
    db = AppDB(f"sqlite:///{tmp_path / 'kaname.db'}")
    assert _diff(db) == []
    changed = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["import_runs"].append_column(sa.Column("extra", sa.Integer))
    changed.tables["refresh_runs"].append_column(sa.Column("extra", sa.Integer))
    changed.tables["sync_runs"].append_column(sa.Column("extra", sa.Integer))
    assert len(_diff(db, changed)) == 3  # the check sees a column the migration lacks


@pytest.mark.postgres
def test_models_match_migration_on_postgres(pg_schema: str) -> None:
    url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}/{PG_DB}?options=-csearch_path%3D{pg_schema}"
    db = AppDB(url)
    assert _diff(db) == []
    db.dispose()
