"""Plan templates for common B2B models (seeds 002, 004); `kaname plan new --template NAME`."""

from __future__ import annotations

import math
from importlib import resources

from kaname.design.funnel import allocate_whole, is_contiguous, link_rates
from kaname.design.plan import Plan, PlanError, load_plan
from kaname.design.planner import Solution
from kaname.metrics.catalog import Catalog

UNIT_COSTS = {
    "cpa": "target_cpa",
    "cost_per_mql": "cost_per_mql",
    "cac": "target_cac",
    "ltv_cac": "ltv_cac",
}


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
    """Monthly targets for every KPI from the planner's solution (one source): stage volumes
    per month (and per channel where the plan has a channel mix), rates from the assumptions,
    unit costs (CPA, cost per MQL, CAC, LTV:CAC) from the budget, tactic rates from their
    benchmarks. Counts are rounded to 0.1 and money to 1 so that the months add up to the
    solved total (largest remainder); unit costs are kept exact."""
    labels = [m.label for m in solution.months if not m.label.startswith("-")]
    in_period = [m for m in solution.months if m.label in set(labels[-12:])]
    rates = plan.assumptions.used_rates()
    stages = list(solution.volumes)
    linked = {  # rates that are their KPI's own stage ratio (no stage dropped in between)
        name
        for name, upper, lower in zip(link_rates(stages), stages, stages[1:], strict=False)
        if is_contiguous([upper, lower])
    }
    items = []
    for item in plan.kpis:
        kpi = catalog.get(item.kpi)
        channels: dict[str, dict[str, float]] = {}
        if item.kpi in solution.volumes:
            digits = 0 if kpi.unit == "currency" else 1
            months = [m.volumes[item.kpi] for m in in_period]
            parts = round_parts(sum(months), months, digits)
            targets = {m.label: v for m, v in zip(in_period, parts, strict=True)}
            total = solution.volumes[item.kpi]
            shares = {
                ch: v[item.kpi] / total
                for ch, v in solution.by_channel.items()
                if item.kpi in v and total > 0
            }
            if shares:
                names = list(shares)
                for label, value in targets.items():
                    cells = round_parts(value, [shares[n] for n in names], digits)
                    for name, cell in zip(names, cells, strict=True):
                        channels.setdefault(name, {})[label] = cell
        elif item.kpi in rates and (item.kpi in linked or not plan.assumptions.stages):
            targets = {m.label: rates[item.kpi] for m in in_period}
        elif item.kpi in UNIT_COSTS and UNIT_COSTS[item.kpi] in solution.unit_costs:
            value = solution.unit_costs[UNIT_COSTS[item.kpi]]
            targets = {m.label: value for m in in_period}
        elif item.kpi in rates:
            raise PlanError(
                f"KPI {item.kpi} is not a stage ratio of this funnel "
                f"({' → '.join(stages)}): drop it from the KPIs or add the stages it links"
            )
        elif kpi.benchmark is not None and kpi.benchmark.low is not None:
            high = kpi.benchmark.high if kpi.benchmark.high is not None else kpi.benchmark.low
            targets = {m.label: round((kpi.benchmark.low + high) / 2, 4) for m in in_period}
        else:
            raise PlanError(
                f"template KPI {item.kpi} has no rate, stage, budget or benchmark "
                "to derive its targets from"
            )
        targets = {k: v for k, v in targets.items() if not math.isnan(v)}
        items.append(item.model_copy(update={"targets": targets, "channels": channels}))
    return plan.model_copy(update={"kpis": items})


def round_parts(total: float, weights: list[float], digits: int) -> list[float]:
    """`total` split by `weights` and rounded to `digits` decimals, the parts adding up to the
    rounded total (largest remainder)."""
    scale = 10**digits
    whole = round(total * scale)
    if whole <= 0 or sum(weights) <= 0:
        return [0.0 for _ in weights]
    return [p / scale for p in allocate_whole(whole, weights)]
