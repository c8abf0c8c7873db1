"""Dimensions from the user's own data: product, region, industry or any column an import mapping
declares as a dimension (`dimensions:` in the mapping), kept beside the canonical tables.

One row per (table, record, dimension) in the warehouse table `record_dimensions`, so a new
dimension needs no change to the canonical schema and works on every backend: the metric engine
joins the values onto the leads or opportunities it counts (metrics/engine.py). Re-importing a
record replaces its values; a record with no value for a dimension counts as 未設定/(none).
"""

from __future__ import annotations

import re

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from kaname.store.upsert import execute, staged, transaction
from kaname.store.warehouse import Warehouse

RECORD_DIMENSIONS = "record_dimensions"
SCHEMA = {"table_name": "string", "record_id": "string", "dimension": "string", "value": "string"}
KEYS = {"leads": "lead_id", "opportunities": "opportunity_id"}
"""The tables a user dimension can describe, with the column that names a record."""
BUILT_IN = ("channel", "campaign", "segment", "owner", "stage")
"""Dimensions the canonical tables already have: a user dimension may not take their names."""
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class DimensionError(ValueError):
    """A dimension name is not usable; the message says why."""


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise DimensionError(
            f"dimension name {name!r} must be lower-case letters, digits and _ (e.g. product)"
        )
    if name in BUILT_IN:
        raise DimensionError(f"{name!r} is a built-in dimension; map the column to it instead")
    return name


def ensure_table(wh: Warehouse) -> None:
    if RECORD_DIMENSIONS not in wh.con.list_tables():
        wh.con.create_table(RECORD_DIMENSIONS, schema=ibis.schema(SCHEMA))


def replace_values(wh: Warehouse, table: str, ids: pa.Array, values: dict[str, pa.Array]) -> int:
    """Set the dimension values of the records `ids` of `table` (one array per dimension, null
    for none), replacing what they had for those dimensions; the number of values stored."""
    if table not in KEYS or not values or not len(ids):
        return 0
    ensure_table(wh)
    parts = []
    for name, column in values.items():
        check_name(name)
        mask = pc.is_valid(column)
        text = pc.utf8_trim_whitespace(column.cast(pa.string()).filter(mask))
        keep = pc.not_equal(text, "")
        kept_ids = ids.filter(mask).filter(keep)
        parts.append(
            pa.table(
                {
                    "table_name": pa.array([table] * len(kept_ids), pa.string()),
                    "record_id": kept_ids.cast(pa.string()),
                    "dimension": pa.array([name] * len(kept_ids), pa.string()),
                    "value": text.filter(keep),
                }
            )
        )
    rows = pa.concat_tables(parts)
    touched = pa.table({"record_id": ids.cast(pa.string())})
    names = ", ".join(f"'{n}'" for n in values)
    columns = ", ".join(f'"{c}"' for c in SCHEMA)
    with staged(wh, touched) as old, staged(wh, rows) as new, transaction(wh):
        execute(
            wh,
            f"DELETE FROM {RECORD_DIMENSIONS} WHERE table_name = '{table}' "
            f"AND dimension IN ({names}) "
            f'AND record_id IN (SELECT record_id FROM "{old}")',
        )
        execute(wh, f'INSERT INTO {RECORD_DIMENSIONS} ({columns}) SELECT {columns} FROM "{new}"')
    wh.forget()
    return int(rows.num_rows)


def available(wh: Warehouse) -> dict[str, tuple[str, ...]]:
    """{table: the user dimensions its records have values for}. Read once and kept in the
    warehouse's memo until it is written (`replace_values`, or `Warehouse.forget()` after a
    change elsewhere): every metric engine the workspace builds asks for it."""
    memo = getattr(wh, "memo", None)
    if memo is not None and "user_dimensions" in memo:
        return dict(memo["user_dimensions"])
    found = _available(wh)
    if memo is not None:
        memo["user_dimensions"] = found
    return dict(found)


def _available(wh: Warehouse) -> dict[str, tuple[str, ...]]:
    if RECORD_DIMENSIONS not in wh.con.list_tables():
        return {}
    t = wh.con.table(RECORD_DIMENSIONS)
    frame = t.select("table_name", "dimension").distinct().execute()
    out: dict[str, list[str]] = {}
    for rec in frame.itertuples(index=False):
        out.setdefault(str(rec.table_name), []).append(str(rec.dimension))
    return {k: tuple(sorted(v)) for k, v in out.items()}
