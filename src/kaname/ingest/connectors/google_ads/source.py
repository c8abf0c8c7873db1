"""Google Ads stream: cost, impressions and clicks by date × campaign.

API: GAQL through REST `customers/{id}/googleAds:searchStream` (one response holding every batch
of the date window), window by window with a look-back. The official google-ads client speaks
gRPC and cannot be pointed at a local fake API, so the connector uses the REST shape with httpx.

Without API access: the Campaign report exported as CSV from the Google Ads UI ("CSV" or
"CSV for Excel", English or Japanese headers, title rows and total rows skipped) is read from
`export_path` on every sync; rows merge on date × campaign, so reading a file again changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from kaname.ingest.connectors.base import Page, RawRecord, Stream, Sweep
from kaname.ingest.connectors.google_ads.configuration import GoogleAdsConfig
from kaname.ingest.connectors.http import HttpClient
from kaname.ingest.connectors.reports import (
    date_windows,
    export_files,
    parse_day,
    parse_number,
    read_export,
)

QUERY = (
    "SELECT segments.date, campaign.id, campaign.name, campaign.advertising_channel_type, "
    "metrics.cost_micros, metrics.impressions, metrics.clicks FROM campaign "
    "WHERE segments.date BETWEEN '{first}' AND '{last}'"
)

CSV_COLUMNS = {
    "date": ["day", "date", "日", "日付"],
    "campaign_name": ["campaign", "キャンペーン"],
    "campaign_id": ["campaign id", "キャンペーン id", "キャンペーンid"],
    "cost": ["cost", "費用"],
    "impressions": ["impressions", "impr.", "表示回数"],
    "clicks": ["clicks", "クリック数"],
    "currency": ["currency code", "currency", "通貨コード"],
}


def _record(data: dict[str, Any]) -> RawRecord:
    key = f"{data['date']}|{data['campaign_id']}"
    data["id"] = key
    return RawRecord(key, dt.datetime.fromisoformat(str(data["date"])), data)


def api_stream(config: GoogleAdsConfig, client: HttpClient) -> Stream:
    path = f"/{config.api_version}/customers/{config.customer_id}/googleAds:searchStream"

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        for first, last in date_windows(
            state, full, config.start_date, config.lookback_days, config.window_days
        ):
            body = client.request_json(
                "POST", path, json={"query": QUERY.format(first=first, last=last)}
            )
            records = []
            for batch in body if isinstance(body, list) else [body]:
                for row in batch.get("results") or []:
                    campaign, metrics = row.get("campaign") or {}, row.get("metrics") or {}
                    micros = metrics.get("costMicros")
                    records.append(
                        _record(
                            {
                                "date": (row.get("segments") or {}).get("date"),
                                "campaign_id": str(campaign.get("id")),
                                "campaign_name": campaign.get("name"),
                                "channel_type": campaign.get("advertisingChannelType"),
                                "cost_micros": micros,
                                "cost": int(micros) / 1_000_000 if micros is not None else None,
                                "impressions": metrics.get("impressions"),
                                "clicks": metrics.get("clicks"),
                            }
                        )
                    )
            sweep = Sweep(first, last, frozenset(r.id for r in records))
            yield Page(records, {"through": last.isoformat()}, sweep=sweep)

    return Stream("campaign_days", fetch)


def csv_stream(config: GoogleAdsConfig) -> Stream:
    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        for path in export_files(config.export_path):
            rows = read_export(path, CSV_COLUMNS, ["date", "campaign_name", "cost"])
            records = []
            for row in rows:
                records.append(
                    _record(
                        {
                            "date": parse_day(row["date"]),
                            "campaign_id": row.get("campaign_id") or row["campaign_name"],
                            "campaign_name": row["campaign_name"],
                            "cost": parse_number(row.get("cost", "")),
                            "impressions": parse_number(row.get("impressions", "")),
                            "clicks": parse_number(row.get("clicks", "")),
                            "currency": row.get("currency"),
                            "file": path.name,
                        }
                    )
                )
            yield Page(records, {})

    return Stream("campaign_days", fetch)


def streams(config: GoogleAdsConfig, client: HttpClient) -> list[Stream]:
    if config.export_path:
        return [csv_stream(config)]
    return [api_stream(config, client)]
