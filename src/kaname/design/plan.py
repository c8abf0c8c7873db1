"""Plan files: the KGI and the KPIs a team commits to, with owners and targets per period.

This is the part of the plan format that sets targets; the KPI tree, assumptions and planner build
on it (docs/plans.md).
"""

from __future__ import annotations

from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kaname.metrics.calendar import Grain, PeriodError, parse_period
from kaname.yamlmodel import load_yaml_model


class PlanError(ValueError):
    """The plan file is invalid; the message names the place and the problem."""


class Kgi(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpi: str
    target: float
    period: str
    """A period label such as FY2026."""


class PlanKpi(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpi: str
    level: Literal["organisation", "department"] = "organisation"
    department: str = ""
    owner: str = ""
    grain: Grain = Grain.MONTH
    targets: dict[str, float] = Field(default_factory=dict)
    """Target per period label of the grain, e.g. {"2026-04": 120}."""


class Assumptions(BaseModel):
    """What the planner reverse-calculates with. Rates are shares (0–1]; money in the workspace
    currency; lead times in days (measured from the warehouse when left out)."""

    model_config = ConfigDict(extra="forbid")
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
    channel_mix: dict[str, float] = Field(default_factory=dict)
    """Share of volume per channel (normalised), e.g. {webinar: 0.4, event: 0.6}."""
    lead_times_days: dict[str, float] = Field(default_factory=dict)
    """opportunity_to_deal, sql_to_opportunity, mql_to_sql, lead_to_mql."""

    def rates(self) -> dict[str, float]:
        names = ("average_deal_size", "win_rate", "opportunity_rate", "sql_rate", "mql_rate", "cvr")
        return {n: float(v) for n in names if (v := getattr(self, n)) is not None}


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    kgi: Kgi
    kpis: list[PlanKpi] = Field(default_factory=list)
    assumptions: Assumptions = Field(default_factory=Assumptions)

    def target_rows(self, fy_start_month: int) -> list[tuple[str, Grain, str, float]]:
        """(kpi, grain, period label, value) for every target, with labels checked."""
        out = []
        for item in self.kpis:
            for label, value in item.targets.items():
                try:
                    period = parse_period(label, fy_start_month)
                except PeriodError as exc:
                    raise PlanError(f"kpi {item.kpi}: {exc}") from exc
                if period.grain != item.grain:
                    raise PlanError(
                        f"kpi {item.kpi}: target period {label} is a {period.grain}, "
                        f"but the KPI's grain is {item.grain}"
                    )
                out.append((item.kpi, item.grain, label, float(value)))
        return out


def load_plan(text: str, source: str = "plan") -> Plan:
    return load_yaml_model(text, Plan, source, PlanError)


def dump_plan(plan: Plan) -> str:
    return yaml.safe_dump(plan.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
