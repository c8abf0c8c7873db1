"""Benchmark: order-1 Markov attribution and the BG/NBD fit at scale (see docs/benchmarks.md).

1. Markov attribution of N synthetic journeys over 12 channels: Kaname's exact removal effects
   (`kaname.analytics.attribution`) against the ChannelAttribution package's simulated
   `markov_model` on the same paths file in the same run. Prints both times, the ratio (goal:
   Kaname ≥ 5× faster) and the credits side by side (goal: within 3% on channels with ≥ 5%
   share). ChannelAttribution runs twice: with settings precise enough for that comparison, and
   with its documented defaults (fixed seed), whose own simulation error is then shown.
2. BG/NBD fitted to N synthetic customers simulated from known parameters: fit time
   (goal < 10 s) and recovered vs true parameters.

ChannelAttribution is GPL-3 and never a dependency of Kaname: this script installs it with pip
into its own virtual environment (benchmarks/.work/ca-venv) and calls its public `markov_model`
there, in a subprocess. If it cannot be installed the error is reported and the exact credits are
checked against a numpy Monte-Carlo simulation of the same chain instead.

    python benchmarks/attribution.py --paths 1000000 --customers 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import venv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kaname.analytics.attribution import attribute, markov_chain
from kaname.analytics.clv import fit_bgnbd

CHANNELS = (
    "organic_search",
    "paid_search",
    "display",
    "video",
    "paid_social",
    "organic_social",
    "email",
    "webinar",
    "events",
    "referral",
    "affiliate",
    "direct",
)
# Funnel stage of each channel (0 awareness, 1 consideration, 2 decision): journeys mostly stay
# in a stage or move to the next one, rarely back. START weighs the first touch, LIFT is each
# channel's effect on the log-odds of converting.
STAGE = np.array([1, 1, 0, 0, 0, 0, 1, 2, 2, 1, 0, 2])
START = np.array([16, 12, 14, 6, 12, 6, 4, 1, 2, 8, 6, 13], dtype="float64")
LIFT = np.array([0.3, 0.4, -0.2, 0.0, 0.0, 0.1, 0.5, 0.8, 0.7, 0.5, 0.2, 0.4])
VALUES = np.array([60_000, 180_000, 600_000, 1_800_000], dtype="float64")  # plan tiers (yen)
CONVERSION_RATE = 0.04
MAX_LENGTH = 10

# ChannelAttribution's markov_model parameters (its documentation): the simulation starts with
# nsim_start paths split over nfold repetitions and grows ×rate_step_sim until the repetitions
# differ by less than conv_par (share of conversions); max_step caps a simulated path's steps.
CA_PRECISE = {
    "order": 1,
    "nsim_start": 1_000_000,
    "conv_par": 0.01,
    "max_step": 100,
    "seed": 42,
    "ncore": 1,
}
CA_DEFAULTS = {"order": 1, "seed": 42, "ncore": 1}  # nsim_start 1e5, conv_par 0.05, max_step None
BGNBD_TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW's published fit

CA_RUNNER = """
import json, sys, time
import pandas as pd
from ChannelAttribution import markov_model

paths_file, settings, repeat, out_file = sys.argv[1:5]
data = pd.read_csv(paths_file)
runs = []
for _ in range(int(repeat)):
    wall, cpu = time.perf_counter(), time.process_time()
    res = markov_model(data, "path", "conversions", var_value="value", var_null="nulls",
                       verbose=False, flg_pro=False, **json.loads(settings))
    runs.append((time.perf_counter() - wall, time.process_time() - cpu))
credit = (res["result"] if isinstance(res, dict) else res).set_index("channel_name")
with open(out_file, "w") as f:
    json.dump({"runs": runs, "conversions": credit["total_conversions"].to_dict(),
               "value": credit["total_conversion_value"].to_dict()}, f)
"""


# ---------------------------------------------------------------------------- synthetic data
def synthetic_paths(n: int, seed: int) -> pd.DataFrame:
    """One row per journey: `path` ("a > b > c", 1–10 touches), conversions, nulls, value."""
    rng = np.random.default_rng(seed)
    k = len(CHANNELS)
    gap = STAGE[None, :] - STAGE[:, None]
    bias = np.select([gap == 0, gap == 1, gap > 1], [3.0, 2.5, 0.7], 0.4)
    move = rng.dirichlet(np.full(k, 0.8), size=k) * bias
    move[np.arange(k), np.arange(k)] += 0.15 * move.sum(axis=1)  # some repeated touches
    cum_move = np.cumsum(move / move.sum(axis=1, keepdims=True), axis=1)
    lengths = np.minimum(rng.geometric(0.38, size=n), MAX_LENGTH)
    touches = np.full((n, MAX_LENGTH), -1, dtype=np.int64)
    first = np.cumsum(START / START.sum())
    touches[:, 0] = np.minimum(np.searchsorted(first, rng.random(n), side="right"), k - 1)
    for step in range(1, MAX_LENGTH):
        active = np.flatnonzero(lengths > step)
        u = rng.random(len(active))
        nxt = (u[:, None] > cum_move[touches[active, step - 1]]).sum(axis=1)
        touches[active, step] = np.minimum(nxt, k - 1)
    seen = np.zeros((n, k), dtype=bool)
    for step in range(MAX_LENGTH):
        hit = np.flatnonzero(touches[:, step] >= 0)
        seen[hit, touches[hit, step]] = True
    logit = seen @ LIFT + 0.2 * (lengths - 1)
    lo, hi = -15.0, 5.0  # bisect the intercept that gives CONVERSION_RATE
    for _ in range(50):
        mid = (lo + hi) / 2
        too_low = (1 / (1 + np.exp(-(logit + mid)))).mean() < CONVERSION_RATE
        lo, hi = (mid, hi) if too_low else (lo, mid)
    converted = rng.random(n) < 1 / (1 + np.exp(-(logit + lo)))
    tier = rng.choice(len(VALUES), n, p=[0.5, 0.3, 0.15, 0.05])
    labels = np.array([*CHANNELS, ""], dtype=object)[touches]  # -1 → ""
    path = labels[:, 0]
    for step in range(1, MAX_LENGTH):
        path = np.where(lengths > step, path + " > " + labels[:, step], path)
    return pd.DataFrame(
        {
            "path": path.astype(str),
            "conversions": converted.astype(np.int64),
            "nulls": (~converted).astype(np.int64),
            "value": np.where(converted, VALUES[tier], 0.0),
        }
    )


def synthetic_customers(n: int, seed: int) -> pd.DataFrame:
    """BG/NBD customers drawn from BGNBD_TRUE, observed for T weeks (26–78) after their first
    purchase: frequency (repeat purchases), recency (week of the last one) and T."""
    rng = np.random.default_rng(seed)
    p = BGNBD_TRUE
    rate = rng.gamma(p["r"], 1 / p["alpha"], size=n)
    drop = rng.beta(p["a"], p["b"], size=n)
    T = rng.uniform(26, 78, size=n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    now = np.zeros(n)
    alive = np.arange(n)
    while len(alive):
        now[alive] += rng.exponential(1 / rate[alive])
        alive = alive[now[alive] <= T[alive]]
        x[alive] += 1
        t_x[alive] = now[alive]
        alive = alive[rng.random(len(alive)) >= drop[alive]]  # may drop out after a purchase
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


# ---------------------------------------------------------------------------- the references
def install_channel_attribution(workdir: Path) -> tuple[Path | None, str]:
    """ChannelAttribution in its own venv, never Kaname's: its python, or the install error."""
    env = workdir / "ca-venv"
    python = env / "bin" / "python"
    check = [str(python), "-c", "import ChannelAttribution"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, ""
    venv.create(env, with_pip=True, clear=True)
    # ChannelAttribution 2.2.5 imports matplotlib without declaring it.
    install = [str(python), "-m", "pip", "install", "-q", "ChannelAttribution", "matplotlib"]
    for command in (install, check):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            return None, (done.stderr or done.stdout).strip()[-3000:]
    return python, ""


def run_channel_attribution(
    python: Path, paths_file: Path, settings: dict[str, Any], repeat: int, name: str
) -> dict[str, Any]:
    out_file = paths_file.with_name(f"{paths_file.stem}.{name}.json")
    command = [str(python), "-c", CA_RUNNER, str(paths_file), json.dumps(settings), str(repeat)]
    done = subprocess.run([*command, str(out_file)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ChannelAttribution failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out_file.read_text())
    return result


def monte_carlo_credits(frame: pd.DataFrame, sims: int, seed: int) -> dict[str, float]:
    """Independent check without ChannelAttribution: walk `sims` journeys through the order-1
    chain estimated from the paths; a channel's removal effect is the share of converting walks
    that touched it (removing it sends them to the null state). Credits ∝ removal effects."""
    chain = markov_chain(frame, order=1)
    n = len(chain.states)
    step = np.zeros((n, n + 2))  # transient states, then conversion and null
    step[:, :n] = chain.transitions.toarray()
    step[:, n] = chain.to_conversion
    step[:, n + 1] = np.clip(1 - step.sum(axis=1), 0, None)
    cum = np.cumsum(step / step.sum(axis=1, keepdims=True), axis=1)
    rng = np.random.default_rng(seed)
    state = np.zeros(sims, dtype=np.int64)
    visited = np.zeros((sims, n), dtype=bool)
    converted = np.zeros(sims, dtype=bool)
    walking = np.arange(sims)
    while len(walking):
        nxt = np.minimum(
            (rng.random(len(walking))[:, None] > cum[state[walking]]).sum(axis=1), n + 1
        )
        converted[walking[nxt == n]] = True
        walking, nxt = walking[nxt < n], nxt[nxt < n]
        state[walking] = nxt
        visited[walking, nxt] = True
    effect = visited[converted].mean(axis=0)[chain.contains.argmax(axis=0)]  # order 1: a state each
    total = float(frame["conversions"].sum())
    return {c: float(e / effect.sum() * total) for c, e in zip(chain.channels, effect, strict=True)}


# ---------------------------------------------------------------------------- benchmarks
def timed(call: Any, repeat: int) -> tuple[Any, list[tuple[float, float]]]:
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = call()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return out, runs


def best(runs: list[tuple[float, float]]) -> dict[str, float]:
    wall, cpu = min(runs)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}


def side_by_side(credit: pd.DataFrame, reference: dict[str, Any], name: str) -> dict[str, Any]:
    rows = []
    for channel, row in credit.iterrows():
        ref = float(reference["conversions"][channel])
        rows.append(
            {
                "channel": channel,
                "share": round(float(row["share"]), 4),
                "kaname": round(float(row["conversions"]), 1),
                name: round(ref, 1),
                "difference": round(float(row["conversions"]) / ref - 1, 4),
            }
        )
        if "value" in reference:
            ref_value = float(reference["value"][channel])
            rows[-1]["value_difference"] = round(float(row["value"]) / ref_value - 1, 4)
    large = [r for r in rows if r["share"] >= 0.05]
    out: dict[str, Any] = {
        "credits": rows,
        "max_difference_large_channels": max(abs(r["difference"]) for r in large),
        "max_difference_all_channels": max(abs(r["difference"]) for r in rows),
    }
    if "value" in reference:
        out["max_value_difference_large_channels"] = max(abs(r["value_difference"]) for r in large)
    return out


def bench_attribution(n_paths: int, seed: int, workdir: Path, repeat: int) -> dict[str, Any]:
    work = workdir / "attribution"
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    paths_file = work / f"paths_{n_paths}_{seed}.csv"
    synthetic_paths(n_paths, seed).to_csv(paths_file, index=False)
    generation = time.perf_counter() - start
    frame = pd.read_csv(paths_file)  # both tools start from this file, read outside the timing
    lengths = frame["path"].str.count(">") + 1
    credit, runs = timed(lambda: attribute(frame, "markov", order=1), repeat)
    kaname = best(runs)
    out: dict[str, Any] = {
        "paths": n_paths,
        "distinct_paths": int(frame["path"].nunique()),
        "touches": int(lengths.sum()),
        "channels": len(CHANNELS),
        "path_length_mean": round(float(lengths.mean()), 2),
        "conversion_rate": round(float(frame["conversions"].mean()), 4),
        "paths_file": str(paths_file),
        "generation_s": round(generation, 2),
        "kaname": kaname,
    }
    credit = credit.set_index("channel")
    python, error = install_channel_attribution(workdir)
    if python is None:
        out["channel_attribution_error"] = error
        sims = 2_000_000
        reference = {"conversions": monte_carlo_credits(frame, sims, seed)}
        out["reference"] = f"numpy Monte-Carlo, {sims:,} walks"
        out |= side_by_side(credit, reference, "monte_carlo")
        out["goals"] = {
            "kaname_5x_faster": None,
            "within_3pct_large_channels": out["max_difference_large_channels"] <= 0.03,
        }
        return out
    for name, settings in (("precise", CA_PRECISE), ("defaults", CA_DEFAULTS)):
        result = run_channel_attribution(python, paths_file, settings, repeat, name)
        timing = best([tuple(r) for r in result["runs"]])
        compared = side_by_side(credit, result, "channel_attribution")
        out[f"channel_attribution_{name}"] = {
            "settings": settings,
            **timing,
            "ratio_wall": round(timing["wall_s"] / kaname["wall_s"], 1),
            "ratio_cpu": round(timing["cpu_s"] / kaname["cpu_s"], 1),
            **(
                compared
                if name == "precise"
                else {k: v for k, v in compared.items() if k != "credits"}
            ),
        }
    precise = out["channel_attribution_precise"]
    out["goals"] = {
        "kaname_5x_faster": precise["ratio_wall"] >= 5,
        "within_3pct_large_channels": precise["max_difference_large_channels"] <= 0.03,
    }
    return out


def bench_bgnbd(n_customers: int, seed: int, repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    customers = synthetic_customers(n_customers, seed)
    generation = time.perf_counter() - start
    columns = [customers[c].to_numpy() for c in ("frequency", "recency", "T")]
    fit, runs = timed(lambda: fit_bgnbd(*columns), repeat)
    timing = best(runs)
    params = {}
    for name, true in BGNBD_TRUE.items():
        got = float(getattr(fit, name))
        params[name] = {"true": true, "fitted": round(got, 4), "error": round(got / true - 1, 4)}
    return {
        "customers": n_customers,
        "repeat_buyers": round(float((customers["frequency"] > 0).mean()), 4),
        "mean_frequency": round(float(customers["frequency"].mean()), 3),
        "generation_s": round(generation, 2),
        "fit": timing,
        "parameters": params,
        "goals": {"fit_under_10s": timing["wall_s"] < 10},
    }


def report(result: dict[str, Any]) -> str:
    a, b = result["attribution"], result["bgnbd"]
    k = a["kaname"]
    lines = [
        f"Markov order 1: {a['paths']:,} paths ({a['distinct_paths']:,} distinct), "
        f"{a['touches']:,} touches, {a['channels']} channels, conversion rate "
        f"{a['conversion_rate']:.1%}; best of {result['repeat']}, wall (CPU) seconds; "
        f"load average at start {result['load_average']}",
        f"  Kaname, exact                       {k['wall_s']:7.2f} ({k['cpu_s']:.2f})",
    ]
    if "channel_attribution_error" in a:
        lines.append(f"  ChannelAttribution not installed: {a['channel_attribution_error'][-500:]}")
        ref = "monte_carlo"
    else:
        ref = "channel_attribution"
        for name in ("precise", "defaults"):
            c = a[f"channel_attribution_{name}"]
            lines.append(
                f"  ChannelAttribution, {name:<9} {c['wall_s']:13.2f} ({c['cpu_s']:.2f})  "
                f"ratio {c['ratio_wall']}× ({c['ratio_cpu']}×), max difference on large "
                f"channels {c['max_difference_large_channels']:.2%}"
            )
        a = a["channel_attribution_precise"]
    lines.append(f"  {'channel':<16}{'share':>7}{'Kaname':>11}{ref:>22}{'diff':>8}")
    for row in a["credits"]:
        lines.append(
            f"  {row['channel']:<16}{row['share']:>7.1%}{row['kaname']:>11,.1f}"
            f"{row[ref]:>22,.1f}{row['difference']:>8.2%}"
        )
    lines.append(
        f"BG/NBD: {b['customers']:,} customers, fit {b['fit']['wall_s']:.2f} s wall "
        f"({b['fit']['cpu_s']:.2f} s CPU)"
    )
    for name, p in b["parameters"].items():
        lines.append(f"  {name:<6} true {p['true']:<7} fitted {p['fitted']:<8} ({p['error']:+.2%})")
    lines.append(f"goals: {json.dumps(result['goals'])}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="timed calls; the best is kept")
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    load = [round(x, 1) for x in os.getloadavg()]
    attribution = bench_attribution(args.paths, args.seed, args.workdir, args.repeat)
    bgnbd = bench_bgnbd(args.customers, args.seed, args.repeat)
    result = {
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "load_average": load,
        "goals": attribution["goals"] | bgnbd["goals"],
        "attribution": attribution,
        "bgnbd": bgnbd,
    }
    print(json.dumps(result, indent=2) if args.json else report(result))


if __name__ == "__main__":
    main()
