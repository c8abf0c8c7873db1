"""Act pages (issue 7): the PDCA action log with measured effect, the A/B calculator, the alert
history, report downloads and the quarterly KPI review.

Each function takes the Dashboard and makes one `ws.act` call (through the Dashboard's cache for
reads); it returns plain JSON-safe data that the pages render and the `/api/` twins return as they
are. Writes record who did them in the audit log and drop the page cache, because actions are
annotations on the trend charts and alerts are counted in the header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kaname.clock import utcnow
from kaname.dashboard.core import clean
from kaname.dashboard.filters import FilterError
from kaname.formatting import NumberError, parse_number
from kaname.store.act_models import (
    ACTION_DECISIONS,
    ACTION_STATUSES,
    ALERT_STATES,
    REVIEW_DECISIONS,
)

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore as Dashboard

EFFECT_GRAINS = ("week", "month")
REPORT_KINDS = ("weekly", "monthly")
FORMATS = ("html", "pdf", "xlsx")
MIME = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ActError(FilterError):
    """An Act request cannot be done (unknown id, bad field, nothing to measure); the message
    says why. A FilterError, so the pages and the API answer 400 with it."""


def _errors() -> tuple[type[Exception], ...]:
    from kaname.act.actions import ActionError
    from kaname.act.alerts import AlertError
    from kaname.act.effect import EffectError
    from kaname.act.review import ReviewError

    return (ActionError, AlertError, EffectError, ReviewError)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a `ws.act` call, turning its user errors into ActError (400 with the message)."""
    caught: tuple[type[Exception], ...] = (*_errors(), ValidationError)
    try:
        return fn(*args, **kwargs)
    except caught as exc:
        raise ActError(_message(exc)) from exc


def _audit(dash: Dashboard, actor: str, action: str, target: str, before: Any, after: Any) -> None:
    from kaname.auth.accounts import Accounts

    Accounts(dash.ws.appdb).audit(actor, action, target, clean(before), clean(after))


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value and value not in allowed:
        raise ActError(f"{what} must be one of {', '.join(allowed)}")
    return value or None


def kpi_choices(dash: Dashboard, language: str) -> list[list[str]]:
    """[id, name] of every catalog KPI, for the pickers."""
    return [[k.id, k.name(language)] for k in dash.ws.catalog]


# ---------------------------------------------------------------------- actions
def actions(
    dash: Dashboard,
    query: str = "",
    status: str = "",
    kpi: str = "",
) -> dict[str, Any]:
    """The knowledge base: actions matching every word of `query`, a status and a KPI."""
    chosen = _choice(status, ACTION_STATUSES, "status")
    key = ("act.actions", query, chosen, kpi)
    found = dash.cached(
        key,
        lambda: clean(_call(dash.ws.act.actions, status=chosen, kpi=kpi or None, query=query)),
    )
    return {
        "query": query,
        "status": chosen or "",
        "kpi": kpi,
        "actions": found,
        "statuses": list(ACTION_STATUSES),
        "decisions": list(ACTION_DECISIONS),
    }


def action(dash: Dashboard, action_id: int) -> dict[str, Any]:
    return dict(dash.cached(("act.action", action_id), lambda: clean(_action(dash, action_id))))


def _action(dash: Dashboard, action_id: int) -> dict[str, Any]:
    return dict(_call(dash.ws.act.action, action_id))


def dimension_values(dash: Dashboard, dimension: str) -> list[str]:
    """Values a comparison may pick for difference-in-differences (channel, campaign, segment)."""
    return dash.options().get(dimension, [])


def effect(
    dash: Dashboard,
    action_id: int,
    kpi: str = "",
    grain: str = "week",
    compare_to: str = "",
    level: float = 0.95,
) -> dict[str, Any]:
    """The measured effect (before/after, or difference-in-differences with `compare_to`)."""
    _choice(grain, EFFECT_GRAINS, "grain")
    if not 0.5 <= level < 1:
        raise ActError("level must be between 0.5 and 1 (e.g. 0.95)")
    key = ("act.effect", action_id, kpi, grain, compare_to, level)
    return dict(
        dash.cached(
            key,
            lambda: clean(
                _call(
                    dash.ws.act.measure_action,
                    action_id,
                    kpi or None,
                    grain,
                    compare_to or None,
                    level,
                )
            ),
        )
    )


def _action_fields(form: dict[str, Any]) -> dict[str, Any]:
    """Action fields from a form or JSON body: kpis as a list (or comma-separated), a dimension
    as `channel=webinar` or separate fields, empty dates and lift left out."""
    out: dict[str, Any] = {}
    for key in ("title", "hypothesis", "owner", "status", "dimension", "dimension_value"):
        if key in form and form[key] is not None:
            out[key] = str(form[key]).strip()
    if "kpis" in form:
        kpis = form["kpis"]
        if isinstance(kpis, str):
            kpis = [k.strip() for k in kpis.replace(" ", ",").split(",")]
        out["kpis"] = [str(k) for k in kpis if str(k).strip()]
    pair = str(form.get("dimension_pair") or "").strip()
    if pair:
        if "=" not in pair:
            raise ActError("write the dimension as name=value, e.g. channel=webinar")
        dim, value = (p.strip() for p in pair.split("=", 1))
        out["dimension"], out["dimension_value"] = dim, value
    for key in ("start_date", "end_date"):
        if key in form:
            value = form[key]
            out[key] = value if value not in ("", None) else None
    if "expected_lift" in form:
        raw = form["expected_lift"]
        if raw in ("", None):
            out["expected_lift"] = None
        else:
            try:
                out["expected_lift"] = parse_number(str(raw))
            except NumberError as exc:
                raise ActError("expected lift must be a number, e.g. 0.1 or 10%") from exc
    return out


def create_action(dash: Dashboard, form: dict[str, Any], by: str) -> dict[str, Any]:
    data = _action_fields(form)
    if data.get("start_date") is None:
        data.pop("start_date", None)
    with dash.lock:
        created = clean(_call(dash.ws.act.add_action, data, by))
        _audit(dash, by, "action.create", f"action:{created['id']}", None, created)
        dash.invalidate(warehouse=False)
    return dict(created)


def update_action(
    dash: Dashboard, action_id: int, changes: dict[str, Any], by: str
) -> dict[str, Any]:
    fields = _action_fields(changes)
    with dash.lock:
        before = clean(_action(dash, action_id))
        after = clean(_call(dash.ws.act.update_action, action_id, fields))
        _audit(dash, by, "action.update", f"action:{action_id}", before, after)
        dash.invalidate(warehouse=False)
    return dict(after)


def decide_action(
    dash: Dashboard, action_id: int, decision: str, learnings: str, by: str
) -> dict[str, Any]:
    with dash.lock:
        before = clean(_action(dash, action_id))
        after = clean(_call(dash.ws.act.decide_action, action_id, decision, learnings, by))
        _audit(dash, by, "action.decide", f"action:{action_id}", before, after)
        dash.invalidate(warehouse=False)
    return dict(after)


# ---------------------------------------------------------------------- experiments
def experiment(dash: Dashboard, form: dict[str, Any]) -> dict[str, Any]:
    """The A/B calculator on form or JSON fields (conversions_a, visitors_a, conversions_b,
    visitors_b, optional level, power, mde, daily_visitors)."""

    def number(key: str, kind: type, default: Any = None) -> Any:
        raw = form.get(key)
        if raw in (None, ""):
            if default is None and key in ("conversions_a", "visitors_a"):
                raise ActError(f"{key} is required")
            if default is None and key in ("conversions_b", "visitors_b"):
                raise ActError(f"{key} is required")
            return default
        try:  # numbers as people type them: 1,200 / 1.2万 / 5%
            value = parse_number(str(raw))
            return kind(value) if kind is int else value
        except ValueError as exc:
            raise ActError(f"{key} must be a number") from exc

    args = (
        number("conversions_a", int),
        number("visitors_a", int),
        number("conversions_b", int),
        number("visitors_b", int),
    )
    level = number("level", float, 0.95)
    power = number("power", float, 0.8)
    if not (0.5 <= level < 1 and 0.5 <= power < 1):
        raise ActError("level and power must be between 0.5 and 1 (e.g. 0.95 and 0.8)")
    result = _call(
        dash.ws.act.ab_test,
        *args,
        level=level,
        power=power,
        mde=number("mde", float, None),
        daily_visitors=number("daily_visitors", float, None),
    )
    return dict(clean(result.model_dump()))


# ---------------------------------------------------------------------- alerts
MAX_DELIVERY_ALERTS = 100
"""Alerts (newest first) whose delivery attempts the alerts page and /api/alerts list."""


def alerts(dash: Dashboard, status: str = "", kpi: str = "") -> dict[str, Any]:
    """Alert history (newest first), the rules in effect, and each alert's delivery attempts
    (`deliveries`: alert id → [{channel, channel_type, status, attempts, last_error, ...}])."""
    if status and status != "live":
        _choice(status, ALERT_STATES, "status")
    found = dash.cached(
        ("act.alerts", status, kpi),
        lambda: clean(_call(dash.ws.act.alerts, status or None, kpi or None)),
    )
    rules = [clean(r.model_dump(mode="json")) for r in dash.ws.config.alerts]
    deliveries = dash.cached(
        ("act.deliveries", status, kpi),
        lambda: {
            str(a["id"]): clean(dash.ws.act.deliveries(a["id"]))
            for a in found[:MAX_DELIVERY_ALERTS]
        },
    )
    return {
        "status": status,
        "kpi": kpi,
        "alerts": found,
        "deliveries": deliveries,
        "rules": rules,
        "channels": [{"name": c.name, "type": c.type} for c in dash.ws.config.channels],
        "last_check": last_run(dash, "alerts:check"),
    }


def open_alert_count(dash: Dashboard) -> int:
    """Open (unacknowledged) alerts, for the header badge: one COUNT query, cached."""

    def build() -> int:
        from sqlalchemy import func, select

        from kaname.store.act_models import Alert

        with dash.ws.appdb.session() as session:
            return int(
                session.execute(select(func.count(Alert.id)).where(Alert.status == "open")).scalar()
                or 0
            )

    try:
        return int(dash.cached(("act.open_alerts",), build))
    except Exception:  # the header must render even when the app DB is busy or older
        return 0


def set_alert_state(dash: Dashboard, alert_id: int, state: str, by: str, note: str = "") -> Any:
    fn = dash.ws.act.acknowledge_alert if state == "acknowledged" else dash.ws.act.resolve_alert
    verb = "acknowledge" if state == "acknowledged" else "resolve"
    with dash.lock:
        after = clean(_call(fn, alert_id, by, note))
        _audit(dash, by, f"alert.{verb}", f"alert:{alert_id}", None, after)
        dash.invalidate(warehouse=False)
    return after


def check_alerts(dash: Dashboard, by: str, dry_run: bool = False) -> dict[str, Any]:
    """Evaluate every rule now, under the warehouse lock (the scheduler uses the same lock)."""
    from kaname.act.schedule import ALERT_JOB, _mark

    with dash.lock:
        result = clean(_call(dash.ws.act.check_alerts, dry_run))
        if not dry_run:
            now = utcnow()
            _mark(dash.ws, ALERT_JOB, now, "ok", f"{len(result['new'])} new alerts (by {by})")
            summary = {k: len(v) for k, v in result.items() if isinstance(v, list)}
            _audit(dash, by, "alerts.check", "alerts", None, summary)
        dash.invalidate(warehouse=False)
    return dict(result)


def last_run(dash: Dashboard, job: str) -> dict[str, Any] | None:
    from kaname.store.act_models import ScheduledRun

    with dash.ws.appdb.session() as session:
        row = session.get(ScheduledRun, job)
        if row is None:
            return None
        return dict(
            clean({"at": row.last_run_at, "status": row.last_status, "message": row.message})
        )


# ---------------------------------------------------------------------- reports
def reports(dash: Dashboard) -> dict[str, Any]:
    """The scheduled reports with their last run, and the periods the downloads default to."""
    ws = dash.ws
    month = ws.period(None, "month")
    return {
        "schedules": [
            clean(s.model_dump(mode="json")) | {"last_run": last_run(dash, f"report:{s.name}")}
            for s in ws.config.reports
        ],
        "periods": {"weekly": month.label, "monthly": month.previous().label},
        "formats": list(FORMATS),
    }


def report_file(
    dash: Dashboard, period: str, kind: str, fmt: str, language: str
) -> tuple[bytes, str, str]:
    """(content, filename, media type) of the report of a period (default: month to date for
    the weekly report, the month just ended for the monthly one)."""
    _choice(fmt, FORMATS, "format")
    _choice(kind, REPORT_KINDS, "report")
    label = period.strip() or reports(dash)["periods"][kind or "weekly"]
    resolved = dash.ws.period(label).label
    with dash.lock:
        content = dash.ws.act.report(resolved, fmt, language)
    return content, f"kaname-report-{resolved}.{fmt}", MIME[fmt]


def catalog_file(dash: Dashboard, fmt: str, language: str) -> tuple[bytes, str, str]:
    _choice(fmt, FORMATS, "format")
    content = dash.ws.act.catalog_document(fmt, language)
    return content, f"kaname-kpi-definitions.{fmt}", MIME[fmt]


# ---------------------------------------------------------------------- KPI review
def review(dash: Dashboard, plan: str = "", period: str = "") -> dict[str, Any]:
    """The quarterly review of the applied plan with the decisions recorded so far."""
    key = ("act.review", plan, period)
    data = dict(
        dash.cached(key, lambda: clean(_call(dash.ws.act.review, plan or None, period or None)))
    )
    data["choices"] = list(REVIEW_DECISIONS)
    return data


def _latest_plan(dash: Dashboard) -> str:
    from kaname.act.review import _plan_version

    return str(_plan_version(dash.ws, None).plan_name)


def decide_review(
    dash: Dashboard,
    kpi: str,
    decision: str,
    note: str,
    by: str,
    plan: str = "",
    period: str = "",
) -> dict[str, Any]:
    with dash.lock:
        name = plan or _call(_latest_plan, dash)
        after = clean(
            _call(
                dash.ws.act.record_review_decision,
                name,
                kpi,
                decision,
                note,
                by,
                period or None,
            )
        )
        _audit(dash, by, "review.decide", f"plan:{name}:{kpi}", None, after)
        dash.invalidate(warehouse=False)
    return dict(after)
