"""Overlapping syncs (the web page and the scheduler) leave DuckDB's checkpoint setting as it
was."""

from __future__ import annotations

from pathlib import Path

from kaname.ingest.connectors.load import bulk_writes
from kaname.store.warehouse import Warehouse


def _threshold(wh: Warehouse) -> str:
    row = wh.con.con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    return str(row[0]) if row else ""


def test_overlapping_bulk_writes_restore_the_setting_once_both_end(tmp_path: Path) -> None:
    wh = Warehouse.connect("duckdb:///w.duckdb", tmp_path)
    before = _threshold(wh)
    first, second = bulk_writes(wh), bulk_writes(wh)
    first.__enter__()
    raised = _threshold(wh)
    second.__enter__()
    first.__exit__(None, None, None)  # the first sync ends while the second still writes
    assert _threshold(wh) == raised != before
    second.__exit__(None, None, None)
    assert _threshold(wh) == before
    wh.close()
