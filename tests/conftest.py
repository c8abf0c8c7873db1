from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixture_company import load
from kaname.clock import ENV_TODAY
from kaname.store.warehouse import Warehouse
from pg_settings import PG_DB, PG_HOST, PG_USER

# One clock for the whole suite: a workspace without its own `as_of` reads this day, never the
# real date (tests/web/test_calendar_turns.py is the one test that reads the real clock). Set
# KANAME_TODAY to run the suite as of another day.
SUITE_TODAY = "2026-11-20"
os.environ.setdefault(ENV_TODAY, SUITE_TODAY)


@pytest.fixture
def duckdb_company() -> Iterator[Warehouse]:
    wh = load(Warehouse.connect("duckdb://"))
    yield wh
    wh.close()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema in the test database, dropped afterwards."""
    import psycopg

    name = f"kaname_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def pg_company(pg_schema: str) -> Iterator[Warehouse]:
    import ibis

    con = ibis.postgres.connect(host=PG_HOST, user=PG_USER, database=PG_DB, schema=pg_schema)
    wh = load(Warehouse(con, f"postgres://{PG_USER}@{PG_HOST}/{PG_DB}?schema={pg_schema}"))
    yield wh
    wh.close()
