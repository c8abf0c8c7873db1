"""Migration 0009 creates exactly what the board models describe, on SQLite and PostgreSQL, and
its downgrade removes them (and only them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from kaname.store.appdb import MIGRATIONS, AppDB, Base
from kaname.store.board_models import Board, LandingBoard
from pg_settings import PG_DB, PG_HOST, PG_USER

OURS = re.compile(r"\b(boards|landing_boards)\b")


def _diff(db: AppDB) -> list[str]:
    db.upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [repr(d) for d in diff if OURS.search(repr(d))]


def _downgrade(db: AppDB) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0009_boards@0002")


def _round_trip(db: AppDB) -> None:
    assert _diff(db) == []
    with db.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO users (id, username, display_name, password_hash, role, department,"
                " language, active, must_change_password, created_at) VALUES (1, 'u', '', 'x',"
                " 'viewer', 'sales', '', true, false, CURRENT_TIMESTAMP)"
            )
        )
    with db.session() as s:
        board = Board(name="週次", owner="u", spec="{}", shared_departments="sales")
        s.add(board)
        s.flush()
        s.add(LandingBoard(user_id=1, board_id=board.id))
    with db.session() as s:
        assert s.get(LandingBoard, 1) is not None
    _downgrade(db)
    names = set(sa.inspect(db.engine).get_table_names())
    assert "boards" not in names and "landing_boards" not in names
    assert "users" in names  # only what 0009 added is gone
    db.upgrade()
    assert {"boards", "landing_boards"} <= set(sa.inspect(db.engine).get_table_names())


def test_board_migration_on_sqlite(tmp_path: Path) -> None:
    db = AppDB(f"sqlite:///{tmp_path / 'kaname.db'}")
    _round_trip(db)
    db.dispose()


@pytest.mark.postgres
def test_board_migration_on_postgres(pg_schema: str) -> None:
    url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}/{PG_DB}?options=-csearch_path%3D{pg_schema}"
    db = AppDB(url)
    _round_trip(db)
    db.dispose()
