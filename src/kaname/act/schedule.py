"""Scheduled work of the Act stage: alert checks after each refresh (and hourly, for freshness
rules) and weekly/monthly reports. `run_scheduled(ws, now)` does one tick; the server's scheduler
thread calls it every minute or so. Each job's last run is kept in `scheduled_runs`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kaname.clock import utcnow
from kaname.config.act import ReportSchedule

if TYPE_CHECKING:
    from kaname.act.reports import PlanGap
    from kaname.context import WorkspaceContext

ALERT_JOB = "alerts:check"
ALERT_INTERVAL = dt.timedelta(hours=1)
"""Alerts are checked after every refresh, and at least this often (freshness rules)."""


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


def _last_run(ws: WorkspaceContext, job: str) -> dt.datetime | None:
    from kaname.store.act_models import ScheduledRun

    with ws.appdb.session() as session:
        row = session.get(ScheduledRun, job)
        return row.last_run_at if row is not None else None


def _mark(ws: WorkspaceContext, job: str, now: dt.datetime, status: str, message: str = "") -> None:
    from kaname.store.act_models import ScheduledRun

    with ws.appdb.session() as session:
        row = session.get(ScheduledRun, job)
        if row is None:
            session.add(ScheduledRun(job=job, last_run_at=now, last_status=status, message=message))
        else:
            row.last_run_at, row.last_status, row.message = now, status, message


def _last_refresh(ws: WorkspaceContext) -> dt.datetime | None:
    from sqlalchemy import func, select

    from kaname.store.appdb import RefreshRun

    with ws.appdb.session() as session:
        return session.execute(
            select(func.max(RefreshRun.finished_at)).where(RefreshRun.status == "ok")
        ).scalar()


def run_scheduled(
    ws: WorkspaceContext, now: dt.datetime | None = None, plan_gap: PlanGap | None = None
) -> dict[str, Any]:
    """One scheduler tick: check alerts when due, send the reports whose time has come
    (`plan_gap` splits a KGI's gap in them, Workspace.active_plan_gap).

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
            deliveries = send_report(ws, schedule, now, plan_gap)
            failed = [d for d in deliveries if d["status"] != "sent"]
            _mark(ws, job, now, "failed" if failed else "ok", f"{len(deliveries)} deliveries")
            done["reports"].append({"name": schedule.name, "deliveries": deliveries})
        except Exception as exc:  # recorded, retried at the next slot
            _mark(ws, job, now, "failed", str(exc))
            done["errors"].append({"job": job, "error": str(exc)})
    return done
