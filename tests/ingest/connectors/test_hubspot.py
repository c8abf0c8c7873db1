"""HubSpot connector against a local fake HubSpot: first, incremental and full syncs, crash and
resume, deletes, bad credentials, 429/5xx/cut pages and a permanent error mid-run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from connector_fakes import FakeHubSpot, Fault

from kaname.ingest.connectors import sync as sync_module
from kaname.ingest.connectors.base import ConnectorError
from kaname.ingest.connectors.service import ConnectorService
from kaname.workspace import Workspace

TOKEN = "pat-na1-good-token"


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(TOKEN)
    fake.put(
        "companies",
        "11",
        name="株式会社アルファ",
        industry="SOFTWARE",
        numberofemployees=120,
        state="東京都",
        hs_analytics_source="ORGANIC_SEARCH",
    )
    fake.put("companies", "12", name="Beta Inc.", numberofemployees=30)
    for i in range(1, 8):
        fake.put(
            "contacts",
            str(i),
            email=f"user{i}@example.jp",
            hs_analytics_source="PAID_SEARCH" if i % 2 else "ORGANIC_SEARCH",
            lifecyclestage="lead",
            associatedcompanyid="11" if i < 5 else "12",
            hs_lifecyclestage_lead_date="2025-04-01T00:30:00.000Z",
        )
    fake.put(
        "contacts",
        "3",
        lifecyclestage="marketingqualifiedlead",
        hs_lifecyclestage_marketingqualifiedlead_date="2025-04-03T01:00:00.000Z",
    )
    fake.put(
        "deals",
        "901",
        dealname="Alpha license",
        amount="1200000",
        dealstage="appointmentscheduled",
        pipeline="default",
        dealtype="newbusiness",
        hs_is_closed_won="false",
    )
    fake.put("deals", "901", dealstage="presentationscheduled")
    fake.associate("deals", "901", "companies", "11")
    fake.associate("deals", "901", "contacts", "3")
    fake.events = [
        {
            "id": f"ev{i}",
            "type": kind,
            "recipient": "user3@example.jp",
            "created": 1743480000000 + i,
            "emailCampaignId": 555,
            "portalId": 1,
            "appId": 113,
            "appName": "BatchEmail",
        }
        for i, kind in enumerate(["SENT", "DELIVERED", "OPEN", "CLICK", "BOUNCE"])
    ]
    yield fake
    fake.stop()


def connect(ws: Workspace, fake: FakeHubSpot, token: str = TOKEN, **extra: Any) -> None:
    ws.connectors.connect(
        "hubspot",
        {"access_token": token, "base_url": fake.url, "page_size": 3, **extra},
        check=False,
    )


def table(ws: Workspace, name: str) -> list[dict[str, Any]]:
    frame = ws.warehouse.con.table(name).to_pandas()
    return frame.to_dict(orient="records")


def ids(ws: Workspace, name: str, key: str) -> list[str]:
    return sorted(str(r[key]) for r in table(ws, name))


def test_first_sync_fills_raw_and_canonical_tables(ws: Workspace, hubspot: FakeHubSpot) -> None:
    connect(ws, hubspot)
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "ok", result.error
    assert result.tables["raw_hubspot_contacts"] == 7
    assert ids(ws, "leads", "lead_id") == [str(i) for i in range(1, 8)]
    leads = {r["lead_id"]: r for r in table(ws, "leads")}
    assert leads["3"]["status"] == "mql"
    assert str(leads["3"]["mql_at"]) == "2025-04-03 10:00:00"  # UTC 01:00 → Tokyo 10:00
    assert leads["1"]["channel"] == "paid_ads" and leads["2"]["channel"] == "owned_media"
    assert leads["1"]["account_id"] == "11"
    accounts = {r["account_id"]: r for r in table(ws, "accounts")}
    assert accounts["11"]["name"] == "株式会社アルファ" and accounts["11"]["employees"] == 120
    [deal] = table(ws, "opportunities")
    assert deal["amount"] == 1_200_000 and deal["stage"] == "proposal"
    assert deal["account_id"] == "11" and deal["lead_id"] == "3" and deal["is_won"] is False
    stages = sorted(r["stage"] for r in table(ws, "opportunity_stages"))
    assert stages == ["proposal", "qualification"]
    touch = sorted(r["type"] for r in table(ws, "touchpoints"))
    assert touch == ["email_click", "email_delivered", "email_open", "email_sent"]
    assert {r["lead_id"] for r in table(ws, "touchpoints")} == {"3"}
    [run] = ws.connectors.history("hubspot")
    assert run["status"] == "ok" and run["tables"]["leads"] == 7


def test_incremental_sync_fetches_changes_only_and_adds_no_duplicates(
    ws: Workspace, hubspot: FakeHubSpot
) -> None:
    connect(ws, hubspot)
    ws.connectors.sync("hubspot")
    list_calls = hubspot.count("/crm/v3/objects/contacts")
    hubspot.put(
        "contacts",
        "2",
        lifecyclestage="salesqualifiedlead",
        hs_lifecyclestage_salesqualifiedlead_date="2025-05-01T00:00:00.000Z",
    )
    hubspot.put("contacts", "8", email="new@example.jp", lifecyclestage="lead")
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "ok", result.error
    assert hubspot.count("/crm/v3/objects/contacts/search") >= 1
    # The two changes, and the record at the cursor itself (the search is >= cursor).
    assert result.tables["raw_hubspot_contacts"] == 3
    assert hubspot.count("/crm/v3/objects/contacts") - list_calls <= 3
    leads = {r["lead_id"]: r for r in table(ws, "leads")}
    assert len(table(ws, "leads")) == 8
    assert leads["2"]["status"] == "sql" and leads["8"]["email"] == "new@example.jp"
    assert len(table(ws, "raw_hubspot_contacts")) == 8


def test_rerun_and_full_resync_add_no_duplicates(ws: Workspace, hubspot: FakeHubSpot) -> None:
    connect(ws, hubspot)
    ws.connectors.sync("hubspot")
    before = {
        name: len(table(ws, name))
        for name in ("leads", "accounts", "opportunities", "opportunity_stages", "touchpoints")
    }
    ws.connectors.sync("hubspot")
    ws.connectors.sync("hubspot", full=True)
    after = {name: len(table(ws, name)) for name in before}
    assert after == before
    assert len(table(ws, "raw_hubspot_contacts")) == 7


def test_sync_killed_half_way_resumes_and_completes(
    ws: Workspace, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "FLUSH_ROWS", 2)
    connect(ws, hubspot)
    calls = {"n": 0}

    def crash(label: str, done: int, total: int) -> None:
        if label == "hubspot contacts":
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        ws.connectors.sync("hubspot", progress=crash)
    state = ws.connectors._state("hubspot", "contacts")
    assert state.get("phase") == "full" and state.get("after")  # resume point saved
    partial = len(table(ws, "raw_hubspot_contacts"))
    assert 0 < partial < 7
    [run] = ws.connectors.history("hubspot")
    assert run["status"] == "interrupted" and "同期が中断されました" in run["error"]  # ja workspace
    first_page_calls = hubspot.count("/crm/v3/objects/contacts")
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "ok", result.error
    # The resumed run starts at the saved `after`, not at the first page.
    resumed = hubspot.count("/crm/v3/objects/contacts") - first_page_calls
    assert resumed < 3 + 1 + 1  # at most the remaining pages + archived listing
    assert ids(ws, "leads", "lead_id") == [str(i) for i in range(1, 8)]
    assert len(table(ws, "raw_hubspot_contacts")) == 7
    assert result.resumed == [run["id"]]
    resumed, interrupted = ws.connectors.history("hubspot")
    assert interrupted["resumed_by"] == resumed["id"] == result.run_id


def test_archived_records_are_removed_from_canonical_tables(
    ws: Workspace, hubspot: FakeHubSpot
) -> None:
    connect(ws, hubspot)
    ws.connectors.sync("hubspot")
    hubspot.archive("contacts", "5")
    ws.connectors.sync("hubspot")
    assert "5" not in ids(ws, "leads", "lead_id")
    raw = {r["id"]: r for r in table(ws, "raw_hubspot_contacts")}
    assert raw["5"]["deleted"] is True


def test_bad_credentials_fail_clearly_and_keep_earlier_data(
    ws: Workspace, hubspot: FakeHubSpot
) -> None:
    with pytest.raises(ConnectorError, match="HTTP 401"):
        ws.connectors.connect(
            "hubspot", {"access_token": "pat-wrong", "base_url": hubspot.url}, check=True
        )
    assert not ws.connectors.connected()
    connect(ws, hubspot)
    ws.connectors.sync("hubspot")
    hubspot.token = "rotated-token"
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "failed"
    assert "HTTP 401" in result.error and "INVALID_AUTHENTICATION" in result.error
    assert len(table(ws, "leads")) == 7
    assert ws.connectors.history("hubspot")[0]["error"] == result.error


def test_429_5xx_and_cut_pages_are_retried(ws: Workspace, hubspot: FakeHubSpot) -> None:
    hubspot.faults = [
        Fault("/crm/v3/objects/contacts", status=429, headers={"Retry-After": "0"}, times=2),
        Fault("/crm/v3/objects/companies", status=502, times=1),
        Fault("/crm/v3/objects/contacts", kind="cut", skip=1, times=1),
    ]
    connect(ws, hubspot)
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "ok", result.error
    assert all(f.times == 0 for f in hubspot.faults)
    assert ids(ws, "leads", "lead_id") == [str(i) for i in range(1, 8)]


def test_permanent_error_stops_the_source_and_keeps_what_loaded(
    ws: Workspace, hubspot: FakeHubSpot
) -> None:
    hubspot.faults = [
        Fault(
            "/crm/v3/objects/deals",
            status=403,
            times=99,
            body=b'{"status":"error","category":"MISSING_SCOPES"}',
        )
    ]
    connect(ws, hubspot)
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "failed" and "403" in result.error and "MISSING_SCOPES" in result.error
    assert len(table(ws, "leads")) == 7  # contacts synced before deals were refused
    assert table(ws, "opportunities") == []


def test_pages_fetched_before_a_permanent_error_are_kept_and_not_fetched_again(
    ws: Workspace, hubspot: FakeHubSpot
) -> None:
    # contacts are paged 3 at a time; the third page is refused for good.
    hubspot.faults = [
        Fault("/crm/v3/objects/contacts", status=403, skip=2, times=99, body=b'{"x": 1}')
    ]
    connect(ws, hubspot)
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "failed" and "403" in result.error
    assert ids(ws, "leads", "lead_id") == ["1", "2", "3", "4", "5", "6"]
    resume = ws.connectors._state("hubspot", "contacts")
    assert resume["phase"] == "full" and resume["after"] == "6"
    hubspot.faults = []
    before = hubspot.count("/crm/v3/objects/contacts")
    [result] = ws.connectors.sync("hubspot")
    assert result.status == "ok", result.error
    assert len(table(ws, "leads")) == 7
    # The first sync continued from the seventh contact: one list page, then archived records.
    assert hubspot.count("/crm/v3/objects/contacts") - before == 2


def test_workspace_mapping_yaml_overrides_the_default(ws: Workspace, hubspot: FakeHubSpot) -> None:
    (ws.root / "connectors").mkdir()
    (ws.root / "connectors" / "hubspot.mapping.yaml").write_text(
        "channels:\n  PAID_SEARCH: partner\n", encoding="utf-8"
    )
    connect(ws, hubspot)
    ws.connectors.sync("hubspot")
    leads = {r["lead_id"]: r for r in table(ws, "leads")}
    assert leads["1"]["channel"] == "partner" and leads["2"]["channel"] == "owned_media"


def test_list_sources_and_history_for_the_sources_page(ws: Workspace, hubspot: FakeHubSpot) -> None:
    connect(ws, hubspot)
    ws.connectors.sync("hubspot")
    items = {s["source"]: s for s in ws.connectors.list_sources()}
    hub = items["hubspot"]
    assert hub["connected"] and hub["settings"]["access_token"] == "***"
    assert hub["last_run"]["status"] == "ok"
    assert hub["raw_rows"]["raw_hubspot_contacts"] == 7
    assert all(not s["connected"] for name, s in items.items() if name != "hubspot")
    assert json.dumps(items, default=str).count(TOKEN) == 0


def test_a_sync_stopped_by_an_unexpected_error_is_recorded_and_does_not_block_the_next(
    ws: Workspace, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(ws, hubspot)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(ConnectorService, "_map", broken)
        with pytest.raises(RuntimeError):
            ws.connectors.sync("hubspot")
    [run] = ws.connectors.history("hubspot")
    assert run["status"] == "failed" and "disk full" in run["error"]  # not `running`
    [result] = ws.connectors.sync("hubspot")  # the source is not held by the stopped run
    assert result.status == "ok" and result.resumed == [run["id"]]
    assert ids(ws, "leads", "lead_id") == [str(i) for i in range(1, 8)]
