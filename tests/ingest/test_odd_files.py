"""Odd files found by fuzzing the importer (issue 15): each either imports what it holds or
stops with one clear line in the workspace's language; none loads a wrong value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaname.config import WorkspaceConfig
from kaname.ingest.importer.readers import ReadError
from kaname.workspace import Workspace

LEADS = "lead_id,account_id,email,created_at"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path / "ws", WorkspaceConfig(language="en"))
    yield workspace
    workspace.close()


@pytest.fixture
def ja_ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path / "ja", WorkspaceConfig(language="ja"))
    yield workspace
    workspace.close()


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _leads(ws: Workspace) -> dict[str, dict]:
    frame = ws.warehouse.table("leads").execute()
    return {r["lead_id"]: r for r in frame.to_dict("records")}


def _import(ws: Workspace, path: Path, table: str = "leads", **kw: object) -> dict:
    summary = ws.ingest.import_file(table, path, score=False, **kw)
    assert summary["reconciles"]
    return summary


# ---------------------------------------------------------------- line ends and encodings
@pytest.mark.parametrize(
    "text",
    [
        f"{LEADS}\rL1,テスト,a@x.jp,2025-04-01\rL2,B社,b@x.jp,2025-04-02\r",
        f"{LEADS}\rL1,テスト,a@x.jp,2025-04-01\nL2,B社,b@x.jp,2025-04-02\r\n",
        f"{LEADS}\rL1,テスト,a@x.jp,2025-04-01\rL2,B社,b@x.jp,2025-04-02",
    ],
    ids=["cr-only", "cr-after-header", "cr-no-final-break"],
)
def test_files_with_carriage_returns_import(ws: Workspace, tmp_path: Path, text: str) -> None:
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode("utf-8")))
    assert (summary["inserted"], summary["quarantined"]) == (2, 0)
    assert _leads(ws)["L1"]["account_id"] == "テスト"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_utf16_files_import(ws: Workspace, tmp_path: Path, codec: str, newline: str) -> None:
    text = newline.join([LEADS, "L1,株式会社テスト,a@x.jp,2025-04-01", ""])
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode(codec)))
    assert summary["inserted"] == 1 and summary["encoding"].startswith("utf-16")
    assert _leads(ws)["L1"]["account_id"] == "株式会社テスト"


def test_euc_jp_is_not_read_as_cp932(ws: Workspace, tmp_path: Path) -> None:
    text = f"{LEADS}\nL1,テスト,a@x.jp,2025-04-01\nL2,佐藤商事,b@x.jp,2025-04-02\n"
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode("euc-jp")))
    assert summary["encoding"] == "euc-jp"
    assert [_leads(ws)[k]["account_id"] for k in ("L1", "L2")] == ["テスト", "佐藤商事"]


def test_shift_jis_after_a_megabyte_of_ascii_is_still_read(ws: Workspace, tmp_path: Path) -> None:
    rows = "".join(f"A{i},acme,a{i}@x.jp,2025-04-01\n" for i in range(40_000))
    data = f"{LEADS}\n{rows}".encode() + "L1,佐藤,s@x.jp,2025-04-01\n".encode("cp932")
    assert len(data) > 1 << 20
    summary = _import(ws, _file(tmp_path, "leads.csv", data))
    assert summary["encoding"] == "cp932" and _leads(ws)["L1"]["account_id"] == "佐藤"


@pytest.mark.parametrize("filler", [10, 40_000], ids=["small", "past-the-first-megabyte"])
def test_utf8_with_shift_jis_later_stops_with_the_line(
    lang_ws: Workspace, tmp_path: Path, filler: int
) -> None:
    rows = "".join(f"A{i},佐藤,a{i}@x.jp,2025-04-01\n" for i in range(filler))
    data = f"{LEADS}\n{rows}".encode() + "L1,佐藤,s@x.jp,2025-04-01\n".encode("cp932")
    with pytest.raises(ReadError) as mixed:
        lang_ws.ingest.import_file("leads", _file(tmp_path, "leads.csv", data))
    line = filler + 2
    assert said(lang_ws, f"line {line} is not", f"{line} 行目が UTF-8 では") in str(mixed.value)
    assert lang_ws.warehouse.table("leads").count().execute() == 0


# ---------------------------------------------------------------- rows, numbering, shapes
def test_an_empty_line_is_a_blank_row_and_later_rows_keep_their_numbers(
    ws: Workspace, tmp_path: Path
) -> None:
    text = f"{LEADS}\nL1,A,a@x.jp,2025-04-01\n\nL2,B,bad,2025-04-02\n\n"
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode()))
    assert summary["blank_rows"] == 2 and summary["rows_read"] == 2
    assert [(i["row"], i["column"]) for i in summary["issues"]] == [(4, "email")]


def test_an_empty_line_among_ragged_rows_is_counted(ws: Workspace, tmp_path: Path) -> None:
    text = f"{LEADS}\nL1,A,a@x.jp,2025-04-01,extra\n\nL2,B,bad,2025-04-02\n"
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode()))
    assert summary["blank_rows"] == 1
    assert [(i["row"], i["column"]) for i in summary["issues"]] == [(2, ""), (4, "email")]


def test_a_header_only_file_without_a_final_line_break(ws: Workspace, tmp_path: Path) -> None:
    summary = _import(ws, _file(tmp_path, "leads.csv", LEADS.encode()))
    assert summary["rows_read"] == 0 and summary["issues"] == []


def test_a_cell_over_128_kib_in_a_ragged_file(ws: Workspace, tmp_path: Path) -> None:
    big = "x" * 200_000
    text = f"{LEADS}\nL1,{big},a@x.jp,2025-04-01\nL2,B,b@x.jp\n"
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode()))
    assert (summary["inserted"], summary["quarantined"]) == (1, 1)
    assert _leads(ws)["L1"]["account_id"] == big


def test_a_folder_is_not_a_file(lang_ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "leads.csv"
    folder.mkdir()
    with pytest.raises(ReadError, match=said(lang_ws, "is a folder", "はフォルダーです")):
        lang_ws.ingest.import_file("leads", folder)


# ---------------------------------------------------------------- xlsx
@pytest.mark.parametrize(
    "data", [b"", b"PK\x03\x04broken", b"lead_id,email\n"], ids=["empty", "corrupt", "csv"]
)
def test_a_broken_xlsx_says_so(lang_ws: Workspace, tmp_path: Path, data: bytes) -> None:
    path = _file(tmp_path, "leads.xlsx", data)
    with pytest.raises(ReadError) as broken:
        lang_ws.ingest.import_file("leads", path)
    text = str(broken.value)
    assert said(lang_ws, "not a readable Excel workbook", "Excel ブックとして読めません") in text
    assert "\n" not in text


def test_an_unknown_sheet_lists_the_sheets(lang_ws: Workspace, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "リード"
    book.active.append(LEADS.split(","))
    book.save(tmp_path / "leads.xlsx")
    with pytest.raises(ReadError) as unknown:
        lang_ws.ingest.import_file("leads", tmp_path / "leads.xlsx", sheet="Sheet9")
    assert str(unknown.value).endswith(said(lang_ws, "sheets: リード", "シート: リード"))


def test_a_formula_without_a_computed_value_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["opportunity_id", "amount", "created_at", "notes"])
    sheet.append(["O1", 1000, dt.date(2025, 4, 1), "=1+1"])  # unmapped column: no harm
    sheet.append(["O2", "=B2*2", dt.date(2025, 4, 2), ""])
    sheet.append(["O3", 3000, dt.date(2025, 4, 3), ""])
    sheet.append(["=A2", 1000, dt.date(2025, 4, 3), ""])
    book.save(tmp_path / "opps.xlsx")
    mapping = {
        "table": "opportunities",
        "columns": {"opportunity_id": "opportunity_id", "amount": "amount"}
        | {"created_at": "created_at", "notes": None},
    }
    summary = _import(ws, tmp_path / "opps.xlsx", "opportunities", mapping=mapping)
    assert (summary["inserted"], summary["quarantined"]) == (2, 2)
    assert [(i["row"], i["column"], i["value"]) for i in summary["issues"]] == [
        (3, "amount", "=B2*2"),
        (5, "opportunity_id", "=A2"),
    ]
    assert summary["issues"][0]["reason"].startswith("a formula saved without its computed")


# ---------------------------------------------------------------- values
def test_era_dates_that_never_existed_are_refused(ws: Workspace, tmp_path: Path) -> None:
    dates = {
        "L1": "令和1年1月1日",
        "L2": "平成32年1月1日",
        "L3": "昭和64年1月8日",
        "L4": "R0.1.1",
        "L5": "令和元年5月1日",
        "L6": "平成31年4月30日",
        "L7": "昭和64年1月7日",
        "L8": "H1.1.8",
    }
    text = "lead_id,created_at\n" + "".join(f"{k},{v}\n" for k, v in dates.items())
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode()))
    refused = {i["row"]: i["reason"] for i in summary["issues"]}
    assert sorted(refused) == [2, 3, 4, 5]
    assert all(
        r.startswith("no such date in that era (令和 began on 2019-05-01") for r in refused.values()
    )
    assert {k: v["created_at"].date() for k, v in _leads(ws).items()} == {
        "L5": dt.date(2019, 5, 1),
        "L6": dt.date(2019, 4, 30),
        "L7": dt.date(1989, 1, 7),
        "L8": dt.date(1989, 1, 8),
    }


def test_dollars_and_stray_commas_are_not_yen(ws: Workspace, tmp_path: Path) -> None:
    text = (
        "opportunity_id,amount,created_at\n"
        "O1,$100,2025-04-01\n"
        'O2,"1,2,3",2025-04-01\n'
        'O3,"¥1,200,000",2025-04-01\n'
        "O4,USD 5,2025-04-01\n"
        'O5,"1,200千円",2025-04-01\n'
    )
    summary = _import(ws, _file(tmp_path, "opps.csv", text.encode()), "opportunities")
    reasons = {i["row"]: i["reason"] for i in summary["issues"]}
    assert reasons.keys() == {2, 3, 5}
    assert (
        reasons[2]
        == reasons[5]
        == ("an amount in another currency than the workspace's (JPY); convert it first")
    )
    assert reasons[3].startswith("not an amount")
    amounts = ws.warehouse.table("opportunities").order_by("opportunity_id").amount.execute()
    assert amounts.tolist() == [1_200_000.0, 1_200_000.0]


def test_whole_numbers_with_stray_commas_are_refused(ws: Workspace, tmp_path: Path) -> None:
    text = 'account_id,name,employees\nA1,Acme,"1,2,3"\nA2,Beta,"1,234"\n'
    summary = _import(ws, _file(tmp_path, "accounts.csv", text.encode()), "accounts")
    assert [(i["row"], i["reason"]) for i in summary["issues"]] == [(2, "not a whole number")]


def test_an_email_with_a_control_character_is_refused(ws: Workspace, tmp_path: Path) -> None:
    text = b"lead_id,email,created_at\nL1,a\x00b@x.jp,2025-04-01\nL2,c\x07@x.jp,2025-04-01\n"
    summary = _import(ws, _file(tmp_path, "leads.csv", text))
    assert {(i["row"], i["column"]) for i in summary["issues"]} == {(2, "email"), (3, "email")}


def test_the_quarantine_csv_does_not_run_formulas(ws: Workspace, tmp_path: Path) -> None:
    text = "lead_id,email,created_at\n=HYPERLINK(1),@SUM(1),-2+3\n"
    summary = _import(ws, _file(tmp_path, "leads.csv", text.encode()))
    report = ws.ingest.quarantine_csv(summary["run_id"]).decode("utf-8-sig").splitlines()
    assert report[1].startswith("2,created_at,'-2+3,")
    assert report[2].startswith("2,email,'@SUM(1),")


# ---------------------------------------------------------------- a workspace that cannot write
def _refuse_writes(ws: Workspace, error: str) -> None:
    """Make the app DB fail every write as SQLite does on a full disk or read-only file."""
    import sqlite3

    from sqlalchemy import event

    def refuse(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise sqlite3.OperationalError(error)

    event.listen(ws.appdb.engine, "before_cursor_execute", refuse)


def test_a_dry_run_writes_nothing_so_a_read_only_workspace_can_check_files(
    ws: Workspace, tmp_path: Path
) -> None:
    path = _file(tmp_path, "leads.csv", f"{LEADS}\nL1,A,a@x.jp,2025-04-01\n".encode())
    _refuse_writes(ws, "attempt to write a readonly database")
    summary = _import(ws, path, dry_run=True)
    assert (summary["inserted"], summary["run_id"]) == (1, None)
    with pytest.raises(ReadError, match=r"^the workspace cannot be written \(read-only\)"):
        ws.ingest.import_file("leads", path)
    assert ws.warehouse.table("leads").count().execute() == 0


def test_a_full_disk_is_one_line_and_loses_nothing(
    ja_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    first = _file(tmp_path, "a.csv", f"{LEADS}\nL1,A,a@x.jp,2025-04-01\n".encode())
    _import(ja_ws, first)
    before = _leads(ja_ws)

    def full(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(ja_ws.warehouse, "upsert", full)
    _refuse_writes(ja_ws, "database or disk is full")
    second = _file(tmp_path, "b.csv", f"{LEADS}\nL2,B,b@x.jp,2025-04-02\n".encode())
    with pytest.raises(ReadError) as failed:
        ja_ws.ingest.import_file("leads", second)
    assert str(failed.value).startswith("ディスクがいっぱいです。何も取り込んでおらず")
    assert _leads(ja_ws) == before


def test_a_full_disk_after_the_run_is_recorded(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    def full(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(ws.warehouse, "upsert", full)
    path = _file(tmp_path, "a.csv", f"{LEADS}\nL1,A,a@x.jp,2025-04-01\n".encode())
    with pytest.raises(ReadError, match=r"^the disk is full: nothing was imported"):
        ws.ingest.import_file("leads", path)
    run = ws.ingest.import_runs()[0]
    assert run["status"] == "failed" and run["message"].startswith("the disk is full")


def said(ws: Workspace, en: str, ja: str) -> str:
    return ja if ws.config.language == "ja" else en
