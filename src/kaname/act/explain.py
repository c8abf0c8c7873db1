"""Why a funnel KPI misses: which driver (stage rate or volume) would move it most, by the
planner's sensitivity over the standard funnel chain. Alerts and reports attach it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaname.act.wording import format_kpi
from kaname.metrics.calendar import Period

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext


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
    g_en, g_ja = format_kpi(ws, kpi, gain, "en"), format_kpi(ws, kpi, gain, "ja")
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
