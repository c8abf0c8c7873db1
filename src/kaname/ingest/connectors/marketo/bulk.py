"""Marketo Bulk Lead Extract: every lead, window by window, for first and full syncs.

The REST API lists leads only through their change activities, so a first sync that followed
activities alone would miss leads created before `start_date` and untouched since. Marketo's
documented way to read every lead is the Bulk Extract API: create an export job
(`POST /bulk/v1/leads/export/create.json` with the fields and a `createdAt` {startAt, endAt}
filter of at most 31 days), enqueue it, poll its status (Created → Queued → Processing →
Completed, or Failed / Cancelled) and download its file, a CSV whose header is the fields' REST
names.

The backfill covers `createdAt` from the oldest lead to the moment it started (less a margin for
clock skew); the lead-change activities then continue from that moment, so a lead created or
changed while the export ran is fetched by the REST path. Each window is one step of the stream
state (`bulk`: the next window and the export job enqueued for it): while a window's file is
stored, the next window's job is already enqueued and recorded, so a sync stopped half-way resumes
at the next window and reuses that job while Marketo still knows it.

CSV values are text; they are typed back with the fields' data types from `leads/describe.json`
(integers, floats, booleans, datetimes in the REST format, empty = absent), so a lead has the same
raw record whichever path loaded it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import tempfile
import time
from collections.abc import Generator, Iterator
from typing import IO, Any

import httpx

from kaname.ingest.connectors.base import Page, PermanentSourceError, RawRecord
from kaname.ingest.connectors.http import RETRY_STATUSES, HttpClient, HttpError, retry_after
from kaname.ingest.connectors.mapping import parse_timestamp
from kaname.ingest.connectors.marketo.configuration import MarketoConfig

log = logging.getLogger("kaname.connectors.marketo")

UTC = dt.UTC
EXPORT = "/bulk/v1/leads/export"
WINDOW = dt.timedelta(days=31) - dt.timedelta(seconds=1)
"""Longest createdAt range of one export job (Marketo: 31 days or fewer)."""
CLOCK_MARGIN = dt.timedelta(hours=1)
"""The backfill ends this long before the local clock, in case Marketo's clock is behind."""
MARKETO_EPOCH = dt.datetime(2006, 1, 1, tzinfo=UTC)
"""No Marketo lead is older: where the windows start when the oldest lead cannot be found."""
FILE_RETENTION = dt.timedelta(days=6)
"""A completed export's file is kept 7 days; older jobs are exported again (a day of margin)."""
PROBE_IDS = 300
"""Lead ids read to find the oldest lead (Marketo numbers leads in creation order)."""
PAGE_ROWS = 2000
"""Leads per page handed to the sync."""

INTEGER_TYPES = {"integer", "score"}
FLOAT_TYPES = {"float", "currency"}
NUMBER_TYPES = {"percent"}


class BulkExportError(PermanentSourceError):
    """An export job cannot be used (refused, failed, cancelled or too slow)."""


class ExportQuotaExceeded(BulkExportError):
    """Marketo's daily export allowance is used up (error 1029)."""


class _QueueFull(Exception):
    """The export queue is full (error 1029 "Too many jobs in queue"): try again later."""


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def stamp(moment: dt.datetime) -> str:
    """Marketo's filter datetime: ISO 8601 in UTC without milliseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(text: str) -> dt.datetime:
    parsed = parse_timestamp(text, UTC)
    if parsed is None:
        raise ValueError(f"not a datetime: {text!r}")
    return parsed.replace(tzinfo=UTC)


class LeadExporter:
    """Export jobs of one sync: create, enqueue, wait, download and read back as raw records."""

    def __init__(self, config: MarketoConfig, client: HttpClient, fields: list[str]) -> None:
        self.config = config
        self.client = client
        self.fields = fields
        self.field_list = ",".join(fields)

    # ------------------------------------------------------------------ REST helpers
    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = self.client.request_json(method, path, **kwargs)
        if not isinstance(body, dict):
            raise BulkExportError(f"{method} {path}: unexpected response {str(body)[:200]}")
        if body.get("success", True):
            return body
        errors = body.get("errors") or []
        text = "; ".join(f"{e.get('code')} {e.get('message')}" for e in errors)
        if any(str(e.get("code")) == "1029" for e in errors):
            if "queue" in text.lower():
                raise _QueueFull(text)
            raise ExportQuotaExceeded(
                f"Marketo's daily bulk export quota is used up ({text}; 500 MB a day by default, "
                "reset at midnight US Central time); the leads exported so far stay loaded and "
                "the next sync continues from the window it stopped at"
            )
        raise BulkExportError(f"{method} {path}: Marketo error {text}")

    def field_types(self) -> dict[str, str]:
        """REST name → Marketo data type of every lead field (`leads/describe.json`)."""
        body = self._call("GET", "/rest/v1/leads/describe.json")
        out: dict[str, str] = {}
        for field in body.get("result") or []:
            name = (field.get("rest") or {}).get("name")
            if name:
                out[str(name)] = str(field.get("dataType") or "string")
        return out

    def oldest_created(self) -> dt.datetime:
        """When the oldest lead was created: the lowest lead ids are the oldest leads; when
        they are all gone, the start of Marketo (every window is then exported)."""
        if self.config.bulk_start_date:
            day = dt.date.fromisoformat(self.config.bulk_start_date)
            return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
        body = self._call(
            "GET",
            "/rest/v1/leads.json",
            params={
                "filterType": "id",
                "filterValues": ",".join(str(i) for i in range(1, PROBE_IDS + 1)),
                "fields": "id,createdAt",
                "batchSize": PROBE_IDS,
            },
        )
        leads = body.get("result") or []
        created = [_moment(str(r["createdAt"])) for r in leads if r.get("createdAt")]
        if not created:
            log.info("no lead among ids 1-%d: exporting from %s", PROBE_IDS, MARKETO_EPOCH.date())
            return MARKETO_EPOCH
        oldest = min(created)
        return dt.datetime(oldest.year, oldest.month, oldest.day, tzinfo=UTC)

    # ------------------------------------------------------------------ jobs
    def start(self, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
        """Create and enqueue the export of leads created in [start, end]."""
        body = self._call(
            "POST",
            f"{EXPORT}/create.json",
            json={
                "fields": self.fields,
                "format": "CSV",
                "filter": {"createdAt": {"startAt": stamp(start), "endAt": stamp(end)}},
            },
        )
        result = body.get("result") or []
        if not result or not result[0].get("exportId"):
            raise BulkExportError(f"POST {EXPORT}/create.json: no exportId in {str(body)[:200]}")
        job = {
            "id": str(result[0]["exportId"]),
            "startAt": stamp(start),
            "endAt": stamp(end),
            "fields": self.field_list,
        }
        self.enqueue(job["id"])
        return job

    def enqueue(self, export_id: str) -> bool:
        """Put a created job in Marketo's queue; False when the queue is full (the job stays
        Created and `wait` enqueues it again)."""
        try:
            self._call("POST", f"{EXPORT}/{export_id}/enqueue.json")
        except _QueueFull as exc:
            log.info("export %s not enqueued yet: %s", export_id, exc)
            return False
        return True

    def status(self, export_id: str) -> dict[str, Any]:
        body = self._call("GET", f"{EXPORT}/{export_id}/status.json")
        result = body.get("result") or []
        if not result:
            raise BulkExportError(f"export {export_id}: no status in {str(body)[:200]}")
        return dict(result[0])

    def ready(
        self, job: dict[str, Any] | None, start: dt.datetime, end: dt.datetime
    ) -> dict[str, Any]:
        """The export job of a window: the recorded one while Marketo can still deliver it
        (same window and fields, not failed, cancelled or past file retention), else a new one."""
        same = (
            job is not None
            and job.get("startAt") == stamp(start)
            and job.get("endAt") == stamp(end)
            and job.get("fields") == self.field_list
        )
        if job is not None and same:
            try:
                status = self.status(str(job["id"]))
            except (BulkExportError, HttpError) as exc:
                log.info("export %s cannot be reused (%s): exporting again", job["id"], exc)
            else:
                state = status.get("status")
                if state == "Created":
                    self.enqueue(str(job["id"]))
                    return job
                if state in ("Queued", "Processing"):
                    return job
                if state == "Completed" and not _expired(status):
                    return job
                log.info("export %s is %s: exporting the window again", job["id"], state)
        return self.start(start, end)

    def prefetch(self, start: dt.datetime, end: dt.datetime) -> dict[str, Any] | None:
        """Enqueue the next window's job now, so Marketo works on it while this window is stored;
        None when the quota is used up (the error then comes when that window is reached)."""
        try:
            return self.start(start, end)
        except ExportQuotaExceeded:
            return None

    def wait(self, job: dict[str, Any]) -> dict[str, Any]:
        """Poll the job until it is Completed; Failed or Cancelled stop the sync."""
        export_id = str(job["id"])
        deadline = time.monotonic() + self.config.bulk_timeout_minutes * 60
        while True:
            status = self.status(export_id)
            state = status.get("status")
            if state == "Completed":
                return status
            if state in ("Failed", "Cancelled"):
                reason = status.get("errorMsg") or status.get("message") or ""
                raise BulkExportError(
                    f"Marketo bulk lead export {export_id} (leads created {job['startAt']} to "
                    f"{job['endAt']}) ended {state}{': ' + str(reason) if reason else ''}; "
                    "leads of the earlier windows stay loaded and the next sync exports this "
                    "window again"
                )
            if state == "Created":
                self.enqueue(export_id)  # the queue was full when it was created
            if time.monotonic() >= deadline:
                raise BulkExportError(
                    f"Marketo bulk lead export {export_id} (leads created {job['startAt']} to "
                    f"{job['endAt']}) is still {state} after {self.config.bulk_timeout_minutes} "
                    "minutes (bulk_timeout_minutes)"
                )
            self.client.sleep(self.config.bulk_poll_seconds)

    # ------------------------------------------------------------------ file
    def records(
        self, job: dict[str, Any], status: dict[str, Any], types: dict[str, str]
    ) -> Iterator[RawRecord]:
        """The leads of a completed job's file, typed like the REST API returns them."""
        with tempfile.TemporaryFile() as sink:
            self._download(str(job["id"]), status.get("fileChecksum"), sink)
            sink.seek(0)
            text = io.TextIOWrapper(sink, encoding="utf-8-sig", newline="")
            try:
                for row in csv.DictReader(text):
                    yield lead_record(row, types)
            finally:
                text.detach()

    def _download(self, export_id: str, checksum: Any, sink: IO[bytes]) -> None:
        """Stream the file into `sink`, retrying cut transfers, 429/5xx and a checksum mismatch
        like the shared client does, and refreshing an expired token once."""
        path = f"{EXPORT}/{export_id}/file.json"
        expected = str(checksum).rsplit(":", 1)[-1].lower() if checksum else ""
        client, retry = self.client, self.client.retry
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            request = client.client.build_request("GET", path)
            client.auth.apply(request)
            problem = ""
            wait = retry.backoff * 2 ** (attempt - 1)
            try:
                client.requests += 1
                response = client.client.send(request, stream=True)
                try:
                    kind = response.headers.get("Content-Type", "")
                    if response.status_code == 200 and "json" not in kind:
                        sink.seek(0)
                        sink.truncate()
                        digest = hashlib.sha256()
                        for chunk in response.iter_bytes():
                            sink.write(chunk)
                            digest.update(chunk)
                        if not expected or digest.hexdigest() == expected:
                            return
                        problem = "file checksum does not match the job's"
                    else:
                        response.read()
                finally:
                    response.close()
            except httpx.TransportError as exc:
                problem = str(exc) or type(exc).__name__
            if not problem:  # an error answer: Marketo's envelope or an HTTP status
                status = client.status_of(response)
                if status == 401 and not refreshed:
                    refreshed = True
                    if client.auth.refresh(client.client):
                        attempt -= 1
                        continue
                if status not in RETRY_STATUSES:
                    raise BulkExportError(
                        f"GET {path}: HTTP {response.status_code} {_short(response)}"
                    )
                problem = f"HTTP {status}"
                if response.status_code == 429:
                    wait = retry_after(response, wait)
            if attempt >= retry.attempts:
                raise BulkExportError(f"GET {path}: {problem} (gave up after {attempt} tries)")
            log.info("GET %s: %s; retrying", path, problem)
            client.sleep(min(wait, retry.max_wait))


def _expired(status: dict[str, Any]) -> bool:
    finished = status.get("finishedAt")
    if not finished:
        return False
    try:
        return _now() - _moment(str(finished)) > FILE_RETENTION
    except ValueError:
        return True


def _short(response: httpx.Response) -> str:
    return response.content.decode("utf-8", "replace").strip()[:300]


def _typed(text: str, kind: str | None) -> Any:
    """A CSV cell as the REST API returns the field (JSON number, boolean, datetime format)."""
    try:
        if kind in INTEGER_TYPES:
            return int(text)
        if kind in FLOAT_TYPES:
            return float(text)
        if kind in NUMBER_TYPES:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        if kind == "boolean":
            return text.strip().lower() in ("true", "1", "yes")
        if kind == "datetime":
            return stamp(_moment(text))
    except ValueError:
        return text
    return text


def lead_record(row: dict[str | Any, str | Any], types: dict[str, str]) -> RawRecord:
    """One CSV row as the raw record the REST path makes of the same lead: typed values, empty
    cells left out (the REST API leaves null fields out), the id as text."""
    data: dict[str, Any] = {}
    for name, text in row.items():
        if name is None or text is None or text == "":
            continue
        data[str(name)] = _typed(str(text), types.get(str(name)))
    lead_id = str(data.get("id", ""))
    data["id"] = lead_id
    return RawRecord(lead_id, parse_timestamp(data.get("updatedAt"), UTC), data)


def backfill(
    config: MarketoConfig, client: HttpClient, fields: list[str], state: dict[str, Any]
) -> Generator[Page, None, dict[str, Any]]:
    """Pages of every lead, one createdAt window after another, from where `state["bulk"]`
    says; returns the stream state once the last window is stored (`bulk.done`, `bulk.until`)."""
    exporter = LeadExporter(config, client, fields)
    bulk: dict[str, Any] = dict(state.get("bulk") or {})
    if not bulk:
        until = _now() - CLOCK_MARGIN
        first = min(exporter.oldest_created(), until)
        bulk = {"until": stamp(until), "next": stamp(first)}
        log.info("bulk lead export of leads created %s to %s", bulk["next"], bulk["until"])
    types = exporter.field_types() if not bulk.get("done") else {}
    while not bulk.get("done"):
        start, until = _moment(bulk["next"]), _moment(bulk["until"])
        end = min(start + WINDOW, until)
        job = exporter.ready(bulk.get("job"), start, end)
        during = {**state, "bulk": {**bulk, "job": job}}
        status = exporter.wait(job)
        last = end >= until
        following = None if last else exporter.prefetch(end, min(end + WINDOW, until))
        # The next window starts where this one ends: the boundary second is exported twice
        # rather than lost (records merge on the lead id).
        after: dict[str, Any] = {"until": bulk["until"]}
        if last:
            after["done"] = True
        else:
            after["next"] = stamp(end)
            if following is not None:
                after["job"] = following
        page: list[RawRecord] = []
        count = 0
        for record in exporter.records(job, status, types):
            page.append(record)
            count += 1
            if len(page) >= PAGE_ROWS:
                yield Page(page, during)
                page = []
        log.info("bulk export %s to %s: %d leads", job["startAt"], job["endAt"], count)
        state = {**state, "bulk": after}
        bulk = after
        yield Page(page, state, commit=True)  # a finished window is a step worth keeping
    return state
