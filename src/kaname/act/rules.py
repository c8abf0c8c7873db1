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

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from kaname.analytics.forecast import forecast
from kaname.config.act import (
    KPI_RULES,
    AnomalyRule,
    ChangeRule,
    ForecastMissRule,
    FreshnessRule,
    QualityRule,
    TargetMissRule,
    ThresholdRule,
)
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


def _pacing_forecast(
    ws: WorkspaceContext, kpi: str, period: Period, filters: tuple[tuple[str, str], ...]
) -> float:
    report = ws.kpi_report([kpi], period, filters=filters)
    return float(report["projection"].iloc[0]) if not report.empty else math.nan


def _refresh_freshness(ws: WorkspaceContext) -> tuple[dt.datetime | None, str | None]:
    from sqlalchemy import select

    from kaname.store.appdb import RefreshRun

    with ws.appdb.session() as session:
        ok = session.execute(
            select(RefreshRun.finished_at)
            .where(RefreshRun.status == "ok")
            .order_by(RefreshRun.finished_at.desc())
            .limit(1)
        ).scalar()
        latest = session.execute(
            select(RefreshRun).order_by(RefreshRun.started_at.desc(), RefreshRun.id.desc()).limit(1)
        ).scalar()
        failed = latest.message if latest is not None and latest.status == "failed" else None
    return ok, failed


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
        )
    except ValueError as exc:
        raise RuleError(f"ets forecast of {kpi}: {exc}") from exc
    frame = result.frame
    row = frame[frame["period_start"].dt.date == period.start]
    return float(row["forecast"].iloc[0]) if not row.empty else math.nan


FORECASTERS["pacing"] = _pacing_forecast
FORECASTERS["ets"] = _ets_forecast
FRESHNESS_SOURCES["refresh"] = _refresh_freshness


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
        return _freshness(ws, rule, now)
    return _quality(ws, rule)


def _filters(rule: Any) -> tuple[tuple[str, str], ...]:
    if rule.dimension and rule.dimension_value:
        return ((rule.dimension, rule.dimension_value),)
    return ()


def _split(rule: Any) -> str | None:
    return rule.dimension if rule.dimension and not rule.dimension_value else None


def _kpi_name(ws: WorkspaceContext, kpi: str) -> dict[str, str]:
    k = ws.catalog.get(kpi)
    return {"en": k.name_en, "ja": k.name_ja}


def _fmt(ws: WorkspaceContext, kpi: str, value: float, language: str) -> str:
    from kaname.formatting import format_value

    return format_value(value, ws.catalog.get(kpi).unit, ws.config.currency, language)


def _where(rule: Any, value: str) -> dict[str, str]:
    dim_value = rule.dimension_value or value
    if not dim_value:
        return {"en": "", "ja": ""}
    return {"en": f" ({rule.dimension} = {dim_value})", "ja": f"({rule.dimension}={dim_value})"}


def _candidate(
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


def _current(ws: WorkspaceContext, rule: Any) -> Period:
    return period_of(ws.today(), Grain(rule.grain), ws.config.fiscal_year_start_month)


def _target_miss(ws: WorkspaceContext, rule: TargetMissRule) -> list[AlertCandidate | None]:
    period = _current(ws, rule)
    report = ws.kpi_report([rule.kpi], period, _split(rule), filters=_filters(rule))
    out: list[AlertCandidate | None] = []
    name = _kpi_name(ws, rule.kpi)
    for rec in report.itertuples(index=False):
        target, projection = float(rec.target), float(rec.projection)
        if math.isnan(target) or math.isnan(projection):
            continue
        from kaname.metrics.pacing import achievement

        pace = achievement(projection, target, str(rec.direction))
        if not pace < rule.threshold:
            continue
        where = _where(rule, str(rec.dimension_value))
        en = [_fmt(ws, rule.kpi, v, "en") for v in (float(rec.actual), projection, target)]
        ja = [_fmt(ws, rule.kpi, v, "ja") for v in (float(rec.actual), projection, target)]
        out.append(
            _candidate(
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
    period = _current(ws, rule)
    report = ws.kpi_report([rule.kpi], period, _split(rule), filters=_filters(rule))
    out: list[AlertCandidate | None] = []
    name = _kpi_name(ws, rule.kpi)
    for rec in report.itertuples(index=False):
        target = float(rec.target)
        if math.isnan(target):
            continue
        filters = _filters(rule)
        if _split(rule):
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
        where = _where(rule, str(rec.dimension_value))
        f_en, t_en = _fmt(ws, rule.kpi, forecast, "en"), _fmt(ws, rule.kpi, target, "en")
        f_ja, t_ja = _fmt(ws, rule.kpi, forecast, "ja"), _fmt(ws, rule.kpi, target, "ja")
        out.append(
            _candidate(
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


def _complete(ws: WorkspaceContext, rule: Any) -> Period:
    """The last complete period of the rule's grain."""
    return _current(ws, rule).previous()


def _threshold(ws: WorkspaceContext, rule: ThresholdRule) -> list[AlertCandidate | None]:
    if rule.above is None and rule.below is None:
        raise RuleError(f"rule {rule.id}: give `above`, `below` or both")
    period = _current(ws, rule) if rule.current else _complete(ws, rule)
    frame = kpi_series(
        ws, rule.kpi, Grain(rule.grain), period.start, period.start, _split(rule), _filters(rule)
    )
    name = _kpi_name(ws, rule.kpi)
    out: list[AlertCandidate | None] = []
    for _, rec in frame.iterrows():
        value = float(rec["value"])
        if math.isnan(value):
            continue
        over = rule.above is not None and value > rule.above
        under = rule.below is not None and value < rule.below
        if not (over or under):
            continue
        dim_value = str(rec[rule.dimension]) if _split(rule) else ""
        limit = float(rule.above if over else rule.below)  # type: ignore[arg-type]
        word = ("above", "を上回りました") if over else ("below", "を下回りました")
        where = _where(rule, dim_value)
        out.append(
            _candidate(
                rule,
                ws,
                period.label,
                dim_value,
                {
                    "en": f"{name['en']}{where['en']} is {word[0]} "
                    f"{_fmt(ws, rule.kpi, limit, 'en')} in {period.label}",
                    "ja": f"{name['ja']}{where['ja']}が{period.label}に"
                    f"{_fmt(ws, rule.kpi, limit, 'ja')}{word[1]}",
                },
                {
                    "en": f"Value {_fmt(ws, rule.kpi, value, 'en')}.",
                    "ja": f"値 {_fmt(ws, rule.kpi, value, 'ja')}。",
                },
                {"value": value, "above": rule.above, "below": rule.below},
                period,
            )
        )
    return out


def _bad(direction: str, rule_direction: str, change: float) -> bool:
    if rule_direction == "any":
        return True
    worse = change < 0 if direction == "higher" else change > 0
    return worse if rule_direction == "worse" else not worse


def _change(ws: WorkspaceContext, rule: ChangeRule) -> list[AlertCandidate | None]:
    period = _complete(ws, rule)
    base = period.previous() if rule.compare == "previous_period" else period.year_ago()
    split, filters = _split(rule), _filters(rule)
    now = kpi_series(ws, rule.kpi, Grain(rule.grain), period.start, period.start, split, filters)
    before = kpi_series(ws, rule.kpi, Grain(rule.grain), base.start, base.start, split, filters)
    keys = [split] if split else []
    merged = (
        now.merge(before, on=keys, suffixes=("", "_base"))
        if keys
        else now.assign(value_base=before["value"].iloc[0] if len(before) else math.nan)
    )
    kpi = ws.catalog.get(rule.kpi)
    name = _kpi_name(ws, rule.kpi)
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
        if abs(change) < rule.min_change or not _bad(kpi.direction, rule.direction, change):
            continue
        dim_value = str(rec[split]) if split else ""
        where = _where(rule, dim_value)
        out.append(
            _candidate(
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
                    "en": f"{_fmt(ws, rule.kpi, value, 'en')} vs {_fmt(ws, rule.kpi, prior, 'en')} "
                    f"({base.label}).",
                    "ja": f"{_fmt(ws, rule.kpi, value, 'ja')}({base.label}は"
                    f"{_fmt(ws, rule.kpi, prior, 'ja')})。",
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


# ---------------------------------------------------------------------------- anomaly
ANOMALY_RECENT = 3
"""Periods whose median sets the current level."""
ANOMALY_MIN_RESIDUALS = 6


def anomaly_scores(values: list[float], season: int = 12, counts: bool = False) -> list[float]:
    """Robust z-score of each point against the season and the recent level (NaN where the
    history is too short).

    expected(t) = median of the last `ANOMALY_RECENT` points × last year's ratio of the same point
    to its own recent median (the seasonal shape); residual = log(actual ÷ expected); the score
    is the residual's distance from the median of the earlier residuals in units of 1.4826 × MAD.
    For counts the unit is at least the Poisson noise of the expectation, √(2 ÷ expected), so a
    small company's month-to-month wobble does not alarm.
    """
    y = np.asarray(values, dtype=float)
    k = ANOMALY_RECENT
    residuals = np.full(len(y), np.nan)
    floors = np.full(len(y), 0.02)  # a very regular series should not alert on a 2% wobble
    for t in range(len(y)):
        recent = y[max(0, t - k) : t]
        if len(recent) < k or np.any(~(recent > 0)) or not y[t] > 0:
            continue
        level = float(np.median(recent))
        shape = 1.0
        s = t - season
        if s - k >= 0 and y[s] > 0 and np.all(y[s - k : s] > 0):
            shape = float(y[s] / np.median(y[s - k : s]))
        residuals[t] = math.log(y[t] / (level * shape))
        if counts:
            floors[t] = max(0.02, math.sqrt(2 / (level * shape)))
    scores = [math.nan] * len(y)
    for t in range(len(y)):
        past = residuals[:t][~np.isnan(residuals[:t])]
        if np.isnan(residuals[t]) or len(past) < ANOMALY_MIN_RESIDUALS:
            continue
        centre = float(np.median(past))
        mad = float(np.median(np.abs(past - centre))) * 1.4826
        scale = max(mad, float(floors[t]))
        scores[t] = (residuals[t] - centre) / scale
    return scores


def _season(grain: Grain) -> int:
    return {Grain.MONTH: 12, Grain.WEEK: 52, Grain.QUARTER: 4, Grain.DAY: 7}.get(grain, 12)


def _anomaly(ws: WorkspaceContext, rule: AnomalyRule) -> list[AlertCandidate | None]:
    period = _complete(ws, rule)
    engine = ws.engine()
    window = engine.window()
    if window is None:
        return []
    split, filters = _split(rule), _filters(rule)
    frame = kpi_series(ws, rule.kpi, Grain(rule.grain), window[0], period.start, split, filters)
    kpi = ws.catalog.get(rule.kpi)
    name = _kpi_name(ws, rule.kpi)
    groups = frame.groupby(split) if split else [("", frame)]
    out: list[AlertCandidate | None] = []
    first_full = period_of(window[0], Grain(rule.grain), ws.config.fiscal_year_start_month)
    for dim_value, group in groups:
        group = group.sort_values("period_start")
        if first_full.start < window[0]:  # a partial first period would look like an anomaly
            group = group[group["period_start"] > first_full.start]
        values = group["value"].astype(float).tolist()
        if not values or group["period_start"].iloc[-1] != period.start:
            continue
        score = anomaly_scores(values, _season(Grain(rule.grain)), kpi.unit == "count")[-1]
        if math.isnan(score) or abs(score) < rule.threshold:
            continue
        if not _bad(kpi.direction, rule.direction, score):
            continue
        value = values[-1]
        where = _where(rule, str(dim_value))
        word = (
            ("unusually high", "異常に高い値") if score > 0 else ("unusually low", "異常に低い値")
        )
        out.append(
            _candidate(
                rule,
                ws,
                period.label,
                str(dim_value),
                {
                    "en": f"{name['en']}{where['en']} is {word[0]} in {period.label}",
                    "ja": f"{name['ja']}{where['ja']}が{period.label}に{word[1]}です",
                },
                {
                    "en": f"{_fmt(ws, rule.kpi, value, 'en')}: {score:+.1f} robust standard "
                    "deviations from what the season and the recent level predict.",
                    "ja": f"{_fmt(ws, rule.kpi, value, 'ja')}: 季節性と直近水準からの予測に対し"
                    f"ロバストz値 {score:+.1f}。",
                },
                {"value": value, "score": score, "threshold": rule.threshold},
                period,
            )
        )
    return out


def anomaly_false_alarm_rate(
    ws: WorkspaceContext, kpis: list[str], threshold: float = 3.5, grain: Grain = Grain.MONTH
) -> dict[str, Any]:
    """Share of scored complete periods that would alert, over the whole history: on data with no
    injected anomaly every alert is a false alarm."""
    window = ws.engine().window()
    if window is None:
        return {"scored": 0, "alerts": 0, "rate": math.nan, "kpis": kpis}
    last = period_of(ws.today(), grain, ws.config.fiscal_year_start_month).previous()
    first = period_of(window[0], grain, ws.config.fiscal_year_start_month)
    scored = alerts = 0
    flagged = []
    for kpi in kpis:
        frame = kpi_series(ws, kpi, grain, first.next().start, last.start).sort_values(
            "period_start"
        )
        for label, score in zip(
            frame["period"],
            anomaly_scores(
                frame["value"].astype(float).tolist(),
                _season(grain),
                ws.catalog.get(kpi).unit == "count",
            ),
            strict=True,
        ):
            if math.isnan(score):
                continue
            scored += 1
            if abs(score) >= threshold:
                alerts += 1
                flagged.append({"kpi": kpi, "period": str(label), "score": score})
    return {
        "scored": scored,
        "alerts": alerts,
        "rate": alerts / scored if scored else math.nan,
        "flagged": flagged,
        "kpis": kpis,
    }


# ---------------------------------------------------------------------------- data checks
def _freshness(ws: WorkspaceContext, rule: FreshnessRule, now: dt.datetime) -> list[AlertCandidate]:
    source = FRESHNESS_SOURCES.get(rule.source)
    if source is None:
        raise RuleError(
            f"rule {rule.id}: no data source {rule.source!r}; known: {', '.join(FRESHNESS_SOURCES)}"
        )
    last_ok, failure = source(ws)
    age = (now - last_ok).total_seconds() / 3600 if last_ok else math.inf
    day = now.date().isoformat()
    if failure:
        return [
            _data_candidate(
                rule,
                day,
                {
                    "en": f"The last {rule.source} run failed",
                    "ja": f"直近の{rule.source}の実行が失敗しました",
                },
                {"en": f"Error: {failure}", "ja": f"エラー: {failure}"},
                {"last_success": last_ok.isoformat() if last_ok else None, "error": failure},
            )
        ]
    if age <= rule.hours:
        return []
    since = last_ok.strftime("%Y-%m-%d %H:%M UTC") if last_ok else None
    return [
        _data_candidate(
            rule,
            day,
            {
                "en": f"No successful {rule.source} for {rule.hours:g} hours",
                "ja": f"{rule.source}が{rule.hours:g}時間以上成功していません",
            },
            {
                "en": f"Last success: {since or 'never'}.",
                "ja": f"最終成功: {since or 'なし'}。",
            },
            {"last_success": last_ok.isoformat() if last_ok else None, "hours": age},
        )
    ]


LEVELS = ("info", "warning", "error")


def _quality(ws: WorkspaceContext, rule: QualityRule) -> list[AlertCandidate]:
    check = QUALITY_CHECKS.get(rule.checker)
    if check is None:
        raise RuleError(
            f"rule {rule.id}: no data-quality checker {rule.checker!r} is installed"
            + (f"; available: {', '.join(QUALITY_CHECKS)}" if QUALITY_CHECKS else "")
        )
    findings = [
        f
        for f in check(ws)
        if LEVELS.index(str(f.get("level", "error"))) >= LEVELS.index(rule.level)
    ]
    if len(findings) <= rule.max_findings:
        return []
    first = "; ".join(str(f.get("message", "")) for f in findings[:3])
    return [
        _data_candidate(
            rule,
            ws.today().isoformat(),
            {
                "en": f"{len(findings)} data-quality findings ({rule.level} or worse)",
                "ja": f"データ品質の指摘が{len(findings)}件あります({rule.level}以上)",
            },
            {
                "en": f"Limit {rule.max_findings}. {first}",
                "ja": f"上限 {rule.max_findings}件。{first}",
            },
            {"findings": findings[:50], "count": len(findings), "limit": rule.max_findings},
        )
    ]


def _data_candidate(
    rule: Any,
    period: str,
    title: dict[str, str],
    message: dict[str, str],
    numbers: dict[str, Any],
) -> AlertCandidate:
    return AlertCandidate(
        rule_id=rule.id,
        kind=rule.type,
        severity=rule.severity,
        kpi=rule.kpi,
        period=period,
        title=title,
        message=message,
        numbers=numbers,
        channels=rule.channels,
        cooldown_hours=rule.cooldown_hours,
    )


_EVALUATORS: dict[str, Callable[[Any, Any], list[AlertCandidate | None]]] = {
    "target_miss": _target_miss,
    "forecast_miss": _forecast_miss,
    "threshold": _threshold,
    "change": _change,
    "anomaly": _anomaly,
}


# ---------------------------------------------------------------------------- gap explanation
def explain_gap(ws: WorkspaceContext, kpi: str, period: Period) -> dict[str, Any] | None:
    """Which funnel driver would move a funnel KPI most in `period` (the planner's sensitivity).

    For a KPI on the standard chain (revenue, deals, opportunities, sqls, mqls, leads) the drivers
    are the volume at the bottom of the chain and the rates up to the KPI; each is improved by
    10% (or brought to its benchmark) and the KPI's gain compared. None for other KPIs.
    """
    from kaname.design.funnel import STANDARD_RATES, STANDARD_STAGES
    from kaname.design.gap import sensitivity
    from kaname.metrics.engine import MetricQuery

    if kpi not in STANDARD_STAGES[:-2]:
        return None
    top = STANDARD_STAGES.index(kpi)
    stages = list(STANDARD_STAGES[top:-1])  # down to leads
    names = list(STANDARD_RATES[top : top + len(stages) - 1])
    try:
        frame = ws.engine().compute(
            MetricQuery(tuple(stages), period.grain, period.start, period.start, as_of=ws.today())
        )
    except ValueError:
        return None
    volume = {str(k): float(v) for k, v in zip(frame["kpi"], frame["value"], strict=True)}
    if any(not volume.get(s, 0) > 0 for s in stages):
        return None
    drivers = {stages[-1]: volume[stages[-1]]}
    drivers.update({n: volume[stages[i]] / volume[stages[i + 1]] for i, n in enumerate(names)})
    catalog = ws.catalog
    benchmarks: dict[str, float | None] = {}
    for n in drivers:
        bench = catalog.get(n).benchmark if n in catalog else None
        benchmarks[n] = bench.low if bench is not None else None
    shares = {n for n in drivers if n in catalog and catalog.get(n).unit == "ratio"}
    ranked = sensitivity(volume[kpi], drivers, benchmarks, shares)
    if not ranked:
        return None
    top_driver = ranked[0]
    gain = float(top_driver["gain_to_benchmark"] or top_driver["gain_step"] or 0)
    how = "to its benchmark" if top_driver["gain_to_benchmark"] else "by 10%"
    how_ja = "ベンチマークまで" if top_driver["gain_to_benchmark"] else "10%"
    driver = str(top_driver["driver"])
    dname = (
        {"en": catalog.get(driver).name_en, "ja": catalog.get(driver).name_ja}
        if (driver in catalog)
        else {"en": driver, "ja": driver}
    )
    g_en, g_ja = _fmt(ws, kpi, gain, "en"), _fmt(ws, kpi, gain, "ja")
    return {
        "kpi": kpi,
        "period": period.label,
        "drivers": drivers,
        "sensitivity": ranked,
        "top_driver": driver,
        "summary": {
            "en": f"Biggest lever: improving {dname['en']} {how} adds {g_en}.",
            "ja": f"最大のレバー: {dname['ja']}を{how_ja}改善すると+{g_ja}。",
        },
    }
