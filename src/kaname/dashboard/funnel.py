"""Funnel (stages, conversion, drop-off, median lead time) and channel comparison pages."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import ibis

from kaname.dashboard.channel_rows import COST_KPIS, is_empty, without_spend
from kaname.dashboard.core import clean, records
from kaname.dashboard.filters import Filters
from kaname.metrics.calendar import Period
from kaname.metrics.measures import is_new_business

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore

STAGES = ("sessions", "leads", "mqls", "sqls", "opportunities", "deals")
COHORT_STAGES = STAGES[1:]
CHANNEL_KPIS = (
    "leads",
    "cpa",
    "mqls",
    "sqls",
    "opportunities",
    "deals",
    "revenue",
    "cac",
    "roas",
    "romi",
)


def funnel(dash: DashboardCore, f: Filters, language: str) -> dict[str, Any]:
    """The funnel of the period. In the cohort view the leads created in the period are followed
    to their outcome: the period's targets (events in the month) apply only to the leads stage,
    and a stage the cohort is too young to have reached yet is `maturing` (no drop-off)."""
    period = dash.period(f)
    cohort = f.view == "cohort"
    stages = list(COHORT_STAGES if cohort else STAGES)
    catalog = dash.ws.catalog
    total = {r["kpi"]: r for r in records(dash.report(stages, period, f, language))}
    rows = _stages(stages, {k: v.get("actual") for k, v in total.items()}, catalog, language)
    for row in rows:
        rec = total.get(row["stage"], {})
        row.update(
            {"target": rec.get("target"), "status": rec.get("status"), "note": rec.get("note")}
        )
        if cohort and row["stage"] != COHORT_STAGES[0]:
            row.update({"target": None, "status": "no_target"})
    maturity = cohort_maturity(dash, period, f) if cohort else {}
    for row in rows:
        row["maturing"] = bool(maturity.get(row["stage"]))
        if row["maturing"]:
            row["drop_off"] = None
    by_channel: list[dict[str, Any]] = []
    if not f.channel:
        split = records(dash.report(stages, period, f, language, dimension="channel"))
        values: dict[str, dict[str, Any]] = {}
        for rec in split:
            values.setdefault(rec["dimension_value"], {})[rec["kpi"]] = rec["actual"]
        for channel, counts in sorted(values.items()):
            by_channel.append(
                {"channel": channel, "stages": _stages(stages, counts, catalog, language)}
            )
    return {
        "period": period.label,
        "view": f.view,
        "filters": f.as_dict(),
        "stages": rows,
        "by_channel": by_channel,
        "lead_times": lead_times(dash, period, f, language),
        "cohort_age_days": maturity.get("age_days"),
    }


def cohort_maturity(dash: DashboardCore, period: Period, f: Filters) -> dict[str, Any]:
    """Which stages a cohort is still too young for: a stage is maturing while the cohort's
    youngest leads (created on its last day) have had less time than the median days from lead
    creation to that stage, taken stage by stage over the twelve months before today."""
    today = dash.ws.today()
    age = (today - min(period.last_day, today)).days
    year = dt.datetime.combine(today - dt.timedelta(days=365), dt.time())
    until = dt.datetime.combine(_day_after(today), dt.time())
    medians = _lead_times(dash, year, until, f, cohort=False)
    out: dict[str, Any] = {"age_days": age}
    reach = 0.0
    for row in medians:
        reach += row["median_days"] or 0.0
        out[row["to"]] = age < reach
    return out


def _stages(
    stages: list[str], counts: dict[str, Any], catalog: Any, language: str
) -> list[dict[str, Any]]:
    out = []
    for i, stage in enumerate(stages):
        value = counts.get(stage)
        before = counts.get(stages[i - 1]) if i else None
        conversion = value / before if (value is not None and before) else None
        out.append(
            clean(
                {
                    "stage": stage,
                    "name": catalog.get(stage).name(language),
                    "value": value,
                    "conversion": conversion,
                    "drop_off": (1 - conversion) if conversion is not None else None,
                }
            )
        )
    return out


def lead_times(
    dash: DashboardCore, period: Period, f: Filters, language: str = "en"
) -> list[dict[str, Any]]:
    """Median days spent between stages: in the period view for stage changes that happened in
    the period; in the cohort view for the leads created in the period, whenever they moved."""
    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(min(period.end, _day_after(dash.ws.today())), dt.time())
    rows = _lead_times(dash, start, end, f, cohort=f.view == "cohort")
    catalog = dash.ws.catalog
    for row in rows:
        row["from_name"] = catalog.get(row["frm"]).name(language)
        row["to_name"] = catalog.get(row["to"]).name(language)
    return rows


def _day_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def _lead_times(
    dash: DashboardCore, start: dt.datetime, end: dt.datetime, f: Filters, cohort: bool
) -> list[dict[str, Any]]:
    tables = dash.ws.warehouse.tables()
    leads, opps = tables["leads"], tables["opportunities"]

    def where(t: Any, column: str) -> list[Any]:
        column = "_created_at" if cohort else column
        conds = [t[column] >= start, t[column] < end]
        for dim, value in f.pairs():
            col = {"campaign": "campaign_id"}.get(dim, dim)
            if col in t.columns:
                conds.append(t[col] == value)
        return conds

    def days(a: Any, b: Any) -> Any:
        return (b.epoch_seconds() - a.epoch_seconds()) / 86400.0

    leads = leads.mutate(_created_at=leads.created_at)
    parts = [
        ("leads", "mqls", leads.filter(*where(leads, "mql_at")), "created_at", "mql_at"),
        ("mqls", "sqls", leads.filter(*where(leads, "sql_at")), "mql_at", "sql_at"),
    ]
    joined = opps.filter(is_new_business(opps)).join(
        leads.select(lead_id=leads.lead_id, _sql_at=leads.sql_at, _created_at=leads.created_at),
        "lead_id",
    )
    parts.append(
        (
            "sqls",
            "opportunities",
            joined.filter(*where(joined, "created_at")),
            "_sql_at",
            "created_at",
        )
    )
    won = joined.filter(joined.is_won)
    parts.append(
        ("opportunities", "deals", won.filter(*where(won, "closed_at")), "created_at", "closed_at")
    )

    def median_of(s1: str, s2: str, t: Any, a: str, b: str) -> Any:
        t = t.filter(t[a].notnull(), t[b].notnull())
        return t.aggregate(
            frm=ibis.literal(s1),
            to=ibis.literal(s2),
            median_days=days(t[a], t[b]).median(),
            n=t.count(),
        )

    exprs = [median_of(*part) for part in parts]
    frame = ibis.union(*exprs).execute()
    order = {s: i for i, s in enumerate(STAGES)}
    rows = [clean(r) for r in frame.to_dict(orient="records")]
    return sorted(rows, key=lambda r: order.get(r["frm"], 99))


def channels(
    dash: DashboardCore, f: Filters, language: str, model: str | None = None
) -> dict[str, Any]:
    """Channels by source channel; with `model`, also revenue attributed by that model."""
    period = dash.period(f)
    split = records(
        dash.report(list(CHANNEL_KPIS), period, f, language, dimension="channel", view="period")
    )
    spend = dash.ws.engine().measures(_measure_query(dash, period, f), ["spend"])
    spend_by = (
        {str(c): float(v) for c, v in zip(spend["channel"], spend["spend"], strict=True)}
        if not spend.empty
        else {}
    )
    rows: dict[str, dict[str, Any]] = {}
    for rec in split:
        rows.setdefault(rec["dimension_value"], {"channel": rec["dimension_value"]})[rec["kpi"]] = (
            rec["actual"]
        )
    total_revenue = sum((r.get("revenue") or 0) for r in rows.values())
    out = []
    for channel, row in sorted(rows.items()):
        row["spend"] = clean(spend_by.get(channel))
        row["revenue_share"] = (row.get("revenue") or 0) / total_revenue if total_revenue else None
        without_spend(row, COST_KPIS)
        if is_empty(row):
            continue  # rows without a channel show only when they hold something
        out.append(clean(row))
    catalog = dash.ws.catalog
    data = {
        "period": period.label,
        "filters": f.as_dict(),
        "columns": ["spend", *CHANNEL_KPIS, "revenue_share"],
        "names": {k: catalog.get(k).name(language) for k in CHANNEL_KPIS},
        "units": {
            **{k: catalog.get(k).unit for k in CHANNEL_KPIS},
            "spend": "currency",
            "revenue_share": "ratio",
        },
        "rows": out,
        "attribution": "source channel of the lead (first touch)",
    }
    if model:
        from kaname.dashboard.analysis import attributed_channels

        attributed_channels(dash, data, model, period)
    return data


def _measure_query(dash: DashboardCore, period: Period, f: Filters) -> Any:
    from kaname.metrics.engine import MetricQuery

    return MetricQuery(
        ("cpa",),
        period.grain,
        period.start,
        period.start,
        ("channel",),
        as_of=dash.ws.today(),
        filters=tuple(p for p in f.pairs() if p[0] in ("channel", "campaign")),
    )
