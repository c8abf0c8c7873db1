"""Marketo streams: leads (a bulk export, then lead-change activities and `leads.json`),
activities, programs.

Marketo's incremental cursor is its paging token: `activities/pagingtoken.json?sinceDatetime=`
gives a token for a point in time, every activity page returns the token that follows it, and the
token after the last page is where the next sync starts. Each page's token is committed once its
records are stored, so a sync killed half-way resumes from the last stored page.

- `leads`: on a first or full sync, every lead through the Bulk Extract API (`bulk.py`: createdAt
  windows, each a committed step), then lead ids from New Lead / Change Data Value activities
  (`activities/leadchanges.json`), the leads themselves from `leads.json?filterType=id` (≤ 300
  ids per request, following `nextPageToken`), then deleted leads (`activities/deletedleads.json`)
  and leads merged away (Merge Leads activities) marked deleted. After a bulk export the lead
  changes start where the export started, so nothing created or changed in between is missed.
- `activities`: web visits, form fills, e-mail send/delivered/open/click and program status
  changes (`activities.json?activityTypeIds=`).
- `programs`: the asset API's program list (offset paging), for `campaigns`.

Marketo answers HTTP 200 with `success: false` and an error code; `envelope_status` turns the
codes into the HTTP status they stand for (601/602 token → 401 and one refresh, 606/615 rate and
concurrency limits → 429 and a wait, 604/608/611/713 → 503 and backoff); any other code stops the
source with Marketo's message.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx

from kaname.ingest.connectors.base import Page, PermanentSourceError, RawRecord, Stream
from kaname.ingest.connectors.http import HttpClient
from kaname.ingest.connectors.mapping import parse_timestamp
from kaname.ingest.connectors.marketo.bulk import backfill
from kaname.ingest.connectors.marketo.configuration import MarketoConfig

UTC = dt.UTC

ACTIVITY_TYPES = {
    1: "Visit Webpage",
    2: "Fill Out Form",
    6: "Send Email",
    7: "Email Delivered",
    10: "Open Email",
    11: "Click Email",
    104: "Change Status in Progression",
}
"""Standard activity type ids pulled into `raw_marketo_activities` (at most 10 per request)."""
NEW_LEAD, MERGE_LEADS = 12, 32

TOKEN_CODES = {"601", "602"}
RATE_CODES = {"606", "615"}
TRANSIENT_CODES = {"604", "608", "611", "713"}
# 1029 (bulk export quota or queue full) is not retried here: bulk.py waits or stops with a reason.


def envelope_status(response: httpx.Response) -> int:
    """The HTTP status a Marketo response stands for (its errors come in HTTP 200 bodies)."""
    if response.status_code != 200 or b'"success"' not in response.content[:400]:
        return response.status_code
    try:
        body = json.loads(response.content)
    except ValueError:
        return response.status_code
    if not isinstance(body, dict) or body.get("success", True):
        return 200
    codes = {str(e.get("code")) for e in body.get("errors") or []}
    if codes & TOKEN_CODES:
        return 401
    if codes & RATE_CODES:
        return 429
    if codes & TRANSIENT_CODES:
        return 503
    return 200  # a permanent error: `_get` raises it with Marketo's message


def _get(client: HttpClient, path: str, params: dict[str, Any]) -> dict[str, Any]:
    body = client.request_json("GET", path, params=params)
    if not isinstance(body, dict):
        raise PermanentSourceError(f"GET {path}: unexpected response {str(body)[:200]}")
    if not body.get("success", True):
        _raise_envelope(path, body)
    return body


def _raise_envelope(path: str, body: dict[str, Any]) -> None:
    errors = "; ".join(f"{e.get('code')} {e.get('message')}" for e in body.get("errors") or [])
    raise PermanentSourceError(f"GET {path}: Marketo error {errors}")


def _since(config: MarketoConfig) -> str:
    return dt.date.fromisoformat(config.start_date).isoformat() + "T00:00:00Z"


def _paging_token(client: HttpClient, since: str) -> str:
    body = _get(client, "/rest/v1/activities/pagingtoken.json", {"sinceDatetime": since})
    return str(body["nextPageToken"])


def _activity_pages(
    client: HttpClient, path: str, token: str, extra: dict[str, Any], batch: int
) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """(activities, token after them) for every page from `token` until moreResult is false."""
    while True:
        body = _get(client, path, {"nextPageToken": token, "batchSize": batch, **extra})
        token = str(body.get("nextPageToken") or token)
        yield list(body.get("result") or []), token
        if not body.get("moreResult"):
            return


def _attributes(activity: dict[str, Any]) -> dict[str, Any]:
    return {f"attr.{a.get('name')}": a.get("value") for a in activity.get("attributes") or []}


def leads_stream(config: MarketoConfig, client: HttpClient) -> Stream:
    fields = [f.strip() for f in config.lead_fields.split(",") if f.strip()]
    if "id" not in fields:
        fields.insert(0, "id")
    if "updatedAt" not in fields:
        fields.append("updatedAt")

    def fetch_leads(ids: list[str]) -> list[RawRecord]:
        out: list[RawRecord] = []
        for start in range(0, len(ids), 300):
            params: dict[str, Any] = {
                "filterType": "id",
                "filterValues": ",".join(ids[start : start + 300]),
                "fields": ",".join(fields),
                "batchSize": 300,
            }
            while True:
                body = _get(client, "/rest/v1/leads.json", params)
                for lead in body.get("result") or []:
                    # Empty values left out, as the bulk export's CSV has them (empty cells).
                    data = {k: v for k, v in lead.items() if v is not None and v != ""}
                    data["id"] = str(lead["id"])
                    stamp = parse_timestamp(lead.get("updatedAt"), UTC)
                    out.append(RawRecord(data["id"], stamp, data))
                if not body.get("nextPageToken") or not body.get("result"):
                    break
                params["nextPageToken"] = body["nextPageToken"]
        return out

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        state = {} if full else dict(state)
        bulk = state.get("bulk") or {}
        if config.bulk_export and not bulk.get("done") and (bulk or not state.get("changes")):
            state = yield from backfill(config, client, fields, state)
            bulk = state["bulk"]
        for phase in ("changes", "deletes", "merges"):
            # Lead changes continue from the bulk export's start: the export holds every lead
            # as it was then. Deletes and merges still start at start_date.
            since = bulk["until"] if phase == "changes" and bulk.get("done") else _since(config)
            start = state.get(phase) or _paging_token(client, since)
            if phase == "changes":
                path = "/rest/v1/activities/leadchanges.json"
                extra: dict[str, Any] = {"fields": ",".join(fields)}
            elif phase == "deletes":
                path, extra = "/rest/v1/activities/deletedleads.json", {}
            else:
                path, extra = "/rest/v1/activities.json", {"activityTypeIds": MERGE_LEADS}
            for activities, token in _activity_pages(client, path, start, extra, config.batch_size):
                state[phase] = token
                if phase == "changes":
                    ids = list(dict.fromkeys(str(a["leadId"]) for a in activities))
                    records = fetch_leads(ids)
                elif phase == "deletes":
                    records = [_gone(a["leadId"], a) for a in activities]
                else:
                    records = [_gone(i, a) for a in activities for i in _merged_ids(a)]
                yield Page(records, dict(state))

    return Stream("leads", fetch)


def _gone(lead_id: Any, activity: dict[str, Any]) -> RawRecord:
    stamp = parse_timestamp(activity.get("activityDate"), UTC)
    data = {"id": str(lead_id), "deletedAt": activity.get("activityDate")}
    return RawRecord(str(lead_id), stamp, data, deleted=True)


def _merged_ids(activity: dict[str, Any]) -> list[str]:
    """Ids of the leads merged into the activity's lead (attribute "Merge ids")."""
    for attr in activity.get("attributes") or []:
        if str(attr.get("name", "")).lower() == "merge ids":
            value = attr.get("value")
            items = value if isinstance(value, list) else str(value or "").split(",")
            return [str(i).strip() for i in items if str(i).strip()]
    return []


def activities_stream(config: MarketoConfig, client: HttpClient) -> Stream:
    types = ",".join(str(t) for t in ACTIVITY_TYPES)

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        start = (None if full else state.get("next")) or _paging_token(client, _since(config))
        extra = {"activityTypeIds": types}
        for activities, token in _activity_pages(
            client, "/rest/v1/activities.json", start, extra, config.batch_size
        ):
            records = []
            for a in activities:
                data = {k: v for k, v in a.items() if k != "attributes"}
                data.update(_attributes(a))
                data["activityType"] = ACTIVITY_TYPES.get(int(a.get("activityTypeId") or 0))
                data["leadId"] = str(a.get("leadId")) if a.get("leadId") is not None else None
                if a.get("primaryAttributeValueId") is not None:
                    data["primaryAttributeValueId"] = str(a["primaryAttributeValueId"])
                key = str(a.get("marketoGUID") or a["id"])
                data["id"] = key
                records.append(RawRecord(key, parse_timestamp(a.get("activityDate"), UTC), data))
            yield Page(records, {"next": token})

    return Stream("activities", fetch)


def programs_stream(config: MarketoConfig, client: HttpClient) -> Stream:
    """Programs (the asset API pages with offset/maxReturn; 702 "no assets" ends the list)."""

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        offset = 0
        size = min(config.batch_size, 200)
        while True:
            body = client.request_json(
                "GET", "/rest/asset/v1/programs.json", params={"offset": offset, "maxReturn": size}
            )
            if not body.get("success", True):
                if {str(e.get("code")) for e in body.get("errors") or []} == {"702"}:
                    return  # "No assets found": past the last page
                _raise_envelope("/rest/asset/v1/programs.json", body)
            result = list(body.get("result") or [])
            records = []
            for program in result:
                program = dict(program)
                data = {k: v for k, v in program.items() if not isinstance(v, dict | list)}
                for name in ("createdAt", "updatedAt"):  # asset API: 2025-04-01T00:00:00Z+0000
                    if isinstance(data.get(name), str):
                        data[name] = data[name].replace("Z+0000", "Z")
                data["id"] = str(program["id"])
                stamp = parse_timestamp(data.get("updatedAt"), UTC)
                records.append(RawRecord(data["id"], stamp, data))
            yield Page(records, {})
            if len(result) < size:
                return
            offset += size

    return Stream("programs", fetch)


def streams(config: MarketoConfig, client: HttpClient) -> list[Stream]:
    return [
        programs_stream(config, client),
        leads_stream(config, client),
        activities_stream(config, client),
    ]
