"""Benchmark: the metric engine against hand-written DuckDB SQL computing the same numbers.

Run with `kaname bench refresh --scale 10` or `make bench`. It builds (or reuses) a demo workspace,
times a refresh of the funnel and channel KPIs by month × channel through the engine, and, in the
same run, one hand-written SQL statement; checks the numbers are equal and prints the ratio.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kaname.metrics.calendar import Grain
from kaname.metrics.engine import MetricQuery, forget_sql

FUNNEL_CHANNEL_KPIS = (
    "leads",
    "mqls",
    "sqls",
    "opportunities",
    "deals",
    "revenue",
    "mql_rate",
    "sql_rate",
    "opportunity_rate",
    "win_rate",
    "cpa",
    "cost_per_mql",
    "cac",
    "roas",
    "romi",
    "cvr",
    "average_deal_size",
)

REFERENCE_SQL = """
WITH l AS (SELECT date_trunc('month', created_at)::DATE AS m, channel, count(*) AS leads
           FROM leads GROUP BY ALL),
q AS (SELECT date_trunc('month', mql_at)::DATE AS m, channel, count(*) AS mqls
      FROM leads WHERE mql_at IS NOT NULL GROUP BY ALL),
s AS (SELECT date_trunc('month', sql_at)::DATE AS m, channel, count(*) AS sqls
      FROM leads WHERE sql_at IS NOT NULL GROUP BY ALL),
o AS (SELECT date_trunc('month', created_at)::DATE AS m, channel, count(*) AS opportunities
      FROM opportunities WHERE type = 'new_business' GROUP BY ALL),
c AS (SELECT date_trunc('month', closed_at)::DATE AS m, channel,
             count(*) FILTER (WHERE is_won) AS deals, count(*) AS closed,
             sum(amount) FILTER (WHERE is_won) AS revenue,
             sum(amount) FILTER (WHERE is_won AND channel = 'paid_ads') AS paid_revenue
      FROM opportunities WHERE type = 'new_business' AND closed_at IS NOT NULL GROUP BY ALL),
sp AS (SELECT date_trunc('month', date)::DATE AS m, channel, sum(cost) AS spend,
              sum(cost) FILTER (WHERE channel = 'paid_ads') AS ad_spend
       FROM spend GROUP BY ALL),
w AS (SELECT date_trunc('month', date)::DATE AS m, channel, sum(sessions) AS sessions
      FROM web_traffic GROUP BY ALL),
k AS (SELECT m, channel FROM l UNION SELECT m, channel FROM q UNION SELECT m, channel FROM s
      UNION SELECT m, channel FROM o UNION SELECT m, channel FROM c
      UNION SELECT m, channel FROM sp UNION SELECT m, channel FROM w),
j AS (SELECT k.m, k.channel,
        coalesce(leads, 0) AS leads, coalesce(mqls, 0) AS mqls, coalesce(sqls, 0) AS sqls,
        coalesce(opportunities, 0) AS opportunities, coalesce(deals, 0) AS deals,
        coalesce(closed, 0) AS closed, coalesce(revenue, 0) AS revenue,
        coalesce(paid_revenue, 0) AS paid_revenue, coalesce(spend, 0) AS spend,
        coalesce(ad_spend, 0) AS ad_spend, coalesce(sessions, 0) AS sessions
      FROM k LEFT JOIN l USING (m, channel) LEFT JOIN q USING (m, channel)
      LEFT JOIN s USING (m, channel) LEFT JOIN o USING (m, channel)
      LEFT JOIN c USING (m, channel) LEFT JOIN sp USING (m, channel)
      LEFT JOIN w USING (m, channel))
SELECT m AS period_start, channel, leads, mqls, sqls, opportunities, deals, revenue,
  mqls / nullif(leads, 0) AS mql_rate, sqls / nullif(mqls, 0) AS sql_rate,
  opportunities / nullif(sqls, 0) AS opportunity_rate, deals / nullif(closed, 0) AS win_rate,
  spend / nullif(leads, 0) AS cpa, spend / nullif(mqls, 0) AS cost_per_mql,
  spend / nullif(deals, 0) AS cac, paid_revenue / nullif(ad_spend, 0) AS roas,
  (revenue - spend) / nullif(spend, 0) AS romi, leads / nullif(sessions, 0) AS cvr,
  revenue / nullif(deals, 0) AS average_deal_size
FROM j
"""


def _best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def run_refresh_benchmark(
    scale: float, seed: int, workdir: Path, runs: int = 7, log: Callable[[str], None] = print
) -> dict[str, Any]:
    from kaname.demo import build_demo
    from kaname.workspace import Workspace

    root = workdir / f"scale-{scale:g}-seed-{seed}"
    as_of = dt.date(2026, 3, 31)
    generation = None
    if not (root / "kaname.yaml").exists():
        log(f"building demo workspace at scale {scale:g} in {root} …")
        start = time.perf_counter()
        build_demo(root, scale=scale, seed=seed, as_of=as_of).close()
        generation = time.perf_counter() - start
    ws = Workspace.open(root)
    counts = ws.warehouse.row_counts()
    engine = ws.engine()
    window = engine.window()
    assert window is not None, "the benchmark workspace is empty"
    query = MetricQuery(FUNNEL_CHANNEL_KPIS, Grain.MONTH, window[0], window[1], ("channel",))
    log("timing the engine and the hand-written SQL …")
    con = ws.warehouse.con.con  # the raw duckdb connection Ibis wraps
    # The reference's first run reads the tables into DuckDB's buffers (once per process).
    reference_first_s, _ = _best_of(1, lambda: con.sql(REFERENCE_SQL).df())
    # Then the engine's first request in this process, of a shape it has never seen: building
    # the SQL (metrics/group_sql.py), every first-use cost of Ibis, sqlglot and pandas, and the
    # query.
    first_s, _ = _best_of(1, lambda: engine.compute(query))

    # A shape this (now warm) process has not seen: the SQL is built again.
    def new_shape() -> pd.DataFrame:
        forget_sql()
        return engine.compute(query)

    # Rounds alternate the three, so that a machine whose load changes during the run slows
    # them alike; each keeps its best round.
    engine_s = sql_s = new_shape_s = float("inf")
    frame = reference = pd.DataFrame()
    for _ in range(runs):
        seconds, frame = _best_of(1, lambda: engine.compute(query))
        engine_s = min(engine_s, seconds)
        seconds, reference = _best_of(1, lambda: con.sql(REFERENCE_SQL).df())
        sql_s = min(sql_s, seconds)
        seconds, _ = _best_of(1, new_shape)
        new_shape_s = min(new_shape_s, seconds)
    equal = _same_numbers(frame, reference)
    ws.close()  # the fresh processes open the workspace themselves (DuckDB locks its file)
    log("timing each first request in a fresh process …")
    engine_cold_s = _in_fresh_process(root, "engine")
    reference_cold_s = _in_fresh_process(root, "reference")
    result = {
        "scale": scale,
        "leads": counts["leads"],
        "touchpoints": counts["touchpoints"],
        "kpis": len(FUNNEL_CHANNEL_KPIS),
        "engine_first_run_seconds": round(first_s, 3),
        "engine_seconds": round(engine_s, 3),
        "reference_sql_seconds": round(sql_s, 3),
        "ratio_engine_to_sql": round(engine_s / sql_s, 2),
        "ratio_first_run_to_sql": round(first_s / sql_s, 2),
        "reference_first_run_seconds": round(reference_first_s, 3),
        "engine_cold_process_seconds": round(engine_cold_s, 3),
        "reference_cold_process_seconds": round(reference_cold_s, 3),
        "ratio_cold_processes": round(engine_cold_s / reference_cold_s, 2),
        "engine_new_shape_seconds": round(new_shape_s, 3),
        "ratio_new_shape_to_sql": round(new_shape_s / sql_s, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "numbers_equal": equal,
        "peak_rss_gib": round(_peak_rss_gib(), 2),
        "demo_generation_seconds": round(generation, 1) if generation is not None else "reused",
    }
    return result


def first_request(root: Path, which: str) -> float:
    """Seconds of the first engine request, or of the first run of the reference, in this
    process: nothing is warm but the operating system's file cache."""
    from kaname.workspace import Workspace

    ws = Workspace.open(root)
    engine = ws.engine()
    window = engine.window()
    assert window is not None, "the benchmark workspace is empty"
    query = MetricQuery(FUNNEL_CHANNEL_KPIS, Grain.MONTH, window[0], window[1], ("channel",))
    con = ws.warehouse.con.con
    if which == "engine":
        seconds, _ = _best_of(1, lambda: engine.compute(query))
    else:
        seconds, _ = _best_of(1, lambda: con.sql(REFERENCE_SQL).df())
    ws.close()
    return seconds


def _in_fresh_process(root: Path, which: str) -> float:
    code = (
        "import sys; from pathlib import Path; from kaname.demo.bench import first_request; "
        "print(first_request(Path(sys.argv[1]), sys.argv[2]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(root), which], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def _same_numbers(frame: pd.DataFrame, reference: pd.DataFrame) -> bool:
    wide = frame.pivot_table(
        index=["period_start", "channel"],
        columns="kpi",
        values="value",
        dropna=False,
        aggfunc="first",
    )
    ref = reference.copy()
    ref["period_start"] = pd.to_datetime(ref["period_start"]).dt.date
    ref = ref.set_index(["period_start", "channel"]).sort_index()
    wide = wide.reindex(ref.index)
    for kpi in FUNNEL_CHANNEL_KPIS:
        a = wide[kpi].to_numpy(dtype="float64")
        b = ref[kpi].to_numpy(dtype="float64")
        if not np.allclose(a, b, rtol=1e-9, equal_nan=True):
            return False
    return True
