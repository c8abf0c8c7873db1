"""Plan templates for common B2B models (seeds 002, 004); `kaname plan new --template NAME`."""

from __future__ import annotations

import math
from importlib import resources

from kaname.design.plan import Plan, PlanError, load_plan
from kaname.design.planner import Solution
from kaname.metrics.catalog import Catalog

UNIT_COSTS = {"cpa": "target_cpa", "cost_per_mql": "cost_per_mql", "cac": "target_cac"}


def template_names() -> list[str]:
    files = resources.files("kaname.design.templates").iterdir()
    return sorted(f.name[: -len(".yaml")] for f in files if f.name.endswith(".yaml"))


def load_template(name: str, fiscal_year: int) -> tuple[Plan, str]:
    """The template as a plan for `fiscal_year` (targets not filled yet) and its text."""
    key = name.replace("-", "_")
    if key not in template_names():
        raise PlanError(f"no template {name!r}; templates: {', '.join(template_names())}")
    text = resources.files("kaname.design.templates").joinpath(f"{key}.yaml").read_text("utf-8")
    text = text.replace("period: FY2026", f"period: FY{fiscal_year}")
    return load_plan(text, f"template {name}"), text


def fill_targets(plan: Plan, solution: Solution, catalog: Catalog) -> Plan:
    """Monthly targets for every KPI: stage volumes from the solved funnel, rates from the
    assumptions, unit costs from the budget, tactic rates from their benchmarks."""
    labels = [m.label for m in solution.months if not m.label.startswith("-")]
    in_period = [m for m in solution.months if m.label in set(labels[-12:])]
    rates = plan.assumptions.rates()
    items = []
    for item in plan.kpis:
        kpi = catalog.get(item.kpi)
        if item.kpi in solution.volumes:
            digits = 0 if kpi.unit == "currency" else 1
            targets = {m.label: round(m.volumes[item.kpi], digits) for m in in_period}
        elif item.kpi in rates:
            targets = {m.label: rates[item.kpi] for m in in_period}
        elif item.kpi in UNIT_COSTS and UNIT_COSTS[item.kpi] in solution.unit_costs:
            value = round(solution.unit_costs[UNIT_COSTS[item.kpi]])
            targets = {m.label: value for m in in_period}
        elif kpi.benchmark is not None and kpi.benchmark.low is not None:
            high = kpi.benchmark.high if kpi.benchmark.high is not None else kpi.benchmark.low
            targets = {m.label: round((kpi.benchmark.low + high) / 2, 4) for m in in_period}
        else:
            raise PlanError(
                f"template KPI {item.kpi} has no rate, stage, budget or benchmark "
                "to derive its targets from"
            )
        targets = {k: v for k, v in targets.items() if not math.isnan(v)}
        items.append(item.model_copy(update={"targets": targets}))
    return plan.model_copy(update={"kpis": items})
