"""Marketo bulk lead export on first and full syncs, against a fake Bulk Extract API: old leads
nobody touched since, 31-day createdAt windows, a sync killed half-way and resumed, re-runs,
failed jobs, the daily quota, a full queue, CSV typed back like the REST API, and lead changes
made during and after the export picked up by the incremental path."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_marketo_bulk import FakeMarketoBulk

from kaname.config import WorkspaceConfig
from kaname.ingest.connectors import get_connector
from kaname.ingest.connectors import sync as sync_module
from kaname.ingest.connectors.http import RetryPolicy
from kaname.ingest.connectors.marketo import bulk as bulk_module
from kaname.ingest.connectors.marketo.configuration import MarketoConfig
from kaname.ingest.connectors.service import ConnectorService
from kaname.workspace import Workspace

SECRET = "mkto-bulk-secret-456"
FIELDS = (
    "id,email,firstName,lastName,company,leadSource,leadStatus,createdAt,updatedAt,leadScore,"
    "mktoIsPartition,sfdcAccountId,originalSourceType,annualRevenue,unsubscribed"
)
OLD = {
    1: dt.datetime(2024, 6, 3, 9, 30),
    2: dt.datetime(2024, 8, 3, 23, 59, 58),  # the boundary of windows 2 and 3
    3: dt.datetime(2024, 11, 15, 12, 0),
}
"""Leads created before start_date, untouched since (no activity left in the log)."""


@pytest.fixture
def mkto(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMarketoBulk]:
    fake = FakeMarketoBulk("mkto-client", SECRET)
    for lead_id, created in OLD.items():
        fake.put_old_lead(
            lead_id,
            created,
            email=f"old{lead_id}@example.jp",
            leadSource="Tradeshow",
            leadStatus="Junk" if lead_id == 3 else "New",
            leadScore=lead_id * 10,
            mktoIsPartition=True,
            annualRevenue=1500000.5,
            unsubscribed=False,
        )
    for i in range(10, 14):
        fake.put_lead(
            i,
            email=f"lead{i}@example.jp",
            firstName="太郎",
            company="Acme, Inc.\n東京",  # quoted CSV: comma and line break
            leadSource="Website" if i % 2 else "Webinar",
            leadStatus="New",
            leadScore=i,
            mktoIsPartition=True,
            unsubscribed=i == 11,
        )
    fake.put_lead(12, leadStatus="MQL")
    fake.act(10, 1, primaryAttributeValue="/pricing", primaryAttributeValueId=55)
    # Marketo's clock is the fake's: the backfill ends at its "now" (local clock less the margin).
    monkeypatch.setattr(
        bulk_module, "_now", lambda: fake.clock.replace(tzinfo=dt.UTC) + bulk_module.CLOCK_MARGIN
    )
    yield fake
    fake.stop()


def connect(ws: Workspace, fake: FakeMarketoBulk, **extra: Any) -> None:
    settings = {
        "munchkin_url": fake.url + "/rest",
        "client_id": "mkto-client",
        "client_secret": SECRET,
        "start_date": "2025-01-01",
        "lead_fields": FIELDS,
        "bulk_poll_seconds": 0,
        **extra,
    }
    ws.connectors.connect("marketo", settings, check=False)


def table(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.warehouse.con.table(name).to_pandas().to_dict(orient="records")


def raw_leads(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {r["id"]: json.loads(r["data"]) for r in table(ws, "raw_marketo_leads")}


def canonical_leads(ws: Workspace) -> dict[str, dict[str, Any]]:
    rows = table(ws, "leads")
    return {r["lead_id"]: {k: v for k, v in r.items() if k != "_loaded_at"} for r in rows}


def every_lead(fake: FakeMarketoBulk) -> list[str]:
    return sorted(str(i) for i in fake.leads)


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def test_first_sync_loads_leads_nobody_touched_since_before_start_date(
    ws: Workspace, mkto: FakeMarketoBulk
) -> None:
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    leads = canonical_leads(ws)
    assert sorted(leads) == every_lead(mkto)  # the old leads have no activity to find them by
    assert leads["1"]["channel"] == "event" and leads["3"]["status"] == "disqualified"
    assert str(leads["1"]["created_at"]) == "2024-06-03 18:30:00"  # UTC → Tokyo
    assert leads["12"]["status"] == "mql"
    assert all(job["status"] == "Completed" for job in mkto.jobs.values())
    state = ws.connectors._state("marketo", "leads")
    assert state["bulk"]["done"] and state["changes"]  # lead changes follow from the export
    assert state["bulk"]["until"] == mkto.clock.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(table(ws, "touchpoints")) == 1


def test_windows_are_at_most_31_days_and_cover_oldest_lead_to_export_start(
    ws: Workspace, mkto: FakeMarketoBulk
) -> None:
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    windows = [(_when(a), _when(b)) for a, b in mkto.windows]
    assert windows[0][0] == dt.datetime(2024, 6, 3)  # the day of the oldest lead (lowest id)
    assert windows[-1][1] == mkto.clock  # the export's start: lead changes continue from here
    assert len(windows) == 10  # 2024-06-03 → 2025-04-01 in 31-day windows
    for (start, end), (following, _) in itertools.pairwise(windows):
        assert end - start <= dt.timedelta(days=31)
        assert following == end  # no gap between windows
    # Lead 2 was created on the second two windows share: exported twice, stored once.
    assert sum(1 for start, end in windows if start <= OLD[2] <= end) == 2
    assert sorted(raw_leads(ws)) == every_lead(mkto)
    assert len(table(ws, "raw_marketo_leads")) == len(mkto.leads)


def test_bulk_start_date_setting_and_the_31_day_limit_of_the_fake(
    ws: Workspace, mkto: FakeMarketoBulk
) -> None:
    connect(ws, mkto, bulk_start_date="2024-08-01")
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert mkto.windows[0][0] == "2024-08-01T00:00:00Z"
    assert "1" not in raw_leads(ws)  # created before bulk_start_date
    ws.connectors.sync("marketo")
    token = mkto.valid_token
    wide = httpx.post(
        mkto.url + "/bulk/v1/leads/export/create.json",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "fields": ["id"],
            "format": "CSV",
            "filter": {
                "createdAt": {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-03-01T00:00:00Z"}
            },
        },
    ).json()
    assert not wide["success"] and wide["errors"][0]["code"] == "1003"


def test_bulk_and_rest_paths_give_the_same_raw_and_canonical_leads(
    ws: Workspace, mkto: FakeMarketoBulk, tmp_path: Path
) -> None:
    # Every lead of the fixture but the old ones has a New Lead activity, so the REST path
    # (bulk_export off) loads them too; the old ones are given one here.
    for lead_id in OLD:
        mkto.put_lead(lead_id, firstName=None)
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    other = Workspace.init(tmp_path / "rest", WorkspaceConfig(url_allow_list=["127.0.0.1"]))
    try:
        other.__dict__["connectors"] = ConnectorService(
            other, retry=RetryPolicy(attempts=4, backoff=0.001, max_wait=0.01)
        )
        connect(other, mkto, bulk_export=False, start_date="2024-01-01")
        [rest] = other.connectors.sync("marketo")
        assert rest.status == "ok", rest.error
        assert "bulk" not in other.connectors._state("marketo", "leads")
        by_bulk, by_rest = raw_leads(ws), raw_leads(other)
        assert sorted(by_bulk) == every_lead(mkto)
        assert by_bulk == by_rest
        assert by_bulk["1"]["leadScore"] == 10 and by_bulk["1"]["mktoIsPartition"] is True
        assert by_bulk["1"]["annualRevenue"] == 1500000.5 and by_bulk["11"]["unsubscribed"]
        assert by_bulk["10"]["company"] == "Acme, Inc.\n東京"
        assert canonical_leads(ws) == canonical_leads(other)
    finally:
        other.close()


def test_sync_killed_mid_backfill_resumes_at_the_next_window_reusing_its_export(
    ws: Workspace, mkto: FakeMarketoBulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "FLUSH_ROWS", 1)
    connect(ws, mkto)
    pages = {"n": 0}

    def crash(label: str, done: int, total: int) -> None:
        if label == "marketo leads" and total == 0:
            pages["n"] += 1
            if pages["n"] == 5:  # the window holding lead 2 is stored, later ones are not
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ws.connectors.sync("marketo", progress=crash)
    saved = ws.connectors._state("marketo", "leads")["bulk"]
    assert not saved.get("done") and saved["job"]["id"] in mkto.jobs
    assert {"1", "2"} <= set(raw_leads(ws)) and "10" not in raw_leads(ws)
    created = len(mkto.jobs)

    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert sorted(raw_leads(ws)) == every_lead(mkto)
    assert len(table(ws, "raw_marketo_leads")) == len(mkto.leads)
    assert sorted(canonical_leads(ws)) == every_lead(mkto)
    # The resumed window used the export enqueued before the crash; windows stored before it
    # were not exported again.
    starts = [a for a, _ in mkto.windows]
    assert starts.count(saved["next"]) == 1
    assert all(starts.count(s) <= 2 for s in starts)
    assert len(mkto.jobs) - created == 10 - starts.index(saved["next"]) - 1


def test_rerun_after_the_backfill_changes_nothing(ws: Workspace, mkto: FakeMarketoBulk) -> None:
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    before, jobs = canonical_leads(ws), len(mkto.jobs)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert result.tables.get("raw_marketo_leads", 0) == 0
    assert len(mkto.jobs) == jobs  # no new export
    assert canonical_leads(ws) == before


def test_full_sync_exports_again_without_duplicates(ws: Workspace, mkto: FakeMarketoBulk) -> None:
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    before, jobs = canonical_leads(ws), len(mkto.jobs)
    [result] = ws.connectors.sync("marketo", full=True)
    assert result.status == "ok", result.error
    assert len(mkto.jobs) == 2 * jobs
    assert canonical_leads(ws) == before
    assert len(table(ws, "raw_marketo_leads")) == len(mkto.leads)


def test_failed_job_stops_with_a_clear_error_and_keeps_earlier_data(
    ws: Workspace, mkto: FakeMarketoBulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(ws, mkto)
    ws.connectors.sync("marketo")
    before = canonical_leads(ws)
    mkto.fail_jobs = {len(mkto.jobs) + 3}
    [result] = ws.connectors.sync("marketo", full=True)
    assert result.status == "failed"
    assert "ended Failed" in result.error and "Export failed: internal error" in result.error
    start, end = mkto.windows[max(mkto.fail_jobs) - 1]
    assert f"leads created {start} to {end}" in result.error
    assert canonical_leads(ws) == before

    # On a first sync, the windows before the failure are stored and the next sync resumes
    # (each finished window is committed, and what was fetched before an error is kept).
    fresh = Workspace.init(ws.root.parent / "fresh", WorkspaceConfig(url_allow_list=["127.0.0.1"]))
    try:
        fresh.__dict__["connectors"] = ConnectorService(
            fresh, retry=RetryPolicy(attempts=4, backoff=0.001, max_wait=0.01)
        )
        connect(fresh, mkto)
        mkto.fail_jobs = {len(mkto.jobs) + 3}
        [failed] = fresh.connectors.sync("marketo")
        assert failed.status == "failed" and "ended Failed" in failed.error
        assert {"1", "2"} <= set(raw_leads(fresh))
        [resumed] = fresh.connectors.sync("marketo")
        assert resumed.status == "ok", resumed.error
        assert canonical_leads(fresh) == before
    finally:
        fresh.close()


def test_daily_quota_stops_the_backfill_and_the_next_sync_continues(
    ws: Workspace, mkto: FakeMarketoBulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(ws, mkto)
    mkto.quota_jobs = 4
    [result] = ws.connectors.sync("marketo")
    assert result.status == "failed"
    assert "1029 Export daily quota exceeded" in result.error and "next sync" in result.error
    assert {"1", "2"} <= set(raw_leads(ws))
    mkto.quota_jobs = None  # midnight in Chicago
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert sorted(canonical_leads(ws)) == every_lead(mkto)
    # Each window exported once: the job enqueued before the quota ran out was used on resume.
    assert len(mkto.jobs) == 10 and len(set(mkto.windows)) == 10


def test_full_queue_is_waited_for(ws: Workspace, mkto: FakeMarketoBulk) -> None:
    mkto.queue_full = 3
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert mkto.queue_full == 0
    assert sorted(canonical_leads(ws)) == every_lead(mkto)


def test_cancelled_or_expired_export_is_not_reused(ws: Workspace, mkto: FakeMarketoBulk) -> None:
    connect(ws, mkto)
    config = MarketoConfig(
        munchkin_url=mkto.url, client_id="mkto-client", client_secret=SECRET, bulk_poll_seconds=0
    )
    client = ws.connectors._client(get_connector("marketo"), config)
    try:
        exporter = bulk_module.LeadExporter(config, client, ["id", "email"])
        start, end = dt.datetime(2024, 6, 1, tzinfo=dt.UTC), dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
        job = exporter.start(start, end)
        assert exporter.ready(job, start, end) == job  # queued: reused
        mkto.cancel(job["id"])
        again = exporter.ready(job, start, end)
        assert again["id"] != job["id"]
        other_fields = {**again, "fields": "id"}
        assert exporter.ready(other_fields, start, end)["id"] != again["id"]
        done = exporter.wait(again)
        assert done["status"] == "Completed"
        mkto.jobs[again["id"]]["finishedAt"] = "2024-01-01T00:00:00Z"  # file no longer kept
        assert exporter.ready(again, start, end)["id"] != again["id"]
    finally:
        client.close()


def test_changes_during_and_after_the_backfill_are_picked_up(
    ws: Workspace, mkto: FakeMarketoBulk
) -> None:
    handle = mkto.handle
    changed = {"done": False}

    def during(method: str, path: str, *args: Any) -> Any:
        if path.endswith("/file.json") and not changed["done"]:
            changed["done"] = True  # while the first window's file is downloaded
            mkto.put_lead(1, leadStatus="MQL")  # already exported: the change comes by REST
            mkto.put_lead(30, email="during@example.jp", leadStatus="New")  # after the export
        return handle(method, path, *args)

    mkto.handle = during  # type: ignore[method-assign]
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    leads = canonical_leads(ws)
    assert leads["1"]["status"] == "mql" and "30" in leads
    assert sorted(leads) == every_lead(mkto)

    mkto.put_lead(3, leadStatus="SQL")
    mkto.put_lead(31, email="after@example.jp")
    mkto.delete_lead(13)
    jobs = len(mkto.jobs)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert len(mkto.jobs) == jobs
    leads = canonical_leads(ws)
    assert leads["3"]["status"] == "sql" and "31" in leads and "13" not in leads


def test_file_download_survives_expired_token_corrupt_file_and_5xx(
    ws: Workspace, mkto: FakeMarketoBulk
) -> None:
    handle = mkto.handle
    calls = {"n": 0}
    issued = mkto.tokens_issued

    def flaky(method: str, path: str, *args: Any) -> Any:
        if not path.endswith("/file.json") or calls["n"] >= 3:
            return handle(method, path, *args)
        calls["n"] += 1
        if calls["n"] == 1:
            mkto.expire_token()  # answered 602 in an HTTP 200 envelope: refresh once
            return handle(method, path, *args)
        if calls["n"] == 2:
            status, headers, body = handle(method, path, *args)
            return status, headers, body[:-3]  # cut short: the checksum does not match
        return 503, {"Content-Type": "text/html"}, b"<html>Service Unavailable</html>"

    mkto.handle = flaky  # type: ignore[method-assign]
    connect(ws, mkto)
    [result] = ws.connectors.sync("marketo")
    assert result.status == "ok", result.error
    assert calls["n"] == 3 and mkto.tokens_issued > issued
    assert sorted(canonical_leads(ws)) == every_lead(mkto)
    assert raw_leads(ws)["1"]["email"] == "old1@example.jp"
