"""`kaname catalog` (list, add, remove KPIs) and `kaname benchmarks`: the KPI catalog."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer

from kaname.cli.common import USER_ERRORS, JsonOpt, WorkspaceOpt, fail, open_workspace
from kaname.cli.render import (
    console,
    print_json,
)
from kaname.metrics.catalog import PHASE_NAMES, Kpi
from kaname.metrics.measures import MEASURES, PARAMETERS

Phase = Literal["awareness", "lead", "deal", "retention"]

catalog_app = typer.Typer(help="The KPI catalog: list, add and remove KPIs.", no_args_is_help=False)


@catalog_app.callback(invoke_without_command=True)
def catalog_list(
    ctx: typer.Context,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
    measures: Annotated[
        bool, typer.Option("--measures", help="List base measures instead.")
    ] = False,
    phase: Annotated[Phase | None, typer.Option(help="awareness, lead, deal or retention.")] = None,
    wide: Annotated[
        bool, typer.Option("--wide", help="Show every column, however narrow the terminal.")
    ] = False,
) -> None:
    """List the KPIs (built-in and this workspace's custom ones). A narrow terminal drops the
    formula, dimension and direction columns (the title says so); --wide shows them all."""
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
    ws = open_workspace(workspace) if (workspace or _has_workspace()) else None
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
    from rich.table import Table

    from kaname.cli.render import NAME, NUMBER
    from kaname.cli.words import word

    def w(text: str) -> str:
        return word(text, language)

    # Columns in the order they give way on a narrow terminal (last first): the id and name
    # always show; a dropped column is named in the title, and --wide shows every one.
    columns: list[tuple[str, dict[str, Any], Any]] = [
        ("ID", {"no_wrap": True}, lambda k: k.id + (" *" if k.custom else "")),
        (w("name"), NAME, lambda k: k.name(language)),
        (w("phase"), NAME, lambda k: PHASE_NAMES[k.phase][0 if language == "ja" else 1]),
        (w("lead/lag"), NUMBER | {"justify": "left"}, lambda k: w(k.type)),
        (w("unit"), NUMBER | {"justify": "left"}, lambda k: w(k.unit)),
        (w("better"), NUMBER | {"justify": "left"}, lambda k: w(k.direction)),
        (
            w("dimensions"),
            NAME,
            lambda k: ("、" if language == "ja" else ", ").join(
                w(d) for d in catalog.dimensions_of(k.id)
            ),
        ),
        (w("formula"), NAME, lambda k: k.formula),
    ]
    keep = len(columns)
    if not wide:
        width = console.width
        keep = 8 if width >= 160 else 6 if width >= 120 else 5 if width >= 100 else 4
    shown, hidden = columns[:keep], columns[keep:]
    title = w("{n} KPIs").format(n=len(items))
    if hidden:
        title = w("{n} KPIs ({hidden} hidden at this width; --wide shows them)").format(
            n=len(items), hidden=("、" if language == "ja" else ", ").join(c[0] for c in hidden)
        )
    table = Table(title=title, title_justify="left")
    for header, settings, _value in shown:
        table.add_column(header, **settings)
    for k in items:
        table.add_row(*(value(k) for _h, _s, value in shown))
    if wide:  # every column at its natural width, past the terminal's edge if need be
        from rich.console import Console

        console.print(table.title)
        table.title = None
        Console(width=max(console.width, 1000), no_color=console.no_color).print(table)
    else:
        console.print(table)


def _has_workspace() -> bool:
    from kaname.config import CONFIG_FILE
    from kaname.context import default_root

    return (default_root() / CONFIG_FILE).exists()


def benchmarks(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Benchmark ranges used by lint and bottleneck ranking (override in benchmarks.yaml)."""
    ws = open_workspace(workspace)
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
        raise fail(exc) from exc
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
    phase: Annotated[Phase, typer.Option(help="awareness, lead, deal or retention.")] = "lead",
    kpi_type: Annotated[str, typer.Option("--type", help="leading or lagging.")] = "leading",
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a custom KPI as a formula over measures (parsed safely, never evaluated as code)."""
    ws = open_workspace(workspace)
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
        raise fail(exc) from exc
    console.print(f"Added KPI [bold]{kpi_id}[/] = {formula}")


@catalog_app.command("remove")
def catalog_remove(kpi_id: str, workspace: WorkspaceOpt = None) -> None:
    """Remove a custom KPI."""
    ws = open_workspace(workspace)
    try:
        ws.remove_custom_kpi(kpi_id)
    except USER_ERRORS as exc:
        raise fail(exc) from exc
    console.print(f"Removed KPI {kpi_id}")
