"""The top-down planner: KGI → required volume at every stage, per channel and per month,
lead-time aware, with budget → target CPA / cost per MQL / CAC and the LTV:CAC check.

Pure: the workspace hands in history-derived seasonality and stage durations (or none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kaname.design.funnel import (
    STANDARD_RATES,
    STANDARD_STAGES,
    Funnel,
    FunnelError,
    allocate,
    allocate_by_cost,
    months_earlier,
    unit_costs,
)

LEAD_TIMES = ("opportunity_to_deal", "sql_to_opportunity", "mql_to_sql", "lead_to_mql")
"""Lead times between stages, from the bottom of the funnel upward (days)."""
_LEAD_TIME_BELOW = {
    "deals": "opportunity_to_deal",
    "opportunities": "sql_to_opportunity",
    "sqls": "mql_to_sql",
    "mqls": "lead_to_mql",
}
LTV_CAC_TARGET = 3.0
LTV_CAC_IMPLAUSIBLE = 10.0
"""An LTV:CAC above this is not a healthy margin but a sign that LTV is overstated (a churn too
low to measure stretches the lifetime to decades) or that CAC leaves costs out."""
UNIT_COST_UNITS = {
    "target_cpa": "currency",
    "cost_per_mql": "currency",
    "target_cac": "currency",
    "cac_payback_months": "months",
    "ltv_cac": "multiple",
}
"""The unit each of the planner's unit costs is shown in (catalog units)."""


@dataclass(frozen=True)
class MonthPlan:
    label: str
    volumes: dict[str, float]
    """Volume of each stage that must happen in this month (earlier stages shifted earlier)."""


@dataclass(frozen=True)
class Solution:
    kgi_stage: str
    kgi_target: float
    volumes: dict[str, float]
    by_channel: dict[str, dict[str, float]]
    months: list[MonthPlan]
    lead_times_days: dict[str, float]
    lead_time_source: str
    seasonality_source: str
    unit_costs: dict[str, float]
    checks: list[str] = field(default_factory=list)


def solve(
    kgi_stage: str,
    kgi_target: float,
    rates: Mapping[str, float],
    month_labels: Sequence[str],
    seasonality: Sequence[float] | None = None,
    lead_times_days: Mapping[str, float] | None = None,
    lead_time_source: str = "assumed",
    channel_mix: Mapping[str, float] | None = None,
    budget: float | None = None,
    ltv: float | None = None,
    channel_cpa: Mapping[str, float] | None = None,
    channel_capacity: Mapping[str, float] | None = None,
    arpa: float | None = None,
    gross_margin: float = 0.8,
    stages: Sequence[str] | None = None,
) -> Solution:
    """Required volumes for `kgi_target` of `kgi_stage` through the standard funnel, or through
    `stages` (the ones the team uses, from the KGI's stage down) when given."""
    if stages:
        if stages[0] != kgi_stage:
            raise FunnelError(f"the stages must start at the KGI's stage {kgi_stage}")
        funnel = Funnel.of(stages, rates)
    else:
        bottom = next(
            (
                STANDARD_STAGES[i + 1]
                for i, r in reversed(list(enumerate(STANDARD_RATES)))
                if r in rates
                and all(
                    q in rates for q in STANDARD_RATES[STANDARD_STAGES.index(kgi_stage) : i + 1]
                )
            ),
            None,
        )
        if bottom is None:
            raise FunnelError(
                f"the plan needs the rates below {kgi_stage}: "
                f"{', '.join(STANDARD_RATES[STANDARD_STAGES.index(kgi_stage) :])} "
                "(at least the first)"
            )
        funnel = Funnel.standard(rates, top=kgi_stage, bottom=bottom)
    return _solve_with(
        funnel,
        kgi_target,
        month_labels,
        seasonality,
        lead_times_days,
        lead_time_source,
        channel_mix,
        budget,
        ltv,
        channel_cpa,
        channel_capacity,
        arpa,
        gross_margin,
    )


def _solve_with(
    funnel: Funnel,
    kgi_target: float,
    month_labels: Sequence[str],
    seasonality: Sequence[float] | None,
    lead_times_days: Mapping[str, float] | None,
    lead_time_source: str,
    channel_mix: Mapping[str, float] | None,
    budget: float | None,
    ltv: float | None,
    channel_cpa: Mapping[str, float] | None,
    channel_capacity: Mapping[str, float] | None,
    arpa: float | None,
    gross_margin: float,
) -> Solution:
    kgi_stage = funnel.stages[0]
    volumes = funnel.volumes(kgi_stage, kgi_target)
    weights = list(seasonality) if seasonality else [1.0] * len(month_labels)
    if len(weights) != len(month_labels):
        raise FunnelError("seasonality needs one weight per month of the period")
    lead_times = dict(lead_times_days or {})
    months = _phase(funnel, volumes, month_labels, weights, lead_times)
    by_channel: dict[str, dict[str, float]] = {}
    if channel_mix:
        names = list(channel_mix)
        shares = [channel_mix[n] for n in names]
        for stage, total in volumes.items():
            for name, part in zip(names, allocate(total, shares), strict=True):
                by_channel.setdefault(name, {})[stage] = part
    checks = []
    if channel_cpa and "leads" in volumes:
        # Cost-efficient allocation: cheapest channels first, within their capacity.
        leads_by_channel = allocate_by_cost(volumes["leads"], channel_cpa, channel_capacity)
        by_channel = {}
        for name, leads in leads_by_channel.items():
            share = leads / volumes["leads"] if volumes["leads"] else 0.0
            by_channel[name] = {stage: total * share for stage, total in volumes.items()}
            by_channel[name]["cost"] = leads * channel_cpa[name]
        needed = sum(v["cost"] for v in by_channel.values())
        if budget is not None:
            verdict = "fits" if needed <= budget else "exceeds"
            checks.append(
                f"the cheapest channel mix costs {needed:,.0f}, which {verdict} the "
                f"budget of {budget:,.0f}"
            )
    costs = unit_costs(budget, volumes) if budget else {}
    if arpa and "target_cac" in costs:
        costs["cac_payback_months"] = costs["target_cac"] / (arpa * gross_margin)
        checks.append(
            f"CAC payback {costs['cac_payback_months']:.1f} months at ARPA "
            f"{arpa:,.0f} and {gross_margin:.0%} gross margin"
        )
    if ltv is not None and "target_cac" in costs:
        ratio = ltv / costs["target_cac"]
        costs["ltv_cac"] = ratio
        if ratio > LTV_CAC_IMPLAUSIBLE:
            checks.append(
                f"LTV:CAC {ratio:.1f} is implausibly high (over {LTV_CAC_IMPLAUSIBLE:.0f}:1): "
                "check the LTV assumption and that CAC counts every acquisition cost"
            )
        else:
            verdict = "meets" if ratio >= LTV_CAC_TARGET else "is below"
            checks.append(f"LTV:CAC {ratio:.1f} {verdict} the 3:1 guideline (CAC ≤ LTV ÷ 3)")
    return Solution(
        kgi_stage,
        kgi_target,
        volumes,
        by_channel,
        months,
        lead_times,
        lead_time_source,
        "history" if seasonality else "even",
        costs,
        checks,
    )


def _phase(
    funnel: Funnel,
    volumes: Mapping[str, float],
    labels: Sequence[str],
    weights: Sequence[float],
    lead_times: Mapping[str, float],
) -> list[MonthPlan]:
    """Phase the KGI's stage by `weights`; each lower stage lands `lead time` months earlier.

    Months before the period, where early-funnel volume must happen in advance, come first."""
    offset = {funnel.stages[0]: 0}
    for upper, lower in zip(funnel.stages, funnel.stages[1:], strict=False):
        days = lead_times.get(_LEAD_TIME_BELOW.get(upper, ""), 0.0)
        offset[lower] = offset[upper] + months_earlier(days)
    earliest = max(offset.values())
    rows: dict[int, dict[str, float]] = {}
    for stage in funnel.stages:
        parts = allocate(volumes[stage], weights)
        for i, part in enumerate(parts):
            slot = i - offset[stage]
            rows.setdefault(slot, {s: 0.0 for s in funnel.stages})[stage] += part
    out = []
    for slot in range(-earliest, len(labels)):
        label = labels[slot] if slot >= 0 else _months_before(labels[0], -slot)
        out.append(MonthPlan(label, rows.get(slot, {s: 0.0 for s in funnel.stages})))
    return out


def _months_before(label: str, count: int) -> str:
    """The month label `count` months before a YYYY-MM label (or "-count" for other labels)."""
    try:
        year, month = (int(x) for x in label.split("-"))
    except ValueError:
        return f"-{count}"
    index = year * 12 + month - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
