"""PDCA actions: what the team tried, on which KPIs, what it expected, what it decided and learnt —
the team's searchable knowledge base — and the measured effect of each action."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import or_, select

from kaname.clock import utcnow
from kaname.store.act_models import ACTION_DECISIONS, ACTION_STATUSES, Action

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext

Status = Literal["plan", "do", "check", "act"]
Decision = Literal["standardise", "expand", "modify", "stop"]
STATUS_NAMES = {
    "plan": ("Plan", "計画"),
    "do": ("Do", "実行"),
    "check": ("Check", "評価"),
    "act": ("Act", "改善"),
}
DECISION_NAMES = {
    "standardise": ("Standardise", "標準化"),
    "expand": ("Expand", "拡大"),
    "modify": ("Modify", "修正"),
    "stop": ("Stop", "中止"),
}


class ActionError(ValueError):
    """An action cannot be saved or measured; the message says why."""


class ActionIn(BaseModel):
    """Fields of a new action (or of an update, where every field is optional)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    hypothesis: str = ""
    kpis: list[str] = Field(min_length=1)
    dimension: str = ""
    dimension_value: str = ""
    owner: str = ""
    start_date: dt.date
    end_date: dt.date | None = None
    expected_lift: float | None = None
    status: Status = "plan"

    @field_validator("end_date")
    @classmethod
    def _after_start(cls, value: dt.date | None, info: Any) -> dt.date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError("end_date is before start_date")
        return value


def action_dict(row: Action) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "hypothesis": row.hypothesis,
        "kpis": json.loads(row.kpis),
        "dimension": row.dimension,
        "dimension_value": row.dimension_value,
        "owner": row.owner,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "expected_lift": row.expected_lift,
        "status": row.status,
        "decision": row.decision,
        "learnings": row.learnings,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "updated_at": row.updated_at,
    }


def _check_kpis(ws: WorkspaceContext, data: ActionIn) -> None:
    for kpi in data.kpis:
        if kpi not in ws.catalog:
            raise ActionError(f"KPI {kpi!r} is not in the catalog; `kaname catalog` lists them")
        if data.dimension and data.dimension not in ws.catalog.dimensions_of(kpi):
            raise ActionError(
                f"{kpi} cannot be split by {data.dimension}; it allows "
                f"{', '.join(ws.catalog.dimensions_of(kpi)) or 'no dimension'}"
            )
    if bool(data.dimension) != bool(data.dimension_value):
        raise ActionError("give both dimension and dimension_value (e.g. channel = webinar)")


def add(ws: WorkspaceContext, data: ActionIn, created_by: str = "cli") -> dict[str, Any]:
    _check_kpis(ws, data)
    with ws.appdb.session() as session:
        row = Action(
            **data.model_dump(exclude={"kpis"}),
            kpis=json.dumps(data.kpis),
            decision="",
            learnings="",
            decided_by="",
            created_by=created_by,
            updated_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return action_dict(row)


def get(ws: WorkspaceContext, action_id: int) -> dict[str, Any]:
    with ws.appdb.session() as session:
        row = session.get(Action, action_id)
        if row is None:
            raise ActionError(f"no action {action_id}; `kaname actions list` shows them")
        return action_dict(row)


def update(ws: WorkspaceContext, action_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change fields (title, hypothesis, kpis, dimension, owner, dates, expected_lift, status)."""
    current = get(ws, action_id)
    allowed = set(ActionIn.model_fields)
    unknown = set(changes) - allowed
    if unknown:
        raise ActionError(f"cannot update {', '.join(sorted(unknown))}")
    merged = {k: current[k] for k in allowed} | changes
    data = ActionIn.model_validate(merged)
    _check_kpis(ws, data)
    with ws.appdb.session() as session:
        row = session.get(Action, action_id)
        assert row is not None
        for key, value in data.model_dump().items():
            setattr(row, key, json.dumps(value) if key == "kpis" else value)
        row.updated_at = utcnow()
        return action_dict(row)


def decide(
    ws: WorkspaceContext, action_id: int, decision: str, learnings: str = "", by: str = "cli"
) -> dict[str, Any]:
    """Record the review's decision and learnings; the action moves to the Act step."""
    if decision not in ACTION_DECISIONS:
        raise ActionError(f"decision must be one of {', '.join(ACTION_DECISIONS)}")
    with ws.appdb.session() as session:
        row = session.get(Action, action_id)
        if row is None:
            raise ActionError(f"no action {action_id}; `kaname actions list` shows them")
        row.decision, row.status, row.updated_at = decision, "act", utcnow()
        row.decided_by, row.decided_at = by, row.updated_at
        if learnings:
            row.learnings = (row.learnings + "\n" if row.learnings else "") + learnings
        return action_dict(row)


def list_actions(
    ws: WorkspaceContext,
    status: str | None = None,
    kpi: str | None = None,
    active_on: dt.date | None = None,
    query: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Actions, newest start first. `query` searches title, hypothesis, learnings, owner and
    dimension value (every word must appear, case-insensitive) — the knowledge base."""
    stmt = select(Action).order_by(Action.start_date.desc(), Action.id.desc()).limit(limit)
    if status:
        if status not in ACTION_STATUSES:
            raise ActionError(f"status must be one of {', '.join(ACTION_STATUSES)}")
        stmt = stmt.where(Action.status == status)
    if active_on:
        stmt = stmt.where(
            Action.start_date <= active_on,
            or_(Action.end_date.is_(None), Action.end_date >= active_on),
        )
    for word in (query or "").split():
        like = f"%{word.lower()}%"
        stmt = stmt.where(
            or_(
                *(
                    col.ilike(like)
                    for col in (
                        Action.title,
                        Action.hypothesis,
                        Action.learnings,
                        Action.owner,
                        Action.dimension_value,
                        Action.decision,
                        Action.kpis,
                    )
                )
            )
        )
    with ws.appdb.session() as session:
        rows = [action_dict(r) for r in session.execute(stmt).scalars()]
    if kpi:
        rows = [r for r in rows if kpi in r["kpis"]]
    return rows


def kpi_annotations(ws: WorkspaceContext, kpi: str) -> list[dict[str, Any]]:
    """Actions on a KPI as chart annotations: id, title, start, end, status, decision."""
    return [
        {
            "id": a["id"],
            "title": a["title"],
            "start": a["start_date"],
            "end": a["end_date"],
            "status": a["status"],
            "decision": a["decision"],
            "dimension": a["dimension"],
            "dimension_value": a["dimension_value"],
        }
        for a in list_actions(ws, kpi=kpi)
    ]


EFFECT_HISTORY_DAYS = 182
"""How much history before the start the before/after comparison uses (by default)."""


def measure(
    ws: WorkspaceContext,
    action_id: int,
    kpi: str | None = None,
    grain: str = "week",
    compare_to: str | None = None,
    history_days: int = EFFECT_HISTORY_DAYS,
    level: float = 0.95,
) -> dict[str, Any]:
    """The measured effect of an action on each of its KPIs (or one): before/after with trend and
    seasonality and, with `compare_to` (a dimension value such as `other` or `email`),
    difference-in-differences against it. Returns {"action", "results": [...]} where each result
    holds kpi, method, series (period_start, value, comparison) and the EffectResult fields."""
    from kaname.act.effect import EffectError, before_after, diff_in_diff
    from kaname.metrics.calendar import Grain
    from kaname.metrics.engine import MetricQuery

    action = get(ws, action_id)
    kpis = [kpi] if kpi else action["kpis"]
    if kpi and kpi not in action["kpis"]:
        raise ActionError(f"action {action_id} is not linked to {kpi}")
    start: dt.date = action["start_date"]
    end: dt.date = min(action["end_date"] or ws.today(), ws.today())
    if start > ws.today():
        raise ActionError(f"action {action_id} starts on {start}; nothing to measure yet")
    chosen = Grain(grain)
    first = start - dt.timedelta(days=history_days)
    dimension = action["dimension"]
    results = []
    engine = ws.engine()
    for kpi_id in kpis:
        filters = ((dimension, action["dimension_value"]),) if dimension else ()
        frame = engine.compute(
            MetricQuery((kpi_id,), chosen, first, end, as_of=ws.today(), filters=filters)
        )
        # a period still running would look like a drop; measure complete periods only
        frame = frame[frame["period_start"] <= _last_complete_start(ws, chosen, end)]
        dates = [d for d in frame["period_start"]]
        values = frame["value"].astype(float).to_numpy()
        entry: dict[str, Any] = {"kpi": kpi_id, "grain": chosen.value}
        try:
            if compare_to:
                if not dimension:
                    raise ActionError(
                        "difference-in-differences needs an action with a dimension "
                        "(e.g. channel = webinar) to compare with another value"
                    )
                other = engine.compute(
                    MetricQuery(
                        (kpi_id,),
                        chosen,
                        first,
                        end,
                        as_of=ws.today(),
                        filters=((dimension, compare_to),),
                    )
                )
                other = other[other["period_start"].isin(dates)]
                control = other["value"].astype(float).to_numpy()
                result = diff_in_diff(dates, values, control, _period_start(ws, chosen, start), end)
                entry["comparison"] = {"dimension": dimension, "value": compare_to}
                entry["series"] = [
                    {"period_start": d, "value": v, "comparison": c}
                    for d, v, c in zip(dates, values, control, strict=True)
                ]
            else:
                result = before_after(
                    dates,
                    values,
                    _period_start(ws, chosen, start),
                    end,
                    grain=chosen.value,
                    level=level,
                )
                entry["series"] = [
                    {"period_start": d, "value": v} for d, v in zip(dates, values, strict=True)
                ]
        except EffectError as exc:
            entry["error"] = str(exc)
            results.append(entry)
            continue
        entry.update(result.model_dump())
        if action["expected_lift"] is not None and result.relative == result.relative:
            entry["expected_lift"] = action["expected_lift"]
            entry["met_expectation"] = bool(
                result.significant and result.relative >= action["expected_lift"]
            )
        results.append(entry)
    return {"action": action, "results": results}


def _period_start(ws: WorkspaceContext, grain: Any, day: dt.date) -> dt.date:
    """The start of the first whole period on or after `day` (the post period begins there)."""
    from kaname.metrics.calendar import period_of

    period = period_of(day, grain, ws.config.fiscal_year_start_month)
    return period.start if period.start == day else period.end


def _last_complete_start(ws: WorkspaceContext, grain: Any, end: dt.date) -> dt.date:
    from kaname.metrics.calendar import period_of

    period = period_of(end, grain, ws.config.fiscal_year_start_month)
    return period.start if end >= period.last_day else period.previous().start
