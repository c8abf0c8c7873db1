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
