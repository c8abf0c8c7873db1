"""What every `kaname` command shares: the errors shown as one line (exit 2, no traceback), the
--workspace and --json options, and opening the workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Optional

import typer

from kaname.cli.loop import tr
from kaname.cli.render import (
    err_console,
)
from kaname.config import ConfigError
from kaname.context import WorkspaceError
from kaname.design.plan import PlanError
from kaname.metrics.calendar import PeriodError
from kaname.metrics.catalog import CatalogError
from kaname.metrics.engine import MetricError
from kaname.metrics.formula import FormulaError
from kaname.store.warehouse import WarehouseError
from kaname.workspace import Workspace

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


def fail(exc: BaseException) -> typer.Exit:
    from kaname.cli import loop
    from kaname.formatting import NumberError

    text = exc.message(loop._language) if isinstance(exc, NumberError) else str(exc)
    ja = getattr(exc, "ja", None)
    if ja and loop._language == "ja":
        text = ja
    err_console.print(f"[bold red]{tr('Error:')}[/] {text}")
    return typer.Exit(2)


_served: ContextVar[Workspace | None] = ContextVar("kaname_served_workspace", default=None)


@contextmanager
def serving(ws: Workspace) -> Iterator[None]:
    """Commands run here (inside `kaname serve`, for the CLI beside it) use the server's open
    workspace: it holds the warehouse."""
    token = _served.set(ws)
    try:
        yield
    finally:
        _served.reset(token)


def in_server() -> bool:
    """True while a command runs inside `kaname serve` for the CLI beside it."""
    return _served.get() is not None


def open_workspace(workspace: Path | None) -> Workspace:
    served = _served.get()
    if served is not None:
        return served
    try:
        return Workspace.open(workspace)
    except USER_ERRORS as exc:
        raise fail(exc) from exc


def typed_number(text: str) -> float:
    """A CLI option's number as people type it: 500万, 1,000, 20% (→ 0.2)."""
    from kaname.formatting import NumberError, parse_number

    try:
        return parse_number(text)
    except NumberError as exc:
        raise typer.BadParameter(str(exc)) from None


def kpi_namer(ws: Workspace, ids_in_english: bool = True) -> Callable[[str], str]:
    """KPI id → its name in the workspace's language (the id for a KPI the catalog lacks):
    Japanese tables and messages name KPIs, never their ids; English ones keep the id the
    commands take, unless `ids_in_english` is False."""
    catalog, lang = ws.catalog, ws.config.language

    def name(kpi: str) -> str:
        if lang != "ja" and ids_in_english:
            return kpi
        return catalog.get(kpi).name(lang) if kpi in catalog else kpi

    return name
