"""Import, data quality and lead scoring as workspace services (`Workspace.ingest`).

CLI commands and web pages call these methods and render what they return: plain dicts and
lists, ready for JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kaname.clock import utcnow
from kaname.ingest.importer.failures import storage_failure
from kaname.ingest.importer.load import (
    ImportSummary,
    import_raw,
    quarantine_rows,
    report_csv,
    store_quarantine,
)
from kaname.ingest.importer.mapping import (
    Mapping,
    MappingError,
    dump_mapping,
    load_mapping,
    suggest_mapping,
)
from kaname.ingest.importer.readers import RawFile, read_file
from kaname.ingest.messages import message
from kaname.metrics.refresh import Progress
from kaname.store.connector_models import SyncState
from kaname.store.ingest_models import ImportRun, MergeLog, SavedMapping
from kaname.store.runs import FAILED, OK, RUNNING, UNFINISHED, mark_stale, recent_runs

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext

SCORED_TABLES = frozenset({"leads", "touchpoints", "accounts"})
SCORED_STATE = ("_scoring", "all_leads")
"""sync_states row recording the day every lead's score was last computed."""


def headers_signature(headers: list[str]) -> str:
    """Identifies a file shape: the same headers in the same order."""
    return hashlib.sha256("\x1f".join(headers).encode("utf-8")).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class IngestService:
    """File import, saved mappings, data quality, duplicate merges and lead scoring."""

    def __init__(self, workspace: WorkspaceContext) -> None:
        self.ws = workspace

    @property
    def language(self) -> str:
        return self.ws.config.language

    # ------------------------------------------------------------------ mappings
    def suggest_mapping(self, table: str, path: Path, sheet: str | None = None) -> dict[str, Any]:
        """The mapping to confirm for `path`: a saved one for the same headers, else a
        suggestion from the header words. Keys: table, mapping, headers (header, column,
        confidence, samples), missing_required, columns (the table's), yaml, saved (name or
        None), encoding, rows."""
        raw = read_file(path, sheet, self.language)
        return self._suggest(table, raw)

    def _suggest(self, table: str, raw: RawFile) -> dict[str, Any]:
        head = raw.table.slice(0, 50).to_pydict()
        samples = {h: [v for v in values if v.strip()][:3] for h, values in head.items()}
        suggestion = suggest_mapping(table, raw.headers, samples, self.language)
        saved = self._saved_for(table, raw.headers)
        data = suggestion.to_dict()
        data["saved"] = None
        if saved is not None:
            name, mapping = saved
            data["mapping"] = mapping.model_dump()
            data["yaml"] = dump_mapping(mapping)
            data["saved"] = name
            mapped = mapping.mapped()
            for row in data["headers"]:
                row["column"] = mapping.columns.get(row["header"])
                row["confidence"] = 1.0 if row["column"] else 0.0
            data["missing_required"] = [
                c["name"] for c in data["columns"] if c["required"] and c["name"] not in mapped
            ]
        data["encoding"] = raw.encoding
        data["rows"] = raw.table.num_rows + len(raw.malformed)
        return data

    def _saved_for(self, table: str, headers: list[str]) -> tuple[str, Mapping] | None:
        with self.ws.appdb.session() as session:
            row = session.execute(
                select(SavedMapping)
                .where(
                    SavedMapping.table_name == table,
                    SavedMapping.headers_signature == headers_signature(headers),
                )
                .order_by(SavedMapping.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if row is None:
                return None
            source = message("saved_mapping", self.language, name=row.name)
            return row.name, load_mapping(row.content, source, self.language)

    def save_mapping(
        self, mapping: Mapping | dict[str, Any], name: str | None = None, created_by: str = "cli"
    ) -> dict[str, Any]:
        """Keep a confirmed mapping; the next file with the same headers gets it suggested.
        Returns {id, name, table, yaml}."""
        mapping = mapping if isinstance(mapping, Mapping) else Mapping.model_validate(mapping)
        mapping.check(language=self.language)
        headers = list(mapping.columns)
        name = name or f"{mapping.table} {utcnow():%Y-%m-%d %H:%M}"
        text = dump_mapping(mapping)
        with self.ws.appdb.session() as session:
            row = SavedMapping(
                name=name,
                table_name=mapping.table,
                headers_signature=headers_signature(headers),
                content=text,
                created_by=created_by,
            )
            session.add(row)
            session.flush()
            ident = row.id
        return {"id": ident, "name": name, "table": mapping.table, "yaml": text}

    def saved_mappings(self) -> list[dict[str, Any]]:
        with self.ws.appdb.session() as session:
            rows = session.execute(select(SavedMapping).order_by(SavedMapping.id)).scalars()
            return [
                {"id": r.id, "name": r.name, "table": r.table_name, "created_at": r.created_at}
                for r in rows
            ]

    def read_mapping(self, path: Path) -> Mapping:
        """A mapping YAML file (`kaname import --mapping`)."""
        if not path.is_file():
            raise FileNotFoundError(message("file_not_found", self.language, path=path))
        return load_mapping(path.read_text(encoding="utf-8"), str(path), self.language)

    # ------------------------------------------------------------------ import
    def import_file(
        self,
        table: str,
        path: Path,
        mapping: Mapping | dict[str, Any] | None = None,
        dry_run: bool = False,
        sheet: str | None = None,
        created_by: str = "cli",
        score: bool = True,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Import `path` into `table`. Without a mapping: the saved one for these headers,
        else the suggested one. Returns the summary: table, file, encoding, rows_read,
        inserted, updated, unchanged, quarantined, blank_rows, dry_run, reconciles, mapping,
        issues (row, column, value, reason), run_id, notes, scoring (after a real import of leads,
        touchpoints or accounts). `progress(label, done, total)` hears each of the four steps
        (read, validate and load, quarantine, score). A dry run writes nothing, not even its
        run (run_id None), so it works in a read-only workspace; a workspace that cannot take
        the import (disk full, read-only) is a ReadError saying so."""
        report = progress or (lambda label, done, total: None)
        report("read", 0, 4)
        raw = read_file(path, sheet, self.language)
        if mapping is None:
            mapping = Mapping.model_validate(self._suggest(table, raw)["mapping"])
        elif not isinstance(mapping, Mapping):
            mapping = Mapping.model_validate(mapping)
        if mapping.table != table:
            raise MappingError(
                message(
                    "mapping_wrong_table",
                    self.language,
                    path="",
                    mapped=mapping.table,
                    table=table,
                )
            )
        notes: list[str] = []
        if table == "leads" and "score" in mapping.mapped() and self.scoring_config().enabled:
            header = mapping.mapped()["score"]
            mapping = mapping.model_copy(update={"columns": {**mapping.columns, header: None}})
            notes.append(message("score_owned", self.language, header=header))
        currency = self.ws.config.currency
        if dry_run:
            summary = import_raw(
                self.ws.warehouse, raw, mapping, path.name, self.language, True, currency
            )
            data = summary.to_dict()
            data["scoring"] = None
        else:
            data = self._import_recorded(raw, mapping, path, created_by, currency, score)
        data["notes"] = notes + list(data.get("notes") or []) + data.pop("resumed_notes", [])
        report("done", 4, 4)
        return data

    def _import_recorded(
        self,
        raw: RawFile,
        mapping: Mapping,
        path: Path,
        created_by: str,
        currency: str,
        score: bool,
    ) -> dict[str, Any]:
        """Load `raw`, recorded in import_runs with its quarantine report, then score leads when
        they (or what their score reads) changed, or an earlier import left them unscored. The
        run stays `running` until its scores are written, so a kill while scoring is seen."""
        try:
            run_id = self._start(raw, mapping, path, created_by)
        except Exception as exc:
            clear = storage_failure(exc, self.language)
            if clear is None:
                raise
            raise clear from exc
        try:
            summary = import_raw(
                self.ws.warehouse, raw, mapping, path.name, self.language, False, currency
            )
            store_quarantine(self.ws.warehouse, run_id, mapping.table, summary.issues)
        except Exception as exc:
            clear = storage_failure(exc, self.language)
            try:
                self._finish(run_id, None, FAILED, str(clear or exc))
            except Exception as unrecorded:  # the app DB is on the same full or read-only disk
                clear = clear or storage_failure(unrecorded, self.language)
            if clear is not None:
                raise clear from exc
            raise
        summary.run_id = run_id
        data = summary.to_dict()
        data["scoring"] = None
        if score:
            changed = mapping.table in SCORED_TABLES and (summary.inserted or summary.updated)
            self._finish(run_id, summary, RUNNING, "", stage="score")
            try:
                data["scoring"] = self.after_load([mapping.table] if changed else [])
            except Exception as exc:
                self._finish(run_id, summary, FAILED, str(exc), stage="score")
                raise
        self._finish(run_id, summary, OK, "")
        resumed = (data["scoring"] or {}).get("resumed")
        if resumed:
            runs = ", ".join(map(str, resumed))
            data["resumed_notes"] = [message("runs_rescored", self.language, runs=runs)]
        return data

    def _start(self, raw: RawFile, mapping: Mapping, path: Path, created_by: str) -> int:
        with self.ws.appdb.session() as session:
            run = ImportRun(
                table_name=mapping.table,
                file_name=path.name,
                file_sha256=_file_sha256(path),
                encoding=raw.encoding,
                mapping=json.dumps(mapping.model_dump(), ensure_ascii=False),
                dry_run=False,
                created_by=created_by,
            )
            run.claim()
            session.add(run)
            session.flush()
            return int(run.id)

    def _finish(
        self,
        run_id: int,
        summary: ImportSummary | None,
        status: str,
        text: str,
        stage: str = "done",
    ) -> None:
        with self.ws.appdb.session() as session:
            run = session.get(ImportRun, run_id)
            assert run is not None
            run.status, run.message, run.stage = status, text, stage
            if status != RUNNING:
                run.finished_at = utcnow()
            if summary is not None:
                run.rows_read, run.inserted = summary.rows_read, summary.inserted
                run.updated, run.unchanged = summary.updated, summary.unchanged
                run.quarantined = summary.quarantined

    def _unscored_runs(self) -> list[int]:
        """Import runs that did not finish (killed: marked interrupted here; or failed) and may
        have left leads, touchpoints or accounts loaded but leads unscored."""
        with self.ws.appdb.session() as session:
            for run in mark_stale(session, ImportRun):
                key = "run_interrupted_score" if run.stage == "score" else "run_interrupted_load"
                run.message = message(key, self.language)
            return list(
                session.execute(
                    select(ImportRun.id).where(
                        ImportRun.status.in_(UNFINISHED),
                        ImportRun.stage != "done",
                        ImportRun.table_name.in_(sorted(SCORED_TABLES)),
                    )
                ).scalars()
            )

    def _scored_runs(self, run_ids: list[int]) -> None:
        """Leads are scored again: what the unfinished runs `run_ids` left undone is done."""
        if not run_ids:
            return
        with self.ws.appdb.session() as session:
            for run in session.execute(
                select(ImportRun).where(ImportRun.id.in_(run_ids))
            ).scalars():
                run.stage = "done"
                run.message = f"{run.message} {message('run_scored_later', self.language)}"

    def import_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Recent imports, newest first (what the upload page lists); a run whose process is
        gone shows `interrupted`."""
        with self.ws.appdb.session() as session:
            return recent_runs(
                session,
                ImportRun,
                limit,
                table="table_name",
                file="file_name",
                encoding="encoding",
                dry_run="dry_run",
                rows_read="rows_read",
                inserted="inserted",
                updated="updated",
                unchanged="unchanged",
                quarantined="quarantined",
                stage="stage",
                created_by="created_by",
            )

    def quarantine(self, run_id: int) -> list[dict[str, Any]]:
        """The quarantine report of a run: row, column, value, reason."""
        return quarantine_rows(self.ws.warehouse, run_id)

    def quarantine_csv(self, run_id: int, language: str | None = None) -> bytes:
        """The quarantine report of a run as a CSV download (UTF-8 with BOM for Excel), its
        header in `language` (default: the workspace's)."""
        return report_csv(self.quarantine(run_id), language or self.language)

    # ------------------------------------------------------------------ quality
    def quality(self, stale_days: int = 7) -> dict[str, Any]:
        """Data-quality findings, most severe first: {checked_at, findings: [{id, severity,
        table, count, title {ja, en}, fix {ja, en}, examples}]}."""
        from kaname.ingest.quality import check_quality

        findings = check_quality(self.ws.warehouse, self.ws.today(), stale_days)
        return {"checked_at": utcnow(), "findings": [f.to_dict() for f in findings]}

    def merge(
        self,
        table: str,
        keep: str,
        others: list[str],
        reason: str = "",
        created_by: str = "cli",
    ) -> dict[str, Any]:
        """Merge duplicate leads or accounts into `keep` (empty fields filled from the others,
        earliest lifecycle dates kept, references re-pointed, others deleted) and log it.
        Returns {merge_id, table, kept, merged, repointed}."""
        from kaname.ingest.quality import merge_rows

        result = merge_rows(self.ws.warehouse, table, keep, others, self.language)
        with self.ws.appdb.session() as session:
            row = MergeLog(
                table_name=table,
                kept_key=keep,
                merged_keys=json.dumps(others, ensure_ascii=False),
                snapshot=json.dumps(result["snapshot"], ensure_ascii=False, default=str),
                repointed=json.dumps(result["repointed"]),
                reason=reason,
                created_by=created_by,
            )
            session.add(row)
            session.flush()
            merge_id = row.id
        return {
            "merge_id": merge_id,
            "table": table,
            "kept": keep,
            "merged": others,
            "repointed": result["repointed"],
        }

    def merges(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.ws.appdb.session() as session:
            rows = session.execute(
                select(MergeLog).order_by(MergeLog.id.desc()).limit(limit)
            ).scalars()
            return [
                {
                    "merge_id": r.id,
                    "table": r.table_name,
                    "kept": r.kept_key,
                    "merged": json.loads(r.merged_keys),
                    "repointed": json.loads(r.repointed),
                    "reason": r.reason,
                    "created_at": r.created_at,
                    "created_by": r.created_by,
                }
                for r in rows
            ]

    # ------------------------------------------------------------------ scoring
    def scoring_config(self) -> Any:
        from kaname.ingest.scoring import load_scoring

        return load_scoring(self.ws.root)

    def score(self, predictive: bool = False) -> dict[str, Any]:
        """Apply the rule-based lead score (and MQL threshold); with `predictive`, also
        evaluate a model on history. Returns {scored, changed, new_mqls, threshold,
        predictive: {...} | None}."""
        from kaname.ingest.scoring import apply_scores, evaluate_predictive

        config = self.scoring_config()
        if not config.enabled:
            raise ValueError(message("scoring_disabled", self.language))
        unscored = self._unscored_runs()
        result = apply_scores(self.ws.warehouse, config, self.ws.today())
        self.mark_scored(self.ws.today())
        self._scored_runs(unscored)
        out: dict[str, Any] = result.to_dict()
        out["predictive"] = None
        if predictive:
            out["predictive"] = evaluate_predictive(
                self.ws.warehouse, config, self.ws.today(), self.language
            )
        return out

    def after_load(
        self, tables: list[str], leads_scored: bool = False, fresh: bool = False
    ) -> dict[str, Any] | None:
        """What runs after every import or sync: the lead score, when leads, touchpoints or
        accounts changed, or an import that did not finish may have left leads unscored (then
        `resumed` lists those runs). The sync runner calls this with the tables it wrote, and
        `leads_scored` when every lead it wrote was scored batch by batch (`batch_scorer`): then
        only changed touchpoints or accounts, or a new day (behaviour points decay by day), make
        every lead's score be computed again. `fresh`: the leads table was empty before the
        load, so the leads scored batch by batch are all there are."""
        config = self.scoring_config()
        if not config.enabled:
            return None
        unscored = self._unscored_runs()
        if not SCORED_TABLES.intersection(tables) and not unscored:
            return None
        from kaname.ingest.scoring import apply_scores

        today = self.ws.today()
        if leads_scored and not unscored and not {"touchpoints", "accounts"}.intersection(tables):
            if fresh:  # every lead there is came with this load and has its score
                self.mark_scored(today)
            if self._scored_on() == today:
                return None
        if self.ws.warehouse.table("leads").count().execute() == 0:
            self._scored_runs(unscored)
            return None
        result = apply_scores(self.ws.warehouse, config, today).to_dict()
        self.mark_scored(today)
        self._scored_runs(unscored)
        result["resumed"] = unscored
        return result

    def batch_scorer(self) -> Any:
        """A `BatchScorer` for a sync to score leads batch by batch as it writes them (DuckDB
        warehouses, scoring on); None otherwise."""
        config = self.scoring_config()
        wh = self.ws.warehouse
        if not config.enabled or wh.backend != "duckdb":
            return None
        from kaname.ingest.scoring import BatchScorer

        return BatchScorer(wh, config, self.ws.today())

    def _scored_on(self) -> dt.date | None:
        """The day every lead's score was last computed (app DB)."""
        with self.ws.appdb.session() as session:
            row = session.get(SyncState, SCORED_STATE)
            day = json.loads(row.state).get("day") if row else None
        return dt.date.fromisoformat(day) if day else None

    def mark_scored(self, day: dt.date) -> None:
        """Record that every lead's score is current as of `day`."""
        with self.ws.appdb.session() as session:
            row = session.get(SyncState, SCORED_STATE)
            if row is None:
                row = SyncState(source=SCORED_STATE[0], stream=SCORED_STATE[1])
                session.add(row)
            row.state = json.dumps({"day": day.isoformat()})
            row.updated_at = utcnow()
