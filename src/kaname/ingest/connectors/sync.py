"""Running a sync (the part of `ConnectorService` that moves data): fetch each stream page by
page, merge the records into `raw_<source>_<stream>` on the source key, map them into the
canonical tables in a writer thread, save the stream's state only after its data is in, then
the summed entries and lead scoring. `ConnectorService` (service.py) inherits it.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.clock import utcnow
from kaname.ingest.connectors import columnar, get_connector, sqlmap
from kaname.ingest.connectors.auth import TokenError
from kaname.ingest.connectors.base import (
    Connector,
    ConnectorError,
    PermanentSourceError,
    RawRecord,
    SourceConfig,
    Sweep,
)
from kaname.ingest.connectors.http import HttpClient, HttpError
from kaname.ingest.connectors.load import (
    bulk_writes,
    delete_keys,
    ensure_columnar_raw_table,
    merge_raw_arrow,
    raw_batch,
    raw_table_name,
    raw_window,
    read_raw,
    upsert,
    upsert_frame,
)
from kaname.ingest.connectors.mapping import Mapper, MappingError
from kaname.ingest.connectors.secrets import (
    redact,
)
from kaname.ingest.messages import message
from kaname.store.connector_models import SyncRun, SyncState
from kaname.store.runs import FAILED, INTERRUPTED, OK, RUNNING, UNFINISHED, is_stale, mark_stale
from kaname.store.upsert import duckdb_transaction

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext

log = logging.getLogger("kaname.connectors")

Progress = Callable[[str, int, int], None]
"""progress(label, done, total): total is 0 while unknown (paged APIs do not say)."""

FLUSH_ROWS = 20_000
"""Records buffered before they are written and the stream state is saved."""
MAPPING_STREAM = "_mapping"
"""State row holding when raw records were last mapped into the canonical tables."""


@dataclass
class SyncResult:
    """How one source's sync ended (also stored as a SyncRun)."""

    source: str
    status: str
    """ok, failed (a permanent error stopped it; data loaded before the error stays),
    interrupted (stopped from outside: Ctrl-C) or busy (another sync of the source runs; this
    one did not start and wrote no run)."""
    mode: str
    run_id: int | None = None
    rows: int = 0
    """Raw records written."""
    tables: dict[str, int] = field(default_factory=dict)
    """Rows written per raw table (raw_<source>_<stream>) and canonical table."""
    rejected: int = 0
    """Records left out of the canonical tables for a missing key or required value."""
    deleted: int = 0
    """Report rows a re-pulled window no longer has (removed from the canonical tables)."""
    error: str = ""
    scoring: Any = None
    """What lead scoring reported after the sync (None when it did not run)."""
    resumed: list[int] = field(default_factory=list)
    """Earlier syncs of the source that did not finish (killed, interrupted, failed): this
    one goes on from where their saved state ends (and scores every lead at its end when one
    of them was interrupted)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SyncRunner:
    """The sync half of `ConnectorService`: what it needs from the other half is declared
    here and defined there (configuration, mapping, HTTP client)."""

    ws: WorkspaceContext

    def _config(self, source: str) -> SourceConfig:
        raise NotImplementedError

    def mapping(self, source: str) -> dict[str, Any]:
        raise NotImplementedError

    def _client(self, connector: Connector, config: SourceConfig) -> HttpClient:
        raise NotImplementedError

    def _sync_one(
        self, source: str, full: bool, progress: Progress | None, trigger: str
    ) -> SyncResult:
        mode = "full" if full else "incremental"
        claimed = self._claim(source, mode, trigger)
        if isinstance(claimed, str):
            return SyncResult(source, "busy", mode, error=claimed)
        run_id, unfinished, killed = claimed
        result = SyncResult(source, OK, mode, run_id, resumed=unfinished)
        return self._run(source, full, progress or (lambda *_: None), result, killed)

    def _claim(self, source: str, mode: str, trigger: str) -> tuple[int, list[int], bool] | str:
        """Write this sync's `running` row, owned by this process, first marking the syncs
        whose process is gone interrupted (store/runs.py). Returns the run's id, the unfinished
        syncs of the source it resumes and whether one of them was interrupted (it may have
        written leads it never scored); or, when another sync of the source still
        runs, why this one does not start (no row is written: at most one sync of a source is
        `running`, a unique index the loser of two syncs started together runs into)."""
        language = self.ws.config.language
        for _ in range(3):
            with self.ws.appdb.session() as session:
                for stale in mark_stale(session, SyncRun):
                    title = _title(stale.source)
                    stale.error = stale.error or message("c_killed", language, title=title)
            try:
                with self.ws.appdb.session() as session:
                    run = SyncRun(source=source, mode=mode, trigger=trigger, started_at=utcnow())
                    run.claim()
                    session.add(run)
                    session.flush()
                    run_id = int(run.id)
                    unfinished = session.execute(
                        select(SyncRun.id, SyncRun.status)
                        .where(
                            SyncRun.source == source,
                            SyncRun.status.in_(UNFINISHED),
                            SyncRun.resumed_by.is_(None),
                            SyncRun.id < run_id,
                        )
                        .order_by(SyncRun.id)
                    ).all()
                    killed = any(status == INTERRUPTED for _, status in unfinished)
                    return run_id, [int(i) for i, _ in unfinished], killed
            except IntegrityError:
                with self.ws.appdb.session() as session:
                    holder = session.execute(
                        select(SyncRun).where(SyncRun.source == source, SyncRun.status == RUNNING)
                    ).scalar()
                    if holder is None or is_stale(holder):
                        continue  # it ended, or died, meanwhile: try again
                    return message(
                        "c_busy",
                        language,
                        source=_title(source),
                        since=f"{holder.started_at:%Y-%m-%d %H:%M:%S} UTC",
                    )
        raise ConnectorError.of("c_busy_retry", language, source=source)

    def _run(
        self,
        source: str,
        full: bool,
        progress: Progress,
        result: SyncResult,
        rescore: bool = False,
    ) -> SyncResult:
        """Sync into the run `result` names (`rescore`: score every lead at the end); whatever
        stops it, its row does not stay `running` (a kill -9 aside: the next sync marks that
        one interrupted)."""
        connector = get_connector(source)
        mapping: dict[str, Any] | None = None
        scores: _BatchScores | None = None
        try:
            scores = _BatchScores(self.ws)
            scores.rescore = rescore
            scores.complete = not rescore
            config = self._config(source)
            mapping = self.mapping(source)
            mapper = Mapper(mapping, lookup=self._lookup)
            client = self._client(connector, config)
            try:
                with bulk_writes(self.ws.warehouse):
                    for stream in connector.streams(config, client):
                        self._sync_stream(
                            source, stream, full, progress, result, mapping, mapper, scores
                        )
            finally:
                client.close()
                scores.close()
        except (HttpError, TokenError, PermanentSourceError, ConnectorError, MappingError) as exc:
            result.status = FAILED
            result.error = redact(f"{connector.title}: {exc}")
            log.warning("sync of %s stopped: %s", source, result.error)
        except BaseException as exc:
            self._stopped(result, connector.title, exc)
            raise
        if mapping is not None and scores is not None:
            try:
                self._map(source, mapping, progress, result, scores)
            except (MappingError, ValueError, TypeError) as exc:
                result.status = FAILED
                failed = message(
                    "c_mapping_failed", self.ws.config.language, source=source, error=str(exc)
                )
                result.error = (result.error + "; " if result.error else "") + redact(failed)
            except BaseException as exc:
                self._stopped(result, connector.title, exc)
                raise
        self._finish(result)
        return result

    def _stopped(self, result: SyncResult, title: str, exc: BaseException) -> None:
        """Record a sync stopped by `exc`, which the caller raises again: failed for an error
        (e.g. the warehouse is held by another process), interrupted for Ctrl-C or an exit.
        What was committed before stays."""
        if isinstance(exc, Exception):
            result.status, result.error = FAILED, redact(f"{title}: {exc}")
        else:
            result.status = INTERRUPTED
            error = f"{type(exc).__name__}: {exc}"
            result.error = redact(
                message("c_interrupted", self.ws.config.language, title=title, error=error)
            )
        self._finish(result)

    def _sync_stream(
        self,
        source: str,
        stream: Any,
        full: bool,
        progress: Progress,
        result: SyncResult,
        mapping: dict[str, Any],
        mapper: Mapper,
        scores: _BatchScores,
    ) -> None:
        """Fetch a stream page by page; every FLUSH_ROWS records, a writer thread merges them
        into the raw table, maps them into the canonical tables in memory and only then saves
        the stream state, while the next pages are fetched."""
        table = raw_table_name(source, stream.name)
        state = {} if full else self._state(source, stream.name)
        entries = [e for e in mapping.get("tables", []) if e.get("from") == stream.name]
        label = f"{source} {stream.name}"
        counts = {"raw": 0}

        wh = self.ws.warehouse
        compiled: list[sqlmap.Compiled] = []
        if getattr(stream, "strings", False) and wh.backend == "duckdb":
            for entry in entries:
                done = sqlmap.compile_entry(entry, {"archived"})
                if done is not None:
                    compiled.append(done)
        in_sql = {c.table for c in compiled}
        rest = [e for e in entries if str(e.get("table")) not in in_sql]
        # A columnar stream keeps one raw column per field (DuckDB); its pages go to the writer
        # as bodies, read in bulk, when every mapping entry of the stream runs in SQL.
        spec = stream.columnar if wh.backend == "duckdb" else None
        as_bodies = spec is not None and not rest
        if spec is not None:
            ensure_columnar_raw_table(wh, table, spec)

        def write(
            batch: list[RawRecord],
            bodies: list[bytes],
            pending: dict[str, Any] | None,
            sweep: Sweep | None = None,
        ) -> None:
            if spec is not None:
                flats = []
                if bodies:
                    try:
                        flats.append(columnar.read_pages(spec, bodies))
                    except columnar.ColumnarError as exc:
                        log.info("%s: pages read one record at a time (%s)", label, exc)
                        batch = columnar.decode_pages(spec, bodies) + batch
                if batch:
                    flats.append(columnar.records_table(spec, batch))
                for flat in flats:
                    counts["raw"] += self._write_columnar(
                        table, spec, flat, compiled, mapper, result, scores
                    )
            else:
                arrow = raw_batch(batch)
                if arrow is not None:
                    merge_raw_arrow(wh, table, arrow)
                    counts["raw"] += arrow.num_rows
                    if compiled:
                        self._map_sql(arrow, compiled, mapper, result, scores)
            if rest:
                self._map_batch(stream.name, rest, batch, mapper, result, scores)
            if sweep is not None:
                window = raw_window(wh, table, sweep.first, sweep.last)
                gone = [r for r in window if r.id not in sweep.seen]
                if gone:
                    log.info("%s: %d rows gone from %s – %s", label, len(gone), *_days(sweep))
                    write(gone, [], None)
                    result.deleted += len(gone)
            if pending is not None:
                self._save_state(source, stream.name, pending)

        writer = _Writer(write)
        buffer: list[RawRecord] = []
        bodies: list[bytes] = []
        buffered = 0
        pending: dict[str, Any] | None = None
        fetched = 0
        pages = stream.fetch(state, full, True) if as_bodies else stream.fetch(state, full)
        try:
            try:
                for page in pages:
                    if page.body is not None:
                        bodies.append(page.body)
                        size = page.count
                    else:
                        buffer.extend(page.records)
                        size = len(page.records)
                    fetched += size
                    buffered += size
                    if page.state:
                        pending = page.state
                    if buffered >= FLUSH_ROWS or page.commit or page.sweep is not None:
                        writer.submit(buffer, bodies, pending, page.sweep)
                        buffer, bodies, buffered, pending = [], [], 0, None
                    progress(label, fetched, 0)
            except (HttpError, TokenError, PermanentSourceError, ConnectorError):
                # The source stopped answering: keep the pages fetched before the error (with
                # the state they reach), so the next sync starts after them.
                if (buffer or bodies or pending is not None) and writer.error is None:
                    writer.submit(buffer, bodies, pending)
                raise
            if buffer or bodies or pending is not None:
                writer.submit(buffer, bodies, pending)
        finally:
            writer.close()  # wait for the batches handed over; raises the writer's error
            result.tables[table] = result.tables.get(table, 0) + counts["raw"]
            result.rows += counts["raw"]
        progress(label, counts["raw"], counts["raw"])

    def _write_columnar(
        self,
        table: str,
        spec: columnar.ColumnarSpec,
        flat: pa.Table,
        compiled: list[sqlmap.Compiled],
        mapper: Mapper,
        result: SyncResult,
        scores: _BatchScores,
    ) -> int:
        """Merge a columnar batch into the raw table on `id` and map it, all inside DuckDB;
        returns the raw rows written."""
        if flat.num_rows == 0:
            return 0
        wh = self.ws.warehouse
        raw = wh.con.con
        stage = f"_kaname_stage_{uuid.uuid4().hex[:12]}"
        raw.register(stage, columnar.stage_table(spec, flat))
        # The raw rows and their canonical rows commit together (one transaction per batch).
        try:
            rows = columnar.raw_rows_select(spec, stage, "CAST(now() AS TIMESTAMP)")
            names = ", ".join(f'"{c}"' for c in columnar.raw_columns(spec))
            with duckdb_transaction(raw):
                raw.execute(
                    f'DELETE FROM "{table}" AS t WHERE EXISTS '
                    f"(SELECT 1 FROM {stage} AS s WHERE t.id = s._id)"
                )
                inserted = raw.execute(f'INSERT INTO "{table}" ({names}) {rows}').fetchone()
                leads = self._apply_compiled(
                    compiled, mapper, stage, result, spec.flat_fields, transaction=False
                )
        finally:
            raw.unregister(stage)
        if leads is not None:
            scores.add(leads)
        return int(inserted[0]) if inserted else 0

    def _map_sql(
        self,
        arrow: Any,
        compiled: list[sqlmap.Compiled],
        mapper: Mapper,
        result: SyncResult,
        scores: _BatchScores,
    ) -> None:
        """Map one stored batch inside DuckDB (sqlmap): no per-record Python."""
        raw = self.ws.warehouse.con.con
        stage = f"_kaname_batch_{uuid.uuid4().hex[:12]}"
        raw.register(stage, arrow.append_column("_rn", pa.array(range(arrow.num_rows))))
        try:
            leads = self._apply_compiled(compiled, mapper, stage, result)
        finally:
            raw.unregister(stage)
        if leads is not None:
            scores.add(leads)

    def _apply_compiled(
        self,
        compiled: list[sqlmap.Compiled],
        mapper: Mapper,
        stage: str,
        result: SyncResult,
        columns: list[str] | None = None,
        transaction: bool = True,
    ) -> pa.Table | None:
        """The SQL-mapped entries on a staged batch (sqlmap.apply); returns the keys of the
        leads written, for the caller to score once they are committed."""
        raw = self.ws.warehouse.con.con
        leads = None
        for done in compiled:
            keys: list[pa.Table] = []
            try:
                written, rejected = sqlmap.apply(
                    raw, mapper, done, stage, columns=columns, keys=keys, transaction=transaction
                )
            except (ValueError, TypeError) as exc:
                raise MappingError(f"{done.table}: {exc}") from exc
            result.rejected += rejected
            if written:
                result.tables[done.table] = result.tables.get(done.table, 0) + written
                if done.table == "leads":
                    leads = keys[0]
        return leads

    def _map_batch(
        self,
        stream: str,
        entries: list[dict[str, Any]],
        batch: list[RawRecord],
        mapper: Mapper,
        result: SyncResult,
        scores: _BatchScores,
    ) -> None:
        """Map one stored batch of raw records into the canonical tables (upsert; records the
        source reports deleted are removed by key). Summed entries wait for `_map`."""
        if not batch:
            return
        latest: dict[str, RawRecord] = {}
        for record in batch:
            latest[record.id] = record
        live = [r.data for r in latest.values() if not r.deleted]
        gone = [r.data for r in latest.values() if r.deleted]
        wh = self.ws.warehouse
        for entry in entries:
            if entry.get("aggregate"):
                continue
            table = str(entry["table"])
            key = TABLES_BY_NAME[table].key
            try:
                frame, rejected = mapper.frame(entry, live)
                dead = mapper.frame(entry, gone, keys_only=True)[0] if gone else None
            except (ValueError, TypeError) as exc:
                raise MappingError(f"{table} from {stream}: {exc}") from exc
            written = upsert_frame(wh, table, frame)
            result.rejected += rejected
            if dead is not None and not dead.empty:
                delete_keys(
                    wh,
                    table,
                    [
                        tuple(
                            (v if v is not None else "") if k == "campaign_id" else v
                            for k, v in zip(key, row, strict=True)
                        )
                        for row in dead[list(key)].itertuples(index=False, name=None)
                    ],
                )
            if written:
                result.tables[table] = result.tables.get(table, 0) + written
                if table == "leads":
                    scores.add(
                        pa.table({"lead_id": pa.array(frame["lead_id"].tolist(), pa.string())})
                    )

    def _map(
        self,
        source: str,
        mapping: dict[str, Any],
        progress: Progress,
        result: SyncResult,
        scores: _BatchScores,
    ) -> None:
        """After the streams: entries that sum rows (`aggregate: sum`, e.g. GA4 channel groups
        onto one channel) from their whole raw table, then lead scoring."""
        wh = self.ws.warehouse
        mapper = Mapper(mapping, lookup=self._lookup)
        entries = [e for e in mapping.get("tables", []) if e.get("aggregate")]
        for done, entry in enumerate(entries):
            table, stream = str(entry["table"]), str(entry["from"])
            every = [d for b in read_raw(wh, raw_table_name(source, stream), None) for d in b]
            rows, rejected = mapper.rows(entry, [data for _, deleted, data in every if not deleted])
            summed = mapper.aggregate(entry, rows)
            written = upsert(wh, table, summed)
            result.rejected += rejected
            # Keys only deleted rows (gone from a re-pulled report window) still sum onto.
            key = TABLES_BY_NAME[table].key
            dead: list[Mapping[str, Any]] = [data for _, deleted, data in every if deleted]
            if dead:
                frame = mapper.frame(entry, dead, keys_only=True)[0]
                live = {tuple(r.get(k) for k in key) for r in summed}
                stale = {
                    tuple(row)
                    for row in frame[list(key)].itertuples(index=False, name=None)
                    if tuple(row) not in live
                }
                delete_keys(wh, table, sorted(stale, key=str))
            if written:
                result.tables[table] = result.tables.get(table, 0) + written
                if table == "leads":
                    scores.complete = False  # summed leads are not scored batch by batch
            progress(f"{source} → canonical", done + 1, len(entries))
        if result.rows or entries:
            self._save_state(source, MAPPING_STREAM, {"since": utcnow().isoformat()})
        tables = [t for t in result.tables if t in TABLES_BY_NAME]
        if scores.rescore:  # what a killed sync wrote may be unscored: score it all
            tables += [str(e["table"]) for e in mapping.get("tables", []) if e.get("table")]
        result.scoring = _apply_scoring(self.ws, tables, scores) or scores.totals

    def _lookup(self, table: str, by: str, take: str) -> dict[str, Any]:
        expr = self.ws.warehouse.table(table)
        arrow = expr.select(by, take).to_pyarrow()
        return dict(zip(arrow.column(by).to_pylist(), arrow.column(take).to_pylist(), strict=True))

    def _finish(self, result: SyncResult) -> None:
        """Record how the run ended; a sync that ended ok names itself on the unfinished runs
        it resumed."""
        with self.ws.appdb.session() as session:
            run = session.get(SyncRun, result.run_id)
            if run is None:
                return
            if result.status == OK:
                for earlier in result.resumed:
                    row = session.get(SyncRun, earlier)
                    if row is not None:
                        row.resumed_by = run.id
            run.status = result.status
            run.rows = result.rows
            run.table_rows = json.dumps(
                {**result.tables, "_rejected": result.rejected, "_deleted": result.deleted}
            )
            run.error = result.error
            run.finished_at = utcnow()

    def _state(self, source: str, stream: str) -> dict[str, Any]:
        with self.ws.appdb.session() as session:
            row = session.get(SyncState, (source, stream))
            return dict(json.loads(row.state)) if row else {}

    def _save_state(self, source: str, stream: str, state: dict[str, Any]) -> None:
        with self.ws.appdb.session() as session:
            row = session.get(SyncState, (source, stream))
            if row is None:
                row = SyncState(source=source, stream=stream)
                session.add(row)
            row.state = json.dumps(state, default=str)
            row.updated_at = utcnow()


class _Writer:
    """One background thread writing batches in order (at most one waiting), so the next pages
    are fetched while a batch is merged and mapped (DuckDB releases the GIL while it works)."""

    def __init__(self, fn: Callable[..., None]) -> None:
        self.fn = fn
        self.error: BaseException | None = None
        self.jobs: queue.Queue[tuple[Any, ...] | None] = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._loop, name="kaname-sync-writer", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            if self.error is None:
                try:
                    self.fn(*job)
                except BaseException as exc:  # handed to the fetching thread
                    self.error = exc

    def submit(self, *job: Any) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put(job)

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _title(source: str) -> str:
    """The source's product name (HubSpot); the name itself for a source no longer known."""
    try:
        return get_connector(source).title
    except ConnectorError:
        return source


def _days(sweep: Sweep) -> tuple[str, str]:
    return sweep.first.isoformat(), sweep.last.isoformat()


def _apply_scoring(ws: WorkspaceContext, tables: list[str], scores: _BatchScores) -> Any:
    """Lead scoring after a sync, through the import service's hook when it is installed
    (`ws.ingest.after_load`): every lead's score again unless the batches scored what changed;
    a scoring failure is reported, not fatal to the sync."""
    ingest = getattr(ws, "ingest", None)
    after_load = getattr(ingest, "after_load", None)
    if not callable(after_load):
        return None
    try:
        return after_load(tables, leads_scored=scores.complete, fresh=scores.fresh)
    except Exception as exc:  # scoring is optional after a sync; say why it did not run
        log.warning("lead scoring after sync failed: %s", exc)
        return {"error": str(exc)}


class _BatchScores:
    """Lead scores computed batch by batch as a sync writes leads (`ws.ingest.batch_scorer`),
    so the end of the sync need not score every lead again (the writer thread does it while
    the next pages are fetched)."""

    def __init__(self, ws: WorkspaceContext) -> None:
        self.ws = ws
        self.scorer: Any = None
        self.complete = True
        """Every lead written so far was scored."""
        self.started = False
        self.rescore = False
        """Every lead is scored at the end of the sync, not batch by batch (it resumes a
        killed one, which may have written leads it never scored)."""
        self.totals: dict[str, Any] | None = None
        leads = ws.warehouse.table("leads") if "leads" in ws.warehouse.con.list_tables() else None
        self.fresh = leads is not None and int(leads.count().execute()) == 0
        """The leads table was empty when the sync started."""

    def add(self, lead_ids: pa.Table) -> None:
        if not self.complete or lead_ids.num_rows == 0:
            return
        try:
            if not self.started:
                self.started = True
                make = getattr(getattr(self.ws, "ingest", None), "batch_scorer", None)
                self.scorer = make() if callable(make) else None
                if self.scorer is None:
                    self.complete = False  # the end of the sync scores every lead
                    return
            out = self.scorer.score(lead_ids).to_dict()
        except Exception as exc:  # the end of the sync scores every lead instead
            log.warning("lead scoring of a batch failed: %s", exc)
            self.complete = False
            return
        if self.totals is None:
            self.totals = dict(out)
        else:
            for key in ("scored", "changed", "new_mqls"):
                self.totals[key] = self.totals.get(key, 0) + out.get(key, 0)

    def close(self) -> None:
        if self.scorer is not None:
            self.scorer.close()
            self.scorer = None
