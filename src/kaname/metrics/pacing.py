"""Pacing: where a KPI will land at the period's end, and whether that meets the target."""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum

from kaname.metrics.calendar import Period, business_days


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"


def run_rate_factor(period: Period, as_of: dt.date) -> float:
    """How much to multiply an additive actual-to-date by to project the whole period.

    Run-rate over business days (weekends and Japanese holidays excluded); 1 once the period is
    over. When no business day has passed yet, calendar days are used instead.
    """
    if as_of >= period.last_day:
        return 1.0
    if as_of < period.start:
        return math.nan
    cutoff = as_of + dt.timedelta(days=1)
    elapsed = business_days(period.start, cutoff)
    total = business_days(period.start, period.end)
    if elapsed == 0 or total == 0:
        return period.days / (cutoff - period.start).days
    return total / elapsed


LOWER_IS_BETTER_CAP = 2.0
"""Achievement of a lower-is-better KPI is capped at 200%: target ÷ actual grows without bound
as the actual nears 0 (churn 0.13% against 1.2% would read 903%, churn 0 ∞), and "far better
than the target" is all that such a figure can honestly say."""


def achievement(actual: float, target: float, direction: str) -> float:
    """Share of the target met; for lower-is-better KPIs target ÷ actual, so 1.0+ is always good.

    Lower-is-better achievement is capped at `LOWER_IS_BETTER_CAP` (an actual of 0 against a
    positive target, or below it, meets the cap); it has no value when the target is 0 or negative.
    """
    if _missing(actual) or _missing(target):
        return math.nan
    if direction == "lower":
        if target <= 0:
            return math.nan
        if actual <= 0:
            return LOWER_IS_BETTER_CAP
        return min(target / actual, LOWER_IS_BETTER_CAP)
    if target == 0:
        return math.nan
    return actual / target


def status(projection: float, target: float, direction: str, at_risk_ratio: float = 0.9) -> Status:
    """on_track when the projection meets the target, at_risk within `at_risk_ratio` of it."""
    if _missing(target):
        return Status.NO_TARGET
    if _missing(projection):
        return Status.NO_DATA
    if direction == "lower":
        if projection <= target:
            return Status.ON_TRACK
        return Status.AT_RISK if projection * at_risk_ratio <= target else Status.OFF_TRACK
    if projection >= target:
        return Status.ON_TRACK
    return Status.AT_RISK if projection >= target * at_risk_ratio else Status.OFF_TRACK


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
