"""Reports read back (PDF text, xlsx cells), PDCA actions and their measured effect, KPI review."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kaname.act.actions import ActionError
from kaname.act.schedule import last_slot
from kaname.config.act import ReportSchedule
from kaname.workspace import Workspace

WEBINAR = {
    "title": "Weekly webinar series",
    "hypothesis": "A webinar every week brings more qualified leads",
    "kpis": ["leads"],
    "dimension": "channel",
    "dimension_value": "webinar",
    "owner": "marketing",
    "start_date": dt.date(2026, 8, 31),
    "end_date": dt.date(2026, 11, 15),
    "expected_lift": 0.3,
    "status": "do",
}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.slow
def test_report_pdf_reads_as_a_report(demo_ws: Workspace) -> None:
    demo_ws.act.add_action(WEBINAR)
    content = demo_ws.act.report("2026-10", "pdf", language="en")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for heading in (
        "The KGI against its target",
        "Top movers, like for like",
        "Off track, and why",
        "Actions and their measured effect",
    ):
        assert heading in text
    assert "Weekly webinar series" in text
    data = demo_ws.act.report_data("2026-10", "en")
    assert data["headline"].split(" for ")[0] in text
    ja = pdf_text(demo_ws.act.report("2026-10", "pdf", language="ja"))
    assert "新規受注金額" in ja and "改善アクションとその効果" in ja


def test_report_xlsx_has_formatted_sheets(demo_ws: Workspace) -> None:
    demo_ws.act.add_action(WEBINAR)
    book = load_workbook(io.BytesIO(demo_ws.act.report("2026-10", "xlsx", language="en")))
    assert book.sheetnames == ["Executive", "Funnel", "Channels", "Tactics", "Actions"]
    data = demo_ws.act.report_data("2026-10", "en")
    executive = book["Executive"]
    assert executive["B3"].value == data["headline"]
    funnel = book["Funnel"]
    assert funnel["A1"].value == "KPI" and funnel["A1"].font.bold
    leads = next(r for r in data["funnel"] if r["kpi"] == "leads")
    row = next(r for r in funnel.iter_rows(min_row=2, values_only=True) if r[0] == leads["name"])
    assert row[1] == leads["actual"]
    channels = {r[0] for r in book["Channels"].iter_rows(min_row=2, values_only=True)}
    assert "Webinar" in channels and "webinar" not in channels  # the channel's name, not its id
    assert book["Actions"]["B2"].value == "Weekly webinar series"
    assert book["Actions"]["F2"].number_format == "yyyy-mm-dd"


def test_report_html_and_catalog_exports(demo_ws: Workspace) -> None:
    html = demo_ws.act.report("2026-10", "html", language="ja").decode()
    assert "<svg" in html and "KGIの目標と着地見込み" in html
    book = load_workbook(io.BytesIO(demo_ws.act.catalog_document("xlsx", "en")))
    rows = list(book["KPIs"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(demo_ws.catalog)
    win = next(r for r in rows if r[0] == "win_rate")
    assert win[1] == demo_ws.catalog.get("win_rate").name_en


@pytest.mark.slow
def test_catalog_pdf_lists_every_kpi(demo_ws: Workspace) -> None:
    text = pdf_text(demo_ws.act.catalog_document("pdf", "ja"))
    assert "KPI定義書" in text and "商談化率" in text


def test_actions_knowledge_base_and_decision(demo_ws: Workspace) -> None:
    act = demo_ws.act
    webinar = act.add_action(WEBINAR)
    other = act.add_action(
        {"title": "Retargeting ads", "kpis": ["cpa"], "start_date": dt.date(2026, 10, 1)}
    )
    assert [a["id"] for a in act.actions(kpi="leads")] == [webinar["id"]]
    assert [a["id"] for a in act.actions(query="QUALIFIED webinar")] == [webinar["id"]]
    assert [a["id"] for a in act.actions(active_on=dt.date(2026, 9, 15))] == [webinar["id"]]
    updated = act.update_action(other["id"], {"status": "check", "owner": "ads team"})
    assert updated["status"] == "check" and updated["owner"] == "ads team"
    decided = act.decide_action(webinar["id"], "expand", "Tuesday slots convert best", by="sato")
    assert decided["status"] == "act" and decided["decision"] == "expand"
    assert decided["decided_by"] == "sato" and decided["decided_at"] is not None
    assert act.action(webinar["id"])["decided_by"] == "sato"
    assert act.action(other["id"])["decided_by"] == ""
    assert [a["id"] for a in act.actions(query="tuesday")] == [webinar["id"]]
    (note,) = act.annotations("leads")
    assert note["start"] == dt.date(2026, 8, 31) and note["decision"] == "expand"
    with pytest.raises(ActionError, match="not in the catalog"):
        act.add_action({**WEBINAR, "kpis": ["nope"]})
    with pytest.raises(ActionError, match="cannot be split by stage"):
        act.add_action({**WEBINAR, "dimension": "stage"})
    with pytest.raises(ValueError, match="end_date"):
        act.add_action({**WEBINAR, "end_date": dt.date(2026, 1, 1)})


def test_effect_of_an_action_without_effect_is_not_significant(demo_ws: Workspace) -> None:
    action = demo_ws.act.add_action(WEBINAR)
    (result,) = demo_ws.act.measure_action(action["id"])["results"]
    assert not result["significant"]
    assert result["n_after"] >= 8 and result["n_before"] >= 20


def test_effect_of_an_injected_lift_is_found(demo_ws: Workspace) -> None:
    # halve the leads before the start: after it, leads are about double
    demo_ws.warehouse.con.raw_sql(
        "DELETE FROM leads WHERE created_at < '2026-08-31' AND hash(lead_id) % 2 = 0"
    )
    action = demo_ws.act.add_action({**WEBINAR, "dimension": "", "dimension_value": ""})
    (result,) = demo_ws.act.measure_action(action["id"])["results"]
    assert result["significant"] and result["estimate"] > 0
    assert result["relative"] > 0.4
    assert result["met_expectation"] is True
    assert "Significant" in result["verdict_en"]


def test_difference_in_differences_against_another_channel(demo_ws: Workspace) -> None:
    action = demo_ws.act.add_action({**WEBINAR, "dimension_value": "owned_media"})
    (none,) = demo_ws.act.measure_action(action["id"], compare_to="paid_ads")["results"]
    assert none["method"] == "diff_in_diff" and not none["significant"]
    demo_ws.warehouse.con.raw_sql(
        "DELETE FROM leads WHERE channel = 'owned_media' AND created_at < '2026-08-31' "
        "AND hash(lead_id) % 3 <> 0"
    )
    (did,) = demo_ws.act.measure_action(action["id"], compare_to="paid_ads")["results"]
    assert did["significant"] and did["estimate"] > 0
    assert {"period_start", "value", "comparison"} <= set(did["series"][0])


def test_ab_calculator_through_the_service(demo_ws: Workspace) -> None:
    result = demo_ws.act.ab_test(120, 2400, 168, 2400, daily_visitors=400)
    assert result.significant and result.prob_b_beats_a > 0.99


def test_review_tracks_kpis_against_the_kgi_and_records_decisions(demo_ws: Workspace) -> None:
    review = demo_ws.act.review()
    assert review["period"] == "FY2026-Q2"
    rows = {r["kpi"]: r for r in review["rows"]}
    assert rows[review["kgi"]]["is_kgi"]
    assert rows["deals"]["correlation"] > 0.5
    assert all(r["suggestion"] in {"keep", "change", "retire"} for r in review["rows"])
    decision = demo_ws.act.record_review_decision(review["plan"], "cpa", "change", "use CAC")
    assert decision["plan_version"] == review["version"] and decision["period"] == "FY2026-Q2"
    assert demo_ws.act.review()["decisions"][0]["kpi"] == "cpa"


def test_report_schedule_slots() -> None:
    weekly = ReportSchedule(name="w", frequency="weekly", weekday=0, hour=8)
    # Monday 2026-11-23 08:00 JST = Sunday 23:00 UTC
    assert last_slot(weekly, dt.datetime(2026, 11, 23, 0, 0)) == dt.datetime(2026, 11, 22, 23)
    assert last_slot(weekly, dt.datetime(2026, 11, 22, 22, 0)) == dt.datetime(2026, 11, 15, 23)
    monthly = ReportSchedule(name="m", frequency="monthly", day=1, hour=9)
    assert last_slot(monthly, dt.datetime(2026, 11, 20)) == dt.datetime(2026, 11, 1, 0)


def test_review_decisions_are_carried_into_the_next_plan_version(demo_ws: Workspace) -> None:
    act = demo_ws.act
    review = act.review()
    plan = review["plan"]
    act.record_review_decision(plan, "cpa", "change", "use CAC", by="sato")
    act.record_review_decision(plan, "cpa", "retire", "CAC replaces it", by="sato")
    act.record_review_decision(plan, "mqls", "keep", by="tanaka")
    pending = act.pending_review_decisions(plan)
    assert {d["kpi"]: d["decision"] for d in pending} == {"cpa": "retire", "mqls": "keep"}
    found = demo_ws.active_plan()
    assert found is not None
    version, _ = demo_ws.apply_plan_object(found[0], found[1].content, created_by="suzuki")
    assert version.version == review["version"] + 1
    assert act.pending_review_decisions(plan) == []
    carried = act.applied_review_decisions(plan)[version.version]
    assert [(d["kpi"], d["decision"], d["applied_by"]) for d in carried] == [
        ("cpa", "retire", "suzuki"),
        ("mqls", "keep", "suzuki"),
    ]
    assert all(d["applied_at"] is not None for d in act.review_decisions(plan))
    # a later decision waits for the version after
    act.record_review_decision(plan, "mqls", "change", by="sato")
    assert [d["decision"] for d in act.pending_review_decisions(plan)] == ["change"]
