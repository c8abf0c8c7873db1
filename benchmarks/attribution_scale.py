"""`kaname attribution -m markov -m linear` on the demo company against one hand-written DuckDB
query that builds every lead's path and counts the distinct paths (see docs/benchmarks.md).

    python benchmarks/attribution_scale.py --scale 10        # make bench-scale
    python benchmarks/attribution_scale.py --scale 1 --runs 3

Both sides run in a fresh child process each (so each has its own peak RSS, read with wait4),
one after another, best of `--runs`. The reference reads the same journeys as Kaname (lead level,
deals, as of the demo date, passive touches left out, touches up to the outcome); the script
checks that its distinct paths, journeys, conversions and value equal Kaname's before timing.
It also times the CLI's start-up alone (`import kaname.cli.main`), which is a fixed cost.
`--memory-limit` sets the workspace's `duckdb_memory_limit` (kaname.yaml) before timing, e.g.
`auto` for DuckDB's own default; the reference always runs with DuckDB's defaults.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

AS_OF = dt.date(2026, 3, 31)

REFERENCE_SQL = """
WITH t AS (
  SELECT lead_id, touchpoint_id, occurred_at, coalesce(channel, 'unknown') AS channel
  FROM touchpoints
  WHERE type NOT IN ('email_sent', 'email_delivered') AND lead_id IS NOT NULL
    AND occurred_at < TIMESTAMP '{cutoff}'
),
o AS (
  SELECT lead_id, created_at, closed_at, is_won, amount FROM opportunities
  WHERE (type IS NULL OR type = 'new_business') AND lead_id IS NOT NULL
  QUALIFY row_number() OVER (
    PARTITION BY lead_id ORDER BY created_at NULLS LAST, opportunity_id) = 1
),
first_opp AS (
  SELECT lead_id,
         CASE WHEN closed_at < TIMESTAMP '{cutoff}' THEN closed_at END AS closed_at,
         closed_at < TIMESTAMP '{cutoff}' AND coalesce(is_won, false) AS won,
         coalesce(amount, 0) AS amount
  FROM o WHERE created_at < TIMESTAMP '{cutoff}'
),
journeys AS (
  SELECT lead_id, coalesce(f.closed_at, max(t.occurred_at)) AS ended_at,
         coalesce(any_value(f.won), false) AS won, any_value(f.amount) AS amount,
         any_value(f.lead_id) IS NOT NULL AS has_opp
  FROM t LEFT JOIN first_opp f USING (lead_id)
  GROUP BY lead_id, f.closed_at
  HAVING NOT has_opp OR f.closed_at IS NOT NULL
),
paths AS (
  SELECT lead_id, string_agg(channel, ' > ' ORDER BY occurred_at, touchpoint_id) AS path,
         any_value(won) AS won, any_value(amount) AS amount
  FROM t JOIN journeys j USING (lead_id)
  WHERE t.occurred_at <= j.ended_at
  GROUP BY lead_id
)
SELECT path, count(*) AS journeys, count(*) FILTER (WHERE won) AS conversions,
       coalesce(sum(amount) FILTER (WHERE won), 0) AS value
FROM paths GROUP BY path
"""

REFERENCE_CHILD = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")
frame = con.sql(sys.argv[2]).df()
print(json.dumps({"paths": len(frame), "journeys": int(frame["journeys"].sum()),
                  "conversions": float(frame["conversions"].sum()),
                  "value": float(frame["value"].sum())}))
"""


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child process: its wall seconds, its own peak RSS (GiB, from wait4) and stdout."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[:4])} failed:\n{err.read().decode()[-3000:]}")
    return wall, usage.ru_maxrss / 1024 / 1024, out.decode()


def _kaname_paths(root: Path) -> dict[str, Any]:
    """Kaname's distinct paths for the same journeys (checked against the reference)."""
    from kaname.workspace import Workspace

    ws = Workspace.open(root)
    try:
        frame = ws.analytics.path_counts("lead")
        return {"paths": len(frame), **frame.attrs}
    finally:
        ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument(
        "--memory-limit", help="set duckdb_memory_limit in the workspace's kaname.yaml first"
    )
    args = parser.parse_args()

    from kaname.config import load_config, update_config
    from kaname.demo import build_demo

    root = (args.workdir / f"scale-{args.scale:g}-seed-{args.seed}").resolve()
    generation: float | str = "reused"
    if not (root / "kaname.yaml").exists():
        print(f"building demo workspace at scale {args.scale:g} in {root} …", file=sys.stderr)
        start = time.perf_counter()
        build_demo(root, scale=args.scale, seed=args.seed, as_of=AS_OF).close()
        generation = round(time.perf_counter() - start, 1)
    if args.memory_limit:
        update_config(root, {"duckdb_memory_limit": args.memory_limit})
    memory_limit = load_config(root).duckdb_memory_limit
    load_before = os.getloadavg()
    warehouse = str(root / "warehouse.duckdb")
    cutoff = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time()).isoformat(sep=" ")
    sql = REFERENCE_SQL.format(cutoff=cutoff)
    env = dict(os.environ)

    reference_argv = [sys.executable, "-c", REFERENCE_CHILD, warehouse, sql]
    _, _, out = _timed(reference_argv, env)
    reference = json.loads(out)
    kaname = _kaname_paths(root)
    same = reference["paths"] == kaname["paths"] and all(
        abs(reference[k] - kaname[k]) <= 1e-9 * max(1.0, abs(reference[k]))
        for k in ("journeys", "conversions", "value")
    )
    cli_argv = [sys.executable, "-m", "kaname", "attribution", "-m", "markov", "-m", "linear"]
    cli_argv += ["--workspace", str(root), "--json"]

    cli = min((_timed(cli_argv, env) for _ in range(args.runs)), key=lambda r: r[0])
    startup_argv = [sys.executable, "-c", "import kaname.cli.main"]
    startup = min(_timed(startup_argv, env)[0] for _ in range(args.runs))
    ref = min((_timed(reference_argv, env) for _ in range(args.runs)), key=lambda r: r[0])
    credit = json.loads(cli[2])
    result = {
        "scale": args.scale,
        "journeys": kaname["journeys"],
        "distinct_paths": kaname["paths"],
        "same_paths_as_reference": same,
        "credited_value_markov": round(
            sum(r["value"] for r in credit if r["model"] == "markov"), 2
        ),
        "kaname_seconds": round(cli[0], 2),
        "reference_seconds": round(ref[0], 2),
        "ratio": round(cli[0] / ref[0], 2),
        "kaname_startup_seconds": round(startup, 2),
        "ratio_without_startup": round((cli[0] - startup) / ref[0], 2),
        "kaname_peak_rss_gib": round(cli[1], 2),
        "reference_peak_rss_gib": round(ref[1], 2),
        "runs": args.runs,
        "duckdb_memory_limit": memory_limit,
        "demo_generation_seconds": generation,
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
