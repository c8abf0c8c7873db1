"""Local fake SaaS APIs on 127.0.0.1 that behave like the real ones: their paging, their auth
errors, 429 with Retry-After, 5xx and responses cut mid-body, injected on purpose.

Used by the connector tests and by benchmarks/sync_hubspot.py.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

Response = tuple[int, dict[str, str], bytes]


@dataclass
class Fault:
    """Misbehave `times` times on requests whose path starts with `path` (after `skip` good ones).

    kind: "status" (send `status` with `headers`), "cut" (declare a longer body than sent and
    close the connection)."""

    path: str
    kind: str = "status"
    status: int = 500
    headers: dict[str, str] | None = None
    times: int = 1
    skip: int = 0
    body: bytes = b'{"message": "fault"}'


def js(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(data).encode(),
    )


class FakeApi:
    """A threaded HTTP server dispatching to `handle`; subclasses implement the vendor's API."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with api._lock:
                    api.requests.append((self.command, parts.path))
                    fault = api._fault(parts.path)
                if fault is not None and fault.kind == "cut":
                    body = b'{"results": [{"id": "1", "prop'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body) + 500))
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if fault is not None:
                    status, headers, body = fault.status, dict(fault.headers or {}), fault.body
                else:
                    status, headers, body = api.handle(
                        self.command, parts.path, query, raw, dict(self.headers.items())
                    )
                self.send_response(status)
                headers.setdefault("Content-Type", "application/json")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if path.startswith(fault.path) and fault.times > 0:
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    def count(self, path: str) -> int:
        return sum(1 for _, p in self.requests if p.startswith(path))

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        raise NotImplementedError


def iso(stamp: dt.datetime) -> str:
    """HubSpot's datetime property format: ISO 8601 in UTC with milliseconds and Z."""
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def ms(stamp: dt.datetime) -> int:
    return int(stamp.replace(tzinfo=dt.UTC).timestamp() * 1000)


class FakeHubSpot(FakeApi):
    """CRM v3 objects (list with `after` paging, search, batch read), v4 associations, owners and
    the marketing email events API, behind a private-app token."""

    MODIFIED: ClassVar[dict[str, str]] = {
        "contacts": "lastmodifieddate",
        "companies": "hs_lastmodifieddate",
        "deals": "hs_lastmodifieddate",
    }

    def __init__(self, token: str = "pat-na1-good-token") -> None:
        self.token = token
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            "contacts": {},
            "companies": {},
            "deals": {},
        }
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.assoc: dict[tuple[str, str, str], list[str]] = {}
        self.owners = [
            {
                "id": "101",
                "email": "sato@example.jp",
                "firstName": "Taro",
                "lastName": "Sato",
                "userId": 9001,
                "createdAt": "2024-01-01T00:00:00Z",
                "updatedAt": "2024-01-01T00:00:00Z",
                "archived": False,
            }
        ]
        self.events: list[dict[str, Any]] = []
        self.clock = dt.datetime(2025, 4, 1, 9, 0)
        self._listed: dict[tuple[str, bool], tuple[Any, list[dict[str, Any]]]] = {}
        super().__init__()

    # --- fixture helpers
    def tick(self) -> dt.datetime:
        self.clock += dt.timedelta(minutes=1)
        return self.clock

    def put(self, kind: str, oid: str, **props: Any) -> dict[str, Any]:
        now = self.tick()
        current = self.objects[kind].get(oid)
        if current is None:
            current = {
                "id": oid,
                "properties": {"createdate": iso(now), "hs_object_id": oid},
                "createdAt": iso(now),
                "archived": False,
            }
            self.objects[kind][oid] = current
        current["properties"].update({k: (None if v is None else str(v)) for k, v in props.items()})
        current["properties"][self.MODIFIED[kind]] = iso(now)
        current["updatedAt"] = iso(now)
        if kind == "deals" and "dealstage" in props:
            self.history.setdefault(oid, []).append(
                {"value": props["dealstage"], "timestamp": iso(now), "sourceType": "CRM_UI"}
            )
        return current

    def associate(self, kind: str, oid: str, target: str, tid: str) -> None:
        self.assoc.setdefault((kind, oid, target), []).append(tid)

    def archive(self, kind: str, oid: str) -> None:
        obj = self.objects[kind][oid]
        obj["archived"] = True
        obj["archivedAt"] = iso(self.tick())

    # --- API
    def _out(
        self,
        kind: str,
        obj: dict[str, Any],
        props: list[str] | None,
        history: list[str] | None = None,
        assoc: list[str] | None = None,
    ) -> dict[str, Any]:
        keep = (
            obj["properties"]
            if props is None
            else {p: obj["properties"].get(p) for p in props if p in obj["properties"]}
        )
        out = {k: v for k, v in obj.items() if k != "properties"}
        out["properties"] = keep
        if history:
            out["propertiesWithHistory"] = {
                "dealstage": list(reversed(self.history.get(obj["id"], [])))
            }
        if assoc:
            out["associations"] = {
                t: {
                    "results": [
                        {"id": i, "type": f"{kind[:-1]}_to_{t[:-1]}"}
                        for i in self.assoc.get((kind, obj["id"], t), [])
                    ]
                }
                for t in assoc
                if self.assoc.get((kind, obj["id"], t))
            }
        return out

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return js(
                {
                    "status": "error",
                    "message": "Authentication credentials not found. This "
                    "API supports OAuth 2.0 authentication",
                    "correlationId": "c0ffee",
                    "category": "INVALID_AUTHENTICATION",
                },
                401,
            )
        parts = path.strip("/").split("/")
        if path == "/crm/v3/owners":
            return self._page(self.owners, query, lambda o: o)
        if path == "/email/public/v1/events":
            since = int(query.get("startTimestamp", 0))
            events = [e for e in self.events if e["created"] >= since]
            offset = int(query.get("offset") or 0)
            limit = int(query.get("limit", 1000))
            chunk = events[offset : offset + limit]
            more = offset + limit < len(events)
            return js({"events": chunk, "hasMore": more, "offset": str(offset + limit)})
        if parts[:3] == ["crm", "v4", "associations"] and parts[-2:] == ["batch", "read"]:
            kind, target = parts[3], parts[4]
            ids = [str(i["id"]) for i in json.loads(body)["inputs"]]
            return js(
                {
                    "status": "COMPLETE",
                    "results": [
                        {
                            "from": {"id": i},
                            "to": [
                                {"toObjectId": int(t), "associationTypes": []}
                                for t in self.assoc.get((kind, i, target), [])
                            ],
                        }
                        for i in ids
                        if self.assoc.get((kind, i, target))
                    ],
                }
            )
        if parts[:3] != ["crm", "v3", "objects"] or parts[3] not in self.objects:
            return js(
                {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"}, 404
            )
        kind = parts[3]
        store = self.objects[kind]
        if len(parts) == 4 and method == "GET":
            archived = query.get("archived", "false") == "true"
            items = self._listing(kind, archived)
            props = query.get("properties", "").split(",") if query.get("properties") else []
            history = (
                query.get("propertiesWithHistory", "").split(",")
                if query.get("propertiesWithHistory")
                else None
            )
            assoc = query.get("associations", "").split(",") if query.get("associations") else None
            return self._page(items, query, lambda o: self._out(kind, o, props, history, assoc))
        if parts[4:] == ["search"]:
            payload = json.loads(body)
            flt = payload["filterGroups"][0]["filters"][0]
            prop, since = flt["propertyName"], int(flt["value"])

            def modified(o: dict[str, Any]) -> int:
                text = o["properties"][prop].replace("Z", "+00:00")
                return int(dt.datetime.fromisoformat(text).timestamp() * 1000)

            items = sorted(
                (o for o in store.values() if not o["archived"] and modified(o) >= since),
                key=modified,
            )
            after = int(payload.get("after") or 0)
            limit = int(payload.get("limit", 10))
            chunk = items[after : after + limit]
            out: dict[str, Any] = {
                "total": len(items),
                "results": [self._out(kind, o, payload.get("properties")) for o in chunk],
            }
            if after + limit < len(items):
                out["paging"] = {"next": {"after": str(after + limit)}}
            return js(out)
        if parts[4:] == ["batch", "read"]:
            payload = json.loads(body)
            ids = [str(i["id"]) for i in payload["inputs"]]
            return js(
                {
                    "status": "COMPLETE",
                    "results": [
                        self._out(
                            kind,
                            store[i],
                            payload.get("properties"),
                            payload.get("propertiesWithHistory"),
                        )
                        for i in ids
                        if i in store
                    ],
                }
            )
        return js({"status": "error", "message": "bad request"}, 400)

    def _listing(self, kind: str, archived: bool) -> list[dict[str, Any]]:
        # Cached while nothing changes, so paging 200k objects is not quadratic.
        key = (kind, archived, len(self.objects[kind]), self.clock)
        if self._listed.get((kind, archived), (None, []))[0] != key:
            items = [o for o in self.objects[kind].values() if o["archived"] == archived]
            self._listed[(kind, archived)] = (key, items)
        return self._listed[(kind, archived)][1]

    def _page(self, items: list[Any], query: dict[str, str], shape: Any) -> Response:
        after = int(query.get("after") or 0)
        limit = int(query.get("limit", 10))
        chunk = items[after : after + limit]
        out: dict[str, Any] = {"results": [shape(o) for o in chunk]}
        if after + limit < len(items):
            out["paging"] = {
                "next": {"after": str(after + limit), "link": f"?after={after + limit}"}
            }
        return js(out)


def sf_time(stamp: dt.datetime) -> str:
    """Salesforce's datetime format: 2025-04-01T09:00:00.000+0000."""
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class FakeSalesforce(FakeApi):
    """OAuth token endpoint (refresh_token grant) and REST `queryAll` with `nextRecordsUrl` paging
    over a tiny SOQL subset (SELECT fields FROM object [WHERE SystemModstamp >= t] ORDER BY)."""

    def __init__(self, refresh_token: str = "5Aep-refresh", batch: int = 2) -> None:
        self.refresh_token = refresh_token
        self.batch = batch
        self.tokens_issued = 0
        self.valid_token = ""
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}
        self.locators: dict[str, tuple[list[dict[str, Any]], int, list[str], str]] = {}
        self.clock = dt.datetime(2025, 4, 1, 0, 0)
        super().__init__()

    def put(self, obj: str, rid: str, **fields: Any) -> None:
        self.clock += dt.timedelta(minutes=1)
        row = self.rows.setdefault(obj, {}).setdefault(
            rid, {"Id": rid, "IsDeleted": False, "CreatedDate": sf_time(self.clock)}
        )
        row.update(fields)
        row["SystemModstamp"] = sf_time(self.clock)

    def delete(self, obj: str, rid: str) -> None:
        self.put(obj, rid, IsDeleted=True)

    def expire_token(self) -> None:
        self.valid_token = "expired"

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        if path == "/services/oauth2/token":
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            if form.get("refresh_token") != self.refresh_token:
                return js(
                    {"error": "invalid_grant", "error_description": "expired access/refresh token"},
                    400,
                )
            self.tokens_issued += 1
            self.valid_token = f"00Dxx!token{self.tokens_issued}"
            return js(
                {
                    "access_token": self.valid_token,
                    "instance_url": self.url,
                    "id": "https://login.salesforce.com/id/00Dxx/005xx",
                    "token_type": "Bearer",
                    "issued_at": "1743465600000",
                    "signature": "sig",
                }
            )
        if headers.get("Authorization") != f"Bearer {self.valid_token}":
            return js(
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401
            )
        import re

        version = path.split("/")[3]
        if path.rstrip("/").endswith("/queryAll"):  # simple-salesforce adds a slash
            soql = query["q"]
            m = re.match(
                r"SELECT (.+) FROM (\w+)(?: WHERE SystemModstamp >= (\S+))? ORDER BY", soql
            )
            if not m:
                return js([{"message": "MALFORMED_QUERY", "errorCode": "MALFORMED_QUERY"}], 400)
            fields = [f.strip() for f in m.group(1).split(",")]
            obj, since = m.group(2), m.group(3)
            rows = sorted(self.rows.get(obj, {}).values(), key=lambda r: r["SystemModstamp"])
            if since:
                cut = since.replace("Z", "").replace(".000", "")
                rows = [r for r in rows if r["SystemModstamp"][:19] >= cut[:19]]
            return self._batch(obj, rows, 0, fields, version)
        if "/query/" in path:
            locator = path.rsplit("/", 1)[1]
            rows, offset, fields, obj = self.locators[locator]
            return self._batch(obj, rows, offset, fields, version)
        return js([{"message": "not found", "errorCode": "NOT_FOUND"}], 404)

    def _batch(
        self, obj: str, rows: list[dict[str, Any]], offset: int, fields: list[str], version: str
    ) -> Response:
        chunk = rows[offset : offset + self.batch]
        out: dict[str, Any] = {
            "totalSize": len(rows),
            "done": offset + self.batch >= len(rows),
            "records": [
                {
                    "attributes": {
                        "type": obj,
                        "url": f"/services/data/{version}/sobjects/{obj}/{r['Id']}",
                    },
                    **{f: r.get(f) for f in fields},
                }
                for r in chunk
            ],
        }
        if not out["done"]:
            locator = f"01gxx{len(self.locators)}-{offset + self.batch}"
            self.locators[locator] = (rows, offset + self.batch, fields, obj)
            out["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}"
        return js(out)


def mkto_time(stamp: dt.datetime) -> str:
    """Marketo's REST datetime format: 2025-04-01T09:00:00Z."""
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeMarketo(FakeApi):
    """Identity token endpoint (client credentials), leads.json by id, the activity log with paging
    tokens (pagingtoken.json, activities.json, leadchanges.json, deletedleads.json) and programs,
    answering errors in Marketo's envelope: HTTP 200, success false, errors [{code, message}]."""

    def __init__(self, client_id: str = "mkto-client", client_secret: str = "mkto-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.tokens_issued = 0
        self.valid_token = ""
        self.expired_token = ""
        self.leads: dict[int, dict[str, Any]] = {}
        self.log: list[dict[str, Any]] = []
        self.programs: list[dict[str, Any]] = []
        self.batch = 2
        self.clock = dt.datetime(2025, 4, 1, 0, 0)
        super().__init__()

    # --- fixture helpers
    def tick(self) -> str:
        self.clock += dt.timedelta(minutes=1)
        return mkto_time(self.clock)

    def _activity(self, lead_id: int, type_id: int, **extra: Any) -> dict[str, Any]:
        n = len(self.log) + 1
        activity = {
            "id": n,
            "marketoGUID": f"{n}",
            "leadId": lead_id,
            "activityDate": self.tick(),
            "activityTypeId": type_id,
            "campaignId": extra.pop("campaignId", None),
            "primaryAttributeValueId": extra.pop("primaryAttributeValueId", None),
            "primaryAttributeValue": extra.pop("primaryAttributeValue", None),
            "attributes": [{"name": k, "value": v} for k, v in extra.pop("attributes", {}).items()],
            **extra,
        }
        self.log.append(activity)
        return activity

    def put_lead(self, lead_id: int, **fields: Any) -> None:
        now = mkto_time(self.clock + dt.timedelta(minutes=1))
        lead = self.leads.get(lead_id)
        if lead is None:
            lead = {"id": lead_id, "createdAt": now}
            self.leads[lead_id] = lead
            self._activity(lead_id, 12)
        else:
            self._activity(
                lead_id,
                13,
                fields=[
                    {"id": 1, "name": k, "newValue": v, "oldValue": lead.get(k)}
                    for k, v in fields.items()
                ],
            )
        lead.update(fields)
        lead["updatedAt"] = now

    def act(self, lead_id: int, type_id: int, **extra: Any) -> None:
        self._activity(lead_id, type_id, **extra)

    def delete_lead(self, lead_id: int) -> None:
        self.leads.pop(lead_id, None)
        self._activity(lead_id, 37)

    def merge(self, winner: int, loser: int) -> None:
        self.leads.pop(loser, None)
        self._activity(winner, 32, attributes={"Merge ids": [loser]})

    def expire_token(self) -> None:
        self.expired_token, self.valid_token = self.valid_token, "none"

    # --- API
    @staticmethod
    def error(code: str, message: str) -> Response:
        return js(
            {"requestId": "e0#1", "success": False, "errors": [{"code": code, "message": message}]}
        )

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        if path == "/identity/oauth/token":
            if (
                query.get("grant_type") != "client_credentials"
                or query.get("client_id") != self.client_id
                or query.get("client_secret") != self.client_secret
            ):
                return js(
                    {"error": "unauthorized", "error_description": "Bad client credentials"}, 401
                )
            self.tokens_issued += 1
            self.valid_token = f"cdf01657-110d-4155-99a7-f986b2ff13a0:{self.tokens_issued}"
            return js(
                {
                    "access_token": self.valid_token,
                    "token_type": "bearer",
                    "expires_in": 3599,
                    "scope": "api@example.com",
                }
            )
        auth = headers.get("Authorization", "")
        if auth == f"Bearer {self.expired_token}" and self.expired_token:
            return self.error("602", "Access token expired")
        if auth != f"Bearer {self.valid_token}":
            return self.error("601", "Access token invalid")
        ok = {"requestId": f"r#{len(self.requests)}", "success": True}
        if path == "/rest/v1/activities/pagingtoken.json":
            since = query["sinceDatetime"]
            index = next(
                (i for i, a in enumerate(self.log) if a["activityDate"] >= since), len(self.log)
            )
            return js({**ok, "nextPageToken": f"TOK{index}"})
        kinds = {
            "/rest/v1/activities.json": None,
            "/rest/v1/activities/leadchanges.json": {12, 13},
            "/rest/v1/activities/deletedleads.json": {37},
        }
        if path in kinds:
            token = query.get("nextPageToken", "")
            if not token.startswith("TOK"):
                return self.error("1003", "Invalid nextPageToken")
            wanted = kinds[path] or {
                int(t) for t in query.get("activityTypeIds", "").split(",") if t
            }
            limit = min(int(query.get("batchSize", 300)), self.batch)
            index = int(token[3:])
            found: list[dict[str, Any]] = []
            while index < len(self.log) and len(found) < limit:
                if self.log[index]["activityTypeId"] in wanted:
                    found.append(self.log[index])
                index += 1
            out: dict[str, Any] = {
                **ok,
                "nextPageToken": f"TOK{index}",
                "moreResult": index < len(self.log),
            }
            if found:
                out["result"] = found
            return js(out)
        if path == "/rest/v1/leads.json":
            if query.get("filterType") != "id":
                return self.error("1003", "Invalid filterType")
            fields = query.get("fields", "id").split(",")
            ids = [int(i) for i in query.get("filterValues", "").split(",") if i]
            result = [
                {f: self.leads[i].get(f) for f in fields if f in self.leads[i]}
                for i in ids
                if i in self.leads
            ]
            return js({**ok, "result": result})
        if path == "/rest/asset/v1/programs.json":
            offset, size = int(query.get("offset", 0)), int(query.get("maxReturn", 20))
            chunk = self.programs[offset : offset + size]
            if not chunk:
                return js(
                    {
                        **ok,
                        "warnings": ["No assets found for the given search criteria."],
                        "errors": [{"code": "702", "message": "No assets found"}],
                        "success": False,
                    }
                )
            return js({**ok, "result": chunk})
        return self.error("610", "Requested resource not found")


class FakeGoogle(FakeApi):
    """Google's OAuth token endpoint (refresh_token grant) plus the GA4 Data API `runReport`
    (offset/limit paging, rowCount) and the Google Ads REST `googleAds:searchStream`, with
    Google's error shape ({"error": {code, message, status}})."""

    def __init__(
        self, refresh_token: str = "1//google-refresh", developer_token: str = "dev-tok"
    ) -> None:
        self.refresh_token = refresh_token
        self.developer_token = developer_token
        self.tokens_issued = 0
        self.valid_token = ""
        self.traffic: dict[tuple[str, str], dict[str, int]] = {}
        self.ads: dict[tuple[str, str], dict[str, Any]] = {}
        self.report_ranges: list[tuple[str, str]] = []
        super().__init__()

    TRAFFIC_GROUPS: ClassVar[dict[str, int]] = {
        "Organic Search": 50,
        "Paid Search": 20,
        "Display": 5,
        "Email": 7,
        "Direct": 9,
    }
    """Sessions per channel group before the day of the month is added (`fill_traffic`)."""

    def fill_traffic(self, days: int = 10) -> None:
        """GA4 rows for 2025-04-01 … days, one per TRAFFIC_GROUPS channel group."""
        for day in range(1, days + 1):
            for group, sessions in self.TRAFFIC_GROUPS.items():
                self.traffic[(f"202504{day:02d}", group)] = {
                    "sessions": sessions + day,
                    "totalUsers": sessions,
                    "newUsers": sessions // 2,
                    "screenPageViews": sessions * 3,
                }

    def expire_token(self) -> None:
        self.valid_token = "expired"

    @staticmethod
    def error(code: int, message: str, status: str) -> Response:
        return js({"error": {"code": code, "message": message, "status": status}}, code)

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        if path == "/token":
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            if form.get("refresh_token") != self.refresh_token:
                return js(
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                    400,
                )
            self.tokens_issued += 1
            self.valid_token = f"ya29.token{self.tokens_issued}"
            return js(
                {
                    "access_token": self.valid_token,
                    "expires_in": 3599,
                    "token_type": "Bearer",
                    "scope": "https://www.googleapis.com/auth/analytics.readonly",
                }
            )
        if headers.get("Authorization") != f"Bearer {self.valid_token}":
            return self.error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
                "UNAUTHENTICATED",
            )
        payload = json.loads(body or b"{}")
        if path.endswith(":runReport"):
            rng = payload["dateRanges"][0]
            first, last = rng["startDate"].replace("-", ""), rng["endDate"].replace("-", "")
            self.report_ranges.append((rng["startDate"], rng["endDate"]))
            metrics = [m["name"] for m in payload["metrics"]]
            rows = sorted(k for k in self.traffic if first <= k[0] <= last)
            offset, limit = int(payload.get("offset", 0)), int(payload.get("limit", 10000))
            out: dict[str, Any] = {
                "dimensionHeaders": [{"name": d["name"]} for d in payload["dimensions"]],
                "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in metrics],
                "rows": [
                    {
                        "dimensionValues": [{"value": d}, {"value": g}],
                        "metricValues": [
                            {"value": str(self.traffic[(d, g)].get(m, 0))} for m in metrics
                        ],
                    }
                    for d, g in rows[offset : offset + limit]
                ],
                "rowCount": len(rows),
                "metadata": {"currencyCode": "JPY", "timeZone": "Asia/Tokyo"},
                "kind": "analyticsData#runReport",
            }
            if not out["rows"]:
                del out["rows"]
            return js(out)
        if path.endswith("googleAds:searchStream"):
            if headers.get("developer-token") != self.developer_token:
                return js(
                    [
                        {
                            "error": {
                                "code": 401,
                                "status": "UNAUTHENTICATED",
                                "message": "The developer token is not valid.",
                            }
                        }
                    ],
                    401,
                )
            import re

            m = re.search(r"BETWEEN '([\d-]+)' AND '([\d-]+)'", payload["query"])
            if not m:
                return self.error(400, "Request contains an invalid argument.", "INVALID_ARGUMENT")
            self.report_ranges.append((m[1], m[2]))
            rows = [v for k, v in sorted(self.ads.items()) if m[1] <= k[0] <= m[2]]
            batches = [rows[i : i + 2] for i in range(0, len(rows), 2)] or [[]]
            return js(
                [
                    {
                        "results": [
                            {
                                "campaign": {
                                    "resourceName": f"customers/1/campaigns/{r['id']}",
                                    "id": r["id"],
                                    "name": r["name"],
                                    "advertisingChannelType": r.get("type", "SEARCH"),
                                },
                                "metrics": {
                                    "costMicros": str(r["cost_micros"]),
                                    "impressions": str(r["impressions"]),
                                    "clicks": str(r["clicks"]),
                                },
                                "segments": {"date": r["date"]},
                            }
                            for r in batch
                        ],
                        "fieldMask": "segments.date,campaign.id,campaign.name,metrics.costMicros",
                        "requestId": "req1",
                    }
                    for batch in batches
                ]
            )
        return self.error(404, "not found", "NOT_FOUND")


class FakeMeta(FakeApi):
    """Graph API `act_{id}/insights` at campaign level by day with cursor paging, behind a token;
    errors in Graph's shape (HTTP 400 {"error": {message, type, code}})."""

    def __init__(self, token: str = "EAAB-meta-token", page: int = 2) -> None:
        self.token = token
        self.page = page
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.ranges: list[dict[str, str]] = []
        super().__init__()

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return js(
                {
                    "error": {
                        "message": "Invalid OAuth access token - Cannot parse access token",
                        "type": "OAuthException",
                        "code": 190,
                        "fbtrace_id": "AbC",
                    }
                },
                400,
            )
        if not path.endswith("/insights"):
            return js(
                {"error": {"message": "Unknown path", "type": "OAuthException", "code": 803}}, 400
            )
        rng = json.loads(query["time_range"])
        self.ranges.append(rng)
        rows = [v for k, v in sorted(self.rows.items()) if rng["since"] <= k[0] <= rng["until"]]
        start = int(query.get("after", "0").removeprefix("c") or 0)
        limit = min(int(query.get("limit", 25)), self.page)
        chunk = rows[start : start + limit]
        out: dict[str, Any] = {
            "data": [
                {
                    "campaign_id": r["id"],
                    "campaign_name": r["name"],
                    "spend": r["spend"],
                    "impressions": str(r["impressions"]),
                    "clicks": str(r["clicks"] + 3),
                    "inline_link_clicks": str(r["clicks"]),
                    "account_currency": "JPY",
                    "date_start": r["date"],
                    "date_stop": r["date"],
                }
                for r in chunk
            ],
            "paging": {"cursors": {"before": f"c{start}", "after": f"c{start + len(chunk)}"}},
        }
        if start + limit < len(rows):
            out["paging"]["next"] = f"{self.url}{path}?after=c{start + len(chunk)}"
        return js(out)
