"""The quarterly KPI review: per KPI of the applied plan, how it tracked, whether it still moves
the KGI (correlation and lead/lag against the KGI's monthly history) and its lint findings, with a
suggested keep / change / retire; the team's decisions are recorded for the plan's next version."""

from __future__ import annotations

import datetime as dt
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
"""A KPI whose correlation with the KGI is surely (95% interval) smaller than this is weak."""
SIGNIFICANCE = 0.05
"""p-value (Bonferroni-corrected over the lags tried) below which a correlation counts."""


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
    the best lag is the one with the largest |r| (needs six overlapping months). Its p-value
    (scipy's test of r = 0) is multiplied by the number of lags tried (Bonferroni), and `low` /
    `high` bound r with 95% confidence."""
    from scipy import stats

    x, y = np.asarray(kpi, dtype=float), np.asarray(kgi, dtype=float)
    by_lag: dict[int, float] = {}
    tests: dict[int, Any] = {}
    sizes: dict[int, int] = {}
    for lag in range(max_lag + 1):
        a = x[: len(x) - lag] if lag else x
        b = y[lag:]
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < 6 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
            continue
        tests[lag] = stats.pearsonr(a[ok], b[ok])
        sizes[lag] = int(ok.sum())
        by_lag[lag] = float(tests[lag].statistic)
    if not by_lag:
        return {
            "correlation": math.nan,
            "lag_months": None,
            "by_lag": {},
            "p_value": math.nan,
            "n": 0,
            "low": math.nan,
            "high": math.nan,
        }
    best = max(by_lag, key=lambda k: abs(by_lag[k]))
    interval = tests[best].confidence_interval(0.95)
    return {
        "correlation": by_lag[best],
        "lag_months": best,
        "by_lag": by_lag,
        "p_value": min(1.0, float(tests[best].pvalue) * len(tests)),
        "n": sizes[best],
        "low": float(interval.low),
        "high": float(interval.high),
    }


def _data_start(engine: Any, kpi: str) -> Any:
    """The first whole month in which every table the KPI reads has data: before it, a count
    reads 0 only because its table was empty, which would correlate any two KPIs."""
    from kaname.metrics.engine import table_of

    starts = [engine.coverage(table_of(m)) for m in engine.catalog.measures_of(kpi)]
    if not starts or any(c is None for c in starts):
        return None
    first = max(c[0] for c in starts)
    if first.day == 1:
        return first
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


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
            since = _data_start(engine, str(kpi))
            values = (
                group["value"]
                .astype(float)
                .where([since is not None and d >= since for d in group["period_start"]])
            )
            history[str(kpi)] = values.tolist()
    findings = _lint(lint_plan, version.content)
    rows = []
    kgi_history = history.get(plan.kgi.kpi, [])
    for kpi in [plan.kgi.kpi, *kpis]:
        rec = by_kpi[kpi]
        relation = (
            lead_lag(history.get(kpi, []), kgi_history)
            if kpi != plan.kgi.kpi
            else {"correlation": 1.0, "lag_months": 0, "by_lag": {}, "p_value": None, "n": None}
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
                "p_value": relation.get("p_value"),
                "n": relation.get("n"),
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
        "over the warehouse's history, with a significance test (p, Bonferroni over the lags); "
        "a correlation is evidence, not proof, of influence",
    }


def _suggest(
    is_kgi: bool,
    rec: dict[str, Any],
    relation: dict[str, Any],
    findings: list[dict[str, Any]],
    on_track: int,
    months: list[Any],
) -> tuple[str, dict[str, str]]:
    """keep / change / retire with the reason in both languages. The link to the KGI counts only
    when the correlation is significant (p < SIGNIFICANCE after the lag correction) and runs the
    way the KPI's direction says it should (up with the KGI for higher-is-better KPIs, down for
    lower-is-better ones); retiring needs evidence of a weak link: r's whole 95% interval within
    ±WEAK_CORRELATION."""
    errors = [f for f in findings if f["severity"] == "error"]
    corr = relation["correlation"]
    if is_kgi:
        return "keep", {"en": "the KGI", "ja": "KGI"}
    if errors:
        return "change", {
            "en": f"lint: {errors[0]['message_en']}",
            "ja": f"リント: {errors[0]['message_ja']}",
        }
    known = isinstance(corr, float) and math.isfinite(corr)
    stats_en = stats_ja = "r n/a"
    if known:
        p, n = relation.get("p_value", math.nan), relation.get("n", 0)
        p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"  # never 1.3e-06
        stats_en = f"r = {corr:+.2f}, {p_text}, n = {n}"
        stats_ja = f"r = {corr:+.2f}、{p_text}、n = {n}"
    if known and relation["low"] > -WEAK_CORRELATION and relation["high"] < WEAK_CORRELATION:
        return "retire", {
            "en": f"barely moves with the KGI ({stats_en}; 95% interval of r within "
            f"±{WEAK_CORRELATION})",
            "ja": f"KGIとの連動が弱い({stats_ja}。rの95%区間が±{WEAK_CORRELATION}以内)",
        }
    significant = known and relation.get("p_value", 1.0) < SIGNIFICANCE
    expected = -1 if rec.get("direction") == "lower" else 1
    if significant and corr * expected < 0:
        better = "falls" if expected > 0 else "rises"
        better_ja = "下がる" if expected > 0 else "上がる"
        return "change", {
            "en": f"moves against the KGI ({stats_en}): the KGI rises when this KPI {better}; "
            "check what it measures or its direction",
            "ja": f"KGIと逆に動いている({stats_ja}): このKPIが{better_ja}とKGIが上がる。"
            "定義か良し悪しの向きを見直す",
        }
    if rec["status"] == "off_track" and on_track == 0:
        return "change", {
            "en": "off track every month of the quarter: revisit the target or the tactics",
            "ja": "四半期を通して未達: 目標か施策を見直す",
        }
    if not significant:
        return "keep", {
            "en": f"no significant link with the KGI yet ({stats_en}): too little evidence to "
            "retire it",
            "ja": f"KGIとの有意な連動はまだ確認できない({stats_ja}): 廃止の根拠にはならない",
        }
    lag = relation["lag_months"]
    lead = f", leads the KGI by {lag} months" if lag else ""
    lead_ja = f"、KGIに{lag}ヶ月先行" if lag else ""
    if expected < 0:
        lead += "; the KGI rises as it falls"
        lead_ja += "。下がるほどKGIが上がる"
    return "keep", {
        "en": f"moves with the KGI ({stats_en}{lead})",
        "ja": f"KGIと連動({stats_ja}{lead_ja})",
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
