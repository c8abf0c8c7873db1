"""What alert rules share: the candidate a rule yields, its error, the plug-in registries
(forecasters, quality checks, freshness sources) and the helpers that read a rule's KPI, filters
and periods and word its message in both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, Field

from kaname.act.explain import explain_gap
from kaname.metrics.calendar import Grain, Period, period_of

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext


class RuleError(ValueError):
    """A rule cannot be evaluated; the message names the rule and the reason."""


class AlertCandidate(BaseModel):
    """What a rule found; `alerts.record` turns it into a stored, deduplicated alert."""

    rule_id: str
    kind: str
    severity: str
    kpi: str = ""
    dimension: str = ""
    dimension_value: str = ""
    period: str = ""
    title: dict[str, str]
    message: dict[str, str]
    numbers: dict[str, Any] = Field(default_factory=dict)
    explanation: dict[str, Any] | None = None
    channels: list[str] | None = None
    cooldown_hours: float = 24

    @property
    def dedup_key(self) -> str:
        return f"{self.rule_id}|{self.kpi}|{self.dimension_value}|{self.period}"

    @property
    def series_key(self) -> str:
        return f"{self.rule_id}|{self.kpi}|{self.dimension_value}|"


# ---------------------------------------------------------------------------- plug-in points
Forecaster = Callable[["WorkspaceContext", str, Period, tuple[tuple[str, str], ...]], float]
"""(workspace, kpi, period, filters) → projected value of the KPI at the end of the period."""
FORECASTERS: dict[str, Forecaster] = {}
QualityCheck = Callable[["WorkspaceContext"], list[dict[str, Any]]]
"""workspace → findings, each with at least `level` (info/warning/error) and `message`."""
QUALITY_CHECKS: dict[str, QualityCheck] = {}
FreshnessSource = Callable[["WorkspaceContext"], tuple[dt.datetime | None, str | None]]
"""workspace → (last successful run, UTC naive; error of the latest run if it failed)."""
FRESHNESS_SOURCES: dict[str, FreshnessSource] = {}


def filters_of(rule: Any) -> tuple[tuple[str, str], ...]:
    if rule.dimension and rule.dimension_value:
        return ((rule.dimension, rule.dimension_value),)
    return ()


def split_of(rule: Any) -> str | None:
    return rule.dimension if rule.dimension and not rule.dimension_value else None


def candidate(
    rule: Any,
    ws: WorkspaceContext,
    period: str,
    dim_value: str,
    title: dict[str, str],
    message: dict[str, str],
    numbers: dict[str, Any],
    explain_period: Period | None = None,
) -> AlertCandidate:
    explanation = None
    if explain_period is not None and not rule.dimension:
        explanation = explain_gap(ws, rule.kpi, explain_period)
        if explanation:
            message = {
                lang: text + " " + explanation["summary"][lang] for lang, text in message.items()
            }
    return AlertCandidate(
        rule_id=rule.id,
        kind=rule.type,
        severity=rule.severity,
        kpi=rule.kpi,
        dimension=rule.dimension or "",
        dimension_value=rule.dimension_value or dim_value,
        period=period,
        title=title,
        message=message,
        numbers=numbers,
        explanation=explanation,
        channels=rule.channels,
        cooldown_hours=rule.cooldown_hours,
    )


def current(ws: WorkspaceContext, rule: Any) -> Period:
    return period_of(ws.today(), Grain(rule.grain), ws.config.fiscal_year_start_month)


def kpi_series(
    ws: WorkspaceContext,
    kpi: str,
    grain: Grain,
    first: dt.date,
    last: dt.date,
    dimension: str | None = None,
    filters: tuple[tuple[str, str], ...] = (),
) -> pd.DataFrame:
    """The KPI per period: period, period_start, [dimension], value."""
    from kaname.metrics.engine import MetricQuery

    dims = (dimension,) if dimension else ()
    frame = ws.engine().compute(
        MetricQuery((kpi,), grain, first, last, dims, as_of=ws.today(), filters=filters)
    )
    return frame


def complete(ws: WorkspaceContext, rule: Any) -> Period:
    """The last complete period of the rule's grain."""
    return current(ws, rule).previous()


def bad_direction(direction: str, rule_direction: str, change: float) -> bool:
    if rule_direction == "any":
        return True
    worse = change < 0 if direction == "higher" else change > 0
    return worse if rule_direction == "worse" else not worse
