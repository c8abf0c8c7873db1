"""Why is this zero? When a KPI comes out 0 (or empty) although the tables it reads hold rows,
name the condition that left the rows out: "4,238 opportunities have no closed_at", "no spend in
2026-11: spend runs 2026-04-01 … 2026-09-30", "12 opportunities closed in 2026-11 have no is_won".

The notes are English text in fixed forms that web/notes.py reads back in the user's language,
like the engine's other notes. Only event measures are examined (snapshots such as pipeline and
MRR have no single time column to blame); the first measure of the KPI that is 0 explains it.
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir
import pandas as pd

from kaname.metrics.calendar import Period
from kaname.metrics.engine import MetricEngine, filter_exprs, time_literal
from kaname.metrics.measures import MEASURES, EventMeasure, is_new_business


def why_zero(
    engine: MetricEngine,
    kpi_id: str,
    period: Period,
    as_of: dt.date | None = None,
    filters: tuple[tuple[str, str], ...] = (),
) -> str | None:
    """A note naming what excluded the rows of the KPI's first empty measure (None: nothing to
    say, e.g. the table is empty, which the engine already notes, or the measure has rows)."""
    for name in engine.catalog.measures_of(kpi_id):
        measure = MEASURES[name]
        if not isinstance(measure, EventMeasure) or measure.table not in engine.tables:
            continue
        if any(dim not in measure.dims for dim, _ in filters):
            continue
        note = _explain_measure(engine, measure, period, as_of, filters)
        if note:
            return note
    return None


def _explain_measure(
    engine: MetricEngine,
    m: EventMeasure,
    period: Period,
    as_of: dt.date | None,
    filters: tuple[tuple[str, str], ...],
) -> str | None:
    t = engine.tables[m.table]
    conditions = filter_exprs(t, m.dims, filters)
    if conditions:
        t = t.filter(*conditions)
    ts = t[m.time]
    end = period.end
    if as_of is not None:
        end = min(end, as_of + dt.timedelta(days=1))
    in_period = (ts >= time_literal(period.start, ts)) & (ts < time_literal(end, ts))
    where = m.where(t) if m.where is not None else None
    counts = t.aggregate(
        rows=t.count(),
        undated=t.count(where=ts.isnull()),
        in_period=t.count(where=in_period),
        counted=t.count(where=in_period & where) if where is not None else t.count(where=in_period),
        first=ts.min(),
        last=ts.max(),
    ).execute()
    row = counts.iloc[0]
    rows, undated, found = int(row["rows"]), int(row["undated"]), int(row["in_period"])
    if rows == 0 or int(row["counted"]) > 0:
        return None
    if found == 0:
        if undated == rows:
            return f"{undated:,} {m.table} have no {m.time}"
        first, last = _day(row["first"]), _day(row["last"])
        return f"no {m.table} in {period.label}: {m.table} {m.time} runs {first} … {last}"
    if m.table == "opportunities":
        return _opportunity_note(t, in_period, found, period)
    return f"{found:,} {m.table} in {period.label}, none counted as {m.id}"


def _opportunity_note(
    t: ir.Table, in_period: ir.BooleanValue, found: int, period: Period
) -> str | None:
    """Won-deal measures: the usual reasons an export's deals don't count."""
    scoped = t.filter(in_period)
    row = (
        scoped.aggregate(
            no_outcome=scoped.count(where=scoped.is_won.isnull()),
            won=scoped.count(where=scoped.is_won.fill_null(False)),
            won_other=scoped.count(where=scoped.is_won.fill_null(False) & ~is_new_business(scoped)),
        )
        .execute()
        .iloc[0]
    )
    no_outcome, won, won_other = (int(row[c]) for c in ("no_outcome", "won", "won_other"))
    if no_outcome:
        return f"{no_outcome:,} opportunities in {period.label} have no is_won"
    if won == 0:
        return f"none of the {found:,} opportunities in {period.label} is won"
    if won_other == won:
        return f"the {won:,} won opportunities in {period.label} are not new business"
    return None


def _day(value: object) -> str:
    return "" if pd.isna(value) else str(pd.Timestamp(value).date())
