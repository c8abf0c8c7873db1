"""Page data for the executive, department, tactics, trends, KPI, tree and catalog pages."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kaname.dashboard.core import clean, records
from kaname.dashboard.filters import Filters
from kaname.design.plan import PlanError
from kaname.metrics.calendar import Grain, Period, period_of, periods_between
from kaname.metrics.catalog import PHASE_NAMES
from kaname.metrics.compare import change, compare, progress
from kaname.metrics.engine import MetricError, MetricQuery

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore

TACTICS: dict[str, tuple[str, ...]] = {
    "email": (
        "email_delivery_rate",
        "email_open_rate",
        "email_click_rate",
        "email_click_to_open_rate",
        "email_conversion_rate",
    ),
    "webinar": ("webinar_registrations", "webinar_attendance_rate", "webinar_completion_rate"),
    "calls": ("calls", "call_connect_rate", "appointment_rate", "avg_call_minutes"),
    "events": ("event_visits", "event_valid_lead_rate"),
}
"""Tactic → its KPIs, in the order the page shows them."""
FLAT_BAND = 0.02
"""Changes within ±2% count as flat on trend arrows."""


def _trend(now: float | None, before: float | None) -> str:
    if now is None or before is None or before == 0:
        return "none"
    change = now / before - 1
    if abs(change) <= FLAT_BAND:
        return "flat"
    return "up" if change > 0 else "down"


def period_forecast(dash: DashboardCore, kpi_id: str, period: Period, f: Filters) -> dict[str, Any]:
    """The ETS forecast of the current period (fitted on the complete periods before it; a ratio
    KPI from its components, the band within the KPI's domain), the cross-check beside the
    run-rate landing projection (`_blend`); empty where it does not apply."""
    ws = dash.ws
    if f.pairs() or f.view != "period" or period.grain.value not in ("month", "quarter"):
        return {}
    if not period.contains(ws.today()):
        return {}

    def build() -> dict[str, Any]:
        try:
            result = ws.analytics.forecast(kpi_id, horizon=1, grain=period.grain, level=0.8)
        except Exception:  # too little history, a KPI without a series: no forecast, no error
            return {}
        rows = result.frame[result.frame["period"] == period.label]
        if rows.empty:
            return {}
        first = rows.iloc[0]
        return dict(
            clean(
                {
                    "forecast": float(first["forecast"]),
                    "forecast_lower": float(first["lower"]),
                    "forecast_upper": float(first["upper"]),
                    "forecast_model": result.model,
                }
            )
        )

    # One ETS fit per KPI and period, shared by the executive and department pages in every
    # language and kept while the warehouse data stays (the formula: a KPI defined anew).
    key = ("period-forecast", kpi_id, ws.catalog.get(kpi_id).formula, period)
    return dict(dash.cached(key, build, warehouse_only=True))


def _blend(forecast: dict[str, Any], rec: dict[str, Any], dash: DashboardCore) -> dict[str, Any]:
    """One landing story per card. The landing projection is the pacing projection (run-rate
    over business days, `projection_method`), the one every surface shows and the status is
    computed from (`status_basis`). The ETS forecast beside it is a cross-check: for a KPI that
    adds up over the period (leads, revenue …) what is already done counts, so it is the actual
    so far plus the ETS forecast of the part still to come (the run-rate's business-day share);
    `forecast_check` says whether the landing lies within, above or below its 80% interval."""
    from kaname.metrics.report import is_additive

    story = {"projection_method": "run_rate", "status_basis": "projection"}
    actual, projection = rec.get("actual"), rec.get("projection")
    if not forecast or projection is None:
        return {**story, **forecast}
    if actual is not None and projection and is_additive(dash.ws.engine(), rec["kpi"]):
        remaining = max(0.0, 1.0 - actual / projection)
        forecast = {
            **forecast,
            **{
                k: actual + forecast[k] * remaining
                for k in ("forecast", "forecast_lower", "forecast_upper")
            },
        }
    check = "within"
    if projection < forecast["forecast_lower"]:
        check = "below"
    elif projection > forecast["forecast_upper"]:
        check = "above"
    return {**story, **forecast, "forecast_check": check}


def kpi_rows(
    dash: DashboardCore, ids: list[str], period: Period, f: Filters, language: str
) -> list[dict[str, Any]]:
    """Report rows with the previous period and the previous year compared like for like (to the
    same elapsed business day while `period` runs; metrics/compare.py), a trend arrow against the
    previous period and the ETS forecast of the period."""
    report = dash.report(ids, period, f, language)
    values, used = dash.cached(
        ("compare", tuple(report["kpi"]), period, f),
        lambda: compare(
            dash.ws.engine(), list(report["kpi"]), period, dash.ws.today(), f.view, f.pairs()
        ),
    )
    catalog = dash.ws.catalog
    rows = []
    for rec in records(report):
        kpi = catalog.get(rec["kpi"])
        prev_year = clean(values["previous_year"].get(rec["kpi"], math.nan))
        previous = clean(values["previous"].get(rec["kpi"], math.nan))
        trend = _trend(rec["actual"], previous)
        rec.update(
            {
                "type": kpi.type,
                "phase": kpi.phase,
                "previous_year": prev_year,
                "vs_previous_year": clean(change(rec["actual"], prev_year)),
                "previous": previous,
                "vs_previous": clean(change(rec["actual"], previous)),
                "comparison": {b.name: b.as_dict() for b in used},
                "trend": trend,
                "good": (
                    None
                    if trend in ("none", "flat")
                    else (trend == "up") == (kpi.direction == "higher")
                ),
            }
        )
        rec.update(_blend(period_forecast(dash, rec["kpi"], period, f), rec, dash))
        rows.append(rec)
    return rows


def bottleneck(dash: DashboardCore, period: Period, language: str) -> dict[str, Any]:
    """The driver whose improvement moves the KGI most (the planner's sensitivity ranking);
    computed once per period and language for the executive page and the tree."""
    return dash.cached(
        ("bottleneck", period, language), lambda: _bottleneck(dash, period, language)
    )


def _bottleneck(dash: DashboardCore, period: Period, language: str) -> dict[str, Any]:
    found = dash.plan()
    if found is None:
        return {"available": False, "reason": "no_plan"}
    try:
        gap = dash.ws.plan_gap(found[0], period.label)
    except (PlanError, MetricError) as exc:
        return {"available": False, "reason": "outside", "detail": str(exc)}
    ranked = gap["sensitivity"]
    if not ranked:
        return {"available": False, "reason": "no_drivers"}
    top = ranked[0]
    catalog = dash.ws.catalog
    driver = str(top["driver"])
    return clean(
        {
            "available": True,
            "kgi": gap["kgi"],
            "kgi_name": catalog.get(gap["kgi"]).name(language),
            "kgi_unit": catalog.get(gap["kgi"]).unit,
            "driver": driver,
            "driver_name": top["names"][language],
            "driver_unit": catalog.get(driver).unit if driver in catalog else "count",
            "actual": top["actual"],
            "benchmark": top["benchmark"],
            "gain_step": top["gain_step"],
            "gain_to_benchmark": top["gain_to_benchmark"],
            "planned": gap["planned"],
            "planned_source": gap["planned_source"],
            "gap": gap["gap"],
            "drivers": [
                {
                    **d,
                    "name": d["names"][language],
                    "unit": catalog.get(d["driver"]).unit if d["driver"] in catalog else "count",
                }
                for d in gap["drivers"]
            ],
            "sensitivity": ranked,
        }
    )


def executive(dash: DashboardCore, f: Filters, language: str) -> dict[str, Any]:
    period = dash.period(f)
    kgi, org = dash.organisation_kpis()
    rows = kpi_rows(dash, [kgi, *org], period, f, language)
    kgi_row = next((r for r in rows if r["kpi"] == kgi), None)
    found = dash.plan()
    where = progress(period, dash.ws.today())
    last_complete = None
    if where.running:
        # On the 3rd of a month the running period says little: show the last complete one too.
        done = period.previous()
        last_complete = {
            "period": done.label,
            "kpis": records(dash.report([kgi, *org], done, f, language)),
        }
    return {
        "period": period.label,
        "grain": period.grain.value,
        "as_of": dash.ws.today().isoformat(),
        "progress": where.as_dict(),
        "last_complete": last_complete,
        "filters": f.as_dict(),
        "plan": ({"name": found[1].plan_name, "version": found[1].version} if found else None),
        "kgi": kgi_row,
        "kpis": [r for r in rows if r["kpi"] != kgi],
        "bottleneck": bottleneck(dash, period, language),
        "departments": sorted(dash.department_kpis()),
    }


def department(dash: DashboardCore, name: str, f: Filters, language: str) -> dict[str, Any]:
    period = dash.period(f)
    ids = dash.department_kpis().get(name, [])
    found = dash.plan()
    if found is not None:
        ids = ids + [
            k.kpi
            for k in found[0].kpis
            if k.level == "organisation" and k.department == name and k.kpi not in ids
        ]
    return {
        "department": name,
        "period": period.label,
        "as_of": dash.ws.today().isoformat(),
        "filters": f.as_dict(),
        "kpis": kpi_rows(dash, ids, period, f, language),
    }


def tactics(dash: DashboardCore, f: Filters, language: str) -> dict[str, Any]:
    period = dash.period(f)
    catalog = dash.ws.catalog
    ids = [k for group in TACTICS.values() for k in group if k in catalog]
    report = {r["kpi"]: r for r in records(dash.report(ids, period, f, language, view="period"))}
    groups = []
    for tactic, kpis in TACTICS.items():
        items = []
        for kpi_id in kpis:
            if kpi_id not in report:
                continue
            row = dict(report[kpi_id])
            bench = catalog.get(kpi_id).benchmark
            row["benchmark"] = bench.model_dump() if bench else None
            row["versus_benchmark"] = _versus(row["actual"], bench)
            items.append(row)
        groups.append({"tactic": tactic, "kpis": items})
    return {"period": period.label, "filters": f.as_dict(), "tactics": groups}


def _versus(value: float | None, bench: Any) -> str:
    if bench is None or value is None:
        return "none"
    if bench.low is not None and value < bench.low:
        return "below"
    if bench.high is not None and value > bench.high:
        return "above"
    return "within"


def trend_grain(span: Period) -> Grain:
    """The grain a trend over a range of days is drawn in: days up to a month, weeks up to a
    quarter, months beyond."""
    if span.days <= 31:
        return Grain.DAY
    return Grain.WEEK if span.days <= 92 else Grain.MONTH


def trends(
    dash: DashboardCore, kpi_id: str, f: Filters, language: str, count: int
) -> dict[str, Any]:
    ws = dash.ws
    kpi = ws.catalog.get(kpi_id)
    last = dash.period(f)
    span = last.label if last.grain is Grain.RANGE else ""
    fy = ws.config.fiscal_year_start_month
    if last.grain is Grain.RANGE:  # a range's trend: its days, weeks or months
        inside = periods_between(last.start, last.last_day, trend_grain(last), fy)
        first, last = inside[0], inside[-1]
    else:
        first = last
        for _ in range(max(count, 1) - 1):
            first = first.previous()
    periods = periods_between(first.start, last.start, last.grain, fy)
    view = f.view if f.view == "period" or ws.catalog.has_cohort_view(kpi_id) else "period"
    query = MetricQuery(
        (kpi_id,),
        last.grain,
        first.start,
        last.start,
        view=view,
        as_of=ws.today(),
        filters=f.pairs(),
    )
    actual = ws.compute(query)
    year_ago = ws.compute(
        MetricQuery(
            (kpi_id,),
            last.grain,
            first.year_ago().start,
            last.year_ago().start,
            view=view,
            as_of=ws.today(),
            filters=f.pairs(),
        )
    )
    target_dim, target_value = ("", "")
    if len(f.pairs()) == 1:
        target_dim, target_value = f.pairs()[0]
    if target_dim:
        targets = ws.targets.lookup_many([kpi_id], periods, ws.today(), target_dim)
    elif f.pairs():
        targets = {}
    else:  # every grain has a target, derived as the KPI report derives it
        derived = ws.target_resolver().targets([kpi_id], periods)
        targets = {(k, s, ""): v for (k, s), v in derived.items()}
    prev = {p.start: v for p, v in zip(periods, _aligned(year_ago, len(periods)), strict=True)}
    points = []
    for p, value, note in zip(periods, actual["value"], actual["note"], strict=True):
        target = targets.get((kpi_id, p.start, target_value), math.nan)
        points.append(
            clean(
                {
                    "period": p.label,
                    "start": p.start,
                    "actual": float(value),
                    "target": target,
                    "previous_year": prev[p.start],
                    "note": note,
                }
            )
        )
    return {
        "kpi": kpi_id,
        "name": kpi.name(language),
        "unit": kpi.unit,
        "direction": kpi.direction,
        "grain": last.grain.value,
        "view": view,
        "filters": f.as_dict(),
        "points": points,
        "range": span,
        "annotations": chart_annotations(
            dash, kpi_id, first.start, last.end, last.grain.value, language
        ),
        **_forecast_band(dash, kpi_id, f, view, last),
    }


def _forecast_band(dash: DashboardCore, kpi_id: str, f: Filters, view: str, last: Period) -> Any:
    """ETS forecast band after the actuals (dashboard/analysis.py); never breaks the page."""
    try:
        from kaname.dashboard.analysis import trend_forecast

        return trend_forecast(dash, kpi_id, f, view, last)
    except Exception:  # a forecast must never break the page
        return {}


def _aligned(frame: Any, n: int) -> list[float]:
    values = [float(v) for v in frame["value"]]
    return (values + [math.nan] * n)[:n]


def chart_annotations(
    dash: DashboardCore,
    kpi_id: str,
    start: Any,
    end: Any,
    grain: str = "month",
    language: str = "en",
) -> list[dict[str, Any]]:
    """Dated notes on a KPI's charts: plan versions applied and PDCA actions on the KPI, each
    placed in the period (`period`) of the chart's grain that holds its date, and worded in
    `language` (「demo-fy2026 第2版」, an action's channel by its name)."""
    from kaname.act.report_render import dimension_value
    from kaname.canonical.labels import column_label

    fy = dash.ws.config.fiscal_year_start_month
    out: list[dict[str, Any]] = []
    for version in dash.ws.plan_versions():
        day = version.created_at.date()
        if start <= day < end:
            number = f"第{version.version}版" if language == "ja" else f"v{version.version}"
            out.append({"date": day, "kind": "plan", "text": f"{version.plan_name} {number}"})
    act = getattr(dash.ws, "act", None)
    if act is not None:
        for item in act.annotations(kpi_id):
            day = item["start"]
            day = dt.date.fromisoformat(day) if isinstance(day, str) else day
            if day is not None and start <= day < end:
                label = item["title"]
                if item.get("dimension_value"):
                    dim = str(item["dimension"])
                    where = column_label("", dim, language)
                    value = dimension_value(dim, item["dimension_value"], language)
                    label += f"（{where}: {value}）" if language == "ja" else f" ({where}: {value})"
                out.append(
                    {
                        "date": day,
                        "kind": "action",
                        "text": label,
                        "id": item["id"],
                        "status": item["status"],
                        "decision": item.get("decision"),
                    }
                )
    for item in out:
        item["period"] = period_of(item["date"], grain, fy).label
    return [clean(i) for i in sorted(out, key=lambda i: i["date"])]


def kpi_detail(dash: DashboardCore, kpi_id: str, f: Filters, language: str) -> dict[str, Any]:
    ws = dash.ws
    catalog = ws.catalog
    kpi = catalog.get(kpi_id)
    period = dash.period(f)
    found = dash.plan()
    owner = ""
    department = ""
    if found is not None:
        item = next((k for k in found[0].kpis if k.kpi == kpi_id), None)
        if item is not None:
            owner, department = item.owner, item.department
    dims = [d for d in ws.engine().dimensions_of(kpi_id) if d != "stage"]
    breakdown: dict[str, list[dict[str, Any]]] = {}
    for dim in dims[:7]:
        if dim in {d for d, _ in f.pairs()}:
            continue
        frame = dash.report([kpi_id], period, f, language, dimension=dim, view="period")
        breakdown[dim] = records(frame.sort_values("actual", ascending=False, na_position="last"))
    current = kpi_rows(dash, [kpi_id], period, replace(f, view="period"), language)
    engine = ws.engine()
    tables = sorted({_table(m) for m in catalog.measures_of(kpi_id)})
    freshness = [
        clean({"table": t, "last": (engine.coverage(t) or (None, None))[1]}) for t in tables
    ]
    findings = [x for x in plan_findings(dash) if x["kpi"] in (kpi_id, "", None)]
    history = [
        clean(
            {
                "grain": t.grain,
                "period_start": t.period_start,
                "dimension": t.dimension,
                "dimension_value": t.dimension_value,
                "value": t.value,
                "effective_from": t.effective_from,
                "created_by": t.created_by,
                "created_at": t.created_at,
            }
        )
        for t in ws.targets.history(kpi_id)
    ]
    return {
        "kpi": kpi_id,
        "name": kpi.name(language),
        "definition": kpi.definition(language),
        "formula": kpi.formula,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "phase": kpi.phase,
        "phase_name": PHASE_NAMES[kpi.phase][0 if language == "ja" else 1],
        "type": kpi.type,
        "kind": kpi.kind,
        "frequency": kpi.frequency,
        "benchmark": kpi.benchmark.model_dump() if kpi.benchmark else None,
        "owner": owner,
        "department": department,
        "period": period.label,
        "filters": f.as_dict(),
        "current": current[0] if current else None,
        "breakdown": breakdown,
        "target_history": history[-60:],
        "freshness": freshness,
        "findings": findings,
    }


def plan_findings(dash: DashboardCore) -> list[dict[str, Any]]:
    """The active plan's lint findings, linted once per plan version (every KPI page shows its
    own share of them)."""
    found = dash.plan()
    if found is None:
        return []
    plan, version = found

    def build() -> list[dict[str, Any]]:
        try:
            return [x.as_dict() for x in dash.ws.lint_plan(plan)]
        except (PlanError, MetricError):
            return []

    return dash.cached(("plan-findings", version.id), build)


def _table(measure: str) -> str:
    from kaname.metrics.engine import table_of

    return table_of(measure)


def tree(dash: DashboardCore, f: Filters, language: str) -> dict[str, Any]:
    found = dash.plan()
    period = dash.period(f)
    if found is None:
        return {"plan": None, "period": period.label, "nodes": [], "bottleneck": None}
    plan, version = found
    walk = plan.walk()
    ids = list(dict.fromkeys(k for _, k in walk))
    report = {r["kpi"]: r for r in records(dash.report(ids, period, f, language, view="period"))}
    edges = {e.kpi: e for e in plan.tree}
    neck = bottleneck(dash, period, language)
    effects = {d["driver"]: d for d in neck.get("drivers", [])} if neck.get("available") else {}
    catalog = dash.ws.catalog
    nodes = []
    for depth, kpi_id in walk:
        rec = report.get(kpi_id, {})
        edge = edges.get(kpi_id)
        nodes.append(
            clean(
                {
                    "depth": depth,
                    "kpi": kpi_id,
                    "name": catalog.get(kpi_id).name(language),
                    "relation": edge.relation if edge else "",
                    "children": list(edge.children) if edge else [],
                    "actual": rec.get("actual"),
                    "target": rec.get("target"),
                    "achievement": rec.get("achievement"),
                    "projection": rec.get("projection"),
                    "status": rec.get("status", "no data"),
                    "unit": catalog.get(kpi_id).unit,
                    "gap_effect": (effects.get(kpi_id) or {}).get("effect"),
                    "bottleneck": neck.get("available") and neck.get("driver") == kpi_id,
                }
            )
        )
    return {
        "plan": {"name": version.plan_name, "version": version.version, "kgi": plan.kgi.kpi},
        "period": period.label,
        "filters": f.as_dict(),
        "nodes": nodes,
        "bottleneck": neck,
        "ksfs": [
            {
                **k.model_dump(),
                "names": [
                    dash.ws.catalog.get(x).name(language) if x in dash.ws.catalog else x
                    for x in k.kpis
                ],
            }
            for k in plan.ksfs
        ],
    }


def catalog_document(dash: DashboardCore, language: str) -> dict[str, Any]:
    """The company-wide KPI definitions: name, definition, formula, target, owner."""
    ws = dash.ws
    found = dash.plan()
    plan_kpis = {k.kpi: k for k in found[0].kpis} if found else {}
    period = ws.period(None)
    derived = ws.target_resolver().targets(list(ws.catalog.ids), [period])
    targets = {(k, s, ""): v for (k, s), v in derived.items()}
    items = []
    for kpi in ws.catalog:
        item = plan_kpis.get(kpi.id)
        items.append(
            clean(
                {
                    "kpi": kpi.id,
                    "name": kpi.name(language),
                    "definition": kpi.definition(language),
                    "formula": kpi.formula,
                    "unit": kpi.unit,
                    "direction": kpi.direction,
                    "phase": kpi.phase,
                    "phase_name": PHASE_NAMES[kpi.phase][0 if language == "ja" else 1],
                    "type": kpi.type,
                    "target": targets.get((kpi.id, period.start, ""), math.nan),
                    "owner": item.owner if item else "",
                    "department": item.department if item else "",
                    "in_plan": item is not None,
                    "custom": kpi.custom,
                }
            )
        )
    return {"period": period.label, "kpis": items}
