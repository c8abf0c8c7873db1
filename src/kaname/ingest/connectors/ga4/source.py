"""GA4 stream: sessions, users, new users and page views by date × session default channel group,
through the Data API's REST `properties/{id}:runReport` (offset/limit paging via rowCount).

The official google-analytics-data client speaks gRPC to Google's endpoint and cannot be pointed
at a local fake API, so the connector uses the documented REST shape with httpx (decisions.md).
Rows are keyed by date and channel group; each sync re-pulls the last `lookback_days`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from kaname.ingest.connectors.base import Page, RawRecord, Stream, Sweep
from kaname.ingest.connectors.ga4.configuration import GA4Config
from kaname.ingest.connectors.http import HttpClient
from kaname.ingest.connectors.reports import date_windows

DIMENSIONS = ["date", "sessionDefaultChannelGroup"]
METRICS = ["sessions", "totalUsers", "newUsers", "screenPageViews"]


def traffic_stream(config: GA4Config, client: HttpClient) -> Stream:
    path = f"/v1beta/properties/{config.property_id}:runReport"

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        windows = date_windows(
            state, full, config.start_date, config.lookback_days, config.window_days
        )
        for first, last in windows:
            offset = 0
            seen: set[str] = set()
            while True:
                body = client.request_json(
                    "POST",
                    path,
                    json={
                        "dateRanges": [
                            {"startDate": first.isoformat(), "endDate": last.isoformat()}
                        ],
                        "dimensions": [{"name": d} for d in DIMENSIONS],
                        "metrics": [{"name": m} for m in METRICS],
                        "limit": config.page_size,
                        "offset": offset,
                        "orderBys": [{"dimension": {"dimensionName": "date"}}],
                    },
                )
                rows = body.get("rows") or []
                dims = [h["name"] for h in body.get("dimensionHeaders") or []] or DIMENSIONS
                mets = [h["name"] for h in body.get("metricHeaders") or []] or METRICS
                records = []
                for row in rows:
                    data: dict[str, Any] = {
                        d: v.get("value")
                        for d, v in zip(dims, row["dimensionValues"], strict=False)
                    }
                    data.update(
                        {m: v.get("value") for m, v in zip(mets, row["metricValues"], strict=False)}
                    )
                    key = f"{data.get('date')}|{data.get('sessionDefaultChannelGroup')}"
                    data["id"] = key
                    records.append(RawRecord(key, _day(data.get("date")), data))
                offset += len(rows)
                seen.update(r.id for r in records)
                done = not rows or offset >= int(body.get("rowCount") or 0)
                if done:
                    sweep = Sweep(first, last, frozenset(seen))
                    yield Page(records, {"through": last.isoformat()}, sweep=sweep)
                else:
                    yield Page(records, {})
                if done:
                    break

    return Stream("traffic", fetch)


def _day(value: Any) -> dt.datetime | None:
    text = str(value or "")
    if len(text) != 8 or not text.isdigit():
        return None
    return dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:]))


def streams(config: GA4Config, client: HttpClient) -> list[Stream]:
    return [traffic_stream(config, client)]
