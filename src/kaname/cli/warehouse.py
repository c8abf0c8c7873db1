"""`kaname warehouse`: move a workspace's data to another warehouse (docs/warehouses.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kaname.cli.common import USER_ERRORS, JsonOpt, WorkspaceOpt, fail, open_workspace
from kaname.cli.render import (
    NAME,
    NUMBER,
    STATUS,
    console,
    print_json,
    progress_bar,
    table_word,
)
from kaname.cli.words import word
from kaname.config import update_config

warehouse_app = typer.Typer(
    help="The warehouse: copy its tables to another engine (PostgreSQL, Spark, ...).",
    no_args_is_help=True,
)


@warehouse_app.command("copy")
def copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Ibis URL of the target warehouse (postgres://user@host/db?schema=kaname, "
            "pyspark:///spark-warehouse, duckdb:///other.duckdb).",
        ),
    ],
    switch: Annotated[
        bool,
        typer.Option(
            "--switch",
            help="When every table's rows match, point kaname.yaml's warehouse_url at the target.",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy every table of the warehouse (canonical data, user dimensions, raw synced data) to
    another warehouse, replacing the tables it holds, and count each table's rows on both sides.
    Run it again to copy again: it never duplicates rows. Then `kaname refresh --full` there."""
    ws = open_workspace(workspace)
    lang = ws.config.language
    try:
        if as_json:
            copied = ws.copy_warehouse(to)
        else:
            with progress_bar(word("Copying tables", lang), lang) as update:
                copied = ws.copy_warehouse(to, update)
    except (*USER_ERRORS, ImportError) as exc:
        raise fail(exc) from exc
    except Exception as exc:  # the target engine's own errors (connection, rights)
        message = word("Cannot copy to {url}: {error}", lang, url=to, error=exc)
        raise fail(RuntimeError(message)) from exc
    mismatched = [c.name for c in copied if not c.reconciled]
    if switch and not mismatched:
        update_config(ws.root, {"warehouse_url": to})
    if as_json:
        print_json(
            {
                "to": to,
                "switched": switch and not mismatched,
                "tables": [
                    {
                        "table": c.name,
                        "source_rows": c.source_rows,
                        "target_rows": c.target_rows,
                        "reconciled": c.reconciled,
                    }
                    for c in copied
                ],
            }
        )
    else:
        table = Table(title=word("Copied to {url}", lang, url=to), title_justify="left")
        table.add_column(word("table", lang), **NAME)
        table.add_column(word("rows here", lang), **NUMBER)
        table.add_column(word("rows there", lang), **NUMBER)
        table.add_column(word("check", lang), **STATUS)
        for c in copied:
            mark = "[green]✓[/]" if c.reconciled else f"[red]{word('differs', lang)}[/]"
            table.add_row(
                table_word(c.name, lang), f"{c.source_rows:,}", f"{c.target_rows:,}", mark
            )
        console.print(table)
        if switch and not mismatched:
            console.print(
                word(
                    "kaname.yaml now uses {url}. Run `kaname refresh --full` there to check it.",
                    lang,
                    url=to,
                )
            )
    if mismatched:
        raise fail(
            RuntimeError(
                word("Row counts differ for: {tables}", lang, tables=", ".join(mismatched))
            )
        )
