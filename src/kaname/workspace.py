"""The workspace facade: the context (configuration, clock, stores, metrics) plus the feature
services and the plan operations, behind one entry point. CLI commands and web pages call these
methods and only render what they return.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select

from kaname.analytics.service import AnalyticsService
from kaname.context import WorkspaceContext
from kaname.design.funnel import (
    STAGE_RATIO_NAMES,
    STANDARD_STAGES,
    Funnel,
    is_contiguous,
    link_rates,
)
from kaname.design.gap import sensitivity, shapley_product
from kaname.design.lint import Facts, Finding, lint
from kaname.design.plan import Plan, PlanError, dump_plan, load_plan
from kaname.design.planner import Solution, solve
from kaname.design.quickplan import QuickInputs
from kaname.metrics.calendar import Grain, Period, period_of, periods_between
from kaname.metrics.engine import MetricQuery
from kaname.metrics.targets import TargetValue
from kaname.store.appdb import PlanVersion

if TYPE_CHECKING:
    from kaname.act.service import ActService
    from kaname.ingest.connectors.service import ConnectorService
    from kaname.ingest.service import IngestService


class Workspace(WorkspaceContext):
    """The facade the CLI and the web app call: the context plus the feature services and the
    plan operations (build, solve, lint, explain, what-if, gap, apply)."""

    # ------------------------------------------------------------------ services
    @cached_property
    def connectors(self) -> ConnectorService:
        """Sources: connect, sync, history (kaname.ingest.connectors.service)."""
        from kaname.ingest.connectors.service import ConnectorService

        return ConnectorService(self)

    @cached_property
    def ingest(self) -> IngestService:
        """File import, data quality, duplicate merges, lead scoring (kaname.ingest.service)."""
        from kaname.ingest.service import IngestService

        return IngestService(self)

    @cached_property
    def act(self) -> ActService:
        """Alerts, notifications, reports, PDCA actions and KPI review (kaname.act.service)."""
        from kaname.act.service import ActService

        return ActService(self, self.lint_plan, self.active_plan_gap)

    def active_plan_gap(self, label: str) -> dict[str, Any] | None:
        """The applied plan's gap split for a period (plan_gap), or None without an applied plan
        or where the period cannot be split (outside the plan, a stage at 0)."""
        active = self.active_plan()
        if active is None:
            return None
        try:
            return self.plan_gap(active[0], label)
        except PlanError:
            return None

    @cached_property
    def analytics(self) -> AnalyticsService:
        """Attribution, cohorts, RFM, lifetime value and forecasts (kaname.analytics.service)."""
        return AnalyticsService(self)

    # ------------------------------------------------------------------ planner
    def load_plan(self, path: Path) -> Plan:
        """Read and check a plan file: schema, KPI ids, the tree and its sums."""
        if not path.exists():
            raise PlanError(f"no plan file at {path}")
        plan = load_plan(path.read_text(encoding="utf-8"), str(path))
        self._check_plan(plan)
        return plan

    def _plan_of(self, source: Path | Plan) -> Plan:
        if isinstance(source, Plan):
            self._check_plan(source)
            return source
        return self.load_plan(source)

    def active_plan(self) -> tuple[Plan, PlanVersion] | None:
        """The most recently applied plan version (the one the dashboard shows), or None."""
        with self.appdb.session() as session:
            version = session.execute(
                select(PlanVersion).order_by(PlanVersion.id.desc()).limit(1)
            ).scalar()
        if version is None:
            return None
        return load_plan(version.content, f"{version.plan_name} v{version.version}"), version

    def plan_versions(self, plan_name: str | None = None) -> list[PlanVersion]:
        """Applied plan versions, newest first."""
        query = select(PlanVersion).order_by(PlanVersion.id.desc())
        if plan_name:
            query = query.where(PlanVersion.plan_name == plan_name)
        with self.appdb.session() as session:
            return list(session.execute(query).scalars())

    def _check_plan(self, plan: Plan) -> None:
        catalog = self.catalog
        named = [plan.kgi.kpi, *(k.kpi for k in plan.kpis)]
        named += [k for ksf in plan.ksfs for k in ksf.kpis]
        for item in named:
            if item not in catalog:
                raise PlanError(
                    f"plan {plan.name}: KPI {item!r} is not in the catalog; "
                    "`kaname catalog` lists the KPIs"
                )
        plan.check_tree(set(catalog.ids))
        plan.check_sums()

    def lint_plan(self, path: Path | Plan) -> list[Finding]:
        """SMART and the seeds' rules for a plan file, with the warehouse's facts."""
        plan = self._plan_of(path)
        engine = self.engine()
        kpis = tuple(dict.fromkeys(k.kpi for k in plan.kpis))
        has_data = {k: engine.has_data(k) for k in kpis}
        best: dict[str, float] = {}
        history: dict[str, dict[str, float]] = {}
        window = engine.window()
        measured = tuple(k for k in kpis if has_data[k])
        if window is not None and measured:
            last_full = period_of(
                self.today(), Grain.MONTH, self.config.fiscal_year_start_month
            ).previous()
            if last_full.start >= window[0]:
                frame = engine.compute(
                    MetricQuery(measured, Grain.MONTH, window[0], last_full.start)
                )
                for rec in frame.itertuples(index=False):
                    if rec.value == rec.value:  # not NaN
                        history.setdefault(str(rec.kpi), {})[str(rec.period)] = float(rec.value)
                for kpi, values in frame.groupby("kpi")["value"]:
                    clean = values.dropna()
                    clean = clean[clean > 0]
                    if not clean.empty:
                        lower = self.catalog.get(str(kpi)).direction == "lower"
                        best[str(kpi)] = float(clean.min() if lower else clean.max())
        return lint(plan, self.catalog, Facts(has_data, best, history))

    def new_plan(
        self, template: str, fiscal_year: int | None = None, out: Path | None = None
    ) -> tuple[Path, Plan]:
        """Write a plan from a template with targets solved for this workspace."""
        from kaname.design.templates import load_template
        from kaname.metrics.calendar import fiscal_year as fiscal_year_of

        fy = fiscal_year or fiscal_year_of(self.today(), self.config.fiscal_year_start_month)
        plan, _ = load_template(template, fy)
        self._check_plan(plan)
        plan = self.solved_plan(plan)
        path = out or self.root / "plans" / f"{plan.name}-fy{fy}.yaml"
        if path.exists():
            raise PlanError(f"{path} exists; pass --out to write elsewhere")
        path.parent.mkdir(parents=True, exist_ok=True)
        header = (
            f"# From template {template}: its targets are the planner's solution of the "
            "assumptions.\n# Edit an assumption, then `kaname plan apply --resolve`.\n"
        )
        path.write_text(header + dump_plan(plan), encoding="utf-8")
        return path, plan

    def plan_from_numbers(self, inputs: QuickInputs, fiscal_year: int | None = None) -> Plan:
        """A plan from four numbers (design.quickplan) with its targets solved (one source)."""
        from kaname.design.quickplan import quick_plan
        from kaname.metrics.calendar import fiscal_year as fiscal_year_of

        fy = fiscal_year or fiscal_year_of(self.today(), self.config.fiscal_year_start_month)
        plan = quick_plan(inputs, fy, self.catalog, self.config.language)
        self._check_plan(plan)
        return self.solved_plan(plan)

    def solved_plan(self, plan: Plan) -> Plan:
        """The plan with every target re-solved from its KGI and assumptions (`targets_from:
        planner`): the targets grid, the unit costs and the dashboard then agree."""
        from kaname.design.templates import fill_targets

        filled = fill_targets(plan, self._solve(plan), self.catalog)
        return filled.model_copy(update={"targets_from": "planner"})

    def target_edits(self, plan: Plan) -> list[dict[str, Any]]:
        """Target cells where the plan differs from the planner's solution of its assumptions
        (hand edits, or targets left behind by a changed assumption)."""
        solved = {k.kpi: k for k in self.solved_plan(plan).kpis}
        out = []
        for item in plan.kpis:
            other = solved.get(item.kpi)
            if other is None:
                continue
            grids = [("", item.targets, other.targets)]
            grids += [
                (ch, item.channels.get(ch, {}), other.channels.get(ch, {}))
                for ch in sorted({*item.channels, *other.channels})
            ]
            for channel, mine, theirs in grids:
                for label in sorted({*mine, *theirs}):
                    a, b = mine.get(label), theirs.get(label)
                    if a is None or b is None or abs(a - b) > 1e-6 * max(1.0, abs(b)):
                        out.append(
                            {
                                "kpi": item.kpi,
                                "channel": channel,
                                "period": label,
                                "plan": a,
                                "solved": b,
                            }
                        )
        return out

    def solve_plan(self, path: Path | Plan) -> Solution:
        """Reverse-calculate a plan file's KGI through the funnel (docs/plans.md)."""
        return self._solve(self._plan_of(path))

    def explain_plan(self, path: Path | Plan, label: str | None = None) -> list[dict[str, Any]]:
        """The plan's KPI tree from the KGI down, each node with actual, target and status."""
        plan = self._plan_of(path)
        period = self.period(label)
        walk = plan.walk()
        report = self.kpi_report(list(dict.fromkeys(k for _, k in walk)), period)
        by_kpi = report.set_index("kpi").to_dict(orient="index")
        edges = {e.kpi: e for e in plan.tree}
        owners = {k.kpi: k.owner for k in plan.kpis}
        rows = []
        for depth, kpi in walk:
            rec = by_kpi[kpi]
            edge = edges.get(kpi)
            rows.append(
                {
                    "depth": depth,
                    "kpi": kpi,
                    "name": rec["name"],
                    "relation": edge.relation if edge else "",
                    "children": list(edge.children) if edge else [],
                    "owner": owners.get(kpi, ""),
                    "period": rec["period"],
                    "actual": rec["actual"],
                    "target": rec["target"],
                    "achievement": rec["achievement"],
                    "projection": rec["projection"],
                    "status": rec["status"],
                    "unit": rec["unit"],
                }
            )
        return rows

    def whatif_plan(
        self, path: Path | Plan, changes: dict[str, float]
    ) -> tuple[Solution, dict[str, float]]:
        """The plan's solution and the volumes when `changes` apply to its rates, with the
        volume at the bottom of the funnel held (what the KGI becomes)."""
        plan = self._plan_of(path)
        solution = self._solve(plan)
        rates = {**plan.assumptions.used_rates()}
        unknown = sorted(set(changes) - set(rates))
        if unknown:
            raise PlanError(
                f"--set {', '.join(unknown)}: the plan has no such rate; it has "
                f"{', '.join(sorted(rates))}"
            )
        stages = list(solution.volumes)
        funnel = Funnel.of(stages, rates)
        return solution, funnel.whatif(stages[-1], solution.volumes[stages[-1]], changes)

    def plan_gap(self, path: Path | Plan, label: str) -> dict[str, Any]:
        """Planned vs actual KGI for a period, the gap split across the funnel's drivers."""
        plan = self._plan_of(path)
        solution = self._solve(plan)
        kgi_period = self.period(plan.kgi.period)
        period = self.period(label)
        fy = self.config.fiscal_year_start_month
        months = periods_between(kgi_period.start, kgi_period.last_day, Grain.MONTH, fy)
        inside = [i for i, m in enumerate(months) if period.start <= m.start < period.end]
        if not inside or period.end > kgi_period.end or period.start < kgi_period.start:
            raise PlanError(
                f"{period.label} is not inside the plan's KGI period "
                f"{kgi_period.label}; pick a month, quarter or half of it"
            )
        weights = self._seasonality(plan.kgi.kpi, months) or [1.0] * len(months)
        share = sum(weights[i] for i in inside) / sum(weights)
        stages = list(solution.volumes)
        rates = plan.assumptions.used_rates()
        names = list(link_rates(stages))
        planned = {stages[-1]: solution.volumes[stages[-1]] * share}
        planned.update({n: rates[n] for n in reversed(names)})
        frame = self.engine().compute(
            MetricQuery(tuple(stages), period.grain, period.start, period.start, as_of=self.today())
        )
        volume = {k: float(v) for k, v in zip(frame["kpi"], frame["value"], strict=True)}
        missing = [s for s in stages if volume.get(s) != volume.get(s)]
        if missing:
            notes = frame.loc[frame["kpi"] == missing[0], "note"]
            why = str(notes.iloc[0]) if len(notes) and notes.iloc[0] else "no data"
            raise PlanError(f"no actuals for {', '.join(missing)} in {period.label}: {why}")
        zero = [s for s in stages[1:] if volume[s] <= 0]
        if zero:
            raise PlanError(
                f"{', '.join(zero)} is 0 in {period.label}, so the funnel's rates "
                "are undefined and the gap cannot be split"
            )
        actual = {stages[-1]: volume[stages[-1]]}
        actual.update(
            {
                n: volume[stages[i]] / volume[stages[i + 1]]
                for i, n in reversed(list(enumerate(names)))
            }
        )
        planned_kgi = solution.volumes[stages[0]] * share
        source = "plan"
        active = self.active_plan()
        if active is not None and active[0].name == plan.name:
            # The applied targets are what every page shows: the gap is measured against the
            # KGI's target, each rate planned at its own target where the KPI is the stage ratio
            # (受注率 is not: it divides by closed opportunities), and the first stage's volume
            # is what makes the planned drivers multiply to the KGI target.
            resolver = self.target_resolver()
            targets = resolver.targets([stages[0], *names], [period])
            target = targets[(stages[0], period.start)]
            if target == target and target > 0:
                links = dict(zip(names, itertools.pairwise(stages), strict=True))
                for name in names:
                    rate = targets[(name, period.start)]
                    # a rate KPI is the link's own ratio only where no stage is dropped between
                    own = name not in STAGE_RATIO_NAMES and is_contiguous(links[name])
                    if own and rate == rate and rate > 0:
                        planned[name] = rate
                product = math.prod(planned[n] for n in names)
                planned[stages[-1]] = target / product
                planned_kgi, source = target, "targets"
        parts = shapley_product(planned, actual)
        catalog = self.catalog
        benchmarks: dict[str, float | None] = {}
        for name in actual:
            bench = catalog.get(name).benchmark if name in catalog else None
            benchmarks[name] = bench.low if bench is not None else None
        shares = {n for n in actual if n in catalog and catalog.get(n).unit == "ratio"}
        ranked = sensitivity(volume[stages[0]], actual, benchmarks, shares)
        return {
            "kgi": stages[0],
            "period": period.label,
            "planned": planned_kgi,
            "actual": volume[stages[0]],
            "gap": volume[stages[0]] - planned_kgi,
            "drivers": [
                {
                    "driver": k,
                    "names": self.driver_names(k),
                    "planned": planned[k],
                    "actual": actual[k],
                    "effect": parts[k],
                }
                for k in sorted(parts, key=lambda k: -abs(parts[k]))
            ],
            "sensitivity": [{**r, "names": self.driver_names(str(r["driver"]))} for r in ranked],
            "planned_source": source,
            "note": (
                "planned KGI is the applied target for the period"
                if source == "targets"
                else "planned volumes are the period's seasonal share of the plan"
            )
            + ", without lead-time shifts; actual rates are stage ratios in the period view "
            "(each stage's count ÷ the count of the stage before it, in the same period)",
        }

    def driver_names(self, driver: str) -> dict[str, str]:
        """{language: name} of a gap driver: the stage ratio's own name where it is not the KPI
        of the same id (STAGE_RATIO_NAMES), else the KPI's name."""
        if driver in STAGE_RATIO_NAMES:
            return dict(STAGE_RATIO_NAMES[driver])
        if driver in self.catalog:
            kpi = self.catalog.get(driver)
            return {"ja": kpi.name_ja, "en": kpi.name_en}
        return {"ja": driver, "en": driver}

    def _solve(self, plan: Plan) -> Solution:
        kgi = plan.kgi.kpi
        if kgi not in STANDARD_STAGES:
            raise PlanError(
                f"the planner reverse-calculates a KGI among "
                f"{', '.join(STANDARD_STAGES[:-1])}; {kgi!r} is not one"
            )
        period = self.period(plan.kgi.period)
        fy = self.config.fiscal_year_start_month
        months = periods_between(period.start, period.last_day, Grain.MONTH, fy)
        seasonality = self._seasonality(kgi, months)
        lead_times, source = self._lead_times(plan)
        return solve(
            kgi,
            plan.kgi.target,
            plan.assumptions.used_rates(),
            [m.label for m in months],
            seasonality,
            lead_times,
            source,
            plan.assumptions.channel_mix or None,
            plan.assumptions.budget,
            plan.assumptions.ltv,
            plan.assumptions.channel_cpa or None,
            plan.assumptions.channel_capacity or None,
            plan.assumptions.arpa,
            self.config.gross_margin,
            plan.assumptions.stages or None,
        )

    def _seasonality(self, kpi: str, months: list[Period]) -> list[float] | None:
        """Last year's monthly shape of the KGI, when the warehouse holds all of it."""
        engine = self.engine()
        if engine.window() is None:
            return None
        frame = engine.compute(
            MetricQuery(
                (kpi,), Grain.MONTH, months[0].year_ago().start, months[-1].year_ago().start
            )
        )
        values = frame["value"].to_list()
        if len(values) != len(months) or any(not v or v != v or v <= 0 for v in values):
            return None
        return [float(v) for v in values]

    def _lead_times(self, plan: Plan) -> tuple[dict[str, float], str]:
        assumed = dict(plan.assumptions.lead_times_days)
        measured_kpis = {
            "opportunity_to_deal": "sales_cycle_days",
            "mql_to_sql": "days_to_sql",
            "lead_to_mql": "days_to_mql",
        }
        engine = self.engine()
        window = engine.window()
        measured = 0
        if window is not None:
            missing = [k for k in measured_kpis if k not in assumed]
            if missing:
                last = period_of(window[1], Grain.YEAR, self.config.fiscal_year_start_month)
                year = last.previous() if last.start > window[0] else last
                frame = engine.compute(
                    MetricQuery(
                        tuple(measured_kpis[k] for k in missing), Grain.YEAR, year.start, year.start
                    )
                )
                for name, value in zip(missing, frame["value"], strict=True):
                    if value == value:  # not NaN
                        assumed[name] = float(value)
                        measured += 1
        source = (
            "measured"
            if measured and measured == len(assumed)
            else ("measured and assumed" if measured else "assumed")
        )
        return assumed, source

    # ------------------------------------------------------------------ plans and targets
    def apply_plan(
        self,
        path: Path,
        effective_from: dt.date | None = None,
        created_by: str = "cli",
        edits: Literal["ask", "resolve", "keep"] = "ask",
    ) -> tuple[PlanVersion, int]:
        """Store a plan file's targets as a new version. A plan whose targets come from the
        planner is re-solved first; where its targets differ from the solution (hand edits or
        a changed assumption) `edits` chooses: `resolve` replaces them with the solution (and
        rewrites the file), `keep` applies them as hand edits, `ask` refuses naming both."""
        plan = self.load_plan(path)
        text = path.read_text(encoding="utf-8")
        if plan.targets_from == "planner":
            differ = self.target_edits(plan)
            if differ and edits == "ask":
                first = differ[0]
                where = f"{first['kpi']}{'/' + first['channel'] if first['channel'] else ''}"
                raise PlanError(
                    f"{len(differ)} targets differ from the planner's solution of the plan's "
                    f"assumptions (e.g. {where} {first['period']}: {first['plan']} in the "
                    f"file, {first['solved']} solved). Apply with --resolve to replace them "
                    "with the solution, or --keep-targets to apply the file's targets as hand "
                    "edits"
                )
            if edits == "resolve" or not differ:
                plan = self.solved_plan(plan)
                if differ:
                    text = dump_plan(plan)
                    path.write_text(text, encoding="utf-8")
            else:
                plan = plan.model_copy(update={"targets_from": "hand"})
                text = dump_plan(plan)
                path.write_text(text, encoding="utf-8")
        return self.apply_plan_object(plan, text, effective_from, created_by)

    def apply_plan_object(
        self, plan: Plan, text: str, effective_from: dt.date | None = None, created_by: str = "cli"
    ) -> tuple[PlanVersion, int]:
        self._check_plan(plan)
        rows = plan.target_rows(self.config.fiscal_year_start_month)
        values = [
            TargetValue(kpi, grain, self.period(label).start, value, "channel" if ch else "", ch)
            for kpi, grain, label, value, ch in rows
        ]
        kgi_period = self.period(plan.kgi.period)
        values.append(
            TargetValue(plan.kgi.kpi, kgi_period.grain, kgi_period.start, plan.kgi.target)
        )
        with self.appdb.session() as session:
            latest = session.execute(
                select(func.max(PlanVersion.version)).where(PlanVersion.plan_name == plan.name)
            ).scalar()
            version = PlanVersion(
                plan_name=plan.name, version=(latest or 0) + 1, content=text, created_by=created_by
            )
            session.add(version)
        count = self.targets.set(values, effective_from or self.today(), version.id, created_by)
        # the quarterly review's keep / change / retire decisions are carried into this version
        from kaname.act.review import apply_decisions

        apply_decisions(self, plan.name, version.version, created_by)
        return version, count
