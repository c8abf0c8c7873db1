"""Read a CSV or .xlsx file into a table of strings, whatever encoding Japanese Excel used.

Values stay text here; parse.py types them. Row numbers are the ones a spreadsheet shows: the
header is row 1, the first record row 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kaname.ingest.messages import message

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_SNIFF_BYTES = 1 << 20


class ReadError(Exception):
    """The file cannot be read; the message says how to fix it."""


@dataclass(frozen=True)
class MalformedRow:
    row: int
    expected: int
    found: int
    text: str


@dataclass
class RawFile:
    """A file's records as strings, with where each came from."""

    table: pa.Table
    """One string column per header, in file order ('' for an empty cell)."""
    rows: np.ndarray
    """Spreadsheet row number of each record of `table` (header = row 1)."""
    encoding: str
    """utf-8, utf-8-sig, cp932 or xlsx."""
    malformed: list[MalformedRow] = field(default_factory=list)
    """Records whose field count differs from the header's (not in `table`)."""
    blank_rows: int = 0
    """Records with every cell empty, skipped."""

    @property
    def headers(self) -> list[str]:
        return list(self.table.column_names)


def read_file(path: Path, sheet: str | None = None, language: str = "en") -> RawFile:
    """Read a .csv/.tsv/.txt (UTF-8, UTF-8 with BOM or Shift_JIS/CP932) or .xlsx file."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(message("file_not_found", language, path=path))
    if suffix in XLSX_SUFFIXES:
        return _drop_blank(_read_xlsx(path, sheet, language))
    if suffix in CSV_SUFFIXES:
        return _drop_blank(_read_csv(path, language))
    raise ReadError(message("unsupported_file", language, path=path))


def detect_encoding(path: Path, language: str = "en") -> str:
    """utf-8-sig when the file starts with a BOM, utf-8 when its start decodes as UTF-8,
    else cp932 (the superset of Shift_JIS that Japanese Windows and Excel write)."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("cp932")().decode(head, final=False)
        return "cp932"
    except UnicodeDecodeError:
        raise ReadError(message("unknown_encoding", language, path=path)) from None


def _header_line(path: Path, encoding: str, language: str) -> tuple[list[str], str]:
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(64 * 1024)
    first = sample.splitlines()[0] if sample.strip() else ""
    if not first.strip():
        raise ReadError(message("empty_file", language, path=path))
    delimiter = max(("\t", ",", ";"), key=first.count) if first.count(",") == 0 else ","
    header = next(csv.reader(io.StringIO(sample), delimiter=delimiter))
    return _clean_headers(header), delimiter


def _clean_headers(raw: Sequence[object]) -> list[str]:
    names: list[str] = []
    for i, value in enumerate(raw, start=1):
        name = str(value).strip() if value is not None else ""
        name = name or f"column_{i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _read_csv(path: Path, language: str) -> RawFile:
    encoding = detect_encoding(path, language)
    try:
        return _read_csv_arrow(path, encoding, language)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) and encoding.startswith("utf-8"):
            # Valid UTF-8 in the first megabyte, Shift_JIS later: read it as CP932.
            try:
                return _read_csv_arrow(path, "cp932", language)
            except (pa.ArrowInvalid, UnicodeDecodeError):
                raise ReadError(message("unknown_encoding", language, path=path)) from exc
        raise ReadError(message("unreadable_csv", language, path=path, error=exc)) from exc
    except UnicodeDecodeError as exc:
        raise ReadError(message("unknown_encoding", language, path=path)) from exc


def _read_csv_arrow(
    path: Path, encoding: str, language: str = "en", newlines_in_values: bool = False
) -> RawFile:
    """Parallel Arrow reader; a quoted line break shows up as a short row, so the file is
    read again allowing line breaks in values, and rows still wrong go the exact way."""
    headers, delimiter = _header_line(path, encoding, language)
    bad: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(1)
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=headers,
            skip_rows=1,
            encoding="utf8" if encoding.startswith("utf-8") else encoding,
            block_size=8 << 20,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=newlines_in_values,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(headers, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if bad and not newlines_in_values:
        return _read_csv_arrow(path, encoding, language, newlines_in_values=True)
    if bad:
        # Rare: rows with the wrong number of fields. Re-read exactly (record numbers matter
        # for the quarantine report), one row at a time.
        return _read_csv_python(path, encoding, headers, delimiter)
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return RawFile(table, rows, encoding)


def _read_csv_python(path: Path, encoding: str, headers: list[str], delimiter: str) -> RawFile:
    width = len(headers)
    columns: list[list[str]] = [[] for _ in headers]
    rows: list[int] = []
    malformed: list[MalformedRow] = []
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        next(reader, None)
        for number, record in enumerate(reader, start=2):
            if len(record) != width:
                if not any(cell.strip() for cell in record):
                    continue
                malformed.append(
                    MalformedRow(number, width, len(record), delimiter.join(record)[:200])
                )
                continue
            rows.append(number)
            for col, cell in zip(columns, record, strict=True):
                col.append(cell)
    table = pa.table(
        {h: pa.array(c, type=pa.string()) for h, c in zip(headers, columns, strict=True)}
    )
    return RawFile(table, np.asarray(rows, dtype=np.int64), encoding, malformed)


def _cell_text(value: object) -> str:
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


def _read_xlsx(path: Path, sheet: str | None, language: str) -> RawFile:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = workbook[sheet] if sheet else workbook.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None or not any(v not in (None, "") for v in header):
            raise ReadError(message("empty_file", language, path=path))
        while header and header[-1] in (None, ""):
            header = header[:-1]
        headers = _clean_headers(list(header))
        width = len(headers)
        columns: list[list[str]] = [[] for _ in headers]
        malformed: list[MalformedRow] = []
        rows: list[int] = []
        for number, values in enumerate(it, start=2):
            cells = [_cell_text(v) for v in values]
            extra = [c for c in cells[width:] if c.strip()]
            if extra:
                found = max(i for i, c in enumerate(cells) if c.strip()) + 1
                malformed.append(MalformedRow(number, width, found, ",".join(cells)[:200]))
                continue
            cells = (cells + [""] * width)[:width]
            rows.append(number)
            for col, cell in zip(columns, cells, strict=True):
                col.append(cell)
    finally:
        workbook.close()
    table = pa.table(
        {h: pa.array(c, type=pa.string()) for h, c in zip(headers, columns, strict=True)}
    )
    return RawFile(table, np.asarray(rows, dtype=np.int64), "xlsx", malformed)


def _drop_blank(raw: RawFile) -> RawFile:
    """Drop records whose every cell is empty (Excel leaves such rows at the end of a sheet)."""
    if raw.table.num_rows == 0 or raw.table.num_columns == 0:
        return raw
    # Narrow the candidates column by column: a row stays one while each cell so far is
    # empty, null or whitespace, so after the first well-filled column almost none are left.
    candidates = np.arange(raw.table.num_rows)
    for column in raw.table.columns:
        cells = column if len(candidates) == raw.table.num_rows else column.take(candidates)
        blank = pc.or_kleene(pc.equal(pc.utf8_length(cells), 0), pc.utf8_is_space(cells))
        candidates = candidates[np.asarray(pc.fill_null(blank, True), dtype=bool)]
        if len(candidates) == 0:
            return raw
    mask = np.zeros(raw.table.num_rows, dtype=bool)
    mask[candidates] = True
    keep = ~mask
    raw.table = raw.table.filter(pa.array(keep))
    raw.rows = raw.rows[keep]
    raw.blank_rows += int(mask.sum())
    return raw
