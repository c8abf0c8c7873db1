"""The workspace context: configuration, clock, stores, catalog, engine and targets of one
workspace folder. It sits between the feature packages and kaname.metrics: every feature service
reads the workspace through it, and `kaname.workspace.Workspace` builds on it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any, Self

import pandas as pd
import yaml
from sqlalchemy import func, select

from kaname.clock import Clock, utcnow
from kaname.config import CONFIG_FILE, ConfigError, WorkspaceConfig, load_config, write_config
from kaname.metrics.calendar import Grain, Period, period_of
from kaname.metrics.catalog import (
    Benchmark,
    Catalog,
    CatalogError,
    Kpi,
    apply_benchmarks,
    builtin_catalog,
    custom_kpi_from_json,
)
from kaname.metrics.engine import MetricEngine, MetricQuery, View
from kaname.metrics.refresh import (
    KPI_VALUES,
    Progress,
    RefreshPlan,
    RefreshResult,
    changed_since,
    refresh,
)
from kaname.metrics.report import ReportRequest, kpi_report
from kaname.metrics.target_grains import TargetResolver
from kaname.metrics.targets import TargetStore
from kaname.store.appdb import AppDB, CustomKpi, RefreshRun
from kaname.store.copy import CopiedTable, copy_warehouse
from kaname.store.runs import FAILED, INTERRUPTED, OK, UNFINISHED, mark_stale, recent_runs
from kaname.store.warehouse import Warehouse

ENV_WORKSPACE = "KANAME_WORKSPACE"
BENCHMARKS_FILE = "benchmarks.yaml"


class WorkspaceError(Exception):
    """A workspace operation cannot be done; the message says how to fix it."""


def default_root(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_WORKSPACE)
    return Path(env) if env else Path.cwd()


ALL_PERIODS = ("all", "全期間")
"""Words for every day with data, as a period."""


class WorkspaceContext:
    """What every feature service needs from a workspace: its folder and configuration, the clock,
    the two stores, the KPI catalog, the metric engine, targets and KPI reports. The feature
    packages (design, ingest, analytics, act) take a `WorkspaceContext`;
    `kaname.workspace.Workspace` extends it with the services and plan operations that the CLI
    and the web app call."""

    def __init__(self, root: Path, config: WorkspaceConfig) -> None:
        self.root = root.resolve()
        self.config = config

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def init(
        cls, root: Path, config: WorkspaceConfig | None = None, exist_ok: bool = False
    ) -> Self:
        root.mkdir(parents=True, exist_ok=True)
        if (root / CONFIG_FILE).exists() and not exist_ok:
            raise WorkspaceError(f"{root} is already a Kaname workspace ({CONFIG_FILE} exists)")
        config = config or WorkspaceConfig()
        write_config(root, config)
        (root / "plans").mkdir(exist_ok=True)
        ws = cls(root, config)
        ws.warehouse.ensure_schema()
        ws.appdb.upgrade()
        return ws

    @classmethod
    def open(cls, root: Path | None = None) -> Self:
        path = default_root(root)
        return cls(path, load_config(path))

    def reload_config(self) -> None:
        """Read kaname.yaml again after another process changed it (another server worker's
        settings page); the open stores stay as they are. A file that no longer reads keeps
        the settings in use."""
        try:
            self.config = load_config(self.root)
        except ConfigError:
            return

    def close(self) -> None:
        if "warehouse" in self.__dict__:
            self.warehouse.close()
            del self.__dict__["warehouse"]
        if "appdb" in self.__dict__:
            self.appdb.dispose()
            del self.__dict__["appdb"]

    # ------------------------------------------------------------------ stores
    @cached_property
    def warehouse(self) -> Warehouse:
        wh = Warehouse.connect(self.config.warehouse_url, self.root, self.config.duckdb_settings())
        wh.ensure_schema()
        return wh

    def copy_warehouse(self, url: str, progress: Progress | None = None) -> list[CopiedTable]:
        """Copy every table of this workspace's warehouse into the warehouse at `url` (any
        Ibis backend), replacing the tables it holds under the same names; each table's rows
        are counted on both sides (store/copy.py). The KPI values are not copied: `refresh`
        computes them on the new engine."""
        target = Warehouse.connect(url, self.root, self.config.duckdb_settings())
        if target.url == self.warehouse.url:
            target.close()
            raise WorkspaceError(f"{url} is this workspace's own warehouse; name another one")
        try:
            target.ensure_schema()
            return copy_warehouse(self.warehouse, target, {KPI_VALUES}, progress)
        finally:
            target.close()

    @cached_property
    def appdb(self) -> AppDB:
        db = AppDB.for_workspace(self.config.app_db_url, self.root)
        db.upgrade()
        return db

    @property
    def targets(self) -> TargetStore:
        return TargetStore(self.appdb)

    @property
    def clock(self) -> Clock:
        """The workspace clock (kaname.clock): the one source of "today"."""
        return Clock(self.config.as_of)

    def today(self) -> dt.date:
        return self.clock.today()

    # ------------------------------------------------------------------ catalog
    @cached_property
    def catalog(self) -> Catalog:
        with self.appdb.session() as session:
            custom = [
                custom_kpi_from_json(row.definition)
                for row in session.execute(select(CustomKpi)).scalars()
            ]
        return apply_benchmarks(builtin_catalog().with_custom(custom), self.benchmark_overrides())

    def benchmark_overrides(self) -> dict[str, Benchmark]:
        """The workspace's own benchmark ranges (benchmarks.yaml), replacing the shipped ones."""
        path = self.root / BENCHMARKS_FILE
        if not path.exists():
            return {}
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return {str(k): Benchmark.model_validate(v) for k, v in dict(data).items()}
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            raise WorkspaceError(
                f"{path}: {exc}. Write one entry per KPI, e.g. "
                "win_rate: {low: 0.2, high: 0.3, source: 'our FY2025 average'}"
            ) from exc

    def add_custom_kpi(self, kpi: Kpi, created_by: str = "cli") -> Kpi:
        kpi = kpi.model_copy(update={"custom": True})
        self.catalog.with_custom([kpi])  # validates the formula against measures and KPIs
        with self.appdb.session() as session:
            if session.get(CustomKpi, kpi.id) is not None:
                raise CatalogError(f"custom KPI {kpi.id!r} exists; remove it first")
            payload = kpi.model_dump(mode="json", exclude={"custom"})
            session.add(
                CustomKpi(
                    kpi_id=kpi.id,
                    definition=json.dumps(payload, ensure_ascii=False),
                    created_by=created_by,
                )
            )
        self.__dict__.pop("catalog", None)
        return kpi

    def remove_custom_kpi(self, kpi_id: str) -> None:
        with self.appdb.session() as session:
            row = session.get(CustomKpi, kpi_id)
            if row is None:
                raise CatalogError(f"{kpi_id!r} is not a custom KPI of this workspace")
            session.delete(row)
        self.__dict__.pop("catalog", None)

    # ------------------------------------------------------------------ metrics
    def engine(self) -> MetricEngine:
        from kaname.store.dimensions import RECORD_DIMENSIONS, available

        user = available(self.warehouse)
        return MetricEngine(
            self.warehouse.tables(),
            self.catalog,
            self.config.fiscal_year_start_month,
            self.config.gross_margin,
            user_dimensions=user,
            dimension_values=self.warehouse.con.table(RECORD_DIMENSIONS) if user else None,
        )

    def target_resolver(self) -> TargetResolver:
        """Targets at any grain, derived from the monthly ones (metrics/target_grains.py)."""
        return TargetResolver(
            self.targets, self.catalog, self.today(), self.config.fiscal_year_start_month
        )

    def period(self, label: str | None, grain: Grain | str = Grain.MONTH) -> Period:
        """A typed period: a label (2026-11, FY2026-Q3 …) or a name as people write it (2026年11月,
        2026年度 第2四半期, FY2026 Q2), a range of days (2017-01-01..2017-12-31), a preset named
        relative to the workspace clock's today (this_month/今月 … last_30_days/直近30日; see
        calendar.PRESETS), "all" (every day the warehouse holds data for), or the current period
        of `grain` when None."""
        from kaname.metrics.calendar import (
            PeriodError,
            date_range,
            parse_period,
            preset_name,
            preset_period,
        )

        fy = self.config.fiscal_year_start_month
        preset = preset_name(label) if label else None
        if preset:
            return preset_period(preset, self.today(), fy)
        if label and label.strip().lower() in ALL_PERIODS:
            window = self.engine().window()
            if window is None:
                raise PeriodError("the warehouse is empty, so 'all' has no days yet")
            return date_range(window[0], max(window[0], min(window[1], self.today())), fy)
        if label:
            return parse_period(label, fy)
        return period_of(self.today(), grain, fy)

    def compute(self, query: MetricQuery) -> pd.DataFrame:
        return self.engine().compute(query)

    def kpi_report(
        self,
        kpis: list[str] | None = None,
        period: Period | None = None,
        dimension: str | None = None,
        view: View = "period",
        filters: tuple[tuple[str, str], ...] = (),
        language: str | None = None,
    ) -> pd.DataFrame:
        engine = self.engine()
        period = period or self.period(None)
        request = ReportRequest(
            kpis=kpis or list(engine.catalog.ids),
            period=period,
            as_of=self.today(),
            dimension=dimension,
            view=view,
            language=language or self.config.language,
            at_risk_ratio=self.config.at_risk_ratio,
            filters=filters,
        )
        for kpi_id in request.kpis:
            engine.catalog.get(kpi_id)
        return kpi_report(engine, self.targets, request)

    def kpi_history(
        self, kpi: str, grain: Grain | str = Grain.MONTH, periods: int | None = None
    ) -> pd.Series:
        """A KPI's complete past periods (the current one excluded), indexed by period start."""
        grain = Grain(grain)
        engine = self.engine()
        engine.catalog.get(kpi)
        window = engine.window()
        if window is None:
            return pd.Series(dtype="float64")
        fy = self.config.fiscal_year_start_month
        last = period_of(self.today(), grain, fy).previous()
        first = period_of(window[0], grain, fy)
        if first.start > last.start:
            return pd.Series(dtype="float64")
        frame = engine.compute(
            MetricQuery((kpi,), grain, first.start, last.start, as_of=self.today())
        )
        series = pd.Series(
            frame["value"].astype("float64").to_numpy(),
            index=pd.to_datetime(frame["period_start"]),
        )
        # Leading periods before the data starts are empty, not zero.
        series = series[series.notna().cumsum() > 0]
        if periods:
            series = series.iloc[-periods:]
        return series

    def refresh(
        self, full: bool = False, plan: RefreshPlan | None = None, progress: Progress | None = None
    ) -> RefreshResult:
        """Materialise KPI values; incremental unless `full` or no refresh has succeeded yet.
        A refresh that did not finish (killed: its process is gone; or failed) is done again
        once: wholly when it was full, else from its first date on. The result names the runs
        redone."""
        engine = self.engine()
        with self.appdb.session() as session:
            mark_stale(session, RefreshRun)
            last_ok = session.execute(
                select(func.max(RefreshRun.started_at)).where(RefreshRun.status == OK)
            ).scalar()
            unfinished = (
                session.execute(
                    select(RefreshRun)
                    .where(RefreshRun.status.in_(UNFINISHED), RefreshRun.redone_by.is_(None))
                    .order_by(RefreshRun.id)
                )
                .scalars()
                .all()
            )
        redone = tuple(r.id for r in unfinished)
        full = full or last_ok is None or any(r.mode == "full" for r in unfinished)
        # A warehouse without KPI values (just copied from another engine) gets all of them.
        full = full or KPI_VALUES not in self.warehouse.con.list_tables()
        from_date = None
        if not full:
            assert last_ok is not None
            dates = [changed_since(engine, self.warehouse.con, last_ok)]
            dates += [r.from_date for r in unfinished]
            known = [d for d in dates if d is not None]
            if not known:
                return self._record_refresh(
                    "incremental", None, RefreshResult("incremental", None, 0, 0)
                )
            from_date = min(known)
        note = f"redoes run {', '.join(map(str, redone))}" if redone else ""
        with self.appdb.session() as session:
            run = RefreshRun(
                mode="full" if full else "incremental", from_date=from_date, message=note
            )
            run.claim()
            session.add(run)
        run_id = run.id

        def step(label: str, done: int, total: int) -> None:
            with self.appdb.session() as session:
                stored = session.get(RefreshRun, run_id)
                assert stored is not None
                stored.jobs, stored.jobs_done = total, done
            if progress:
                progress(label, done, total)

        try:
            result = refresh(
                engine, self.warehouse, plan or RefreshPlan(), self.today(), from_date, step
            )
        except Exception as exc:
            self._finish_refresh(run_id, FAILED, 0, str(exc))
            raise
        except BaseException:  # Ctrl-C, exit: the run stops where it is
            self._finish_refresh(run_id, INTERRUPTED, 0, note)
            raise
        self._finish_refresh(run_id, OK, result.rows, note, redone)
        return replace(result, redone=redone)

    def _finish_refresh(
        self, run_id: int, status: str, rows: int, message: str, redone: tuple[int, ...] = ()
    ) -> None:
        with self.appdb.session() as session:
            stored = session.get(RefreshRun, run_id)
            assert stored is not None
            stored.status, stored.rows, stored.message = status, rows, message
            stored.finished_at = utcnow()
            for earlier in redone:
                row = session.get(RefreshRun, earlier)
                assert row is not None
                row.redone_by = run_id

    def _record_refresh(
        self, mode: str, from_date: dt.date | None, result: RefreshResult
    ) -> RefreshResult:
        now = utcnow()
        with self.appdb.session() as session:
            session.add(
                RefreshRun(
                    mode=mode,
                    from_date=from_date,
                    status=OK,
                    rows=0,
                    finished_at=now,
                    message="nothing changed",
                )
            )
        return result

    def refresh_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """Recent refreshes, newest first; a run whose process is gone shows `interrupted`."""
        with self.appdb.session() as session:
            return recent_runs(
                session,
                RefreshRun,
                limit,
                mode="mode",
                from_date="from_date",
                rows="rows",
                jobs="jobs",
                jobs_done="jobs_done",
                redone_by="redone_by",
            )
