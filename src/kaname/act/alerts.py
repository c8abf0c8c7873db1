"""The alert history: candidates from the rules become stored alerts, deduplicated, quietened by a
cooldown, notified on their channels, then acknowledged and resolved by someone."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kaname.act.notifiers import Message, deliver
from kaname.act.rules import AlertCandidate, RuleError, evaluate
from kaname.clock import utcnow
from kaname.store.act_models import ALERT_STATES, Alert

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext

SYSTEM = "kaname"
"""Who resolves an alert whose condition cleared by itself."""


class AlertError(ValueError):
    """An alert operation cannot be done (unknown id, bad state); the message says why."""


def _clean(value: Any) -> Any:
    """JSON-safe numbers (NaN and infinities become None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def alert_dict(row: Alert) -> dict[str, Any]:
    details = json.loads(row.details or "{}")
    return {
        "id": row.id,
        "rule_id": row.rule_id,
        "kind": row.kind,
        "kpi": row.kpi_id,
        "dimension": row.dimension,
        "dimension_value": row.dimension_value,
        "period": row.period,
        "severity": row.severity,
        "title": row.title,
        "message": {"en": row.message_en, "ja": row.message_ja},
        "title_i18n": details.get("title", {}),
        "numbers": details.get("numbers", {}),
        "explanation": details.get("explanation"),
        "status": row.status,
        "occurrences": row.occurrences,
        "created_at": row.created_at,
        "last_seen_at": row.last_seen_at,
        "acknowledged_at": row.acknowledged_at,
        "acknowledged_by": row.acknowledged_by,
        "resolved_at": row.resolved_at,
        "resolved_by": row.resolved_by,
        "note": row.note,
    }


def check(
    ws: WorkspaceContext,
    now: dt.datetime,
    dry_run: bool = False,
    rule_ids: Sequence[str] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Evaluate the enabled rules; unless `dry_run`, store new alerts, notify and auto-resolve.

    Returns {"candidates": [...], "new": [alert...], "repeated": [ids], "suppressed": [keys],
    "resolved": [ids], "errors": [{"rule", "error"}], "deliveries": [...]}.
    """
    rules = [r for r in ws.config.alerts if r.enabled and (not rule_ids or r.id in rule_ids)]
    if rule_ids:
        unknown = set(rule_ids) - {r.id for r in ws.config.alerts}
        if unknown:
            raise AlertError(f"no alert rule {', '.join(sorted(unknown))} in kaname.yaml")
    result: dict[str, Any] = {
        "candidates": [],
        "new": [],
        "repeated": [],
        "suppressed": [],
        "resolved": [],
        "errors": [],
        "deliveries": [],
    }
    evaluated: set[str] = set()
    for rule in rules:
        try:
            found = evaluate(ws, rule, now)
        except (RuleError, ValueError) as exc:
            result["errors"].append({"rule": rule.id, "error": str(exc)})
            continue
        evaluated.add(rule.id)
        result["candidates"].extend(c.model_dump(mode="json") for c in found)
        if dry_run:
            continue
        for candidate in found:
            outcome, alert = _record(ws, candidate, now)
            if outcome == "new" and alert is not None:
                result["new"].append(alert)
                result["deliveries"].extend(notify(ws, candidate, alert["id"], sleep))
            elif outcome == "repeated" and alert is not None:
                result["repeated"].append(alert["id"])
            else:
                result["suppressed"].append(candidate.dedup_key)
        keys = {c.dedup_key for c in found}
        if not dry_run:
            result["resolved"] += _auto_resolve(ws, rule.id, keys, now)
    return _clean(result)


def _record(
    ws: WorkspaceContext, candidate: AlertCandidate, now: dt.datetime
) -> tuple[str, dict[str, Any] | None]:
    """new, repeated (an open alert with the same key) or suppressed (cooldown)."""
    with ws.appdb.session() as session:
        live = session.execute(
            select(Alert).where(Alert.dedup_key == candidate.dedup_key, Alert.status != "resolved")
        ).scalar()
        if live is not None:
            live.occurrences += 1
            live.last_seen_at = now
            return "repeated", alert_dict(live)
        since = now - dt.timedelta(hours=candidate.cooldown_hours)
        recent = session.execute(
            select(Alert.id).where(
                Alert.dedup_key.startswith(candidate.series_key, autoescape=True),
                Alert.created_at >= since,
            )
        ).first()
        if recent is not None:
            return "suppressed", None
        details = {
            "title": candidate.title,
            "numbers": candidate.numbers,
            "explanation": candidate.explanation,
            "channels": candidate.channels,
        }
        row = Alert(
            rule_id=candidate.rule_id,
            kind=candidate.kind,
            dedup_key=candidate.dedup_key,
            kpi_id=candidate.kpi,
            dimension=candidate.dimension,
            dimension_value=candidate.dimension_value,
            period=candidate.period,
            severity=candidate.severity,
            title=candidate.title.get(ws.config.language, candidate.title["en"])[:300],
            message_en=candidate.message["en"],
            message_ja=candidate.message["ja"],
            details=json.dumps(_clean(details), ensure_ascii=False, default=str),
            status="open",
            occurrences=1,
            created_at=now,
            last_seen_at=now,
        )
        session.add(row)
        session.flush()
        return "new", alert_dict(row)


def _auto_resolve(
    ws: WorkspaceContext, rule_id: str, firing: set[str], now: dt.datetime
) -> list[int]:
    """Resolve this rule's live alerts whose condition no longer holds."""
    done = []
    with ws.appdb.session() as session:
        rows = session.execute(
            select(Alert).where(Alert.rule_id == rule_id, Alert.status != "resolved")
        ).scalars()
        for row in rows:
            if row.dedup_key not in firing:
                row.status, row.resolved_at, row.resolved_by = "resolved", now, SYSTEM
                row.note = (row.note + "\n" if row.note else "") + "condition cleared"
                done.append(row.id)
    return done


def message_for(ws: WorkspaceContext, candidate: AlertCandidate) -> Message:
    """The alert as a bilingual message: subject, text and HTML with the numbers."""
    from html import escape

    prefix = {"critical": "[CRITICAL] ", "warning": "", "info": "[info] "}[candidate.severity]
    subject = {lang: f"{prefix}{ws.config.name}: {candidate.title[lang]}" for lang in ("en", "ja")}
    text, html = {}, {}
    for lang in ("en", "ja"):
        lines = [candidate.title[lang], "", candidate.message[lang]]
        if candidate.period:
            lines.append(("期間: " if lang == "ja" else "Period: ") + candidate.period)
        text[lang] = "\n".join(lines)
        html[lang] = (
            f'<html lang="{lang}"><body><h2>{escape(candidate.title[lang])}</h2>'
            f"<p>{escape(candidate.message[lang])}</p>"
            + (
                f"<p>{'期間' if lang == 'ja' else 'Period'}: {escape(candidate.period)}</p>"
                if candidate.period
                else ""
            )
            + "</body></html>"
        )
    return Message(
        subject=subject,
        text=text,
        html=html,
        payload=_clean(candidate.model_dump(mode="json")),
        event="alert",
    )


def notify(
    ws: WorkspaceContext,
    candidate: AlertCandidate,
    alert_id: int | None,
    sleep: Callable[[float], None] | None = None,
) -> list[dict[str, Any]]:
    channels = [
        c for c in ws.config.channels if candidate.channels is None or c.name in candidate.channels
    ]
    message = message_for(ws, candidate)
    kwargs: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    kwargs["allow"] = ws.config.url_allow_list
    return [deliver(ws.appdb, c, message, ws.config.language, alert_id, **kwargs) for c in channels]


def list_alerts(
    ws: WorkspaceContext,
    status: str | None = None,
    kpi: str | None = None,
    rule_id: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Alert history, newest first; `status` one of open, acknowledged, resolved or `live`
    (open or acknowledged)."""
    query = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    if status == "live":
        query = query.where(Alert.status != "resolved")
    elif status:
        if status not in ALERT_STATES:
            raise AlertError(f"status must be live or one of {', '.join(ALERT_STATES)}")
        query = query.where(Alert.status == status)
    if kpi:
        query = query.where(Alert.kpi_id == kpi)
    if rule_id:
        query = query.where(Alert.rule_id == rule_id)
    with ws.appdb.session() as session:
        return [_clean(alert_dict(r)) for r in session.execute(query).scalars()]


def set_state(
    ws: WorkspaceContext,
    alert_id: int,
    state: str,
    by: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Acknowledge or resolve an alert, recording who did it and when."""
    now = now or utcnow()
    with ws.appdb.session() as session:
        row = session.get(Alert, alert_id)
        if row is None:
            raise AlertError(f"no alert {alert_id}; `kaname alerts list` shows them")
        if row.status == "resolved":
            raise AlertError(f"alert {alert_id} is already resolved by {row.resolved_by}")
        if state == "acknowledged":
            if row.status == "acknowledged":
                raise AlertError(
                    f"alert {alert_id} is already acknowledged by {row.acknowledged_by}"
                )
            row.status, row.acknowledged_at, row.acknowledged_by = state, now, by
        elif state == "resolved":
            row.status, row.resolved_at, row.resolved_by = state, now, by
        else:
            raise AlertError("state must be acknowledged or resolved")
        if note:
            row.note = (row.note + "\n" if row.note else "") + f"{by}: {note}"
        return _clean(alert_dict(row))
