"""`kaname connect`, `kaname sync` and `kaname sources`: connectors from the command line."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from kaname.cli.common import JsonOpt, WorkspaceOpt, open_workspace
from kaname.cli.loop import tr
from kaname.cli.render import (
    NAME,
    NUMBER,
    STATUS,
    console,
    err_console,
    print_json,
    progress_bar,
    table_word,
)
from kaname.cli.words import word
from kaname.formatting import clock_time
from kaname.web.i18n import translator

STATUS_STYLES = {"ok": "green", "running": "cyan", "interrupted": "yellow", "busy": "yellow"}


def status_text(status: str) -> str:
    """A run's status in the language of this run, coloured (failed: red)."""
    return f"[{STATUS_STYLES.get(status, 'red')}]{tr(status)}[/]"


def register(app: typer.Typer) -> None:
    """Add the connector commands to the `kaname` app."""
    app.command("connect")(connect)
    app.command("sync")(sync)
    app.command("sources")(sources)


def _errors() -> tuple[type[BaseException], ...]:
    from kaname.cli.common import USER_ERRORS
    from kaname.ingest.connectors.base import ConnectorError
    from kaname.ingest.connectors.mapping import MappingError
    from kaname.ingest.connectors.secrets import SecretKeyError

    return (*USER_ERRORS, ConnectorError, MappingError, SecretKeyError)


def _fail(exc: BaseException) -> typer.Exit:
    from kaname.ingest.connectors.secrets import redact

    err_console.print(f"[bold red]{tr('Error:')}[/] {redact(str(exc))}")
    return typer.Exit(2)


def connect(
    source: Annotated[
        str, typer.Argument(help="hubspot, salesforce, marketo, ga4, google_ads or meta_ads.")
    ],
    setting: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--set",
            help="A setting as name=value (repeatable). Required settings not given are "
            "prompted (secrets without echo); optional ones, such as one of two kinds of "
            "credentials, are given here. A key file by its path: --set "
            "service_account_json=@key.json (GA4, Google Ads).",
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Make one request to test the credentials.")
    ] = True,
    workspace: WorkspaceOpt = None,
) -> None:
    """Store a source's credentials (encrypted at rest; never printed) and test them."""
    ws = open_workspace(workspace)
    try:
        spec = next((s for s in ws.connectors.available() if s["source"] == source), None)
        if spec is None:
            from kaname.ingest.connectors import get_connector

            get_connector(source)  # an unknown source: the error names the known ones
            spec = {"fields": []}
        settings: dict[str, Any] = {}
        for item in setting or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise typer.BadParameter(tr("--set {item}: write name=value").format(item=item))
            settings[name.strip()] = value
        ui = translator(ws.config.language)
        for field in spec["fields"]:
            if field["name"] in settings or not field["required"]:
                continue
            first = ui(field["help"]).splitlines()[0] if field["help"] else ""
            settings[field["name"]] = typer.prompt(
                f"{field['name']} ({first})" if first else field["name"],
                hide_input=field["secret"],
            )
        summary = ws.connectors.connect(source, settings, check=check)
    except _errors() as exc:
        raise _fail(exc) from exc
    lang = ws.config.language
    title = f"[bold]{summary['title']}[/]"
    console.print(word("Connected {title}; credentials stored encrypted.", lang, title=title))
    console.print(word("Next: `kaname sync {source}`.", lang, source=source))


def sync(
    source: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="Source to sync (default: every connected source)."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Fetch everything, not only changes.")] = (
        False
    ),
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sync sources into the warehouse (incremental, resumable) and map them to the canonical
    tables."""
    ws = open_workspace(workspace)
    try:
        lang = ws.config.language
        with progress_bar(word("Syncing", lang), lang) as update:
            results = ws.connectors.sync(source, full=full, progress=update)
    except _errors() as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json([r.to_dict() for r in results])
    else:
        if not results:
            console.print(word("No source is connected; run `kaname connect SOURCE`.", lang))
        for r in results:
            said = word(
                "{source}: {status} ({mode}) {rows} raw records",
                lang,
                source=r.source,
                status=status_text(r.status),
                mode=word(r.mode, lang),
                rows=f"{r.rows:,}",
            )
            if r.rejected:
                said += word(", {n} left out of the canonical tables", lang, n=f"{r.rejected:,}")
            if r.deleted:
                said += word(
                    ", {n} report rows no longer reported, removed", lang, n=f"{r.deleted:,}"
                )
            console.print(said)
            if r.resumed:
                runs = ", ".join(map(str, r.resumed))
                console.print(
                    "  [yellow]"
                    + tr(
                        "Sync run {runs} did not finish; this sync went on from where it stopped."
                    ).format(runs=runs)
                    + "[/]"
                )
            for name, count in sorted(r.tables.items()):
                console.print(
                    f"  {table_word(name, lang) if lang == 'ja' else name:<34} {count:>10,}"
                )
            if r.error:
                err_console.print(f"  [red]{r.error}[/]")
    if any(r.status != "ok" for r in results):  # failed, or refused: another sync runs
        raise typer.Exit(1)


def sources(
    history: Annotated[bool, typer.Option("--history", help="List the sync runs.")] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sources with their last sync (status, rows, errors); --history lists every run."""
    ws = open_workspace(workspace)
    try:
        data = ws.connectors.history() if history else ws.connectors.list_sources()
    except _errors() as exc:
        raise _fail(exc) from exc
    if as_json:
        print_json(data)
        return
    lang, zone = ws.config.language, ws.config.timezone

    def new_table(*columns: tuple[str, dict[str, Any]]) -> Table:
        table = Table()
        for header, settings in columns:
            table.add_column(word(header, lang), **settings)
        return table

    if history:
        table = new_table(
            ("run", NUMBER),
            ("source", NAME),
            ("mode", NAME),
            ("status", STATUS),
            ("started", STATUS),
            ("rows", NUMBER),
            ("error", NAME),
        )
        for run in data:
            table.add_row(
                str(run["id"]),
                run["source"],
                word(run["mode"], lang),
                word(run["status"], lang),
                clock_time(run["started_at"], zone, lang),
                f"{run['rows']:,}",
                " · ".join(
                    x
                    for x in (
                        run["error"][:80],
                        tr("resumed by run {run}").format(run=run["resumed_by"])
                        if run["resumed_by"]
                        else "",
                    )
                    if x
                ),
            )
    else:
        table = new_table(
            ("source", NAME),
            ("connected", STATUS),
            ("last sync", STATUS),
            ("status", STATUS),
            ("raw rows", NUMBER),
            ("error", NAME),
        )
        for item in data:
            last = item["last_run"] or {}
            table.add_row(
                item["title"],
                ("接続済み" if item["connected"] else "未接続")
                if lang == "ja"
                else ("yes" if item["connected"] else "no"),
                clock_time(last.get("started_at"), zone, lang),
                word(last.get("status", ""), lang),
                f"{sum(item['raw_rows'].values()):,}" if item["connected"] else "",
                (last.get("error") or "")[:80],
            )
    console.print(table)
