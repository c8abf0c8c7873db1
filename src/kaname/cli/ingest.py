"""`kaname import`, `mapping`, `quarantine`, `quality` and `score`: thin calls to
`Workspace.ingest`, rendered with Rich or as JSON."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from kaname.canonical.labels import column_label, column_labels
from kaname.cli.common import JsonOpt, WorkspaceOpt
from kaname.cli.render import (
    console,
    dimension_value,
    err_console,
    jsonable,
    print_json,
    progress_bar,
    table_word,
)
from kaname.cli.words import word
from kaname.formatting import local_time
from kaname.ingest.importer.mapping import MappingError
from kaname.ingest.importer.readers import ReadError
from kaname.ingest.scoring import ScoringError

SheetOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Worksheet of an .xlsx file (default: the first)."),
]

mapping_app = typer.Typer(help="Column mappings for file import: suggest, save, list.")
quality_app = typer.Typer(help="Data quality findings and explicit duplicate merges.")
INGEST_ERRORS: tuple[type[BaseException], ...] = (MappingError, ReadError, ScoringError, ValueError)


def _errors() -> tuple[type[BaseException], ...]:
    from kaname.cli.common import USER_ERRORS

    return (*USER_ERRORS, *INGEST_ERRORS)


def _open(workspace: Path | None) -> Any:
    from kaname.cli.common import open_workspace

    return open_workspace(workspace)


def _fail(exc: BaseException) -> typer.Exit:
    from kaname.cli.common import fail

    return fail(exc)


def import_file(
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. leads, spend.")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, BOM or Shift_JIS) or .xlsx file.")],
    mapping: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--mapping", "-m", help="Mapping YAML (default: saved or suggested)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and count; write nothing.")
    ] = False,
    sheet: SheetOpt = None,
    report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Write the quarantine report (row, column, value, reason) as CSV."),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a CSV or Excel file into a canonical table (upsert on the table's key)."""
    ws = _open(workspace)
    try:
        chosen = ws.ingest.read_mapping(mapping) if mapping else None
        lang = ws.config.language
        bar = (
            nullcontext(None)
            if as_json
            else progress_bar(word("Importing {name}", lang, name=file.name), lang)
        )
        with bar as update:
            summary = ws.ingest.import_file(
                table, file, chosen, dry_run=dry_run, sheet=sheet, progress=update
            )
    except _errors() as exc:
        raise _fail(exc) from exc
    if report is not None:
        from kaname.ingest.importer.load import report_csv

        report.write_bytes(report_csv(summary["issues"], ws.ingest.language, summary["table"]))
    if as_json:
        print_json(jsonable(summary))
        return
    _print_summary(summary, lang, report)


def _table(table: str, lang: str) -> str:
    """A canonical table in Japanese by its name (リード); English keeps the id the commands
    take (leads)."""
    return table_word(table, lang) if lang == "ja" else table


def _print_summary(summary: dict[str, Any], lang: str, report: Path | None) -> None:
    """The counts of an import (or a dry run), its quarantined cells, notes and scoring."""
    table = _table(summary["table"], lang)
    names = {"file": f"[bold]{summary['file']}[/]", "table": f"[bold]{table}[/]"}
    encoding = word(str(summary["encoding"]), lang)  # cp932 reads Shift_JIS in Japanese
    if summary["run_id"] is None:
        said = word(
            "Would import {file} into {table} ({encoding}).",
            lang,
            encoding=encoding,
            **names,
        )
    else:
        run = word(", run {run}", lang, run=summary["run_id"])
        said = word(
            "Imported {file} into {table} ({encoding}){run}.",
            lang,
            encoding=encoding,
            run=run,
            **names,
        )
    console.print(said)
    grid = Table(show_header=False, box=None)
    for key in ("rows_read", "inserted", "updated", "unchanged", "quarantined"):
        grid.add_row(word(key.replace("_", " "), lang), f"{summary[key]:,}")
    if summary["blank_rows"]:
        grid.add_row(word("blank rows skipped", lang), f"{summary['blank_rows']:,}")
    console.print(grid)
    if not summary["reconciles"]:  # pragma: no cover - an invariant; shown if it ever breaks
        err_console.print(
            f"[bold red]{word('The counts do not reconcile; please report this.', lang)}[/]"
        )
    issues = summary["issues"]
    if issues:
        title = word("Quarantined ({n} cells)", lang, n=f"{len(issues):,}")
        table_out = Table(title=title, title_justify="left")
        for name in ("row", "column", "value", "reason"):
            cell = name == "value" and lang == "ja"  # the cell's value, not attributed revenue
            table_out.add_column(word("cell value" if cell else name, lang))
        for rec in issues[:20]:
            column = column_label(summary["table"], rec["column"], lang)
            table_out.add_row(str(rec["row"]), column, str(rec["value"]), rec["reason"])
        console.print(table_out)
        more = f"{len(issues) - 20:,}"
        if len(issues) > 20 and report:
            rest = word("… {n} more; the full report is in {report}.", lang, n=more, report=report)
            console.print(f"[dim]{rest}[/]")
        elif len(issues) > 20:
            rest = word(
                "… {n} more; the full report is `kaname quarantine {run}`.",
                lang,
                n=more,
                run=summary["run_id"],
            )
            console.print(f"[dim]{rest}[/]")
    for note in summary.get("notes", []):
        console.print(f"[yellow]{note}[/]")
    if summary.get("scoring"):
        sc = summary["scoring"]
        console.print(
            word(
                "Lead scores updated: {changed} changed, {mqls} new MQLs.",
                lang,
                changed=f"{sc['changed']:,}",
                mqls=f"{sc['new_mqls']:,}",
            )
        )


@mapping_app.command("suggest")
def mapping_suggest(
    table: Annotated[str, typer.Argument(help="Canonical table.")],
    file: Annotated[Path, typer.Argument(help="The file whose headers to map.")],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="Write the mapping YAML here (edit, then --mapping)."),
    ] = None,
    save: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Save it in the workspace under this name (used for the same headers)."),
    ] = None,
    sheet: SheetOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Suggest the column mapping of a file from its headers (English and Japanese)."""
    ws = _open(workspace)
    try:
        suggestion = ws.ingest.suggest_mapping(table, file, sheet)
        if save:
            ws.ingest.save_mapping(suggestion["mapping"], save)
    except _errors() as exc:
        raise _fail(exc) from exc
    if out is not None:
        out.write_text(suggestion["yaml"], encoding="utf-8")
    if as_json:
        print_json(jsonable(suggestion))
        return
    lang = ws.config.language
    title = f"{file.name} → {_table(table, lang)}" + (
        word(" (saved mapping {name})", lang, name=suggestion["saved"])
        if suggestion["saved"]
        else ""
    )
    grid = Table(title=title, title_justify="left")
    for name in ("header", "column", "confidence", "samples"):
        grid.add_column(word(name, lang))
    labels = column_labels(table, lang)
    for row in suggestion["headers"]:
        column = row["column"]
        grid.add_row(
            row["header"],
            labels.get(column, column) if column else f"[dim]{word('— ignored', lang)}[/]",
            f"{row['confidence']:.2f}",
            ", ".join(row["samples"]),
        )
    console.print(grid)
    if suggestion["missing_required"]:
        missing = ", ".join(labels.get(c, c) for c in suggestion["missing_required"])
        console.print(f"[yellow]{word('Required columns without a header:', lang)}[/] {missing}")
    if out is not None:
        console.print(
            word(
                "Wrote {out}; edit it, then `kaname import {table} FILE --mapping {out}`.",
                lang,
                out=out,
                table=table,
            )
        )
    if save:
        console.print(
            word("Saved as {name}: files with these headers will use it.", lang, name=repr(save))
        )


@mapping_app.command("list")
def mapping_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List the saved mappings."""
    ws = _open(workspace)
    rows = ws.ingest.saved_mappings()
    if as_json:
        print_json(jsonable(rows))
        return
    lang = ws.config.language
    if not rows:
        console.print(
            word("No saved mappings yet: `kaname mapping suggest TABLE FILE --save NAME`.", lang)
        )
    for row in rows:
        console.print(f"{row['id']:>4}  {_table(row['table'], lang):<20} {row['name']}")


def quarantine(
    run_id: Annotated[int, typer.Argument(help="Import run id (printed by kaname import).")],
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="Write the report as CSV (UTF-8 with BOM)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The quarantine report of an import: row, column, value and reason."""
    ws = _open(workspace)
    rows = ws.ingest.quarantine(run_id)
    lang = ws.config.language
    if out is not None:
        out.write_bytes(ws.ingest.quarantine_csv(run_id))
        console.print(word("Wrote {n} lines to {out}.", lang, n=f"{len(rows):,}", out=out))
        return
    if as_json:
        print_json(rows)
        return
    title = word("Import run {run}: quarantined cells", lang, run=run_id)
    grid = Table(title=title, title_justify="left")
    for name in ("row", "column", "value", "reason"):
        cell = name == "value" and lang == "ja"
        grid.add_column(word("cell value" if cell else name, lang))
    for rec in rows:
        column = column_label("", rec["column"], lang)
        grid.add_row(str(rec["row"]), column, str(rec["value"]), rec["reason"])
    console.print(grid)


def example_text(example: dict[str, Any], lang: str) -> str:
    """A data-quality example as `key=value` pairs; in Japanese each key by its name (日付, not
    date), channels by theirs, dates without a midnight time and whole amounts without .0."""
    if lang != "ja":
        return ", ".join(f"{k}={v}" for k, v in example.items())
    table = str(example.get("table") or "")
    parts = []
    for key, value in example.items():
        if key in ("channel", "segment") and value:
            shown = dimension_value(key, value, lang)
        elif key == "table" and value:
            shown = table_word(str(value), lang)
        elif key in ("column", "field") and value:
            shown = column_label(table, str(value), lang)
        elif isinstance(value, float) and value.is_integer():
            shown = f"{int(value):,}"
        else:
            shown = str(value).removesuffix("T00:00:00").removesuffix(" 00:00:00")
        parts.append(f"{column_label(table, key, lang)}={shown}")
    return "、".join(parts)


_SEVERITY = {"error": "[red]{}[/]", "warning": "[yellow]{}[/]", "info": "[dim]{}[/]"}


@quality_app.callback(invoke_without_command=True)
def quality(
    ctx: typer.Context,
    stale_days: Annotated[int, typer.Option(help="A table not loaded for this long is stale.")] = 7,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Data-quality findings: duplicates, missing fields, stage order, orphans, outliers."""
    if ctx.invoked_subcommand is not None:
        return
    ws = _open(workspace)
    try:
        result = ws.ingest.quality(stale_days)
    except _errors() as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(jsonable(result))
        return
    lang = ws.config.language
    findings = result["findings"]
    if not findings:
        console.print(word("No data-quality findings.", lang))
        return
    grid = Table(title=word("Data quality", lang), title_justify="left", show_lines=True)
    for name in ("severity", "finding", "count", "fix"):
        grid.add_column(word(name, lang))
    for f in findings:
        examples = "; ".join(example_text(ex, lang) for ex in f["examples"][:2])
        # the finding's id is for the English reader's scripts; a Japanese table shows no ids
        finding_id = f"{f['id']}  " if lang != "ja" else ""
        severity = f["severity"]
        grid.add_row(
            _SEVERITY.get(severity, "{}").format(word(severity, lang)),
            f"{f['title'][lang]}\n[dim]{finding_id}{word('e.g.', lang)} {examples}[/]"
            if examples or finding_id
            else f["title"][lang],
            f"{f['count']:,}",
            f["fix"][lang],
        )
    console.print(grid)


@quality_app.command("merge")
def quality_merge(
    table: Annotated[str, typer.Argument(help="leads or accounts.")],
    keep: Annotated[str, typer.Argument(help="Key of the row to keep.")],
    others: Annotated[list[str], typer.Argument(help="Keys of the duplicates to merge into it.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the merge log).")] = "",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge duplicate leads or accounts into one (logged; references re-pointed)."""
    ws = _open(workspace)
    try:
        result = ws.ingest.merge(table, keep, others, reason)
    except _errors() as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(result)
        return
    lang = ws.config.language
    moved = ", ".join(
        f"{_table(k, lang)}: {v}" for k, v in result["repointed"].items() if v
    ) or word("none", lang)
    console.print(
        word(
            "Merged {others} into {keep} (merge {merge}); references re-pointed: {moved}.",
            lang,
            others=", ".join(others),
            keep=keep,
            merge=result["merge_id"],
            moved=moved,
        )
    )


@quality_app.command("merges")
def quality_merges(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The merge log."""
    ws = _open(workspace)
    rows = ws.ingest.merges()
    if as_json:
        print_json(jsonable(rows))
        return
    lang = ws.config.language
    if not rows:
        console.print(word("No merges yet.", lang))
    for r in rows:
        when = local_time(r["created_at"], ws.config.timezone)
        console.print(
            f"{r['merge_id']:>4} {when:%Y-%m-%d %H:%M} {_table(r['table'], lang)}: "
            f"{', '.join(r['merged'])} → {r['kept']} {r['reason']}"
        )


def score(
    predictive: Annotated[
        bool,
        typer.Option(
            "--predictive",
            help="Also fit a model on history and report its holdout AUC and calibration.",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply the rule-based lead score (scoring.yaml) and the MQL threshold."""
    ws = _open(workspace)
    try:
        result = ws.ingest.score(predictive)
    except _errors() as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(jsonable(result))
        return
    lang = ws.config.language
    console.print(
        word(
            "Scored {scored} leads: {changed} changed, {mqls} new MQLs at threshold {threshold}.",
            lang,
            scored=f"{result['scored']:,}",
            changed=f"{result['changed']:,}",
            mqls=f"{result['new_mqls']:,}",
            threshold=result["threshold"],
        )
    )
    pred = result.get("predictive")
    if pred:
        console.print(pred["message"])
        if pred.get("auc_model") is not None:
            console.print(
                word(
                    "holdout: {n} leads; AUC model {auc} ({model}), rules {rules}; Brier {brier}",
                    lang,
                    n=f"{pred['holdout']:,}",
                    auc=f"{pred['auc_model']:.3f}",
                    model=pred["model"],
                    rules=f"{pred['auc_rules']:.3f}",
                    brier=f"{pred['brier']:.3f}",
                )
            )


def register(app: typer.Typer) -> None:
    """Add the import, mapping, quarantine, quality and score commands to `app`."""
    app.command("import")(import_file)
    app.add_typer(mapping_app, name="mapping")
    app.command("quarantine")(quarantine)
    app.add_typer(quality_app, name="quality")
    app.command("score")(score)
