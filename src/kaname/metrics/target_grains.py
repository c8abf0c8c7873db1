"""Targets at every grain, derived from the targets a plan sets (one per month, usually).

A target set for the period itself always wins. Otherwise:

- **Additive KPIs** (one event measure: leads, deals, revenue, spend …): a quarter, half or fiscal
  year adds up its monthly targets; a week or a day takes each overlapping month's target in
  proportion to the month's business days it holds (weekends and Japanese holidays excluded).
- **Rates and unit costs** (CPA, cost per MQL, CAC, conversion rates, average deal size, ROAS …)
  apply their own formula to their components' targets at the same grain: a quarter's CPA target
  is its spend target ÷ its leads target, so a KPI's target is the same arithmetic as its actual.

A target is NaN (目標なし) when a month or a component it needs has none.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np

from kaname.metrics.calendar import Grain, Period, business_days, periods_between
from kaname.metrics.catalog import Catalog
from kaname.metrics.formula import BinOp, Ref
from kaname.metrics.measures import MEASURES, EventMeasure
from kaname.metrics.targets import TargetStore

LONGER = (Grain.QUARTER, Grain.HALF, Grain.YEAR)
SHORTER = (Grain.WEEK, Grain.DAY, Grain.RANGE)

Key = tuple[str, dt.date]


class TargetResolver:
    """Targets of KPIs for periods of any grain, as in force on `as_of`."""

    def __init__(
        self, store: TargetStore, catalog: Catalog, as_of: dt.date, fy_start_month: int = 4
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.as_of = as_of
        self.fy = fy_start_month
        self._components = _measure_kpis(catalog)

    # ------------------------------------------------------------------ public
    def targets(self, kpi_ids: Iterable[str], periods: Iterable[Period]) -> dict[Key, float]:
        """{(kpi, period start): target} for every KPI and period (NaN where none)."""
        kpis, periods = list(dict.fromkeys(kpi_ids)), list(periods)
        if not kpis or not periods:
            return {}
        wanted = set(kpis)
        for kpi in kpis:
            wanted |= set(self._parts(kpi).values())
            wanted |= {k for k in self._pair(kpi) or () if k}
        explicit = self._explicit(wanted, periods)
        monthly = self._monthly(wanted, periods)
        out: dict[Key, float] = {}
        for kpi in kpis:
            for period in periods:
                out[(kpi, period.start)] = self._one(kpi, period, explicit, monthly)
        return out

    def target(self, kpi_id: str, period: Period) -> float:
        return self.targets([kpi_id], [period])[(kpi_id, period.start)]

    # ------------------------------------------------------------------ derivation
    def _one(
        self,
        kpi: str,
        period: Period,
        explicit: dict[Key, float],
        monthly: dict[Key, float],
    ) -> float:
        found = explicit.get((kpi, period.start))
        if found is not None:
            return found
        if self.is_additive(kpi):
            return self._additive(kpi, period, monthly)
        ratio = self._ratio(kpi, period, monthly)
        if not math.isnan(ratio):
            return ratio
        parts = self._parts(kpi)
        if not parts:
            return math.nan
        values = {}
        for measure, component in parts.items():
            value = explicit.get((component, period.start))
            if value is None:
                value = self._additive(component, period, monthly)
            if math.isnan(value):
                return math.nan
            values[measure] = np.array([value], dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            result, _ = self.catalog.resolve(kpi).evaluate(values)
        value = float(result[0])
        return value if math.isfinite(value) else math.nan

    def _ratio(self, kpi: str, period: Period, monthly: dict[Key, float]) -> float:
        """A ratio a ÷ b of event measures from the months it spans: each month's a and b, one
        implied by the ratio's own monthly target where it has one (a = ratio × b, or b = a ÷
        ratio), else both from their KPIs' targets; then Σa ÷ Σb over the period's share of each
        month. A quarter's CPA is the quarter's spend ÷ its leads even when the plan set only
        monthly CPA and lead targets, and a week's CPA equals its month's."""
        pair = self._pair(kpi)
        if pair is None:
            return math.nan
        a_kpi, b_kpi = pair
        a_total = b_total = 0.0
        for month in self._months(period):
            a = monthly.get((a_kpi, month.start)) if a_kpi else None
            b = monthly.get((b_kpi, month.start)) if b_kpi else None
            rate = monthly.get((kpi, month.start))
            if rate is not None and b is not None:
                a = rate * b
            elif rate and a is not None:
                b = a / rate
            if a is None or b is None:
                return math.nan
            share = 1.0 if period.grain is Grain.MONTH else _share(period, month)
            a_total, b_total = a_total + a * share, b_total + b * share
        return a_total / b_total if b_total else math.nan

    def _pair(self, kpi: str) -> tuple[str | None, str | None] | None:
        """(KPI of the numerator, KPI of the denominator) of a KPI that is one event measure ÷
        another; None for other formulas. A measure without a KPI of its own is None."""
        tree = self.catalog.resolve(kpi).tree
        if not (
            isinstance(tree, BinOp)
            and tree.op == "/"
            and isinstance(tree.left, Ref)
            and isinstance(tree.right, Ref)
        ):
            return None
        names = (tree.left.name, tree.right.name)
        if not all(isinstance(MEASURES.get(n), EventMeasure) for n in names):
            return None
        return self._components.get(names[0]), self._components.get(names[1])

    def _additive(self, kpi: str, period: Period, monthly: dict[Key, float]) -> float:
        """An additive KPI's target from its monthly targets (the month's own when the grain is
        month: it was not set, so there is none)."""
        if period.grain not in (*LONGER, *SHORTER):
            return math.nan
        total = 0.0
        for month in self._months(period):
            target = monthly.get((kpi, month.start))
            if target is None:
                return math.nan
            total += target * _share(period, month)
        return total

    def is_additive(self, kpi: str) -> bool:
        return self.additive(self.catalog, kpi)

    @staticmethod
    def additive(catalog: Catalog, kpi: str) -> bool:
        """One event measure: monthly targets add up to longer periods, split to shorter ones."""
        names = catalog.resolve(kpi).names
        return len(names) == 1 and isinstance(MEASURES.get(names[0]), EventMeasure)

    def _parts(self, kpi: str) -> dict[str, str]:
        """{measure: the additive KPI that is exactly it} for a formula over event measures;
        empty when a measure has no such KPI (its target cannot be derived)."""
        if kpi not in self.catalog or self.is_additive(kpi):
            return {}
        names = self.catalog.resolve(kpi).names
        if not names or any(n not in self._components for n in names):
            return {}
        return {n: self._components[n] for n in names}

    # ------------------------------------------------------------------ lookups
    def _months(self, period: Period) -> list[Period]:
        return periods_between(period.start, period.last_day, Grain.MONTH, self.fy)

    def _explicit(self, kpis: set[str], periods: list[Period]) -> dict[Key, float]:
        out: dict[Key, float] = {}
        by_grain: dict[Grain, list[Period]] = {}
        for p in periods:
            by_grain.setdefault(p.grain, []).append(p)
        for group in by_grain.values():
            for (kpi, start, _), value in self.store.lookup_many(kpis, group, self.as_of).items():
                out[(kpi, start)] = value
        return out

    def _monthly(self, kpis: set[str], periods: list[Period]) -> dict[Key, float]:
        months: dict[dt.date, Period] = {}
        for p in periods:
            for m in self._months(p):
                months[m.start] = m
        if not months:
            return {}
        found = self.store.lookup_many(kpis, list(months.values()), self.as_of)
        return {(kpi, start): value for (kpi, start, _), value in found.items()}


def _share(period: Period, month: Period) -> float:
    """The part of `month`'s target that falls in `period`: 1 for a month inside a longer period;
    for a week or a day, the month's business days it holds (calendar days for a month that has
    none)."""
    if period.grain in LONGER:
        return 1.0
    first, end = max(period.start, month.start), min(period.end, month.end)
    if first >= end:
        return 0.0
    total = business_days(month.start, month.end)
    if total == 0:
        return (end - first).days / month.days
    return business_days(first, end) / total


def _measure_kpis(catalog: Catalog) -> dict[str, str]:
    """{event measure: the KPI whose formula is exactly that measure}, the measure's namesake
    first."""
    out: dict[str, str] = {}
    for kpi in catalog:
        try:
            tree = catalog.resolve(kpi.id).tree
        except ValueError:
            continue
        if not isinstance(tree, Ref) or not isinstance(MEASURES.get(tree.name), EventMeasure):
            continue
        if tree.name not in out or kpi.id == tree.name:
            out[tree.name] = kpi.id
    return out
