"""Plan files: the KGI and the KPIs a team commits to, with owners and targets per period.

This is the part of the plan format that sets targets; the KPI tree, assumptions and planner build
on it (docs/plans.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from kaname.design.funnel import STANDARD_RATES
from kaname.formatting import loose_number
from kaname.metrics.calendar import Grain, PeriodError, parse_period
from kaname.yamlmodel import load_yaml_model

Number = Annotated[float, BeforeValidator(loose_number)]
NUMBER_FIELDS = (
    "average_deal_size",
    "win_rate",
    "opportunity_rate",
    "sql_rate",
    "mql_rate",
    "cvr",
    "budget",
    "ltv",
    "arpa",
)
"""A number in a plan file: 500万, 1億, 1,000 and 20% read as people write them."""


class PlanError(ValueError):
    """The plan file is invalid; the message names the place and the problem."""


class Kgi(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpi: str
    target: Number
    period: str
    """A period label such as FY2026."""


class PlanKpi(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpi: str
    level: Literal["organisation", "department"] = "organisation"
    department: str = ""
    owner: str = ""
    grain: Grain = Grain.MONTH
    targets: dict[str, Number] = Field(default_factory=dict)
    """Target per period label of the grain, e.g. {"2026-04": 120}."""
    channels: dict[str, dict[str, Number]] = Field(default_factory=dict)
    """Target per channel and period label, e.g. {"webinar": {"2026-04": 40}}."""

    @field_validator("grain")
    @classmethod
    def _calendar_grain(cls, value: Grain) -> Grain:
        if value is Grain.RANGE:
            raise ValueError("a KPI's targets are set per day, week, month, quarter, half or year")
        return value


class Assumptions(BaseModel):
    """What the planner reverse-calculates with. Rates are shares (0–1]; money in the workspace
    currency; lead times in days (measured from the warehouse when left out)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator(*NUMBER_FIELDS, mode="before")
    @classmethod
    def _typed(cls, value: object) -> object:
        """500万, 1,000 and 20% read as people write them (the schema stays a number)."""
        return loose_number(value)

    average_deal_size: float | None = Field(None, gt=0)
    win_rate: float | None = Field(None, gt=0, le=1)
    opportunity_rate: float | None = Field(None, gt=0, le=1)
    sql_rate: float | None = Field(None, gt=0, le=1)
    mql_rate: float | None = Field(None, gt=0, le=1)
    cvr: float | None = Field(None, gt=0, le=1)
    budget: float | None = Field(None, ge=0)
    """Marketing budget for the KGI period."""
    ltv: float | None = Field(None, gt=0)
    """Expected lifetime value of a new customer (for the LTV:CAC check)."""
    channel_mix: dict[str, Number] = Field(default_factory=dict)
    """Share of volume per channel (normalised), e.g. {webinar: 0.4, event: 0.6}."""
    channel_cpa: dict[str, Number] = Field(default_factory=dict)
    """Cost per lead by channel: leads go to the cheapest channels first (within capacity)."""
    channel_capacity: dict[str, Number] = Field(default_factory=dict)
    """Most leads a channel can bring in the KGI period (unlimited when left out)."""
    arpa: float | None = Field(None, gt=0)
    """Monthly revenue per customer, for CAC payback."""
    lead_times_days: dict[str, float] = Field(default_factory=dict)
    """opportunity_to_deal, sql_to_opportunity, mql_to_sql, lead_to_mql."""
    stages: list[str] = Field(default_factory=list)
    """The funnel stages the team uses, from the KGI down, e.g. [revenue, deals, sqls, leads]
    (the seeds' simple model: leads → 商談 → 受注). Each rate links a stage to the next one
    listed. Empty: every standard stage the rates reach."""

    def rates(self) -> dict[str, float]:
        return {n: float(v) for n in STANDARD_RATES if (v := getattr(self, n)) is not None}

    def used_rates(self) -> dict[str, float]:
        """The rates the planner applies: with `stages`, only the links between them (a rate
        the team did not ask for is never applied)."""
        rates = self.rates()
        if not self.stages:
            return rates
        from kaname.design.funnel import link_rates

        return {n: rates[n] for n in link_rates(self.stages) if n in rates}


class TreeEdge(BaseModel):
    """How a KPI follows from its children: product (a × b …), ratio (a ÷ b), sum, or a formula."""

    model_config = ConfigDict(extra="forbid")
    kpi: str
    relation: Literal["product", "ratio", "sum", "formula"]
    children: list[str] = Field(min_length=1)
    formula: str = ""
    """For relation `formula`: the expression over the children's ids."""


class Ksf(BaseModel):
    """A key success factor: what must go right, and the KPIs that measure it."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kpis: list[str] = Field(default_factory=list)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    kgi: Kgi
    kpis: list[PlanKpi] = Field(default_factory=list)
    assumptions: Assumptions = Field(default_factory=Assumptions)
    ksfs: list[Ksf] = Field(default_factory=list)
    tree: list[TreeEdge] = Field(default_factory=list)
    """Edges of the KPI tree; the KGI's KPI is its root."""
    targets_from: Literal["planner", "hand"] = "hand"
    """`planner`: the monthly targets are the planner's solution of the KGI and assumptions
    (one source: `kaname plan apply` re-solves them); `hand`: typed or edited by hand."""

    def children(self) -> dict[str, list[str]]:
        return {edge.kpi: list(edge.children) for edge in self.tree}

    def check_tree(self, known: set[str]) -> None:
        """Unknown KPIs, cycles, malformed relations and unreachable edges raise PlanError."""
        children = self.children()
        if len(children) != len(self.tree):
            raise PlanError("tree: a KPI has two edges; give each parent one edge")
        for edge in self.tree:
            for name in (edge.kpi, *edge.children):
                if name not in known:
                    raise PlanError(f"tree: {name!r} is not a KPI in the catalog")
            if edge.relation == "ratio" and len(edge.children) != 2:
                raise PlanError(f"tree: {edge.kpi} is a ratio, so it needs exactly two children")
            if edge.relation == "formula" and not edge.formula:
                raise PlanError(f"tree: {edge.kpi} has relation formula but no formula")
        state: dict[str, int] = {}

        def visit(node: str, path: tuple[str, ...]) -> None:
            if state.get(node) == 1:
                raise PlanError(f"tree: a cycle: {' → '.join((*path, node))}")
            if state.get(node) == 2:
                return
            state[node] = 1
            for child in children.get(node, []):
                visit(child, (*path, node))
            state[node] = 2

        for root in children:
            visit(root, ())
        if self.tree and self.kgi.kpi not in children:
            raise PlanError(f"tree: the KGI {self.kgi.kpi} must be the root of the tree")
        reachable: set[str] = set()
        stack = [self.kgi.kpi]
        while stack:
            node = stack.pop()
            if node not in reachable:
                reachable.add(node)
                stack.extend(children.get(node, []))
        stray = [e.kpi for e in self.tree if e.kpi not in reachable]
        if stray:
            raise PlanError(
                f"tree: {', '.join(stray)} cannot be reached from the KGI {self.kgi.kpi}"
            )

    def check_sums(self, tolerance: float = 0.005) -> None:
        """A `sum` parent's target must equal its children's targets wherever all are set."""
        targets = {item.kpi: item.targets for item in self.kpis}
        for edge in self.tree:
            if edge.relation != "sum" or edge.kpi not in targets:
                continue
            for label, value in targets[edge.kpi].items():
                parts = [targets.get(c, {}).get(label) for c in edge.children]
                if any(p is None for p in parts):
                    continue
                total = sum(p for p in parts if p is not None)
                if abs(total - value) > tolerance * max(abs(value), 1.0):
                    raise PlanError(
                        f"tree: {edge.kpi} is the sum of {', '.join(edge.children)}, but in "
                        f"{label} its target {value:,.0f} differs from theirs ({total:,.0f})"
                    )

    def walk(self) -> list[tuple[int, str]]:
        """(depth, kpi) in display order from the KGI down (the KGI alone without a tree)."""
        children = self.children()
        out: list[tuple[int, str]] = []

        def go(node: str, depth: int) -> None:
            out.append((depth, node))
            for child in children.get(node, []):
                go(child, depth + 1)

        go(self.kgi.kpi, 0)
        return out

    def target_rows(self, fy_start_month: int) -> list[tuple[str, Grain, str, float, str]]:
        """(kpi, grain, period label, value, channel) for every target, labels checked
        (channel "" for the KPI's own target)."""
        out = []
        for item in self.kpis:
            cells = [(label, value, "") for label, value in item.targets.items()]
            cells += [
                (lb, v, ch) for ch, values in item.channels.items() for lb, v in values.items()
            ]
            for label, value, channel in cells:
                try:
                    period = parse_period(label, fy_start_month)
                except PeriodError as exc:
                    raise PlanError(f"kpi {item.kpi}: {exc}") from exc
                if period.grain != item.grain:
                    raise PlanError(
                        f"kpi {item.kpi}: target period {label} is a {period.grain}, "
                        f"but the KPI's grain is {item.grain}"
                    )
                out.append((item.kpi, item.grain, label, float(value), channel))
        return out


def load_plan(text: str, source: str = "plan") -> Plan:
    return load_yaml_model(text, Plan, source, PlanError)


def dump_plan(plan: Plan) -> str:
    return yaml.safe_dump(plan.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
