"""The connector services the CLI, the web Sources page and the server's scheduler call.

`ws.connectors` is a `ConnectorService`: connect a source (credentials encrypted), list sources
with their last run, read sync history, run syncs. A sync fetches each stream page by page, merges
the records into `raw_<source>_<stream>` on the source key and saves the stream's state only
after its data is in, so a sync killed half-way resumes where the data ends; then it maps the raw
records loaded since the last mapped sync into the canonical tables (upsert on their keys, deleted
records removed) and applies lead scoring when that module is installed (the sync itself is
`SyncRunner` in sync.py, which this service inherits).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from typing import TYPE_CHECKING, Any

import pydantic
from sqlalchemy import delete, select

from kaname.clock import utcnow
from kaname.ingest.connectors import SOURCES, get_connector
from kaname.ingest.connectors.auth import TokenError
from kaname.ingest.connectors.base import (
    Connector,
    ConnectorError,
    PermanentSourceError,
    SourceConfig,
)
from kaname.ingest.connectors.google_service_account import parse_key
from kaname.ingest.connectors.http import HttpClient, HttpError, RetryPolicy
from kaname.ingest.connectors.load import (
    raw_count,
)
from kaname.ingest.connectors.mapping import effective_mapping
from kaname.ingest.connectors.secrets import (
    SecretBox,
    install_log_redaction,
    load_key,
    redact,
    register_secret,
)
from kaname.ingest.connectors.sync import Progress, SyncResult, SyncRunner
from kaname.store.connector_models import ConnectorConfig, SyncRun, SyncState
from kaname.store.runs import shown_status
from kaname.urlguard import UnsafeUrl, check_url

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext


class ConnectorService(SyncRunner):
    """Sources of one workspace. Every method returns plain data (dicts, dataclasses)."""

    def __init__(self, ws: WorkspaceContext, retry: RetryPolicy | None = None) -> None:
        self.ws = ws
        self.retry = retry or RetryPolicy()
        os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
        install_log_redaction()

    # ------------------------------------------------------------------ configuration
    @property
    def _box(self) -> SecretBox:
        return SecretBox(load_key(self.ws.root))

    def available(self) -> list[dict[str, Any]]:
        """Every source Kaname can connect, with its form fields (name, type, secret, required,
        default, help) for `kaname connect` and the web connect form."""
        out = []
        for name in SOURCES:
            connector = get_connector(name)
            out.append(
                {
                    "source": name,
                    "title": connector.title,
                    "doc": connector.doc.strip(),
                    "fields": config_fields(connector.config_model),
                }
            )
        return out

    def connect(self, source: str, settings: dict[str, Any], check: bool = True) -> dict[str, Any]:
        """Validate and store a source's settings (secrets encrypted); with `check`, make one
        request first so bad credentials fail here. Returns the source summary (no secrets)."""
        connector = get_connector(source)
        config = self._validate(connector, settings)
        self._check_urls(connector, config)
        if check:
            self.check(source, config)
        public = _public_settings(config)
        token = self._box.encrypt(json.dumps(_revealed(config), ensure_ascii=False))
        with self.ws.appdb.session() as session:
            row = session.get(ConnectorConfig, source)
            if row is None:
                row = ConnectorConfig(source=source, config_encrypted=token)
                session.add(row)
            row.config_encrypted = token
            row.settings_public = json.dumps(public, ensure_ascii=False)
            row.schedule_minutes = config.schedule_minutes
            row.enabled = True
            row.updated_at = utcnow()
        return {"source": source, "title": connector.title, "settings": public}

    def disconnect(self, source: str) -> None:
        """Forget a source's credentials and state (its raw and canonical data stay)."""
        with self.ws.appdb.session() as session:
            row = session.get(ConnectorConfig, source)
            if row is None:
                raise ConnectorError.of("c_not_connected", self.ws.config.language, source=source)
            session.delete(row)
            session.execute(delete(SyncState).where(SyncState.source == source))

    def check(self, source: str, config: SourceConfig | None = None) -> None:
        """Fetch the first page of the first stream; raise ConnectorError when refused."""
        connector = get_connector(source)
        config = config or self._config(source)
        client = self._client(connector, config)
        try:
            stream = connector.streams(config, client)[0]
            next(iter(stream.fetch({}, True)), None)
        except (HttpError, TokenError, PermanentSourceError) as exc:
            # Only the status or the token endpoint's own reason: never a response body, which
            # could be anything the URL answers.
            error = str(exc)
            if isinstance(exc, HttpError) and exc.status:
                reason = vendor_reason(exc.body)
                error = f"HTTP {exc.status}" + (f": {reason}" if reason else "")
            raise ConnectorError.of(
                "c_refused", self.ws.config.language, title=connector.title, error=redact(error)
            ) from exc
        finally:
            client.close()

    def _validate(self, connector: Connector, settings: dict[str, Any]) -> SourceConfig:
        try:
            config = connector.config_model.model_validate(settings)
        except pydantic.ValidationError as exc:
            from kaname.ingest.connectors.problems import settings_error

            language = self.ws.config.language
            raise settings_error(connector.title, exc, connector.config_model, language) from None
        for name in secret_field_names(connector.config_model):
            value = getattr(config, name, None)
            if value is not None:
                register_secret(value.get_secret_value())
        return config

    def _config(self, source: str) -> SourceConfig:
        connector = get_connector(source)
        with self.ws.appdb.session() as session:
            row = session.get(ConnectorConfig, source)
            if row is None:
                raise ConnectorError.of(
                    "c_not_connected_run", self.ws.config.language, source=source
                )
            token = row.config_encrypted
        return self._validate(connector, json.loads(self._box.decrypt(token)))

    def _check_urls(self, connector: Connector, config: SourceConfig) -> None:
        """Every URL a source's credentials are sent to must pass the URL rule (urlguard)."""
        for name, url in url_settings(config).items():
            try:
                check_url(url, self.ws.config.url_allow_list)
            except UnsafeUrl as exc:
                key = "c_url_internal" if exc.reason == "internal" else "c_url_scheme"
                language = self.ws.config.language
                raise ConnectorError.of(key, language, title=connector.title, field=name) from None

    def _client(self, connector: Connector, config: SourceConfig) -> HttpClient:
        self._check_urls(connector, config)
        return HttpClient(
            config.base_url or connector.default_url,
            connector.auth(config),
            self.retry,
            is_auth_error=connector.is_auth_error,
            status_of=connector.status_of,
        )

    def connected(self) -> list[str]:
        with self.ws.appdb.session() as session:
            names = set(session.execute(select(ConnectorConfig.source)).scalars())
        return [s for s in SOURCES if s in names]

    # ------------------------------------------------------------------ status and history
    def list_sources(self) -> list[dict[str, Any]]:
        """Every source: connected or not, settings without secrets, schedule, the last run
        (status, finished, rows per table, error) and when the next scheduled run is due."""
        with self.ws.appdb.session() as session:
            configs = {r.source: r for r in session.execute(select(ConnectorConfig)).scalars()}
            last = {}
            for source in configs:
                run = session.execute(
                    select(SyncRun)
                    .where(SyncRun.source == source)
                    .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
                    .limit(1)
                ).scalar()
                if run is not None:
                    last[source] = _run_dict(run)
        out = []
        for name in SOURCES:
            connector = get_connector(name)
            row = configs.get(name)
            item: dict[str, Any] = {
                "source": name,
                "title": connector.title,
                "connected": row is not None,
                "enabled": bool(row.enabled) if row else False,
                "schedule_minutes": row.schedule_minutes if row else None,
                "settings": json.loads(row.settings_public) if row else {},
                "last_run": last.get(name),
                "next_due": None,
                "raw_rows": {},
            }
            if row is not None:
                due = _next_due(row, last.get(name))
                item["next_due"] = due.isoformat() if due else None
                item["raw_rows"] = self.raw_rows(name)
            out.append(item)
        return out

    def raw_rows(self, source: str) -> dict[str, int]:
        """Rows per raw table of a source now in the warehouse."""
        wh = self.ws.warehouse
        prefix = f"raw_{source}_"
        return {t: raw_count(wh, t) for t in sorted(wh.con.list_tables()) if t.startswith(prefix)}

    def history(self, source: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Sync runs, newest first: id, source, mode, trigger, status (running, ok, failed,
        interrupted: a run whose process is gone), started_at, finished_at, rows, tables (rows
        per table), rejected, deleted (report rows gone), error, resumed_by (the sync that went
        on from where an unfinished one stopped), owner (pid@host)."""
        with self.ws.appdb.session() as session:
            query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            if source:
                query = query.where(SyncRun.source == source)
            return [_run_dict(r) for r in session.execute(query.limit(limit)).scalars()]

    def mapping(self, source: str) -> dict[str, Any]:
        """The source's effective raw → canonical mapping (default + workspace YAML)."""
        connector = get_connector(source)
        return effective_mapping(connector.default_mapping, self.ws.root, source)

    # ------------------------------------------------------------------ sync
    def sync(
        self,
        source: str | None = None,
        full: bool = False,
        progress: Progress | None = None,
        trigger: str = "cli",
    ) -> list[SyncResult]:
        """Sync one source, or every connected one; a failing source does not stop the others."""
        names = [source] if source else self.connected()
        if source and source not in self.connected():
            get_connector(source)  # unknown names fail with the list of sources
            raise ConnectorError.of("c_not_connected_run", self.ws.config.language, source=source)
        return [self._sync_one(name, full, progress, trigger) for name in names]

    # ------------------------------------------------------------------ schedule
    def due(self, now: dt.datetime) -> list[str]:
        """Connected, enabled sources whose schedule says they should sync at `now`."""
        out = []
        for item in self.list_sources():
            if not item["connected"] or not item["enabled"] or not item["schedule_minutes"]:
                continue
            due = item["next_due"]
            if due is None or dt.datetime.fromisoformat(due) <= now:
                out.append(item["source"])
        return out

    def run_due_syncs(self, now: dt.datetime | None = None) -> list[SyncResult]:
        """One scheduler tick: sync every source that is due (the server calls this every
        minute or so from its scheduler thread)."""
        now = now or utcnow()
        results = []
        for source in self.due(now):
            results.extend(self.sync(source, trigger="schedule"))
        return results


def _next_due(row: ConnectorConfig, last: dict[str, Any] | None) -> dt.datetime | None:
    if not row.schedule_minutes:
        return None
    if last is None:
        return row.created_at
    started = dt.datetime.fromisoformat(last["started_at"])
    return started + dt.timedelta(minutes=row.schedule_minutes)


def _run_dict(run: SyncRun) -> dict[str, Any]:
    tables = json.loads(run.table_rows or "{}")
    rejected = int(tables.pop("_rejected", 0))
    deleted = int(tables.pop("_deleted", 0))
    return {
        "id": run.id,
        "source": run.source,
        "mode": run.mode,
        "trigger": run.trigger,
        "status": shown_status(run),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "rows": run.rows,
        "tables": tables,
        "rejected": rejected,
        "deleted": deleted,
        "error": run.error,
        "resumed_by": run.resumed_by,
        "owner": f"{run.pid}@{run.host}" if run.pid else "",
    }


REASON_KEYS = ("message", "error_description", "errorMessage", "error_user_msg")


def vendor_reason(body: str) -> str:
    """The error message field of a JSON error answer (`message`, `error_description`, ...,
    also inside `error` or a list), at most 200 characters; '' for anything else, so a check
    never echoes what an arbitrary URL answered."""
    try:
        found: Any = json.loads(body)
    except ValueError:
        return ""
    for _ in range(3):
        if isinstance(found, list) and found:
            found = found[0]
        if not isinstance(found, dict):
            return ""
        for key in REASON_KEYS:
            if isinstance(found.get(key), str):
                return str(found[key])[:200]
        found = found.get("error") or found.get("errors")
    return ""


def url_settings(config: SourceConfig) -> dict[str, str]:
    """The settings that are URLs credentials go to (base_url, instance_url, login_url,
    munchkin_url, token_url, ...): every `*_url` field that is set."""
    data = config.model_dump()
    return {k: v for k, v in data.items() if k.endswith("_url") and isinstance(v, str) and v}


def secret_field_names(model: type[SourceConfig]) -> list[str]:
    return [
        name for name, info in model.model_fields.items() if "SecretStr" in str(info.annotation)
    ]


def config_fields(model: type[SourceConfig]) -> list[dict[str, Any]]:
    """Form fields of a config model: name, type, secret, required, default, help (the field's
    docstring on one line: the web's Japanese catalog translates it by that text)."""
    secrets = set(secret_field_names(model))
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        kind = getattr(annotation, "__name__", str(annotation))
        out.append(
            {
                "name": name,
                "type": "secret" if name in secrets else kind,
                "secret": name in secrets,
                "required": info.is_required(),
                "default": None if info.is_required() or name in secrets else info.default,
                "help": " ".join((info.description or "").split()),
            }
        )
    return out


def _public_settings(config: SourceConfig) -> dict[str, Any]:
    """The settings to show back: secrets as ***, and for a service-account key the account it
    belongs to (its e-mail is not secret, and says which key is stored)."""
    secrets = set(secret_field_names(type(config)))
    data = config.model_dump(mode="json")
    out = {k: ("***" if k in secrets else v) for k, v in data.items()}
    key = getattr(config, "service_account_json", None)
    if key is not None:
        with contextlib.suppress(ValueError):
            out["service_account"] = parse_key(key.get_secret_value()).client_email
    return out


def _revealed(config: SourceConfig) -> dict[str, Any]:
    """The settings with secret values in clear, only to be encrypted."""
    data = config.model_dump(mode="json")
    for name in secret_field_names(type(config)):
        value = getattr(config, name, None)
        data[name] = value.get_secret_value() if value is not None else None
    return data
