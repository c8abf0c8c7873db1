"""Build the demo workspace: synthetic company data, a starter plan with targets, refreshed KPIs."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from kaname.clock import real_today
from kaname.config import WorkspaceConfig, write_config
from kaname.design.funnel import STANDARD_RATES
from kaname.design.plan import Assumptions, Kgi, Ksf, Plan, PlanKpi, TreeEdge, dump_plan
from kaname.metrics.calendar import Grain, fiscal_year, parse_period, periods_between
from kaname.metrics.engine import MetricQuery
from kaname.metrics.refresh import Progress
from kaname.workspace import Workspace

EXECUTIVE_KPIS: tuple[str, ...] = (
    "revenue",
    "deals",
    "opportunities",
    "mqls",
    "cac",
    "leads",
    "cpa",
    "sql_rate",
    "opportunity_rate",
    "win_rate",
    "average_deal_size",
    "nrr",
    "logo_churn_rate",
)
"""The demo's executive view: the KGI, the organisation KPIs and each department's KPIs."""
ORGANISATION_KPIS = ("revenue", "deals", "opportunities", "mqls", "cac")
OWNERS = {
    "revenue": ("sales", "営業部長"),
    "deals": ("sales", "営業部長"),
    "opportunities": ("inside_sales", "IS マネージャー"),
    "mqls": ("marketing", "マーケティング部長"),
    "cac": ("marketing", "マーケティング部長"),
    "leads": ("marketing", "マーケティング部長"),
    "cpa": ("marketing", "マーケティング部長"),
    "sql_rate": ("inside_sales", "IS マネージャー"),
    "opportunity_rate": ("inside_sales", "IS マネージャー"),
    "win_rate": ("sales", "営業部長"),
    "average_deal_size": ("sales", "営業部長"),
    "nrr": ("customer_success", "CS マネージャー"),
    "logo_churn_rate": ("customer_success", "CS マネージャー"),
}
GROWTH = 1.15
"""Targets ask for 15% more volume than a year earlier."""
RATE_IMPROVEMENT = 0.05


def build_demo(
    root: Path,
    scale: float = 1.0,
    seed: int = 42,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Workspace:
    from kaname.ingest.synthetic import estimate_rows, generate

    pin = as_of is not None
    as_of = as_of or real_today()
    if (root / "kaname.yaml").exists():
        ws = Workspace.open(root)
        ws.warehouse.truncate_all()
    else:
        ws = Workspace.init(root, WorkspaceConfig(name="Kaname Demo 株式会社"))
    # The data ends on `as_of`: an explicit date pins the workspace clock to it (reproducible
    # pages, reports and tests); a demo built up to today follows the real date.
    wanted = as_of if pin else None
    if ws.config.as_of != wanted:
        ws.config = ws.config.model_copy(update={"as_of": wanted})
        write_config(ws.root, ws.config)
    expected = max(1, sum(estimate_rows(scale).values()))
    loaded = 0
    for table, chunk in generate(scale=scale, seed=seed, as_of=as_of):
        loaded += ws.warehouse.append(table, chunk)
        if progress:
            progress(f"{table}", min(loaded, expected), expected)
    if progress:
        progress("done", expected, expected)
    plan = starter_plan(ws, as_of)
    path = ws.root / "plans" / f"{plan.name}.yaml"
    text = dump_plan(plan)
    path.write_text(
        "# Starter plan written by `kaname demo`: targets for the executive view.\n" + text, "utf-8"
    )
    ws.apply_plan_object(
        plan, text, effective_from=as_of - dt.timedelta(days=as_of.day - 1), created_by="demo"
    )
    return ws


def starter_plan(ws: Workspace, as_of: dt.date) -> Plan:
    """Monthly targets for the fiscal year holding `as_of`, from last year's actuals."""
    fy_start = ws.config.fiscal_year_start_month
    fy = fiscal_year(as_of, fy_start)
    year = parse_period(f"FY{fy}", fy_start)
    months = periods_between(year.start, year.last_day, Grain.MONTH, fy_start)
    engine = ws.engine()
    last_year = engine.compute(
        MetricQuery(
            EXECUTIVE_KPIS,
            Grain.MONTH,
            months[0].year_ago().start,
            months[-1].year_ago().start,
            as_of=as_of,
        )
    )
    whole = engine.compute(
        MetricQuery(
            EXECUTIVE_KPIS,
            Grain.YEAR,
            months[0].year_ago().start,
            months[0].year_ago().start,
            as_of=as_of,
        )
    )
    catalog = ws.catalog
    items = []
    for kpi_id in EXECUTIVE_KPIS:
        kpi = catalog.get(kpi_id)
        history = last_year[last_year["kpi"] == kpi_id].set_index("period_start")["value"]
        year_value = float(whole.loc[whole["kpi"] == kpi_id, "value"].iloc[0])
        targets: dict[str, float] = {}
        for month in months:
            before = float(history.get(month.year_ago().start, math.nan))
            if kpi.unit in ("count", "currency") and kpi.formula == kpi_id:
                # Half the same month last year, half the monthly average: keeps the season
                # without letting one empty month set a zero target.
                value = GROWTH * (0.5 * before + 0.5 * year_value / 12)
            else:
                # Rates: last year's typical month (the median), a little better. A yearly value
                # would not do: churn or NRR over a year is not a monthly rate.
                factor = 1 + RATE_IMPROVEMENT if kpi.direction == "higher" else 1 - RATE_IMPROVEMENT
                value = float(history.median()) * factor
            if not math.isnan(value):
                targets[month.label] = round(value, 4 if kpi.unit == "ratio" else 0)
        department, owner = OWNERS[kpi_id]
        items.append(
            PlanKpi(
                kpi=kpi_id,
                level="organisation" if kpi_id in ORGANISATION_KPIS else "department",
                department=department,
                owner=owner,
                grain=Grain.MONTH,
                targets=targets,
            )
        )
    kgi_target = sum(items[0].targets.values())
    return Plan(
        name=f"demo-fy{fy}",
        description=f"FY{fy} starter plan: {int((GROWTH - 1) * 100)}% growth on FY{fy - 1}.",
        kgi=Kgi(kpi="revenue", target=round(kgi_target), period=f"FY{fy}"),
        kpis=items,
        assumptions=_assumptions(ws, months[0].year_ago().start, as_of),
        ksfs=[
            Ksf(name="商談化の質と量を高める", kpis=["mqls", "sql_rate", "opportunities"]),
            Ksf(name="受注率を上げる", kpis=["win_rate"]),
            Ksf(name="獲得効率を保つ", kpis=["cpa", "cac"]),
            Ksf(name="既存顧客を維持・拡大する", kpis=["nrr", "logo_churn_rate"]),
        ],
        tree=[
            TreeEdge(kpi="revenue", relation="product", children=["deals", "average_deal_size"]),
            TreeEdge(kpi="deals", relation="product", children=["opportunities", "win_rate"]),
            TreeEdge(
                kpi="opportunities", relation="product", children=["sqls", "opportunity_rate"]
            ),
            TreeEdge(kpi="sqls", relation="product", children=["mqls", "sql_rate"]),
            TreeEdge(kpi="mqls", relation="product", children=["leads", "mql_rate"]),
        ],
    )


def _assumptions(ws: Workspace, last_year: dt.date, as_of: dt.date) -> Assumptions:
    """Last fiscal year's rates, deal size, budget and LTV, for `kaname plan solve`."""
    names = (*STANDARD_RATES, "cac", "deals", "ltv")
    frame = ws.engine().compute(MetricQuery(names, Grain.YEAR, last_year, last_year, as_of=as_of))
    got = {k: float(v) for k, v in zip(frame["kpi"], frame["value"], strict=True) if v == v}
    rates = {k: round(got[k], 4) for k in STANDARD_RATES if k in got and got[k] > 0}
    budget = got.get("cac", 0) * got.get("deals", 0) * GROWTH
    return Assumptions(
        **rates,
        budget=round(budget) or None,
        ltv=round(got["ltv"]) if got.get("ltv") else None,
        channel_mix={},
    )
