"""The engine's notes read in the user's language with KPI and table names, never ids."""

from __future__ import annotations

from kaname.web.i18n import translator
from kaname.web.notes import explain
from kaname.web.render import kpi_namer
from kaname.workspace import Workspace


def test_notes_name_kpis_and_tables_in_japanese(web_ws: Workspace) -> None:
    ja = translator("ja")
    names = kpi_namer(web_ws, "ja")
    text = explain("deals is 0, so the ratio is undefined", ja, names)
    assert "受注数" in text and "deals" not in text
    stages = explain(
        "deals, sqls is 0 in 2026-11, so the funnel's rates are undefined and the gap cannot be "
        "split",
        ja,
        names,
    )
    assert "受注数" in stages and "deals" not in stages and "sqls" not in stages
    tables = explain(
        "no spend data loaded: import it (kaname import) or connect a source (kaname connect)",
        ja,
        names,
    )
    assert "spend" not in tables
    english = explain(
        "deals is 0, so the ratio is undefined", translator("en"), kpi_namer(web_ws, "en")
    )
    assert english.startswith("Deals")


def test_key_success_factors_list_kpi_names(clients, web_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    tree = clients["viewer"].get("/api/tree").json()
    first = tree["ksfs"][0]
    assert first["names"] == [web_ws.catalog.get(k).name("ja") for k in first["kpis"]]
    page = clients["viewer"].get("/tree").text
    assert "mqls, sql_rate" not in page and first["names"][0] in page


def test_why_zero_notes_read_in_japanese_without_ids(web_ws: Workspace) -> None:
    """Issue 14 §2: the notes metrics/why.py writes are read back with no id left."""
    ja, names = translator("ja"), kpi_namer(web_ws, "ja")
    notes = {
        "4,238 opportunities have no closed_at": "商談 4,238 件に受注・失注日がない",
        "no spend in 2026-11: spend date runs 2026-04-01 … 2026-09-30": "2026-11 の",
        "12 opportunities in 2026-11 have no is_won": "受注とも失注とも判定できません",
        "none of the 3 opportunities in 2026-11 is won": "商談 3 件に受注はありません",
        "the 2 won opportunities in 2026-11 are not new business": "新規以外",
        "5 leads in 2026-11, none counted as mqls": "リード",
    }
    for note, expected in notes.items():
        text = explain(note, ja, names)
        assert expected in text, text
        for word in ("closed_at", "is_won", "spend", "opportunities", "leads", "mqls", "date"):
            assert word not in text, text


def test_a_gap_that_cannot_be_split_says_why_in_japanese(web_ws: Workspace) -> None:
    ja, names = translator("ja"), kpi_namer(web_ws, "ja")
    note = (
        "no actuals for sqls, leads in 2026-11: no leads data loaded: import it (kaname import) "
        "or connect a source (kaname connect)"
    )
    text = explain(note, ja, names)
    assert text.startswith("2026-11 の") and "リード" in text
    for word in ("actuals", "sqls", "leads", "data loaded", "kaname"):
        assert word not in text, text


def test_notes_name_periods_as_people_say_them() -> None:
    """A zero-deals card reads 「2026年12月 の商談…」, not the period's id 2026-12."""
    from kaname.formatting import period_name

    note = "none of the 12 opportunities in 2026-12 is won"
    ja = explain(note, translator("ja"), str, lambda label: period_name(label, "ja"))
    assert ja.startswith("2026年12月") and "2026-12" not in ja
    en = explain(note, translator("en"), str, lambda label: period_name(label, "en"))
    assert "Dec 2026" in en and "2026-12" not in en
    nested = explain(
        "no actuals for deals in FY2026-Q3: none of the 3 opportunities in 2026-10 is won",
        translator("ja"),
        str,
        lambda label: period_name(label, "ja"),
    )
    assert "2026年度 第3四半期" in nested and "2026年10月" in nested
    assert "2026-12" in explain(note, translator("en"), str)  # without names, labels stay


def test_english_notes_name_tables_in_lower_case_mid_sentence() -> None:
    en = translator("en")
    assert explain("12 leads have no created_at", en).startswith("12 leads have no created date")
    nps = explain("no nps_responses in 2026-12: nps_responses responded_at runs a … b", en)
    assert nps.startswith("No NPS responses in 2026-12")
