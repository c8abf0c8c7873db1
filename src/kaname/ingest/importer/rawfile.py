"""What a reader makes of a file: its records as strings, with where each came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa


class ReadError(Exception):
    """The file cannot be imported (unreadable, or the workspace cannot take it); the message
    says how to fix it."""


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
    """utf-8, utf-8-sig, utf-16(-le/-be), cp932, euc-jp or xlsx."""
    malformed: list[MalformedRow] = field(default_factory=list)
    """Records whose field count differs from the header's (not in `table`)."""
    blank_rows: int = 0
    """Records with every cell empty, skipped."""
    uncomputed: dict[str, list[int]] = field(default_factory=dict)
    """xlsx: per header, the rows of formula cells saved without a computed value (the cell
    holds the formula's text)."""

    @property
    def headers(self) -> list[str]:
        return list(self.table.column_names)

    def uncomputed_masks(self) -> dict[str, np.ndarray]:
        """Per header, which records of `table` hold a formula without a computed value."""
        masks = {}
        for header, rows in self.uncomputed.items():
            mask = np.isin(self.rows, np.asarray(rows, dtype=np.int64))
            if mask.any():
                masks[header] = mask
        return masks


def clean_headers(raw: Sequence[object]) -> list[str]:
    """Header names trimmed, empty ones named column_N, repeats suffixed _2, _3, …"""
    names: list[str] = []
    for i, value in enumerate(raw, start=1):
        name = str(value).strip() if value is not None else ""
        name = name or f"column_{i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def string_table(headers: list[str], columns: list[list[str]]) -> pa.Table:
    return pa.table(
        {h: pa.array(c, type=pa.string()) for h, c in zip(headers, columns, strict=True)}
    )
