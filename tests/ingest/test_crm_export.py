"""Issue 14 §2: an ordinary opportunity export (stages 受注/失注 or Won/Lost, no type) counts its
won deals; the stage words, values: for yes/no columns, the CRM headers, a required column
no header maps to, and the quality findings behind a zero."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from kaname.cli.main import app
from kaname.ingest.importer.mapping import suggest_mapping
from kaname.workspace import Workspace

HEADERS = {
    "ja": ["商談ID", "取引先名", "フェーズ", "受注金額", "商談開始日", "受注日"],
    "en": ["Opportunity ID", "Account Name", "Stage", "Amount", "Created Date", "Close Date"],
}
DEALS = [  # id, ja stage, en stage, amount, created (Aug) and closed (Sep) day
    ("O1", "受注", "Won", 1_200_000, 1, 5),
    ("O2", "失注", "Lost", 300_000, 2, 6),
    ("O3", "成約", "Closed Won", 800_000, 3, 20),
    ("O4", "見送り", "Closed Lost", 500_000, 4, 21),
    ("O5", "提案中", "Negotiation/Review", 700_000, 5, 25),
]


def _rows(language: str) -> list[list[str]]:
    """The deals as a Japanese SFA (万円, 2026/8/1) or an English CRM (2026-08-01) writes them."""
    ja = language == "ja"
    return [
        [
            ident,
            f"{ident}社",
            ja_stage if ja else en_stage,
            f"{amount // 10_000}万円" if ja else str(amount),
            f"2026/8/{created}" if ja else f"2026-08-{created:02d}",
            f"2026/9/{closed}" if ja else f"2026-09-{closed:02d}",
        ]
        for ident, ja_stage, en_stage, amount, created, closed in DEALS
    ]


def _csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def _opps(ws: Workspace) -> list[dict]:
    t = ws.warehouse.table("opportunities").order_by("opportunity_id")
    return t.execute().to_dict("records")


def test_won_deals_count_from_stages_without_a_type(lang_ws: Workspace, tmp_path: Path) -> None:
    language = lang_ws.config.language
    encoding = "cp932" if language == "ja" else "utf-8"
    path = _csv(tmp_path / "opps.csv", HEADERS[language], _rows(language), encoding)
    summary = lang_ws.ingest.import_file("opportunities", path)
    assert (summary["inserted"], summary["quarantined"]) == (5, 0)
    opps = _opps(lang_ws)
    assert [o["is_won"] for o in opps] == [True, False, True, False, False]
    assert [o["stage"] for o in opps][:4] == ["closed_won", "closed_lost"] * 2
    assert {o["type"] for o in opps} == {"new_business"}
    assert str(opps[4]["closed_at"]) == "NaT"  # an open deal's close date is the expected one
    notes = " ".join(summary["notes"])
    assert "new_business" in notes and ("新規" in notes if language == "ja" else "new" in notes)
    report = lang_ws.kpi_report(["deals", "revenue", "win_rate"], lang_ws.period("2026-09"))
    got = dict(zip(report["kpi"], report["actual"], strict=True))
    assert got == {"deals": 2.0, "revenue": 2_000_000.0, "win_rate": 0.5}


def test_values_work_for_yes_no_columns(lang_ws: Workspace, tmp_path: Path) -> None:
    header = ["案件番号", "作成日", "完了日", "受注フラグ", "金額"]
    rows = [
        ["A1", "2026/8/1", "2026/9/1", "◎", "100000"],
        ["A2", "2026/8/1", "2026/9/2", "△", "100000"],
        ["A3", "2026/8/1", "2026/9/3", "はい", "100000"],
    ]
    path = _csv(tmp_path / "flags.csv", header, rows)
    plain = lang_ws.ingest.import_file("opportunities", path, dry_run=True)
    assert [(i["row"], i["column"]) for i in plain["issues"]] == [(2, "is_won"), (3, "is_won")]
    suggested = lang_ws.ingest.suggest_mapping("opportunities", path)["mapping"]
    mapping = {**suggested, "values": {"is_won": {"◎": "yes", "△": "no"}}}
    summary = lang_ws.ingest.import_file("opportunities", path, mapping)
    assert summary["quarantined"] == 0
    assert [o["is_won"] for o in _opps(lang_ws)] == [True, False, True]
    stages = [o["stage"] if isinstance(o["stage"], str) else None for o in _opps(lang_ws)]
    assert stages == ["closed_won", None, "closed_won"]


def test_stage_values_may_name_stage_words(lang_ws: Workspace, tmp_path: Path) -> None:
    rows = [
        [*r[:2], {"Won": "Signed", "Lost": "Dead"}.get(r[2], r[2]), *r[3:]] for r in _rows("en")
    ]
    path = _csv(tmp_path / "custom.csv", HEADERS["en"], rows)
    mapping = lang_ws.ingest.suggest_mapping("opportunities", path)["mapping"]
    mapping["values"] = {"stage": {"Signed": "won", "Dead": "失注"}}
    lang_ws.ingest.import_file("opportunities", path, mapping)
    assert [o["stage"] for o in _opps(lang_ws)][:2] == ["closed_won", "closed_lost"]


def test_pipedrive_status_decides_the_outcome(lang_ws: Workspace, tmp_path: Path) -> None:
    header = ["Deal - ID", "Deal - Title", "Deal - Value", "Deal - Stage", "Deal - Status",
              "Deal - Deal created", "Deal - Deal closed on"]  # fmt: skip
    rows = [
        ["1", "A", "100", "Negotiations Started", "Won", "2026-08-01", "2026-09-01"],
        ["2", "B", "100", "Proposal Made", "Lost", "2026-08-01", "2026-09-01"],
        ["3", "C", "100", "Proposal Made", "Open", "2026-08-01", ""],
    ]
    path = _csv(tmp_path / "pipedrive.csv", header, rows)
    summary = lang_ws.ingest.import_file("opportunities", path)
    assert summary["mapping"]["columns"]["Deal - Status"] == "is_won"
    opps = _opps(lang_ws)
    assert [(o["stage"], o["is_won"]) for o in opps] == [
        ("closed_won", True),
        ("closed_lost", False),
        ("proposal", False),
    ]


def test_reimport_without_a_type_keeps_a_known_type(lang_ws: Workspace, tmp_path: Path) -> None:
    header, rows = HEADERS["en"], _rows("en")
    typed = _csv(tmp_path / "typed.csv", [*header, "Type"], [[*r, "upsell"] for r in rows[:1]])
    lang_ws.ingest.import_file("opportunities", typed)
    lang_ws.ingest.import_file("opportunities", _csv(tmp_path / "plain.csv", header, rows))
    assert [o["type"] for o in _opps(lang_ws)] == ["upsell", *["new_business"] * 4]


def test_crm_headers_are_suggested() -> None:
    headers = ["opportunity_id", "sales_agent", "product", "account", "deal_stage",
               "engage_date", "close_date", "close_value"]  # fmt: skip
    got = suggest_mapping("opportunities", headers).mapping.columns
    assert got == {
        "opportunity_id": "opportunity_id",
        "sales_agent": "owner",
        "product": None,
        "account": "account_id",
        "deal_stage": "stage",
        "engage_date": "created_at",
        "close_date": "closed_at",
        "close_value": "amount",
    }
    ja = ["案件ID", "顧客名", "担当者", "商品", "商談開始日", "フェーズ", "受注金額", "受注日"]
    assert suggest_mapping("opportunities", ja).mapping.mapped() == {
        "opportunity_id": "案件ID",
        "account_id": "顧客名",
        "owner": "担当者",
        "created_at": "商談開始日",
        "stage": "フェーズ",
        "amount": "受注金額",
        "closed_at": "受注日",
    }


def test_a_required_column_without_a_header_stops_the_import(
    lang_ws: Workspace, tmp_path: Path
) -> None:
    rows = [[*r[:3], "A"] for r in _rows("ja")]
    path = _csv(tmp_path / "nodate.csv", ["商談ID", "取引先名", "フェーズ", "見込み"], rows)
    result = CliRunner().invoke(
        app, ["import", "opportunities", str(path), "-w", str(lang_ws.root)]
    )
    assert result.exit_code == 2
    prefix = "エラー:" if lang_ws.config.language == "ja" else "Error:"  # the workspace's language
    assert "Traceback" not in result.output and result.output.count(prefix) == 1
    line = " ".join(result.output.split(prefix)[1].split())  # one message, wrapped by Rich
    assert "created_at" in line and "見込み" in line
    assert ("必須列" in line) == (lang_ws.config.language == "ja")
    assert lang_ws.warehouse.table("opportunities").count().execute() == 0


def test_quality_finds_stages_without_is_won(lang_ws: Workspace) -> None:
    import pyarrow as pa

    lang_ws.warehouse.upsert(
        "opportunities",
        pa.table(
            {
                "opportunity_id": ["X1", "X2", "X3"],
                "stage": ["closed_won", "closed_lost", "closed_won"],
                "is_won": pa.array([None, False, True], pa.bool_()),
                "created_at": pa.array([None] * 3, pa.timestamp("us")),
            }
        ),
    )
    found = {f["id"]: f for f in lang_ws.ingest.quality()["findings"]}
    assert found["opportunities_stage_without_is_won"]["count"] == 1
    assert found["opportunities_closed_without_date"]["count"] == 3


def _report(ws: Workspace, kpis: list[str], period: str) -> dict[str, tuple[float, str]]:
    report = ws.kpi_report(kpis, ws.period(period))
    return {r.kpi: (r.actual, r.note) for r in report.itertuples()}


def test_a_zero_says_which_condition_left_the_rows_out(lang_ws: Workspace) -> None:
    """Issue 14 §2 "why is this zero?": the note names the rows and the condition."""
    import pyarrow as pa

    day = pa.array([dt.datetime(2026, 9, 3)] * 3, pa.timestamp("us"))
    lang_ws.warehouse.upsert(
        "opportunities",
        pa.table(
            {
                "opportunity_id": ["Z1", "Z2", "Z3"],
                "amount": [100.0, 200.0, 300.0],
                "is_won": pa.array([None, None, True], pa.bool_()),
                "type": ["new_business", "new_business", "renewal"],
                "created_at": day,
                "closed_at": day,
            }
        ),
    )
    got = _report(lang_ws, ["deals", "revenue", "opportunities"], "2026-09")
    assert got["deals"] == (0.0, "2 opportunities in 2026-09 have no is_won")
    assert got["revenue"][1] == got["deals"][1]
    assert got["opportunities"] == (2.0, "")  # the renewal is not new business
    # September's won deal is a renewal; the month with no deals names its data's span.
    lang_ws.warehouse.upsert(
        "opportunities",
        pa.table({"opportunity_id": ["Z1", "Z2"], "is_won": [False, False]}),
    )
    got = _report(lang_ws, ["deals"], "2026-09")
    assert got["deals"] == (0.0, "the 1 won opportunities in 2026-09 are not new business")
    # October holds a lead but no deal and no spend: each says what its data spans.
    lang_ws.warehouse.upsert(
        "leads",
        pa.table(
            {
                "lead_id": ["L1"],
                "created_at": pa.array([dt.datetime(2026, 10, 15)], pa.timestamp("us")),
            }
        ),
    )
    lang_ws.warehouse.upsert(
        "spend",
        pa.table(
            {
                "date": [dt.date(2026, 9, 1), dt.date(2026, 9, 30)],
                "channel": ["event", "event"],
                "campaign_id": ["C1", "C1"],
                "cost": [50_000.0, 70_000.0],
            }
        ),
    )
    got = _report(lang_ws, ["deals", "cpa"], "2026-10")
    assert got["deals"][1] == (
        "no opportunities in 2026-10: opportunities closed_at runs 2026-09-03 … 2026-09-03"
    )
    assert got["cpa"] == (0.0, "no spend in 2026-10: spend date runs 2026-09-01 … 2026-09-30")


def test_undated_rows_and_the_note_in_the_users_language(lang_ws: Workspace) -> None:
    import pyarrow as pa

    lang_ws.warehouse.upsert(
        "opportunities",
        pa.table(
            {
                "opportunity_id": ["U1", "U2"],
                "is_won": [True, False],
                "created_at": pa.array([dt.datetime(2026, 9, 1)] * 2, pa.timestamp("us")),
                "closed_at": pa.array([None, None], pa.timestamp("us")),
            }
        ),
    )
    assert _report(lang_ws, ["deals"], "2026-09")["deals"][1] == "2 opportunities have no closed_at"
    from rich.console import Console

    from kaname.cli.render import kpi_table

    language = lang_ws.config.language
    report = lang_ws.kpi_report(["deals"], lang_ws.period("2026-09"))
    console = Console(width=400, record=True)
    console.print(kpi_table(report, "JPY", language, "2026-09"))
    out = console.export_text()
    if language == "ja":
        assert "商談 2 件に受注・失注日がないため、どの期間にも数えられません" in out
    else:
        assert "2 opportunities have no close date, so no period counts them." in out


def test_kpis_over_all_the_data_or_a_range(lang_ws: Workspace, tmp_path: Path) -> None:
    """Issue 14 §2: an export from another year is read with --period all or a range."""
    language = lang_ws.config.language
    path = _csv(tmp_path / "opps.csv", HEADERS[language], _rows(language))
    lang_ws.ingest.import_file("opportunities", path)
    spans = {  # all: the first to the last day the data holds
        "all": "2026-08-01..2026-09-21",
        "2026-08-01..2026-09-30": "2026-08-01..2026-09-30",
        "2026-08..2026-09": "2026-08-01..2026-09-30",
    }
    for period, label in spans.items():
        result = CliRunner().invoke(
            app,
            ["kpis", "-w", str(lang_ws.root), "--period", period, "-k", "deals", "--json"],
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)
        assert [(r["period"], r["actual"]) for r in rows] == [(label, 2.0)]
    result = CliRunner().invoke(
        app, ["kpis", "-w", str(lang_ws.root), "--period", "2026-09-30..2026-09-01"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_dimensions_from_the_users_data(lang_ws: Workspace, tmp_path: Path) -> None:
    """Issue 14 §2: product and region columns become dimensions of every deal KPI."""
    header = [*HEADERS["ja"], "商品", "地域"]
    extra = [("Cloud", "関東"), ("Cloud", "関西"), ("On-prem", "関東"), ("Cloud", ""), ("", "")]
    rows = [[*r, *x] for r, x in zip(_rows("ja"), extra, strict=True)]
    path = _csv(tmp_path / "opps.csv", header, rows, "cp932")
    suggested = lang_ws.ingest.suggest_mapping("opportunities", path)["mapping"]
    assert suggested["dimensions"] == {"商品": "product", "地域": "region"}
    summary = lang_ws.ingest.import_file("opportunities", path)
    assert summary["inserted"] == 5
    assert any("product" in n and "kpis --dimension product" in n for n in summary["notes"])
    september = lang_ws.period("2026-09")
    report = lang_ws.kpi_report(["deals", "revenue"], september, "product")
    got = {(r.kpi, r.dimension_value): r.actual for r in report.itertuples()}
    # O1 (Cloud) and O3 (On-prem) are won; O5 (no product) is open.
    assert got[("deals", "Cloud")] == 1 and got[("deals", "On-prem")] == 1
    assert got[("revenue", "Cloud")] == 1_200_000 and got[("revenue", "On-prem")] == 800_000
    kanto = lang_ws.kpi_report(["deals", "win_rate"], september, filters=(("region", "関東"),))
    assert dict(zip(kanto["kpi"], kanto["actual"], strict=True)) == {"deals": 2.0, "win_rate": 1.0}
    result = CliRunner().invoke(
        app,
        [
            "kpis",
            "-w",
            str(lang_ws.root),
            "--period",
            "2026-09",
            "-k",
            "deals",
            "--dimension",
            "region",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    by_region = {r["dimension_value"]: r["actual"] for r in json.loads(result.output)}
    assert by_region["関東"] == 2.0
    # Re-importing with a changed product replaces the value, never duplicates it.
    rows[0][-2] = "On-prem"
    lang_ws.ingest.import_file("opportunities", _csv(tmp_path / "again.csv", header, rows))
    report = lang_ws.kpi_report(["deals"], september, "product")
    assert dict(zip(report["dimension_value"], report["actual"], strict=True))["On-prem"] == 2
