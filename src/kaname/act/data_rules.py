"""Data rules: a source not refreshed or synced in time (freshness) and data-quality findings
above a limit (quality)."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from kaname.act.candidates import FRESHNESS_SOURCES, QUALITY_CHECKS, AlertCandidate, RuleError
from kaname.config.act import FreshnessRule, QualityRule

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext


def refresh_freshness(ws: WorkspaceContext) -> tuple[dt.datetime | None, str | None]:
    from sqlalchemy import select

    from kaname.store.appdb import RefreshRun

    with ws.appdb.session() as session:
        ok = session.execute(
            select(RefreshRun.finished_at)
            .where(RefreshRun.status == "ok")
            .order_by(RefreshRun.finished_at.desc())
            .limit(1)
        ).scalar()
        latest = session.execute(
            select(RefreshRun).order_by(RefreshRun.started_at.desc(), RefreshRun.id.desc()).limit(1)
        ).scalar()
        failed = latest.message if latest is not None and latest.status == "failed" else None
    return ok, failed


def freshness(ws: WorkspaceContext, rule: FreshnessRule, now: dt.datetime) -> list[AlertCandidate]:
    source = FRESHNESS_SOURCES.get(rule.source)
    if source is None:
        raise RuleError(
            f"rule {rule.id}: no data source {rule.source!r}; known: {', '.join(FRESHNESS_SOURCES)}"
        )
    last_ok, failure = source(ws)
    age = (now - last_ok).total_seconds() / 3600 if last_ok else math.inf
    day = now.date().isoformat()
    if failure:
        return [
            data_candidate(
                rule,
                day,
                {
                    "en": f"The last {rule.source} run failed",
                    "ja": f"直近の{rule.source}の実行が失敗しました",
                },
                {"en": f"Error: {failure}", "ja": f"エラー: {failure}"},
                {"last_success": last_ok.isoformat() if last_ok else None, "error": failure},
            )
        ]
    if age <= rule.hours:
        return []
    since = last_ok.strftime("%Y-%m-%d %H:%M UTC") if last_ok else None
    return [
        data_candidate(
            rule,
            day,
            {
                "en": f"No successful {rule.source} for {rule.hours:g} hours",
                "ja": f"{rule.source}が{rule.hours:g}時間以上成功していません",
            },
            {
                "en": f"Last success: {since or 'never'}.",
                "ja": f"最終成功: {since or 'なし'}。",
            },
            {"last_success": last_ok.isoformat() if last_ok else None, "hours": age},
        )
    ]


LEVELS = ("info", "warning", "error")


def quality(ws: WorkspaceContext, rule: QualityRule) -> list[AlertCandidate]:
    check = QUALITY_CHECKS.get(rule.checker)
    if check is None:
        raise RuleError(
            f"rule {rule.id}: no data-quality checker {rule.checker!r} is installed"
            + (f"; available: {', '.join(QUALITY_CHECKS)}" if QUALITY_CHECKS else "")
        )
    findings = [
        f
        for f in check(ws)
        if LEVELS.index(str(f.get("level", "error"))) >= LEVELS.index(rule.level)
    ]
    if len(findings) <= rule.max_findings:
        return []
    first = "; ".join(str(f.get("message", "")) for f in findings[:3])
    return [
        data_candidate(
            rule,
            ws.today().isoformat(),
            {
                "en": f"{len(findings)} data-quality findings ({rule.level} or worse)",
                "ja": f"データ品質の指摘が{len(findings)}件あります({rule.level}以上)",
            },
            {
                "en": f"Limit {rule.max_findings}. {first}",
                "ja": f"上限 {rule.max_findings}件。{first}",
            },
            {"findings": findings[:50], "count": len(findings), "limit": rule.max_findings},
        )
    ]


def data_candidate(
    rule: Any,
    period: str,
    title: dict[str, str],
    message: dict[str, str],
    numbers: dict[str, Any],
) -> AlertCandidate:
    return AlertCandidate(
        rule_id=rule.id,
        kind=rule.type,
        severity=rule.severity,
        kpi=rule.kpi,
        period=period,
        title=title,
        message=message,
        numbers=numbers,
        channels=rule.channels,
        cooldown_hours=rule.cooldown_hours,
    )


FRESHNESS_SOURCES["refresh"] = refresh_freshness
