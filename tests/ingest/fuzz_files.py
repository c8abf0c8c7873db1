"""A seeded generator of odd import files, each with what it should load (the oracle).

Shapes (issue 15): UTF-8 with and without a BOM, UTF-16 with and without one, Shift_JIS/CP932,
EUC-JP; CR LF, LF, lone CR and a CR after the header; no final line break; empty lines; ragged
rows; cells over 128 KiB; quoted commas, quotes and line breaks; header-only files; values a
spreadsheet would run as formulas; era dates that never existed; other currencies and stray
commas; e-mails with control characters; .xlsx files with uncomputed formulas, broken or empty
workbooks and unknown sheets; UTF-8 files with Shift_JIS further on; folders.

Every file that can load says, row by row, what is loaded (key → values) and which rows are
quarantined in which columns; every file that cannot names the words its error must contain.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLES = {
    "leads": ("lead_id", "account_id", "email", "created_at"),
    "opportunities": ("opportunity_id", "account_id", "amount", "created_at"),
}
JA_HEADERS = {
    "lead_id": "リードID",
    "opportunity_id": "商談ID",
    "account_id": "会社名",
    "email": "メールアドレス",
    "amount": "受注金額",
    "created_at": "作成日",
}
NAMES = ["テスト", "佐藤商事", "株式会社アルファ", "東京都港区", "Acme", "ベータ合同会社"]
TRICKY_NAMES = ['a,b "c"', "line\nbreak", "=HYPERLINK(1)", "@SUM(1)", "-2+3", "+81 3"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp932", "euc-jp"]
LINE_ENDS = ["\r\n", "\n", "\r", "cr-after-header"]


@dataclass
class Case:
    """One generated file and what importing it must give."""

    name: str
    table: str
    write: Any
    """write(path): creates the file (or folder)."""
    error: str | None = None
    """Words the error must contain; None when the file loads."""
    loaded: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Key → canonical column → value, for every row that loads."""
    quarantined: dict[int, set[str]] = field(default_factory=dict)
    """Spreadsheet row → the columns reported ('' for a row with the wrong field count)."""
    rows_read: int = 0
    blank_rows: int = 0
    sheet: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)


def _date(rng: random.Random) -> tuple[str, dt.datetime | None, bool]:
    """(text, value, valid)"""
    day = dt.date(2019, 5, 1) + dt.timedelta(days=rng.randrange(2500))
    y, m, d = day.year, day.month, day.day
    kind = rng.randrange(10)
    if kind == 0:
        bad = ["令和1年1月1日", "平成32年1月1日", "昭和64年1月8日", "R0.1.1", "2025/2/30"]
        return rng.choice(bad), None, False
    era_year = "元" if y == 2019 else str(y - 2018)
    forms = [
        f"{y}-{m:02d}-{d:02d}",
        f"{y}/{m}/{d}",
        f"{y}年{m}月{d}日",
        f"令和{era_year}年{m}月{d}日",
    ]
    forms.append(f"R{y - 2018}.{m}.{d}")
    return rng.choice(forms), dt.datetime(y, m, d), True


def _third(rng: random.Random, column: str, i: int) -> tuple[str, Any, bool]:
    """An e-mail or an amount: (text, value, valid)."""
    if column == "email":
        kind = rng.randrange(8)
        if kind == 0:
            return rng.choice([f"a{i}\x00b@x.jp", f"c{i}\x07@x.jp", "nope"]), None, False
        return f"User{i}@Example.jp", f"user{i}@example.jp", True
    value = rng.randrange(1, 10**7)
    kind = rng.randrange(8)
    if kind == 0:
        return rng.choice(["$100", "1,2,3", "€5", "12,34"]), None, False
    if kind == 1:
        return f"{value // 10_000}万円", float(value // 10_000 * 10_000), True
    return rng.choice([f"¥{value:,}", f"{value:,}", f"{value}円", str(value)]), float(value), True


def _table_case(rng: random.Random, n: int) -> Case:
    table = rng.choice(list(TABLES))
    encoding = rng.choice(ENCODINGS)
    legacy = encoding in ("cp932", "euc-jp")
    line_end = rng.choice(LINE_ENDS)
    columns = TABLES[table]
    japanese_headers = legacy or rng.random() < 0.5
    headers = [JA_HEADERS[c] if japanese_headers else c for c in columns]
    case = Case(
        f"{n:03d}-{table}-{encoding}-{line_end!r}.csv",
        table,
        None,
        mapping=dict(zip(headers, columns, strict=True)),
    )
    big = rng.random() < 0.03
    ragged = big or rng.random() < 0.3
    records: list[list[str] | None] = []  # None: an empty line
    for i in range(rng.randrange(2 if big else 0, 12)):
        if records and rng.random() < 0.1:
            records.append(None)
        key = f"F{n}-{i}"
        name = rng.choice(NAMES)
        if not legacy and rng.random() < 0.2:
            name = rng.choice(TRICKY_NAMES)
        if big and i == 0:
            name = "x" * 140_000
        date_text, date, date_ok = _date(rng)
        third_text, third, third_ok = _third(rng, columns[2], i)
        record = [key, name, third_text, date_text]
        row = len(records) + 2
        if ragged and (rng.random() < 0.3 or (big and i == 1)):
            record.append("extra")
            case.quarantined[row] = {""}
        elif not (date_ok and third_ok):
            case.quarantined[row] = {
                c for c, ok in ((columns[2], third_ok), ("created_at", date_ok)) if not ok
            }
        else:
            case.loaded[key] = {"account_id": name, columns[2]: third, "created_at": date}
        records.append(record)
    if line_end == "\r":
        # A quoted line break is a lone CR in such a file too, or it would end the line.
        for record in records:
            if record is not None:
                record[1] = record[1].replace("\n", "\r")
                if record[0] in case.loaded:
                    case.loaded[record[0]]["account_id"] = record[1]
    case.rows_read = sum(1 for r in records if r is not None)
    case.blank_rows = len(records) - case.rows_read
    text = _csv_text(headers, records, line_end, final_break=rng.random() < 0.8)
    if legacy:  # neither has ¥ (U+00A5) or €: Japanese files write ￥, and $ is as foreign
        text = text.replace("¥", "￥").replace("€", "$")
    data = text.encode(encoding)
    case.write = lambda path: path.write_bytes(data)
    return case


def _csv_text(
    headers: list[str], records: list[list[str] | None], line_end: str, final_break: bool
) -> str:
    after_header = "\r" if line_end == "cr-after-header" else line_end
    newline = "\n" if line_end == "cr-after-header" else line_end
    lines = []
    for record in records:
        if record is None:
            lines.append("")
            continue
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(record)  # quotes cells with CR or LF
        lines.append(out.getvalue()[:-2])
    body = newline.join(lines)  # the first line is a record: "\r" + "\n" stays two ends
    text = ",".join(headers) + (after_header + body if lines else "")
    return text + (newline if final_break and lines else "")


def _xlsx_case(rng: random.Random, n: int) -> Case:
    kind = rng.randrange(5)
    case = Case(f"{n:03d}-xlsx-{kind}.xlsx", "opportunities", None)
    if kind == 0:
        data = rng.choice([b"", b"PK\x03\x04broken", b"opportunity_id,amount\n", b"\x00" * 50])
        case.error = "not a readable Excel workbook"
        case.write = lambda path: path.write_bytes(data)
        return case
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "商談"
    columns = TABLES["opportunities"]
    case.mapping = {c: c for c in columns}
    sheet.append(list(columns))
    for i in range(rng.randrange(1, 8)):
        key, value = f"F{n}-{i}", rng.randrange(1, 10**6)
        day = dt.datetime(2025, 4, 1) + dt.timedelta(days=i)
        formula = rng.random() < 0.3
        sheet.append([key, rng.choice(NAMES), f"=B{i + 2}*2" if formula else value, day])
        if formula:
            case.quarantined[i + 2] = {"amount"}
        else:
            case.loaded[key] = {"account_id": sheet.cell(i + 2, 2).value, "amount": float(value)}
            case.loaded[key]["created_at"] = day
        case.rows_read += 1
    if kind == 1:
        case.sheet = "Sheet9"
        case.error = "no sheet 'Sheet9'; sheets: 商談"
    case.write = book.save
    return case


def _mixed_case(rng: random.Random, n: int) -> Case:
    lines = rng.randrange(1, 30)
    head = "lead_id,account_id,email,created_at\n" + "".join(
        f"F{n}-{i},佐藤,a@x.jp,2025-04-01\n" for i in range(lines)
    )
    data = head.encode() + f"F{n}-x,佐藤,b@x.jp,2025-04-01\n".encode("cp932")
    case = Case(f"{n:03d}-mixed.csv", "leads", lambda path: path.write_bytes(data))
    case.error = f"line {lines + 2} is not"
    return case


def _folder_case(rng: random.Random, n: int) -> Case:
    case = Case(f"{n:03d}-folder.csv", "leads", lambda path: path.mkdir())
    case.error = "is a folder"
    return case


def generate(seed: int, count: int) -> list[Case]:
    """`count` cases from `seed`: mostly CSV tables, some xlsx, mixed encodings and folders."""
    rng = random.Random(seed)
    makers = [_table_case] * 14 + [_xlsx_case] * 3 + [_mixed_case, _folder_case]
    return [rng.choice(makers)(rng, n) for n in range(count)]


def write_all(cases: list[Case], folder: Path) -> list[Path]:
    paths = []
    for case in cases:
        path = folder / case.name
        case.write(path)
        paths.append(path)
    return paths
