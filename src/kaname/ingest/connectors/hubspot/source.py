"""HubSpot streams: contacts, companies and deals (CRM v3 objects), owners and marketing email
events.

Full syncs page the list endpoint (`after` cursor) and keep the cursor as a resume point;
incremental syncs search `lastmodifieddate >= cursor` in ascending order, restarting the search
from the last modified time seen when HubSpot's 10,000-result search window is reached. Archived
records (`archived=true`) are fetched on every sync and marked deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from kaname.ingest.connectors.base import Page, RawRecord, Stream
from kaname.ingest.connectors.columnar import ColumnarSpec
from kaname.ingest.connectors.http import HttpClient, HttpError
from kaname.ingest.connectors.hubspot.configuration import HubSpotConfig
from kaname.ingest.connectors.mapping import parse_timestamp

UTC = dt.UTC
SEARCH_WINDOW = 10_000
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal"}

OBJECTS: dict[str, dict[str, Any]] = {
    "contacts": {
        "modified": "lastmodifieddate",
        "properties": [
            "email",
            "firstname",
            "lastname",
            "company",
            "createdate",
            "lastmodifieddate",
            "lifecyclestage",
            "hs_lead_status",
            "hubspot_owner_id",
            "associatedcompanyid",
            "hs_analytics_source",
            "hs_analytics_source_data_1",
            "hs_lifecyclestage_lead_date",
            "hs_lifecyclestage_marketingqualifiedlead_date",
            "hs_lifecyclestage_salesqualifiedlead_date",
            "hs_lifecyclestage_opportunity_date",
            "hs_lifecyclestage_customer_date",
            "hs_lifecyclestage_other_date",
            "hubspotscore",
            "hs_merged_object_ids",
        ],
    },
    "companies": {
        "modified": "hs_lastmodifieddate",
        "properties": [
            "name",
            "domain",
            "industry",
            "numberofemployees",
            "state",
            "createdate",
            "hs_lastmodifieddate",
            "hubspot_owner_id",
            "hs_analytics_source",
        ],
    },
    "deals": {
        "modified": "hs_lastmodifieddate",
        "properties": [
            "dealname",
            "amount",
            "dealstage",
            "pipeline",
            "dealtype",
            "createdate",
            "closedate",
            "hs_is_closed_won",
            "hs_is_closed",
            "hubspot_owner_id",
            "hs_analytics_source",
            "hs_lastmodifieddate",
        ],
        "history": ["dealstage"],
        "associations": ["companies", "contacts"],
    },
}


def _ms(stamp: dt.datetime) -> str:
    return str(int(stamp.replace(tzinfo=UTC).timestamp() * 1000))


def _iso(stamp: dt.datetime | None) -> str | None:
    return stamp.isoformat() if stamp else None


def _from_iso(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _utc(value: Any) -> dt.datetime | None:
    """A HubSpot time as naive UTC: its usual `2025-04-01T09:00:00.000Z` in one C call, anything
    else (offsets, epoch milliseconds) through parse_timestamp."""
    if isinstance(value, str) and value.endswith("Z"):
        try:
            return dt.datetime.fromisoformat(value[:-1])
        except ValueError:
            pass
    return parse_timestamp(value, UTC)


def _record(obj: dict[str, Any], modified: str, deleted: bool = False) -> RawRecord:
    """A CRM object (SimplePublicObject shape) flattened: id, properties, associations, history."""
    data: dict[str, Any] = {"id": str(obj["id"]), **(obj.get("properties") or {})}
    data["createdAt"] = obj.get("createdAt")
    data["updatedAt"] = obj.get("updatedAt")
    data["archived"] = bool(obj.get("archived", deleted))
    for name, assoc in (obj.get("associations") or {}).items():
        ids = [str(a["id"]) for a in assoc.get("results", [])]
        data[f"associated_{name}"] = ids
        data[f"associated_{SINGULAR.get(name, name)}_id"] = ids[0] if ids else None
    for prop, changes in (obj.get("propertiesWithHistory") or {}).items():
        data[f"{prop}_history"] = sorted(
            ({"value": c.get("value"), "timestamp": c.get("timestamp")} for c in changes),
            key=lambda c: str(c["timestamp"]),
        )
    stamp = _utc(data.get(modified) or obj.get("updatedAt"))
    return RawRecord(str(obj["id"]), stamp, data, deleted or bool(obj.get("archived")))


def _high(results: list[dict[str, Any]], modified: str) -> dt.datetime | None:
    """The newest modified time of a page, as `_record` reads it, without a record each: the
    newest string when all are HubSpot's usual fixed-width `…Z` form, else every one parsed."""
    stamps = [(o.get("properties") or {}).get(modified) or o.get("updatedAt") for o in results]
    texts = [t for t in stamps if t]
    if not texts:
        return None
    if len({len(t) for t in texts if isinstance(t, str)}) == 1 and all(
        isinstance(t, str) and t.endswith("Z") for t in texts
    ):
        return _utc(max(texts))
    parsed = [p for p in (_utc(t) for t in texts) if p is not None]
    return max(parsed) if parsed else None


def object_spec(name: str, extra: list[str] | None = None) -> dict[str, Any]:
    """An object's request spec (OBJECTS) with `extra` properties requested too."""
    spec = dict(OBJECTS[name])
    spec["properties"] = list(dict.fromkeys([*spec["properties"], *(extra or [])]))
    return spec


def columnar_spec(name: str, extra: list[str] | None = None) -> ColumnarSpec | None:
    """How the writer reads an object's pages in bulk; None for objects fetched with history
    or associations (deals), whose records keep the per-record path."""
    spec = object_spec(name, extra)
    if spec.get("history") or spec.get("associations"):
        return None
    modified = spec["modified"]
    return ColumnarSpec(
        records="results",
        key="id",
        nested="properties",
        nested_fields=tuple(spec["properties"]),
        fields=("createdAt", "updatedAt"),
        flags=("archived",),
        modified=(modified, "updatedAt"),
        deleted="archived",
        record=lambda obj: _record(obj, modified),
    )


def _params(spec: dict[str, Any], page_size: int, archived: bool) -> dict[str, Any]:
    params: dict[str, Any] = {
        "limit": page_size,
        "properties": ",".join(spec["properties"]),
        "archived": str(archived).lower(),
    }
    if spec.get("history"):
        params["propertiesWithHistory"] = ",".join(spec["history"])
        params["limit"] = min(page_size, 50)  # HubSpot caps history requests at 50
    if spec.get("associations"):
        params["associations"] = ",".join(spec["associations"])
    return params


def object_stream(name: str, config: HubSpotConfig, client: HttpClient) -> Stream:
    extra = config.extra_properties(name)
    spec = object_spec(name, extra)
    modified = spec["modified"]
    path = f"/crm/v3/objects/{name}"

    columnar = columnar_spec(name, extra)

    def fetch(state: dict[str, Any], full: bool, bodies: bool = False) -> Iterator[Page]:
        """Pages of records; with `bodies` (a columnar object), pages of bodies instead."""
        bodies = bodies and columnar is not None
        cursor = None if full else _from_iso(state.get("cursor"))
        if cursor is None:
            yield from _full(state if state.get("phase") == "full" and not full else {}, bodies)
        else:
            yield from _incremental(cursor, bodies)
        yield from _archived(state)

    def _page(
        raw: bytes, results: list[dict[str, Any]], bodies: bool, state: dict[str, Any]
    ) -> Page:
        if bodies:
            return Page([], state, body=raw, count=len(results))
        return Page([_record(o, modified) for o in results], state)

    def _full(resume: dict[str, Any], bodies: bool) -> Iterator[Page]:
        after = resume.get("after")
        high = _from_iso(resume.get("high"))
        while True:
            params = _params(spec, config.page_size, archived=False)
            if after:
                params["after"] = after
            raw, body = client.request_body("GET", path, params=params)
            results = body.get("results", [])
            newest = _high(results, modified)
            if newest and (high is None or newest > high):
                high = newest
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if after:
                state = {"phase": "full", "after": after, "high": _iso(high)}
                yield _page(raw, results, bodies, state)
            else:
                state = {"cursor": _iso(high or dt.datetime(1970, 1, 1))}
                yield _page(raw, results, bodies, state)
                return

    def _incremental(cursor: dt.datetime, bodies: bool) -> Iterator[Page]:
        high = start = cursor
        after: str | None = None
        while True:
            payload: dict[str, Any] = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": modified, "operator": "GTE", "value": _ms(start)}
                        ]
                    }
                ],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": spec["properties"],
                "limit": min(config.page_size, 200),
            }
            if after:
                payload["after"] = after
            raw, body = client.request_body("POST", f"{path}/search", json=payload)
            results = body.get("results", [])
            if spec.get("history") and results:
                results = _batch_read(name, spec, [str(o["id"]) for o in results])
            newest = _high(results, modified)
            if newest and newest > high:
                high = newest
            # Results come oldest first, so everything before `high` is in: commit it as cursor.
            yield _page(raw, results, bodies, {"cursor": _iso(high)})
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            if int(after) >= SEARCH_WINDOW:
                if high == start:
                    return  # 10,000 records modified in one millisecond: nothing more to ask
                start, after = high, None  # search again from the newest time seen

    def _archived(state: dict[str, Any]) -> Iterator[Page]:
        after = None
        while True:
            params = {"limit": config.page_size, "archived": "true", "properties": modified}
            if after:
                params["after"] = after
            try:
                body = client.request_json("GET", path, params=params)
            except HttpError as exc:
                if exc.status in (400, 404):
                    return  # archived listing unsupported for this object
                raise
            records = [_record(o, modified, deleted=True) for o in body.get("results", [])]
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            yield Page(records, {})
            if not after:
                return

    def _batch_read(obj: str, spec: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:
        body = client.request_json(
            "POST",
            f"/crm/v3/objects/{obj}/batch/read",
            json={
                "inputs": [{"id": i} for i in ids],
                "properties": spec["properties"],
                "propertiesWithHistory": spec.get("history", []),
            },
        )
        results = body.get("results", [])
        # batch/read has no associations; fetch them from the v4 associations API per type.
        for target in spec.get("associations", []):
            assoc = client.request_json(
                "POST",
                f"/crm/v4/associations/{obj}/{target}/batch/read",
                json={"inputs": [{"id": i} for i in ids]},
            )
            by_id = {
                str(a["from"]["id"]): [{"id": str(t["toObjectId"])} for t in a.get("to", [])]
                for a in assoc.get("results", [])
            }
            for o in results:
                o.setdefault("associations", {})[target] = {"results": by_id.get(str(o["id"]), [])}
        return list(results)

    return Stream(name, fetch, strings=True, columnar=columnar)


def owners_stream(config: HubSpotConfig, client: HttpClient) -> Stream:
    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        after = None
        while True:
            params: dict[str, Any] = {"limit": config.page_size}
            if after:
                params["after"] = after
            body = client.request_json("GET", "/crm/v3/owners", params=params)
            records = [
                RawRecord(
                    str(o["id"]),
                    parse_timestamp(o.get("updatedAt"), UTC),
                    o,
                    bool(o.get("archived")),
                )
                for o in body.get("results", [])
            ]
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            yield Page(records, {})
            if not after:
                return

    return Stream("owners", fetch)


def email_events_stream(config: HubSpotConfig, client: HttpClient) -> Stream:
    """Marketing email events (sent, delivered, open, click) since the last event seen."""

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        since = None if full else state.get("since")
        high = int(since or 0)
        offset = None
        while True:
            params: dict[str, Any] = {"limit": 1000}
            if since:
                params["startTimestamp"] = since
            if offset:
                params["offset"] = offset
            body = client.request_json("GET", "/email/public/v1/events", params=params)
            records = []
            for event in body.get("events", []):
                created = int(event.get("created") or 0)
                high = max(high, created)
                records.append(RawRecord(str(event["id"]), parse_timestamp(created, UTC), event))
            offset = body.get("offset") if body.get("hasMore") else None
            if offset:
                yield Page(records, {"since": since} if since else {})
            else:
                yield Page(records, {"since": high or None})
                return

    return Stream("email_events", fetch)


def streams(config: HubSpotConfig, client: HttpClient) -> list[Stream]:
    return [
        owners_stream(config, client),
        object_stream("companies", config, client),
        object_stream("contacts", config, client),
        object_stream("deals", config, client),
        email_events_stream(config, client),
    ]
