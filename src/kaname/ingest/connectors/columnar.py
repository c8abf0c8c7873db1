"""Reading a stream's records from its page bodies in bulk, for streams whose records all have
one known shape (HubSpot CRM objects).

The fetch loop only keeps each page's body (it decodes it once for the paging cursor, as any
client must); the writer thread hands a batch of bodies to Arrow's JSON reader, which parses them
without holding the interpreter lock, and DuckDB writes the raw rows (one column per flattened
field, see `raw_columns`) and the mapped canonical columns from the parsed columns. No per-record
Python runs, so fetching continues at the pace of the network while a batch is written.

When the bodies do not fit the declared shape (a value of another type, a body that is not an
object per page) `read_pages` raises `ColumnarError`, and the caller falls back to decoding the
bodies and building one record each with `ColumnarSpec.record`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from kaname.store.upsert import quote_ident as _q


class ColumnarError(ValueError):
    """The page bodies do not have the shape the spec declares."""


@dataclass(frozen=True)
class ColumnarSpec:
    """The shape of a page and of its records, and how a record is flattened.

    A record's flattened form is `key`, then the fields of `nested` lifted to the top level, then
    `fields`, then `flags` — the same object `record(obj).data` gives, with every declared field
    present (null when the source left it out)."""

    records: str
    """The page's key holding the list of records ("results")."""
    key: str
    """The record's source key field ("id")."""
    nested: str
    """A struct whose fields are lifted to the top level ("properties")."""
    nested_fields: tuple[str, ...]
    """Fields of `nested` kept (the properties the connector requests); all strings."""
    fields: tuple[str, ...] = ()
    """Other top-level string fields kept ("createdAt", "updatedAt")."""
    flags: tuple[str, ...] = ()
    """Top-level boolean fields kept ("archived")."""
    modified: tuple[str, ...] = ()
    """Flattened fields holding the modified time (ISO 8601 with a zone), first non-empty wins."""
    deleted: str | None = None
    """A flag that marks the record deleted ("archived")."""
    record: Callable[[dict[str, Any]], Any] | None = field(default=None, compare=False)
    """Builds one RawRecord from a decoded record: the fallback when bulk parsing fails."""

    @property
    def flat_fields(self) -> list[str]:
        """Field names of the flattened record, in order (names repeated later are dropped)."""
        out: list[str] = []
        for name in (self.key, *self.nested_fields, *self.fields, *self.flags):
            if name not in out:
                out.append(name)
        return out

    def arrow_schema(self) -> pa.Schema:
        top = [(self.key, pa.string())]
        top += [(f, pa.string()) for f in self.fields if f != self.key]
        top += [(f, pa.bool_()) for f in self.flags]
        nested = pa.struct([(f, pa.string()) for f in self.nested_fields])
        record = pa.struct([*top, (self.nested, nested)])
        return pa.schema([(self.records, pa.list_(record))])


def read_pages(spec: ColumnarSpec, bodies: list[bytes]) -> pa.Table:
    """The records of every page as one flat table: `_rn` (order across the pages) and one
    column per flattened field. Raises ColumnarError when a body does not fit the spec."""
    # JSON allows a line break only between tokens (inside strings it is escaped), so a body
    # made one line is the same JSON; one body per line is what Arrow's reader takes.
    data = b"\n".join(b.replace(b"\r", b" ").replace(b"\n", b" ") for b in bodies if b.strip())
    if not data:
        return _empty(spec)
    options = pa_json.ParseOptions(
        explicit_schema=spec.arrow_schema(), unexpected_field_behavior="ignore"
    )
    try:
        table = pa_json.read_json(
            io.BytesIO(data),
            read_options=pa_json.ReadOptions(block_size=max(len(data) + 1, 1 << 20)),
            parse_options=options,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise ColumnarError(str(exc)) from exc
    chunks = [c.flatten() for c in table.column(spec.records).chunks]
    records = pa.concat_arrays(chunks) if chunks else None
    if records is None or len(records) == 0:
        return _empty(spec)
    columns: dict[str, pa.Array] = {"_rn": pa.array(range(len(records)), pa.int64())}
    nested = records.field(spec.nested)
    top = {*spec.fields, *spec.flags, spec.key}
    for name in spec.flat_fields:
        if name in top:
            columns[name] = records.field(name)
        else:
            columns[name] = nested.field(name)
    return pa.table(columns)


def decode_pages(spec: ColumnarSpec, bodies: list[bytes]) -> list[Any]:
    """The fallback: every record of every page through `spec.record`, in order."""
    if spec.record is None:
        raise ColumnarError("no record builder to fall back on")
    out: list[Any] = []
    for body in bodies:
        if not body.strip():
            continue
        page = orjson.loads(body)
        out.extend(spec.record(obj) for obj in page.get(spec.records) or [])
    return out


def _empty(spec: ColumnarSpec) -> pa.Table:
    flags = set(spec.flags)
    columns = {"_rn": pa.array([], pa.int64())}
    for name in spec.flat_fields:
        columns[name] = pa.array([], pa.bool_() if name in flags else pa.string())
    return pa.table(columns)


def stage_table(spec: ColumnarSpec, flat: pa.Table) -> pa.Table:
    """A `read_pages` table ready to stage: `_id` (the key as text), `deleted`, flags without
    nulls (Arrow compute, no per-record Python)."""
    columns: dict[str, pa.Array] = {}
    for name in flat.column_names:
        column = flat.column(name)
        if name in spec.flags:
            column = pc.fill_null(column, False)
        columns[name] = column
    columns["_id"] = pc.cast(flat.column(spec.key), pa.string())
    columns["deleted"] = (
        columns[spec.deleted] if spec.deleted else pa.repeat(pa.scalar(False), flat.num_rows)
    )
    return pa.table(columns)


def _modified(spec: ColumnarSpec) -> str:
    if not spec.modified:
        return "CAST(NULL AS TIMESTAMP)"
    stamps = ", ".join(f"NULLIF({_q(f)}, '')" for f in spec.modified)
    stamp = stamps if len(spec.modified) == 1 else f"COALESCE({stamps})"
    return f"timezone('UTC', TRY_CAST({stamp} AS TIMESTAMPTZ))"


META = ("id", "modified_at", "deleted", "_loaded_at")
"""The columns every raw table starts with; a columnar one then has one column per field."""


def raw_columns(spec: ColumnarSpec) -> dict[str, str]:
    """A columnar raw table's columns and their DuckDB types: META, then every flattened field
    but the key (which is `id`)."""
    flags = set(spec.flags)
    out = {
        "id": "VARCHAR",
        "modified_at": "TIMESTAMP",
        "deleted": "BOOLEAN",
        "_loaded_at": "TIMESTAMP",
    }
    for name in spec.flat_fields:
        if name != spec.key:
            out[name] = "BOOLEAN" if name in flags else "VARCHAR"
    return out


def raw_rows_select(spec: ColumnarSpec, stage: str, loaded_at: str) -> str:
    """SQL giving the raw table's rows (META, then the fields) from a `stage_table`, the last
    of duplicate ids winning; `loaded_at` is a SQL timestamp expression."""
    fields = "".join(f", {_q(f)}" for f in raw_columns(spec) if f not in META)
    return (
        f"SELECT _id AS id, {_modified(spec)} AS modified_at, deleted, {loaded_at} AS _loaded_at"
        f"{fields} FROM {_q(stage)} WHERE _id IS NOT NULL "
        f"QUALIFY row_number() OVER (PARTITION BY _id ORDER BY _rn DESC) = 1"
    )


def records_table(spec: ColumnarSpec, records: list[Any]) -> pa.Table:
    """RawRecords (pages read one at a time: archived listings, the fallback) in the layout of
    `read_pages`; a record the source marks deleted has its `deleted` flag set."""
    if not records:
        return _empty(spec)
    flags = set(spec.flags)
    data = [r.data for r in records]
    columns: dict[str, pa.Array] = {"_rn": pa.array(range(len(records)), pa.int64())}
    for name in spec.flat_fields:
        values = [d.get(name) for d in data]
        if name == spec.deleted:
            values = [bool(v) or bool(r.deleted) for v, r in zip(values, records, strict=True)]
        if name in flags:
            columns[name] = pa.array([None if v is None else bool(v) for v in values], pa.bool_())
        else:
            columns[name] = pa.array(
                [None if v is None else v if isinstance(v, str) else str(v) for v in values],
                pa.string(),
            )
    return pa.table(columns)
