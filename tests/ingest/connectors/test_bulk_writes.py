"""While syncs write, DuckDB checkpoints once and runs on one thread; overlapping syncs (the web
page and the scheduler) leave both settings as they were once the last one ends."""

from __future__ import annotations

from pathlib import Path

from kaname.ingest.connectors.load import bulk_writes
from kaname.store.warehouse import Warehouse


def _settings(wh: Warehouse) -> tuple[str, str]:
    row = wh.con.con.execute(
        "SELECT current_setting('checkpoint_threshold'), current_setting('threads')"
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_overlapping_bulk_writes_restore_the_settings_once_both_end(tmp_path: Path) -> None:
    wh = Warehouse.connect("duckdb:///w.duckdb", tmp_path)
    wh.con.con.execute("SET threads = 2")
    before = _settings(wh)
    first, second = bulk_writes(wh), bulk_writes(wh)
    first.__enter__()
    during = _settings(wh)
    assert during[0] != before[0] and during[1] == "1"
    second.__enter__()
    first.__exit__(None, None, None)  # the first sync ends while the second still writes
    assert _settings(wh) == during
    second.__exit__(None, None, None)
    assert _settings(wh) == before
    wh.close()
