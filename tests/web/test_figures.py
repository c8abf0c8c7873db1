"""Figures that make sense (issue 12, parts 5 and 6): gauges, funnel percentages, the cohort
funnel, the forecast on the executive cards."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from kaname.web import charts
from kaname.workspace import Workspace
from web_helpers import csrf_of


def test_gauge_shows_the_achievement_of_the_label() -> None:
    fig = json.loads(charts.gauge(1.55, "on_track", "MQLs"))
    indicator = fig["data"][0]
    assert indicator["value"] == 155.0  # was pinned at 150 beside a "155%" label
    low, high = indicator["gauge"]["axis"]["range"]
    assert low == 0 and high >= 155
    assert json.loads(charts.gauge(0.8, "at_risk", "x"))["data"][0]["gauge"]["axis"]["range"] == [
        0,
        150.0,
    ]


def test_no_target_no_gauge() -> None:
    assert charts.gauge(None, "no_target", "CAC") == ""  # was a 0% gauge


def test_funnel_has_no_infinite_percentages() -> None:
    stages = [
        {"stage": "sessions", "name": "Sessions", "value": 0, "conversion": None},
        {"stage": "leads", "name": "Leads", "value": 120, "conversion": None},
        {"stage": "mqls", "name": "MQLs", "value": 30, "conversion": 0.25},
    ]
    trace = json.loads(charts.funnel(stages, "Funnel"))["data"][0]
    assert "percent" not in trace["textinfo"]  # Plotly's "percent previous" read Infinity%
    assert trace["text"] == ["0", "120", "30 (25%)"]


def test_cohort_funnel_follows_the_cohort(clients: dict[str, TestClient]) -> None:
    viewer = clients["viewer"]
    cohort = viewer.get("/api/funnel?period=2026-10&view=cohort").json()
    period = viewer.get("/api/funnel?period=2026-10").json()
    stages = {s["stage"]: s for s in cohort["stages"]}
    times = {t["to"]: t for t in cohort["lead_times"]}
    # lead times of the cohort's own leads, not the period view's stage changes
    assert times["mqls"]["n"] == stages["mqls"]["value"]
    assert cohort["lead_times"] != period["lead_times"]
    # a month-old cohort has not had time to win deals: no target, no 100% drop-off
    assert stages["deals"]["target"] is None
    assert stages["deals"]["maturing"] is True
    assert stages["deals"]["drop_off"] is None
    assert stages["leads"]["target"] == {s["stage"]: s for s in period["stages"]}["leads"]["target"]
    assert cohort["cohort_age_days"] == 20  # 2026-10-31 → 2026-11-20
    html = viewer.get("/funnel?period=2026-10&view=cohort", headers={"Accept-Language": "ja"}).text
    assert 'data-testid="maturing-deals"' in html and "成熟中" in html
    # an old cohort is mature
    old = viewer.get("/api/funnel?period=2025-10&view=cohort").json()
    assert not any(s["maturing"] for s in old["stages"])


def test_plan_check_flags_an_implausible_ltv_cac(clients: dict[str, TestClient]) -> None:
    viewer = clients["viewer"]
    headers = {"X-CSRF-Token": csrf_of(viewer)}
    # the demo plan's LTV assumption against its target CAC: dozens of times over
    check = viewer.post("/api/plans/check", json={}, headers=headers).json()
    ratio = check["solution"]["unit_costs"]["ltv_cac"]
    assert ratio > 10
    flags = [f for f in check["findings"] if f["rule"] == "LTV-CAC"]
    assert flags and "高すぎます" in flags[0]["message_ja"]  # was "meets the 3:1 guideline"
    assert not any("meets the 3:1" in c for c in check["solution"]["checks"])
    assert check["solution"]["unit_cost_units"]["ltv_cac"] == "multiple"
    # with an ARPA the payback is in months, not yen
    check = viewer.post("/api/plans/check", json={"a__arpa": "300000"}, headers=headers).json()
    assert check["solution"]["unit_cost_units"]["cac_payback_months"] == "months"
    html = viewer.post("/plans/check", data={"a__arpa": "300000", "csrf_token": csrf_of(viewer)})
    cell = html.text.split('data-testid="unit-cost-cac_payback_months">')[1].split("<")[0]
    assert cell.endswith("ヶ月") and "円" not in cell


def test_one_landing_story_per_card(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    from kaname.metrics.pacing import status

    viewer = clients["viewer"]
    for grain in ("month", "quarter"):
        data = viewer.get(f"/api/executive?grain={grain}").json()
        for row in [data["kgi"], *data["kpis"]]:
            # the landing is the run-rate projection, named, and the status is judged on it
            assert row["projection_method"] == "run_rate"
            assert row["status_basis"] == "projection"
            if row["target"] is not None:
                expected = status(row["projection"], row["target"], row["direction"])
                assert row["status"] == str(expected)
            if row.get("forecast") is None or row["projection"] is None:
                continue
            low, high = row["forecast_lower"], row["forecast_upper"]
            projection = row["projection"]
            where = "below" if projection < low else "above" if projection > high else "within"
            assert row["forecast_check"] == where
            assert low >= 0  # no KPI of the executive page can be negative
        cac = next(r for r in data["kpis"] if r["kpi"] == "cac")
        assert "spend ÷ deals" in cac["forecast_model"]  # a ratio, from its components
    html = viewer.get("/executive").text
    assert "営業日ランレート（ステータスの基準）" in html and "ETS予測（検証用）" in html


def test_the_forecast_band_of_a_ratio_stays_in_its_domain(web_ws: Workspace) -> None:
    band = web_ws.analytics.forecast("cac", 6, "month").frame
    assert (band["lower"] >= 0).all()  # was −129.3万円 on the demo
    spend = web_ws.analytics.forecast("cpa", 6, "month")
    assert spend.model.startswith("spend ÷ leads")
