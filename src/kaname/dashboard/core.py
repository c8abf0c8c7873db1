"""The dashboard core: a small cache and one lock around the warehouse, and the pieces every page
builder shares (period, active plan, KPI report, filter options, JSON-safe values).

The server process owns the warehouse (shared/ARCHITECTURE.md), so every write it makes (plan
saves, settings, refreshes, imports) calls `invalidate()`; anything written elsewhere (a CLI
`plan apply` on the app DB, another worker) shows within `STAMP_SECONDS` (`stamp()`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import func, select

from kaname.dashboard.filters import Filters
from kaname.design.plan import Plan
from kaname.metrics.calendar import Period
from kaname.store import versions
from kaname.store.appdb import CustomKpi, PlanVersion, RefreshRun, Target
from kaname.store.versions import DataVersion
from kaname.workspace import Workspace

CACHE_SECONDS = 120.0
STAMP_SECONDS = 1.0
"""How often the app DB is asked whether another process changed plans, targets or KPIs."""
DEFAULT_ORGANISATION = ("revenue", "deals", "opportunities", "mqls", "cac")
T = TypeVar("T")


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
        self._cache: dict[tuple[Any, ...], tuple[float, int, Any]] = {}
        self._generation = 0
        self._stamp: tuple[Any, ...] | None = None
        self._stamp_at = 0.0
        self._pages_version: int | None = None

    # ------------------------------------------------------------------ cache
    def invalidate(self) -> None:
        """Forget cached pages (call after any write); other server workers forget theirs at
        their next request, when they see the app DB's PAGES version move (`follow`)."""
        self.forget()
        self._pages_version = versions.bump(self.ws.appdb, versions.PAGES)

    def forget(self) -> None:
        """Forget what this process keeps (another process wrote)."""
        with self.lock:
            self._generation += 1
            self._cache.clear()
            self.ws.__dict__.pop("catalog", None)

    def follow(self, pages_version: int) -> None:
        """Another worker wrote when the PAGES version moved since this one last looked: forget
        cached pages and read kaname.yaml again (its settings page may have changed it)."""
        if pages_version == self._pages_version:
            return
        if self._pages_version is not None:
            self.forget()
            self.ws.reload_config()
        self._pages_version = pages_version

    def cached(self, key: tuple[Any, ...], build: Callable[[], T]) -> T:
        """The value for `key`, built once per generation and refreshed after CACHE_SECONDS.

        Under load, an expired value of the current generation is served while one thread
        rebuilds it, and threads that waited for the lock take the value it built instead of
        building it again.
        """
        self._notice_outside_writes()
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[1] == self._generation:
            if now - hit[0] < CACHE_SECONDS:
                return hit[2]
            if not self.lock.acquire(blocking=False):
                return hit[2]
            self.lock.release()
        with self.lock:
            again = self._cache.get(key)
            if (
                again is not None
                and again[1] == self._generation
                and time.monotonic() - again[0] < CACHE_SECONDS
            ):
                return again[2]
            generation = self._generation
            value = build()
            if len(self._cache) > 2000:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), generation, value)
            return value

    def _notice_outside_writes(self) -> None:
        """Forget cached pages when another process (a CLI `plan apply`, `catalog add` or
        `refresh`, another server worker) changed what the pages show: the newest plan version,
        target, custom KPI and refresh in the app DB, read at most once a second."""
        now = time.monotonic()
        if now - self._stamp_at < STAMP_SECONDS:
            return
        self._stamp_at = now
        stamp = self.stamp()
        if self._stamp is not None and stamp != self._stamp:
            self.forget()
        self._stamp = stamp

    def stamp(self) -> tuple[Any, ...]:
        with self.ws.appdb.session() as session:
            parts = [
                select(func.max(PlanVersion.id)),
                select(func.max(Target.id)),
                select(func.count(CustomKpi.kpi_id)),
                select(func.max(CustomKpi.created_at)),
                select(func.max(RefreshRun.finished_at)),
                select(func.max(DataVersion.version)).where(DataVersion.kind == versions.PAGES),
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

        return self.cached(("options",), build)

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

        return self.cached(("user-options",), build)
