"""Rendering helpers shared by CLI commands: tables, JSON, errors, progress."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kaname.formatting import format_percent, format_value

console = Console()
err_console = Console(stderr=True)

STATUS_STYLE = {
    "on_track": "[green]● on track[/]",
    "at_risk": "[yellow]● at risk[/]",
    "off_track": "[red]● off track[/]",
    "no_target": "[dim]– no target[/]",
    "no_data": "[dim]– no data[/]",
}


def to_jsonable(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for rec in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in rec.items():
            if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
                clean[key] = None
            elif hasattr(value, "isoformat"):
                clean[key] = value.isoformat()
            else:
                clean[key] = value
        records.append(clean)
    return records


def print_json(data: Any) -> None:
    console.out(json.dumps(data, ensure_ascii=False, indent=2), highlight=False)


def kpi_table(report: pd.DataFrame, currency: str, language: str, title: str) -> Table:
    dim = bool(len(report)) and bool(report["dimension"].iloc[0])
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    if dim:
        table.add_column(str(report["dimension"].iloc[0]))
    for name in ("actual", "target", "achievement", "projection", "status"):
        table.add_column(name, justify="right" if name != "status" else "left")
    for rec in report.itertuples(index=False):
        cells = [f"{rec.name}\n[dim]{rec.kpi}[/]"]
        if dim:
            cells.append(str(rec.dimension_value))
        actual = format_value(rec.actual, rec.unit, currency, language)
        if rec.note and math.isnan(rec.actual):
            actual = f"— [dim]({rec.note})[/]"
        cells += [
            actual,
            format_value(rec.target, rec.unit, currency, language),
            format_percent(rec.achievement),
            format_value(rec.projection, rec.unit, currency, language),
            STATUS_STYLE.get(rec.status, rec.status),
        ]
        table.add_row(*cells)
    return table


@contextmanager
def progress_bar(description: str) -> Iterator[Any]:
    """A Rich progress bar; yields a callback(label, done, total)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("[dim]{task.fields[label]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=None, label="")

        def update(label: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, label=label)

        yield update
