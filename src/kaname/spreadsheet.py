"""Cells a spreadsheet would run: text that begins with = + - @ (or a tab or carriage return,
which some programs strip first) is a formula to Excel, LibreOffice and Google Sheets, so a
lead named `=HYPERLINK(...)` could act when a report is opened. Exports prefix such text with
an apostrophe, which shows it as typed."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value` with an apostrophe in front when it is text a spreadsheet would read as a
    formula; numbers, dates and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
