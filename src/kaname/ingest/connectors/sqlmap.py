"""The mapping spec applied inside DuckDB to a staged batch of raw records (their JSON `data`),
for streams whose fields are all strings (HubSpot CRM objects): each record's JSON is parsed once
into a struct of the mapped fields, plain string columns and ISO times are computed in SQL, and
mapped columns (values, defaults, channels, lookups, numbers) through a small table computed in
Python once per distinct value with the same code as `Mapper.rows`. The interpreter lock is held
for almost nothing, so the fetch loop keeps running while a batch is mapped.

Entries this cannot express (explode, where, if, non-string fields, other backends) go through
`Mapper.frame`; `compile_entry` returns None for them."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.ingest.connectors.mapping import Mapper
from kaname.store.upsert import duckdb_transaction
from kaname.store.upsert import quote_ident as _q

_ZONED_ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$"
_TYPES = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Column:
    name: str
    kind: str
    fields: list[str]
    spec: Any
    how: str
    """"plain" (a string as is), "time" (ISO time in SQL) or "map" (per distinct value)."""


@dataclass
class Compiled:
    table: str
    columns: list[Column]
    fields: list[str]


def compile_entry(entry: Mapping[str, Any], unsafe: set[str]) -> Compiled | None:
    """The entry's columns as SQL steps, or None when it needs the general mapper. `unsafe`
    holds the stream's field names whose values are not strings."""
    if entry.get("explode") or entry.get("where") or entry.get("aggregate"):
        return None
    table = TABLES_BY_NAME[str(entry["table"])]
    types = {c.name: c.type for c in table.columns}
    columns: list[Column] = []
    for name, spec in dict(entry.get("columns") or {}).items():
        kind = types[name]
        if isinstance(spec, str):
            fields, rest = [spec], False
        elif isinstance(spec, dict) and "field" in spec and "if" not in spec:
            raw = spec["field"]
            fields = [str(f) for f in (raw if isinstance(raw, list) else [raw])]
            rest = any(k != "field" for k in spec)
        else:
            return None  # const, if: rare, and cheap in the general mapper
        listed = any(f.endswith("_history") or f.startswith("associated_") for f in fields)
        if listed or unsafe.intersection(fields):
            return None
        how = "map"
        if not rest and kind == "string":
            how = "plain"
        elif not rest and kind == "timestamp":
            how = "time"
        columns.append(Column(name, kind, fields, spec, how))
    if not columns:
        return None
    used = sorted({f for c in columns for f in c.fields})
    return Compiled(str(entry["table"]), columns, used)


def _raw_expr(column: Column) -> str:
    parts = [f"NULLIF(d.{_q(f)}, '')" for f in column.fields]
    return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"


def apply(
    raw: Any,
    mapper: Mapper,
    compiled: Compiled,
    stage: str,
    columns: Collection[str] | None = None,
    keys: list[pa.Table] | None = None,
    transaction: bool = True,
) -> tuple[int, int]:
    """Upsert the live records of `stage` (id, deleted, data, _rn) into the canonical table and
    delete the keys of its deleted ones; returns (rows written, rows rejected). With `columns`,
    the stage already holds the records' fields as string columns of those names (a columnar
    batch) instead of a JSON `data` column. `keys` receives the table's keys of the rows
    written (an Arrow table). Without `transaction`, the caller has one open around it."""
    spec = TABLES_BY_NAME[compiled.table]
    zone = str(mapper.zone)
    parsed = f"_kaname_parsed_{uuid.uuid4().hex[:12]}"
    registered: list[str] = []
    if columns is None:
        struct = json.dumps(dict.fromkeys(compiled.fields, "VARCHAR"))
        raw.execute(
            f"CREATE TEMP TABLE {parsed} AS SELECT _rn, deleted, "
            f"unnest(json_transform(data, {_lit(struct)})) FROM {_q(stage)}"
        )
        drop = f"DROP TABLE IF EXISTS {parsed}"
    else:
        known = set(columns)
        fields = ", ".join(
            _q(f) if f in known else f"CAST(NULL AS VARCHAR) AS {_q(f)}" for f in compiled.fields
        )
        raw.execute(f"CREATE TEMP VIEW {parsed} AS SELECT _rn, deleted, {fields} FROM {_q(stage)}")
        drop = f"DROP VIEW IF EXISTS {parsed}"
    try:
        exprs: dict[str, str] = {}
        joins: list[str] = []
        # Time columns in SQL when every value is a zoned ISO time (one scan for all of them).
        times = [c for c in compiled.columns if c.how == "time"]
        not_iso = {}
        if times:
            checks = ", ".join(
                f"count(*) FILTER (WHERE {_raw_expr(c)} IS NOT NULL "
                f"AND NOT regexp_full_match({_raw_expr(c)}, {_lit(_ZONED_ISO)}))"
                for c in times
            )
            found = raw.execute(f"SELECT {checks} FROM {parsed} AS d").fetchone() or ()
            not_iso = {c.name: int(n or 0) for c, n in zip(times, found, strict=False)}
        for i, column in enumerate(compiled.columns):
            value = _raw_expr(column)
            if column.how == "time":
                if not_iso.get(column.name):
                    column = Column(column.name, column.kind, column.fields, column.spec, "map")
                else:
                    exprs[column.name] = f"timezone({_lit(zone)}, CAST({value} AS TIMESTAMPTZ))"
                    continue
            if column.how == "plain":
                exprs[column.name] = value
                continue
            query = f"SELECT DISTINCT {value} FROM {parsed} AS d"
            distinct = [row[0] for row in raw.execute(query).fetchall()]
            spec_one = dict(column.spec) if isinstance(column.spec, dict) else {}
            spec_one["field"] = "v"
            out = [mapper._value(spec_one, {"v": v}, column.kind) for v in distinct]
            name = f"_kaname_map_{uuid.uuid4().hex[:12]}"
            table = pa.table(
                {
                    "k": pa.array([v for v in distinct if v is not None], pa.string()),
                    "v": pa.array(
                        [o for v, o in zip(distinct, out, strict=True) if v is not None],
                        _TYPES[column.kind],
                    ),
                }
            )
            null = [o for v, o in zip(distinct, out, strict=True) if v is None]
            raw.register(name, table)
            registered.append(name)
            alias = f"m{i}"
            joins.append(f"LEFT JOIN {name} AS {alias} ON {alias}.k = {value}")
            if null and null[0] is not None:
                fallback = pa.array(null, _TYPES[column.kind])
                raw.register(name + "_null", pa.table({"v": fallback}))
                registered.append(name + "_null")
                exprs[column.name] = (
                    f"CASE WHEN {value} IS NULL THEN (SELECT v FROM {name}_null) ELSE {alias}.v END"
                )
            else:
                exprs[column.name] = f"{alias}.v"
        key = list(spec.key)
        required = [
            c.name
            for c in spec.columns
            if not c.nullable and c.name != "_loaded_at" and c.name in exprs
        ]
        names = list(exprs)
        select = ", ".join(f"{exprs[n]} AS {_q(n)}" for n in names)
        mapped = f"_kaname_mapped_{uuid.uuid4().hex[:12]}"
        raw.execute(
            f"CREATE TEMP TABLE {mapped} AS SELECT d._rn, d.deleted, {select} "
            f"FROM {parsed} AS d {' '.join(joins)}"
        )
        registered_tables = [mapped]
        try:
            ok = (
                " AND ".join(
                    [f"{_q(n)} IS NOT NULL" for n in required]
                    + [
                        f"NULLIF(CAST({_q(k)} AS VARCHAR), '') IS NOT NULL"
                        for k in key
                        if k != "campaign_id" and k in exprs
                    ]
                )
                or "TRUE"
            )
            counts = raw.execute(
                f"SELECT count(*) FILTER (WHERE NOT deleted AND NOT ({ok})), "
                f"count(*) FILTER (WHERE deleted) FROM {mapped}"
            ).fetchone()
            rejected = int(counts[0]) if counts else 0
            dead = int(counts[1]) if counts else 0
            cols = [c.name for c in spec.columns if c.name in exprs or c.name == "_loaded_at"]
            values = [
                "COALESCE(" + _q(c) + ", '')" if c == "campaign_id" and c in key else _q(c)
                for c in cols
                if c != "_loaded_at"
            ]
            target = ", ".join(_q(c) for c in cols)
            loaded = ", CAST(now() AS TIMESTAMP)" if "_loaded_at" in cols else ""
            cond = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in key)
            part = ", ".join(_q(k) for k in key)
            live = f"_kaname_live_{uuid.uuid4().hex[:12]}"
            raw.execute(
                f"CREATE TEMP TABLE {live} AS SELECT {', '.join(values)}{loaded} FROM {mapped} "
                f"WHERE NOT deleted AND {ok} "
                f"QUALIFY row_number() OVER (PARTITION BY {part} ORDER BY _rn DESC) = 1"
            )
            registered_tables.append(live)
            written_row = raw.execute(f"SELECT count(*) FROM {live}").fetchone()
            written = int(written_row[0]) if written_row else 0
            if keys is not None:
                keys.append(raw.execute(f"SELECT {part} FROM {live}").to_arrow_table())
            dead_keys = ", ".join(
                "COALESCE(" + _q(k) + ", '')" if k == "campaign_id" else _q(k) for k in key
            )
            table = _q(compiled.table)
            with duckdb_transaction(raw) if transaction else contextlib.nullcontext():
                raw.execute(
                    f"DELETE FROM {table} AS t WHERE EXISTS (SELECT 1 FROM {live} AS s "
                    f"WHERE {cond})"
                )
                raw.execute(f"INSERT INTO {table} ({target}) SELECT * FROM {live}")
                if dead and all(k in exprs for k in key):
                    raw.execute(
                        f"DELETE FROM {table} AS t WHERE EXISTS (SELECT 1 FROM "
                        f"(SELECT {dead_keys} FROM {mapped} WHERE deleted) AS s WHERE {cond})"
                    )
        finally:
            for name in registered_tables:
                raw.execute(f"DROP TABLE IF EXISTS {name}")
        return written, rejected
    finally:
        raw.execute(drop)
        for name in registered:
            raw.unregister(name)
