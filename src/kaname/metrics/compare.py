"""Comparisons a manager can believe.

- The previous period is the period before (October for November), never the running one.
- A running period is compared like for like: its actual to date against the previous period and
  the same period a year earlier, each cut at the same number of elapsed business days
  (weekends and Japanese holidays excluded). A month three days old is not set against the whole
  of last year's month. Quarters, halves and fiscal years follow the same rule.
- A complete period is compared with the whole of each base period.

`progress()` says how far into a period a day is (営業日 2/21), for the page to show beside the
comparison.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from kaname.metrics.calendar import Period, business_days, is_business_day
from kaname.metrics.engine import MetricEngine, MetricQuery, View

BASES = ("previous", "previous_year")


@dataclass(frozen=True)
class Progress:
    """How far `as_of` is into a period."""

    as_of: dt.date
    elapsed_business_days: int
    business_days: int
    running: bool
    """True while the period has started and not ended on `as_of`."""

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "elapsed_business_days": self.elapsed_business_days,
            "business_days": self.business_days,
            "running": self.running,
        }


@dataclass(frozen=True)
class Base:
    """One comparison base: `period` up to `cutoff` (its last day when compared whole)."""

    name: str
    period: Period
    cutoff: dt.date
    to_date: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "period": self.period.label,
            "through": self.cutoff.isoformat(),
            "to_date": self.to_date,
        }


def is_running(period: Period, as_of: dt.date) -> bool:
    return period.start <= as_of < period.last_day


def progress(period: Period, as_of: dt.date) -> Progress:
    total = business_days(period.start, period.end)
    if as_of < period.start:
        elapsed = 0
    else:
        elapsed = business_days(period.start, min(as_of, period.last_day) + dt.timedelta(days=1))
    return Progress(as_of, elapsed, total, is_running(period, as_of))


def equivalent_day(base: Period, period: Period, as_of: dt.date) -> dt.date:
    """The day of `base` at which as many business days have passed as in `period` on `as_of`
    (calendar days when none has passed yet); never past the base's last day."""
    elapsed = business_days(period.start, as_of + dt.timedelta(days=1))
    if elapsed == 0:
        return min(base.start + (as_of - period.start), base.last_day)
    seen, day = 0, base.start
    while day <= base.last_day:
        if is_business_day(day):
            seen += 1
            if seen == elapsed:
                return day
        day += dt.timedelta(days=1)
    return base.last_day


def bases(period: Period, as_of: dt.date) -> list[Base]:
    """The previous period and the same period a year before, cut like for like when `period`
    is running on `as_of`."""
    running = is_running(period, as_of)
    out = []
    for name, base in (("previous", period.previous()), ("previous_year", period.year_ago())):
        cutoff = equivalent_day(base, period, as_of) if running else base.last_day
        out.append(Base(name, base, cutoff, running))
    return out


def compare(
    engine: MetricEngine,
    kpis: Sequence[str],
    period: Period,
    as_of: dt.date,
    view: View = "period",
    filters: tuple[tuple[str, str], ...] = (),
) -> tuple[dict[str, dict[str, float]], list[Base]]:
    """{base name: {kpi: value}} for the previous period and the previous year, like for like,
    and the bases used. Values are NaN where the base has no data."""
    out: dict[str, dict[str, float]] = {}
    used = bases(period, as_of)
    for base in used:
        if not kpis:
            out[base.name] = {}
            continue
        frame = engine.compute(
            MetricQuery(
                tuple(kpis),
                period.grain,
                base.period.start,
                base.period.start,
                view=view,
                as_of=min(base.cutoff, as_of),
                filters=filters,
            )
        )
        pairs = zip(frame["kpi"], frame["value"], strict=True)
        out[base.name] = {str(k): float(v) for k, v in pairs}
    return out, used


def change(now: float | None, before: float | None) -> float:
    """Relative change now ÷ before − 1; NaN when either is missing or the base is zero."""
    if now is None or before is None or before == 0:
        return math.nan
    if math.isnan(now) or math.isnan(before):
        return math.nan
    return now / before - 1
