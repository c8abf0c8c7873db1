"""Entry point of the `kaname` command."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer
from rich.table import Table

from kaname import __version__
from kaname.cli.catalog import benchmarks, catalog_app
from kaname.cli.common import (
    USER_ERRORS,
    JsonOpt,
    WorkspaceOpt,
    fail,
    kpi_namer,
    open_workspace,
)
from kaname.cli.loop import LoopGroup, tr
from kaname.cli.plan import plan_app
from kaname.cli.render import (
    NAME,
    NUMBER,
    STATUS,
    console,
    err_console,
    jsonable,
    kpi_table,
    print_json,
    progress_bar,
    table_word,
    to_jsonable,
)
from kaname.cli.warehouse import warehouse_app
from kaname.cli.words import word
from kaname.config import WorkspaceConfig
from kaname.formatting import clock_time, period_name
from kaname.metrics.calendar import CALENDAR_GRAINS, Grain
from kaname.metrics.engine import MetricError
from kaname.workspace import Workspace

PeriodGrain = StrEnum(  # type: ignore[misc]
    "PeriodGrain", {g.value: g.value for g in CALENDAR_GRAINS}
)
"""The grains a current period can be of (a range has no current period)."""

app = typer.Typer(
    name="kaname",
    cls=LoopGroup,
    help="Kaname (要): B2B marketing KPI management — design, connect, compute, see, act.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
bench_app = typer.Typer(
    help="Benchmarks (speed and memory, against a reference).", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(plan_app, name="plan")
app.add_typer(warehouse_app, name="warehouse")
app.command()(benchmarks)
app.add_typer(bench_app, name="bench")


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
    language: Annotated[
        Literal["ja", "en"], typer.Option(help="Language of the workspace.")
    ] = "ja",
    warehouse_url: Annotated[
        str,
        typer.Option(
            envvar="KANAME_WAREHOUSE_URL",
            help="Ibis URL of the warehouse ($KANAME_WAREHOUSE_URL: used, never written).",
        ),
    ] = "duckdb:///warehouse.duckdb",
    app_db_url: Annotated[
        str,
        typer.Option(
            envvar="KANAME_APP_DB_URL",
            help="SQLAlchemy URL of the app DB ($KANAME_APP_DB_URL: used, never written).",
        ),
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
        raise fail(exc) from exc
    console.print(
        word(
            "Created workspace {root} (warehouse: {backend}).",
            config.language,
            root=f"[bold]{ws.root}[/]",
            backend=ws.warehouse.backend,
        )
    )
    console.print(
        word(
            "Next: load data with `kaname samples` or `kaname import`, then `kaname kpis`.",
            config.language,
        )
    )


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
        typer.Option(
            "--serve/--no-serve",
            help="Serve the dashboard afterwards (blocks until Ctrl+C); --no-serve returns.",
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the dashboard listens on.")] = 8000,
) -> None:
    """Build the demo company workspace, apply its starter plan and print its KPIs."""
    from kaname.demo import EXECUTIVE_KPIS, build_demo, write_samples

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise fail(ValueError(f"--as-of must be a date like 2026-03-31, not {as_of!r}")) from exc
    lang = WorkspaceConfig().language  # the demo company's workspace speaks the default language
    try:
        with progress_bar(word("Generating demo company", lang), lang) as update:
            ws = build_demo(directory, scale=scale, seed=seed, as_of=day, progress=update)
        lang = ws.config.language
        with progress_bar(word("Refreshing KPIs", lang), lang) as update:
            ws.refresh(full=True, progress=update)
        report = ws.kpi_report(list(EXECUTIVE_KPIS))
    except USER_ERRORS as exc:
        raise fail(exc) from exc
    write_samples(ws.root)
    period = ws.period(None)
    when = period_name(period.label, lang, ws.config.fiscal_year_start_month)
    as_of_text = word("as of {date}", lang, date=ws.today())
    names = kpi_namer(ws, ids_in_english=False)
    console.print(
        kpi_table(
            report, ws.config.currency, lang, f"{ws.config.name} — {when} ({as_of_text})", names
        )
    )
    console.print(
        word(
            "Workspace: {root}. Try `kaname kpis -w {dir}` or `kaname kpis -w {dir} --dimension "
            "channel`. Sample files to import: leads.csv, opportunities.csv, spend.csv.",
            lang,
            root=f"[bold]{ws.root}[/]",
            dir=directory,
        )
    )
    if not serve:
        console.print(tr("The dashboard: `kaname serve` in the workspace folder."))
    if serve:
        from kaname.cli.serve import DEMO_ADMIN, demo_admin, serve_workspace

        password = demo_admin(ws)
        console.print(
            word(
                "Dashboard login: user {user}, one-time password {password} (you choose your own "
                "at first login).",
                lang,
                user=f"[bold]{DEMO_ADMIN}[/]",
                password=f"[bold]{password}[/]",
            )
        )
        serve_workspace(ws, host, port)


@app.command()
def samples(
    workspace: WorkspaceOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files already there.")] = False,
) -> None:
    """Write small sample files (leads, opportunities, spend; Japanese, one in CP932) to import."""
    from kaname.demo import SAMPLE_FILES, write_samples

    ws = open_workspace(workspace)
    written = write_samples(ws.root, overwrite=force)
    lang = ws.config.language
    for name, table in SAMPLE_FILES.items():
        state = "written" if ws.root / name in written else "kept (--force overwrites)"
        try_it = word("Try `kaname import {table} {name} --dry-run`.", lang, table=table, name=name)
        console.print(
            word(
                "{path}: {state}. {try}",
                lang,
                path=ws.root / name,
                state=word(state, lang),
                **{"try": try_it},
            )
        )


@app.command()
def kpis(
    workspace: WorkspaceOpt = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="Period as you write it, e.g. 2025-10, 2025年10月, FY2025-Q3, 2025年度 第3四半期, "
            "FY2025; a range of days 2017-01-01..2017-12-31; a preset (今月, 先月, "
            "last_30_days …); or all (default: the current month).",
        ),
    ] = None,
    grain: Annotated[
        PeriodGrain, typer.Option(help="Grain of the default (current) period.")
    ] = PeriodGrain("month"),
    dimension: Annotated[
        str | None, typer.Option(help="Split by channel, campaign, segment, owner or stage.")
    ] = None,
    view: Annotated[
        Literal["period", "cohort"],
        typer.Option(
            help="Events in the period, or the cohort of leads created in it, followed to outcome.",
        ),
    ] = "period",
    kpi: Annotated[
        list[str] | None, typer.Option("--kpi", "-k", help="KPI id (repeatable; default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Actual, target, achievement, pacing projection and status of KPIs for a period."""
    ws = open_workspace(workspace)
    try:
        chosen = ws.period(period, Grain(grain.value))
        report = ws.kpi_report(kpi, chosen, dimension, view)
    except USER_ERRORS as exc:
        raise fail(exc) from exc
    if report.empty:
        raise fail(
            MetricError(
                f"no KPI can be shown {'by ' + dimension if dimension else ''} in the {view} view; "
                "check --dimension and --view (`kaname catalog` shows what each KPI allows)"
            )
        )
    if as_json:
        print_json(to_jsonable(report))
        return
    lang = ws.config.language
    label = "cohort view: leads created in the period" if view == "cohort" else "period view"
    period_text = period_name(chosen.label, lang, ws.config.fiscal_year_start_month)
    today = ws.today().strftime("%Y/%m/%d") if lang == "ja" else str(ws.today())
    title = f"{period_text} — {word(label, lang)} — {word('as of {date}', lang, date=today)}"
    catalog = ws.catalog
    names = lambda k: catalog.get(k).name(lang) if k in catalog else None  # noqa: E731
    console.print(kpi_table(report, ws.config.currency, lang, title, names))


@app.command()
def refresh(
    workspace: WorkspaceOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Recompute every period.")] = False,
) -> None:
    """Materialise KPI values (incremental: only periods that new data touches)."""
    ws = open_workspace(workspace)
    try:
        lang = ws.config.language
        with progress_bar(word("Refreshing KPIs", lang), lang) as update:
            result = ws.refresh(full=full, progress=update)
    except USER_ERRORS as exc:
        raise fail(exc) from exc
    if result.redone:
        runs = ", ".join(str(r) for r in result.redone)
        again = (
            "Refresh run {runs} did not finish (interrupted or failed); "
            "this refresh did its work again."
        )
        console.print(f"[yellow]{word(again, lang, runs=runs)}[/]")
    if result.jobs == 0:
        console.print(word("Nothing changed since the last refresh.", lang))
    else:
        since = " from {date}" if result.from_date else ""
        done = f"{result.mode.capitalize()} refresh{since}: {{rows}} KPI values."
        console.print(word(done, lang, rows=f"{result.rows:,}", date=result.from_date))


@app.command()
def runs(
    workspace: WorkspaceOpt = None,
    limit: Annotated[int, typer.Option(help="How many of each kind.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Recent refresh, import and sync runs with their status (running, ok, failed,
    interrupted)."""
    ws = open_workspace(workspace)
    rows = [{"kind": "refresh", "what": r["mode"], **r} for r in ws.refresh_runs(limit)] + [
        {"kind": "import", "what": r["table"], **r} for r in ws.ingest.import_runs(limit)
    ]
    rows += [
        {
            "kind": "sync",
            "what": r["source"],
            **r,
            "run_id": r["id"],
            "message": r["error"],
            "started_at": dt.datetime.fromisoformat(r["started_at"]),
        }
        for r in ws.connectors.history(limit=limit)
    ]
    rows.sort(key=lambda r: r["started_at"], reverse=True)
    if as_json:
        print_json(jsonable(rows))
        return
    lang, zone = ws.config.language, ws.config.timezone
    table = Table(title=None)
    for header, settings in (
        ("kind", NAME),
        ("run", NUMBER),
        ("what", NAME),
        ("status", STATUS),
        ("started", STATUS),
        ("rows", NUMBER),
        ("note", NAME),
    ):
        table.add_column(word(header, lang), **settings)
    styles = {"ok": "green", "running": "cyan", "failed": "red", "interrupted": "yellow"}
    done = {
        "refresh": lambda r: f"{r['jobs_done']}/{r['jobs']} {word('jobs', lang)}",
        "import": lambda r: r["file"],
        "sync": lambda r: (
            word("resumed by run {run}", lang, run=r["resumed_by"]) if r["resumed_by"] else ""
        ),
    }
    for r in rows:
        note = " · ".join(x for x in (done[r["kind"]](r), r["message"]) if x)
        style = styles.get(r["status"], "")
        what = table_word(r["what"], lang) if r["kind"] == "import" else word(r["what"], lang)
        table.add_row(
            word(r["kind"], lang),
            str(r["run_id"]),
            what,
            f"[{style}]{word(r['status'], lang)}[/]",
            clock_time(r["started_at"], zone, lang),
            f"{r['rows_read'] if r['kind'] == 'import' else r['rows']:,}",
            note,
        )
    console.print(table)


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
        console.print(f"{key:>30}: {value}")


from kaname.cli.ingest import register as _register_ingest  # noqa: E402

_register_ingest(app)


from kaname.cli import connect as _connect  # noqa: E402

_connect.register(app)


from kaname.cli import analytics as _analytics  # noqa: E402

_analytics.register(app, WorkspaceOpt, JsonOpt, open_workspace, fail, USER_ERRORS)


from kaname.cli import serve as _serve  # noqa: E402

_serve.register(app, WorkspaceOpt, open_workspace, fail, USER_ERRORS)


from kaname.cli import act as _act  # noqa: E402

_act.register(app, catalog_app, WorkspaceOpt, JsonOpt, open_workspace, fail, USER_ERRORS)


from kaname.cli import remote as _remote  # noqa: E402

_remote.register(app)

from kaname.cli.workers import create_worker_app  # noqa: E402, F401 - `serve --workers` loads it here


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
