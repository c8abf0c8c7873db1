"""Scheduled work inside the server process, which owns the warehouse (ARCHITECTURE.md):
due connector syncs, then an incremental KPI refresh when they loaded rows, then alert checks and
scheduled reports. One tick a minute."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from kaname.clock import utcnow
from kaname.dashboard import Dashboard
from kaname.workspace import Workspace

log = logging.getLogger("kaname.scheduler")


class Scheduler:
    def __init__(self, ws: Workspace, dashboard: Dashboard, interval: float = 60.0) -> None:
        self.ws = ws
        self.dashboard = dashboard
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kaname-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def tick(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """One round of scheduled work, under the warehouse lock. A failing job is logged and
        recorded by its feature; it never stops the others or the server."""
        from kaname.act.schedule import run_scheduled

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
                done["act"] = run_scheduled(self.ws, now)
            except Exception:
                log.exception("scheduled alerts and reports failed")
        if done["synced"] or done["refreshed"]:
            self.dashboard.invalidate()
        elif done["act"] and done["act"].get("alerts"):
            self.dashboard.invalidate(warehouse=False)  # new alerts: the app DB only
        return done

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()
