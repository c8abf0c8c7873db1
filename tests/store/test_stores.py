"""Both stores on their embedded defaults and on PostgreSQL: migrations, and a workspace whose
warehouse is PostgreSQL computing the same numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from fixture_company import EXPECTED_APRIL_2025, load
from kaname.config import WorkspaceConfig
from kaname.metrics.calendar import parse_period
from kaname.metrics.targets import TargetValue
from kaname.store.appdb import MIGRATIONS, AppDB
from kaname.store.warehouse import Warehouse, WarehouseError, duckdb_path
from kaname.workspace import Workspace
from pg_settings import PG_DB, PG_HOST, PG_USER, pg_urls

TABLES = {"plan_versions", "targets", "custom_kpis", "refresh_runs", "alembic_version"}


def _round_trip(db: AppDB) -> None:
    db.upgrade()
    db.upgrade()  # idempotent
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    from kaname.metrics.targets import TargetStore

    store = TargetStore(db)
    april = parse_period("2025-04")
    store.set([TargetValue("leads", april.grain, april.start, 300)], dt.date(2025, 4, 1))
    assert store.lookup("leads", april, dt.date(2025, 4, 2)) == 300
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
    assert not (TABLES - {"alembic_version"}) & set(inspect(db.engine).get_table_names())


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    _round_trip(AppDB(f"sqlite:///{tmp_path / 'kaname.db'}"))


@pytest.mark.postgres
def test_migrations_on_postgres(pg_schema: str) -> None:
    url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}/{PG_DB}?options=-csearch_path%3D{pg_schema}"
    db = AppDB(url)
    _round_trip(db)
    db.dispose()


@pytest.mark.postgres
def test_workspace_on_postgres_for_both_stores(tmp_path: Path, pg_schema: str) -> None:
    config = WorkspaceConfig(**pg_urls(pg_schema), as_of=dt.date(2025, 4, 30))
    ws = Workspace.init(tmp_path / "pg", config)
    assert ws.warehouse.backend == "postgres"
    load(ws.warehouse)
    report = ws.kpi_report(["cpa", "nrr", "win_rate"], parse_period("2025-04")).set_index("kpi")
    for kpi in ("cpa", "nrr", "win_rate"):
        assert report.loc[kpi, "actual"] == pytest.approx(EXPECTED_APRIL_2025[kpi])
    ws.close()


def test_duckdb_urls_resolve_inside_the_workspace(tmp_path: Path) -> None:
    assert duckdb_path("duckdb:///warehouse.duckdb", tmp_path) == str(tmp_path / "warehouse.duckdb")
    assert duckdb_path("duckdb:////data/w.duckdb", tmp_path) == "/data/w.duckdb"
    assert duckdb_path("duckdb://", tmp_path) == ":memory:"
    assert duckdb_path("postgres://x@y/z", tmp_path) is None


def test_unknown_columns_are_refused() -> None:
    import pandas as pd

    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    with pytest.raises(WarehouseError, match="columns not in the canonical model: colour"):
        wh.append(
            "leads",
            pd.DataFrame(
                {"lead_id": ["a"], "created_at": [dt.datetime(2025, 1, 1)], "colour": ["red"]}
            ),
        )


def test_a_warehouse_held_by_another_process_gives_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    path = tmp_path / "warehouse.duckdb"
    Warehouse.connect(f"duckdb:///{path}").close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseError, match="in use by another process"):
            Warehouse.connect(f"duckdb:///{path}")
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    Warehouse.connect(f"duckdb:///{path}").close()  # free again once the holder is gone
