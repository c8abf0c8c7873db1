"""Scheduled work inside the server process, which owns the warehouse (ARCHITECTURE.md):
due connector syncs, then an incremental KPI refresh when they loaded rows, then alert checks and
scheduled reports. One tick a minute.

With several server workers (`kaname serve --workers N`) every worker starts a scheduler, and
only the one that holds the app DB's `scheduler` lease ticks (store/leases.py). The holder
renews the lease at every turn; when it stops the lease is released, and when it dies the
lease runs out after `LEASE_TURNS` turns and another worker takes it over. A second server on
the same app DB (another host) shares the lease the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from kaname.clock import utcnow
from kaname.dashboard import Dashboard
from kaname.store import leases
from kaname.store.runs import owner_alive, this_process
from kaname.workspace import Workspace

log = logging.getLogger("kaname.scheduler")
LEASE_TURNS = 3
"""Turns (intervals) a lease lasts without renewal before another worker may take it."""
INTERVAL_ENV = "KANAME_SCHEDULER_SECONDS"
"""Seconds between turns (default 60); tests shorten it."""


def default_interval() -> float:
    try:
        return max(0.2, float(os.environ.get(INTERVAL_ENV, "60")))
    except ValueError:
        return 60.0


class Scheduler:
    def __init__(self, ws: Workspace, dashboard: Dashboard, interval: float | None = None) -> None:
        self.ws = ws
        self.dashboard = dashboard
        self.interval = interval if interval is not None else default_interval()
        me = this_process()
        self.holder = f"{me.host}:{me.pid}:{me.token}"
        self.leading = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kaname-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.leading:
            try:
                leases.release(self.ws.appdb, leases.SCHEDULER, self.holder)
            except Exception:
                log.exception("could not release the scheduler lease")
            self.leading = False

    def lead(self) -> bool:
        """Take or renew the scheduler lease: True while this process runs scheduled work."""
        db = self.ws.appdb
        try:
            dead = None if self.leading else _dead(leases.holder(db, leases.SCHEDULER))
            leading = leases.take(
                db, leases.SCHEDULER, self.holder, self.interval * LEASE_TURNS, dead=dead
            )
        except Exception:
            log.exception("could not read the scheduler lease")
            leading = False
        if leading != self.leading:
            log.info("scheduler %s in process %s", "runs" if leading else "stands by", self.holder)
        self.leading = leading
        return leading

    def tick(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """One round of scheduled work, under the warehouse lock. A failing job is logged and
        recorded by its feature; it never stops the others or the server."""
        now = now or utcnow()
        done: dict[str, Any] = {"synced": [], "refreshed": False, "act": None}
        with self.dashboard.lock:
            try:
                results = self.ws.connectors.run_due_syncs(now)
                done["synced"] = [r.to_dict() for r in results]
                loaded = any(r.status == "ok" and r.rows for r in results)
            except Exception:
                log.exception("scheduled syncs failed")
                loaded = False
            if loaded:
                try:
                    self.ws.refresh()
                    done["refreshed"] = True
                except Exception:
                    log.exception("refresh after the scheduled syncs failed")
            try:
                done["act"] = self.ws.act.run_scheduled(now)
            except Exception:
                log.exception("scheduled alerts and reports failed")
        if done["synced"] or done["refreshed"] or (done["act"] and done["act"].get("alerts")):
            self.dashboard.invalidate()
        return done

    def _run(self) -> None:
        self.lead()
        while not self._stop.wait(self.interval):
            if self.lead():
                with self._renewing():
                    self.tick()

    @contextlib.contextmanager
    def _renewing(self) -> Iterator[None]:
        """Keep renewing the lease while a long turn (a big sync and refresh) runs, so no other
        worker takes the work over meanwhile."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.interval):
                self.lead()

        beat = threading.Thread(target=renew, name="kaname-scheduler-lease", daemon=True)
        beat.start()
        try:
            yield
        finally:
            done.set()


def _dead(holder: str | None) -> str | None:
    """The holder when its process is known to have ended (on this host), else None."""
    if not holder:
        return None
    host, _, rest = holder.partition(":")
    pid, _, token = rest.partition(":")
    if not pid.isdigit():
        return None
    return holder if owner_alive(host, int(pid), token) is False else None
