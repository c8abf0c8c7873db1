"""What another process writes (a CLI `plan apply`, `catalog add`, `refresh`, another worker)
shows on the running dashboard at once, not after the page cache expires."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.dashboard import core
from kaname.demo import build_demo
from kaname.metrics.calendar import Grain
from kaname.metrics.targets import TargetValue
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, login


def test_a_target_applied_elsewhere_shows_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "STAMP_SECONDS", 0.0)
    server_ws = build_demo(tmp_path / "demo", scale=0.01, as_of=dt.date(2026, 11, 20))
    Accounts(server_ws.appdb).create_user("admin", PASSWORD, role="admin")
    client = login(TestClient(create_app(server_ws)), "admin")
    before = client.get("/api/executive").json()["kgi"]["target"]
    assert client.get("/api/executive").json()["kgi"]["target"] == before  # cached

    other = Workspace.open(tmp_path / "demo")  # as `kaname plan apply` would, on the app DB
    month = other.period(None)
    other.targets.set(
        [TargetValue("revenue", Grain.MONTH, month.start, before * 2)], month.start, None, "cli"
    )
    other.appdb.dispose()
    assert client.get("/api/executive").json()["kgi"]["target"] == pytest.approx(before * 2)

    other.add_custom_kpi(
        other.catalog.get("leads").model_copy(update={"id": "leads_copy", "name_en": "Copy"})
    )
    other.appdb.dispose()
    assert client.get("/api/kpi/leads_copy").status_code == 200
    server_ws.close()
