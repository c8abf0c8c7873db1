"""Upsert on the table key: counts, partial columns, idempotence; DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pyarrow as pa
import pytest

from kaname.store.warehouse import Warehouse
from pg_settings import PG_DB, PG_HOST, PG_USER


def _leads(ids: list[str], emails: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "lead_id": pa.array(ids, pa.string()),
            "email": pa.array(emails, pa.string()),
            "created_at": pa.array([dt.datetime(2025, 4, 1)] * len(ids), pa.timestamp("us")),
        }
    )


def _check(wh: Warehouse) -> None:
    wh.ensure_schema()
    first = wh.upsert("leads", _leads(["a", "b"], ["a@x.jp", None]))
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    again = wh.upsert("leads", _leads(["a", "b"], ["a@x.jp", None]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    wh.append("leads", _leads(["c"], ["c@x.jp"]).append_column("channel", pa.array(["email"])))
    dry = wh.upsert("leads", _leads(["b", "c", "d"], ["b@x.jp", "c@x.jp", None]), dry_run=True)
    assert (dry.inserted, dry.updated, dry.unchanged) == (1, 1, 1)
    assert wh.table("leads").count().execute() == 3
    wet = wh.upsert("leads", _leads(["b", "c", "d"], ["b@x.jp", "c@x.jp", None]))
    assert wet == dry
    rows = wh.table("leads").order_by("lead_id").execute()
    assert rows["email"].tolist()[:3] == ["a@x.jp", "b@x.jp", "c@x.jp"]
    assert rows["channel"].tolist()[2] == "email"  # columns not given keep their values
    assert len(rows) == 4


def test_upsert_duckdb() -> None:
    wh = Warehouse.connect("duckdb://")
    _check(wh)
    wh.close()


@pytest.fixture
def pg_warehouse(pg_schema: str) -> Iterator[Warehouse]:
    import ibis

    con = ibis.postgres.connect(host=PG_HOST, user=PG_USER, database=PG_DB, schema=pg_schema)
    wh = Warehouse(con, f"postgres://{PG_USER}@{PG_HOST}/{PG_DB}?schema={pg_schema}")
    yield wh
    wh.close()


@pytest.mark.postgres
def test_upsert_postgres(pg_warehouse: Warehouse) -> None:
    _check(pg_warehouse)
