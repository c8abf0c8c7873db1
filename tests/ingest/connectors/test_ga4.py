"""GA4 connector against a local fake Data API: runReport by date × channel group with offset
paging, channel groups summed onto the vocabulary, the look-back re-pull, token refresh, bad
credentials, 429 with Retry-After and 5xx, crash and resume."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from connector_fakes import FakeGoogle, Fault

from kaname.ingest.connectors import reports
from kaname.ingest.connectors import sync as sync_module
from kaname.ingest.connectors.base import ConnectorError
from kaname.workspace import Workspace

REFRESH = "1//ga4-refresh-token"


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    monkeypatch.setattr(reports, "today", lambda: dt.date(2025, 4, 10))
    fake = FakeGoogle(REFRESH)
    fake.fill_traffic()
    yield fake
    fake.stop()


def connect(
    ws: Workspace, fake: FakeGoogle, refresh: str = REFRESH, check: bool = False, **extra: Any
) -> None:
    ws.connectors.connect(
        "ga4",
        {
            "property_id": "properties/123456",
            "base_url": fake.url,
            "token_url": fake.url + "/token",
            "client_id": "cid.apps.googleusercontent.com",
            "client_secret": "ga4-secret",
            "refresh_token": refresh,
            "start_date": "2025-04-01",
            "window_days": 4,
            "page_size": 7,
            **extra,
        },
        check=check,
    )


def table(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.warehouse.con.table(name).to_pandas().to_dict(orient="records")


def by_key(ws: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    return {(str(r["date"])[:10], r["channel"]): r for r in table(ws, "web_traffic")}


def test_first_sync_sums_channel_groups_by_day(ws: Workspace, google: FakeGoogle) -> None:
    connect(ws, google)
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    assert result.tables["raw_ga4_traffic"] == 50
    rows = by_key(ws)
    assert len(rows) == 40  # 10 days × 4 channels (Paid Search + Display → paid_ads)
    paid = rows[("2025-04-03", "paid_ads")]
    assert paid["sessions"] == (20 + 3) + (5 + 3) and paid["users"] == 25
    assert paid["pageviews"] == 75 and paid["new_users"] == 12
    assert rows[("2025-04-01", "owned_media")]["sessions"] == 51
    assert {c for _, c in rows} == {"owned_media", "paid_ads", "email", "direct"}


def test_incremental_sync_repulls_the_last_days_only(ws: Workspace, google: FakeGoogle) -> None:
    connect(ws, google)
    ws.connectors.sync("ga4")
    google.report_ranges.clear()
    google.traffic[("20250409", "Email")]["sessions"] = 100  # data settling
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    assert set(google.report_ranges) == {("2025-04-07", "2025-04-10")}
    assert by_key(ws)[("2025-04-09", "email")]["sessions"] == 100
    assert len(table(ws, "web_traffic")) == 40 and len(table(ws, "raw_ga4_traffic")) == 50


def test_rerun_and_full_resync_change_nothing(ws: Workspace, google: FakeGoogle) -> None:
    connect(ws, google)
    ws.connectors.sync("ga4")
    before = {k: (v["sessions"], v["users"]) for k, v in by_key(ws).items()}
    ws.connectors.sync("ga4")
    ws.connectors.sync("ga4", full=True)
    assert {k: (v["sessions"], v["users"]) for k, v in by_key(ws).items()} == before


def test_expired_token_refreshed_and_bad_credentials_fail(
    ws: Workspace, google: FakeGoogle
) -> None:
    connect(ws, google)
    ws.connectors.sync("ga4")
    issued = google.tokens_issued
    google.expire_token()
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok" and google.tokens_issued == issued + 1
    google.refresh_token = "revoked"
    google.expire_token()
    [result] = ws.connectors.sync("ga4")
    assert result.status == "failed" and "expired or revoked" in result.error
    assert REFRESH not in result.error and len(table(ws, "web_traffic")) == 40
    with pytest.raises(ConnectorError, match="expired or revoked"):
        connect(ws, google, refresh="1//wrong", check=True)


def test_429_and_5xx_are_retried(ws: Workspace, google: FakeGoogle) -> None:
    google.faults = [
        Fault(
            "/v1beta/properties/123456:runReport",
            status=429,
            headers={"Retry-After": "0"},
            times=2,
            body=b'{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}',
        ),
        Fault("/v1beta/properties/123456:runReport", status=503, skip=2, times=1),
    ]
    connect(ws, google)
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    assert all(f.times == 0 for f in google.faults) and len(table(ws, "web_traffic")) == 40


def test_sync_killed_half_way_resumes(
    ws: Workspace, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "FLUSH_ROWS", 7)
    connect(ws, google, lookback_days=0)
    calls = {"n": 0}

    def crash(label: str, done: int, total: int) -> None:
        if label == "ga4 traffic" and total == 0:
            calls["n"] += 1
            if calls["n"] == 5:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ws.connectors.sync("ga4", progress=crash)
    through = ws.connectors._state("ga4", "traffic")["through"]
    assert "2025-04-01" <= through < "2025-04-10"
    google.report_ranges.clear()
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    # Resumed at the last committed day (pulled again: look-back 0 still re-pulls that day).
    assert google.report_ranges[0][0] == through > "2025-04-01"
    assert len(table(ws, "web_traffic")) == 40 and len(table(ws, "raw_ga4_traffic")) == 50


def test_rows_gone_from_a_repulled_window_leave_the_canonical_table(
    ws: Workspace, google: FakeGoogle
) -> None:
    connect(ws, google)
    ws.connectors.sync("ga4")
    # GA4 re-processed 04-09: the Email and Display rows are gone (Display summed with Paid
    # Search onto paid_ads), and a row outside the re-pulled days vanishes too.
    del google.traffic[("20250409", "Email")]
    del google.traffic[("20250409", "Display")]
    del google.traffic[("20250402", "Direct")]
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    assert result.deleted == 2
    assert ws.connectors.history("ga4")[0]["deleted"] == 2
    rows = by_key(ws)
    assert ("2025-04-09", "email") not in rows
    assert rows[("2025-04-09", "paid_ads")]["sessions"] == 20 + 9  # Paid Search alone
    assert ("2025-04-02", "direct") in rows  # outside the window: not pulled again, kept
    raw = {r["id"]: r for r in table(ws, "raw_ga4_traffic")}
    assert raw["20250409|Email"]["deleted"] and not raw["20250409|Organic Search"]["deleted"]
    # The row comes back: it is live again, and a re-run changes nothing more.
    google.traffic[("20250409", "Email")] = {"sessions": 3, "totalUsers": 3}
    ws.connectors.sync("ga4")
    ws.connectors.sync("ga4")
    assert by_key(ws)[("2025-04-09", "email")]["sessions"] == 3
    assert len(table(ws, "web_traffic")) == 40
