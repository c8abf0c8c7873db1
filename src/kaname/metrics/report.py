"""The KPI report: actual, target, achievement, pacing projection and status for one period."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from kaname.metrics.calendar import Period
from kaname.metrics.engine import MetricEngine, MetricQuery, View
from kaname.metrics.pacing import Status, achievement, run_rate_factor, status
from kaname.metrics.target_grains import TargetResolver
from kaname.metrics.targets import TargetStore
from kaname.metrics.why import why_zero

REPORT_COLUMNS = [
    "kpi",
    "name",
    "period",
    "dimension",
    "dimension_value",
    "actual",
    "target",
    "achievement",
    "projection",
    "status",
    "unit",
    "direction",
    "note",
]


@dataclass(frozen=True)
class ReportRequest:
    kpis: Sequence[str]
    period: Period
    as_of: dt.date
    dimension: str | None = None
    view: View = "period"
    language: str = "en"
    at_risk_ratio: float = 0.9
    filters: tuple[tuple[str, str], ...] = ()
    """Only rows whose dimension equals a value; KPIs that cannot be filtered so are left out."""


def kpi_report(engine: MetricEngine, targets: TargetStore, request: ReportRequest) -> pd.DataFrame:
    """One row per KPI (× dimension value) for the requested period."""
    period = request.period
    dims = (request.dimension,) if request.dimension else ()
    wanted = {*dims, *(d for d, _ in request.filters)}
    kpis = [k for k in request.kpis if wanted <= set(engine.dimensions_of(k))]
    if request.view == "cohort":
        kpis = [k for k in kpis if engine.catalog.has_cohort_view(k)]
    if not kpis:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    base = MetricQuery(
        tuple(kpis),
        period.grain,
        period.start,
        period.last_day,
        dims,
        request.view,
        request.as_of,
        filters=request.filters,
    )
    actual = engine.compute(base)
    factor = run_rate_factor(period, request.as_of)
    if factor != 1.0 and not math.isnan(factor) and request.view == "period":
        projected = engine.compute(
            MetricQuery(
                base.kpis,
                base.grain,
                base.first,
                base.last,
                dims,
                base.view,
                base.as_of,
                scale={period.start: factor},
                filters=request.filters,
            )
        )
        projection = projected["value"].to_numpy()
    else:
        projection = actual["value"].to_numpy()
    target_dim, filter_value = request.dimension or "", ""
    if not target_dim and len(request.filters) == 1:
        target_dim, filter_value = request.filters[0]
    if target_dim:
        found = targets.lookup_many(kpis, [period], request.as_of, target_dim)
    elif request.filters:  # several filters at once: no target is set for a combination
        found = {}
    else:
        # Without a dimension every grain has a target: derived from the monthly ones
        # (metrics/target_grains.py), the same wherever the KPI is shown.
        resolver = TargetResolver(targets, engine.catalog, request.as_of, engine.fy_start_month)
        found = {(k, s, ""): v for (k, s), v in resolver.targets(kpis, [period]).items()}
    rows = []
    for i, rec in enumerate(actual.itertuples(index=False)):
        kpi = engine.catalog.get(rec.kpi)
        dim_value = str(getattr(rec, request.dimension)) if request.dimension else ""
        key_value = dim_value if request.dimension or not request.filters else filter_value
        target = found.get((rec.kpi, period.start, key_value), math.nan)
        value = float(rec.value)
        proj = float(projection[i])
        note = rec.note
        if (
            not note
            and not request.dimension
            and request.view == "period"
            and (value == 0 or math.isnan(value))
        ):
            # 0 or empty although the tables hold rows: say which condition left them out.
            note = why_zero(engine, rec.kpi, period, request.as_of, request.filters) or ""
        st = status(proj, target, kpi.direction, request.at_risk_ratio)
        if math.isnan(value) and st is not Status.NO_TARGET:
            st = Status.NO_DATA
        rows.append(
            {
                "kpi": rec.kpi,
                "name": kpi.name(request.language),
                "period": rec.period,
                "dimension": request.dimension or "",
                "dimension_value": dim_value,
                "actual": value,
                "target": target,
                "achievement": achievement(value, target, kpi.direction),
                "projection": proj,
                "status": str(st),
                "unit": kpi.unit,
                "direction": kpi.direction,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def is_additive(engine: MetricEngine, kpi_id: str) -> bool:
    """True when the KPI is one additive measure, so monthly targets add up to longer periods."""
    return TargetResolver.additive(engine.catalog, kpi_id)
