"""Connect pages (issue 5): Sources (connect, sync, history), file import (upload, mapping, dry
run, quarantine report) and data quality (findings, duplicate merges).

Each function takes the Dashboard and calls `ws.connectors` or `ws.ingest` once, returning plain
JSON-safe dicts (the web pages render them, the `/api/` twins return them as they are). Writes to
the warehouse run under `dash.lock` (the server owns the warehouse, shared/ARCHITECTURE.md), then
refresh the KPIs incrementally and invalidate the page cache.

A sync runs in a background thread (`start_sync`); its progress comes through the service's
progress callback into a `SyncJob` that the Sources page polls (`jobs`): the web side of the one
progress protocol (Rich bars in the CLI).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import os
import re
import secrets
import shutil
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.clock import utcnow
from kaname.dashboard.core import clean
from kaname.ingest.connectors import get_connector
from kaname.ingest.connectors.base import ConnectorError
from kaname.ingest.connectors.secrets import SecretKeyError
from kaname.ingest.importer.mapping import MappingError as ImportMappingError
from kaname.ingest.importer.readers import ReadError
from kaname.ingest.messages import both
from kaname.ingest.scoring import ScoringError

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore as Dashboard

log = logging.getLogger("kaname.web.connect")

UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
UPLOAD_DIR = Path(".kaname") / "uploads"
UPLOAD_HOURS = 24.0
"""An upload not imported within this many hours is removed."""
MERGE_TABLES = ("leads", "accounts")
IMPORT_TABLES = tuple(TABLES_BY_NAME)


class ConnectError(Exception):
    """A request the Connect pages refuse with a message for the user (bad upload, form...):
    `str()` in English, `texts` in each language (ingest/messages.py)."""

    def __init__(self, key: str, /, **values: Any) -> None:
        self.texts = both(key, **values)
        super().__init__(self.texts["en"])


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def safe(value: Any) -> Any:
    """JSON-safe: clean numbers, datetimes as ISO text."""
    return _iso(clean(value))


# ---------------------------------------------------------------------- sync jobs
@dataclass
class SyncJob:
    """One web-started sync: what the status partial shows while it runs and after."""

    source: str
    full: bool
    started_by: str
    state: str = "running"
    """running, ok, failed or busy."""
    label: str = ""
    done: int = 0
    total: int = 0
    started_at: str = field(default_factory=lambda: utcnow().isoformat())
    finished_at: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    refreshed: bool = False
    error: str = ""

    def progress(self, label: str, done: int, total: int) -> None:
        self.label, self.done, self.total = label, done, total

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "mode": "full" if self.full else "incremental",
            "started_by": self.started_by,
            "state": self.state,
            "label": self.label,
            "done": self.done,
            "total": self.total,
            "percent": round(100 * self.done / self.total) if self.total else None,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "results": self.results,
            "refreshed": self.refreshed,
            "error": self.error,
        }


class SyncJobs:
    """The latest web sync of each source, in memory (the history lives in the app DB)."""

    def __init__(self) -> None:
        self._jobs: dict[str, SyncJob] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._guard = threading.Lock()

    def get(self, source: str) -> SyncJob | None:
        return self._jobs.get(source)

    def all(self) -> list[SyncJob]:
        return list(self._jobs.values())

    def running(self, source: str) -> bool:
        job = self._jobs.get(source)
        return job is not None and job.state == "running"

    def wait(self, source: str, timeout: float = 60.0) -> SyncJob | None:
        thread = self._threads.get(source)
        if thread is not None:
            thread.join(timeout)
        return self._jobs.get(source)


_registry: weakref.WeakKeyDictionary[Any, SyncJobs] = weakref.WeakKeyDictionary()
_registry_guard = threading.Lock()


def sync_jobs(dash: Dashboard) -> SyncJobs:
    """The sync jobs of one server (one Dashboard)."""
    with _registry_guard:
        found = _registry.get(dash)
        if found is None:
            found = _registry[dash] = SyncJobs()
        return found


def _run_sync(dash: Dashboard, job: SyncJob) -> None:
    """Sync under the warehouse lock, then refresh the KPIs and forget cached pages."""
    ws = dash.ws
    try:
        with dash.lock:
            results = ws.connectors.sync(
                job.source, full=job.full, progress=job.progress, trigger="web"
            )
            job.results = [safe(r.to_dict()) for r in results]
            if any(r.rows for r in results):
                job.label = "refresh"
                ws.refresh()
                job.refreshed = True
        states = {r.status for r in results}
        job.state = "failed" if "failed" in states else "busy" if "busy" in states else "ok"
        job.error = "; ".join(r.error for r in results if r.error)
    except Exception as exc:  # shown on the page; the traceback goes to the server log
        log.exception("web sync of %s failed", job.source)
        job.state, job.error = "failed", str(exc)
    finally:
        job.finished_at = utcnow().isoformat()
        dash.invalidate()


def start_sync(dash: Dashboard, source: str, full: bool = False, actor: str = "web") -> SyncJob:
    """Start a sync of a connected source in a background thread (refused while one runs)."""
    if source not in dash.ws.connectors.connected():
        _known_source(dash, source)
        raise ConnectorError.of("c_not_connected_run", dash.ws.config.language, source=source)
    jobs = sync_jobs(dash)
    with jobs._guard:
        current = jobs._jobs.get(source)
        if current is not None and current.state == "running":
            return current
        job = SyncJob(source, full, actor)
        jobs._jobs[source] = job
        thread = threading.Thread(
            target=_run_sync, args=(dash, job), name=f"kaname-sync-{source}", daemon=True
        )
        jobs._threads[source] = thread
    thread.start()
    return job


def sync_now(dash: Dashboard, source: str, full: bool = False, actor: str = "web") -> SyncJob:
    """Run a sync and wait for it (the JSON twin's `wait=true`)."""
    job = start_sync(dash, source, full, actor)
    sync_jobs(dash).wait(source, timeout=3600)
    return job


def jobs(dash: Dashboard) -> list[dict[str, Any]]:
    """Every web sync this server has run since it started: the latest per source."""
    return [j.to_dict() for j in sync_jobs(dash).all()]


# ---------------------------------------------------------------------- sources
def _known_source(dash: Dashboard, source: str) -> dict[str, Any]:
    for item in dash.ws.connectors.available():
        if item["source"] == source:
            return item
    names = ", ".join(a["source"] for a in dash.ws.connectors.available())
    raise ConnectorError.of("c_unknown_source", dash.ws.config.language, name=source, sources=names)


def sources(dash: Dashboard, wait: float = 2.0) -> dict[str, Any]:
    """Every available source: connected state, settings (secrets as ***), form fields, last
    run, next due, rows per raw table, the running web sync; and recent history of all sources.
    `busy` is true when a sync holds the warehouse and rows per raw table could not be read."""
    service = dash.ws.connectors
    available = {a["source"]: a for a in service.available()}
    busy = not dash.lock.acquire(timeout=wait)
    try:
        listed = _sources_without_warehouse(dash) if busy else service.list_sources()
    finally:
        if not busy:
            dash.lock.release()
    running = sync_jobs(dash)
    out = []
    for item in listed:
        spec = available.get(item["source"], {})
        job = running.get(item["source"])
        out.append(
            {
                **item,
                "doc": " ".join(spec.get("doc", "").split()),  # one line: the catalog's msgid
                "fields": spec.get("fields", []),
                "job": job.to_dict() if job else None,
            }
        )
    return safe(
        {
            "sources": out,
            "history": service.history(None, 20),
            "busy": busy,
        }
    )


def _sources_without_warehouse(dash: Dashboard) -> list[dict[str, Any]]:
    """list_sources() without the raw row counts (a sync holds the warehouse)."""
    service = dash.ws.connectors
    with _registry_guard:
        try:
            service.raw_rows = lambda source: {}  # type: ignore[method-assign]
            return service.list_sources()
        finally:
            service.__dict__.pop("raw_rows", None)


def history(dash: Dashboard, source: str, limit: int = 50) -> list[dict[str, Any]]:
    """Sync runs of one source, newest first."""
    _known_source(dash, source)
    return safe(dash.ws.connectors.history(source, max(1, min(limit, 500))))


def _settings(spec: dict[str, Any], form: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """Form values → settings: empty values fall back to defaults; an empty secret keeps the
    stored one (the page never shows it)."""
    out: dict[str, Any] = {}
    for f in spec["fields"]:
        name = f["name"]
        value = form.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if f["secret"] and stored.get(name):
                out[name] = stored[name]
            continue
        out[name] = value
    return out


def connect(
    dash: Dashboard, source: str, form: dict[str, Any], check: bool = True
) -> dict[str, Any]:
    """Validate and store a source's settings (secrets encrypted by the service); with `check`,
    one request to the source first. Returns the source summary without secrets."""
    spec = _known_source(dash, source)
    service = dash.ws.connectors
    stored: dict[str, Any] = {}
    if source in service.connected():
        try:
            stored = service._config(source).model_dump()
            stored = {
                k: (v.get_secret_value() if hasattr(v, "get_secret_value") else v)
                for k, v in stored.items()
            }
        except Exception:  # unreadable (key changed): every secret must be entered again
            stored = {}
    settings = _settings(spec, form, stored)
    reused = [f["name"] for f in spec["fields"] if f["secret"] and settings.get(f["name"])]
    reused = [name for name in reused if not str(form.get(name) or "").strip()]
    if reused:
        _same_urls(dash, spec, settings, stored, reused)
    return safe(service.connect(source, settings, check=check))


def _same_urls(
    dash: Dashboard,
    spec: dict[str, Any],
    settings: dict[str, Any],
    stored: dict[str, Any],
    reused: list[str],
) -> None:
    """A stored secret goes only to the URLs it was entered for: changing any of them needs
    the secret typed again (else an admin could replay a hidden token to a host of theirs)."""
    from kaname.ingest.connectors.service import url_settings

    service = dash.ws.connectors
    connector = get_connector(spec["source"])
    new = url_settings(service._validate(connector, settings))
    old = url_settings(service._validate(connector, stored))
    changed = sorted(k for k in set(new) | set(old) if new.get(k) != old.get(k))
    if changed:
        raise ConnectorError.of(
            "c_url_needs_secret",
            dash.ws.config.language,
            title=spec["title"],
            field=", ".join(changed),
            secrets=", ".join(reused),
        )


def disconnect(dash: Dashboard, source: str) -> dict[str, Any]:
    _known_source(dash, source)
    if sync_jobs(dash).running(source):
        raise ConnectorError.of("c_syncing", dash.ws.config.language, source=source)
    dash.ws.connectors.disconnect(source)
    return {"source": source, "connected": False}


# ---------------------------------------------------------------------- import
_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)


def _upload_root(dash: Dashboard) -> Path:
    return dash.ws.root / UPLOAD_DIR


def check_table(table: str) -> str:
    if table not in TABLES_BY_NAME:
        raise ConnectError("w_unknown_table", table=table, tables=", ".join(IMPORT_TABLES))
    return table


def store_upload(dash: Dashboard, filename: str, data: bytes) -> str:
    """Keep an uploaded file until it is imported; returns its upload id."""
    name = Path(filename or "upload.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ConnectError("w_upload_type", suffixes=", ".join(UPLOAD_SUFFIXES))
    if not data:
        raise ConnectError("w_empty_upload")
    upload = secrets.token_hex(12)
    root = _upload_root(dash)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)
    clean_uploads(dash)
    folder = root / upload
    folder.mkdir(mode=0o700)
    clean_name = _SAFE_NAME.sub("_", Path(name).stem)[:80] or "upload"
    fd = os.open(folder / f"{clean_name}{suffix}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return upload


def clean_uploads(dash: Dashboard, hours: float = UPLOAD_HOURS) -> int:
    """Remove uploads older than `hours` (a mapping confirmed in a browser never came back);
    returns how many. Runs with every upload and when the server starts."""
    root = _upload_root(dash)
    cutoff = time.time() - hours * 3600
    removed = 0
    for folder in root.iterdir() if root.is_dir() else []:
        with contextlib.suppress(OSError):
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
    return removed


def upload_path(dash: Dashboard, upload: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{24}", upload or ""):
        raise ConnectError("w_upload_expired")
    folder = _upload_root(dash) / upload
    files = sorted(folder.glob("*")) if folder.is_dir() else []
    if not files:
        raise ConnectError("w_upload_expired")
    return files[0]


def drop_upload(dash: Dashboard, upload: str) -> None:
    with contextlib.suppress(ConnectError):
        shutil.rmtree(upload_path(dash, upload).parent, ignore_errors=True)


def suggest(dash: Dashboard, table: str, upload: str) -> dict[str, Any]:
    """The mapping to confirm for an upload (a saved one for the same headers, else suggested)."""
    path = upload_path(dash, upload)
    data = dash.ws.ingest.suggest_mapping(check_table(table), path)
    data["upload"] = upload
    data["file"] = path.name
    return safe(data)


def edited_mapping(suggestion: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """The suggested mapping with the form's choices: `col_<i>` is the column for header i
    (empty ignores the header); value maps stay as suggested."""
    allowed = {c["name"] for c in suggestion["columns"]}
    mapping = dict(suggestion["mapping"])
    columns: dict[str, str | None] = {}
    for i, row in enumerate(suggestion["headers"]):
        key = f"col_{i}"
        chosen = form.get(key, row.get("column") or "") if key in form else row.get("column")
        chosen = (chosen or "").strip() or None
        if chosen is not None and chosen not in allowed:
            raise ConnectError("w_not_a_column", column=chosen, table=suggestion["table"])
        columns[row["header"]] = chosen
    mapping["columns"] = columns
    return mapping


def run_import(
    dash: Dashboard,
    table: str,
    path: Path,
    mapping: dict[str, Any] | None,
    dry_run: bool,
    actor: str,
) -> dict[str, Any]:
    """Import (or dry-run) a file under the warehouse lock; after a real import that changed
    rows, refresh the KPIs and forget cached pages. Returns the reconciling summary."""
    ws = dash.ws
    with dash.lock:
        summary = ws.ingest.import_file(
            check_table(table), path, mapping=mapping, dry_run=dry_run, created_by=actor
        )
        if not dry_run and (summary.get("inserted") or summary.get("updated")):
            ws.refresh()
            summary["refreshed"] = True
    if not dry_run:
        dash.invalidate()
    summary.setdefault("refreshed", False)
    return safe(summary)


def save_mapping(dash: Dashboard, mapping: dict[str, Any], name: str, actor: str) -> dict[str, Any]:
    return safe(dash.ws.ingest.save_mapping(mapping, name or None, created_by=actor))


def import_page(dash: Dashboard, limit: int = 20) -> dict[str, Any]:
    """What the upload page lists: tables, recent imports, saved mappings."""
    ingest = dash.ws.ingest
    return safe(
        {
            "tables": list(IMPORT_TABLES),
            "runs": ingest.import_runs(limit),
            "mappings": ingest.saved_mappings(),
        }
    )


def quarantine(dash: Dashboard, run_id: int) -> list[dict[str, Any]]:
    with dash.lock:
        return safe(dash.ws.ingest.quarantine(run_id))


def quarantine_csv(dash: Dashboard, run_id: int, language: str | None = None) -> bytes:
    with dash.lock:
        return dash.ws.ingest.quarantine_csv(run_id, language)


# ---------------------------------------------------------------------- quality
def quality(dash: Dashboard, stale_days: int = 7) -> dict[str, Any]:
    """Data-quality findings (most severe first) and the logged merges, kept until the data
    changes (a merge, import or sync forgets them)."""

    def build() -> dict[str, Any]:
        found = dash.ws.ingest.quality(stale_days)
        found["merges"] = dash.ws.ingest.merges(20)
        return dict(safe(found))

    return copy.deepcopy(dash.cached(("quality", stale_days), build))


def merge_choices(finding: dict[str, Any]) -> list[dict[str, Any]]:
    """For duplicate findings, each example as a merge proposal: table, keep, others."""
    out = []
    for ex in finding.get("examples", []):
        if finding["id"] == "duplicate_lead_emails" and ex.get("first_id"):
            # Every duplicate of the address into the first one (lead_ids lists them all).
            listed = [i.strip() for i in str(ex.get("lead_ids") or "").split(",") if i.strip()]
            others = [i for i in dict.fromkeys([*listed, ex.get("last_id")]) if i]
            others = [i for i in others if i != ex["first_id"]]
            out.append({"table": "leads", "keep": ex["first_id"], "others": others, **ex})
        elif finding["id"] == "duplicate_companies" and ex.get("account_ids"):
            ids = [i.strip() for i in str(ex["account_ids"]).split(",") if i.strip()]
            out.append({"table": "accounts", "keep": ids[0], "others": ids[1:], **ex})
    return out


def merge(
    dash: Dashboard, table: str, keep: str, others: list[str], reason: str, actor: str
) -> dict[str, Any]:
    """Merge duplicates into `keep` (logged by the service), then refresh and invalidate."""
    if table not in MERGE_TABLES:
        raise ConnectError("w_merge_tables")
    keep = keep.strip()
    others = [o.strip() for o in others if o.strip() and o.strip() != keep]
    if not keep or not others:
        raise ConnectError("w_merge_what")
    with dash.lock:
        result = dash.ws.ingest.merge(table, keep, others, reason, created_by=actor)
        dash.ws.refresh()
    dash.invalidate()
    return safe(result)


def error_text(exc: Exception, language: str) -> str:
    """A user error in `language` when it was written in each (ConnectorError, ConnectError),
    else as raised."""
    if isinstance(exc, ConnectError):
        return exc.texts.get(language) or str(exc)
    return exc.text(language) if isinstance(exc, ConnectorError) else str(exc)


USER_ERRORS: tuple[type[Exception], ...] = (
    ConnectError,
    ConnectorError,
    ImportMappingError,
    ReadError,
    ScoringError,
    SecretKeyError,
    ValueError,
)
