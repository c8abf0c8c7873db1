"""Attribution, cohorts, RFM and the CLV summary on DuckDB, PySpark (local mode) and PostgreSQL,
same data: each timed, each answer checked equal to DuckDB's (see docs/benchmarks.md).

    python benchmarks/engines.py --scale 1                    # make bench-engines
    python benchmarks/engines.py --scale 0.2 --engines duckdb,pyspark --runs 3

The script builds the demo company (as of 2026-03-31, seed 42; reused on later runs, and the same
folder as benchmarks/attribution_scale.py uses), copies its warehouse with `kaname warehouse
copy`'s code (`Workspace.copy_warehouse`) into a local Spark warehouse in the work folder and into
a schema of its own on the PostgreSQL server (both copies reused on later runs; `--recopy` makes
them again), then opens the same workspace once per engine (only `warehouse_url` differs) and runs
each analysis `--runs` times per engine, engines taking turns, in this one process. It prints the
first (cold: Ibis compilation, Spark's planning) and the best time per engine, each engine's best
over DuckDB's, and whether the answer equals DuckDB's (rel 1e-9, as tests/test_other_warehouses.py
compares: engines add up in different orders).

Scale 10 (18M touchpoints) is too big for Spark in local mode on a 2-core development machine
(its copy alone writes 18M rows through one driver); use it on a bigger machine or a cluster.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from kaname.analytics.attribution import RULE_MODELS as ATTRIBUTION_RULE_MODELS

AS_OF = dt.date(2026, 3, 31)
# the rule models (every one but "custom", which needs weights)
RULE_MODELS = tuple(m for m in ATTRIBUTION_RULE_MODELS if m != "custom")

Analysis = Callable[[Any], pd.DataFrame]
ANALYSES: dict[str, Analysis] = {
    "attribution markov+linear": lambda ws: ws.analytics.compare_attribution(["markov", "linear"]),
    "attribution rule models (10)": lambda ws: ws.analytics.compare_attribution(RULE_MODELS),
    "lead cohorts": lambda ws: ws.analytics.lead_cohorts(),
    "customer cohorts": lambda ws: ws.analytics.customer_cohorts(),
    "RFM": lambda ws: ws.analytics.rfm(),
    "CLV summary (BG/NBD inputs)": lambda ws: ws.analytics.purchase_summary(),
}


def _equal(got: pd.DataFrame, expected: pd.DataFrame) -> str:
    """'' when the frames are equal within float tolerance, else what differs."""
    got = got.reset_index(drop=True)
    expected = expected.reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(
            got, expected, check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-6
        )
    except AssertionError as exc:
        return str(exc).splitlines()[0][:300] if str(exc) else "differs"
    return ""


def _spark_url(folder: Path, memory: str) -> str:
    settings = (
        "master=local[2]&spark.sql.shuffle.partitions=4&spark.ui.showConsoleProgress=false"
        f"&spark.driver.memory={memory}"
    )
    return f"pyspark:///{folder}?{settings}"


def _postgres_url(schema: str) -> str:
    host = os.environ.get("KANAME_TEST_PG_HOST", "127.0.0.1")
    user = os.environ.get("KANAME_TEST_PG_USER", "postgres")
    db = os.environ.get("KANAME_TEST_PG_DB", "test")
    return f"postgres://{user}@{host}:5432/{db}?schema={schema}"


def _fresh_schema(url: str, schema: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(
        host=parsed.hostname, user=parsed.username, dbname=parsed.path[1:], autocommit=True
    ) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')


def _copy(root: Path, engine: str, url: str, marker: Path, recopy: bool) -> float | str:
    """Copy the DuckDB warehouse to `url` unless an earlier run did; seconds, or 'reused'."""
    from kaname.workspace import Workspace

    if marker.exists() and not recopy:
        return "reused"
    if engine == "postgres":
        _fresh_schema(url, url.rsplit("schema=", 1)[1])
    print(f"copying the warehouse to {engine} …", file=sys.stderr)
    ws = Workspace.open(root)
    try:
        start = time.perf_counter()
        copied = ws.copy_warehouse(url)
        seconds = round(time.perf_counter() - start, 1)
    finally:
        ws.close()
    if not all(t.reconciled for t in copied):
        raise SystemExit(f"the copy to {engine} did not reconcile: {copied}")
    rows = sum(t.source_rows for t in copied)
    marker.write_text(json.dumps({"seconds": seconds, "rows": rows}), "utf-8")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--engines", default="duckdb,pyspark,postgres")
    parser.add_argument("--spark-memory", default="3g", help="spark.driver.memory (local mode)")
    parser.add_argument("--recopy", action="store_true", help="copy the warehouse again")
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/.work"))
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if engines[0] != "duckdb":
        engines = ["duckdb", *(e for e in engines if e != "duckdb")]

    from kaname.demo import build_demo
    from kaname.workspace import Workspace

    load_before = os.getloadavg()
    root = (args.workdir / f"scale-{args.scale:g}-seed-{args.seed}").resolve()
    generation: float | str = "reused"
    if not (root / "kaname.yaml").exists():
        print(f"building demo workspace at scale {args.scale:g} in {root} …", file=sys.stderr)
        start = time.perf_counter()
        build_demo(root, scale=args.scale, seed=args.seed, as_of=AS_OF).close()
        generation = round(time.perf_counter() - start, 1)

    base = Workspace.open(root)
    config = base.config
    touchpoints = int(base.warehouse.table("touchpoints").count().execute())
    base.close()
    tag = f"{args.scale:g}".replace(".", "_")
    urls = {"duckdb": config.warehouse_url}
    copies: dict[str, float | str] = {}
    for engine in engines[1:]:
        if engine == "pyspark":
            urls[engine] = _spark_url(root.parent / f"{root.name}-spark", args.spark_memory)
        elif engine == "postgres":
            urls[engine] = _postgres_url(f"kaname_bench_scale_{tag}_seed_{args.seed}")
        else:
            raise SystemExit(f"unknown engine {engine!r}: duckdb, pyspark or postgres")
        marker = root.parent / f"{root.name}-copied-{engine}.json"
        copies[engine] = _copy(root, engine, urls[engine], marker, args.recopy)

    workspaces = {
        engine: Workspace(root, config.model_copy(update={"warehouse_url": url}))
        for engine, url in urls.items()
    }
    rows = []
    try:
        for name, analysis in ANALYSES.items():
            times: dict[str, list[float]] = {e: [] for e in engines}
            answers: dict[str, pd.DataFrame] = {}
            for _ in range(args.runs):
                for engine in engines:  # engines take turns: the same load for each
                    start = time.perf_counter()
                    answers[engine] = analysis(workspaces[engine])
                    times[engine].append(time.perf_counter() - start)
            for engine in engines:
                best = min(times[engine])
                reference = min(times["duckdb"])
                rows.append(
                    {
                        "analysis": name,
                        "engine": engine,
                        "rows": len(answers[engine]),
                        "first_seconds": round(times[engine][0], 2),
                        "best_seconds": round(best, 2),
                        "ratio_to_duckdb": round(best / reference, 2),
                        "equal_to_duckdb": _equal(answers[engine], answers["duckdb"]) or True,
                    }
                )
                print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
    finally:
        for ws in workspaces.values():
            ws.close()
    result = {
        "scale": args.scale,
        "touchpoints": touchpoints,
        "engines": engines,
        "runs": args.runs,
        "demo_generation_seconds": generation,
        "copy_seconds": copies,
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "all_equal": all(r["equal_to_duckdb"] is True for r in rows),
        "results": rows,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
