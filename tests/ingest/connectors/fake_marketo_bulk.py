"""A fake Marketo with the Bulk Lead Extract API, on top of `FakeMarketo`'s REST endpoints.

Behaves like Marketo's documented bulk export: jobs are created with `fields`, `format` and one
`createdAt` {startAt, endAt} filter of at most 31 days (a longer range is refused with 1003),
enqueued, and move Created → Queued → Processing → Completed one step per status poll; the file
is CSV with the fields' REST names as header (empty cell = null, booleans true/false), written
when the job completes, with its SHA-256 as `fileChecksum`. Misbehaviour on demand: the daily
quota (1029 "Export daily quota exceeded" after `quota_jobs` jobs), a full queue (1029 "Too many
jobs in queue" on the next `queue_full` enqueues) and jobs that end Failed (`fail_jobs`).
Also `leads/describe.json` with each field's data type.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from typing import Any

from connector_fakes import FakeMarketo, Response, js, mkto_time

FIELD_TYPES = {
    "id": "integer",
    "email": "email",
    "firstName": "string",
    "lastName": "string",
    "company": "string",
    "leadSource": "string",
    "leadStatus": "string",
    "createdAt": "datetime",
    "updatedAt": "datetime",
    "leadScore": "score",
    "mktoIsPartition": "boolean",
    "sfdcAccountId": "string",
    "originalSourceType": "string",
    "annualRevenue": "currency",
    "numberOfEmployees": "integer",
    "unsubscribed": "boolean",
}
"""Data types as `leads/describe.json` reports them (Marketo's standard fields)."""

STEPS = {"Queued": "Processing", "Processing": "Completed"}


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


class FakeMarketoBulk(FakeMarketo):
    """FakeMarketo plus `/bulk/v1/leads/export/...` and `/rest/v1/leads/describe.json`."""

    def __init__(self, client_id: str = "mkto-client", client_secret: str = "mkto-secret") -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.windows: list[tuple[str, str]] = []
        """(startAt, endAt) of every job created, in order."""
        self.quota_jobs: int | None = None
        """Jobs created before the daily quota is used up (None: no limit)."""
        self.queue_full = 0
        """The next enqueue calls answered "Too many jobs in queue"."""
        self.fail_jobs: set[int] = set()
        """Numbers (1 = first created) of the jobs that end Failed instead of Completed."""
        super().__init__(client_id, client_secret)

    # --- fixture helpers
    def put_old_lead(self, lead_id: int, created: dt.datetime, **fields: Any) -> None:
        """A lead created long ago and untouched since: no activity in the log."""
        when = mkto_time(created)
        self.leads[lead_id] = {"id": lead_id, "createdAt": when, "updatedAt": when, **fields}

    def cancel(self, export_id: str) -> None:
        self.jobs[export_id]["status"] = "Cancelled"

    # --- API
    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        if not (path.startswith("/bulk/") or path == "/rest/v1/leads/describe.json"):
            return super().handle(method, path, query, body, headers)
        auth = headers.get("Authorization", "")
        if auth == f"Bearer {self.expired_token}" and self.expired_token:
            return self.error("602", "Access token expired")
        if auth != f"Bearer {self.valid_token}":
            return self.error("601", "Access token invalid")
        ok = {"requestId": f"b#{len(self.requests)}", "success": True}
        if path == "/rest/v1/leads/describe.json":
            return js(
                {
                    **ok,
                    "result": [
                        {
                            "id": n,
                            "displayName": name,
                            "dataType": kind,
                            "rest": {"name": name, "readOnly": name in ("id", "createdAt")},
                            "soap": {"name": name[0].upper() + name[1:], "readOnly": False},
                        }
                        for n, (name, kind) in enumerate(FIELD_TYPES.items(), 1)
                    ],
                }
            )
        prefix = "/bulk/v1/leads/export/"
        if not path.startswith(prefix):
            return self.error("610", "Requested resource not found")
        if path == prefix + "create.json" and method == "POST":
            return self._create(json.loads(body or b"{}"), ok)
        export_id, _, action = path[len(prefix) :].partition("/")
        job = self.jobs.get(export_id)
        if job is None:
            return self.error("1003", f"Export Id {export_id} not found")
        if action == "enqueue.json" and method == "POST":
            if job["status"] != "Created":
                return self.error("1003", f"Job {export_id} already in status {job['status']}")
            if self.queue_full > 0:
                self.queue_full -= 1
                return self.error("1029", "Too many jobs in queue")
            job["status"] = "Queued"
            job["queuedAt"] = mkto_time(self.clock)
            return js({**ok, "result": [self._public(job)]})
        if action == "cancel.json" and method == "POST":
            job["status"] = "Cancelled"
            return js({**ok, "result": [self._public(job)]})
        if action == "status.json":
            self._advance(job)
            return js({**ok, "result": [self._public(job)]})
        if action == "file.json":
            if job["status"] != "Completed":
                return self.error("1003", f"Job {export_id} is not completed")
            return 200, {"Content-Type": "text/csv; charset=UTF-8"}, job["file"]
        return self.error("610", "Requested resource not found")

    def _create(self, payload: dict[str, Any], ok: dict[str, Any]) -> Response:
        fields = payload.get("fields") or []
        filters = payload.get("filter") or {}
        if not fields:
            return self.error("1003", "fields is required")
        unknown = [f for f in fields if f not in FIELD_TYPES]
        if unknown:
            return self.error("1006", f"Field '{unknown[0]}' not found")
        if list(filters) != ["createdAt"]:
            return self.error("1035", "Unsupported filter type for target subscription")
        window = filters["createdAt"]
        start, end = _when(window["startAt"]), _when(window["endAt"])
        if end < start or end - start > dt.timedelta(days=31):
            return self.error("1003", "createdAt filter date range exceeds 31 days")
        if self.quota_jobs is not None and len(self.jobs) >= self.quota_jobs:
            return self.error("1029", "Export daily quota exceeded")
        export_id = str(uuid.uuid4())
        self.jobs[export_id] = {
            "exportId": export_id,
            "number": len(self.jobs) + 1,
            "format": payload.get("format", "CSV"),
            "status": "Created",
            "createdAt": mkto_time(self.clock),
            "fields": list(fields),
            "start": start,
            "end": end,
        }
        self.windows.append((window["startAt"], window["endAt"]))
        return js({**ok, "result": [self._public(self.jobs[export_id])]})

    def _advance(self, job: dict[str, Any]) -> None:
        """One status poll moves a queued job one step: Queued → Processing → Completed."""
        nxt = STEPS.get(job["status"])
        if nxt is None:
            return
        if nxt == "Processing":
            job["startedAt"] = mkto_time(self.clock)
        elif job["number"] in self.fail_jobs:
            job["status"] = "Failed"
            job["errorMsg"] = "Export failed: internal error"
            job["finishedAt"] = mkto_time(self.clock)
            return
        else:
            job["file"] = self._csv(job)
            job["finishedAt"] = mkto_time(self.clock)
        job["status"] = nxt

    def _csv(self, job: dict[str, Any]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(job["fields"])
        rows = 0
        for lead_id in sorted(self.leads):
            lead = self.leads[lead_id]
            if job["start"] <= _when(lead["createdAt"]) <= job["end"]:
                writer.writerow([_cell(lead.get(f)) for f in job["fields"]])
                rows += 1
        data = out.getvalue().encode("utf-8")
        job["numberOfRecords"] = rows
        job["fileSize"] = len(data)
        job["fileChecksum"] = "sha256:" + hashlib.sha256(data).hexdigest()
        return data

    @staticmethod
    def _public(job: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "exportId",
            "format",
            "status",
            "createdAt",
            "queuedAt",
            "startedAt",
            "finishedAt",
            "numberOfRecords",
            "fileSize",
            "fileChecksum",
            "errorMsg",
        )
        return {k: job[k] for k in keys if k in job}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
