"""A plan from four numbers (seed 000's method): the KGI, the average deal size, the stage rates
and the budget. The planner solves the rest — monthly × channel targets, target CPA, CAC and
LTV:CAC — so the plan's assumptions and its targets are one source (`targets_from: planner`).

The seeds' simple model is leads → 商談 (SQL) 20% → 受注 25%; a team adds the stages it uses
(MQL, 案件) and gives their rates. A rate the team did not ask for is never applied. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kaname.design.funnel import STANDARD_RATES, STANDARD_STAGES, is_contiguous, link_rates
from kaname.design.plan import Plan, PlanError
from kaname.metrics.catalog import Catalog

SIMPLE_STAGES = ("revenue", "deals", "sqls", "leads")
"""The seeds' simple model: leads → 商談 → 受注, revenue = 受注 × deal size."""
OPTIONAL_STAGES = ("opportunities", "mqls")
"""Stages a team may add between 商談 and 受注 (案件) or between リード and 商談 (MQL)."""
RATE_ALIASES = {
    "win": "win_rate",
    "opportunity": "opportunity_rate",
    "opp": "opportunity_rate",
    "sql": "sql_rate",
    "mql": "mql_rate",
    "cvr": "cvr",
}
"""Short names for `--rate NAME=VALUE` (the full names work too)."""
STAGE_OF_RATE = dict(zip(STANDARD_RATES, STANDARD_STAGES, strict=False))
"""Each rate is named for the upper stage of its link (win_rate: 受注 ÷ the next stage used)."""


@dataclass(frozen=True)
class QuickInputs:
    kgi: float
    """Revenue for the fiscal year."""
    deal_size: float
    budget: float
    rates: Mapping[str, float] = field(default_factory=dict)
    """The rates the team gave (full names); the stages' other rates take the benchmarks."""
    stages: Sequence[str] = ()
    """The stages used (default: the simple model plus any stage a given rate names)."""
    channel_mix: Mapping[str, float] = field(default_factory=dict)
    ltv: float | None = None


def _error(en: str, ja: str) -> PlanError:
    """A PlanError said in both languages (`ja` for Japanese pages and workspaces)."""
    exc = PlanError(en)
    exc.ja = ja  # type: ignore[attr-defined]
    return exc


def rate_name(text: str) -> str:
    """`sql` or `sql_rate` → sql_rate; PlanError naming the choices otherwise."""
    key = text.strip().lower()
    name = RATE_ALIASES.get(key, key)
    if name not in STANDARD_RATES or name == "average_deal_size":
        choices = ", ".join(RATE_ALIASES)
        raise _error(
            f"no rate {text!r}; rates: {choices}", f"「{text}」という率はありません（{choices}）"
        )
    return name


def benchmark_rates(catalog: Catalog) -> dict[str, float]:
    """The seeds' benchmark for each rate that has one (the low end: a reference example)."""
    out = {}
    for name in STANDARD_RATES[1:]:
        bench = catalog.get(name).benchmark if name in catalog else None
        if bench is not None and bench.low is not None:
            out[name] = float(bench.low)
    return out


def stages_for(rates: Mapping[str, float], chosen: Sequence[str] = ()) -> list[str]:
    """The stages a plan uses: `chosen`, or the simple model plus each given rate's stage."""
    wanted = set(chosen) if chosen else {*SIMPLE_STAGES, *(STAGE_OF_RATE[r] for r in rates)}
    if "cvr" in rates:
        wanted.add("sessions")
    wanted |= {"revenue", "deals", "leads"}
    unknown = sorted(wanted - set(STANDARD_STAGES))
    if unknown:
        raise _error(
            f"unknown stages {unknown}; stages: {', '.join(STANDARD_STAGES)}",
            f"段階 {unknown} はありません（{', '.join(STANDARD_STAGES)}）",
        )
    return [s for s in STANDARD_STAGES if s in wanted]


def resolved_rates(
    inputs: QuickInputs, catalog: Catalog
) -> tuple[list[str], dict[str, float], list[str]]:
    """(stages, the rate of every link, the names that took the benchmark default)."""
    stages = stages_for(inputs.rates, inputs.stages)
    defaults = benchmark_rates(catalog)
    rates: dict[str, float] = {"average_deal_size": inputs.deal_size}
    defaulted = []
    for name in link_rates(stages)[1:]:
        if name in inputs.rates:
            rates[name] = float(inputs.rates[name])
        elif name in defaults:
            rates[name] = defaults[name]
            defaulted.append(name)
        else:
            raise _error(
                f"give the rate {name} (no benchmark to default to)",
                f"{catalog.get(name).name_ja if name in catalog else name}を入力してください"
                "（目安の値がありません）",
            )
    unused = sorted(set(inputs.rates) - set(rates))
    if unused:
        raise _error(
            f"the rates {', '.join(unused)} link stages the plan does not use "
            f"({' → '.join(stages)})",
            f"{', '.join(unused)} は使わない段階の率です（{' → '.join(stages)}）",
        )
    return stages, rates, defaulted


def quick_plan(inputs: QuickInputs, fiscal_year: int, catalog: Catalog, language: str) -> Plan:
    """The plan (targets not solved yet: the workspace solves and fills them)."""
    if inputs.kgi <= 0 or inputs.deal_size <= 0:
        raise _error(
            "the KGI and the average deal size must be above 0",
            "KGIと平均受注単価は0より大きい値にしてください",
        )
    if inputs.budget < 0:
        raise _error("the budget cannot be negative", "予算は0以上にしてください")
    stages, rates, _ = resolved_rates(inputs, catalog)
    # organisation (the executive page): the KGI, deals, leads and the budget's unit costs
    kpis: list[dict[str, object]] = [
        {"kpi": "revenue", "department": "sales"},
        {"kpi": "deals", "department": "sales"},
        {"kpi": "leads", "department": "marketing"},
        {"kpi": "cpa", "department": "marketing"},
        {"kpi": "cac", "department": "marketing"},
    ]
    middle = [s for s in stages[2:] if s not in ("leads", "sessions")]
    kpis += [
        {"kpi": s, "level": "department", "department": "marketing" if s == "mqls" else "sales"}
        for s in middle
    ]
    kpis += [{"kpi": "average_deal_size", "level": "department", "department": "sales"}]
    if "mqls" in stages:
        kpis += [{"kpi": "cost_per_mql", "level": "department", "department": "marketing"}]
    if inputs.ltv:
        kpis += [{"kpi": "ltv_cac", "level": "department", "department": "sales"}]
    for name, upper, lower in zip(link_rates(stages)[1:], stages[1:], stages[2:], strict=False):
        if is_contiguous([upper, lower]) and name in catalog:  # the KPI is this very ratio
            kpis += [{"kpi": name, "level": "department", "department": "sales"}]
    ja = language == "ja"
    owners = {"sales": "営業責任者" if ja else "Head of sales"}
    owners["marketing"] = "マーケティング責任者" if ja else "Head of marketing"
    for item in kpis:
        item["owner"] = owners[str(item["department"])]
    ksfs = [
        {
            "name": "リードを予算内で獲得する" if ja else "Win leads within the budget",
            "kpis": [s for s in ("leads", "mqls", "cpa", "cost_per_mql") if s in _ids(kpis)],
        },
        {
            "name": "商談を受注につなげる" if ja else "Turn opportunities into deals",
            "kpis": [s for s in stages[1:] if s not in ("leads", "mqls", "sessions")]
            + [k for k in ("cac", "ltv_cac") if k in _ids(kpis)],
        },
    ]
    mix = {k: float(v) for k, v in inputs.channel_mix.items() if v > 0}
    data = {
        "name": f"plan-fy{fiscal_year}",
        "description": (
            "4つの数字（KGI・平均受注単価・各段階の率・予算）から逆算した計画"
            if ja
            else "A plan from four numbers: the KGI, the deal size, the stage rates and the budget"
        ),
        "kgi": {"kpi": "revenue", "target": float(inputs.kgi), "period": f"FY{fiscal_year}"},
        "kpis": kpis,
        "ksfs": ksfs,
        "tree": [
            {"kpi": "revenue", "relation": "product", "children": ["deals", "average_deal_size"]}
        ],
        "assumptions": {
            **rates,
            "budget": float(inputs.budget),
            "ltv": float(inputs.ltv) if inputs.ltv else None,
            "channel_mix": mix,
            "stages": stages,
        },
        "targets_from": "planner",
    }
    return Plan.model_validate(data)


def _ids(kpis: list[dict[str, object]]) -> set[str]:
    return {str(k["kpi"]) for k in kpis}
