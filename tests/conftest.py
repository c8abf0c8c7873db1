from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixture_company import load
from kaname.store.warehouse import Warehouse
from pg_settings import PG_DB, PG_HOST, PG_USER


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
