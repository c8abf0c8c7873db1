"""Anomaly rules: a period far from what the season and the recent level predict (robust z-score
of residuals), and the false-alarm rate of a threshold over a KPI's history."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from kaname.act.candidates import (
    AlertCandidate,
    bad_direction,
    candidate,
    complete,
    filters_of,
    kpi_series,
    split_of,
)
from kaname.act.wording import format_kpi, kpi_name, where_text
from kaname.config.act import AnomalyRule
from kaname.metrics.calendar import Grain, period_of

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext


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


def season(grain: Grain) -> int:
    return {Grain.MONTH: 12, Grain.WEEK: 52, Grain.QUARTER: 4, Grain.DAY: 7}.get(grain, 12)


def anomaly(ws: WorkspaceContext, rule: AnomalyRule) -> list[AlertCandidate | None]:
    period = complete(ws, rule)
    engine = ws.engine()
    window = engine.window()
    if window is None:
        return []
    split, filters = split_of(rule), filters_of(rule)
    frame = kpi_series(ws, rule.kpi, Grain(rule.grain), window[0], period.start, split, filters)
    kpi = ws.catalog.get(rule.kpi)
    name = kpi_name(ws, rule.kpi)
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
        score = anomaly_scores(values, season(Grain(rule.grain)), kpi.unit == "count")[-1]
        if math.isnan(score) or abs(score) < rule.threshold:
            continue
        if not bad_direction(kpi.direction, rule.direction, score):
            continue
        value = values[-1]
        shown = {lang: format_kpi(ws, rule.kpi, value, lang) for lang in ("en", "ja")}
        where = where_text(rule, str(dim_value))
        word = (
            ("unusually high", "異常に高い値") if score > 0 else ("unusually low", "異常に低い値")
        )
        out.append(
            candidate(
                rule,
                ws,
                period.label,
                str(dim_value),
                {
                    "en": f"{name['en']}{where['en']} is {word[0]} in {period.label}",
                    "ja": f"{name['ja']}{where['ja']}が{period.label}に{word[1]}です",
                },
                {
                    "en": f"{shown['en']}: {score:+.1f} robust standard "
                    "deviations from what the season and the recent level predict.",
                    "ja": f"{shown['ja']}: 季節性と直近水準からの予測に対し"
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
                season(grain),
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
