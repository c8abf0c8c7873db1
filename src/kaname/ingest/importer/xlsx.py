"""Read an .xlsx sheet into a table of strings.

Date cells and numbers are read as their values. A formula saved without a computed value
(written by a program rather than Excel) keeps its formula text, and its row is reported, so
the importer quarantines it instead of loading an empty cell.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np

from kaname.ingest.importer.rawfile import (
    MalformedRow,
    RawFile,
    ReadError,
    clean_headers,
    string_table,
)
from kaname.ingest.messages import message

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_xlsx(path: Path, sheet: str | None, language: str) -> RawFile:
    """The sheet `sheet` (default: the first) of an .xlsx file. Anything openpyxl cannot read
    (an empty, corrupt or renamed file) is a ReadError that says so."""
    try:
        return _read(path, sheet, language)
    except ReadError:
        raise
    except Exception as exc:  # a damaged workbook fails in many ways (zip, XML, values)
        raise ReadError(message("unreadable_xlsx", language, path=path, error=exc)) from exc


def _open(path: Path, data_only: bool) -> Any:
    from openpyxl import load_workbook

    return load_workbook(path, read_only=True, data_only=data_only)


def _read(path: Path, sheet: str | None, language: str) -> RawFile:
    workbook = _open(path, data_only=True)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ReadError(
                message(
                    "unknown_sheet",
                    language,
                    path=path,
                    sheet=sheet,
                    sheets=", ".join(workbook.sheetnames),
                )
            )
        ws = workbook[sheet] if sheet else workbook.worksheets[0]
        formulas = _formula_rows(path, ws.title) if _has_formulas(ws) else None
        try:
            raw = _records(ws.iter_rows(values_only=True), formulas, path, language)
        finally:
            if formulas is not None:
                formulas.close()
    finally:
        workbook.close()
    return raw


def _has_formulas(ws: Any) -> bool:
    """Whether the sheet's XML has a formula element (streamed; most sheets have none)."""
    tail = b""
    with ws._get_source() as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            if _FORMULA_TAG.search(tail + block):
                return True
            tail = block[-8:]
    return False


def _formula_rows(path: Path, title: str) -> Any:
    """The sheet's rows with formulas as text ('=A2*2'), in step with its values."""
    workbook = _open(path, data_only=False)
    try:
        yield from workbook[title].iter_rows(values_only=True)
    finally:
        workbook.close()


def _records(it: Any, formulas: Any, path: Path, language: str) -> RawFile:
    header = next(it, None)
    if formulas is not None:
        next(formulas, None)
    if header is None or not any(v not in (None, "") for v in header):
        raise ReadError(message("empty_file", language, path=path))
    while header and header[-1] in (None, ""):
        header = header[:-1]
    headers = clean_headers(list(header))
    width = len(headers)
    columns: list[list[str]] = [[] for _ in headers]
    malformed: list[MalformedRow] = []
    rows: list[int] = []
    uncomputed: dict[str, list[int]] = {}
    for number, values in enumerate(it, start=2):
        cells = [cell_text(v) for v in values]
        if formulas is not None:
            written = next(formulas, ())
            for i, (value, text) in enumerate(zip(values, written, strict=False)):
                if value is None and isinstance(text, str) and text.startswith("="):
                    cells[i] = text
                    if i < width:
                        uncomputed.setdefault(headers[i], []).append(number)
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            found = max(i for i, c in enumerate(cells) if c.strip()) + 1
            malformed.append(MalformedRow(number, width, found, ",".join(cells)[:200]))
            continue
        cells = (cells + [""] * width)[:width]
        rows.append(number)
        for col, cell in zip(columns, cells, strict=True):
            col.append(cell)
    table = string_table(headers, columns)
    return RawFile(table, np.asarray(rows, dtype=np.int64), "xlsx", malformed, 0, uncomputed)
