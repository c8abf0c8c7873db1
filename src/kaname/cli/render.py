"""Rendering helpers shared by CLI commands: tables, JSON, errors, progress.

`console` and `err_console` print to this process's terminal, except while a command runs inside
`kaname serve` for a CLI beside it (cli/remote.py): then `routed()` sends what the command prints
to that CLI, rendered at its terminal's width and colours, and progress bars become progress
events the CLI draws itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kaname.cli.words import word
from kaname.formatting import format_percent, format_value, period_name


class Routed:
    """Where one forwarded command's output goes: its two consoles and its progress events."""

    def __init__(self, out: Console, err: Console, event: Callable[[dict[str, Any]], None]):
        self.consoles = (out, err)
        self.event = event


_routed: ContextVar[Routed | None] = ContextVar("kaname_cli_routed", default=None)


class _ConsoleProxy:
    """A Console that is this process's own, or the forwarded command's in a server job."""

    def __init__(self, default: Console, index: int) -> None:
        self._default = default
        self._index = index

    def current(self) -> Console:
        found = _routed.get()
        return found.consoles[self._index] if found else self._default

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)

    def __enter__(self) -> Console:
        return self.current().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.current().__exit__(*exc)


console = cast(Console, _ConsoleProxy(Console(), 0))
err_console = cast(Console, _ConsoleProxy(Console(stderr=True), 1))


@contextmanager
def routed(target: Routed) -> Iterator[None]:
    """Send what CLI commands print in this thread (or context) to `target`."""
    token = _routed.set(target)
    try:
        yield
    finally:
        _routed.reset(token)


STATUS_STYLE = {
    "on_track": ("green", "● ", "on track"),
    "at_risk": ("yellow", "● ", "at risk"),
    "off_track": ("red", "● ", "off track"),
    "no_target": ("dim", "– ", "no target"),
    "no_data": ("dim", "– ", "no data"),
}


def status_cell(status: str, language: str) -> str:
    """A KPI status in words and colour (● on track / ● 順調); never wraps (see kpi_table)."""
    if status not in STATUS_STYLE:
        return status
    style, mark, text = STATUS_STYLE[status]
    return f"[{style}]{mark}{word(text, language)}[/]"


NAME: dict[str, Any] = {"overflow": "fold", "min_width": 6}
"""Column settings of names: they wrap onto more lines rather than being cut short."""
NUMBER: dict[str, Any] = {"justify": "right", "overflow": "fold"}
"""Column settings of numbers and statuses: a number has no space to wrap at, so a column is
never narrower than its longest number (a long header folds instead); the names give way."""
STATUS: dict[str, Any] = {"justify": "left", "no_wrap": True}


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


def jsonable(data: Any) -> Any:
    """Dicts and lists with dates and datetimes as ISO strings, ready for print_json."""
    if isinstance(data, dict):
        return {k: jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [jsonable(v) for v in data]
    if hasattr(data, "isoformat"):
        return data.isoformat()
    return data


def print_json(data: Any) -> None:
    console.out(json.dumps(data, ensure_ascii=False, indent=2), highlight=False)


def table_word(table: str, language: str) -> str:
    """A canonical table as users call it (the web's names; リード for leads in Japanese)."""
    from kaname.web.i18n import translator
    from kaname.web.notes import table_names

    return table_names(translator(language)).get(table, table)


def dimension_value(dim: str, value: object, language: str) -> str:
    """A channel by its name in `language` (オウンドメディア・SEO, not owned_media); the same
    words as the report's (act/report_render.py)."""
    from kaname.act.report_render import dimension_value as named

    return named(dim, value, language)


def explain_note(
    note: str, language: str, names: Callable[[str], str | None], fy_start_month: int = 4
) -> str:
    """The engine's reason for a missing or zero value in the user's language, KPIs, tables and
    periods named (web/notes.py reads the engine's forms; the same words as the web)."""
    from kaname.web.i18n import translator
    from kaname.web.notes import explain

    return explain(
        note,
        translator(language),
        lambda kpi: names(kpi) or kpi,
        lambda label: period_name(label, language, fy_start_month),
    )


def kpi_table(
    report: pd.DataFrame,
    currency: str,
    language: str,
    title: str,
    names: Callable[[str], str | None] = lambda kpi: None,
) -> Table:
    """KPIs against target. In Japanese the KPI reads by its name only (English adds its id,
    which the commands take); names wrap, numbers and statuses never wrap or get cut."""
    dim = bool(len(report)) and bool(report["dimension"].iloc[0])
    table = Table(title=title, title_justify="left")
    table.add_column("KPI", **NAME)
    if dim:
        dim_name = str(report["dimension"].iloc[0])
        table.add_column(word(dim_name, language), **NAME)
    for name in ("actual", "target", "achievement", "projection"):
        table.add_column(word(name, language), **NUMBER)
    table.add_column(word("status", language), **STATUS)
    for rec in report.itertuples(index=False):
        cells = [rec.name if language == "ja" else f"{rec.name}\n[dim]{rec.kpi}[/]"]
        if dim:
            cells.append(dimension_value(dim_name, rec.dimension_value, language))
        actual = format_value(rec.actual, rec.unit, currency, language)
        if rec.note and (math.isnan(rec.actual) or rec.actual == 0):
            # why there is no value, or why it is 0: under the name, wrapped
            cells[0] += f"\n[dim]{explain_note(rec.note, language, names)}[/]"
        cells += [
            actual,
            format_value(rec.target, rec.unit, currency, language),
            format_percent(rec.achievement),
            format_value(rec.projection, rec.unit, currency, language),
            status_cell(rec.status, language),
        ]
        table.add_row(*cells)
    return table


@contextmanager
def progress_bar(description: str, language: str = "en") -> Iterator[Any]:
    """A Rich progress bar; yields a callback(label, done, total). The labels (a step such as
    `done`, or `year × segment × cohort`) are shown in `language`, word by word."""

    def said(label: str) -> str:
        return " × ".join(word(part, language) for part in label.split(" × "))

    found = _routed.get()
    if found is not None:  # inside the server: the CLI beside it draws the bar
        found.event({"progress": "start", "description": description})

        def forward(label: str, done: int, total: int) -> None:
            found.event({"progress": "update", "label": said(label), "done": done, "total": total})

        try:
            yield forward
        finally:
            found.event({"progress": "end"})
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),  # 3/24, or nothing while the total is unknown
        TextColumn("[dim]{task.fields[label]}"),
        TimeElapsedColumn(),
        console=cast(_ConsoleProxy, err_console).current(),
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=None, label="", count="")

        def update(label: str, done: int, total: int) -> None:
            count = f"{done}/{total}" if total else f"{done}"
            progress.update(task, completed=done, total=total, label=said(label), count=count)

        yield update


def render_solution(
    solution: Any, currency: str, language: str, names: Callable[[str], str] | None = None
) -> None:
    """Print a planner Solution: stage volumes (× channel), the month plan, unit costs, checks.
    `names` gives a stage (a KPI id) its name in `language`; the English reader sees the ids."""
    from kaname.design.planner import UNIT_COST_UNITS
    from kaname.formatting import format_value

    ja = language == "ja"
    stages = list(solution.volumes)
    channels = list(solution.by_channel)

    def stage_name(stage: str) -> str:
        return names(stage) if ja and names is not None else stage

    if ja:
        target = stage_volume(solution.kgi_stage, solution.kgi_target, currency, language)
    else:
        target = f"{solution.kgi_target:,.0f}"
    table = Table(
        title=word(
            "Required volumes for {stage} = {target}",
            language,
            stage=stage_name(solution.kgi_stage),
            target=target,
        ),
        title_justify="left",
    )
    table.add_column(word("stage", language))
    table.add_column(word("total", language), justify="right")
    for name in channels:
        table.add_column(
            dimension_value("channel", name, language) if ja else name, justify="right"
        )
    for stage in stages:
        cells = [stage_name(stage), _volume(stage, solution.volumes[stage], currency, language)]
        cells += [
            _volume(stage, solution.by_channel[c][stage], currency, language) for c in channels
        ]
        table.add_row(*cells)
    console.print(table)
    days = "{}日" if ja else "{}d"
    lead_times = ("、" if ja else ", ").join(
        f"{word(k, language)} {days.format(f'{v:.0f}')}"
        for k, v in solution.lead_times_days.items()
    )
    months = Table(
        title=word(
            "By month (seasonality: {seasonality}; lead times {source}: {lead_times})",
            language,
            seasonality=word(solution.seasonality_source, language),
            source=word(solution.lead_time_source, language),
            lead_times=lead_times,
        ),
        title_justify="left",
    )
    months.add_column(word("month", language))
    for stage in stages:
        months.add_column(stage_name(stage), justify="right")
    for month in solution.months:
        months.add_row(
            period_name(month.label, language),
            *(_volume(s, month.volumes[s], currency, language) for s in stages),
        )
    console.print(months)
    for name, value in solution.unit_costs.items():
        unit = UNIT_COST_UNITS.get(name, "currency")
        console.print(f"{word(name, language)}: {format_value(value, unit, currency, language)}")
    for check in solution.checks:  # the planner's English forms, read in the user's language
        console.print(f"• {explain_note(check, language, lambda kpi: None)}")


def stage_volume(stage: str, value: float, currency: str, language: str) -> str:
    """A planned volume: revenue as money (1.91億円 in Japanese, never 191,164,500.0)."""
    from kaname.formatting import format_money

    if stage == "revenue":
        return format_money(value, currency, language)
    return f"{value:,.1f}"


_volume = stage_volume
