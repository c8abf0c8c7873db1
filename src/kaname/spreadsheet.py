"""Cells written for spreadsheets (CSV and xlsx exports) that open as text, never as formulas.

Excel, LibreOffice and Google Sheets run a cell that begins with = + - @ (or a tab or carriage
return before one) as a formula, so a value an outsider typed into a form or a file could run
on the machine of whoever opens the export (CSV/formula injection, OWASP). `neutralise` puts an
apostrophe in front of such text; plain numbers such as -5 or +3.5 stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """`value`, with an apostrophe in front when it is text a spreadsheet would run as a
    formula. Anything that is not text (numbers, dates, None) is returned as it is."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if any(c.isdigit() for c in value) and _NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """`neutralise` over a row of cells."""
    return [neutralise(v) for v in values]


def neutralise_workbook(workbook: Any) -> None:
    """Neutralise every text cell of an openpyxl workbook in place (action titles, learnings,
    KPI names and other text users typed)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = neutralise(cell.value)


# ---------------------------------------------------------------------- table exports
FORMATS = {
    "int": "#,##0",
    "number": "#,##0.0",
    "ratio": "0.0%",
    "multiple": "0.00",
    "text": "@",
}
"""xlsx number formats by column kind; money is `money_format(currency)`."""


def money_format(currency: str, language: str) -> str:
    """The xlsx format of money: 1,234円 for yen in Japanese, ¥1,234 in English."""
    if currency == "JPY":
        return '#,##0"円"' if language == "ja" else '"¥"#,##0'
    return f'#,##0 "{currency}"'


UNIT_KINDS = {"currency": "money", "count": "int", "ratio": "ratio", "multiple": "multiple"}
"""The column kind of each KPI unit (days, minutes, months, points, scores: "number")."""


def unit_format(unit: str, currency: str, language: str) -> str:
    """The xlsx number format of a KPI unit: money as 1,234円 / ¥1,234, counts as whole numbers
    with separators (never "112."), rates as percentages (18.5%, never 0.185)."""
    kind = UNIT_KINDS.get(unit, "number")
    return money_format(currency, language) if kind == "money" else FORMATS[kind]


@dataclass
class Table:
    """One exported table: a sheet name, headers in the reader's language, rows of plain
    values (numbers stay numbers) and each column's kind (text, int, number, ratio, money,
    multiple) for the xlsx number formats."""

    key: str
    title: str
    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    cell_kinds: list[list[str]] | None = None
    """Per-cell kinds where a column mixes units (a KPI table's actuals: money, counts, rates)."""


def table_csv(table: Table) -> bytes:
    """A table as CSV in UTF-8 with a BOM (Excel then reads Japanese correctly), every
    formula-like text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(neutralise_row(table.headers))
    for row in table.rows:
        writer.writerow(neutralise_row("" if v is None else v for v in row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, n = clean, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def tables_xlsx(tables: list[Table], money: str) -> bytes:
    """Tables as an xlsx workbook, one sheet each (named by the table's title), with number
    formats per column kind (`money` for amounts) and every text cell neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for table in tables:
        sheet = wb.create_sheet(_sheet_title(table.title, taken))
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        for r, row_cells in enumerate(sheet.iter_rows(min_row=2)):
            kinds = table.cell_kinds[r] if table.cell_kinds else table.kinds
            for cell, kind in zip(row_cells, kinds, strict=False):
                fmt = money if kind == "money" else FORMATS.get(kind)
                if fmt and kind != "text" and isinstance(cell.value, int | float):
                    cell.number_format = fmt
        for col in range(1, len(table.headers) + 1):
            letter = sheet.cell(row=1, column=col).column_letter
            width = max((len(str(c.value or "")) for c in sheet[letter]), default=8)
            sheet.column_dimensions[letter].width = min(50, max(10, width + 2))
        sheet.freeze_panes = "B2"
    neutralise_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
