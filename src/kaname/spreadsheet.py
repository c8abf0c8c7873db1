"""Cells written for spreadsheets (CSV and xlsx exports) that open as text, never as formulas.

Excel, LibreOffice and Google Sheets run a cell that begins with = + - @ (or a tab or carriage
return before one) as a formula, so a value an outsider typed into a form or a file could run
on the machine of whoever opens the export (CSV/formula injection, OWASP). `neutralise` puts an
apostrophe in front of such text; plain numbers such as -5 or +3.5 stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
