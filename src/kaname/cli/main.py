"""Entry point of the `kaname` command."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from kaname import __version__
from kaname.cli.render import (
    STATUS_STYLE,
    console,
    err_console,
    kpi_table,
    print_json,
    progress_bar,
    render_solution,
    to_jsonable,
)
from kaname.config import ConfigError, WorkspaceConfig
from kaname.design.plan import PlanError
from kaname.metrics.calendar import Grain, PeriodError
from kaname.metrics.catalog import PHASE_NAMES, CatalogError, Kpi
from kaname.metrics.engine import MetricError
from kaname.metrics.formula import FormulaError
from kaname.metrics.measures import MEASURES, PARAMETERS
from kaname.store.warehouse import WarehouseError
from kaname.workspace import Workspace, WorkspaceError

app = typer.Typer(
    name="kaname",
    help="Kaname (要): B2B marketing KPI management — design, connect, compute, see, act.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
catalog_app = typer.Typer(help="The KPI catalog: list, add and remove KPIs.", no_args_is_help=False)
plan_app = typer.Typer(help="Plans: the KGI and KPI targets.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks (speed and memory, against a reference).", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(plan_app, name="plan")
app.add_typer(bench_app, name="bench")

USER_ERRORS = (
    ConfigError,
    WorkspaceError,
    MetricError,
    CatalogError,
    FormulaError,
    PeriodError,
    PlanError,
    WarehouseError,
    FileNotFoundError,
)

WorkspaceOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional at runtime on 3.11
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $KANAME_WORKSPACE or .)",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fail(exc: BaseException) -> typer.Exit:
    err_console.print(f"[bold red]Error:[/] {exc}")
    return typer.Exit(2)


def _open(workspace: Path | None) -> Workspace:
    try:
        return Workspace.open(workspace)
    except USER_ERRORS as exc:
        raise _fail(exc) from exc


@app.command()
def version() -> None:
    """Print the Kaname version."""
    console.print(f"kaname {__version__}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    fiscal_year_start: Annotated[
        int, typer.Option(min=1, max=12, help="First month of the FY.")
    ] = 4,
    currency: Annotated[str, typer.Option(help="ISO currency of amounts.")] = "JPY",
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
    warehouse_url: Annotated[
        str, typer.Option(help="Ibis URL of the warehouse.")
    ] = "duckdb:///warehouse.duckdb",
    app_db_url: Annotated[
        str, typer.Option(help="SQLAlchemy URL of the app DB.")
    ] = "sqlite:///kaname.db",
) -> None:
    """Create a workspace: kaname.yaml, the warehouse and the app DB."""
    try:
        config = WorkspaceConfig(
            fiscal_year_start_month=fiscal_year_start,
            currency=currency,
            language=language,
            warehouse_url=warehouse_url,
            app_db_url=app_db_url,
        )
        ws = Workspace.init(directory, config)
    except (*USER_ERRORS, ValueError) as exc:  # ValueError: typed values that do not parse
        raise _fail(exc) from exc
    console.print(f"Created workspace [bold]{ws.root}[/] (warehouse: {ws.warehouse.backend}).")
    console.print("Next: load data with `kaname demo` or `kaname import`, then `kaname kpis`.")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Workspace folder for the demo.")] = Path(
        "kaname-demo"
    ),
    scale: Annotated[float, typer.Option(min=0.001, help="1 ≈ 100k leads, 2M touchpoints.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
    as_of: Annotated[Optional[str], typer.Option(help="Last day of demo data (default today).")] =  # noqa: UP045
    None,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards."),
    ] = True,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the dashboard listens on.")] = 8000,
) -> None:
    """Build the demo company workspace, apply its starter plan and print its KPIs."""
    from kaname.demo import EXECUTIVE_KPIS, build_demo

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise _fail(ValueError(f"--as-of must be a date like 2026-03-31, not {as_of!r}")) from exc
    try:
        with progress_bar("Generating demo company") as update:
            ws = build_demo(directory, scale=scale, seed=seed, as_of=day, progress=update)
        with progress_bar("Refreshing KPIs") as update:
            ws.refresh(full=True, progress=update)
        report = ws.kpi_report(list(EXECUTIVE_KPIS))
    except USER_ERRORS as exc:
        raise _fail(exc) from exc
    period = ws.period(None)
    console.print(
        kpi_table(
            report,
            ws.config.currency,
            ws.config.language,
            f"{ws.config.name} — {period.label} (as of {ws.today()})",
        )
    )
    console.print(
        f"Workspace: [bold]{ws.root}[/]. Try `kaname kpis -w {directory}` "
        f"or `kaname kpis -w {directory} --dimension channel`."
    )
    if serve:
        from kaname.cli.serve import DEMO_ADMIN, demo_admin, serve_workspace

        password = demo_admin(ws)
        console.print(
            f"Dashboard login: user [bold]{DEMO_ADMIN}[/], one-time password [bold]{password}[/] "
            "(you choose your own at first login)."
        )
        serve_workspace(ws, host, port)


@app.command()
def kpis(
    workspace: WorkspaceOpt = None,
    period: Annotated[
        str | None,
        typer.Option(help="Period label, e.g. 2025-10, FY2025-Q3, FY2025 (default: current)."),
    ] = None,
    grain: Annotated[
        Grain, typer.Option(help="Grain of the default (current) period.")
    ] = Grain.MONTH,
    dimension: Annotated[
        str | None, typer.Option(help="Split by channel, campaign, segment, owner or stage.")
    ] = None,
    view: Annotated[
        str,
        typer.Option(
            help="period (events in the period) or cohort (leads created in it, followed to "
            "outcome).",
        ),
    ] = "period",
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", "-k", help="KPI id (repeatable; default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Actual, target, achievement, pacing projection and status of KPIs for a period."""
    ws = _open(workspace)
    if view not in ("period", "cohort"):
        raise _fail(ValueError(f"--view must be period or cohort, not {view!r}"))
    try:
        chosen = ws.period(period, grain)
        report = ws.kpi_report(kpi, chosen, dimension, view)  # type: ignore[arg-type]
    except USER_ERRORS as exc:
        raise _fail(exc) from exc
    if report.empty:
        raise _fail(
            MetricError(
                f"no KPI can be shown {'by ' + dimension if dimension else ''} in the {view} view; "
                "check --dimension and --view (`kaname catalog` shows what each KPI allows)"
            )
        )
    if as_json:
        print_json(to_jsonable(report))
        return
    label = "cohort view: leads created in the period" if view == "cohort" else "period view"
    console.print(
        kpi_table(
            report,
            ws.config.currency,
            ws.config.language,
            f"{chosen.label} — {label} — as of {ws.today()}",
        )
    )


@app.command()
def refresh(
    workspace: WorkspaceOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Recompute every period.")] = False,
) -> None:
    """Materialise KPI values (incremental: only periods that new data touches)."""
    ws = _open(workspace)
    try:
        with progress_bar("Refreshing KPIs") as update:
            result = ws.refresh(full=full, progress=update)
    except USER_ERRORS as exc:
        raise _fail(exc) from exc
    if result.jobs == 0:
        console.print("Nothing changed since the last refresh.")
    else:
        since = f" from {result.from_date}" if result.from_date else ""
        console.print(f"{result.mode.capitalize()} refresh{since}: {result.rows:,} KPI values.")


@catalog_app.callback(invoke_without_command=True)
def catalog_list(
    ctx: typer.Context,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
    measures: Annotated[
        bool, typer.Option("--measures", help="List base measures instead.")
    ] = False,
    phase: Annotated[str | None, typer.Option(help="awareness, lead, deal or retention.")] = None,
) -> None:
    """List the KPIs (built-in and this workspace's custom ones)."""
    if ctx.invoked_subcommand:
        return
    if measures:
        rows: list[dict[str, Any]] = [
            {
                "id": m.id,
                "definition": m.doc,
                "unit": m.unit,
                "dimensions": list(m.dims),
                "cohort": m.cohort,
                "additive": m.additive,
            }
            for m in MEASURES.values()
        ]
        rows += [
            {
                "id": k,
                "definition": v,
                "unit": "parameter",
                "dimensions": [],
                "cohort": True,
                "additive": False,
            }
            for k, v in PARAMETERS.items()
        ]
        if as_json:
            print_json(rows)
            return
        from rich.table import Table

        table = Table("measure", "definition", "unit", "dimensions")
        for row in rows:
            table.add_row(row["id"], row["definition"], row["unit"], ", ".join(row["dimensions"]))
        console.print(table)
        return
    ws = _open(workspace) if (workspace or _has_workspace()) else None
    from kaname.metrics.catalog import builtin_catalog

    catalog = ws.catalog if ws else builtin_catalog()
    language = ws.config.language if ws else "ja"
    items = [k for k in catalog if phase is None or k.phase == phase]
    if as_json:
        print_json(
            [
                {
                    **k.model_dump(mode="json"),
                    "dimensions": list(catalog.dimensions_of(k.id)),
                    "cohort_view": catalog.has_cohort_view(k.id),
                }
                for k in items
            ]
        )
        return
    from rich.table import Column, Table

    table = Table(
        Column("id", no_wrap=True),
        Column("name", no_wrap=True),
        "formula",
        "unit",
        "better",
        "phase",
        "lead/lag",
        "dimensions",
        title=f"{len(items)} KPIs",
    )
    for k in items:
        table.add_row(
            k.id + (" *" if k.custom else ""),
            k.name(language),
            k.formula,
            k.unit,
            k.direction,
            PHASE_NAMES[k.phase][0 if language == "ja" else 1],
            k.type,
            ", ".join(catalog.dimensions_of(k.id)),
        )
    console.print(table)


def _has_workspace() -> bool:
    from kaname.config import CONFIG_FILE
    from kaname.workspace import default_root

    return (default_root() / CONFIG_FILE).exists()


@app.command()
def benchmarks(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Benchmark ranges used by lint and bottleneck ranking (override in benchmarks.yaml)."""
    ws = _open(workspace)
    try:
        overrides = ws.benchmark_overrides()
        rows: list[dict[str, Any]] = [
            {
                "kpi": k.id,
                "low": k.benchmark.low,
                "high": k.benchmark.high,
                "source": k.benchmark.source,
                "overridden": k.id in overrides,
            }
            for k in ws.catalog
            if k.benchmark is not None
        ]
    except USER_ERRORS as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("KPI", "low", "high", "source", title="Benchmarks")
    for row in rows:
        mark = " [bold](workspace)[/]" if row["overridden"] else ""
        table.add_row(
            row["kpi"],
            str(row["low"] if row["low"] is not None else "—"),
            str(row["high"] if row["high"] is not None else "—"),
            row["source"] + mark,
        )
    console.print(table)


@catalog_app.command("add")
def catalog_add(
    kpi_id: Annotated[str, typer.Argument(help="New KPI id (lower_snake_case).")],
    formula: Annotated[str, typer.Option(help="Formula over measures/KPIs, e.g. 'deals / calls'.")],
    name_en: Annotated[str, typer.Option(help="English name.")],
    name_ja: Annotated[str, typer.Option(help="Japanese name.")] = "",
    definition: Annotated[str, typer.Option(help="What it measures.")] = "",
    unit: Annotated[
        str,
        typer.Option(help="count, currency, ratio, days, minutes, months, multiple, score, points"),
    ] = "ratio",
    direction: Annotated[str, typer.Option(help="higher or lower (which is better).")] = "higher",
    phase: Annotated[str, typer.Option(help="awareness, lead, deal or retention.")] = "lead",
    kpi_type: Annotated[str, typer.Option("--type", help="leading or lagging.")] = "leading",
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a custom KPI as a formula over measures (parsed safely, never evaluated as code)."""
    ws = _open(workspace)
    try:
        kpi = Kpi.model_validate(
            {
                "id": kpi_id,
                "name_en": name_en,
                "name_ja": name_ja or name_en,
                "definition_en": definition or formula,
                "definition_ja": definition or formula,
                "formula": formula,
                "unit": unit,
                "direction": direction,
                "phase": phase,
                "type": kpi_type,
            }
        )
        ws.add_custom_kpi(kpi)
    except (*USER_ERRORS, ValueError) as exc:  # ValueError: typed values that do not parse
        raise _fail(exc) from exc
    console.print(f"Added KPI [bold]{kpi_id}[/] = {formula}")


@catalog_app.command("remove")
def catalog_remove(kpi_id: str, workspace: WorkspaceOpt = None) -> None:
    """Remove a custom KPI."""
    ws = _open(workspace)
    try:
        ws.remove_custom_kpi(kpi_id)
    except USER_ERRORS as exc:
        raise _fail(exc) from exc
    console.print(f"Removed KPI {kpi_id}")


@plan_app.command("apply")
def plan_apply(
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    workspace: WorkspaceOpt = None,
    effective_from: Annotated[
        str | None, typer.Option(help="Date the targets take effect (default today).")
    ] = None,
) -> None:
    """Validate a plan and store its targets as a new plan version."""
    ws = _open(workspace)
    try:
        day = dt.date.fromisoformat(effective_from) if effective_from else None
        version, count = ws.apply_plan(file, day)
    except (*USER_ERRORS, ValueError) as exc:  # ValueError: typed values that do not parse
        raise _fail(exc) from exc
    console.print(f"Applied {version.plan_name} as version {version.version}: {count} targets.")


def _parse_sets(values: list[str]) -> dict[str, float]:
    out = {}
    for item in values:
        name, sep, raw = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(raw)
        except ValueError:
            raise _fail(
                ValueError(f"--set takes name=number, e.g. win_rate=0.3, not {item!r}")
            ) from None
    return out


@plan_app.command("solve")
def plan_solve(
    file: Annotated[Path, typer.Argument(help="Plan YAML file with a KGI and assumptions.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reverse-calculate the KGI: volumes per stage, channel and month, and unit costs."""
    import dataclasses

    from kaname.design.funnel import FunnelError

    ws = _open(workspace)
    try:
        solution = ws.solve_plan(file)
    except (*USER_ERRORS, FunnelError) as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(dataclasses.asdict(solution))
        return
    render_solution(solution, ws.config.currency, ws.config.language)


@plan_app.command("whatif")
def plan_whatif(
    file: Annotated[Path, typer.Argument(help="Plan YAML file with a KGI and assumptions.")],
    set_: Annotated[list[str], typer.Option("--set", help="rate=value, repeatable.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change rates, hold the bottom of the funnel, and see the KGI that results."""
    from kaname.design.funnel import FunnelError

    ws = _open(workspace)
    changes = _parse_sets(set_)
    try:
        solution, changed = ws.whatif_plan(file, changes)
    except (*USER_ERRORS, FunnelError) as exc:
        raise _fail(exc) from exc
    rows: list[dict[str, Any]] = [
        {"stage": stage, "plan": solution.volumes[stage], "whatif": changed[stage]}
        for stage in solution.volumes
    ]
    if as_json:
        print_json({"changes": changes, "stages": rows})
        return
    from rich.table import Table

    table = Table(
        "stage",
        "plan",
        "what-if",
        "change",
        title=f"What if {', '.join(f'{k}={v:g}' for k, v in changes.items())}",
    )
    for row in rows:
        delta = row["whatif"] / row["plan"] - 1 if row["plan"] else 0.0
        table.add_row(row["stage"], f"{row['plan']:,.1f}", f"{row['whatif']:,.1f}", f"{delta:+.1%}")
    console.print(table)


@plan_app.command("new")
def plan_new(
    template: Annotated[
        str, typer.Option(help="b2b_saas, it_solutions, …; --list shows all.")
    ] = "b2b_saas",
    fiscal_year: Annotated[
        int | None, typer.Option("--fy", help="Fiscal year (default current).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default plans/NAME-fyYYYY.yaml).")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the templates.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Start a plan from a template, with monthly targets solved for this workspace."""
    from kaname.design.funnel import FunnelError
    from kaname.design.templates import template_names

    if list_:
        for name in template_names():
            console.print(name)
        return
    ws = _open(workspace)
    try:
        path, plan = ws.new_plan(template, fiscal_year, out)
    except (*USER_ERRORS, FunnelError) as exc:
        raise _fail(exc) from exc
    console.print(
        f"Wrote {path}: KGI {plan.kgi.kpi} {plan.kgi.target:,.0f} in {plan.kgi.period}, "
        f"{len(plan.kpis)} KPIs. Next: `kaname plan lint {path}`."
    )


@plan_app.command("schema")
def plan_schema() -> None:
    """Print the JSON Schema of plan files (also in docs/plan.schema.json), for editors."""
    from kaname.cli.docs_gen import render_plan_schema

    console.out(render_plan_schema(), highlight=False, end="")


@plan_app.command("lint")
def plan_lint(
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a plan against SMART and the KPI-design rules; exit 1 when there are errors."""
    ws = _open(workspace)
    try:
        findings = ws.lint_plan(file)
    except USER_ERRORS as exc:
        raise _fail(exc) from exc
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        print_json([f.as_dict() for f in findings])
    else:
        from rich.table import Table

        language = ws.config.language
        styles = {"error": "[red]error[/]", "warning": "[yellow]warning[/]", "info": "info"}
        table = Table(
            "severity",
            "rule",
            "KPI",
            "finding",
            "fix",
            title=f"{file.name}: {len(findings)} findings, {errors} errors",
        )
        for f in findings:
            table.add_row(styles[f.severity], f.rule, f.kpi, f.message(language), f.hint(language))
        console.print(table if findings else f"{file.name}: no findings")
    if errors:
        raise typer.Exit(1)


@plan_app.command("explain")
def plan_explain(
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    workspace: WorkspaceOpt = None,
    period: Annotated[str | None, typer.Option(help="Period (default: current month).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The plan's KPI tree from the KGI down, with targets, actuals and status."""
    from kaname.formatting import format_percent, format_value

    ws = _open(workspace)
    try:
        rows = ws.explain_plan(file, period)
    except USER_ERRORS as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(rows)
        return
    currency, language = ws.config.currency, ws.config.language
    console.print(f"[bold]{file.name}[/] — {rows[0]['period']} (as of {ws.today()})")
    for row in rows:
        joint = {"product": "×", "ratio": "÷", "sum": "+", "formula": "ƒ"}.get(row["relation"], "")
        status = STATUS_STYLE.get(row["status"], row["status"])
        actual = format_value(row["actual"], row["unit"], currency, language)
        target = format_value(row["target"], row["unit"], currency, language)
        owner = f" [dim]{row['owner']}[/]" if row["owner"] else ""
        console.print(
            f"{'    ' * row['depth']}{'└─ ' if row['depth'] else ''}{row['name']} "
            f"[dim]({row['kpi']}{' = ' + joint.join(row['children']) if joint else ''})[/] "
            f"{actual} / {target} {format_percent(row['achievement'])} {status}{owner}"
        )


@plan_app.command("gap")
def plan_gap(
    file: Annotated[Path, typer.Argument(help="Plan YAML file with a KGI and assumptions.")],
    period: Annotated[str, typer.Option(help="Period inside the KGI period, e.g. 2026-10.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Planned vs actual KGI for a period, the gap split exactly across the funnel's drivers."""
    from kaname.design.funnel import FunnelError
    from kaname.design.gap import GapError
    from kaname.formatting import format_money

    ws = _open(workspace)
    try:
        gap = ws.plan_gap(file, period)
    except (*USER_ERRORS, FunnelError, GapError) as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(gap)
        return
    currency, language = ws.config.currency, ws.config.language

    def amount(value: float) -> str:
        if gap["kgi"] == "revenue":
            sign = "+" if value >= 0 else "−"
            return sign + format_money(abs(value), currency, language)
        return f"{value:+,.1f}"

    total = float(gap["gap"])
    drivers = gap["drivers"]
    verdict = "short" if total < 0 else "ahead"
    parts = ", ".join(f"{amount(d['effect'])} {d['driver']}" for d in drivers)
    console.print(
        f"[bold]{gap['kgi']} {gap['period']}: {amount(total)} {verdict}[/] "
        f"(plan {amount(float(gap['planned']))[1:]}, actual "
        f"{amount(float(gap['actual']))[1:]}): {parts}"
    )
    top = gap["sensitivity"][0] if gap["sensitivity"] else None
    if top and top["gain_to_benchmark"]:
        console.print(
            f"Top bottleneck: bringing {top['driver']} from {top['actual']:.1%} to the "
            f"{top['benchmark']:.0%} benchmark adds {amount(top['gain_to_benchmark'])}."
        )
    elif top:
        console.print(
            f"Every rate meets its benchmark; +10% on {top['driver']} adds "
            f"{amount(top['gain_step'])}."
        )
    console.print(f"[dim]{gap['note']}[/]")


@bench_app.command("refresh")
def bench_refresh(
    scale: Annotated[float, typer.Option(help="Demo scale (10 ≈ 1M leads, 20M touchpoints).")] = 10,
    seed: Annotated[int, typer.Option()] = 42,
    workdir: Annotated[Path, typer.Option(help="Where the benchmark workspace is built.")] = Path(
        "benchmarks/.work"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Time a refresh of funnel and channel KPIs against hand-written DuckDB SQL."""
    from kaname.demo.bench import run_refresh_benchmark

    result = run_refresh_benchmark(
        scale=scale, seed=seed, workdir=workdir, log=lambda m: err_console.print(f"[dim]{m}[/]")
    )
    if as_json:
        print_json(result)
        return
    for key, value in result.items():
        console.print(f"{key:>28}: {value}")


from kaname.cli.ingest import register as _register_ingest  # noqa: E402

_register_ingest(app)


from kaname.cli import connect as _connect  # noqa: E402

_connect.register(app)


from kaname.cli import analytics as _analytics  # noqa: E402

_analytics.register(app, WorkspaceOpt, JsonOpt, _open, _fail, USER_ERRORS)


from kaname.cli import serve as _serve  # noqa: E402

_serve.register(app, WorkspaceOpt, _open, _fail, USER_ERRORS)


from kaname.cli import act as _act  # noqa: E402

_act.register(app, catalog_app, WorkspaceOpt, JsonOpt, _open, _fail, USER_ERRORS)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
