"""Upsert into a warehouse table on its key, counting what was inserted, updated or unchanged.

Portable SQL (DuckDB and PostgreSQL): the incoming rows are staged as a temporary table, rows
whose key exists and whose given columns differ are updated (columns not given keep their
values), new keys are inserted, identical rows are not touched, so `_loaded_at` only moves for
rows that changed and a re-import changes nothing. Both writes run in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.clock import utcnow


class Warehouse(Protocol):
    """What upserts need of kaname.store.warehouse.Warehouse (which calls them)."""

    @property
    def con(self) -> Any: ...

    @property
    def backend(self) -> str: ...


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


def quote_ident(name: str) -> str:
    """A table or column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


_q = quote_ident


def execute(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    """Run one SQL statement on the warehouse's own connection; rows if it returns any."""
    if wh.backend == "duckdb":
        return list(wh.con.con.execute(sql).fetchall())
    cursor = wh.con.raw_sql(sql)
    try:
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


@contextmanager
def duckdb_transaction(raw: Any) -> Iterator[None]:
    """One transaction on a DuckDB connection: committed at the end, rolled back on error."""
    raw.begin()
    try:
        yield
    except BaseException:
        raw.rollback()
        raise
    raw.commit()


@contextmanager
def transaction(wh: Warehouse) -> Iterator[None]:
    if wh.backend == "duckdb":
        with duckdb_transaction(wh.con.con):
            yield
    elif wh.backend == "postgres":
        with wh.con.con.transaction():
            yield
    else:  # other engines: statements run one by one
        yield


@contextmanager
def staged(wh: Warehouse, arrow: pa.Table) -> Iterator[str]:
    """`arrow` visible to SQL under a temporary name for the duration of the block."""
    name = f"_kaname_stage_{uuid.uuid4().hex[:8]}"
    if wh.backend == "duckdb":
        raw = wh.con.con
        raw.register(name, arrow)
        try:
            yield name
        finally:
            raw.unregister(name)
    else:
        wh.con.create_table(name, arrow, temp=True)
        try:
            yield name
        finally:
            wh.con.drop_table(name, force=True)


def upsert(wh: Warehouse, table: str, arrow: pa.Table, dry_run: bool = False) -> UpsertCounts:
    """Merge `arrow` (canonical columns, key included, keys unique) into `table`."""
    spec = TABLES_BY_NAME[table]
    columns = [c for c in arrow.column_names if c != "_loaded_at"]
    values = [c for c in columns if c not in spec.key]
    total = arrow.num_rows
    if total == 0:
        return UpsertCounts(0, 0, 0)
    now = utcnow().isoformat(sep=" ")
    stamp = f"TIMESTAMP '{now}'"
    target = _q(table)
    with staged(wh, arrow) as stage:
        src = _q(stage)
        on = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in spec.key)
        differs = " OR ".join(f"t.{_q(c)} IS DISTINCT FROM s.{_q(c)}" for c in values) or "FALSE"
        empty = not execute(wh, f"SELECT 1 FROM {target} LIMIT 1")
        if empty:
            matched = changed = 0
        else:
            matched, changed = execute(
                wh,
                f"SELECT count(*), count(*) FILTER (WHERE {differs}) "
                f"FROM {src} s JOIN {target} t ON {on}",
            )[0]
            matched, changed = int(matched), int(changed or 0)
        counts = UpsertCounts(total - matched, changed, matched - changed)
        if dry_run:
            return counts
        cols = ", ".join(_q(c) for c in columns)
        with transaction(wh):
            if changed:
                sets = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in values)
                where = " AND ".join(f"{target}.{_q(k)} = s.{_q(k)}" for k in spec.key)
                diff_t = " OR ".join(f"{target}.{_q(c)} IS DISTINCT FROM s.{_q(c)}" for c in values)
                execute(
                    wh,
                    f'UPDATE {target} SET {sets}, "_loaded_at" = {stamp} '
                    f"FROM {src} s WHERE {where} AND ({diff_t})",
                )
            if counts.inserted:
                select = ", ".join(f"s.{_q(c)}" for c in columns)
                new_only = (
                    "" if empty else f" WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {on})"
                )
                execute(
                    wh,
                    f'INSERT INTO {target} ({cols}, "_loaded_at") '
                    f"SELECT {select}, {stamp} FROM {src} s{new_only}",
                )
    return counts


def delete_keys(wh: Warehouse, table: str, column: str, keys: list[str]) -> None:
    """Delete the rows of `table` whose `column` is one of `keys`."""
    if not keys:
        return
    with staged(wh, pa.table({"k": pa.array(keys, pa.string())})) as stage:
        execute(wh, f"DELETE FROM {_q(table)} WHERE {_q(column)} IN (SELECT k FROM {_q(stage)})")


def repoint(wh: Warehouse, table: str, column: str, old: list[str], new: str) -> int:
    """Set `column` to `new` where it is one of `old`; the number of rows changed."""
    if not old:
        return 0
    with staged(wh, pa.table({"k": pa.array(old, pa.string())})) as stage:
        count = execute(
            wh,
            f"SELECT count(*) FROM {_q(table)} WHERE {_q(column)} IN (SELECT k FROM {_q(stage)})",
        )[0][0]
        if count:
            now = utcnow().isoformat(sep=" ")
            literal = "'" + new.replace("'", "''") + "'"
            execute(
                wh,
                f"UPDATE {_q(table)} SET {_q(column)} = {literal}, "
                f"\"_loaded_at\" = TIMESTAMP '{now}' "
                f"WHERE {_q(column)} IN (SELECT k FROM {_q(stage)})",
            )
    return int(count)
