"""Targets: per KPI × period × optional dimension value, versioned by effective date."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from kaname.metrics.calendar import Grain, Period
from kaname.store.appdb import AppDB, Target


@dataclass(frozen=True)
class TargetValue:
    kpi_id: str
    grain: Grain
    period_start: dt.date
    value: float
    dimension: str = ""
    dimension_value: str = ""


class TargetStore:
    """Reads and writes targets in the app DB."""

    def __init__(self, db: AppDB) -> None:
        self.db = db

    def set(
        self,
        values: Iterable[TargetValue],
        effective_from: dt.date,
        plan_version_id: int | None = None,
        created_by: str = "cli",
    ) -> int:
        rows = [
            Target(
                kpi_id=v.kpi_id,
                grain=str(v.grain),
                period_start=v.period_start,
                dimension=v.dimension,
                dimension_value=v.dimension_value,
                value=float(v.value),
                effective_from=effective_from,
                plan_version_id=plan_version_id,
                created_by=created_by,
            )
            for v in values
        ]
        with self.db.session() as session:
            session.add_all(rows)
        return len(rows)

    def lookup(
        self,
        kpi_id: str,
        period: Period,
        as_of: dt.date,
        dimension: str = "",
        dimension_value: str = "",
    ) -> float:
        """The target in force on `as_of` for this KPI and period (NaN when none is set)."""
        found = self.lookup_many([kpi_id], [period], as_of, dimension)
        return found.get((kpi_id, period.start, dimension_value), math.nan)

    def lookup_many(
        self,
        kpi_ids: Iterable[str],
        periods: Iterable[Period],
        as_of: dt.date,
        dimension: str = "",
    ) -> dict[tuple[str, dt.date, str], float]:
        """Targets in force on `as_of`, keyed by (kpi, period start, dimension value).

        The newest effective_from on or before `as_of` wins; ties go to the newest row.
        """
        periods = list(periods)
        if not periods:
            return {}
        grain = str(periods[0].grain)
        starts = [p.start for p in periods]
        with self.db.session() as session:
            rows = session.execute(
                select(Target)
                .where(Target.kpi_id.in_(list(kpi_ids)))
                .where(Target.grain == grain)
                .where(Target.period_start.in_(starts))
                .where(Target.dimension == dimension)
                .where(Target.effective_from <= as_of)
                .order_by(Target.effective_from, Target.id)
            ).scalars()
            out: dict[tuple[str, dt.date, str], float] = {}
            for row in rows:
                out[(row.kpi_id, row.period_start, row.dimension_value)] = row.value
        return out

    def history(self, kpi_id: str) -> list[Target]:
        with self.db.session() as session:
            return list(
                session.execute(
                    select(Target)
                    .where(Target.kpi_id == kpi_id)
                    .order_by(Target.period_start, Target.effective_from, Target.id)
                ).scalars()
            )
