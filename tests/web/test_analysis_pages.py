"""Analyse pages of the dashboard (issue 6): attribution side by side, cohorts, customers, the
attributed Channels view and the Trends forecast band; each JSON twin returns what
`ws.analytics` computes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from kaname.analytics import cohorts as cohort_maths
from kaname.analytics.service import DEFAULT_COMPARE
from kaname.auth.accounts import Accounts
from kaname.demo import build_demo
from kaname.web.app import create_app
from kaname.workspace import Workspace

PASSWORD = "analyse-pages-Pw-2026"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("analysis_web") / "demo"
    build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20)).close()
    workspace = Workspace.open(root)
    workspace.refresh(full=True)
    Accounts(workspace.appdb).create_user(
        "analyst", PASSWORD, role="admin", department="marketing", language="en"
    )
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(ws)) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        r = c.post(
            "/login",
            data={
                "username": "analyst",
                "password": PASSWORD,
                "csrf_token": token[1],
                "next": "/attribution",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:500]
        yield c


def test_pages_need_a_login(ws: Workspace) -> None:
    with TestClient(create_app(ws)) as anonymous:
        assert anonymous.get("/api/attribution").status_code == 401
        r = anonymous.get("/cohorts", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_attribution_page_shows_models_side_by_side(client: TestClient) -> None:
    r = client.get("/attribution?level=account&model=linear&model=markov&measure=value")
    assert r.status_code == 200, r.text[:1000]
    for label in ("Attribution", "Linear", "Markov chain (order 1)", "data-figure"):
        assert label in r.text
    assert 'data-model="linear"' in r.text and 'data-model="shapley"' not in r.text
    assert 'href="/attribution"' in r.text  # the nav link


def test_attribution_json_matches_the_service(client: TestClient, ws: Workspace) -> None:
    data = client.get("/api/attribution").json()
    assert [m["model"] for m in data["models"]] == list(DEFAULT_COMPARE)
    paths = ws.analytics.paths("lead")
    assert data["conversions"] == pytest.approx(paths["conversions"].sum())
    assert data["journeys"] == len(paths)
    for m in DEFAULT_COMPARE:
        credit = data["credit"][m]
        assert sum(c["conversions"] for c in credit.values()) == pytest.approx(data["conversions"])
        assert sum(c["value"] for c in credit.values()) == pytest.approx(data["value"])
    direct = ws.analytics.attribution("markov", "lead")
    for row in direct.to_dict(orient="records"):
        assert data["credit"]["markov"][row["channel"]]["conversions"] == pytest.approx(
            row["conversions"]
        )
    labels = {m["model"]: m["label"] for m in data["models"]}
    assert labels["markov"] == "Markov chain (order 1)"


def test_attribution_json_by_account_and_period(client: TestClient, ws: Workspace) -> None:
    data = client.get(
        "/api/attribution?level=account&period=FY2025&model=w_shaped&model=shapley"
    ).json()
    assert data["level"] == "account" and data["period"] == "FY2025"
    paths = ws.analytics.paths("account", ws.period("FY2025"))
    for m in ("w_shaped", "shapley"):
        total = sum(c["conversions"] for c in data["credit"][m].values())
        assert total == pytest.approx(paths["conversions"].sum())
    bad = client.get("/api/attribution?model=nonsense")
    assert bad.status_code == 400 and "model" in bad.json()["error"]


def test_channels_attributed_view_names_the_model(client: TestClient, ws: Workspace) -> None:
    period = "FY2025"
    data = client.get(f"/api/channels?period={period}&grain=year&model=markov").json()
    assert data["model"] == "markov" and data["model_label"] == "Markov chain (order 1)"
    assert "Markov chain (order 1)" in data["attribution"]
    direct = ws.analytics.channel_returns("markov", ws.period(period))
    by_channel = {r["channel"]: r for r in data["rows"]}
    for row in direct.to_dict(orient="records"):
        got = by_channel[row["channel"]]
        assert got["attributed_revenue"] == pytest.approx(row["attributed_revenue"])
        if row["roas"] == row["roas"]:
            assert got["attributed_roas"] == pytest.approx(row["roas"])
    page = client.get(f"/channels?period={period}&grain=year&model=markov")
    assert page.status_code == 200
    assert "Markov chain (order 1)" in page.text
    plain = client.get(f"/api/channels?period={period}&grain=year").json()
    assert "model" not in plain and "attributed_revenue" not in plain["columns"]


def test_cohorts_page_and_json(client: TestClient, ws: Workspace) -> None:
    r = client.get("/cohorts?stage=deal")
    assert r.status_code == 200, r.text[:1000]
    for label in ("Lead cohorts by creation month", "Customer retention by start month"):
        assert label in r.text
    assert 'data-testid="lead-cohorts"' in r.text and 'data-testid="logo-retention"' in r.text
    data = client.get("/api/cohorts?months=6").json()
    leads = ws.analytics.lead_cohorts(6)
    expected = cohort_maths.matrix(leads, "rate", "sql")
    got = data["lead"]["stages"]["sql"]
    assert got["rows"] == [str(c) for c in expected.index]
    assert np.allclose(
        np.array(got["z"], dtype=float), expected.to_numpy(dtype=float), equal_nan=True
    )
    logo = cohort_maths.matrix(ws.analytics.customer_cohorts(24), "logo_retention")
    assert np.allclose(
        np.array(data["customer"]["logo_retention"]["z"], dtype=float),
        logo.to_numpy(dtype=float),
        equal_nan=True,
    )


def test_customers_page_and_json(client: TestClient, ws: Workspace) -> None:
    r = client.get("/customers")
    assert r.status_code == 200, r.text[:1000]
    for label in ("RFM segments", "Customer lifetime value", 'data-testid="sbg"'):
        assert label in r.text
    data = client.get("/api/customers?before=2026-05-01").json()
    segments = ws.analytics.rfm_segments(ws.today())
    assert {s["segment"]: s["customers"] for s in data["segments"]} == dict(
        zip(segments["segment"], segments["customers"], strict=True)
    )
    movement = ws.analytics.rfm_movement(dt.date(2026, 5, 1), ws.today())
    assert sum(m["customers"] for m in data["movement"]) == movement["customers"].sum()
    ltv = ws.analytics.ltv()
    assert data["ltv"]["ltv"] == pytest.approx(ltv["ltv"])
    assert data["ltv"]["ltv_cac"] == pytest.approx(ltv["ltv_cac"])
    assert data["ltv"]["sbg"]["survival"][0] == pytest.approx(1.0)
    grid = client.get("/api/customers?by=rfm_segment").json()
    assert grid["by"] == "rfm_segment" and all("rfm_segment" in s for s in grid["segments"])


def test_forecast_json_and_trends_band(client: TestClient, ws: Workspace) -> None:
    data = client.get("/api/forecast?kpi=leads&horizon=6&grain=month").json()
    direct = ws.analytics.forecast("leads", 6, "month")
    assert [p["period"] for p in data["points"]] == list(direct.frame["period"])
    assert [p["mean"] for p in data["points"]] == pytest.approx(list(direct.frame["forecast"]))
    assert data["model"] == direct.model and data["level"] == 0.8
    trends = client.get("/api/trends?kpi=leads&grain=month").json()
    assert trends["forecast"] and {"period", "mean", "lower", "upper"} <= set(trends["forecast"][0])
    assert trends["forecast"] == data["points"]  # the same ETS band as /api/forecast
    assert all(p["lower"] <= p["mean"] <= p["upper"] for p in trends["forecast"])
    page = client.get("/trends?kpi=leads&grain=month")
    assert page.status_code == 200 and "ETS" in page.text
    filtered = client.get("/api/trends?kpi=leads&grain=month&channel=webinar").json()
    assert "forecast" not in filtered
    assert client.get("/api/forecast?kpi=nope").status_code == 400
