"""Copying a warehouse to another one: every table but the skipped ones, rows equal on both sides,
nulls kept apart from empty strings, and a second copy replaces instead of appending."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from fixture_company import load
from kaname.canonical.tables import TABLES
from kaname.store.copy import copy_warehouse, copyable_tables
from kaname.store.dimensions import RECORD_DIMENSIONS, replace_values
from kaname.store.warehouse import Warehouse


def _source(path: Path) -> Warehouse:
    wh = load(Warehouse.connect(f"duckdb:///{path}"))
    replace_values(
        wh, "leads", pa.array(["L0000", "L0001"]), {"product": pa.array(["Kaname Pro", None])}
    )
    wh.con.create_table("kpi_values", schema={"kpi": "string", "value": "float64"})
    wh.con.create_table("raw_hubspot_contacts", pa.table({"id": ["1", "2"], "body": ["", None]}))
    return wh


def _rows(wh: Warehouse, name: str) -> list[tuple[object, ...]]:
    frame = wh.con.table(name).to_pyarrow().to_pylist()
    return sorted(tuple(row.values()) for row in frame)


def test_copy_every_table_twice(tmp_path: Path) -> None:
    source = _source(tmp_path / "source.duckdb")
    target = Warehouse.connect(f"duckdb:///{tmp_path / 'target.duckdb'}")
    target.ensure_schema()
    expected = [t.name for t in TABLES] + ["raw_hubspot_contacts", RECORD_DIMENSIONS]
    assert copyable_tables(source, {"kpi_values"}) == expected
    for _ in range(2):  # the second copy replaces what the first one wrote
        copied = copy_warehouse(source, target, skip={"kpi_values"})
        assert [c.name for c in copied] == expected
        assert all(c.reconciled for c in copied)
        assert sum(c.target_rows for c in copied) == sum(c.source_rows for c in copied) > 300
    for name in expected:
        assert _rows(target, name) == _rows(source, name), name
    assert "kpi_values" not in target.con.list_tables()
    assert _rows(target, "raw_hubspot_contacts") == [("1", ""), ("2", None)]
    source.close()
    target.close()


@pytest.mark.postgres
def test_copy_to_postgres_keeps_nulls_and_empty_strings(
    tmp_path: Path, pg_company: Warehouse
) -> None:
    source = _source(tmp_path / "source.duckdb")
    for _ in range(2):
        copied = copy_warehouse(source, pg_company, skip={"kpi_values"})
        assert all(c.reconciled for c in copied)
    for c in copied:
        assert _rows(pg_company, c.name) == _rows(source, c.name), c.name
    assert _rows(pg_company, "raw_hubspot_contacts") == [("1", ""), ("2", None)]
    source.close()
