"""The page cache keeps page data until the data changes (not for a fixed time), a write shows at
once, and the warmer builds the heavy pages after a change so the first load finds them cached
(issue 16 §8)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.dashboard import Dashboard, Filters, core
from kaname.dashboard import analysis as an
from kaname.dashboard import service as dashboard_service
from kaname.dashboard import warm as warm_module
from kaname.dashboard.warm import Warmer, pages, warm
from kaname.demo import build_demo
from kaname.web.app import create_app, start_warming
from kaname.workspace import Workspace
from web_helpers import PASSWORD, csrf_of, login

AS_OF = dt.date(2026, 11, 20)
OLD_TTL = 120.0
"""How long the page cache used to keep a value, whatever happened to the data."""


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("cache") / "demo"
    built = build_demo(root, scale=0.01, as_of=AS_OF)
    built.refresh(full=True)
    accounts = Accounts(built.appdb)
    accounts.create_user("editor", PASSWORD, role="editor")
    yield built
    built.close()


class Counted:
    """Wraps a page builder and counts how often it really ran."""

    def __init__(self, build: Any) -> None:
        self.build = build
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.build(*args, **kwargs)


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the clock the cache reads forward by `seconds`."""
    now = time.monotonic()
    monkeypatch.setattr(core.time, "monotonic", lambda: now + seconds)


def test_page_data_stays_cached_past_the_old_ttl_until_a_write(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    executive = Counted(dashboard_service.executive)
    monkeypatch.setattr(dashboard_service, "executive", executive)
    client = login(TestClient(create_app(ws)), "editor")
    first = client.get("/api/executive").json()
    assert executive.calls == 1

    later(monkeypatch, OLD_TTL * 30)  # an hour later: nothing was written meanwhile
    assert client.get("/api/executive").json() == first
    assert client.get("/executive").status_code == 200
    assert executive.calls == 1

    # A write through the dashboard (an action on the KPI) shows at once: built again.
    created = client.post(
        "/api/actions",
        json={"title": "Cache test webinar", "kpis": ["revenue"], "start_date": "2026-11-02"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert created.status_code == 200, created.text
    client.get("/api/executive")
    assert executive.calls == 2
    trend = client.get("/api/trends?kpi=revenue&periods=3").json()
    assert "Cache test webinar" in [a["text"] for a in trend["annotations"]]


def test_app_writes_keep_warehouse_data_and_warehouse_writes_drop_it(ws: Workspace) -> None:
    dash = Dashboard(ws)
    f = Filters()
    attribution = ("analysis.attribution", an.DEFAULT_COMPARE, "lead", "", "deal")
    executive = ("executive", f, "en")
    an.attribution(dash)
    dash.executive(f, "en")
    assert dash.is_cached(attribution, warehouse_only=True) and dash.is_cached(executive)

    dash.invalidate(warehouse=False)  # a plan, target, action or alert was saved
    assert dash.is_cached(attribution, warehouse_only=True)
    assert not dash.is_cached(executive)

    dash.executive(f, "en")
    dash.invalidate()  # a refresh, import, sync or merge
    assert not dash.is_cached(attribution, warehouse_only=True)
    assert not dash.is_cached(executive)


def test_the_calendar_turning_rebuilds_what_says_today(ws: Workspace) -> None:
    dash = Dashboard(ws)
    before = dash.executive(Filters(), "en")
    assert before["as_of"] == AS_OF.isoformat()
    saved = ws.config
    try:
        ws.config = saved.model_copy(update={"as_of": AS_OF + dt.timedelta(days=1)})
        assert dash.executive(Filters(), "en")["as_of"] == "2026-11-21"
    finally:
        ws.config = saved


@pytest.mark.slow
def test_warming_fills_the_pages_after_a_refresh(ws: Workspace) -> None:
    dash = Dashboard(ws)
    ws.refresh()
    dash.invalidate()  # what the server does after its refresh
    f = Filters()
    heavy = {
        ("executive", f, "ja"): False,
        ("department", "marketing", f, "ja"): False,
        ("department", "customer_success", f, "en"): False,
        ("funnel", f, "ja"): False,
        ("channels", f, "ja", None): False,
        ("analysis.attribution", an.DEFAULT_COMPARE, "lead", "", "deal"): True,
        ("analysis.cohorts", 12, 24): True,
        ("quality", 7): False,
    }
    assert not any(dash.is_cached(k, w) for k, w in heavy.items())

    result = warm(dash)
    assert result["complete"] and result["failed"] == []
    assert len(result["pages"]) == len(pages(dash))
    assert "kpi/revenue:ja" in result["pages"]  # the KPI pages the cards link to
    missing = [k for k, w in heavy.items() if not dash.is_cached(k, w)]
    assert missing == []
    found = dash.plan()
    assert found is not None and dash.is_cached(("plans.check", found[1].id, "ja"))


@pytest.mark.slow
def test_the_server_warms_after_a_change_and_its_pages_use_it(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    lang = ws.config.language  # what the editor's pages are in (no language of their own)
    monkeypatch.setattr(warm_module, "languages", lambda dash: [lang])  # one is enough here
    app = create_app(ws)
    client = login(TestClient(app), "editor")
    funnel = Counted(dashboard_service.funnel)
    monkeypatch.setattr(dashboard_service, "funnel", funnel)
    warmer: Warmer = start_warming(app)
    try:
        state = _wait(client, rounds=1)
        assert state["warmer"]["last"]["complete"]
        assert funnel.calls >= 1
        app.state.dashboard.invalidate()  # e.g. a refresh through the server
        _wait(client, rounds=state["warmer"]["rounds"] + 1)
        calls = funnel.calls
        assert client.get("/funnel").status_code == 200
        assert client.get("/api/funnel").status_code == 200
        assert funnel.calls == calls  # the first load after the change found it warm
        dash = app.state.dashboard
        assert dash.is_cached(("executive-gauges", Filters(), lang))
        assert dash.is_cached(("empty",), warehouse_only=True)
    finally:
        warmer.stop()


def _wait(client: TestClient, rounds: int) -> dict[str, Any]:
    """The cache state once the warmer finished `rounds` rounds and is idle."""
    for _ in range(2400):  # a generous bound, not a timing assertion
        state = client.get("/api/cache").json()
        warmer = state["warmer"]
        if warmer["rounds"] >= rounds and not warmer["warming"]:
            return dict(state)
        time.sleep(0.1)
    raise AssertionError(f"the warmer did not finish: {state}")


def test_cache_state_needs_a_login(ws: Workspace) -> None:
    assert TestClient(create_app(ws)).get("/api/cache").status_code == 401


def test_user_dimensions_are_read_once_per_warehouse_change(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kaname.store import dimensions

    reads = Counted(dimensions._available)
    monkeypatch.setattr(dimensions, "_available", reads)
    ws.warehouse.forget()
    ws.engine()
    ws.engine()
    assert reads.calls == 1
    Dashboard(ws).invalidate()  # a write: read again
    ws.engine()
    assert reads.calls == 2


def test_outside_refresh_invalidates_warehouse_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh recorded by another process counts as a warehouse change."""
    monkeypatch.setattr(core, "STAMP_SECONDS", 0.0)
    root = tmp_path / "demo"
    server_ws = build_demo(root, scale=0.01, as_of=AS_OF)
    dash = Dashboard(server_ws)
    key = ("analysis.cohorts", 12, 24)
    an.cohorts(dash)
    assert dash.is_cached(key, warehouse_only=True)
    server_ws.refresh()  # records a refresh run in the app DB, as `kaname refresh` would
    assert not dash.is_cached(key, warehouse_only=True)
    server_ws.close()
