"""Scheduled work of the Act stage: alert checks after each refresh (and hourly, for freshness
rules) and weekly/monthly reports. `run_scheduled(ws, now)` does one tick; the server's scheduler
thread calls it every minute or so. Each job's last run is kept in `scheduled_runs`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from kaname.clock import utcnow

if TYPE_CHECKING:
    from kaname.workspace import Workspace

ALERT_JOB = "alerts:check"
ALERT_INTERVAL = dt.timedelta(hours=1)
"""Alerts are checked after every refresh, and at least this often (freshness rules)."""


class ReportSchedule(BaseModel):
    """A report e-mailed (or posted) on a schedule."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    frequency: Literal["weekly", "monthly"] = "weekly"
    """weekly: month-to-date pacing, sent on `weekday`; monthly: the month just ended, on `day`."""
    format: Literal["html", "pdf", "xlsx"] = "pdf"
    channels: list[str] | None = None
    """Channel names (default: every e-mail channel)."""
    weekday: int = Field(0, ge=0, le=6)
    """Day of the week for weekly reports (0 = Monday)."""
    day: int = Field(1, ge=1, le=28)
    """Day of the month for monthly reports."""
    hour: int = Field(8, ge=0, le=23)
    timezone: str = "Asia/Tokyo"
    language: Literal["ja", "en"] | None = None


def check_act_config(
    channels: Sequence[Any], alerts: Sequence[Any], reports: Sequence[Any]
) -> None:
    """Names are unique and every rule or report names channels that exist."""
    for kind, items, attr in (
        ("channel", channels, "name"),
        ("alert rule", alerts, "id"),
        ("report", reports, "name"),
    ):
        seen: set[str] = set()
        for item in items:
            key = getattr(item, attr)
            if key in seen:
                raise ValueError(f"two {kind}s are named {key!r}; names must be unique")
            seen.add(key)
    names = {c.name for c in channels}
    for item in [*alerts, *reports]:
        missing = sorted(set(item.channels or []) - names)
        if missing:
            label = getattr(item, "id", None) or item.name
            raise ValueError(
                f"{label}: unknown channel {', '.join(missing)}; "
                f"channels are {', '.join(sorted(names)) or 'not configured'}"
            )
    for report in reports:
        try:
            ZoneInfo(report.timezone)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"report {report.name}: unknown timezone {report.timezone!r}") from exc


def last_slot(schedule: ReportSchedule, now: dt.datetime) -> dt.datetime:
    """The most recent scheduled time at or before `now` (UTC naive in and out)."""
    tz = ZoneInfo(schedule.timezone)
    local = now.replace(tzinfo=dt.UTC).astimezone(tz)
    if schedule.frequency == "weekly":
        slot = local.replace(hour=schedule.hour, minute=0, second=0, microsecond=0)
        slot -= dt.timedelta(days=(local.weekday() - schedule.weekday) % 7)
        if slot > local:
            slot -= dt.timedelta(days=7)
    else:
        slot = local.replace(
            day=schedule.day, hour=schedule.hour, minute=0, second=0, microsecond=0
        )
        if slot > local:
            prev = (slot.replace(day=1) - dt.timedelta(days=1)).replace(day=schedule.day)
            slot = prev
    return slot.astimezone(dt.UTC).replace(tzinfo=None)


def _last_run(ws: Workspace, job: str) -> dt.datetime | None:
    from kaname.store.act_models import ScheduledRun

    with ws.appdb.session() as session:
        row = session.get(ScheduledRun, job)
        return row.last_run_at if row is not None else None


def _mark(ws: Workspace, job: str, now: dt.datetime, status: str, message: str = "") -> None:
    from kaname.store.act_models import ScheduledRun

    with ws.appdb.session() as session:
        row = session.get(ScheduledRun, job)
        if row is None:
            session.add(ScheduledRun(job=job, last_run_at=now, last_status=status, message=message))
        else:
            row.last_run_at, row.last_status, row.message = now, status, message


def _last_refresh(ws: Workspace) -> dt.datetime | None:
    from sqlalchemy import func, select

    from kaname.store.appdb import RefreshRun

    with ws.appdb.session() as session:
        return session.execute(
            select(func.max(RefreshRun.finished_at)).where(RefreshRun.status == "ok")
        ).scalar()


def run_scheduled(ws: Workspace, now: dt.datetime | None = None) -> dict[str, Any]:
    """One scheduler tick: check alerts when due, send the reports whose time has come.

    Never raises for a job's failure: the failure is recorded (scheduled_runs, deliveries) and
    returned, so the scheduler thread keeps running.
    """
    from kaname.act import alerts
    from kaname.act.reports import send_report

    now = now or utcnow()
    done: dict[str, Any] = {"alerts": None, "reports": [], "errors": []}
    last = _last_run(ws, ALERT_JOB)
    refreshed = _last_refresh(ws)
    if ws.config.alerts and (
        last is None or now - last >= ALERT_INTERVAL or (refreshed is not None and refreshed > last)
    ):
        try:
            done["alerts"] = alerts.check(ws, now)
            _mark(ws, ALERT_JOB, now, "ok", f"{len(done['alerts']['new'])} new alerts")
        except Exception as exc:  # a tick must not kill the scheduler; record and go on
            _mark(ws, ALERT_JOB, now, "failed", str(exc))
            done["errors"].append({"job": ALERT_JOB, "error": str(exc)})
    for schedule in ws.config.reports:
        job = f"report:{schedule.name}"
        slot = last_slot(schedule, now)
        previous = _last_run(ws, job)
        if previous is not None and previous >= slot:
            continue
        try:
            deliveries = send_report(ws, schedule, now)
            failed = [d for d in deliveries if d["status"] != "sent"]
            _mark(ws, job, now, "failed" if failed else "ok", f"{len(deliveries)} deliveries")
            done["reports"].append({"name": schedule.name, "deliveries": deliveries})
        except Exception as exc:  # recorded, retried at the next slot
            _mark(ws, job, now, "failed", str(exc))
            done["errors"].append({"job": job, "error": str(exc)})
    return done
