"""Alert rules: a validated config union (kaname.yaml `alerts:`) and their evaluation.

Every rule looks at one KPI (× an optional dimension value) and yields `AlertCandidate`s carrying
the numbers, the period and — for funnel KPIs — which driver would move the KPI most (the planner's
sensitivity). Storing, deduplicating and notifying is `act/alerts.py`'s job.

Forecasts and data-quality findings come from pluggable providers (`FORECASTERS`,
`QUALITY_CHECKS`), so the forecasting and data-quality modules can register themselves.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kaname.act.anomaly import anomaly
from kaname.act.candidates import (
    FORECASTERS,
    FRESHNESS_SOURCES,
    QUALITY_CHECKS,
    AlertCandidate,
    RuleError,
    bad_direction,
    candidate,
    complete,
    current,
    filters_of,
    kpi_series,
    split_of,
)
from kaname.act.data_rules import freshness, quality
from kaname.act.wording import format_kpi, kpi_name, where_text
from kaname.analytics.forecast import forecast, non_negative
from kaname.config.act import (
    KPI_RULES,
    ChangeRule,
    ForecastMissRule,
    TargetMissRule,
    ThresholdRule,
)
from kaname.metrics.calendar import Grain, Period

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext

__all__ = ["FORECASTERS", "FRESHNESS_SOURCES", "QUALITY_CHECKS", "AlertCandidate", "RuleError"]


def _pacing_forecast(
    ws: WorkspaceContext, kpi: str, period: Period, filters: tuple[tuple[str, str], ...]
) -> float:
    report = ws.kpi_report([kpi], period, filters=filters)
    return float(report["projection"].iloc[0]) if not report.empty else math.nan


def _ets_forecast(
    ws: WorkspaceContext, kpi: str, period: Period, filters: tuple[tuple[str, str], ...]
) -> float:
    """The ETS model of kaname.analytics (history of complete periods, seasonal when it can)."""
    if filters:
        raise RuleError("the ets forecaster works on whole KPIs, not on one dimension value")
    try:
        history = ws.kpi_history(kpi, period.grain)
        result = forecast(
            history.fillna(0.0),
            1,
            grain=period.grain.value,
            fy_start_month=ws.config.fiscal_year_start_month,
            # a count or amount is never forecast below 0 (the same floor as the KPI pages')
            floor=0.0 if non_negative(ws.catalog, kpi) else None,
        )
    except ValueError as exc:
        raise RuleError(f"ets forecast of {kpi}: {exc}") from exc
    frame = result.frame
    row = frame[frame["period_start"].dt.date == period.start]
    return float(row["forecast"].iloc[0]) if not row.empty else math.nan


FORECASTERS["pacing"] = _pacing_forecast
FORECASTERS["ets"] = _ets_forecast


def _load_plugins() -> None:
    """Let optional modules (forecasting, data quality) register their providers."""
    import importlib

    for module in ("kaname.analytics.forecast", "kaname.ingest.quality"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        register = getattr(mod, "register_act_providers", None)
        if callable(register):
            register(FORECASTERS, QUALITY_CHECKS, FRESHNESS_SOURCES)


# ---------------------------------------------------------------------------- evaluation
def evaluate(ws: WorkspaceContext, rule: Any, now: dt.datetime) -> list[AlertCandidate]:
    """Candidates for one rule at `now` (UTC naive); raises RuleError when it cannot run."""
    _load_plugins()
    if rule.type in KPI_RULES:
        if rule.kpi not in ws.catalog:
            raise RuleError(f"rule {rule.id}: KPI {rule.kpi!r} is not in the catalog")
        return [c for c in _EVALUATORS[rule.type](ws, rule) if c is not None]
    if rule.type == "freshness":
        return freshness(ws, rule, now)
    return quality(ws, rule)


def _target_miss(ws: WorkspaceContext, rule: TargetMissRule) -> list[AlertCandidate | None]:
    period = current(ws, rule)
    report = ws.kpi_report([rule.kpi], period, split_of(rule), filters=filters_of(rule))
    out: list[AlertCandidate | None] = []
    name = kpi_name(ws, rule.kpi)
    for rec in report.itertuples(index=False):
        target, projection = float(rec.target), float(rec.projection)
        if math.isnan(target) or math.isnan(projection):
            continue
        from kaname.metrics.pacing import achievement

        pace = achievement(projection, target, str(rec.direction))
        if not pace < rule.threshold:
            continue
        where = where_text(rule, str(rec.dimension_value))
        en = [format_kpi(ws, rule.kpi, v, "en") for v in (float(rec.actual), projection, target)]
        ja = [format_kpi(ws, rule.kpi, v, "ja") for v in (float(rec.actual), projection, target)]
        out.append(
            candidate(
                rule,
                ws,
                period.label,
                str(rec.dimension_value),
                {
                    "en": f"{name['en']}{where['en']} is at {pace:.0%} of target pace "
                    f"in {period.label}",
                    "ja": f"{name['ja']}{where['ja']}は{period.label}の目標ペースの{pace:.0%}です",
                },
                {
                    "en": f"Actual to date {en[0]}, on pace for {en[1]} against a target of "
                    f"{en[2]} (alert below {rule.threshold:.0%}).",
                    "ja": f"現時点の実績 {ja[0]}、このペースでは期末 {ja[1]}(目標 {ja[2]}、"
                    f"{rule.threshold:.0%}未満で通知)。",
                },
                {
                    "actual": float(rec.actual),
                    "projection": projection,
                    "target": target,
                    "pace_achievement": pace,
                    "threshold": rule.threshold,
                    "as_of": ws.today().isoformat(),
                },
                period,
            )
        )
    return out


def _forecast_miss(ws: WorkspaceContext, rule: ForecastMissRule) -> list[AlertCandidate | None]:
    forecaster = FORECASTERS.get(rule.method)
    if forecaster is None:
        raise RuleError(
            f"rule {rule.id}: no forecaster {rule.method!r}; available: {', '.join(FORECASTERS)}"
        )
    period = current(ws, rule)
    report = ws.kpi_report([rule.kpi], period, split_of(rule), filters=filters_of(rule))
    out: list[AlertCandidate | None] = []
    name = kpi_name(ws, rule.kpi)
    for rec in report.itertuples(index=False):
        target = float(rec.target)
        if math.isnan(target):
            continue
        filters = filters_of(rule)
        if split_of(rule):
            filters = ((str(rule.dimension), str(rec.dimension_value)),)
        forecast = forecaster(ws, rule.kpi, period, filters)
        if math.isnan(forecast):
            continue
        lower = rec.direction == "lower"
        miss = (
            forecast > target * (1 + rule.tolerance)
            if lower
            else forecast < target * (1 - rule.tolerance)
        )
        if not miss:
            continue
        where = where_text(rule, str(rec.dimension_value))
        f_en, t_en = (
            format_kpi(ws, rule.kpi, forecast, "en"),
            format_kpi(ws, rule.kpi, target, "en"),
        )
        f_ja, t_ja = (
            format_kpi(ws, rule.kpi, forecast, "ja"),
            format_kpi(ws, rule.kpi, target, "ja"),
        )
        out.append(
            candidate(
                rule,
                ws,
                period.label,
                str(rec.dimension_value),
                {
                    "en": f"{name['en']}{where['en']} is forecast to miss "
                    f"its {period.label} target",
                    "ja": f"{name['ja']}{where['ja']}は{period.label}の目標未達の見込みです",
                },
                {
                    "en": f"Forecast ({rule.method}) {f_en} against a target of {t_en}.",
                    "ja": f"予測({rule.method}){f_ja}、目標 {t_ja}。",
                },
                {"forecast": forecast, "target": target, "method": rule.method},
                period,
            )
        )
    return out


def _threshold(ws: WorkspaceContext, rule: ThresholdRule) -> list[AlertCandidate | None]:
    if rule.above is None and rule.below is None:
        raise RuleError(f"rule {rule.id}: give `above`, `below` or both")
    period = current(ws, rule) if rule.current else complete(ws, rule)
    frame = kpi_series(
        ws,
        rule.kpi,
        Grain(rule.grain),
        period.start,
        period.start,
        split_of(rule),
        filters_of(rule),
    )
    name = kpi_name(ws, rule.kpi)
    out: list[AlertCandidate | None] = []
    for _, rec in frame.iterrows():
        value = float(rec["value"])
        if math.isnan(value):
            continue
        over = rule.above is not None and value > rule.above
        under = rule.below is not None and value < rule.below
        if not (over or under):
            continue
        dim_value = str(rec[rule.dimension]) if split_of(rule) else ""
        limit = float(rule.above if over else rule.below)  # type: ignore[arg-type]
        word = ("above", "を上回りました") if over else ("below", "を下回りました")
        where = where_text(rule, dim_value)
        out.append(
            candidate(
                rule,
                ws,
                period.label,
                dim_value,
                {
                    "en": f"{name['en']}{where['en']} is {word[0]} "
                    f"{format_kpi(ws, rule.kpi, limit, 'en')} in {period.label}",
                    "ja": f"{name['ja']}{where['ja']}が{period.label}に"
                    f"{format_kpi(ws, rule.kpi, limit, 'ja')}{word[1]}",
                },
                {
                    "en": f"Value {format_kpi(ws, rule.kpi, value, 'en')}.",
                    "ja": f"値 {format_kpi(ws, rule.kpi, value, 'ja')}。",
                },
                {"value": value, "above": rule.above, "below": rule.below},
                period,
            )
        )
    return out


def _change(ws: WorkspaceContext, rule: ChangeRule) -> list[AlertCandidate | None]:
    period = complete(ws, rule)
    base = period.previous() if rule.compare == "previous_period" else period.year_ago()
    split, filters = split_of(rule), filters_of(rule)
    now = kpi_series(ws, rule.kpi, Grain(rule.grain), period.start, period.start, split, filters)
    before = kpi_series(ws, rule.kpi, Grain(rule.grain), base.start, base.start, split, filters)
    keys = [split] if split else []
    merged = (
        now.merge(before, on=keys, suffixes=("", "_base"))
        if keys
        else now.assign(value_base=before["value"].iloc[0] if len(before) else math.nan)
    )
    kpi = ws.catalog.get(rule.kpi)
    name = kpi_name(ws, rule.kpi)
    label = {
        "previous_period": ("the previous period", "前期間"),
        "previous_year": (
            "a year earlier",
            "前年同期",
        ),
    }[rule.compare]
    out: list[AlertCandidate | None] = []
    for _, rec in merged.iterrows():
        value, prior = float(rec["value"]), float(rec["value_base"])
        if math.isnan(value) or math.isnan(prior) or prior == 0:
            continue
        change = value / prior - 1
        if abs(change) < rule.min_change or not bad_direction(
            kpi.direction, rule.direction, change
        ):
            continue
        dim_value = str(rec[split]) if split else ""
        where = where_text(rule, dim_value)
        now_en, was_en = (format_kpi(ws, rule.kpi, v, "en") for v in (value, prior))
        now_ja, was_ja = (format_kpi(ws, rule.kpi, v, "ja") for v in (value, prior))
        out.append(
            candidate(
                rule,
                ws,
                period.label,
                dim_value,
                {
                    "en": f"{name['en']}{where['en']} changed {change:+.0%} in {period.label} "
                    f"vs {label[0]}",
                    "ja": f"{name['ja']}{where['ja']}が{period.label}に{label[1]}比"
                    f"{change:+.0%}変化しました",
                },
                {
                    "en": f"{now_en} vs {was_en} ({base.label}).",
                    "ja": f"{now_ja}({base.label}は{was_ja})。",
                },
                {
                    "value": value,
                    "previous": prior,
                    "previous_period": base.label,
                    "change": change,
                },
                period,
            )
        )
    return out


_EVALUATORS: dict[str, Callable[[Any, Any], list[AlertCandidate | None]]] = {
    "target_miss": _target_miss,
    "forecast_miss": _forecast_miss,
    "threshold": _threshold,
    "change": _change,
    "anomaly": anomaly,
}
