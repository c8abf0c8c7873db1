"""Every page renders in both languages, and its JSON twin carries the metric engine's numbers."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from fastapi.testclient import TestClient

from kaname.metrics.calendar import Grain
from kaname.metrics.engine import MetricQuery
from kaname.web.display import format_value
from kaname.workspace import Workspace

PAGES = [
    "/executive",
    "/department/marketing",
    "/tree",
    "/funnel",
    "/funnel?view=cohort&period=2026-06",
    "/channels",
    "/channels?sort=cac",
    "/tactics",
    "/trends?kpi=cpa&grain=week",
    "/kpi/win_rate",
    "/catalog",
    "/plans",
    "/settings",
    "/account",
    "/executive?channel=webinar",
    "/executive?grain=quarter&period=FY2026-Q2",
    "/funnel?segment=enterprise",
]


def close(a: float | None, b: float) -> bool:
    if a is None:
        return math.isnan(b)
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_page_renders_in_each_language(
    clients: dict[str, TestClient], path: str, language: str
) -> None:
    client = clients["admin"]
    client.cookies.set("kaname_lang", language)
    response = client.get(path)
    client.cookies.delete("kaname_lang")
    assert response.status_code == 200, response.text[:500]
    assert "Traceback" not in response.text
    assert f'<html lang="{language}">' in response.text or "admin" in response.text


def test_language_follows_the_user(clients: dict[str, TestClient]) -> None:
    client = clients["viewer"]
    csrf = _csrf(client)
    client.post("/account/language", data={"language": "en", "csrf_token": csrf})
    assert "Organisation KPIs" in client.get("/executive").text
    client.post("/account/language", data={"language": "ja", "csrf_token": csrf})
    page = client.get("/executive").text
    assert "全社KPI" in page and "Organisation KPIs" not in page
    # back to no preference: the shared viewer's pages follow its cookie again
    client.post("/account/language", data={"language": "", "csrf_token": csrf})


def _csrf(client: TestClient) -> str:
    from web_helpers import csrf_of

    return csrf_of(client)


def test_executive_json_equals_the_engine(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    data = clients["viewer"].get("/api/executive").json()
    ids = [data["kgi"]["kpi"], *(r["kpi"] for r in data["kpis"])]
    assert data["kgi"]["kpi"] == "revenue"
    assert [r["kpi"] for r in data["kpis"]] == ["deals", "opportunities", "mqls", "cac"]
    report = web_ws.kpi_report(ids, web_ws.period(None)).set_index("kpi")
    for row in [data["kgi"], *data["kpis"]]:
        expected = report.loc[row["kpi"]]
        for key in ("actual", "target", "achievement", "projection"):
            assert close(row[key], float(expected[key])), (row["kpi"], key)
        assert row["status"] == expected["status"]
    # November 2026 is running on the 20th: the previous year is November 2025 up to the same
    # business day (the 14th: 2025-11-21, 3 November being a holiday), not the whole month.
    period = web_ws.period(None)
    year_ago = period.year_ago()
    assert data["kgi"]["comparison"]["previous_year"] == {
        "name": "previous_year",
        "period": "2025-11",
        "through": "2025-11-21",
        "to_date": True,
    }
    to_date, whole = (
        float(
            web_ws.compute(
                MetricQuery(("revenue",), Grain.MONTH, year_ago.start, year_ago.start, as_of=d)
            )["value"].iloc[0]
        )
        for d in (dt.date(2025, 11, 21), year_ago.last_day)
    )
    assert close(data["kgi"]["previous_year"], to_date) and to_date < whole
    earlier = clients["viewer"].get("/api/executive?period=2026-09").json()["bottleneck"]
    assert earlier["available"] is True
    assert earlier["driver"] == earlier["sensitivity"][0]["driver"]
    assert sum(d["effect"] for d in earlier["drivers"]) == pytest.approx(earlier["gap"])


def test_executive_page_shows_the_engine_numbers(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    client = clients["viewer"]
    data = client.get("/api/executive").json()
    client.cookies.set("kaname_lang", "en")
    html = clients["viewer"].get("/executive").text
    revenue = data["kgi"]
    shown = format_value(revenue["actual"], "currency", "JPY", "ja")
    assert shown in html or format_value(revenue["actual"], "currency", "JPY", "en") in html


def test_filters_reach_the_engine(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    data = clients["viewer"].get("/api/executive?channel=webinar").json()
    report = web_ws.kpi_report(
        ["revenue", "deals"], web_ws.period(None), filters=(("channel", "webinar"),)
    ).set_index("kpi")
    assert close(data["kgi"]["actual"], float(report.loc["revenue", "actual"]))
    assert data["filters"]["channel"] == "webinar"
    # CAC can be split by channel; NRR cannot, so it is left out rather than wrong.
    assert "nrr" not in [r["kpi"] for r in data["kpis"]]


def test_funnel_json_equals_the_engine(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    for view in ("period", "cohort"):
        data = clients["viewer"].get(f"/api/funnel?period=2026-06&view={view}").json()
        stages = [s["stage"] for s in data["stages"]]
        frame = web_ws.compute(
            MetricQuery(
                tuple(stages),
                Grain.MONTH,
                web_ws.period("2026-06").start,
                web_ws.period("2026-06").start,
                view=view,
                as_of=web_ws.today(),
            )
        )
        values = dict(zip(frame["kpi"], frame["value"], strict=True))
        for s in data["stages"]:
            assert close(s["value"], float(values[s["stage"]])), (view, s["stage"])
        assert data["view"] == view
        leads = next(s for s in data["stages"] if s["stage"] == "mqls")
        assert leads["conversion"] == pytest.approx(values["mqls"] / values["leads"])
    assert [t["frm"] for t in data["lead_times"]] == ["leads", "mqls", "sqls", "opportunities"]


def test_channels_json_equals_the_engine(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    data = clients["viewer"].get("/api/channels?period=FY2025").json()
    report = web_ws.kpi_report(
        ["revenue", "cac", "leads"], web_ws.period("FY2025"), dimension="channel"
    )
    by = {(r.kpi, r.dimension_value): r.actual for r in report.itertuples()}
    assert data["rows"]
    for row in data["rows"]:
        for kpi in ("revenue", "cac", "leads"):
            if kpi == "cac" and not row["spend"]:
                assert row[kpi] is None  # no spend recorded (direct): unknown, never 0円
                continue
            assert close(row[kpi], by[(kpi, row["channel"])]), (row["channel"], kpi)
    assert sum(r["revenue_share"] or 0 for r in data["rows"]) == pytest.approx(1.0)


def test_trends_json_equals_the_engine(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    data = clients["viewer"].get("/api/trends?kpi=leads&periods=6&period=2026-10").json()
    assert [p["period"] for p in data["points"]] == [
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    frame = web_ws.compute(
        MetricQuery(
            ("leads",),
            Grain.MONTH,
            web_ws.period("2026-05").start,
            web_ws.period("2026-10").start,
            as_of=web_ws.today(),
        )
    )
    assert [p["actual"] for p in data["points"]] == pytest.approx(list(frame["value"]))
    assert all(p["target"] is not None for p in data["points"])  # the demo plan sets them


def test_kpi_json_has_definition_history_and_breakdown(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    data = clients["viewer"].get("/api/kpi/leads").json()
    assert data["formula"] == "leads"
    assert data["type"] == "leading"
    assert data["owner"]
    assert data["target_history"]
    channels = data["breakdown"]["channel"]
    report = web_ws.kpi_report(["leads"], web_ws.period(None), dimension="channel")
    assert sum(r["actual"] for r in channels) == pytest.approx(report["actual"].sum())
    assert {f["table"] for f in data["freshness"]} == {"leads"}


def test_tree_json_follows_the_plan(clients: dict[str, TestClient]) -> None:
    data = clients["viewer"].get("/api/tree").json()
    assert data["nodes"][0]["kpi"] == "revenue" and data["nodes"][0]["depth"] == 0
    assert any(n["bottleneck"] for n in data["nodes"]) == data["bottleneck"]["available"]
    html = clients["viewer"].get("/tree").text
    assert 'href="/kpi/win_rate' in html  # nodes link to their KPI pages


def test_catalog_lists_every_kpi(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    data = clients["viewer"].get("/api/catalog").json()
    assert [k["kpi"] for k in data["kpis"]] == list(web_ws.catalog.ids)


def test_unknown_kpi_is_a_clear_error_not_a_traceback(clients: dict[str, TestClient]) -> None:
    response = clients["viewer"].get("/kpi/no_such_kpi")
    assert response.status_code == 400
    assert "no_such_kpi" in response.text and "Traceback" not in response.text
    assert clients["viewer"].get("/api/kpi/no_such_kpi").status_code == 400
    bad = clients["viewer"].get("/api/executive?grain=fortnight")
    assert bad.status_code == 400 and "grain" in bad.json()["error"]


def test_openapi_lists_every_json_twin(clients: dict[str, TestClient]) -> None:
    paths = clients["viewer"].get("/api/openapi.json").json()["paths"]
    for twin in (
        "/api/executive",
        "/api/tree",
        "/api/funnel",
        "/api/channels",
        "/api/tactics",
        "/api/trends",
        "/api/kpi/{kpi_id}",
        "/api/catalog",
        "/api/plans",
        "/api/settings",
    ):
        assert twin in paths, twin


def test_executive_pacing_carries_the_ets_forecast(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    data = clients["viewer"].get("/api/executive").json()
    period = web_ws.period(None)
    checked = 0
    for row in [data["kgi"], *data["kpis"]]:
        expected = web_ws.analytics.forecast(row["kpi"], horizon=1, grain="month").frame
        ets = float(expected[expected["period"] == period.label].iloc[0]["forecast"])
        assert row["forecast_lower"] <= row["forecast"] <= row["forecast_upper"]
        if row["kpi"] in ("mqls", "opportunities") and row["projection"]:
            # counts add up over the month: what is done counts, ETS forecasts the rest
            remaining = 1 - row["actual"] / row["projection"]
            assert row["forecast"] == pytest.approx(row["actual"] + ets * remaining)
            assert row["forecast"] >= row["actual"]
            checked += 1
        elif row["kpi"] == "cac":
            assert row["forecast"] == pytest.approx(ets)  # a ratio: the ETS forecast itself
            checked += 1
    assert checked >= 2
    # a filtered view has no forecast rather than the unfiltered one
    filtered = clients["viewer"].get("/api/executive?channel=webinar").json()["kgi"]
    assert "forecast" not in filtered


def test_every_grain_has_targets(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    """The weekly view and a quarter show targets derived from the monthly ones, not 目標なし."""
    week = clients["viewer"].get("/api/executive?grain=week").json()
    for row in [week["kgi"], *week["kpis"]]:
        assert row["target"] is not None, row["kpi"]
        assert row["status"] != "no_target"
    quarter = web_ws.kpi_report(["cpa", "cac", "leads"], web_ws.period("FY2026-Q2", "quarter"))
    assert not quarter["target"].isna().any()
    review = clients["viewer"].get("/api/review?period=FY2026-Q2").json()
    assert all(r["target"] is not None for r in review["rows"] if r["kpi"] in ("cpa", "cac"))


RANGE_PAGES = [
    "/executive",
    "/department/marketing",
    "/tree",
    "/funnel",
    "/channels",
    "/tactics",
    "/kpi/win_rate",
    "/trends?kpi=cpa",
]


@pytest.mark.parametrize("period", ["2026-10-01..2026-11-15", "all"])
@pytest.mark.parametrize("path", RANGE_PAGES)
def test_pages_read_a_range_of_days_or_all_the_data(
    clients: dict[str, TestClient], web_ws: Workspace, path: str, period: str
) -> None:
    """Issue 14 §2: ?period= takes a range of days or 'all', like `kaname kpis --period`."""
    joiner = "&" if "?" in path else "?"
    response = clients["viewer"].get(f"{path}{joiner}period={period}")
    assert response.status_code == 200, response.text[:500]
    assert "Traceback" not in response.text
    assert web_ws.period(period).label in response.text


def test_a_range_has_one_value_on_the_page_and_in_its_json(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    period = web_ws.period("2026-10-01..2026-11-15")
    report = web_ws.kpi_report(["leads", "cpa"], period)
    for rec in report.itertuples():
        api = clients["viewer"].get(f"/api/kpi/{rec.kpi}?period=2026-10-01..2026-11-15").json()
        current = api["current"]
        assert current["period"] == period.label
        assert close(current["actual"], rec.actual), rec.kpi


def test_kpi_page_names_target_periods_and_formula(clients: dict[str, TestClient]) -> None:
    """The target history reads 2026年11月 (not 2026-11-01 (月次)); the formula by names."""
    import re

    page = clients["viewer"].get("/kpi/sql_rate").text
    history = page[page.index('data-testid="formula"') :]
    assert "2026年11月" in history and not re.search(r"\d{4}-\d{2}-01 \(", history)
    assert "mqls" not in history.split("</dd>")[0]
