"""The product at the turns of the calendar: a demo company pinned to each of the days where dates
go wrong (a month's last and first day, the fiscal-year start, New Year, Golden Week, the 3rd of a
month) must show its current period, pace it, compare it and report on it without errors.

This is the "suite can't rot" pass: every date-sensitive surface runs here at each pinned date, so
a test that only passes in one month fails in CI instead of on the day the calendar turns.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.clock import ENV_TODAY, Clock, real_today
from kaname.demo import EXECUTIVE_KPIS, build_demo
from kaname.metrics.calendar import Grain, period_of
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, login

TURNS = {
    "month-end": dt.date(2026, 11, 30),
    "month-start": dt.date(2026, 12, 1),
    "third-day": dt.date(2026, 12, 3),
    "new-year": dt.date(2027, 1, 1),
    "fiscal-year-start": dt.date(2027, 4, 1),
    "golden-week": dt.date(2027, 5, 4),
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=list(TURNS), ids=list(TURNS))
def turn(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    day = TURNS[request.param]
    root = tmp_path_factory.mktemp(request.param) / "demo"
    ws = build_demo(root, scale=0.01, as_of=day)
    Accounts(ws.appdb).create_user("admin", PASSWORD, role="admin")
    client = login(TestClient(create_app(ws)), "admin")
    yield day, ws, client
    ws.close()


def test_the_workspace_clock_is_the_pinned_day(turn) -> None:  # type: ignore[no-untyped-def]
    day, ws, _ = turn
    assert ws.today() == day
    assert ws.config.as_of == day  # written to kaname.yaml: reopening keeps the same day
    assert Workspace.open(ws.root).today() == day
    month = ws.period(None)
    assert month.start <= day < month.end and month.grain is Grain.MONTH


def test_executive_kpis_pace_the_running_month(turn) -> None:  # type: ignore[no-untyped-def]
    day, ws, _ = turn
    report = ws.kpi_report(list(EXECUTIVE_KPIS))
    assert set(report["kpi"]) == set(EXECUTIVE_KPIS)
    assert (report["period"] == period_of(day, Grain.MONTH, 4).label).all()
    for row in report.itertuples():
        if row.kpi in ("revenue", "leads", "deals") and not math.isnan(row.actual):
            # A to-date count is projected forward to the month end, never below what is in.
            assert row.projection >= row.actual - 1e-9, row
        assert row.status in {"on_track", "at_risk", "off_track", "no_target", "no_data"}, row


def test_every_page_and_twin_answers(turn) -> None:  # type: ignore[no-untyped-def]
    day, _, client = turn
    for path in ("/executive", "/tree", "/funnel", "/channels", "/tactics", "/trends", "/review"):
        page = client.get(path)
        assert page.status_code == 200, (day, path, page.text[:500])
        twin = client.get(f"/api{path}")
        assert twin.status_code == 200, (day, path, twin.text[:500])
    executive = client.get("/api/executive").json()
    assert executive["as_of"] == day.isoformat()


def test_reports_cover_the_last_complete_month(turn) -> None:  # type: ignore[no-untyped-def]
    day, _, client = turn
    last_month = period_of(day.replace(day=1) - dt.timedelta(days=1), Grain.MONTH, 4)
    assert client.get("/api/reports").json()["periods"]["monthly"] == last_month.label
    html = client.get("/reports/download?kind=monthly&format=html")
    assert html.status_code == 200
    assert f"kaname-report-{last_month.label}.html" in html.headers["content-disposition"]


def test_alert_rules_run(turn) -> None:  # type: ignore[no-untyped-def]
    _, ws, _ = turn
    result = ws.act.check_alerts(dry_run=True)
    assert not [e for e in result.get("errors", []) if "Traceback" in str(e)]


def test_the_real_clock_and_its_environment_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one test that reads the real date: an unpinned clock follows it, or KANAME_TODAY."""
    monkeypatch.delenv(ENV_TODAY, raising=False)
    assert Clock().today() == dt.date.today()
    monkeypatch.setenv(ENV_TODAY, "2027-04-01")
    assert real_today() == dt.date(2027, 4, 1) == Clock().today()
    assert Clock(dt.date(2026, 5, 4)).today() == dt.date(2026, 5, 4)  # a workspace pin wins
    monkeypatch.setenv(ENV_TODAY, "April")
    with pytest.raises(ValueError, match="KANAME_TODAY"):
        real_today()


def test_an_unpinned_workspace_follows_the_environment_clock(tmp_path: Path) -> None:
    # tests/conftest.py pins KANAME_TODAY for the whole suite, so no test reads the real date.
    ws = Workspace.init(tmp_path / "ws")
    assert ws.config.as_of is None
    assert ws.today() == dt.date.fromisoformat(os.environ[ENV_TODAY])
    ws.close()


def test_comparisons_are_like_for_like(turn) -> None:  # type: ignore[no-untyped-def]
    """A running month is compared with its bases up to the same business day, so the 3rd of a
    month never reads -100% against the whole of last year's month."""
    day, ws, client = turn
    data = client.get("/api/executive").json()
    month = period_of(day, Grain.MONTH, 4)
    running = month.start <= day < month.last_day
    assert data["progress"]["running"] is running
    for row in [data["kgi"], *data["kpis"]]:
        previous, year = row["comparison"]["previous"], row["comparison"]["previous_year"]
        assert previous["period"] == month.previous().label
        assert year["period"] == month.year_ago().label
        assert previous["to_date"] is running and year["to_date"] is running
    if running:
        assert data["last_complete"]["period"] == month.previous().label
        counts = [
            r for r in [data["kgi"], *data["kpis"]] if r["kpi"] in ("revenue", "deals", "mqls")
        ]
        whole = ws.kpi_report([r["kpi"] for r in counts], month.year_ago()).set_index("kpi")
        for row in counts:  # to date, never more than the whole month a year ago
            assert row["previous_year"] <= whole.loc[row["kpi"], "actual"]
        assert any(r["previous_year"] < whole.loc[r["kpi"], "actual"] for r in counts)
    else:
        assert data["last_complete"] is None


def test_the_report_compares_its_month_with_the_month_before(turn) -> None:  # type: ignore[no-untyped-def]
    day, ws, _ = turn
    last_month = period_of(day.replace(day=1) - dt.timedelta(days=1), Grain.MONTH, 4)
    data = ws.act.report_data(last_month.label)
    assert data["period"] == last_month.label
    comparison = data["comparison"]  # a finished month: whole months, never to date
    assert comparison["to_date"] is False
    against = {b["name"]: b["period"] for b in comparison["bases"]}
    assert against["previous"] == last_month.previous().label
    assert against["previous_year"] == last_month.year_ago().label
