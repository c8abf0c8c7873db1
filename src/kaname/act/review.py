"""The quarterly KPI review: per KPI of the applied plan, how it tracked, whether it still moves
the KGI (correlation and lead/lag against the KGI's monthly history) and its lint findings, with a
suggested keep / change / retire; the team's decisions are recorded for the plan's next version."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select

from kaname.clock import utcnow
from kaname.store.act_models import REVIEW_DECISIONS, KpiReviewDecision
from kaname.store.appdb import PlanVersion

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext
    from kaname.design.lint import Finding
    from kaname.design.plan import Plan

PlanLinter = Callable[[Path], "list[Finding]"]
"""Lints a plan file against a workspace's data (Workspace.lint_plan): the review's one need from
the design stage, passed in so that act/ does not reach up to the facade."""

MAX_LAG = 3
"""Months a KPI may lead the KGI by."""
WEAK_CORRELATION = 0.3


class ReviewError(ValueError):
    """A review cannot be built or recorded; the message says why."""


def _plan_version(ws: WorkspaceContext, name: str | None) -> PlanVersion:
    stmt = select(PlanVersion).order_by(PlanVersion.created_at.desc(), PlanVersion.id.desc())
    if name:
        stmt = stmt.where(PlanVersion.plan_name == name)
    with ws.appdb.session() as session:
        row = session.execute(stmt.limit(1)).scalar()
    if row is None:
        raise ReviewError(
            f"no applied plan{' ' + name if name else ''}; apply one with `kaname plan apply`"
        )
    return row


def lead_lag(kpi: list[float], kgi: list[float], max_lag: int = MAX_LAG) -> dict[str, Any]:
    """Pearson correlation of the KPI `lag` months earlier with the KGI, for lag 0..max_lag;
    the best lag is the one with the largest |r| (needs six overlapping months)."""
    x, y = np.asarray(kpi, dtype=float), np.asarray(kgi, dtype=float)
    by_lag: dict[int, float] = {}
    for lag in range(max_lag + 1):
        a = x[: len(x) - lag] if lag else x
        b = y[lag:]
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < 6 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
            continue
        by_lag[lag] = float(np.corrcoef(a[ok], b[ok])[0, 1])
    if not by_lag:
        return {"correlation": math.nan, "lag_months": None, "by_lag": {}}
    best = max(by_lag, key=lambda k: abs(by_lag[k]))
    return {"correlation": by_lag[best], "lag_months": best, "by_lag": by_lag}


def _lint(lint_plan: PlanLinter, content: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.yaml"
        path.write_text(content, encoding="utf-8")
        return [f.as_dict() for f in lint_plan(path)]


def build_review(
    ws: WorkspaceContext,
    lint_plan: PlanLinter,
    plan_name: str | None = None,
    period: str | None = None,
) -> dict[str, Any]:
    """The review of the latest applied version of a plan for a quarter (default: the last
    complete quarter). Rows: kpi, name, actual, target, achievement, status, months_on_track,
    correlation, lag_months, findings, suggestion, reason."""
    from kaname.design.plan import load_plan
    from kaname.metrics.calendar import Grain, period_of, periods_between
    from kaname.metrics.engine import MetricQuery

    version = _plan_version(ws, plan_name)
    plan: Plan = load_plan(version.content, version.plan_name)
    fy = ws.config.fiscal_year_start_month
    quarter = ws.period(period) if period else period_of(ws.today(), Grain.QUARTER, fy).previous()
    kpis = list(dict.fromkeys(k.kpi for k in plan.kpis if k.kpi != plan.kgi.kpi))
    report = ws.kpi_report([plan.kgi.kpi, *kpis], quarter)
    by_kpi = report.set_index("kpi").to_dict(orient="index")
    engine = ws.engine()
    window = engine.window()
    months = periods_between(quarter.start, quarter.last_day, Grain.MONTH, fy)
    on_track: dict[str, int] = {k: 0 for k in [plan.kgi.kpi, *kpis]}
    for month in months:
        if month.start > ws.today():
            continue
        frame = ws.kpi_report([plan.kgi.kpi, *kpis], month)
        for rec in frame.itertuples(index=False):
            on_track[str(rec.kpi)] += rec.status == "on_track"
    history: dict[str, list[float]] = {}
    if window is not None:
        first = period_of(window[0], Grain.MONTH, fy).next()
        frame = engine.compute(
            MetricQuery(
                (plan.kgi.kpi, *kpis), Grain.MONTH, first.start, quarter.last_day, as_of=ws.today()
            )
        ).sort_values("period_start")
        for kpi, group in frame.groupby("kpi"):
            history[str(kpi)] = group["value"].astype(float).tolist()
    findings = _lint(lint_plan, version.content)
    rows = []
    kgi_history = history.get(plan.kgi.kpi, [])
    for kpi in [plan.kgi.kpi, *kpis]:
        rec = by_kpi[kpi]
        relation = (
            lead_lag(history.get(kpi, []), kgi_history)
            if kpi != plan.kgi.kpi
            else {"correlation": 1.0, "lag_months": 0, "by_lag": {}}
        )
        mine = [f for f in findings if f["kpi"] == kpi]
        suggestion, reason = _suggest(
            kpi == plan.kgi.kpi, rec, relation, mine, on_track[kpi], months
        )
        rows.append(
            {
                "kpi": kpi,
                "name": rec["name"],
                "is_kgi": kpi == plan.kgi.kpi,
                "unit": rec["unit"],
                "actual": rec["actual"],
                "target": rec["target"],
                "achievement": rec["achievement"],
                "status": rec["status"],
                "months_on_track": on_track[kpi],
                "months": len([m for m in months if m.start <= ws.today()]),
                "correlation": relation["correlation"],
                "lag_months": relation["lag_months"],
                "findings": mine,
                "suggestion": suggestion,
                "reason": reason,
            }
        )
    return {
        "plan": version.plan_name,
        "version": version.version,
        "period": quarter.label,
        "kgi": plan.kgi.kpi,
        "rows": rows,
        "decisions": decisions(ws, version.plan_name),
        "note": "correlation: the KPI's monthly values (shifted by the lag) against the KGI's "
        "over the warehouse's history; a correlation is evidence, not proof, of influence",
    }


def _suggest(
    is_kgi: bool,
    rec: dict[str, Any],
    relation: dict[str, Any],
    findings: list[dict[str, Any]],
    on_track: int,
    months: list[Any],
) -> tuple[str, dict[str, str]]:
    errors = [f for f in findings if f["severity"] == "error"]
    corr = relation["correlation"]
    if is_kgi:
        return "keep", {"en": "the KGI", "ja": "KGI"}
    if errors:
        return "change", {
            "en": f"lint: {errors[0]['message_en']}",
            "ja": f"リント: {errors[0]['message_ja']}",
        }
    if isinstance(corr, float) and math.isfinite(corr) and abs(corr) < WEAK_CORRELATION:
        return "retire", {
            "en": f"barely moves with the KGI (r = {corr:+.2f})",
            "ja": f"KGIとの連動が弱い(r = {corr:+.2f})",
        }
    if rec["status"] == "off_track" and on_track == 0:
        return "change", {
            "en": "off track every month of the quarter: revisit the target or the tactics",
            "ja": "四半期を通して未達: 目標か施策を見直す",
        }
    lag = relation["lag_months"]
    lead = f", leads the KGI by {lag} months" if lag else ""
    lead_ja = f"、KGIに{lag}ヶ月先行" if lag else ""
    corr_text = f"r = {corr:+.2f}" if isinstance(corr, float) and math.isfinite(corr) else "r n/a"
    return "keep", {
        "en": f"moves with the KGI ({corr_text}{lead})",
        "ja": f"KGIと連動({corr_text}{lead_ja})",
    }


def record_decision(
    ws: WorkspaceContext,
    plan_name: str,
    kpi: str,
    decision: str,
    note: str = "",
    by: str = "cli",
    period: str | None = None,
) -> dict[str, Any]:
    """Record keep / change / retire for a KPI of the plan's latest version (for the next one)."""
    from kaname.metrics.calendar import Grain, period_of

    if decision not in REVIEW_DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(REVIEW_DECISIONS)}")
    if kpi not in ws.catalog:
        raise ReviewError(f"KPI {kpi!r} is not in the catalog")
    version = _plan_version(ws, plan_name)
    label = (
        ws.period(period).label
        if period
        else period_of(ws.today(), Grain.QUARTER, ws.config.fiscal_year_start_month)
        .previous()
        .label
    )
    with ws.appdb.session() as session:
        row = KpiReviewDecision(
            plan_name=version.plan_name,
            plan_version=version.version,
            period=label,
            kpi_id=kpi,
            decision=decision,
            note=note,
            created_by=by,
        )
        session.add(row)
        session.flush()
        return _decision_dict(row)


def _decision_dict(row: KpiReviewDecision) -> dict[str, Any]:
    return {
        "id": row.id,
        "plan": row.plan_name,
        "plan_version": row.plan_version,
        "period": row.period,
        "kpi": row.kpi_id,
        "decision": row.decision,
        "note": row.note,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "applied_version": row.applied_version,
        "applied_at": row.applied_at,
        "applied_by": row.applied_by,
    }


def decisions(ws: WorkspaceContext, plan_name: str | None = None) -> list[dict[str, Any]]:
    stmt = select(KpiReviewDecision).order_by(KpiReviewDecision.id.desc())
    if plan_name:
        stmt = stmt.where(KpiReviewDecision.plan_name == plan_name)
    with ws.appdb.session() as session:
        return [_decision_dict(r) for r in session.execute(stmt).scalars()]


def pending_decisions(ws: WorkspaceContext, plan_name: str) -> list[dict[str, Any]]:
    """The decisions not yet carried into a new version of the plan: the latest per KPI."""
    stmt = (
        select(KpiReviewDecision)
        .where(
            KpiReviewDecision.plan_name == plan_name, KpiReviewDecision.applied_version.is_(None)
        )
        .order_by(KpiReviewDecision.id.desc())
    )
    out: dict[str, dict[str, Any]] = {}
    with ws.appdb.session() as session:
        for row in session.execute(stmt).scalars():
            out.setdefault(row.kpi_id, _decision_dict(row))
    return list(out.values())


def apply_decisions(
    ws: WorkspaceContext, plan_name: str, version: int, by: str
) -> list[dict[str, Any]]:
    """Carry the pending decisions on earlier versions into `version` of the plan: each is marked
    applied (version, when, who). Returns the latest decision per KPI that was carried."""

    latest = {d["id"] for d in pending_decisions(ws, plan_name)}
    now = utcnow()
    stmt = select(KpiReviewDecision).where(
        KpiReviewDecision.plan_name == plan_name,
        KpiReviewDecision.applied_version.is_(None),
        KpiReviewDecision.plan_version < version,
    )
    carried = []
    with ws.appdb.session() as session:
        for row in session.execute(stmt).scalars():
            row.applied_version, row.applied_at, row.applied_by = version, now, by
            if row.id in latest:
                carried.append(_decision_dict(row))
    return sorted(carried, key=lambda d: d["kpi"])


def applied_decisions(ws: WorkspaceContext, plan_name: str) -> dict[int, list[dict[str, Any]]]:
    """Plan version → the review decisions carried into it (the latest per KPI)."""
    stmt = (
        select(KpiReviewDecision)
        .where(
            KpiReviewDecision.plan_name == plan_name,
            KpiReviewDecision.applied_version.is_not(None),
        )
        .order_by(KpiReviewDecision.id.desc())
    )
    out: dict[int, dict[str, dict[str, Any]]] = {}
    with ws.appdb.session() as session:
        for row in session.execute(stmt).scalars():
            assert row.applied_version is not None
            out.setdefault(row.applied_version, {}).setdefault(row.kpi_id, _decision_dict(row))
    return {v: sorted(d.values(), key=lambda x: x["kpi"]) for v, d in out.items()}
