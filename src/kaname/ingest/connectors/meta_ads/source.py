"""Meta Ads stream: spend, impressions and clicks by date × campaign.

API: Graph API `act_{id}/insights?level=campaign&time_increment=1` window by window with a
look-back, paging with `paging.cursors.after` while `paging.next` is present. Meta reports rate
limits (codes 4, 17, 32, 613, 80000-80014) and transient errors (1, 2) as HTTP 400 with a JSON
error; `graph_status` turns them into 429 and 503 so they are retried, and an invalid token (190)
into 401.

Without API access: the Ads Manager export (CSV, broken down by day) is read from `export_path`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx

from kaname.ingest.connectors.base import Page, RawRecord, Stream, Sweep
from kaname.ingest.connectors.http import HttpClient
from kaname.ingest.connectors.meta_ads.configuration import MetaAdsConfig
from kaname.ingest.connectors.reports import (
    ExportError,
    date_windows,
    export_files,
    parse_day,
    parse_number,
    read_export,
)

FIELDS = "campaign_id,campaign_name,spend,impressions,clicks,inline_link_clicks,account_currency"
RATE_CODES = {4, 17, 32, 613} | set(range(80000, 80015))

CSV_COLUMNS = {
    "date": ["reporting starts", "day", "date", "レポート開始日", "日"],
    "date_end": ["reporting ends", "レポート終了日"],
    "campaign_name": ["campaign name", "キャンペーン名"],
    "campaign_id": ["campaign id", "キャンペーンid", "キャンペーン id"],
    "cost": ["amount spent (*", "amount spent", "消化金額 (*", "消化金額"],
    "impressions": ["impressions", "インプレッション"],
    "clicks": ["link clicks", "clicks (all)", "リンクのクリック", "クリック(すべて)"],
}


def graph_status(response: httpx.Response) -> int:
    """The HTTP status a Graph API error stands for (rate limits come as HTTP 400/403)."""
    if response.status_code not in (400, 403, 500):
        return response.status_code
    try:
        error = json.loads(response.content).get("error") or {}
    except (ValueError, AttributeError):
        return response.status_code
    code = int(error.get("code") or 0)
    if code in RATE_CODES:
        return 429
    if code in (1, 2) or error.get("is_transient"):
        return 503
    if code == 190:
        return 401
    return response.status_code


def _record(data: dict[str, Any]) -> RawRecord:
    key = f"{data['date']}|{data['campaign_id']}"
    data["id"] = key
    return RawRecord(key, dt.datetime.fromisoformat(str(data["date"])), data)


def api_stream(config: MetaAdsConfig, client: HttpClient) -> Stream:
    path = f"/{config.api_version}/act_{config.ad_account_id}/insights"

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        for first, last in date_windows(
            state, full, config.start_date, config.lookback_days, config.window_days
        ):
            params: dict[str, Any] = {
                "level": "campaign",
                "time_increment": 1,
                "fields": FIELDS,
                "time_range": json.dumps({"since": first.isoformat(), "until": last.isoformat()}),
                "limit": config.page_size,
            }
            seen: set[str] = set()
            while True:
                body = client.request_json("GET", path, params=params)
                records = [
                    _record(
                        {
                            "date": row.get("date_start"),
                            "campaign_id": str(row.get("campaign_id")),
                            "campaign_name": row.get("campaign_name"),
                            "cost": float(row["spend"]) if row.get("spend") else None,
                            "impressions": row.get("impressions"),
                            "clicks": row.get("inline_link_clicks", row.get("clicks")),
                            "currency": row.get("account_currency"),
                        }
                    )
                    for row in body.get("data") or []
                ]
                paging = body.get("paging") or {}
                after = (paging.get("cursors") or {}).get("after")
                more = bool(paging.get("next")) and bool(after)
                seen.update(r.id for r in records)
                if more:
                    yield Page(records, {})
                else:
                    sweep = Sweep(first, last, frozenset(seen))
                    yield Page(records, {"through": last.isoformat()}, sweep=sweep)
                if not more:
                    break
                params = {**params, "after": after}

    return Stream("campaign_days", fetch)


def csv_stream(config: MetaAdsConfig) -> Stream:
    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        for path in export_files(config.export_path):
            rows = read_export(path, CSV_COLUMNS, ["date", "campaign_name", "cost"])
            records = []
            for row in rows:
                day = parse_day(row["date"])
                if row.get("date_end") and parse_day(row["date_end"]) != day:
                    raise ExportError(
                        f"{path.name}: rows span {row['date']} – {row['date_end']}; export "
                        "with Breakdown → By time → Day so cost is per day"
                    )
                records.append(
                    _record(
                        {
                            "date": day,
                            "campaign_id": row.get("campaign_id") or row["campaign_name"],
                            "campaign_name": row["campaign_name"],
                            "cost": parse_number(row.get("cost", "")),
                            "impressions": parse_number(row.get("impressions", "")),
                            "clicks": parse_number(row.get("clicks", "")),
                            "file": path.name,
                        }
                    )
                )
            yield Page(records, {})

    return Stream("campaign_days", fetch)


def streams(config: MetaAdsConfig, client: HttpClient) -> list[Stream]:
    if config.export_path:
        return [csv_stream(config)]
    return [api_stream(config, client)]
