"""Marketo connector against a local fake Marketo: paging tokens, lead changes, activities into
touchpoints, deleted and merged leads, token expiry (602) with one refresh, errors in the HTTP 200
envelope (606 rate limit, 611), HTTP 429 with Retry-After and 5xx, crash and resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from connector_fakes import FakeMarketo, Fault

from kaname.ingest.connectors import sync as sync_module
from kaname.ingest.connectors.base import ConnectorError
from kaname.workspace import Workspace

SECRET = "mkto-secret-value-123"


@pytest.fixture
def mkto() -> Iterator[FakeMarketo]:
    fake = FakeMarketo("mkto-client", SECRET)
    fake.programs = [
        {
            "id": 1001,
            "name": "2025春 ウェビナー",
            "type": "Event with Webinar",
            "channel": "Webinar",
            "createdAt": "2025-03-01T00:00:00Z+0000",
            "updatedAt": "2025-03-02T00:00:00Z+0000",
            "folder": {"type": "Folder", "value": 12},
        }
    ]
    for i in range(1, 6):
        fake.put_lead(
            i,
            email=f"lead{i}@example.jp",
            leadSource="Website" if i % 2 else "Webinar",
            leadStatus="New",
        )
    fake.put_lead(2, leadStatus="MQL")
    fake.act(1, 1, primaryAttributeValue="/pricing", primaryAttributeValueId=55)
    fake.act(1, 2, primaryAttributeValue="資料請求フォーム", primaryAttributeValueId=7)
    fake.act(2, 6, primaryAttributeValue="Newsletter", primaryAttributeValueId=90)
    fake.act(2, 10, primaryAttributeValue="Newsletter", primaryAttributeValueId=90)
    fake.act(2, 11, primaryAttributeValue="Newsletter", primaryAttributeValueId=90)
    fake.act(
        3,
        104,
        primaryAttributeValue="2025春 ウェビナー",
        primaryAttributeValueId=1001,
        attributes={"New Status": "Registered", "Old Status": "Invited"},
    )
    fake.act(3, 104, primaryAttributeValueId=1001, attributes={"New Status": "Invited"})
    yield fake
    fake.stop()


def connect(ws: Workspace, fake: FakeMarketo, secret: str = SECRET, check: bool = False) -> None:
    ws.connectors.connect(
        "marketo",
        {
            "munchkin_url": fake.url + "/rest",
            "client_id": "mkto-client",
            "client_secret": secret,
            "start_date": "2025-01-01",
            # The REST path on its own; the bulk export is covered by test_marketo_bulk.py.
            "bulk_export": False,
        },
        check=check,
    )


def table(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.warehouse.con.table(name).to_pandas().to_dict(orient="records")


def test_first_sync_maps_leads_activities_and_programs(ws: Workspace, mkto: FakeMarketo) -> None:
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert mkto.count("/rest/v1/activities/pagingtoken.json") >= 1
    leads = {r["lead_id"]: r for r in table(ws, "leads")}
    assert sorted(leads) == ["1", "2", "3", "4", "5"]
    assert leads["2"]["status"] == "mql" and leads["1"]["status"] == "open"
    assert leads["1"]["channel"] == "owned_media" and leads["2"]["channel"] == "webinar"
    assert str(leads["1"]["created_at"]) == "2025-04-01 09:01:00"  # UTC → Tokyo
    touch = {r["type"]: r for r in table(ws, "touchpoints")}
    assert sorted(touch) == [
        "email_click",
        "email_open",
        "email_sent",
        "form_submit",
        "visit",
        "webinar_registered",
    ]  # the "Invited" status change is not a touchpoint
    assert touch["email_open"]["channel"] == "email" and touch["visit"]["lead_id"] == "1"
    assert touch["webinar_registered"]["campaign_id"] == "1001"
    [campaign] = table(ws, "campaigns")
    assert campaign["channel"] == "webinar" and campaign["type"] == "webinar"


def test_incremental_sync_resumes_from_the_paging_token(ws: Workspace, mkto: FakeMarketo) -> None:
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    token_calls = mkto.count("/rest/v1/activities/pagingtoken.json")
    mkto.put_lead(4, leadStatus="SQL")
    mkto.put_lead(6, email="new@example.jp", leadStatus="New")
    mkto.act(6, 2, primaryAttributeValueId=7)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert mkto.count("/rest/v1/activities/pagingtoken.json") == token_calls  # saved tokens
    assert result.tables["raw_marketo_leads"] == 2
    assert result.tables["raw_marketo_activities"] == 1
    leads = {r["lead_id"]: r for r in table(ws, "leads")}
    assert len(leads) == 6 and leads["4"]["status"] == "sql"
    assert len(table(ws, "touchpoints")) == 7


def test_rerun_and_full_resync_add_no_duplicates(ws: Workspace, mkto: FakeMarketo) -> None:
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    before = {t: len(table(ws, t)) for t in ("leads", "touchpoints", "campaigns")}
    ws.connectors.sync("marketo")
    ws.connectors.sync("marketo", full=True)
    assert {t: len(table(ws, t)) for t in before} == before
    assert len(table(ws, "raw_marketo_leads")) == 5


def test_deleted_and_merged_leads_are_removed(ws: Workspace, mkto: FakeMarketo) -> None:
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    mkto.delete_lead(5)
    mkto.merge(1, 3)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert sorted(r["lead_id"] for r in table(ws, "leads")) == ["1", "2", "4"]
    raw = {r["id"]: r for r in table(ws, "raw_marketo_leads")}
    assert raw["5"]["deleted"] and raw["3"]["deleted"]


def test_expired_token_is_refreshed_once(ws: Workspace, mkto: FakeMarketo) -> None:
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    issued = mkto.tokens_issued
    mkto.expire_token()  # the next call answers 602 in an HTTP 200 envelope
    mkto.put_lead(7, email="x@example.jp")
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert issued < mkto.tokens_issued <= issued + 2
    assert "7" in {r["lead_id"] for r in table(ws, "leads")}


def test_bad_credentials_fail_clearly_and_keep_data(ws: Workspace, mkto: FakeMarketo) -> None:
    with pytest.raises(ConnectorError, match="Bad client credentials"):
        connect(ws, mkto, secret="wrong-secret", check=True)
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    mkto.client_secret = "rotated"
    mkto.expire_token()
    [result] = ws.connectors.sync("marketo")
    assert result.status == "failed" and "Bad client credentials" in result.error
    assert SECRET not in result.error
    assert len(table(ws, "leads")) == 5


def test_rate_limits_and_server_errors_are_retried(ws: Workspace, mkto: FakeMarketo) -> None:
    mkto.faults = [
        Fault(
            "/rest/v1/activities.json",
            status=200,
            body=_envelope("606", "Max rate limit '100' exceeded with in '20' secs"),
            times=2,
        ),
        Fault("/rest/v1/leads.json", status=429, headers={"Retry-After": "0"}, times=1),
        Fault("/rest/v1/activities/leadchanges.json", status=503, times=1),
        Fault(
            "/rest/v1/activities/deletedleads.json",
            status=200,
            body=_envelope("611", "System error"),
            times=1,
        ),
        Fault("/rest/v1/activities.json", kind="cut", skip=1, times=1),
    ]
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert all(f.times == 0 for f in mkto.faults)
    assert len(table(ws, "leads")) == 5 and len(table(ws, "touchpoints")) == 6


def test_permanent_envelope_error_stops_the_source(ws: Workspace, mkto: FakeMarketo) -> None:
    mkto.faults = [
        Fault(
            "/rest/v1/activities.json", status=200, body=_envelope("603", "Access denied"), times=99
        )
    ]
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "failed" and "603 Access denied" in result.error
    assert len(table(ws, "campaigns")) == 1  # programs synced before the refusal


def test_sync_killed_half_way_resumes_without_duplicates(
    ws: Workspace, mkto: FakeMarketo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "FLUSH_ROWS", 2)
    connect(ws, mkto)
    calls = {"n": 0}

    def crash(label: str, done: int, total: int) -> None:
        if label == "marketo activities" and total == 0:
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ws.connectors.sync("marketo", progress=crash)
    assert ws.connectors._state("marketo", "activities").get("next")
    partial = len(table(ws, "raw_marketo_activities"))
    assert 0 < partial < 7
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert len(table(ws, "raw_marketo_activities")) == 7
    assert len(table(ws, "touchpoints")) == 6 and len(table(ws, "leads")) == 5


def _envelope(code: str, message: str) -> bytes:
    return json.dumps(
        {"requestId": "e#1", "success": False, "errors": [{"code": code, "message": message}]}
    ).encode()
