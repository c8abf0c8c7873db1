"""CSV import of 1M leads with full validation vs DuckDB's own read_csv of the same file.

    python benchmarks/import_csv.py [--rows 1000000] [--repeat 3] [--json]

Writes a leads CSV with Japanese headers, Japanese channel labels and slash dates (as a Japanese
CRM export looks) to benchmarks/.work/, then times, best of --repeat, each into a fresh
in-memory DuckDB:
  reference: CREATE TABLE AS SELECT * FROM read_csv(file)   (DuckDB's sniffer and parser)
  kaname:    read, map, validate every cell (types, dates, vocabulary, e-mail, keys), upsert
and prints the ratio (goal ≤ 2.0), plus a re-import of the same file (every row unchanged).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kaname.ingest.importer.load import import_file
from kaname.ingest.importer.mapping import Mapping
from kaname.store.warehouse import Warehouse

WORK = Path(__file__).parent / ".work"
HEADERS = {
    "リードID": "lead_id",
    "会社ID": "account_id",
    "メールアドレス": "email",
    "流入経路": "channel",
    "キャンペーンID": "campaign_id",
    "セグメント": "segment",
    "担当者": "owner",
    "ステータス": "status",
    "作成日": "created_at",
    "MQL日": "mql_at",
    "商談化日": "sql_at",
}
CHANNELS = np.array(
    ["展示会", "Web広告", "ウェビナー", "seo", "メルマガ", "紹介", "paid_ads", "SNS"]
)


def _dates(days: np.ndarray, present: np.ndarray) -> pa.Array:
    stamps = np.datetime64("2024-04-01") + days.astype("timedelta64[D]")
    text = np.char.replace(np.datetime_as_string(stamps, unit="D"), "-", "/")
    return pa.array(np.where(present, text, ""), pa.string())


def write_leads(path: Path, rows: int, seed: int = 42) -> None:
    rng = np.random.default_rng(seed)
    ids = np.char.add("L", np.arange(rows).astype(str))
    created = rng.integers(0, 700, rows)
    mql = rng.random(rows) < 0.3
    sql = mql & (rng.random(rows) < 0.3)
    table = pa.table(
        {
            "リードID": pa.array(ids, pa.string()),
            "会社ID": pa.array(np.char.add("A", (np.arange(rows) // 3).astype(str)), pa.string()),
            "メールアドレス": pa.array(np.char.add(ids, "@example.co.jp"), pa.string()),
            "流入経路": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), rows)], pa.string()),
            "キャンペーンID": pa.array(np.char.add("C", rng.integers(0, 300, rows).astype(str))),
            "セグメント": pa.array(
                np.array(["enterprise", "mid_market", "smb"])[rng.integers(0, 3, rows)]
            ),
            "担当者": pa.array(np.char.add("rep", rng.integers(0, 20, rows).astype(str))),
            "ステータス": pa.array(np.where(sql, "sql", np.where(mql, "mql", "open"))),
            "作成日": _dates(created, np.ones(rows, dtype=bool)),
            "MQL日": _dates(created + 10, mql),
            "商談化日": _dates(created + 30, sql),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)


def time_reference(path: Path) -> float:
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(f"CREATE TABLE leads AS SELECT * FROM read_csv('{path}')")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def time_kaname(path: Path, mapping: Mapping) -> tuple[float, float, dict[str, int]]:
    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    start = time.perf_counter()
    first = import_file(wh, path, mapping)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    again = import_file(wh, path, mapping)
    reimport = time.perf_counter() - start
    assert first.reconciles and again.unchanged == first.inserted, (first, again)
    counts = {"inserted": first.inserted, "quarantined": first.quarantined}
    wh.close()
    return elapsed, reimport, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    path = WORK / f"leads_{args.rows}.csv"
    if not path.exists():
        print(f"writing {path} …", file=sys.stderr)
        write_leads(path, args.rows)
    mapping = Mapping(table="leads", columns=dict(HEADERS))
    reference = min(time_reference(path) for _ in range(args.repeat))
    runs = [time_kaname(path, mapping) for _ in range(args.repeat)]
    kaname = min(r[0] for r in runs)
    reimport = min(r[1] for r in runs)
    result = {
        "rows": args.rows,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "duckdb_read_csv_s": round(reference, 3),
        "kaname_import_s": round(kaname, 3),
        "ratio": round(kaname / reference, 2),
        "kaname_reimport_unchanged_s": round(reimport, 3),
        **runs[0][2],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
