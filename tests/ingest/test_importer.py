"""File import end to end: encodings, xlsx, Japanese headers, quarantine, idempotent re-import."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from kaname.config import WorkspaceConfig
from kaname.ingest.importer.mapping import Mapping, MappingError
from kaname.workspace import Workspace

JA_HEADER = ["リードID", "会社名", "メールアドレス", "流入経路", "作成日", "商談化日"]
JA_ROWS = [
    ["L1", "株式会社アルファ", "a@alpha.co.jp", "展示会", "2025/4/1", "令和7年5月1日"],
    ["L2", "ベータ", "B@Beta.com ", "Web広告", "2025-04-02", ""],
    ["L3", "ガンマ", "g@gamma.jp", "ウェビナー", "２０２５年４月３日", "2025/5/10 14:30"],
]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.init(tmp_path / "ws", WorkspaceConfig(language="en"))
    yield workspace
    workspace.close()


def _leads(ws: Workspace) -> list[dict]:
    return ws.warehouse.table("leads").order_by("lead_id").execute().to_dict("records")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_japanese_csv_in_every_excel_encoding(ws: Workspace, tmp_path: Path, encoding: str) -> None:
    path = _write_csv(tmp_path / "leads.csv", JA_HEADER, JA_ROWS, encoding)
    suggestion = ws.ingest.suggest_mapping("leads", path)
    assert suggestion["encoding"] == encoding
    assert suggestion["mapping"]["columns"] == {
        "リードID": "lead_id",
        "会社名": "account_id",
        "メールアドレス": "email",
        "流入経路": "channel",
        "作成日": "created_at",
        "商談化日": "sql_at",
    }
    summary = ws.ingest.import_file("leads", path)
    assert (summary["rows_read"], summary["inserted"], summary["quarantined"]) == (3, 3, 0)
    assert summary["reconciles"]
    rows = _leads(ws)
    assert [r["channel"] for r in rows] == ["event", "paid_ads", "webinar"]
    assert rows[1]["email"] == "b@beta.com"
    assert rows[0]["account_id"] == "株式会社アルファ"
    assert rows[0]["sql_at"] == dt.datetime(2025, 5, 1)
    assert rows[2]["created_at"] == dt.datetime(2025, 4, 3)
    assert rows[2]["sql_at"] == dt.datetime(2025, 5, 10, 14, 30)


def test_reimport_changes_nothing_and_a_changed_row_updates(ws: Workspace, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "leads.csv", JA_HEADER, JA_ROWS, "cp932")
    ws.ingest.import_file("leads", path)
    before = _leads(ws)
    again = ws.ingest.import_file("leads", path)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert _leads(ws) == before  # _loaded_at untouched too
    changed = [*JA_ROWS[:2], [*JA_ROWS[2][:3], "メルマガ", *JA_ROWS[2][4:]]]
    path2 = _write_csv(tmp_path / "leads2.csv", JA_HEADER, changed, "cp932")
    third = ws.ingest.import_file("leads", path2)
    assert (third["inserted"], third["updated"], third["unchanged"]) == (0, 1, 2)
    assert _leads(ws)[2]["channel"] == "email"


def test_quarantine_report_names_row_column_and_reason(ws: Workspace, tmp_path: Path) -> None:
    header = ["商談ID", "会社名", "受注金額", "案件化日", "受注", "フェーズ"]
    rows = [
        ["O1", "A社", "¥1,200,000", "2025/4/1", "はい", "受注"],
        ["O2", "B社", "120万円", "R7.4.2", "いいえ", "proposal"],
        ["O3", "C社", "たくさん", "2025/4/3", "no", "negotiation"],
        ["O4", "D社", "1.2億", "", "no", "proposal"],
        ["O5", "E社", "500", "2025/13/1", "maybe", "someday"],
    ]
    path = _write_csv(tmp_path / "opps.csv", header, rows, "utf-8")
    summary = ws.ingest.import_file("opportunities", path)
    assert (summary["rows_read"], summary["inserted"], summary["quarantined"]) == (5, 2, 3)
    assert summary["reconciles"]
    issues = {(i["row"], i["column"]) for i in summary["issues"]}
    assert issues == {
        (4, "amount"),
        (5, "created_at"),
        (6, "created_at"),
        (6, "is_won"),
        (6, "stage"),
    }
    stored = ws.ingest.quarantine(summary["run_id"])
    assert [(r["row"], r["column"]) for r in stored] == sorted(issues)
    report = ws.ingest.quarantine_csv(summary["run_id"]).decode("utf-8-sig").splitlines()
    assert report[0] == "row,column,value,reason"
    japanese = ws.ingest.quarantine_csv(summary["run_id"], "ja").decode("utf-8-sig").splitlines()
    assert japanese[0] == "行番号,列,値,理由" and len(japanese) == len(report)
    # the same rows, each column by its name in Japanese (金額, not amount)
    assert japanese[1].startswith("4,金額,") and report[1].startswith("4,amount,")
    assert [line.split(",", 2)[2] for line in japanese[1:]] == [
        line.split(",", 2)[2] for line in report[1:]
    ]
    assert report[1].startswith('4,amount,たくさん,"not an amount')
    opps = ws.warehouse.table("opportunities").order_by("opportunity_id").execute()
    assert opps["amount"].tolist() == [1_200_000.0, 1_200_000.0]
    assert opps["is_won"].tolist() == [True, False]
    assert opps["stage"].tolist() == ["closed_won", "proposal"]


def test_malformed_rows_and_duplicate_keys_are_quarantined_not_lost(
    ws: Workspace, tmp_path: Path
) -> None:
    text = (
        "lead_id,email,created_at\r\n"
        "L1,a@x.jp,2025-04-01\r\n"
        "L2,b@x.jp,2025-04-02,extra\r\n"
        '"L3","multi\nline@x.jp",2025-04-03\r\n'
        "L1,a2@x.jp,2025-04-04\r\n"
        ",,\r\n"
    )
    path = tmp_path / "leads.csv"
    path.write_text(text, encoding="utf-8")
    summary = ws.ingest.import_file("leads", path)
    assert summary["rows_read"] == 4 and summary["blank_rows"] == 1
    assert (summary["inserted"], summary["quarantined"]) == (1, 3)
    reasons = {i["row"]: i["reason"] for i in summary["issues"]}
    assert reasons[2] == "same key as row 5, which is loaded instead"
    assert reasons[3] == "expected 3 fields, found 4"
    assert reasons[4] == "not an e-mail address"
    assert [r["email"] for r in _leads(ws)] == ["a2@x.jp"]


def test_dry_run_writes_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "leads.csv", JA_HEADER, JA_ROWS, "utf-8")
    summary = ws.ingest.import_file("leads", path, dry_run=True)
    assert (summary["inserted"], summary["dry_run"]) == (3, True)
    assert _leads(ws) == []


def test_xlsx_with_dates_and_numbers(ws: Workspace, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["日付", "チャネル", "キャンペーンID", "費用", "表示回数", "クリック数"])
    sheet.append([dt.datetime(2025, 4, 1), "リスティング広告", "C1", 12000, 5000, 120])
    sheet.append([dt.date(2025, 4, 2), "paid_ads", None, "1.5万", 4000.0, 100])
    sheet.append(["2025/4/3", "Facebook", "C1", 100, -5, 1])
    path = tmp_path / "spend.xlsx"
    book.save(path)
    summary = ws.ingest.import_file("spend", path)
    assert (summary["rows_read"], summary["inserted"], summary["quarantined"]) == (3, 2, 1)
    assert {i["column"] for i in summary["issues"]} == {"channel", "impressions"}
    spend = ws.warehouse.table("spend").order_by("date").execute()
    assert spend["campaign_id"].tolist() == ["C1", ""]
    assert spend["cost"].tolist() == [12000.0, 15000.0]
    assert spend["impressions"].tolist() == [5000, 4000]


def test_value_mapping_and_saved_mapping_are_reused(ws: Workspace, tmp_path: Path) -> None:
    rows = [["2025-04-01", "Facebook", "C1", "100"]]
    path = _write_csv(tmp_path / "spend.csv", ["Day", "Source", "Campaign", "Cost"], rows, "utf-8")
    suggestion = ws.ingest.suggest_mapping("spend", path)
    assert suggestion["saved"] is None
    mapping = Mapping.model_validate(suggestion["mapping"])
    assert mapping.mapped() == {
        "date": "Day",
        "channel": "Source",
        "campaign_id": "Campaign",
        "cost": "Cost",
    }
    mapping.values["channel"] = {"Facebook": "social"}
    ws.ingest.save_mapping(mapping, "ads export")
    again = ws.ingest.suggest_mapping("spend", path)
    assert again["saved"] == "ads export"
    summary = ws.ingest.import_file("spend", path)  # no mapping given: the saved one
    assert summary["inserted"] == 1
    assert ws.warehouse.table("spend").channel.execute().tolist() == ["social"]
    runs = ws.ingest.import_runs()
    assert runs[0]["inserted"] == 1 and runs[0]["status"] == "ok"


def test_mapping_errors_say_what_to_fix(ws: Workspace, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "leads.csv", JA_HEADER, JA_ROWS, "utf-8")
    with pytest.raises(MappingError, match="key column"):
        ws.ingest.import_file("leads", path, Mapping(table="leads", columns={"会社名": "email"}))
    with pytest.raises(MappingError, match="not a column of leads"):
        ws.ingest.import_file("leads", path, Mapping(table="leads", columns={"会社名": "nope"}))
