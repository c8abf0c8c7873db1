"""Shared pieces of report sources (GA4, Google Ads, Meta Ads): date windows with a look-back,
and reading ad platforms' CSV exports for users without API access.

Report rows have no modified time: a sync re-pulls the last `lookback_days` (data still settling)
plus everything after the saved `through` date, window by window; each window's end is committed
once its rows are stored, so a killed sync resumes at the next window and a re-pull merges on the
row key (date × dimension), adding nothing twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kaname.clock import real_today
from kaname.ingest.connectors.base import ConnectorError


def today() -> dt.date:
    return real_today()


def date_windows(
    state: dict[str, Any],
    full: bool,
    start_date: str,
    lookback_days: int,
    window_days: int,
    end: dt.date | None = None,
) -> Iterator[tuple[dt.date, dt.date]]:
    """(first, last) day of each window to pull: from `start_date` on a first or full sync, else
    from `lookback_days` before the saved `through` date; up to `end` (today)."""
    last = end or today()
    first = dt.date.fromisoformat(start_date)
    through = None if full else state.get("through")
    if through:
        first = max(first, dt.date.fromisoformat(through) - dt.timedelta(days=lookback_days))
    while first <= last:
        stop = min(last, first + dt.timedelta(days=window_days - 1))
        yield first, stop
        first = stop + dt.timedelta(days=1)


# ---------------------------------------------------------------------------- CSV exports
class ExportError(ConnectorError):
    """A CSV export cannot be read; the message names the file and what is missing."""


def export_files(path: str) -> list[Path]:
    """The CSV files at `path` (one file, or every .csv in a folder, sorted by name)."""
    target = Path(path).expanduser()
    if target.is_dir():
        return sorted(p for p in target.iterdir() if p.suffix.lower() in (".csv", ".tsv"))
    if target.exists():
        return [target]
    raise ExportError(f"{target}: no such file or folder")


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")  # Google Ads "CSV for Excel": UTF-16, tab-separated
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", header.replace("\ufeff", "").strip().strip('"').lower())


def read_export(
    path: Path, columns: Mapping[str, Sequence[str]], required: Sequence[str]
) -> list[dict[str, str]]:
    """Rows of an export as {column: text}: finds the header row below any title lines (the first
    row naming every required column through `columns` aliases; an alias ending in `*` matches a
    prefix, e.g. "amount spent (*"), and skips total and blank rows."""
    text = _decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if text.count("\t") > text.count(",") and "\t" in first_line + text else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    index = 0
    for index, row in enumerate(rows):  # noqa: B007 - the header's index is used below
        found = _match(row, columns)
        if all(name in found for name in required):
            break
    else:
        wanted = ", ".join(f"{n} ({' / '.join(columns[n])})" for n in required)
        raise ExportError(f"{path.name}: no header row with {wanted}")
    out = []
    for row in rows[index + 1 :]:
        if not any(cell.strip() for cell in row):
            continue
        first = (row[0] if row else "").strip().lower()
        if first.startswith(("total", "合計", "総計")):
            continue  # Google Ads total rows ("Total: Account", "Total: Campaigns")
        record = {name: row[i].strip() if i < len(row) else "" for name, i in found.items()}
        if not record.get(required[0]):
            continue
        out.append(record)
    return out


def _match(row: list[str], columns: Mapping[str, Sequence[str]]) -> dict[str, int]:
    headers = [_norm(cell) for cell in row]
    found: dict[str, int] = {}
    for name, aliases in columns.items():
        for alias in aliases:
            alias = alias.lower()
            for i, header in enumerate(headers):
                if header == alias or (alias.endswith("*") and header.startswith(alias[:-1])):
                    found.setdefault(name, i)
    return found


def parse_number(text: str) -> float | None:
    """ "¥1,234", "1,234.5", "--" (Google Ads: none) → float or None."""
    cleaned = re.sub(r"[^\d.\-]", "", text.replace("--", ""))
    if cleaned in ("", "-", "."):
        return None
    return float(cleaned)


def parse_day(text: str) -> str:
    """2025-04-01, 2025/4/1, 2025年4月1日, "Apr 1, 2025" → 2025-04-01."""
    value = text.strip()
    m = re.match(r"^(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})", value)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    for fmt in ("%b %d, %Y", "%B %d, %Y", "%m/%d/%Y", "%a, %b %d, %Y"):
        try:
            return dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise ExportError(f"unreadable date {text!r}")
