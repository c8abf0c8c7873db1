"""Salesforce connector against a local fake org: SOQL paging with nextRecordsUrl, incremental
on SystemModstamp, IsDeleted through queryAll, token refresh, crash and resume, bad credentials."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from connector_fakes import FakeSalesforce

from kaname.ingest.connectors import sync as sync_module
from kaname.workspace import Workspace

REFRESH = "5Aep861-refresh-token-value"
SECRET = "sf-consumer-secret-123"


@pytest.fixture
def org() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(REFRESH)
    fake.put(
        "Account",
        "001A",
        Name="株式会社アルファ",
        Industry="Technology",
        NumberOfEmployees=250,
        BillingState="東京都",
        AccountSource="Trade Show",
    )
    for i in range(1, 6):
        fake.put(
            "Lead",
            f"00Q{i}",
            Email=f"lead{i}@example.jp",
            LeadSource="Web",
            Status="Open - Not Contacted",
            IsConverted=False,
        )
    fake.put(
        "Lead",
        "00Q1",
        Status="Closed - Converted",
        IsConverted=True,
        ConvertedDate="2025-04-10",
        ConvertedAccountId="001A",
    )
    fake.put(
        "Campaign",
        "701W",
        Name="春のウェビナー",
        Type="Webinar",
        StartDate="2025-04-15",
        BudgetedCost=300000,
    )
    fake.put("CampaignMember", "00vM1", CampaignId="701W", LeadId="00Q2", Status="Attended")
    fake.put(
        "Opportunity",
        "006O",
        AccountId="001A",
        Name="Alpha",
        Type="New Business",
        LeadSource="Web",
        StageName="Proposal/Price Quote",
        Amount=2400000,
        CloseDate="2025-06-30",
        IsClosed=False,
        IsWon=False,
    )
    for j, stage in enumerate(["Prospecting", "Needs Analysis", "Proposal/Price Quote"]):
        fake.put("OpportunityHistory", f"008H{j}", OpportunityId="006O", StageName=stage)
    fake.put(
        "Task",
        "00TC",
        WhoId="00Q3",
        TaskSubtype="Call",
        CallDurationInSeconds=180,
        ActivityDate="2025-04-20",
        OwnerId="005U",
    )
    fake.put("Task", "00TE", WhoId="00Q3", TaskSubtype="Email")
    fake.put("Event", "00UE", WhoId="00Q1", StartDateTime="2025-04-22T05:00:00.000+0000")
    yield fake
    fake.stop()


def connect(ws: Workspace, org: FakeSalesforce, refresh: str = REFRESH) -> None:
    ws.connectors.connect(
        "salesforce",
        {
            "instance_url": org.url,
            "login_url": org.url,
            "client_id": "3MVG9-key",
            "client_secret": SECRET,
            "refresh_token": refresh,
        },
        check=False,
    )


def rows(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.warehouse.con.table(name).to_pandas().to_dict(orient="records")


def test_first_sync_maps_every_object(ws: Workspace, org: FakeSalesforce) -> None:
    connect(ws, org)
    [result] = ws.connectors.sync("salesforce")
    assert result.status == "ok", result.error
    assert org.count("/services/data/v60.0/query/") > 0  # nextRecordsUrl was followed
    leads = {r["lead_id"]: r for r in rows(ws, "leads")}
    assert sorted(leads) == [f"00Q{i}" for i in range(1, 6)]
    assert leads["00Q1"]["status"] == "sql" and leads["00Q1"]["account_id"] == "001A"
    assert str(leads["00Q1"]["sql_at"]) == "2025-04-10 00:00:00"
    assert leads["00Q2"]["sql_at"] is None or leads["00Q2"]["sql_at"] != leads["00Q2"]["sql_at"]
    assert leads["00Q2"]["channel"] == "owned_media"
    [account] = rows(ws, "accounts")
    assert account["source_channel"] == "event" and account["employees"] == 250
    [opp] = rows(ws, "opportunities")
    assert opp["stage"] == "proposal" and opp["amount"] == 2_400_000
    assert opp["closed_at"] is None or opp["closed_at"] != opp["closed_at"]  # open: no close
    assert sorted(r["stage"] for r in rows(ws, "opportunity_stages")) == [
        "discovery",
        "proposal",
        "qualification",
    ]
    [campaign] = rows(ws, "campaigns")
    assert campaign["channel"] == "webinar" and campaign["type"] == "webinar"
    touch = {r["touchpoint_id"]: r for r in rows(ws, "touchpoints")}
    assert sorted(touch) == ["00TC", "00UE", "00vM1"]  # the e-mail task is not a call
    assert touch["00TC"]["type"] == "call" and touch["00TC"]["duration_seconds"] == 180
    assert touch["00vM1"]["type"] == "webinar_attended"
    assert touch["00UE"]["type"] == "appointment"


def test_incremental_sync_and_deleted_records(ws: Workspace, org: FakeSalesforce) -> None:
    connect(ws, org)
    ws.connectors.sync("salesforce")
    org.put("Lead", "00Q6", Email="new@example.jp", Status="Open - Not Contacted")
    org.delete("Lead", "00Q4")
    [result] = ws.connectors.sync("salesforce")
    assert result.status == "ok", result.error
    assert result.tables["raw_salesforce_lead"] <= 3  # the changes (and the cursor record)
    ids = sorted(r["lead_id"] for r in rows(ws, "leads"))
    assert ids == ["00Q1", "00Q2", "00Q3", "00Q5", "00Q6"]
    assert len(rows(ws, "raw_salesforce_lead")) == 6
    ws.connectors.sync("salesforce", full=True)
    assert len(rows(ws, "leads")) == 5 and len(rows(ws, "touchpoints")) == 3


def test_expired_session_is_refreshed_once(ws: Workspace, org: FakeSalesforce) -> None:
    connect(ws, org)
    ws.connectors.sync("salesforce")
    issued = org.tokens_issued
    org.expire_token()
    org.put("Lead", "00Q7", Email="x@example.jp")
    [result] = ws.connectors.sync("salesforce")
    assert result.status == "ok", result.error
    assert org.tokens_issued == issued + 1 or org.tokens_issued == issued + 2


def test_revoked_refresh_token_fails_clearly_and_keeps_data(
    ws: Workspace, org: FakeSalesforce
) -> None:
    connect(ws, org)
    ws.connectors.sync("salesforce")
    org.refresh_token = "revoked"
    org.expire_token()
    [result] = ws.connectors.sync("salesforce")
    assert result.status == "failed"
    assert "invalid_grant" in result.error or "refresh token" in result.error
    assert SECRET not in result.error and REFRESH not in result.error
    assert len(rows(ws, "leads")) == 5


def test_sync_killed_half_way_resumes_without_duplicates(
    ws: Workspace, org: FakeSalesforce, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "FLUSH_ROWS", 2)
    connect(ws, org)

    def crash(label: str, done: int, total: int) -> None:
        if label == "salesforce lead" and done >= 4 and total == 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ws.connectors.sync("salesforce", progress=crash)
    assert ws.connectors._state("salesforce", "lead").get("cursor")
    [result] = ws.connectors.sync("salesforce")
    assert result.status == "ok", result.error
    assert len(rows(ws, "raw_salesforce_lead")) == 5
    assert sorted(r["lead_id"] for r in rows(ws, "leads")) == [f"00Q{i}" for i in range(1, 6)]
