"""Scheduled work inside the server process, which owns the warehouse (ARCHITECTURE.md):
connector syncs, KPI refresh, alert checks and reports, one tick a minute."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from kaname.dashboard import Dashboard
from kaname.workspace import Workspace

log = logging.getLogger("kaname.scheduler")

HOOKS = (
    ("kaname.ingest.connectors.service", "run_due_syncs"),
    ("kaname.act.service", "run_scheduled"),
)
"""Optional one-tick functions `f(ws, now)` of the features that have scheduled work."""


def _hooks() -> list[tuple[str, Callable[[Workspace, dt.datetime], Any]]]:
    found = []
    for module, name in HOOKS:
        try:
            fn = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        found.append((f"{module}.{name}", fn))
    return found


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

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """Run every hook once, under the warehouse lock; returns the hooks that ran."""
        now = now or dt.datetime.now()
        ran = []
        for name, fn in _hooks():
            with self.dashboard.lock:
                try:
                    result = fn(self.ws, now)
                except Exception:  # a failing job must not stop the others or the server
                    log.exception("scheduled job %s failed", name)
                    continue
            ran.append(name)
            if result:
                self.dashboard.invalidate()
        return ran

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()
