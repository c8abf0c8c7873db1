"""The dashboard core: a cache per data version and one lock around the warehouse, and the pieces
every page builder shares (period, active plan, KPI report, filter options, JSON-safe values).

Cached page data stays valid until the data it shows changes (`data_version()`), not for a fixed
time: the server process owns the warehouse (shared/ARCHITECTURE.md), so every write it makes
(plan saves, actions, settings, refreshes, imports, syncs) calls `invalidate()`; anything written
elsewhere (a CLI `plan apply` on the app DB, another worker) is noticed within `STAMP_SECONDS`
(`stamp()`). The workspace clock's day is part of the version, so pages that say "today" turn
with the calendar. dashboard/warm.py builds the heavy pages again right after a change.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import func, select

from kaname.dashboard.filters import Filters
from kaname.design.plan import Plan
from kaname.metrics.calendar import Period
from kaname.store import versions
from kaname.store.appdb import CustomKpi, PlanVersion, RefreshRun, Target
from kaname.store.versions import DataVersion as VersionRow
from kaname.workspace import Workspace

STAMP_SECONDS = 1.0
"""How often the app DB is asked whether another process changed plans, targets, KPIs or data."""
MAX_ENTRIES = 2000
"""Cached values kept at most; past it the oldest quarter is dropped."""
DEFAULT_ORGANISATION = ("revenue", "deals", "opportunities", "mqls", "cac")
T = TypeVar("T")


@dataclass(frozen=True)
class DataVersion:
    """What cached page data depends on. `warehouse` counts changes of the warehouse data and of
    the settings (refresh, import, sync, merge, settings); `app` counts every change, the app DB's
    too (plans, targets, actions, alerts, custom KPIs); `day` is the workspace clock's today."""

    warehouse: int
    app: int
    day: dt.date

    def of(self, warehouse_only: bool) -> tuple[Any, ...]:
        """The part of the version a value depends on (see `DashboardCore.cached`)."""
        if warehouse_only:
            return (self.warehouse, self.day)
        return (self.warehouse, self.app, self.day)


def clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None; numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [clean(r) for r in frame.to_dict(orient="records")]


class DashboardCore:
    """What the page builders (pages, funnel, analysis) read; `Dashboard` adds one method a page."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.lock = threading.RLock()
        self._cache: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}
        self._warehouse_generation = 0
        self._app_generation = 0
        self._stamp: tuple[Any, ...] | None = None
        self._stamp_at = 0.0
        self._pages_version: int | None = None
        self.on_change: list[Callable[[], None]] = []
        """Called after every `invalidate()` (outside the lock): the warmer (dashboard/warm.py)."""

    # ------------------------------------------------------------------ cache
    def data_version(self) -> DataVersion:
        """The version of the data the pages show: the one place that says whether a cached
        value is still valid (backed by this process's counters and the app DB stamp)."""
        self._notice_outside_writes()
        return DataVersion(self._warehouse_generation, self._app_generation, self.ws.today())

    def invalidate(self, warehouse: bool = True) -> None:
        """Forget cached pages (call after any write). `warehouse=False` for a write to the app
        DB only (a plan, target, action, alert): values that depend on the warehouse data alone
        (attribution, cohorts, customers, forecasts) stay cached. Other server workers forget
        theirs at their next request, when they see the app DB's PAGES version move (`follow`)."""
        self.forget(warehouse)
        self._pages_version = versions.bump(self.ws.appdb, versions.PAGES)

    def forget(self, warehouse: bool = True) -> None:
        """Forget what this process keeps: after its own write, or when another process wrote."""
        with self.lock:
            self._app_generation += 1
            if warehouse:
                self._warehouse_generation += 1
                opened = self.ws.__dict__.get("warehouse")
                if opened is not None:
                    opened.forget()
            self.ws.__dict__.pop("catalog", None)
            version = DataVersion(self._warehouse_generation, self._app_generation, self.ws.today())
            self._cache = {
                k: v
                for k, v in self._cache.items()
                if v[0] in (version.of(True), version.of(False))
            }
        for call in list(self.on_change):
            call()

    def follow(self, pages_version: int) -> None:
        """Another worker wrote when the PAGES version moved since this one last looked: forget
        cached pages (what it wrote is not known here, so the warehouse's too) and read
        kaname.yaml again (its settings page may have changed it)."""
        if pages_version == self._pages_version:
            return
        if self._pages_version is not None:
            self.forget()
            self.ws.reload_config()
        self._pages_version = pages_version

    def cached(
        self, key: tuple[Any, ...], build: Callable[[], T], warehouse_only: bool = False
    ) -> T:
        """The value for `key`, built once per data version and kept until the data changes.

        `warehouse_only`: the value depends on the warehouse data, the settings and today only
        (not on plans, targets, actions or alerts), so writes to the app DB keep it.
        Threads that waited for the lock take the value the first one built instead of
        building it again."""
        want = self.data_version().of(warehouse_only)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == want:
            return hit[1]
        with self.lock:
            want = self.data_version().of(warehouse_only)
            again = self._cache.get(key)
            if again is not None and again[0] == want:
                return again[1]
            value = build()
            if len(self._cache) >= MAX_ENTRIES:
                for old in list(self._cache)[: MAX_ENTRIES // 4]:
                    del self._cache[old]
            self._cache[key] = (want, value)
            return value

    def entries(self) -> int:
        return len(self._cache)

    def is_cached(self, key: tuple[Any, ...], warehouse_only: bool = False) -> bool:
        hit = self._cache.get(key)
        return hit is not None and hit[0] == self.data_version().of(warehouse_only)

    def _notice_outside_writes(self) -> None:
        """Forget cached pages when another process (a CLI `plan apply`, `catalog add` or
        `refresh`, another server worker) changed what the pages show: the newest plan version,
        target, custom KPI and refresh in the app DB, read at most once a second. A refresh
        elsewhere changes the warehouse data; the rest changes the app DB only."""
        now = time.monotonic()
        if now - self._stamp_at < STAMP_SECONDS:
            return
        self._stamp_at = now
        stamp = self.stamp()
        before, self._stamp = self._stamp, stamp
        if before is not None and stamp != before:
            self.forget(warehouse=stamp[-1] != before[-1])

    def stamp(self) -> tuple[Any, ...]:
        """The app DB's newest plan version, target, custom KPI and (last) refresh."""
        with self.ws.appdb.session() as session:
            parts = [
                select(func.max(PlanVersion.id)),
                select(func.max(Target.id)),
                select(func.count(CustomKpi.kpi_id)),
                select(func.max(CustomKpi.created_at)),
                select(func.max(VersionRow.version)).where(VersionRow.kind == versions.PAGES),
                select(func.max(RefreshRun.finished_at)),  # last: a warehouse change (below)
            ]
            return tuple(session.execute(select(*(q.scalar_subquery() for q in parts))).one())

    # ------------------------------------------------------------------ shared pieces
    def period(self, f: Filters) -> Period:
        return self.ws.period(f.period or None, f.grain)

    def plan(self) -> tuple[Plan, PlanVersion] | None:
        return self.cached(("plan",), self.ws.active_plan)

    def organisation_kpis(self) -> tuple[str, list[str]]:
        """The KGI and the organisation KPIs of the active plan (defaults without a plan)."""
        found = self.plan()
        if found is None:
            return "revenue", list(DEFAULT_ORGANISATION[1:])
        plan = found[0]
        org = [k.kpi for k in plan.kpis if k.level == "organisation" and k.kpi != plan.kgi.kpi]
        return plan.kgi.kpi, list(dict.fromkeys(org))

    def department_kpis(self) -> dict[str, list[str]]:
        found = self.plan()
        out: dict[str, list[str]] = {}
        if found is None:
            return out
        for item in found[0].kpis:
            if item.level == "department" and item.department:
                out.setdefault(item.department, []).append(item.kpi)
        return out

    def report(
        self,
        kpis: list[str],
        period: Period,
        f: Filters,
        language: str,
        dimension: str | None = None,
        view: str | None = None,
    ) -> pd.DataFrame:
        return self.ws.kpi_report(
            kpis,
            period,
            dimension=dimension,
            view=view or f.view,  # type: ignore[arg-type]
            filters=f.pairs(),
            language=language,
        )

    def warehouse_empty(self) -> bool:
        """Whether the warehouse holds no data yet (every page's header asks)."""
        return bool(
            self.cached(("empty",), lambda: self.ws.engine().window() is None, warehouse_only=True)
        )

    def options(self) -> dict[str, list[str]]:
        """Values offered by the channel, campaign and segment filters."""

        def build() -> dict[str, list[str]]:
            tables = self.ws.warehouse.tables()
            out: dict[str, list[str]] = {}
            for dim, table in (("channel", "leads"), ("campaign", "leads"), ("segment", "leads")):
                column = {"campaign": "campaign_id"}.get(dim, dim)
                t = tables[table]
                if column not in t.columns:
                    out[dim] = []
                    continue
                values = t.select(v=t[column]).distinct().order_by("v").execute()["v"]
                out[dim] = [str(v) for v in values if v is not None and v == v]
            return out

        return self.cached(("options",), build, warehouse_only=True)

    def user_options(self) -> dict[str, list[str]]:
        """Values of the dimensions from the user's data (product, region …), for the filters."""

        def build() -> dict[str, list[str]]:
            from kaname.store.dimensions import RECORD_DIMENSIONS, available

            names = sorted({d for dims in available(self.ws.warehouse).values() for d in dims})
            if not names:
                return {}
            t = self.ws.warehouse.con.table(RECORD_DIMENSIONS)
            frame = t.select("dimension", "value").distinct().order_by("value").execute()
            return {n: [str(v) for v in frame[frame["dimension"] == n]["value"]] for n in names}

        return self.cached(("user-options",), build, warehouse_only=True)
