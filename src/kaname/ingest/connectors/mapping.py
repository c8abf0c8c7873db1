"""Raw → canonical mapping: data, not code, so a workspace can edit it in YAML.

A mapping has a `channels` table (source label → channel id) and a list of `tables` entries, each
mapping one raw stream into one canonical table:

    timezone: Asia/Tokyo          # source timestamps are converted to this local time
    channels: {ORGANIC_SEARCH: owned_media, PAID_SEARCH: paid_ads}
    tables:
      - table: leads
        from: contacts
        columns:
          lead_id: id                                  # a field of the raw record
          created_at: createdate                       # converted to the column's type
          channel: {field: hs_analytics_source, channel: true}
          status: {field: lifecyclestage, values: {salesqualifiedlead: sql}, default: open}
          type: {const: email_open}
          lead_id: {field: recipient, lookup: {table: leads, by: email, take: lead_id}}
        where: {field: Type, in: [Call]}               # optional row filter
        explode: stage_history                         # optional: one row per list item (item.x)
        aggregate: sum                                 # optional: sum rows sharing a key

A column spec may also `scale` a number, and `if: FIELD` keeps the value only when FIELD is true.

`<workspace>/connectors/<source>.mapping.yaml` overrides the default: its `channels` are merged and
each of its `tables` entries replaces the default entry with the same `table` and `from`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

from kaname.canonical.channels import normalise_channel
from kaname.canonical.tables import TABLES_BY_NAME

MAPPING_DIR = "connectors"

Lookup = Callable[[str, str, str], dict[str, Any]]
"""lookup(table, by, take) → {by value: take value} from the canonical tables."""


class MappingError(Exception):
    """A mapping file or entry is invalid; the message names the entry."""


def mapping_path(root: Path, source: str) -> Path:
    return root / MAPPING_DIR / f"{source}.mapping.yaml"


def effective_mapping(default: Mapping[str, Any], root: Path, source: str) -> dict[str, Any]:
    """The default mapping with the workspace's YAML override applied, validated."""
    merged: dict[str, Any] = {
        "timezone": default.get("timezone", "Asia/Tokyo"),
        "channels": dict(default.get("channels", {})),
        "tables": [dict(e) for e in default.get("tables", [])],
    }
    path = mapping_path(root, source)
    if path.exists():
        try:
            override = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise MappingError(f"{path}: {exc}") from exc
        if not isinstance(override, dict):
            raise MappingError(f"{path}: expected a mapping with channels and tables")
        merged["timezone"] = override.get("timezone", merged["timezone"])
        merged["channels"].update(override.get("channels") or {})
        for entry in override.get("tables") or []:
            key = (entry.get("table"), entry.get("from"))
            merged["tables"] = [
                e for e in merged["tables"] if (e.get("table"), e.get("from")) != key
            ]
            merged["tables"].append(dict(entry))
    validate(merged, str(path))
    return merged


def validate(mapping: Mapping[str, Any], where: str = "mapping") -> None:
    try:
        ZoneInfo(str(mapping.get("timezone", "UTC")))
    except (KeyError, ValueError) as exc:
        raise MappingError(f"{where}: unknown timezone {mapping.get('timezone')!r}") from exc
    for channel_id in (mapping.get("channels") or {}).values():
        if channel_id and normalise_channel(str(channel_id)) != channel_id:
            raise MappingError(f"{where}: {channel_id!r} is not a channel id")
    for entry in mapping.get("tables", []):
        table = TABLES_BY_NAME.get(str(entry.get("table")))
        if table is None:
            raise MappingError(f"{where}: unknown canonical table {entry.get('table')!r}")
        if not entry.get("from"):
            raise MappingError(f"{where}: {table.name} entry has no `from` stream")
        columns = entry.get("columns") or {}
        unknown = set(columns) - set(table.column_names)
        if unknown:
            raise MappingError(f"{where}: {table.name} has no column {', '.join(sorted(unknown))}")
        missing = [k for k in table.key if k not in columns]
        if missing:
            raise MappingError(
                f"{where}: {table.name} from {entry['from']} must map its key {', '.join(missing)}"
            )


_KEEP = object()


def _zoned_iso(value: Any) -> bool:
    """An ISO 8601 date-time with Z or an offset (pandas parses those exactly like
    parse_timestamp; naive times and epoch numbers take the per-value path)."""
    return (
        isinstance(value, str)
        and len(value) > 19
        and value[10] == "T"
        and (value[-1] == "Z" or value[-5] in "+-" or value[-6] in "+-")
    )


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values == "")


def _all_str(values: pd.Series) -> bool:
    """Every present value is a str (checked in C, not one Python call per value)."""
    return bool(pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"))


def _map_unique(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """`values.map(fn)` calling fn once per distinct value (None for missing ones): mapped
    columns (channels, value tables, lookups) hold few distinct values in many rows."""
    array = values.to_numpy(dtype=object)
    try:
        codes, uniques = pd.factorize(array)
    except TypeError:  # unhashable values (lists): one call per value
        return values.map(fn)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [fn(u) for u in uniques]
    mapped[-1] = fn(None)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def parse_timestamp(value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """ISO 8601 (with Z or +0000), epoch milliseconds, or a date → naive local time."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        stamp = dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
            text = text[:-2] + ":" + text[-2:]  # Salesforce: +0000
        stamp = dt.datetime.fromisoformat(text)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(zone).replace(tzinfo=None)
    return stamp


def _convert(value: Any, kind: str, zone: dt.tzinfo) -> Any:
    if value is None or value == "":
        return None
    if kind == "timestamp":
        return parse_timestamp(value, zone)
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        text = str(value)
        if len(text) == 8 and text.isdigit():  # GA4: YYYYMMDD
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        stamp = parse_timestamp(value, zone)
        return stamp.date() if stamp else None
    if kind in ("int32", "int64"):
        return int(float(value))
    if kind == "float64":
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
    return (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, dict | list)
        else str(value)
    )


class Mapper:
    """Applies one effective mapping to raw records of a stream."""

    def __init__(self, mapping: Mapping[str, Any], lookup: Lookup | None = None) -> None:
        self.mapping = mapping
        self.zone = ZoneInfo(str(mapping.get("timezone", "UTC")))
        self.channels = {str(k).lower(): v for k, v in (mapping.get("channels") or {}).items()}
        self._lookup = lookup
        self._lookups: dict[tuple[str, str, str], dict[str, Any]] = {}

    def entries(self, stream: str) -> list[dict[str, Any]]:
        return [e for e in self.mapping.get("tables", []) if e.get("from") == stream]

    def channel(self, raw: Any) -> str | None:
        if raw is None or raw == "":
            return None
        label = str(raw).strip()
        return self.channels.get(label.lower()) or normalise_channel(label)

    def rows(
        self, entry: Mapping[str, Any], records: Iterable[Mapping[str, Any]]
    ) -> tuple[list[dict[str, Any]], int]:
        """Canonical rows for the records, and how many were left out for a missing key or
        required value."""
        table = TABLES_BY_NAME[str(entry["table"])]
        types = {c.name: c.type for c in table.columns}
        required = [c.name for c in table.columns if not c.nullable and c.name != "_loaded_at"]
        columns: dict[str, Any] = dict(entry.get("columns") or {})
        where = entry.get("where")
        explode = entry.get("explode")
        out: list[dict[str, Any]] = []
        rejected = 0
        for record in records:
            items: Iterable[Mapping[str, Any]]
            if explode:
                listed = record.get(explode) or []
                items = [
                    {**record, **{f"item.{k}": v for k, v in dict(item).items()}} for item in listed
                ]
            else:
                items = (record,)
            for data in items:
                if where and not self._matches(where, data):
                    continue
                row = {name: self._value(spec, data, types[name]) for name, spec in columns.items()}
                if any(row.get(name) is None for name in required if name in columns) or any(
                    row.get(k) in (None, "") and k != "campaign_id" for k in table.key
                ):
                    rejected += 1
                    continue
                out.append(row)
        return out, rejected

    def frame(
        self, entry: Mapping[str, Any], records: list[Mapping[str, Any]], keys_only: bool = False
    ) -> tuple[pd.DataFrame, int]:
        """The same rows as `rows`, computed column-wise (pandas) for a whole batch: one list
        comprehension per source field, then vectorised conversions. Entries with `explode` go
        through `rows`. With `keys_only`, only the table's key columns (to delete rows)."""
        table = TABLES_BY_NAME[str(entry["table"])]
        columns: dict[str, Any] = dict(entry.get("columns") or {})
        if keys_only:
            columns = {k: v for k, v in columns.items() if k in table.key}
            entry = {**entry, "where": None, "columns": columns}
        if entry.get("explode"):
            rows, rejected = self.rows(entry, records)
            return pd.DataFrame(rows, columns=list(columns)), rejected
        types = {c.name: c.type for c in table.columns}
        required = [c.name for c in table.columns if not c.nullable and c.name != "_loaded_at"]
        fields: dict[str, pd.Series] = {}

        def field(name: str) -> pd.Series:
            if name not in fields:
                fields[name] = pd.Series([r.get(name) for r in records], dtype=object)
            return fields[name]

        where = entry.get("where")
        keep = np.ones(len(records), dtype=bool)
        if where:
            values = field(str(where["field"]))
            if "in" in where:
                keep &= values.isin(list(where["in"])).to_numpy()
            elif "not_in" in where:
                keep &= ~values.isin(list(where["not_in"])).to_numpy()
            elif "equals" in where:
                keep &= (values == where["equals"]).to_numpy()
            else:
                keep &= ~_blank(values).to_numpy()
        out = {
            name: self._column(spec, field, types[name], len(records))
            for name, spec in columns.items()
        }
        frame = pd.DataFrame(out, index=range(len(records)))
        ok = keep.copy()
        for name in required:
            if name in frame:
                ok &= frame[name].notna().to_numpy()
        for k in table.key:
            if k != "campaign_id" and k in frame:
                ok &= ~_blank(frame[k]).to_numpy()
        rejected = int(keep.sum() - ok.sum())
        return frame[ok].reset_index(drop=True), rejected

    def _column(self, spec: Any, field: Callable[[str], pd.Series], kind: str, n: int) -> pd.Series:
        if isinstance(spec, str):
            return self._convert_series(field(spec), kind)
        if not isinstance(spec, dict):
            raise MappingError(f"column spec must be a field name or a mapping, not {spec!r}")
        if "const" in spec:
            value = _convert(spec["const"], kind, self.zone)
            return pd.Series([value] * n, dtype=object)
        names = spec.get("field")
        raw: pd.Series | None = None
        for name in names if isinstance(names, list) else [names]:
            values = field(str(name))
            raw = values if raw is None else raw.where(~_blank(raw), values)
        assert raw is not None
        if "values" in spec:
            table = {str(k): v for k, v in spec["values"].items()}
            default = spec.get("default", _KEEP)
            present = raw.notna().to_numpy()
            mapped = _map_unique(raw, lambda v: _KEEP if v is None else table.get(str(v), _KEEP))
            kept = mapped.to_numpy() == _KEEP
            mapped = mapped.where(~kept, raw if default is _KEEP else default)
            raw = mapped.where(present, None)
        if "default" in spec:
            raw = raw.where(~_blank(raw), spec["default"])
        if spec.get("channel"):
            raw = _map_unique(raw, self.channel)
        if "lookup" in spec:
            ref = spec["lookup"]
            found = self._lookup_table(str(ref["table"]), str(ref["by"]), str(ref["take"]))
            lower = ref.get("lower", True)
            raw = _map_unique(
                raw, lambda v: None if v is None else found.get(str(v).lower() if lower else str(v))
            )
        if "scale" in spec:
            raw = pd.to_numeric(raw, errors="coerce") * float(spec["scale"])
        if "if" in spec:
            flag = field(str(spec["if"])).map(lambda v: str(v).lower() in ("true", "1"))
            raw = raw.where(flag.to_numpy(dtype=bool), None)
        return self._convert_series(raw, kind)

    def _convert_series(self, values: pd.Series, kind: str) -> pd.Series:
        values = values.astype(object).where(~_blank(values), None)
        if kind == "string":
            if _all_str(values):
                return values
            return values.map(lambda v: v if v is None else _convert(v, kind, self.zone))
        if kind == "timestamp":
            return self._timestamps(values)
        if kind == "date":
            present = values[values.notna()]
            if len(present) and all(_zoned_iso(v) for v in present.to_numpy()):
                return self._timestamps(values).map(lambda v: None if pd.isna(v) else v.date())
            return values.map(lambda v: None if v is None else _convert(v, kind, self.zone))
        if kind in ("int32", "int64"):
            return np.trunc(pd.to_numeric(values, errors="coerce")).astype("Int64")
        if kind == "float64":
            return pd.to_numeric(values, errors="coerce").astype("float64")
        if kind == "boolean":
            return values.map(
                lambda v: (
                    None
                    if v is None
                    else v
                    if isinstance(v, bool)
                    else str(v).lower() in ("true", "1", "yes")
                )
            )
        return values

    def _timestamps(self, values: pd.Series) -> pd.Series:
        present = values.notna()
        if not present.any():
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
        if all(_zoned_iso(v) for v in values[present].to_numpy()):
            try:
                stamps = pd.to_datetime(values, utc=True, format="ISO8601")
                local = stamps.dt.tz_convert(self.zone).dt.tz_localize(None)
                return local.astype("datetime64[us]")
            except (ValueError, TypeError):
                pass
        converted = values.map(lambda v: None if v is None else _convert(v, "timestamp", self.zone))
        return pd.to_datetime(converted).astype("datetime64[us]")

    def aggregate(
        self, entry: Mapping[str, Any], rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Rows with the same key summed (`aggregate: sum`): several source rows (GA4 channel
        groups) that land on one canonical key (date × channel)."""
        if entry.get("aggregate") != "sum":
            return rows
        table = TABLES_BY_NAME[str(entry["table"])]
        numeric = {c.name for c in table.columns if c.type in ("int32", "int64", "float64")}
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            key = tuple(row.get(k) for k in table.key)
            current = out.get(key)
            if current is None:
                out[key] = dict(row)
                continue
            for name, value in row.items():
                if name in numeric and name not in table.key and value is not None:
                    current[name] = (current.get(name) or 0) + value
        return list(out.values())

    def _matches(self, where: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
        value = data.get(str(where["field"]))
        if "in" in where:
            return value in where["in"]
        if "not_in" in where:
            return value not in where["not_in"]
        if "equals" in where:
            return bool(value == where["equals"])
        return value not in (None, "")

    def _value(self, spec: Any, data: Mapping[str, Any], kind: str) -> Any:
        if isinstance(spec, str):
            return _convert(data.get(spec), kind, self.zone)
        if not isinstance(spec, dict):
            raise MappingError(f"column spec must be a field name or a mapping, not {spec!r}")
        if "const" in spec:
            return _convert(spec["const"], kind, self.zone)
        if "if" in spec and str(data.get(str(spec["if"]))).lower() not in ("true", "1"):
            return None  # e.g. Salesforce CloseDate only means closed when IsClosed
        raw = None
        fields = spec.get("field")
        for name in fields if isinstance(fields, list) else [fields]:
            raw = data.get(str(name))
            if raw not in (None, ""):
                break
        if "values" in spec and raw is not None:
            raw = spec["values"].get(str(raw), spec.get("default", raw))
        if raw in (None, "") and "default" in spec:
            raw = spec["default"]
        if spec.get("channel"):
            raw = self.channel(raw)
        if "lookup" in spec and raw is not None:
            ref = spec["lookup"]
            raw = self._lookup_table(str(ref["table"]), str(ref["by"]), str(ref["take"])).get(
                str(raw).lower() if ref.get("lower", True) else str(raw)
            )
        if "scale" in spec and raw is not None:
            raw = float(raw) * float(spec["scale"])
        return _convert(raw, kind, self.zone)

    def _lookup_table(self, table: str, by: str, take: str) -> dict[str, Any]:
        key = (table, by, take)
        if key not in self._lookups:
            found = self._lookup(table, by, take) if self._lookup else {}
            self._lookups[key] = {str(k).lower(): v for k, v in found.items() if k is not None}
        return self._lookups[key]
