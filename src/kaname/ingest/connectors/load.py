"""Writing to the warehouse: raw tables merged on the source key, canonical tables upserted on
their key. One code path for every Ibis backend (DuckDB file, PostgreSQL)."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.clock import utcnow
from kaname.ingest.connectors.base import RawRecord
from kaname.ingest.connectors.columnar import META, ColumnarSpec, raw_columns
from kaname.store.upsert import duckdb_transaction, execute, staged, transaction
from kaname.store.upsert import quote_ident as _q
from kaname.store.warehouse import Warehouse, conform

try:  # orjson (when installed) encodes raw records several times faster than json
    import orjson

    def _dumps(data: Any) -> str:
        return orjson.dumps(data, default=str).decode()

except ImportError:  # pragma: no cover - depends on the environment

    def _dumps(data: Any) -> str:
        return json.dumps(data, ensure_ascii=False, default=str)


log = logging.getLogger("kaname.connectors")

BULK_CHECKPOINT = "1GB"
"""DuckDB's WAL size that triggers a checkpoint while a sync writes (default 16MB)."""

RAW_SCHEMA = {
    "id": "string",
    "modified_at": "timestamp",
    "deleted": "boolean",
    "data": "string",
    "_loaded_at": "timestamp",
}
"""Every raw table: the source key, its modified time, the deleted flag and the record as JSON."""


@contextlib.contextmanager
def bulk_writes(wh: Warehouse) -> Iterator[None]:
    """While a sync writes its batches (DuckDB; no effect on PostgreSQL):

    - DuckDB checkpoints once at the end instead of at every 16MB of WAL (each checkpoint
      rewrites the table's last, partly filled row group, so a 200k record sync spent most of
      its commit time there). Committed batches stay durable in the WAL meanwhile.
    - DuckDB runs its statements on one thread. A sync's statements work on one batch at a time
      (20,000 records), where extra threads cost more CPU than they save, and the fetch loop and
      the interpreter need the other cores. The setting is global to the DuckDB instance; in the
      server a sync holds the warehouse lock, so no dashboard query runs meanwhile.
    """
    if wh.backend != "duckdb":
        yield
        return
    raw = wh.con.con
    with _BULK_LOCK:
        # Syncs can overlap (the web page and the scheduler): the first one in changes the
        # settings and remembers them, the last one out restores them.
        if _BULK_USERS[id(raw)] == 0:
            _BULK_SAVED[id(raw)] = {
                name: _setting(raw, name, default) for name, (_, default) in _BULK.items()
            }
            for name, (value, _) in _BULK.items():
                raw.execute(f"SET {name} = '{value}'")
        _BULK_USERS[id(raw)] += 1
    try:
        yield
    finally:
        with _BULK_LOCK:
            _BULK_USERS[id(raw)] -= 1
            last = _BULK_USERS[id(raw)] == 0
            if last:
                for name, value in _BULK_SAVED.pop(id(raw), {}).items():
                    raw.execute(f"SET {name} = '{value.replace(chr(39), '')}'")
        if last:
            try:
                raw.execute("CHECKPOINT")
            except Exception as exc:  # another transaction is open: DuckDB checkpoints later
                log.info("checkpoint after sync postponed: %s", exc)


def _setting(raw: Any, name: str, default: str) -> str:
    row = raw.execute(f"SELECT current_setting('{name}')").fetchone()
    return str(row[0]) if row and row[0] is not None else default


_BULK = {"checkpoint_threshold": (BULK_CHECKPOINT, "16MB"), "threads": ("1", "1")}
"""DuckDB settings while a sync writes: (value, fallback when the current one is unknown)."""
_BULK_LOCK = threading.Lock()
_BULK_USERS: collections.Counter[int] = collections.Counter()
_BULK_SAVED: dict[int, dict[str, str]] = {}


def raw_table_name(source: str, stream: str) -> str:
    return f"raw_{source}_{stream}"


def _utc_naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def ensure_raw_table(wh: Warehouse, name: str) -> None:
    if name not in wh.con.list_tables():
        wh.con.create_table(name, schema=ibis.schema(RAW_SCHEMA))


def ensure_columnar_raw_table(wh: Warehouse, name: str, spec: ColumnarSpec) -> None:
    """Create a columnar stream's raw table (DuckDB: META columns, then one column per field),
    add fields a newer connector version requests, and convert a table an earlier version
    stored with the record as JSON in `data`."""
    raw = wh.con.con
    wanted = raw_columns(spec)
    found = {
        str(r[0]): str(r[1])
        for r in raw.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = current_schema()",
            [name],
        ).fetchall()
    }
    if not found:
        columns = ", ".join(f"{_q(c)} {t}" for c, t in wanted.items())
        raw.execute(f"CREATE TABLE {_q(name)} ({columns})")
        return
    if "data" in found:
        _convert_json_raw(raw, name, wanted)
        return
    for column, kind in wanted.items():
        if column not in found:
            raw.execute(f"ALTER TABLE {_q(name)} ADD COLUMN {_q(column)} {kind}")


def _convert_json_raw(raw: Any, name: str, wanted: dict[str, str]) -> None:
    """One-time conversion of a JSON raw table (`data`) into the columnar layout."""
    select = ["id", "modified_at", "deleted", "_loaded_at"]
    for column, kind in wanted.items():
        if column in select:
            continue
        path = "'$.\"" + column.replace("'", "''").replace('"', '\\"') + "\"'"
        value = f"json_extract_string(data, {path})"
        select.append(
            f"TRY_CAST({value} AS BOOLEAN) AS {_q(column)}"
            if kind == "BOOLEAN"
            else f"{value} AS {_q(column)}"
        )
    converted = f"{name}__columnar"
    with duckdb_transaction(raw):
        raw.execute(f"DROP TABLE IF EXISTS {_q(converted)}")
        raw.execute(f"CREATE TABLE {_q(converted)} AS SELECT {', '.join(select)} FROM {_q(name)}")
        raw.execute(f"DROP TABLE {_q(name)}")
        raw.execute(f"ALTER TABLE {_q(converted)} RENAME TO {_q(name)}")
    log.info("%s converted to one column per field", name)


def merge_raw(wh: Warehouse, name: str, records: list[RawRecord]) -> int:
    """Insert or replace records by id (the last of duplicate ids wins); return rows written."""
    arrow = raw_batch(records)
    if arrow is None:
        return 0
    merge_raw_arrow(wh, name, arrow)
    return arrow.num_rows


def merge_raw_arrow(wh: Warehouse, name: str, arrow: pa.Table) -> None:
    """Insert or replace a `raw_batch` by id."""
    ensure_raw_table(wh, name)
    _merge(wh, name, arrow, ("id",))


def raw_batch(records: list[RawRecord]) -> pa.Table | None:
    """Records as raw table rows (the last of duplicate ids wins); None when there are none."""
    if not records:
        return None
    latest: dict[str, RawRecord] = {}
    for record in records:
        latest[record.id] = record
    now = utcnow()
    rows = list(latest.values())
    arrow = pa.table(
        {
            "id": pa.array([r.id for r in rows], pa.string()),
            "modified_at": pa.array([_utc_naive(r.modified_at) for r in rows], pa.timestamp("us")),
            "deleted": pa.array([r.deleted for r in rows], pa.bool_()),
            "data": pa.array([_dumps(r.data) for r in rows], pa.string()),
            "_loaded_at": pa.repeat(pa.scalar(now, pa.timestamp("us")), len(rows)),
        }
    )
    return arrow


def upsert(wh: Warehouse, table: str, rows: list[dict[str, Any]]) -> int:
    """Insert or replace canonical rows on the table's key (the last duplicate wins)."""
    if not rows:
        return 0
    spec = TABLES_BY_NAME[table]
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if "campaign_id" in spec.key and row.get("campaign_id") is None:
            row["campaign_id"] = ""
        latest[tuple(row.get(k) for k in spec.key)] = row
    columns = sorted({c for row in latest.values() for c in row})
    arrow = pa.Table.from_pylist(
        [{c: row.get(c) for c in columns} for row in latest.values()],
        schema=pa.schema(
            [(c, _conform_type(spec.schema()[c])) for c in columns if c in spec.schema()]
        ),
    )
    _merge(wh, table, conform(spec, arrow), spec.key)
    return arrow.num_rows


def upsert_frame(wh: Warehouse, table: str, frame: pd.DataFrame) -> int:
    """Insert or replace canonical rows given as a DataFrame (the mapper's batch output) on the
    table's key (the last duplicate wins)."""
    if frame.empty:
        return 0
    spec = TABLES_BY_NAME[table]
    frame = frame.copy()
    if "campaign_id" in spec.key:
        frame["campaign_id"] = frame["campaign_id"].where(frame["campaign_id"].notna(), "")
    frame = frame.drop_duplicates(subset=list(spec.key), keep="last")
    schema = spec.schema()
    arrays = {}
    for name in frame.columns:
        column = frame[name]
        kind = _conform_type(schema[name])
        if column.dtype == object:
            arrays[name] = pa.array(column.tolist(), from_pandas=True).cast(kind)
        else:
            arrays[name] = pa.Array.from_pandas(column).cast(kind)
    arrow = pa.table(arrays)
    _merge(wh, table, conform(spec, arrow), spec.key)
    return arrow.num_rows


def delete_keys(wh: Warehouse, table: str, keys: list[tuple[Any, ...]]) -> int:
    """Delete canonical rows by key (records deleted or merged away in the source)."""
    if not keys:
        return 0
    spec = TABLES_BY_NAME[table]
    arrow = pa.table(
        {
            k: pa.array([key[i] for key in keys]).cast(_conform_type(spec.schema()[k]))
            for i, k in enumerate(spec.key)
        }
    )
    with staged(wh, arrow) as tmp:
        _delete_matching(wh, table, tmp, spec.key)
    return len(keys)


def read_raw(
    wh: Warehouse, name: str, since: dt.datetime | None, batch: int = 50_000
) -> Iterator[list[tuple[str, bool, dict[str, Any]]]]:
    """Raw records loaded at or after `since` (all when None), in batches of (id, deleted, data);
    a columnar raw table's rows come back as the same flattened dicts."""
    if name not in wh.con.list_tables():
        return
    expr = wh.con.table(name)
    if since is not None:
        expr = expr.filter(expr["_loaded_at"] >= since)
    for rows in _raw_records(expr, batch):
        yield [(r.id, r.deleted, dict(r.data)) for r in rows]


def raw_window(wh: Warehouse, name: str, first: dt.date, last: dt.date) -> list[RawRecord]:
    """Live raw records whose modified time falls on a day in [first, last] (report rows: their
    date), as RawRecords marked deleted — what a sweep removes when a window lacks them."""
    if name not in wh.con.list_tables():
        return []
    expr = wh.con.table(name)
    low = dt.datetime.combine(first, dt.time())
    high = dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
    expr = expr.filter(~expr.deleted, expr.modified_at >= low, expr.modified_at < high)
    return [
        RawRecord(r.id, r.modified_at, r.data, deleted=True)
        for rows in _raw_records(expr, 50_000)
        for r in rows
    ]


def _raw_records(expr: Any, batch: int) -> Iterator[list[RawRecord]]:
    """The rows of a raw table expression as RawRecords, in batches: `data` decoded from JSON,
    or gathered from a columnar table's field columns."""
    fields = [c for c in expr.columns if c not in META] if "data" not in expr.columns else []
    arrow = expr.select("id", "modified_at", "deleted", *(fields or ["data"])).to_pyarrow()
    for chunk in arrow.to_batches(batch):
        yield [
            RawRecord(
                row["id"],
                row["modified_at"],
                {"id": row["id"], **{f: row[f] for f in fields}}
                if fields
                else json.loads(row["data"]),
                bool(row["deleted"]),
            )
            for row in chunk.to_pylist()
        ]


def raw_count(wh: Warehouse, name: str) -> int:
    if name not in wh.con.list_tables():
        return 0
    return int(wh.con.table(name).count().execute())


_TYPES = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def _conform_type(kind: str) -> pa.DataType:
    return _TYPES[kind]


def _delete_matching(wh: Warehouse, table: str, tmp: str, key: tuple[str, ...]) -> None:
    cond = " AND ".join(f't."{k}" = s."{k}"' for k in key)
    with transaction(wh):
        execute(
            wh,
            f'DELETE FROM "{table}" AS t WHERE EXISTS (SELECT 1 FROM "{tmp}" AS s WHERE {cond})',
        )


def _merge(wh: Warehouse, table: str, arrow: pa.Table, key: tuple[str, ...]) -> None:
    """Delete the rows with the incoming keys and insert the incoming rows, in one transaction."""
    names = ", ".join(f'"{c}"' for c in arrow.column_names)
    with staged(wh, arrow) as tmp:
        cond = " AND ".join(f't."{k}" = s."{k}"' for k in key)
        statements = [
            f'DELETE FROM "{table}" AS t WHERE EXISTS (SELECT 1 FROM "{tmp}" AS s WHERE {cond})',
            f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{tmp}"',
        ]
        with transaction(wh):
            for sql in statements:
                execute(wh, sql)
