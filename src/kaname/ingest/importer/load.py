"""Import one file into one canonical table: read, map, validate, upsert, quarantine.

The summary reconciles: rows read = inserted + updated + unchanged + quarantined (fully blank
rows are skipped and counted apart). Quarantined rows are kept in the warehouse table
`import_quarantine` (one line per invalid cell: run, row, column, value, reason).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.clock import utcnow
from kaname.ingest.importer.deals import derived_notes, keep_known_types
from kaname.ingest.importer.mapping import Mapping, MappingError
from kaname.ingest.importer.parse import issue_records, parse_table
from kaname.ingest.importer.readers import RawFile, read_file
from kaname.ingest.messages import message
from kaname.spreadsheet import neutralise_row
from kaname.store.dimensions import KEYS as DIMENSION_KEYS
from kaname.store.dimensions import replace_values
from kaname.store.warehouse import Warehouse

QUARANTINE_TABLE = "import_quarantine"
QUARANTINE_SCHEMA = {
    "run_id": "int64",
    "table_name": "string",
    "row": "int64",
    "column_name": "string",
    "value": "string",
    "reason": "string",
    "quarantined_at": "timestamp",
}
REPORT_COLUMNS = ("row", "column", "value", "reason")


@dataclass
class ImportSummary:
    """What one import did, row by row accounted for."""

    table: str
    file: str
    encoding: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    blank_rows: int
    dry_run: bool
    mapping: dict[str, Any]
    issues: list[dict[str, Any]] = field(default_factory=list)
    """Quarantine report lines: row, column, value, reason (sorted by row)."""
    run_id: int | None = None
    notes: list[str] = field(default_factory=list)
    """What the import decided for the user (derived fields, defaults), in their language."""

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.inserted + self.updated + self.unchanged + self.quarantined

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reconciles"] = self.reconciles
        return data


def import_raw(
    wh: Warehouse,
    raw: RawFile,
    mapping: Mapping,
    file_name: str,
    language: str = "en",
    dry_run: bool = False,
    currency: str = "JPY",
) -> ImportSummary:
    """Validate `raw` with `mapping` and upsert its valid rows into the mapping's table."""
    spec = mapping.check(raw.headers, language)
    parsed = parse_table(
        raw.table, spec, mapping, language, currency, uncomputed=raw.uncomputed_masks()
    )
    issues = issue_records(parsed.issues, raw.rows, language)
    for bad in raw.malformed:
        issues.append(
            {
                "row": bad.row,
                "column": "",
                "value": bad.text,
                "reason": message(
                    "malformed_row", language, expected=bad.expected, found=bad.found
                ),
            }
        )
    issues.sort(key=lambda r: (r["row"], r["column"]))
    loaded = parsed.table
    notes: list[str] = []
    if spec.name == "opportunities":
        kept = 0
        if "type" not in mapping.mapped():
            loaded, kept = keep_known_types(_known_types(wh), loaded)
        notes = derived_notes(parsed.derived, loaded, parsed.positions, language, kept)
    counts = wh.upsert(spec.name, loaded, dry_run=dry_run)
    if mapping.dimensions and not dry_run:
        notes.append(
            _store_dimensions(wh, raw, mapping, spec.name, parsed.positions, loaded, language)
        )
    return ImportSummary(
        table=spec.name,
        file=file_name,
        encoding=raw.encoding,
        rows_read=raw.table.num_rows + len(raw.malformed),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        quarantined=int(np.count_nonzero(parsed.bad)) + len(raw.malformed),
        blank_rows=raw.blank_rows,
        dry_run=dry_run,
        mapping=mapping.model_dump(),
        issues=issues,
        notes=notes,
    )


def _store_dimensions(
    wh: Warehouse,
    raw: RawFile,
    mapping: Mapping,
    table: str,
    positions: np.ndarray,
    loaded: pa.Table,
    language: str,
) -> str:
    """Keep the mapped dimension columns of the loaded rows; the note the summary shows."""
    ids = loaded.column(DIMENSION_KEYS[table]).combine_chunks()
    rows = pa.array(positions)
    values = {
        name: raw.table.column(header).combine_chunks().take(rows)
        for header, name in mapping.dimensions.items()
    }
    stored = replace_values(wh, table, ids, values)
    names = list(mapping.dimensions.values())
    return message(
        "dimension_values", language, count=stored, names=", ".join(names), first=names[0]
    )


def _known_types(wh: Warehouse) -> pa.Table:
    """Opportunities already loaded with a type other than new business."""
    t = wh.table("opportunities")
    known = t.filter(t.type.notnull() & (t.type != "new_business"))
    return known.select("opportunity_id", "type").to_pyarrow()


def import_file(
    wh: Warehouse,
    path: Path,
    mapping: Mapping,
    language: str = "en",
    dry_run: bool = False,
    sheet: str | None = None,
    currency: str = "JPY",
) -> ImportSummary:
    if mapping.table not in TABLES_BY_NAME:
        raise MappingError(
            message(
                "unknown_table", language, table=mapping.table, tables=", ".join(TABLES_BY_NAME)
            )
        )
    raw = read_file(path, sheet, language)
    return import_raw(wh, raw, mapping, path.name, language, dry_run, currency)


def store_quarantine(wh: Warehouse, run_id: int, table: str, issues: list[dict[str, Any]]) -> int:
    """Keep the report lines of a run in the warehouse's quarantine table."""
    if QUARANTINE_TABLE not in wh.con.list_tables():
        wh.con.create_table(QUARANTINE_TABLE, schema=ibis.schema(QUARANTINE_SCHEMA))
    if not issues:
        return 0
    now = utcnow()
    arrow = pa.table(
        {
            "run_id": pa.array([run_id] * len(issues), pa.int64()),
            "table_name": pa.array([table] * len(issues), pa.string()),
            "row": pa.array([r["row"] for r in issues], pa.int64()),
            "column_name": pa.array([r["column"] for r in issues], pa.string()),
            "value": pa.array([r["value"] for r in issues], pa.string()),
            "reason": pa.array([r["reason"] for r in issues], pa.string()),
            "quarantined_at": pa.array([now] * len(issues), pa.timestamp("us")),
        }
    )
    wh.con.insert(QUARANTINE_TABLE, arrow)
    return len(issues)


def quarantine_rows(wh: Warehouse, run_id: int) -> list[dict[str, Any]]:
    if QUARANTINE_TABLE not in wh.con.list_tables():
        return []
    t = wh.con.table(QUARANTINE_TABLE)
    frame = t.filter(t.run_id == run_id).order_by([t.row, t.column_name]).execute()
    return [
        {"row": int(r.row), "column": r.column_name, "value": r.value, "reason": r.reason}
        for r in frame.itertuples(index=False)
    ]


REPORT_HEADERS = {"en": REPORT_COLUMNS, "ja": ("行番号", "列", "値", "理由")}
"""The report's header row in each language (its columns stay in this order)."""


def report_csv(issues: list[dict[str, Any]], language: str = "en", table: str = "") -> bytes:
    """The quarantine report as CSV in UTF-8 with a BOM, so Excel shows Japanese correctly;
    the header row in `language`, and in Japanese each column by its name (作成日, not
    created_at; English keeps the id a mapping file uses). Cells a spreadsheet would run as
    formulas (the file's own values: =HYPERLINK(…), @SUM(…)) are written as text."""
    from kaname.canonical.labels import column_label

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_HEADERS.get(language, REPORT_COLUMNS))
    for rec in issues:
        cells = dict(rec)
        if language == "ja":
            cells["column"] = column_label(table, str(rec["column"]), language)
        writer.writerow(neutralise_row(cells[c] for c in REPORT_COLUMNS))
    return out.getvalue().encode("utf-8-sig")
