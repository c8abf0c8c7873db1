"""The metric engine: base measures as Ibis aggregates pushed down to the warehouse, then KPI
formulas evaluated over the (small) aggregated result.

One query per group of measures that share a table and a time column, so a month × channel funnel
reads each table once per lifecycle timestamp, as a hand-written SQL would.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from kaname.metrics.buckets import bucket_expr
from kaname.metrics.calendar import MONTHS_IN_GRAIN, Grain, Period, period_label, periods_between
from kaname.metrics.catalog import Catalog
from kaname.metrics.group_sql import GroupSql, Unsupported
from kaname.metrics.measures import (
    MEASURES,
    PARAMETERS,
    EventMeasure,
    SnapshotMeasure,
    is_new_business,
)
from kaname.store.dimensions import KEYS as USER_DIMENSION_KEYS

View = Literal["period", "cohort"]
NONE_LABEL = "(none)"
DAYS_PER_MONTH = 365.25 / 12


class MetricError(ValueError):
    """A KPI cannot be computed as asked; the message says why and what to ask instead."""


@dataclass(frozen=True)
class MetricQuery:
    """Which KPIs to compute, over which periods, split how, in which view."""

    kpis: tuple[str, ...]
    grain: Grain
    first: dt.date
    """Any day in the first period."""
    last: dt.date
    """Any day in the last period."""
    dimensions: tuple[str, ...] = ()
    view: View = "period"
    as_of: dt.date | None = None
    """Data cut-off: nothing after this day counts (None = everything loaded)."""
    scale: Mapping[dt.date, float] = field(default_factory=dict)
    """Multiply additive measures of the period starting on a date (pacing projections)."""
    filters: tuple[tuple[str, str], ...] = ()
    """Keep only rows whose dimension equals a value, e.g. (("channel", "webinar"),)."""


class MetricEngine:
    """Computes catalog KPIs over the canonical tables of one warehouse connection."""

    def __init__(
        self,
        tables: Mapping[str, ir.Table],
        catalog: Catalog,
        fy_start_month: int = 4,
        gross_margin: float = 0.8,
        user_dimensions: Mapping[str, tuple[str, ...]] | None = None,
        dimension_values: ir.Table | None = None,
    ) -> None:
        self.tables = tables
        self.catalog = catalog
        self.fy_start_month = fy_start_month
        self.gross_margin = gross_margin
        self.user_dimensions = dict(user_dimensions or {})
        """{table: dimensions from the user's data} (store/dimensions.py)."""
        self.dimension_values = dimension_values
        self._coverage: dict[str, tuple[dt.date, dt.date] | None] = {}

    def dimensions_of(self, kpi_id: str) -> tuple[str, ...]:
        """The catalog's dimensions of the KPI, then the user's own (product, region …) that
        every table it counts has values for."""
        built_in = self.catalog.dimensions_of(kpi_id)
        names = self.catalog.measures_of(kpi_id)
        if not names or not all(isinstance(MEASURES[n], EventMeasure) for n in names):
            return built_in
        tables = {table_of(n) for n in names}
        common = set.intersection(*(set(self.user_dimensions.get(t, ())) for t in tables))
        return built_in + tuple(sorted(common))

    def _with_user_dims(
        self, t: ir.Table, table: str, dims: Mapping[str, str], query: MetricQuery
    ) -> tuple[ir.Table, dict[str, str]]:
        """`t` with a column per user dimension the query splits or filters by, and the
        dimension → column map that includes them."""
        wanted = [
            d
            for d in dict.fromkeys([*query.dimensions, *(d for d, _ in query.filters)])
            if d not in dims and d in self.user_dimensions.get(table, ())
        ]
        if not wanted or self.dimension_values is None:
            return t, dict(dims)
        key = USER_DIMENSION_KEYS[table]
        out = dict(dims)
        dv = self.dimension_values
        for dim in wanted:
            column = f"_user_{dim}"
            values = dv.filter(dv.table_name == table, dv.dimension == dim).select(
                _rid=dv.record_id, **{column: dv.value}
            )
            t = t.left_join(values, t[key] == values._rid).drop("_rid")
            out[dim] = column
        return t, out

    # ------------------------------------------------------------------ public API
    def periods(self, query: MetricQuery) -> list[Period]:
        return list(_periods(query.first, query.last, query.grain, self.fy_start_month))

    def compute(self, query: MetricQuery) -> pd.DataFrame:
        """Long table: kpi, period, period_start, <dimensions>, value, note."""
        self.check(query)
        frame = self.measures(query, self._needed_measures(query.kpis))
        return self.evaluate(frame, query)

    def check(self, query: MetricQuery) -> None:
        for kpi_id in query.kpis:
            self.catalog.get(kpi_id)
            allowed = self.dimensions_of(kpi_id)
            for dim in query.dimensions:
                if dim not in allowed:
                    raise MetricError(
                        f"{kpi_id} cannot be split by {dim}: its measures allow "
                        f"{', '.join(allowed) or 'no dimension'}"
                    )
            for dim, _ in query.filters:
                if dim not in allowed:
                    raise MetricError(
                        f"{kpi_id} cannot be filtered by {dim}: its measures allow "
                        f"{', '.join(allowed) or 'no dimension'}"
                    )
            if query.view == "cohort" and not self.catalog.has_cohort_view(kpi_id):
                raise MetricError(
                    f"{kpi_id} has no cohort view: cohorts follow leads created in a period, and "
                    f"{kpi_id} is not built from lead or opportunity outcomes. Use the period view."
                )

    def measures(self, query: MetricQuery, names: Iterable[str]) -> pd.DataFrame:
        """Measure values by period_start × dimensions (zeros where nothing happened)."""
        periods = self.periods(query)
        keys = ["period_start", *query.dimensions]
        names = list(dict.fromkeys(names))
        groups: dict[tuple[str, str], list[EventMeasure]] = defaultdict(list)
        families: dict[str, list[SnapshotMeasure]] = defaultdict(list)
        for name in names:
            m = MEASURES[name]
            if isinstance(m, EventMeasure):
                groups[(m.table, m.time)].append(m)
            else:
                families[m.family].append(m)

        def build() -> list[ir.Table]:
            exprs = [
                self._event_expr(table, time, members, query, periods)
                for (table, time), members in groups.items()
            ]
            exprs += [
                self._snapshot_expr(family, snapshot, query, periods)
                for family, snapshot in families.items()
            ]
            return exprs

        def render(backend: Any) -> str | None:
            return None if families else self._render(backend, groups, keys, names, query, periods)

        # Snapshot measures read an in-memory period spine that each execution registers, so
        # only pure event queries can reuse compiled SQL.
        result: Columns = (
            self._run(build, render, keys, names, query, periods, not families)
            if names
            else {"period_start": np.array([], dtype=object)}
        )
        return _complete(result, periods, keys, names)

    def _run(
        self,
        build: Callable[[], list[ir.Table]],
        render: Callable[[Any], str | None],
        keys: list[str],
        names: list[str],
        query: MetricQuery,
        periods: list[Period],
        cacheable: bool,
    ) -> Columns:
        """Execute the measure groups as one query, reusing its SQL when the same request comes
        again (dashboards repeat requests). The SQL is rendered directly where group_sql.py
        covers the request, and compiled by Ibis otherwise."""
        backend = next(iter(self.tables.values()))._find_backend()
        if not cacheable or backend.name not in _RAW_SQL_BACKENDS:
            return _execute(_union(build(), keys, names), keys)
        key = (
            tuple(names),
            query.grain,
            periods[0].start,
            periods[-1].end,
            query.dimensions,
            query.view,
            query.as_of,
            self.fy_start_month,
            query.filters,
        )
        cache = _SQL_CACHE.setdefault(id(backend), {})
        sql = cache.get(key)
        if sql is None:
            sql = render(backend) or str(backend.compile(_union(build(), keys, names)))
            if len(cache) > 512:
                cache.clear()
            cache[key] = sql
        return _fetch(backend, sql)

    def _render(
        self,
        backend: Any,
        groups: Mapping[tuple[str, str], list[EventMeasure]],
        keys: list[str],
        names: list[str],
        query: MetricQuery,
        periods: list[Period],
    ) -> str | None:
        """The event groups' SQL without Ibis's relational compiler, or None when a group needs
        a join (user dimensions, the cohort view of opportunities)."""
        render = GroupSql(backend)
        columns = names if len(groups) > 1 else None
        parts = []
        for (table, time), members in groups.items():
            part = self._event_sql(render, table, time, members, query, periods, columns)
            if part is None:
                return None
            parts.append(part)
        return render.union(parts, keys, names)

    def evaluate(self, frame: pd.DataFrame, query: MetricQuery) -> pd.DataFrame:
        """Apply KPI formulas to a measure frame; NaN values carry a note saying why."""
        periods = {p.start: p for p in self.periods(query)}
        starts = frame["period_start"].to_numpy()
        factors = None
        if query.scale:
            factors = np.array([query.scale.get(d, 1.0) for d in starts], dtype="float64")
        values: dict[str, np.ndarray] = {}
        for name in frame.columns:
            if name in MEASURES:
                col = frame[name].to_numpy(dtype="float64", copy=True)
                if factors is not None and MEASURES[name].additive:
                    col = col * factors
                values[name] = col
        values["gross_margin"] = np.full(len(frame), self.gross_margin)
        # Labels and lengths once per period, not once per row.
        months = {d: _months(p, query.as_of) for d, p in periods.items()}
        labels_of = {d: p.label for d, p in periods.items()}
        values["months"] = np.array([months[d] for d in starts], dtype="float64")
        labels = np.array([labels_of[d] for d in starts], dtype=object)
        results, notes = [], []
        for kpi_id in query.kpis:
            formula = self.catalog.resolve(kpi_id)
            needed = {n: values[n] for n in formula.names if n in values}
            value, note = formula.evaluate(needed) if len(frame) else (np.array([]), [])
            results.append(value)
            notes.extend(note)
        count = len(query.kpis)
        columns: dict[str, Any] = {
            "kpi": np.repeat(np.array(query.kpis, dtype=object), len(frame)),
            "period": np.tile(labels, count),
            "period_start": np.tile(starts, count),
        }
        for dim in query.dimensions:
            columns[dim] = np.tile(frame[dim].to_numpy(dtype=object), count)
        columns["value"] = np.concatenate(results) if results else np.array([], dtype="float64")
        columns["note"] = np.array(notes, dtype=object)
        return self._mark_empty(pd.DataFrame(columns), query)

    def coverage(self, table: str) -> tuple[dt.date, dt.date] | None:
        """First and last day a table holds data for (None when it is empty)."""
        if table not in self._coverage:
            columns = _TIME_OF_TABLE[table]
            t = self.tables[table]
            aggs = {"lo": t[columns[0]].min()}
            aggs.update({f"hi{i}": t[c].max() for i, c in enumerate(columns)})
            row = t.aggregate(**aggs).execute().iloc[0]
            lo = row["lo"]
            highs = [row[f"hi{i}"] for i in range(len(columns)) if not pd.isna(row[f"hi{i}"])]
            hi = max(pd.Timestamp(h) for h in highs) if highs else lo
            self._coverage[table] = (
                None if pd.isna(lo) else (pd.Timestamp(lo).date(), pd.Timestamp(hi).date())
            )
        return self._coverage[table]

    # ------------------------------------------------------------------ internals
    def _needed_measures(self, kpis: Sequence[str]) -> list[str]:
        names: list[str] = []
        for kpi_id in kpis:
            names.extend(self.catalog.measures_of(kpi_id))
        return list(dict.fromkeys(names))

    def _bounds(self, query: MetricQuery, periods: list[Period]) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(periods[0].start, dt.time())
        end = dt.datetime.combine(periods[-1].end, dt.time())
        if query.as_of is not None:
            end = min(end, dt.datetime.combine(query.as_of + dt.timedelta(days=1), dt.time()))
        return start, end

    def _event_rows(
        self,
        table: str,
        time: str,
        dims: Mapping[str, str],
        query: MetricQuery,
        periods: list[Period],
    ) -> tuple[ir.Table, str, dict[str, str]]:
        """The rows of `table` an event measure placed by `time` reads for `query`: inside the
        periods (by lead creation in the cohort view, followed to the cut-off) and the filters.
        Also the column that places a row in its period and the dimension → column map."""
        t, conditions, bucket_col, allowed = self._event_source(table, time, dims, query, periods)
        return t.filter(*conditions), bucket_col, allowed

    def _event_source(
        self,
        table: str,
        time: str,
        dims: Mapping[str, str],
        query: MetricQuery,
        periods: list[Period],
    ) -> tuple[ir.Table, list[ir.BooleanValue], str, dict[str, str]]:
        """`_event_rows` before its filter: the table (joined where the view or the user's
        dimensions need it), the conditions that keep the rows, the bucket column, the map."""
        t = self.tables[table]
        start, end = self._bounds(query, periods)
        bucket_col = time
        if query.view == "cohort":
            if table == "opportunities":
                leads = self.tables["leads"]
                t = t.left_join(
                    leads.select(lead_id=leads.lead_id, _cohort_at=leads.created_at), "lead_id"
                )
                bucket_col = "_cohort_at"
            elif table == "leads":
                bucket_col = "created_at"
        t, allowed = self._with_user_dims(t, table, dims, query)
        ts = t[bucket_col]
        filt = [ts >= time_literal(start, ts), ts < time_literal(end, ts)]
        if bucket_col != time:
            # A cohort is followed to its outcome as of the cut-off, not to the period's end.
            filt.append(t[time].notnull())
            if query.as_of is not None:
                cutoff = dt.datetime.combine(query.as_of + dt.timedelta(days=1), dt.time())
                filt.append(t[time] < time_literal(cutoff, t[time]))
        return t, [*filt, *filter_exprs(t, allowed, query.filters)], bucket_col, allowed

    def rows(self, measure: str, query: MetricQuery) -> ir.Table:
        """The records behind a measure: the rows that `measures()` counts or sums for `query`
        (its periods, view, cut-off and filters), with `_value`, the amount each row adds to
        the measure (1 for a count). A state (snapshot) is read at the end of the query's last
        period: the open opportunities then (pipeline), or one row per customer account with
        `mrr_start` and `mrr_end` (subscriptions)."""
        m = MEASURES[measure]
        if isinstance(m, SnapshotMeasure):
            return self._snapshot_rows(m, query)
        t, _, _ = self._event_rows(m.table, m.time, m.dims, query, self.periods(query))
        if m.where is not None:
            t = t.filter(m.where(t))
        if m.agg == "count":
            return t.mutate(_value=ibis.literal(1.0, type="float64"))
        assert m.value is not None
        return t.mutate(_value=m.value(t).cast("float64"))

    def _event_expr(
        self,
        table: str,
        time: str,
        members: list[EventMeasure],
        query: MetricQuery,
        periods: list[Period],
    ) -> ir.Table:
        t, bucket_col, allowed = self._event_rows(table, time, members[0].dims, query, periods)
        dims = _dim_columns(t, allowed, query.dimensions)
        t = t.mutate(period_start=self._bucket(t, bucket_col, query, periods), **dims)
        metrics = {m.id: _metric(t, m) for m in members}
        return t.group_by(["period_start", *query.dimensions]).aggregate(**metrics)

    def _event_sql(
        self,
        render: GroupSql,
        table: str,
        time: str,
        members: list[EventMeasure],
        query: MetricQuery,
        periods: list[Period],
        columns: list[str] | None,
    ) -> str | None:
        """`_event_expr` rendered directly (group_sql.py), or None when the rows need a join."""
        t, conditions, bucket_col, allowed = self._event_source(
            table, time, members[0].dims, query, periods
        )
        if not render.supports(t):
            return None
        dims = _dim_columns(t, allowed, query.dimensions)
        keys = [("period_start", self._bucket(t, bucket_col, query, periods)), *dims.items()]
        metrics = [(m.id, _metric(t, m)) for m in members]
        try:
            return render.group(t, keys, metrics, conditions, columns)
        except Unsupported:
            return None

    def _bucket(
        self, t: ir.Table, bucket_col: str, query: MetricQuery, periods: list[Period]
    ) -> ir.DateValue:
        if query.grain is Grain.RANGE:  # one period: every row kept is in it
            return ibis.literal(periods[0].start, type="date")
        return bucket_expr(t[bucket_col], query.grain, self.fy_start_month)

    def _spine(self, query: MetricQuery, periods: list[Period]) -> ir.Table:
        cutoff = query.as_of + dt.timedelta(days=1) if query.as_of else None
        rows = {
            "period_start": [p.start for p in periods],
            "snap_end": [min(p.end, cutoff) if cutoff else p.end for p in periods],
        }
        frame = pd.DataFrame(rows)
        return ibis.memtable(frame, schema={"period_start": "date", "snap_end": "date"})

    def _snapshot_expr(
        self, family: str, members: list[SnapshotMeasure], query: MetricQuery, periods: list[Period]
    ) -> ir.Table:
        spine = self._spine(query, periods)
        if family == "pipeline":
            return self._pipeline_expr(spine, members, query)
        return self._subscription_expr(spine, members, query, periods)

    def _snapshot_rows(self, m: SnapshotMeasure, query: MetricQuery) -> ir.Table:
        """`rows()` of a snapshot measure, for the last period of `query`."""
        periods = self.periods(query)[-1:]
        spine = self._spine(query, periods)
        if m.family == "pipeline":
            o = self.tables["opportunities"]
            o = o.filter(is_new_business(o), *filter_exprs(o, m.dims, query.filters))
            o = o.mutate(_created=o.created_at.cast("date"), _closed=o.closed_at.cast("date"))
            x = spine.cross_join(o)
            x = x.filter(x._created < x.snap_end, x._closed.isnull() | (x._closed >= x.snap_end))
            value = x.amount if m.id == "pipeline_value" else ibis.literal(1.0)
            return x.mutate(_value=value.cast("float64")).drop(
                "period_start", "snap_end", "_created", "_closed"
            )
        p = self._subscription_accounts(spine, [m], query, periods)
        was = p.mrr_s > 0
        gone = was & (p.mrr_e <= 0)
        one = ibis.literal(1.0)
        kept, value = {
            "customers_start": (was, one),
            "customers_end": (p.mrr_e > 0, one),
            "churned_customers": (gone, one),
            "expanded_customers": (was & (p.expanded > 0), one),
            "mrr_start": (p.mrr_s != 0, p.mrr_s),
            "mrr_end": (p.mrr_e != 0, p.mrr_e),
            "retained_mrr": (was, p.mrr_e),
            "churned_mrr": (gone, p.mrr_s),
            "new_mrr": (p.new_mrr_line.notnull() & (p.new_mrr_line != 0), p.new_mrr_line),
        }[m.id]
        p = p.filter(kept).mutate(_value=value.cast("float64"))
        return p.select("account_id", mrr_start=p.mrr_s, mrr_end=p.mrr_e, _value=p._value)

    def _pipeline_expr(
        self, spine: ir.Table, members: list[SnapshotMeasure], query: MetricQuery
    ) -> ir.Table:
        o = self.tables["opportunities"]
        o = o.filter(is_new_business(o), *filter_exprs(o, members[0].dims, query.filters))
        dims = _dim_columns(o, members[0].dims, query.dimensions)
        o = o.select(
            _created=o.created_at.cast("date"),
            _closed=o.closed_at.cast("date"),
            _amount=o.amount,
            **dims,
        )
        x = spine.cross_join(o)
        open_at_end = (x._created < x.snap_end) & (x._closed.isnull() | (x._closed >= x.snap_end))
        x = x.filter(open_at_end)
        metrics: dict[str, ir.Value] = {}
        for m in members:
            if m.id == "pipeline_value":
                metrics[m.id] = x._amount.sum()
            else:
                metrics[m.id] = x.count()
        return x.group_by(["period_start", *query.dimensions]).aggregate(**metrics)

    def _subscription_expr(
        self,
        spine: ir.Table,
        members: list[SnapshotMeasure],
        query: MetricQuery,
        periods: list[Period],
    ) -> ir.Table:
        p = self._subscription_accounts(spine, members, query, periods)
        was = p.mrr_s > 0
        gone = was & (p.mrr_e <= 0)
        available = {
            "customers_start": lambda: p.count(where=was),
            "customers_end": lambda: p.count(where=p.mrr_e > 0),
            "churned_customers": lambda: p.count(where=gone),
            "expanded_customers": lambda: p.count(where=was & (p.expanded > 0)),
            "mrr_start": lambda: p.mrr_s.sum(),
            "mrr_end": lambda: p.mrr_e.sum(),
            "retained_mrr": lambda: p.mrr_e.sum(where=was),
            "churned_mrr": lambda: p.mrr_s.sum(where=gone),
            "new_mrr": lambda: p.new_mrr_line.sum(),
        }
        metrics = {m.id: available[m.id]() for m in members}
        return p.group_by(["period_start", *query.dimensions]).aggregate(**metrics)

    def _subscription_accounts(
        self,
        spine: ir.Table,
        members: list[SnapshotMeasure],
        query: MetricQuery,
        periods: list[Period],
    ) -> ir.Table:
        """One row per period and account: its MRR at the start and at the (snapshot) end,
        the upsell or cross-sell lines started and the MRR of new lines started."""
        s = self.tables["subscriptions"]
        if "segment" in query.dimensions or any(d == "segment" for d, _ in query.filters):
            a = self.tables["accounts"]
            s = s.left_join(a.select(account_id=a.account_id, segment=a.segment), "account_id")
        if query.filters:
            s = s.filter(*filter_exprs(s, members[0].dims, query.filters))
        first = periods[0].start - dt.timedelta(days=1)
        s = s.filter(
            s.start_date <= time_literal(periods[-1].end, s.start_date),
            s.end_date.isnull() | (s.end_date >= time_literal(first, s.end_date)),
        )
        keep = ["account_id", "mrr", "start_date", "end_date", "change", *query.dimensions]
        x = spine.cross_join(s.select(*keep))
        active_start = (x.start_date < x.period_start) & (
            x.end_date.isnull() | (x.end_date >= x.period_start)
        )
        active_end = (x.start_date < x.snap_end) & (
            x.end_date.isnull() | (x.end_date >= x.snap_end)
        )
        started = (x.start_date >= x.period_start) & (x.start_date < x.snap_end)
        per_account = x.group_by(["period_start", "account_id", *query.dimensions]).aggregate(
            mrr_s=x.mrr.sum(where=active_start),
            mrr_e=x.mrr.sum(where=active_end),
            expanded=x.count(where=started & x.change.isin(("upsell", "cross_sell"))),
            new_mrr_line=x.mrr.sum(where=started & (x.change == "new")),
        )
        return per_account.mutate(
            mrr_s=per_account.mrr_s.fill_null(0), mrr_e=per_account.mrr_e.fill_null(0)
        )

    def has_data(self, kpi_id: str) -> bool:
        """True when every table the KPI reads holds at least one row."""
        return all(self.coverage(table_of(m)) is not None for m in self.catalog.measures_of(kpi_id))

    def window(self) -> tuple[dt.date, dt.date] | None:
        """First and last day any canonical table holds data for."""
        spans = [self.coverage(t) for t in _TIME_OF_TABLE if t in self.tables]
        found = [s for s in spans if s is not None]
        if not found:
            return None
        return min(s[0] for s in found), max(s[1] for s in found)

    def _mark_empty(self, frame: pd.DataFrame, query: MetricQuery) -> pd.DataFrame:
        """Blank out values that rest on no data, with a note that says which data is missing."""
        if frame.empty:
            return frame
        window = self.window()
        for kpi_id in query.kpis:
            empty = sorted(
                t
                for t in {table_of(n) for n in self.catalog.measures_of(kpi_id)}
                if self.coverage(t) is None
            )
            if empty:
                mask = frame["kpi"] == kpi_id
                frame.loc[mask, "value"] = np.nan
                frame.loc[mask, "note"] = (
                    f"no {', '.join(empty)} data loaded: import it (kaname import) or connect a "
                    "source (kaname connect)"
                )
        if window is None:
            frame["value"] = np.nan
            frame["note"] = "the warehouse is empty: load data first (kaname demo or kaname import)"
            return frame
        periods = {p.start: p for p in self.periods(query)}
        outside = [s for s, p in periods.items() if p.end <= window[0] or p.start > window[1]]
        rows = frame["period_start"].isin(outside) if outside else None
        if rows is not None and rows.any():
            frame.loc[rows, "value"] = np.nan
            frame.loc[rows, "note"] = [
                f"no data for {periods[s].label}: the warehouse holds {window[0]} … {window[1]}"
                for s in frame.loc[rows, "period_start"]
            ]
        return frame


# Time columns of each table: the first starts its coverage, the latest of all ends it.
_SQL_CACHE: dict[int, dict[tuple[Any, ...], str]] = {}
"""Compiled SQL per backend connection and request shape."""


def forget_sql() -> None:
    """Drop every request's SQL kept for reuse (benchmarks time building it again)."""
    _SQL_CACHE.clear()


_TIME_OF_TABLE: dict[str, tuple[str, ...]] = {
    "accounts": ("created_at",),
    "leads": ("created_at", "mql_at", "sql_at", "disqualified_at"),
    "touchpoints": ("occurred_at",),
    "campaigns": ("start_date", "end_date"),
    "spend": ("date",),
    "web_traffic": ("date",),
    "opportunities": ("created_at", "closed_at"),
    "opportunity_stages": ("entered_at", "exited_at"),
    "subscriptions": ("start_date", "end_date"),
    "nps_responses": ("responded_at",),
}


def table_of(measure: str) -> str:
    """The canonical table a measure counts or sums."""
    m = MEASURES[measure]
    if isinstance(m, EventMeasure):
        return m.table
    return "subscriptions" if m.family == "subscriptions" else "opportunities"


def time_literal(value: dt.date | dt.datetime, column: ir.Value) -> ir.Value:
    if column.type().is_date():
        day = value.date() if isinstance(value, dt.datetime) else value
        return _literal(day, "date")
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    return _literal(moment, "timestamp")


@functools.lru_cache(maxsize=256)
def _literal(value: dt.date, kind: str) -> ir.Value:
    """Literals are immutable; every group of a request compares with the same bounds."""
    return ibis.literal(value, type=kind)


def _metric(t: ir.Table, m: EventMeasure) -> ir.Value:
    """An event measure's aggregate over the rows of `t`."""
    cond = m.where(t) if m.where else None
    if m.agg == "count":
        return t.count(where=cond) if cond is not None else t.count()
    assert m.value is not None
    return m.value(t).sum(where=cond)


def _dim_columns(t: ir.Table, allowed: Mapping[str, str], dims: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dim in dims:
        if dim not in allowed:
            raise MetricError(f"dimension {dim!r} is not available here")
        out[dim] = t[allowed[dim]]
    return out


def filter_exprs(
    t: ir.Table, allowed: Mapping[str, str], filters: Sequence[tuple[str, str]]
) -> list[ir.BooleanValue]:
    out = []
    for dim, value in filters:
        if dim not in allowed:
            raise MetricError(f"dimension {dim!r} cannot filter here")
        column = t[allowed[dim]]
        out.append(column.isnull() if value == NONE_LABEL else column == value)
    return out


_RAW_SQL_BACKENDS = ("duckdb", "postgres")
"""Backends whose raw_sql returns a DB-API cursor, so cached SQL can run without Ibis."""


Columns = dict[str, np.ndarray]
"""A query result as arrays: period_start as dates, dimensions as objects (None or NaN when
missing), measures as floats (NaN when missing)."""


def _execute(expr: ir.Table, keys: list[str]) -> Columns:
    return _from_frame(expr.execute())


def _fetch(backend: Any, sql: str) -> Columns:
    if backend.name == "duckdb":
        # DuckDB's raw_sql hands back the connection itself: read it, never close it. NumPy
        # arrays, not a DataFrame: a request's few hundred rows cost more to convert than to
        # read.
        return _from_numpy(backend.con.execute(sql).fetchnumpy())
    cursor = backend.raw_sql(sql)
    try:
        columns = [d[0] for d in cursor.description]
        return _from_frame(pd.DataFrame(cursor.fetchall(), columns=columns))
    finally:
        cursor.close()


def _from_frame(frame: pd.DataFrame) -> Columns:
    out: Columns = {"period_start": pd.to_datetime(frame["period_start"]).dt.date.to_numpy()}
    for name in frame.columns:
        if name == "period_start":
            continue
        column = frame[name]
        if name in MEASURES:
            out[name] = column.astype("float64").to_numpy()
        else:
            out[name] = column.to_numpy(dtype=object)
    return out


def _from_numpy(arrays: Mapping[str, np.ndarray]) -> Columns:
    out: Columns = {}
    for name, values in arrays.items():
        if name in MEASURES:
            out[name] = np.ma.filled(np.ma.asarray(values).astype("float64"), np.nan)
            continue
        if np.ma.isMaskedArray(values):  # NULLs: DuckDB masks them
            data = np.asarray(values.data, dtype=object).copy()
            data[np.ma.getmaskarray(values)] = None
            values = data
        if name != "period_start":
            out[name] = np.asarray(values, dtype=object)
        elif values.dtype.kind == "M":
            out[name] = values.astype("datetime64[D]").astype(object)
        else:
            out[name] = pd.to_datetime(pd.Series(values)).dt.date.to_numpy()
    return out


def _union(exprs: list[ir.Table], keys: list[str], names: list[str]) -> ir.Table:
    """One query for every measure group: each group fills its own columns, then rows that share
    a period and dimension values are summed. DuckDB runs the scans in one plan."""
    if len(exprs) == 1:
        return exprs[0]
    parts = []
    for expr in exprs:
        cols = {k: expr[k] for k in keys}
        for name in names:
            cols[name] = (
                expr[name].cast("float64") if name in expr.columns else ibis.null("float64")
            )
        parts.append(expr.select(**cols))
    union = ibis.union(*parts, distinct=False)
    return union.group_by(keys).aggregate(**{n: union[n].sum() for n in names})


@functools.lru_cache(maxsize=256)
def _periods(
    first: dt.date, last: dt.date, grain: Grain, fy_start_month: int
) -> tuple[Period, ...]:
    """Periods are immutable; a request asks for them three times, a dashboard many more."""
    return tuple(periods_between(first, last, grain, fy_start_month))


def _complete(
    result: Mapping[str, np.ndarray], periods: list[Period], keys: list[str], names: list[str]
) -> pd.DataFrame:
    """The query's rows on the period spine: a row of zeros for a period nothing happened in,
    NONE_LABEL for a missing dimension value, zeros for missing measures, sorted by the keys.
    Built column by column in NumPy (a request's result has a few hundred rows, and pandas'
    merge, per-column casts and multi-key sort cost more than the rest of the request)."""
    dims = keys[1:]
    spine = [p.start for p in periods]
    known = set(spine)
    starts = result["period_start"]
    size = len(starts)
    inside = np.fromiter((d in known for d in starts), dtype=bool, count=size)
    keep = None if inside.all() else inside
    if keep is not None:
        starts = starts[keep]
    seen = set(starts)
    missing = [d for d in spine if d not in seen]
    extra = len(missing)
    columns: dict[str, np.ndarray] = {
        "period_start": np.concatenate([starts, np.array(missing, dtype=object)])
    }
    for dim in dims:
        values = result[dim] if dim in result else np.full(size, None, dtype=object)
        values = values if keep is None else values[keep]
        values = np.concatenate([values, np.full(extra, None, dtype=object)])
        values[pd.isna(values)] = NONE_LABEL
        columns[dim] = values
    for name in names:
        values = result[name] if name in result else np.zeros(size)
        values = values if keep is None else values[keep]
        values = np.concatenate([values, np.zeros(extra)])
        columns[name] = np.where(np.isnan(values), 0.0, values)
    key_columns = [columns[k] for k in keys]
    try:
        order = sorted(
            range(len(columns["period_start"])), key=lambda i: tuple(c[i] for c in key_columns)
        )
    except TypeError:  # values of mixed types: let pandas order them as it always did
        frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
        order = list(frame.sort_values(keys, kind="stable").index)
    index = np.array(order, dtype=np.intp)
    return pd.DataFrame(
        {
            k: pd.Series(v[index], dtype=object) if k in keys else v[index]
            for k, v in columns.items()
        }
    )


def _months(period: Period, as_of: dt.date | None) -> float:
    """Months the period covers up to the cut-off (exact 1/3/6/12 for whole periods)."""
    if period.grain in MONTHS_IN_GRAIN:
        full = float(MONTHS_IN_GRAIN[period.grain])
    else:
        full = period.days / DAYS_PER_MONTH
    if as_of is not None and period.start <= as_of < period.last_day:
        elapsed = (as_of - period.start).days + 1
        return full * elapsed / period.days
    return full


def label(start: dt.date, grain: Grain, fy_start_month: int) -> str:
    return period_label(start, grain, fy_start_month)


__all__ = ["PARAMETERS", "MetricEngine", "MetricError", "MetricQuery"]
