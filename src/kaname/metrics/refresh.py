"""Materialise KPI values into the warehouse table `kpi_values` for dashboards and trends.

A full refresh recomputes every period the data covers; an incremental one recomputes only the
periods that rows loaded since the last refresh touch (by any of their time columns). Each job
(grain × dimension × view) computes first, then replaces its rows in one transaction, so a
refresh killed midway leaves every job's values whole: new ones or the previous ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ibis
import pandas as pd
import pyarrow as pa

from kaname.canonical.tables import TABLES
from kaname.clock import utcnow
from kaname.metrics.calendar import Grain, bucket_start
from kaname.metrics.engine import MetricEngine, MetricQuery, View
from kaname.store.upsert import execute, staged, transaction
from kaname.store.warehouse import Warehouse

KPI_VALUES = "kpi_values"
KPI_VALUES_SCHEMA = {
    "kpi": "string",
    "grain": "string",
    "view": "string",
    "period_start": "date",
    "dimension": "string",
    "dimension_value": "string",
    "value": "float64",
    "note": "string",
    "computed_at": "timestamp",
}
DEFAULT_GRAINS = (Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.YEAR)
DEFAULT_DIMENSIONS: tuple[str | None, ...] = (None, "channel", "segment")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RefreshPlan:
    grains: Sequence[Grain] = DEFAULT_GRAINS
    dimensions: Sequence[str | None] = DEFAULT_DIMENSIONS
    views: Sequence[View] = ("period", "cohort")


@dataclass(frozen=True)
class RefreshResult:
    mode: str
    from_date: dt.date | None
    rows: int
    jobs: int
    redone: tuple[int, ...] = ()
    """Refresh runs that had not finished (killed or failed) and this one did again."""


def changed_since(engine: MetricEngine, con: object, since: dt.datetime) -> dt.date | None:
    """Earliest day any row loaded after `since` refers to (None when nothing changed)."""
    from kaname.metrics.engine import _TIME_OF_TABLE

    earliest: dt.date | None = None
    for table in TABLES:
        t = engine.tables[table.name]
        changed = t.filter(t._loaded_at > ibis.literal(since, type="timestamp"))
        aggs = {f"m{i}": changed[c].min() for i, c in enumerate(_TIME_OF_TABLE[table.name])}
        row = changed.aggregate(**aggs).execute().iloc[0]
        for value in row:
            if not pd.isna(value):
                day = pd.Timestamp(value).date()
                earliest = day if earliest is None or day < earliest else earliest
    return earliest


def refresh(
    engine: MetricEngine,
    wh: Warehouse,
    plan: RefreshPlan,
    as_of: dt.date,
    from_date: dt.date | None = None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Recompute KPI values from `from_date` (None = everything) and replace them in kpi_values,
    one job at a time, each in its own transaction."""
    window = engine.window()
    _ensure_table(wh.con)
    mode = "full" if from_date is None else "incremental"
    if window is None:
        return RefreshResult(mode, from_date, 0, 0)
    first = window[0] if from_date is None else max(from_date, window[0])
    last = min(window[1], as_of)
    jobs = [(g, d, v) for g in plan.grains for d in plan.dimensions for v in plan.views]
    now = utcnow()
    total = 0
    rewrite: list[tuple[str, pa.Table]] | None = [] if wh.backend == "pyspark" else None
    for done, (grain, dim, view) in enumerate(jobs, start=1):
        kpis = tuple(
            k.id
            for k in engine.catalog
            if (dim is None or dim in engine.catalog.dimensions_of(k.id))
            and (view == "period" or engine.catalog.has_cohort_view(k.id))
        )
        start = bucket_start(first, grain, engine.fy_start_month)
        frame = pd.DataFrame()
        if kpis and start <= last:
            query = MetricQuery(kpis, grain, start, last, (dim,) if dim else (), view, as_of)
            frame = engine.compute(query)
        rows = _rows(frame, grain, view, dim, now)
        if rewrite is not None:
            rewrite.append((_selected(grain, view, dim, start), rows))
            total += rows.num_rows
        else:
            total += _replace(wh, rows, grain, view, dim, start)
        if progress:
            progress(f"{grain} × {dim or 'total'} × {view}", done, len(jobs))
    if rewrite:
        _rewrite(wh, rewrite)
    return RefreshResult(mode, from_date, total, len(jobs))


def _ensure_table(con: object) -> None:
    if KPI_VALUES not in con.list_tables():  # type: ignore[attr-defined]
        con.create_table(KPI_VALUES, schema=ibis.schema(KPI_VALUES_SCHEMA))  # type: ignore[attr-defined]


def _rows(
    frame: pd.DataFrame, grain: Grain, view: str, dim: str | None, now: dt.datetime
) -> pa.Table:
    schema = ibis.schema(KPI_VALUES_SCHEMA).to_pyarrow()
    if frame.empty:
        return schema.empty_table()
    out = pd.DataFrame(
        {
            "kpi": frame["kpi"].astype(str),
            "grain": str(grain),
            "view": view,
            "period_start": pd.to_datetime(frame["period_start"]).dt.date,
            "dimension": dim or "",
            "dimension_value": frame[dim].astype(str) if dim else "",
            "value": frame["value"].astype("float64"),
            "note": frame["note"].astype(str),
            "computed_at": now,
        }
    )
    return pa.Table.from_pandas(out, schema=schema, preserve_index=False)


def _selected(grain: Grain, view: str, dim: str | None, start: dt.date) -> str:
    """The SQL condition selecting one job's values from `start` on."""
    return (
        f"grain = '{grain}' AND view = '{view}' "
        f"AND dimension = '{dim or ''}' AND period_start >= DATE '{start.isoformat()}'"
    )


def _replace(
    wh: Warehouse, rows: pa.Table, grain: Grain, view: str, dim: str | None, start: dt.date
) -> int:
    """One job's values from `start` on replaced by `rows`, in one transaction."""
    delete = f"DELETE FROM {KPI_VALUES} WHERE {_selected(grain, view, dim, start)}"
    if not rows.num_rows:
        execute(wh, delete)
        return 0
    columns = ", ".join(f'"{c}"' for c in KPI_VALUES_SCHEMA)
    with staged(wh, rows) as stage, transaction(wh):
        execute(wh, delete)
        execute(wh, f'INSERT INTO {KPI_VALUES} ({columns}) SELECT {columns} FROM "{stage}"')
    return int(rows.num_rows)


def _rewrite(wh: Warehouse, jobs: list[tuple[str, pa.Table]]) -> None:
    """Spark: its tables take no DELETE and no transaction, so the values no job selects, then
    every job's new rows, overwrite the table once at the end (a refresh stopped midway leaves
    the previous values whole). The kept rows are read first: Spark cannot overwrite a table
    while it reads it."""
    session = wh.con._session  # the Spark session Ibis wraps
    selected = " OR ".join(f"({condition})" for condition, _ in jobs)
    new = pa.concat_tables([rows for _, rows in jobs])
    kept = session.table(KPI_VALUES).where(f"NOT ({selected})").toArrow()
    whole = pa.concat_tables([kept.cast(new.schema), new]) if kept.num_rows else new
    session.createDataFrame(whole).write.insertInto(KPI_VALUES, overwrite=True)


def read_values(
    con: object, kpi: str, grain: Grain, view: str = "period", dimension: str = ""
) -> pd.DataFrame:
    t = con.table(KPI_VALUES)  # type: ignore[attr-defined]
    # Bracket access: `view` is also an Ibis Table method.
    expr = t.filter(
        t["kpi"] == kpi, t["grain"] == str(grain), t["view"] == view, t["dimension"] == dimension
    )
    frame = expr.order_by(["period_start", "dimension_value"]).execute()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame
