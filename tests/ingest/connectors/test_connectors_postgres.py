"""Syncs into a PostgreSQL warehouse: the raw tables keep JSON records (the columnar layout is
DuckDB's), the canonical tables come from the general mapper, leads are scored after the sync,
a re-run adds nothing, and a re-pulled report window drops the rows the platform no longer has."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from connector_fakes import FakeGoogle, FakeHubSpot

from kaname.config import WorkspaceConfig
from kaname.ingest.connectors import reports
from kaname.workspace import Workspace
from pg_settings import PG_DB, PG_HOST, PG_USER

pytestmark = pytest.mark.postgres
TOKEN = "pat-na1-postgres-token"


@pytest.fixture
def pg_ws(tmp_path: Path, pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("KANAME_SECRET_KEY", raising=False)
    config = WorkspaceConfig(
        warehouse_url=f"postgres://{PG_USER}@{PG_HOST}:5432/{PG_DB}?schema={pg_schema}",
        url_allow_list=["127.0.0.1"],
    )
    ws = Workspace.init(tmp_path / "ws", config)
    yield ws
    ws.close()


def _rows(ws: Workspace, table: str) -> list[dict[str, Any]]:
    return list(ws.warehouse.con.table(table).to_pandas().to_dict(orient="records"))


def test_hubspot_sync_into_postgres(pg_ws: Workspace) -> None:
    fake = FakeHubSpot(TOKEN)
    try:
        for i in range(1, 8):
            fake.put(
                "contacts",
                str(i),
                email=f"user{i}@example.jp",
                lifecyclestage="lead",
                hs_analytics_source="PAID_SEARCH",
            )
        fake.put("companies", "11", name="株式会社アルファ", numberofemployees=120)
        pg_ws.connectors.connect(
            "hubspot", {"access_token": TOKEN, "base_url": fake.url, "page_size": 3}, check=False
        )
        [result] = pg_ws.connectors.sync("hubspot")
        assert result.status == "ok", result.error
        assert "data" in pg_ws.warehouse.con.table("raw_hubspot_contacts").columns
        leads = {r["lead_id"]: r for r in _rows(pg_ws, "leads")}
        assert len(leads) == 7 and leads["1"]["channel"] == "paid_ads"
        assert result.scoring is not None and result.scoring["scored"] == 7
        fake.archive("contacts", "5")
        [again] = pg_ws.connectors.sync("hubspot")
        assert again.status == "ok", again.error
        assert sorted(r["lead_id"] for r in _rows(pg_ws, "leads")) == ["1", "2", "3", "4", "6", "7"]
        assert len(_rows(pg_ws, "raw_hubspot_contacts")) == 7
    finally:
        fake.stop()


def test_ga4_window_sweep_on_postgres(pg_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "today", lambda: dt.date(2025, 4, 5))
    fake = FakeGoogle("1//pg-refresh")
    try:
        for day in range(1, 6):
            for group in ("Organic Search", "Email"):
                fake.traffic[(f"202504{day:02d}", group)] = {"sessions": 10 + day, "totalUsers": 5}
        pg_ws.connectors.connect(
            "ga4",
            {
                "property_id": "123456",
                "base_url": fake.url,
                "token_url": fake.url + "/token",
                "client_id": "cid",
                "client_secret": "secret",
                "refresh_token": "1//pg-refresh",
                "start_date": "2025-04-01",
            },
            check=False,
        )
        [first] = pg_ws.connectors.sync("ga4")
        assert first.status == "ok", first.error
        assert len(_rows(pg_ws, "web_traffic")) == 10
        del fake.traffic[("20250404", "Email")]
        [second] = pg_ws.connectors.sync("ga4")
        assert second.status == "ok" and second.deleted == 1, second.error
        keys = {(str(r["date"])[:10], r["channel"]) for r in _rows(pg_ws, "web_traffic")}
        assert ("2025-04-04", "email") not in keys and len(keys) == 9
    finally:
        fake.stop()
