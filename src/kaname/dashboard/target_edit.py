"""Change a KPI's target from its card: the active plan with that target changed, checked like
the plan editor's Save (lint errors refuse it), saved as a new plan version and audited as
`target.update` (who, the KPI, the period, the target before and after).

A card shows one period. When the plan keeps the KPI's targets in that grain, the one target
changes. When the card shows a longer period (a quarter or the year of a monthly KPI), the
months inside it change: for a KPI that adds up (leads, revenue), in proportion to the months'
current targets (evenly where none is set), so the months add up to the new total; for a rate,
every month takes the new value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kaname.dashboard import plans as plan_service
from kaname.dashboard.core import clean
from kaname.design.plan import PlanError
from kaname.formatting import NumberError, format_entry, parse_number
from kaname.metrics.calendar import Grain, periods_between

if TYPE_CHECKING:
    from kaname.auth.accounts import Principal
    from kaname.dashboard.service import Dashboard


class TargetError(PlanError):
    """A target that cannot be changed, said in both languages (`ja`)."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.ja = ja


def _value(raw: str) -> float:
    try:
        value = parse_number(raw)
    except NumberError as exc:
        raise TargetError(f"target: {exc.en}", f"目標: {exc.ja}") from exc
    if not math.isfinite(value) or value < 0:
        raise TargetError(
            "target: enter a number of 0 or more", "目標: 0以上の数を入力してください"
        )
    return value


def target_fields(dash: Dashboard, kpi_id: str, period_text: str, raw: str) -> dict[str, str]:
    """The plan editor's fields (`t__<kpi>__<period>`) that set `kpi_id`'s target for the
    period to the typed value."""
    ws = dash.ws
    found = dash.plan()
    if found is None:
        raise TargetError(
            "no plan has been applied yet: make one on the Plan page",
            "計画がまだありません。計画ページで作成してください",
        )
    plan = found[0]
    item = next((k for k in plan.kpis if k.kpi == kpi_id), None)
    name_ja = ws.catalog.get(kpi_id).name("ja") if kpi_id in ws.catalog else kpi_id
    if item is None:
        raise TargetError(
            f"{kpi_id} is not in the plan: add it on the Plan page to give it targets",
            f"{name_ja}は計画にありません。計画ページで追加してから目標を設定してください",
        )
    value = _value(raw)
    fy = ws.config.fiscal_year_start_month
    period = ws.period(period_text or None, Grain.MONTH)
    unit = ws.catalog.get(kpi_id).unit
    if period.grain is item.grain:
        return {f"t__{kpi_id}__{period.label}": format_entry(value, unit)}
    inside = periods_between(period.start, period.last_day, item.grain, fy)
    if (
        period.grain is Grain.RANGE
        or not inside
        or inside[0].start != period.start
        or (inside[-1].end != period.end)
    ):
        raise TargetError(
            f"{kpi_id}'s targets are set per {item.grain.value}: choose such a period or a "
            "longer one made of them",
            f"{name_ja}の目標は{_grain_ja(item.grain)}ごとです。その期間か、それを束ねた期間を"
            "選んでください",
        )
    labels = [p.label for p in inside]
    from kaname.metrics.report import is_additive

    if is_additive(ws.engine(), kpi_id):
        current = [item.targets.get(lb) or 0.0 for lb in labels]
        total = math.fsum(current)
        shares = [c / total for c in current] if total > 0 else [1 / len(labels)] * len(labels)
        values = [value * s for s in shares]
    else:
        values = [value] * len(labels)
    return {f"t__{kpi_id}__{lb}": repr(v) for lb, v in zip(labels, values, strict=True)}


def _grain_ja(grain: Grain) -> str:
    return {"day": "日", "week": "週", "month": "月", "quarter": "四半期", "half": "半期"}.get(
        grain.value, "年度"
    )


def current_target(dash: Dashboard, kpi_id: str, period_text: str) -> float | None:
    """The target the card shows for the period (derived as the KPI report derives it)."""
    ws = dash.ws
    period = ws.period(period_text or None, Grain.MONTH)
    got = ws.target_resolver().targets([kpi_id], [period])
    value = got.get((kpi_id, period.start))
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def change_target(
    dash: Dashboard, kpi_id: str, period_text: str, raw: str, user: Principal, language: str
) -> dict[str, Any]:
    """Save the active plan with the KPI's target for the period changed: a new plan version,
    audited. Only editors and admins (the route checks the role; this checks it again)."""
    if not user.can("editor"):
        raise PermissionError("editor")
    ws = dash.ws
    if kpi_id not in ws.catalog:
        raise TargetError(f"unknown KPI {kpi_id!r}", "カタログにないKPIです")
    period = ws.period(period_text or None, Grain.MONTH)
    fields = target_fields(dash, kpi_id, period.label, raw)
    found = dash.plan()
    assert found is not None
    base = found[0]
    before = current_target(dash, kpi_id, period.label)
    plan, _source = plan_service.edited(dash, base, fields)
    check = plan_service.check(dash, plan, language)
    if check["errors"]:
        first = next(f for f in check["findings"] if f.get("severity") == "error")
        raise TargetError(
            f"the plan would have lint errors: {first.get('message_en', '')}",
            f"計画にエラーが出るため保存できません: {first.get('message_ja', '')}",
        )
    value = _value(raw)
    months = {k.split("__", 2)[2]: float(v) for k, v in _numbers(fields).items()}
    saved = plan_service.save(
        dash,
        plan,
        user.username,
        audit=(
            "target.update",
            {"kpi": kpi_id, "period": period.label, "target": before},
            {"kpi": kpi_id, "period": period.label, "target": value, "months": months},
        ),
    )
    return clean(
        {
            "kpi": kpi_id,
            "period": period.label,
            "before": before,
            "target": value,
            "plan": saved["plan"],
            "version": saved["version"],
        }
    )


def _numbers(fields: dict[str, str]) -> dict[str, float]:
    return {k: parse_number(v) for k, v in fields.items()}
