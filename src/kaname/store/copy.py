"""Copy a workspace's warehouse into another Ibis backend (DuckDB → PostgreSQL, → Spark, ...).

Every table is copied: the canonical tables, user dimensions, raw synced data and the import
quarantine; derived tables the caller names (the materialised KPI values) are left for a refresh
on the new engine to compute. Each target table is dropped and written again, so a
copy run twice leaves the same rows (no duplicates), and the rows of each table are counted on
both sides afterwards: a table whose counts differ is reported, never hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import ibis
import pyarrow as pa

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.store.warehouse import Warehouse, conform

BATCH_ROWS = 200_000
"""Rows read and written at a time: memory stays bounded whatever the table's size."""

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CopiedTable:
    name: str
    source_rows: int
    target_rows: int

    @property
    def reconciled(self) -> bool:
        return self.source_rows == self.target_rows


def copyable_tables(wh: Warehouse, skip: Collection[str] = ()) -> list[str]:
    """The warehouse's tables, canonical first; scratch tables (Ibis memtables, staging) and
    `skip` left out."""
    names = [
        n for n in wh.con.list_tables() if not n.startswith(("ibis_", "_kaname_")) and n not in skip
    ]
    canonical = [n for n in TABLES_BY_NAME if n in names]
    return canonical + sorted(n for n in names if n not in TABLES_BY_NAME)


def copy_warehouse(
    source: Warehouse,
    target: Warehouse,
    skip: Collection[str] = (),
    progress: Progress | None = None,
) -> list[CopiedTable]:
    """Copy every table of `source` but `skip` into `target` (replacing what `target` holds
    under the same names) and count each table's rows on both sides."""
    names = copyable_tables(source, skip)
    copied = []
    for done, name in enumerate(names, start=1):
        table = source.con.table(name)
        schema = (
            ibis.schema(TABLES_BY_NAME[name].schema()) if name in TABLES_BY_NAME else table.schema()
        )
        if name in target.con.list_tables():
            target.con.drop_table(name)
        target.con.create_table(name, schema=schema)
        for batch in table.to_pyarrow_batches(chunk_size=BATCH_ROWS):
            arrow = pa.Table.from_batches([batch])
            if not arrow.num_rows:
                continue
            if name in TABLES_BY_NAME:
                arrow = conform(TABLES_BY_NAME[name], arrow)
            else:
                arrow = arrow.cast(schema.to_pyarrow())
            target.insert_arrow(name, arrow)
        copied.append(
            CopiedTable(
                name,
                int(table.count().execute()),
                int(target.con.table(name).count().execute()),
            )
        )
        if progress:
            progress(name, done, len(names))
    return copied
