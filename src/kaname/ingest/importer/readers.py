"""Read a CSV or .xlsx file into a table of strings, whatever encoding Japanese Excel used.

Values stay text here; parse.py types them. Row numbers are the ones a spreadsheet shows: the
header is row 1, the first record row 2; an empty line is a row too (blank, skipped and
counted). Lines may end in CR LF, LF or a lone CR, mixed within a file.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kaname.ingest.importer.encoding import after_utf8, detect_encoding
from kaname.ingest.importer.rawfile import (
    MalformedRow,
    RawFile,
    ReadError,
    clean_headers,
    string_table,
)
from kaname.ingest.importer.xlsx import read_xlsx
from kaname.ingest.messages import message

__all__ = ["MalformedRow", "RawFile", "ReadError", "detect_encoding", "read_file"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_HEAD_CHARS = 64 * 1024
_LINE_END = re.compile(r"\r\n|\r|\n")


class _NotUtf8(Exception):
    """A file detected as UTF-8 has other bytes further on."""


def read_file(path: Path, sheet: str | None = None, language: str = "en") -> RawFile:
    """Read a .csv/.tsv/.txt (UTF-8, UTF-8 with BOM, UTF-16, Shift_JIS/CP932 or EUC-JP) or
    .xlsx file. Whatever cannot be read is a ReadError whose message says what to do."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(message("file_not_found", language, path=path))
    if path.is_dir():
        raise ReadError(message("is_folder", language, path=path))
    try:
        if suffix in XLSX_SUFFIXES:
            return _drop_blank(read_xlsx(path, sheet, language))
        if suffix in CSV_SUFFIXES:
            return _drop_blank(_read_csv(path, language))
    except PermissionError as exc:
        raise ReadError(message("not_permitted", language, path=path)) from exc
    raise ReadError(message("unsupported_file", language, path=path))


def _read_csv(path: Path, language: str) -> RawFile:
    encoding = detect_encoding(path, language)
    try:
        return _read_csv_as(path, encoding, language)
    except _NotUtf8:
        # Valid UTF-8 in the first megabyte, not later: a legacy encoding after plain ASCII,
        # else a mixture (after_utf8 stops with the line).
        return _read_csv_as(path, after_utf8(path, language), language)


def _read_csv_as(path: Path, encoding: str, language: str) -> RawFile:
    try:
        return _read_csv_arrow(path, encoding, language)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if encoding.startswith("utf-8") and (
            isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc)
        ):
            raise _NotUtf8 from exc
        if isinstance(exc, UnicodeDecodeError):
            raise ReadError(message("unknown_encoding", language, path=path)) from exc
        raise ReadError(message("unreadable_csv", language, path=path, error=exc)) from exc
    except csv.Error as exc:
        raise ReadError(message("unreadable_csv", language, path=path, error=exc)) from exc


def _header_line(path: Path, encoding: str, language: str) -> tuple[list[str], str, bool]:
    """The headers, the delimiter and whether the file holds nothing after its header."""
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(_HEAD_CHARS)
    if not sample.strip():
        raise ReadError(message("empty_file", language, path=path))
    first = _LINE_END.split(sample, maxsplit=1)[0]
    if not first.strip():
        raise ReadError(message("empty_file", language, path=path))
    delimiter = max(("\t", ",", ";"), key=first.count) if first.count(",") == 0 else ","
    _allow_fields_of(path)
    # newline="": the csv module sees CR, LF and CR LF line ends as they are.
    header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    header_only = len(sample) < _HEAD_CHARS and not sample[len(first) :].strip()
    return clean_headers(header), delimiter, header_only


def _allow_fields_of(path: Path) -> None:
    """Let the csv module read a cell as long as the file (its default stops at 128 KiB)."""
    size = path.stat().st_size
    if size > csv.field_size_limit():
        csv.field_size_limit(min(size, 2**31 - 1))


def _read_csv_arrow(
    path: Path, encoding: str, language: str = "en", newlines_in_values: bool = False
) -> RawFile:
    """Parallel Arrow reader; a quoted line break shows up as a short row, so the file is
    read again allowing line breaks in values, and rows still wrong go the exact way."""
    headers, delimiter, header_only = _header_line(path, encoding, language)
    if header_only:
        return RawFile(
            string_table(headers, [[] for _ in headers]), np.zeros(0, np.int64), encoding
        )
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
            # An empty line is a row: the rows after it keep their spreadsheet numbers.
            ignore_empty_lines=False,
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
    blank = 0
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        next(reader, None)
        for number, record in enumerate(reader, start=2):
            if len(record) != width:
                if not any(cell.strip() for cell in record):
                    blank += 1
                    continue
                malformed.append(
                    MalformedRow(number, width, len(record), delimiter.join(record)[:200])
                )
                continue
            rows.append(number)
            for col, cell in zip(columns, record, strict=True):
                col.append(cell)
    table = string_table(headers, columns)
    return RawFile(table, np.asarray(rows, dtype=np.int64), encoding, malformed, blank)


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
