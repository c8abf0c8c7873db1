"""Google Ads and Meta Ads connectors against local fakes (searchStream, Graph insights with
cursor paging), and their CSV exports for users without API access: spend by date × campaign,
look-back re-pull, re-import changes nothing, bad credentials, rate limits and 5xx, resume."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from connector_fakes import FakeGoogle, FakeMeta, Fault

from kaname.ingest.connectors import reports
from kaname.ingest.connectors import sync as sync_module
from kaname.ingest.connectors.base import ConnectorError
from kaname.workspace import Workspace

REFRESH = "1//ads-refresh"
DEV = "dev-token-abc"
META_TOKEN = "EAAB-meta-token-value"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "today", lambda: dt.date(2025, 4, 10))


@pytest.fixture
def gads() -> Iterator[FakeGoogle]:
    fake = FakeGoogle(REFRESH, DEV)
    for day in range(1, 11):
        for cid, name, kind in [("111", "検索_指名", "SEARCH"), ("222", "Display_RT", "DISPLAY")]:
            date = f"2025-04-{day:02d}"
            fake.ads[(date, cid)] = {
                "id": cid,
                "name": name,
                "type": kind,
                "date": date,
                "cost_micros": 1_234_560_000 * (1 if cid == "111" else 2),
                "impressions": 1000,
                "clicks": 10 + day,
            }
    yield fake
    fake.stop()


@pytest.fixture
def meta() -> Iterator[FakeMeta]:
    fake = FakeMeta(META_TOKEN)
    for day in range(1, 11):
        for cid, name in [("2385001", "春の資料DL"), ("2385002", "リタゲ")]:
            date = f"2025-04-{day:02d}"
            fake.rows[(date, cid)] = {
                "id": cid,
                "name": name,
                "date": date,
                "spend": "5000.5",
                "impressions": 3000,
                "clicks": 30,
            }
    yield fake
    fake.stop()


def connect_gads(ws: Workspace, fake: FakeGoogle, dev: str = DEV, **extra: Any) -> None:
    ws.connectors.connect(
        "google_ads",
        {
            "customer_id": "123-456-7890",
            "developer_token": dev,
            "base_url": fake.url,
            "token_url": fake.url + "/token",
            "client_id": "cid",
            "client_secret": "ads-secret",
            "refresh_token": REFRESH,
            "start_date": "2025-04-01",
            "window_days": 3,
            **extra,
        },
        check=extra.pop("check", False) if "check" in extra else False,
    )


def connect_meta(ws: Workspace, fake: FakeMeta, token: str = META_TOKEN, **extra: Any) -> None:
    ws.connectors.connect(
        "meta_ads",
        {
            "ad_account_id": "act_98765",
            "access_token": token,
            "base_url": fake.url,
            "start_date": "2025-04-01",
            "window_days": 5,
            **extra,
        },
        check=False,
    )


def table(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.warehouse.con.table(name).to_pandas().to_dict(orient="records")


def spend(ws: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    return {(str(r["date"])[:10], r["campaign_id"]): r for r in table(ws, "spend")}


def test_google_ads_first_incremental_and_rerun(ws: Workspace, gads: FakeGoogle) -> None:
    connect_gads(ws, gads)
    [result] = ws.connectors.sync("google_ads")
    assert result.status == "ok", result.error
    rows = spend(ws)
    assert len(rows) == 20
    first = rows[("2025-04-01", "111")]
    assert first["cost"] == pytest.approx(1234.56) and first["channel"] == "paid_ads"
    assert first["impressions"] == 1000 and first["clicks"] == 11
    campaigns = {c["campaign_id"]: c for c in table(ws, "campaigns")}
    assert campaigns["111"]["name"] == "検索_指名" and campaigns["222"]["type"] == "display_ads"
    gads.report_ranges.clear()
    gads.ads[("2025-04-08", "111")]["cost_micros"] = 999_000_000  # adjusted after the fact
    ws.connectors.sync("google_ads")
    assert gads.report_ranges[0] == ("2025-04-03", "2025-04-05")  # through 04-10 - 7 days
    assert spend(ws)[("2025-04-08", "111")]["cost"] == pytest.approx(999.0)
    ws.connectors.sync("google_ads", full=True)
    assert len(table(ws, "spend")) == 20 and len(table(ws, "campaigns")) == 2


def test_google_ads_bad_developer_token_and_retries(ws: Workspace, gads: FakeGoogle) -> None:
    with pytest.raises(ConnectorError, match="developer token is not valid"):
        ws.connectors.connect(
            "google_ads",
            {
                "customer_id": "1234567890",
                "developer_token": "wrong",
                "base_url": gads.url,
                "token_url": gads.url + "/token",
                "client_id": "cid",
                "client_secret": "s",
                "refresh_token": REFRESH,
            },
            check=True,
        )
    path = "/v18/customers/1234567890/googleAds:searchStream"
    gads.faults = [
        Fault(path, status=429, headers={"Retry-After": "0"}, times=2),
        Fault(path, status=500, times=1, skip=1),
    ]
    connect_gads(ws, gads)
    [result] = ws.connectors.sync("google_ads")
    assert result.status == "ok", result.error
    assert all(f.times == 0 for f in gads.faults) and len(table(ws, "spend")) == 20


def test_google_ads_killed_half_way_resumes(
    ws: Workspace, gads: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "FLUSH_ROWS", 6)
    connect_gads(ws, gads, lookback_days=0)
    calls = {"n": 0}

    def crash(label: str, done: int, total: int) -> None:
        if label == "google_ads campaign_days" and total == 0:
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ws.connectors.sync("google_ads", progress=crash)
    through = ws.connectors._state("google_ads", "campaign_days")["through"]
    gads.report_ranges.clear()
    [result] = ws.connectors.sync("google_ads")
    assert result.status == "ok", result.error
    assert gads.report_ranges[0][0] == through > "2025-04-01"
    assert len(table(ws, "spend")) == 20 and len(table(ws, "raw_google_ads_campaign_days")) == 20


def test_meta_ads_cursor_paging_incremental_and_rerun(ws: Workspace, meta: FakeMeta) -> None:
    connect_meta(ws, meta)
    [result] = ws.connectors.sync("meta_ads")
    assert result.status == "ok", result.error
    assert meta.count("/v21.0/act_98765/insights") > 4  # several pages per window
    rows = spend(ws)
    assert len(rows) == 20
    assert rows[("2025-04-02", "2385001")]["cost"] == pytest.approx(5000.5)
    assert rows[("2025-04-02", "2385001")]["clicks"] == 30  # link clicks
    meta.ranges.clear()
    meta.rows[("2025-04-09", "2385002")]["spend"] = "10.0"
    ws.connectors.sync("meta_ads")
    assert meta.ranges[0] == {"since": "2025-04-03", "until": "2025-04-07"}
    assert spend(ws)[("2025-04-09", "2385002")]["cost"] == pytest.approx(10.0)
    ws.connectors.sync("meta_ads", full=True)
    assert len(table(ws, "spend")) == 20 and len(table(ws, "campaigns")) == 2


def test_meta_ads_rate_limit_in_400_and_bad_token(ws: Workspace, meta: FakeMeta) -> None:
    meta.faults = [
        Fault(
            "/v21.0/act_98765/insights",
            status=400,
            times=2,
            body=b'{"error": {"message": "User request limit reached", "type": "OAuthException",'
            b' "code": 17, "is_transient": true}}',
        ),
        Fault("/v21.0/act_98765/insights", status=502, skip=1, times=1),
    ]
    connect_meta(ws, meta)
    [result] = ws.connectors.sync("meta_ads")
    assert result.status == "ok", result.error
    assert all(f.times == 0 for f in meta.faults)
    meta.token = "rotated"
    [result] = ws.connectors.sync("meta_ads")
    assert result.status == "failed" and "Invalid OAuth access token" in result.error
    assert META_TOKEN not in result.error and len(table(ws, "spend")) == 20


GOOGLE_CSV = """Campaign report
"April 1, 2025 - April 3, 2025"
Day,Campaign,Campaign ID,Currency code,Cost,Impressions,Clicks
2025-04-01,検索_指名,111,JPY,"1,234",1000,11
2025-04-02,検索_指名,111,JPY,"2,000",1200,12
2025-04-01,Display_RT,222,JPY,500,"3,000",--
Total: Account,,,JPY,"3,734","5,200",23
Total: Campaigns,,,JPY,"3,734","5,200",23
"""

META_CSV = (
    "Reporting starts,Reporting ends,Campaign name,Amount spent (JPY),Impressions,Link clicks\n"
    "2025-04-01,2025-04-01,春の資料DL,5000,3000,30\n"
    "2025-04-02,2025-04-02,春の資料DL,4500,2800,\n"
    "2025-04-01,2025-04-01,リタゲ,1200,900,4\n"
)


def test_google_ads_csv_export_and_reimport_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "campaign_report.csv").write_text(GOOGLE_CSV, encoding="utf-8")
    (folder / "excel.csv").write_bytes(
        "Day\tCampaign\tCost\tImpressions\tClicks\n2025-04-03\t検索_指名\t¥800\t700\t7\n".encode(
            "utf-16"
        )
    )
    ws.connectors.connect("google_ads", {"export_path": str(folder)}, check=True)
    [result] = ws.connectors.sync("google_ads")
    assert result.status == "ok", result.error
    rows = spend(ws)
    assert sorted(rows) == [
        ("2025-04-01", "111"),
        ("2025-04-01", "222"),
        ("2025-04-02", "111"),
        ("2025-04-03", "検索_指名"),  # no Campaign ID column: the name is the id
    ]
    assert rows[("2025-04-01", "111")]["cost"] == 1234
    assert pd.isna(rows[("2025-04-01", "222")]["clicks"])  # "--": none
    assert rows[("2025-04-03", "検索_指名")]["cost"] == 800

    def frame() -> pd.DataFrame:
        out = ws.warehouse.con.table("spend").to_pandas().drop(columns="_loaded_at")
        return out.sort_values(["date", "campaign_id"]).reset_index(drop=True)

    before = frame()
    ws.connectors.sync("google_ads")
    pd.testing.assert_frame_equal(frame(), before)  # re-import changes nothing
    assert len(table(ws, "raw_google_ads_campaign_days")) == 4


def test_meta_ads_csv_export(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "meta.csv"
    path.write_text(META_CSV, encoding="utf-8-sig")
    ws.connectors.connect("meta_ads", {"export_path": str(path)}, check=False)
    [result] = ws.connectors.sync("meta_ads")
    assert result.status == "ok", result.error
    rows = spend(ws)
    assert rows[("2025-04-01", "春の資料DL")]["cost"] == 5000 and len(rows) == 3
    ws.connectors.sync("meta_ads")
    assert len(table(ws, "spend")) == 3 and len(table(ws, "campaigns")) == 2
    path.write_text(
        "Reporting starts,Reporting ends,Campaign name,Amount spent (JPY)\n"
        "2025-04-01,2025-04-30,春の資料DL,5000\n",
        encoding="utf-8",
    )
    [result] = ws.connectors.sync("meta_ads")
    assert result.status == "failed" and "By time → Day" in result.error
    assert len(table(ws, "spend")) == 3


def test_ad_rows_gone_from_a_repulled_window_are_removed(
    ws: Workspace, gads: FakeGoogle, meta: FakeMeta
) -> None:
    connect_gads(ws, gads)
    connect_meta(ws, meta)
    ws.connectors.sync()
    # Cost moved off a day after the fact (invalid clicks credited back, a campaign removed).
    del gads.ads[("2025-04-08", "222")]
    del meta.rows[("2025-04-09", "2385001")]
    results = ws.connectors.sync()
    assert all(r.status == "ok" for r in results), [r.error for r in results]
    assert sorted(r.deleted for r in results) == [1, 1]
    rows = spend(ws)
    assert ("2025-04-08", "222") not in rows and ("2025-04-09", "2385001") not in rows
    assert ("2025-04-08", "111") in rows and ("2025-04-09", "2385002") in rows
    assert len(rows) == 38
