"""Benchmark: the web dashboard under load against a static file of the same size (issue 4).

    python benchmarks/web_load.py --scale 10 --clients 50 --seconds 30

It builds (or reuses, under benchmarks/.work/) the demo company at `--scale`, refreshes its KPIs,
starts `kaname serve --no-schedule` on a free port of 127.0.0.1, creates a viewer with an API token
and a signed-in browser session, and times the first (cold) request of each page. Then, in the
same run, `--clients` concurrent clients with keep-alive drive for `--seconds`:

1. the dashboard: the executive, funnel and channels pages (HTML, session cookie) and their JSON
   twins (/api/..., bearer token), each client going round the six in turn;
2. the reference: the executive page's bytes saved as a file and served by a plain Starlette
   `StaticFiles` app under uvicorn (the app's own server stack) in a separate process.

It prints requests, errors, p50/p95/p99 latency and throughput per endpoint and the ratio executive
p95 ÷ static p95 (goal: no errors, executive p95 ≤ 150 ms and ≤ 3× the static file's). The load
client is this Python process (httpx, asyncio): it shares the machine's cores with the servers,
which the result records with the CPU seconds of each process and the machine's load average.

The dashboard caches page data until the data changes, so the first request of a page is reported
apart ("first request"); the load measures warm pages. "1 client" is the median of 20 requests in a
row from one client (no queue). `--profile FILE` records the dashboard server with py-spy during
the dashboard phase (`pip install py-spy`).

First loads (issue 16 §8, goal: every page's first load after a refresh ≤ 1 s at scale 1, ≤ 2 s
at scale 10), before the load, as an admin signed in with a browser session:

1. reference: `kaname serve --no-warm`, each page of FIRST_LOAD_PAGES requested once: every page
   built on request, as before the server warmed pages;
2. `kaname serve` (it warms the heavy pages at start and after every change): once its first
   round is done, `kaname refresh` runs through the server (the CLI forwards it), the benchmark
   waits until the warmer's round after the refresh is done (`/api/cache`), and requests each
   page once: the first load after a refresh. It prints both columns, their ratio, how long the
   refresh and the warming after it took, and the goal. `--skip-first-loads` leaves this out.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

AS_OF = dt.date(2026, 11, 20)
PAGES = ("executive", "funnel", "channels")
FIRST_LOAD_PAGES = (
    "/executive",
    "/department/marketing",
    "/department/inside_sales",
    "/department/sales",
    "/department/customer_success",
    "/funnel",
    "/channels",
    "/tactics",
    "/tree",
    "/trends",
    "/catalog",
    "/kpi/revenue",
    "/attribution",
    "/cohorts",
    "/customers",
    "/plans",
    "/quality",
    "/actions",
    "/alerts",
    "/sources",
    "/import",
)
"""Every dashboard page a person opens from the menu (RFM is on /customers)."""
USERNAME = "bench"
ADMIN = "bench-admin"
WARM_WAIT_SECONDS = 1800
TOKEN_NAME = "web_load benchmark"
GOAL_P95_MS = 150.0
GOAL_RATIO = 3.0
REPEATS = 20
STATIC_SERVER = """
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

app = Starlette(routes=[Mount("/", StaticFiles(directory=sys.argv[1]))])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


# ---------------------------------------------------------------------- workspace and servers
def prepare_workspace(
    scale: float, seed: int, workdir: Path, log: Callable[[str], None]
) -> tuple[Path, float | None]:
    """The demo workspace with its KPIs refreshed; built once, reused when complete."""
    root = (workdir / f"web-scale-{scale:g}-seed-{seed}").resolve()
    ready = root / ".bench-ready"
    if ready.exists():
        return root, None
    from kaname.config import write_config
    from kaname.demo import build_demo

    if root.exists():
        shutil.rmtree(root)  # a build that did not finish
    log(f"building the demo workspace at scale {scale:g} in {root} …")
    start = time.perf_counter()
    ws = build_demo(root, scale=scale, seed=seed, as_of=AS_OF)
    ws.config = ws.config.model_copy(update={"as_of": AS_OF})
    write_config(ws.root, ws.config)
    log("refreshing its KPIs …")
    ws.refresh(full=True)
    ws.close()
    seconds = time.perf_counter() - start
    ready.write_text(f"built in {seconds:.1f} s\n", "utf-8")
    return root, seconds


def bench_user(root: Path, username: str = USERNAME, role: str = "viewer") -> tuple[str, str]:
    """(password, API token) of a benchmark user, made afresh on every run."""
    from kaname.auth.accounts import Accounts
    from kaname.workspace import Workspace

    ws = Workspace.open(root)
    try:
        accounts = Accounts(ws.appdb)
        password = secrets.token_urlsafe(16)
        if any(u["username"] == username for u in accounts.users()):
            accounts.set_password(username, password, "benchmark")
        else:
            accounts.create_user(
                username, password, role=role, display_name="Load benchmark", actor="benchmark"
            )
        user = accounts.authenticate(username, password)
        assert user is not None
        for old in accounts.tokens(user):
            accounts.revoke_token(user, old["id"])
        return password, accounts.create_token(user, TOKEN_NAME)
    finally:
        ws.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(cmd: list[str], probe: str, log_file: Path, wait: float = 180) -> Iterator[int]:
    """Run `cmd` until the block ends; yields its pid once `probe` answers."""
    with log_file.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + wait
        while True:
            if proc.poll() is not None:
                tail = log_file.read_text("utf-8", "replace")[-3000:]
                raise RuntimeError(f"{cmd[:4]} exited with {proc.returncode}:\n{tail}")
            with suppress(httpx.HTTPError):
                if httpx.get(probe, timeout=2).status_code < 500:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{probe} did not answer within {wait:.0f} s")
            time.sleep(0.2)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sign_in(base: str, password: str, username: str = USERNAME) -> str:
    """A browser session the way a person gets one: the login form, its CSRF token, POST."""
    with httpx.Client(base_url=base, timeout=60) as client:
        form = client.get("/login")
        form.raise_for_status()
        found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert found, "no csrf_token on the login page"
        data = {"username": username, "password": password, "csrf_token": found[1], "next": "/"}
        done = client.post("/login", data=data)
        assert done.status_code == 303, f"login answered {done.status_code}"
        return str(client.cookies["kaname_session"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def one_client_ms(endpoints: list[Endpoint], repeats: int) -> dict[str, float]:
    """Median latency of `repeats` requests in a row from one client: the service time with
    no queue (warm: after the first request)."""
    out = {}
    with httpx.Client(timeout=60) as client:
        for ep in endpoints:
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                client.get(ep.url, headers=ep.headers).raise_for_status()
                times.append(time.perf_counter() - start)
            out[ep.name] = round(float(np.median(times)) * 1000, 1)
    return out


# ---------------------------------------------------------------------- first loads
def first_loads(base: str, cookie: str) -> dict[str, float]:
    """Each page of FIRST_LOAD_PAGES requested once, in order: milliseconds."""
    out = {}
    with httpx.Client(base_url=base, timeout=600, headers={"Cookie": cookie}) as client:
        for page in FIRST_LOAD_PAGES:
            start = time.perf_counter()
            response = client.get(page)
            out[page] = round((time.perf_counter() - start) * 1000, 1)
            assert response.status_code == 200, f"{page}: {response.status_code}"
    return out


def cache_state(base: str, cookie: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/api/cache", headers={"Cookie": cookie}, timeout=60)
    response.raise_for_status()
    return dict(response.json())


def wait_warm(base: str, cookie: str, after_rounds: int = 0) -> dict[str, Any]:
    """Wait until the warmer has finished a round after `after_rounds` and is idle."""
    deadline = time.monotonic() + WARM_WAIT_SECONDS
    while True:
        state = cache_state(base, cookie)
        warmer = state["warmer"] or {}
        if warmer.get("rounds", 0) > after_rounds and not warmer.get("warming"):
            return state
        if time.monotonic() > deadline:
            raise RuntimeError(f"the warmer did not finish within {WARM_WAIT_SECONDS} s")
        time.sleep(0.25)


def measure_first_loads(
    root: Path, base_cmd: list[str], port: int, tmp: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    """Phase 1 (no warming: the reference) and phase 2 (first loads after a refresh)."""
    password, _token = bench_user(root, ADMIN, "admin")
    base = f"http://127.0.0.1:{port}"
    log("first loads without warming (reference) …")
    with server([*base_cmd, "--no-warm"], f"{base}/health", tmp / "cold.log"):
        cookie = f"kaname_session={sign_in(base, password, ADMIN)}"
        cold = first_loads(base, cookie)
    log("first loads after a refresh, with warming …")
    with server(base_cmd, f"{base}/health", tmp / "warm.log"):
        cookie = f"kaname_session={sign_in(base, password, ADMIN)}"
        started = time.perf_counter()
        state = wait_warm(base, cookie)
        startup_warm = time.perf_counter() - started
        rounds = state["warmer"]["rounds"]
        start = time.perf_counter()
        refresh = [sys.executable, "-m", "kaname", "refresh", "-w", str(root)]
        subprocess.run(refresh, check=True, capture_output=True)
        refresh_seconds = time.perf_counter() - start
        start = time.perf_counter()
        state = wait_warm(base, cookie, rounds)
        warm_seconds = time.perf_counter() - start
        after = first_loads(base, cookie)
    return {
        "cold_ms": cold,
        "after_refresh_ms": after,
        "startup_warm_seconds": round(startup_warm, 1),
        "refresh_seconds": round(refresh_seconds, 1),
        "warm_after_refresh_seconds": round(warm_seconds, 1),
        "warmer_round": state["warmer"]["last"],
    }


def first_load_goal_ms(scale: float) -> float:
    return 1000.0 if scale <= 1 else 2000.0


def first_load_table(result: dict[str, Any]) -> str:
    loads = result["first_loads"]
    goal = first_load_goal_ms(result["scale"])
    head = ["page", "first load, no warming (reference) ms", "first load after a refresh ms"]
    head += ["ratio", f"goal ≤ {goal:g} ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for page, cold in loads["cold_ms"].items():
        after = loads["after_refresh_ms"][page]
        ratio = round(after / cold, 3) if cold else ""
        met = "met" if after <= goal else "NOT met"
        lines.append(f"| {page} | {cold:,} | {after:,} | {ratio} | {met} |")
    worst = max(loads["after_refresh_ms"].values())
    lines += [
        "",
        f"slowest first load after a refresh {worst:,} ms (goal ≤ {goal:g} ms at scale "
        f"{result['scale']:g}): {'met' if worst <= goal else 'NOT met'}; the refresh (through the "
        f"server) took {loads['refresh_seconds']} s and the warming after it "
        f"{loads['warm_after_refresh_seconds']} s (at start: {loads['startup_warm_seconds']} s)",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------- load
@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    headers: dict[str, str]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failed: int = 0  # no response at all (connection error, timeout)
    errors: int = 0
    error_samples: dict[str, int] = field(default_factory=dict)
    nbytes: int = 0

    def error(self, what: str) -> None:
        self.errors += 1
        self.error_samples[what] = self.error_samples.get(what, 0) + 1


async def _client(
    endpoints: list[Endpoint], first: int, deadline: float, tallies: dict[str, Tally]
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        i = first
        while time.perf_counter() < deadline:
            ep = endpoints[i % len(endpoints)]
            i += 1
            tally = tallies[ep.name]
            start = time.perf_counter()
            try:
                response = await client.get(ep.url, headers=ep.headers)
            except httpx.HTTPError as exc:
                tally.failed += 1
                tally.error(type(exc).__name__)
                continue
            tally.latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                tally.error(f"HTTP {response.status_code}")
            tally.nbytes += len(response.content)


def drive(
    endpoints: list[Endpoint], clients: int, seconds: float
) -> tuple[dict[str, Tally], float]:
    """`clients` keep-alive connections, each going round `endpoints` until `seconds` pass."""
    tallies = {ep.name: Tally() for ep in endpoints}

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_client(endpoints, i, deadline, tallies) for i in range(clients)))

    start = time.perf_counter()
    asyncio.run(run())
    return tallies, time.perf_counter() - start


def summarise(tally: Tally, elapsed: float) -> dict[str, Any]:
    ms = np.array(tally.latencies) * 1000 if tally.latencies else np.array([np.nan])
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    done = len(tally.latencies)
    return {
        "requests": done + tally.failed,
        "errors": tally.errors,
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        "max_ms": round(float(np.max(ms)), 1),
        "requests_per_second": round(done / elapsed, 1),
        "kib_per_response": round(tally.nbytes / max(done, 1) / 1024, 1),
        **({"error_samples": tally.error_samples} if tally.errors else {}),
    }


# ---------------------------------------------------------------------- the benchmark
def run_web_load_benchmark(
    scale: float,
    seed: int,
    workdir: Path,
    clients: int,
    seconds: float,
    profile: Path | None = None,
    log: Callable[[str], None] = print,
    first: bool = True,
) -> dict[str, Any]:
    root, generation = prepare_workspace(scale, seed, workdir, log)
    load_before = round(os.getloadavg()[0], 1)  # other work on the machine skews the latencies
    password, token = bench_user(root)
    port, static_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [sys.executable, "-m", "kaname", "serve", "-w", str(root)]
    serve += ["--host", "127.0.0.1", "--port", str(port), "--no-schedule"]
    with tempfile.TemporaryDirectory(prefix="kaname-web-load-") as tmp:
        loads = measure_first_loads(root, serve, port, Path(tmp), log) if first else None
        log(f"starting kaname serve on {base} …")
        started = time.perf_counter()
        # Without warming: the load measures serving, not the warmer's round beside it.
        cmd = [*serve, "--no-warm"]
        with server(cmd, f"{base}/health", Path(tmp) / "serve.log") as pid:
            startup = time.perf_counter() - started
            session = sign_in(base, password)
            html = {"Cookie": f"kaname_session={session}"}
            api = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            endpoints = [Endpoint(p, f"{base}/{p}", html) for p in PAGES]
            endpoints += [Endpoint(f"/api/{p}", f"{base}/api/{p}", api) for p in PAGES]
            # The page cache is per filters and language: the first page request builds the data
            # (cold); its JSON twin then finds it cached and only serialises.
            cold: dict[str, float] = {}
            executive = b""
            with httpx.Client(timeout=600) as client:
                for ep in endpoints:
                    start = time.perf_counter()
                    response = client.get(ep.url, headers=ep.headers)
                    cold[ep.name] = round((time.perf_counter() - start) * 1000, 1)
                    assert response.status_code == 200, f"{ep.url}: {response.status_code}"
                    if ep.name == "executive":
                        executive = response.content
            single = one_client_ms(endpoints, REPEATS)
            log(f"dashboard: {clients} clients for {seconds:g} s …")
            spy = _start_profile(pid, profile, seconds) if profile else None
            cpu0, own0 = cpu_seconds(pid), own_cpu_seconds()
            tallies, elapsed = drive(endpoints, clients, seconds)
            server_cpu, client_cpu = cpu_seconds(pid) - cpu0, own_cpu_seconds() - own0
            if spy is not None:
                spy.wait()
        static_dir = Path(tmp) / "static"
        static_dir.mkdir()
        (static_dir / "executive.html").write_bytes(executive)
        static_base = f"http://127.0.0.1:{static_port}"
        static_cmd = [sys.executable, "-c", STATIC_SERVER, str(static_dir), str(static_port)]
        log(f"static file of {len(executive):,} bytes: {clients} clients for {seconds:g} s …")
        with server(static_cmd, f"{static_base}/executive.html", Path(tmp) / "static.log") as spid:
            static_ep = Endpoint("static file", f"{static_base}/executive.html", {})
            single.update(one_client_ms([static_ep], REPEATS))
            cpu0, own0 = cpu_seconds(spid), own_cpu_seconds()
            static_tallies, static_elapsed = drive([static_ep], clients, seconds)
            static_cpu, static_client_cpu = cpu_seconds(spid) - cpu0, own_cpu_seconds() - own0

    rows = {name: summarise(t, elapsed) for name, t in tallies.items()}
    rows["static file"] = summarise(static_tallies["static file"], static_elapsed)
    for name, row in rows.items():
        row["one_client_ms"] = single[name]
        if name in cold:
            row["first_request_ms"] = cold[name]
    served = sum(len(t.latencies) for t in tallies.values())
    static_served = len(static_tallies["static file"].latencies)
    errors = sum(r["errors"] for r in rows.values())
    exec_p95, static_p95 = rows["executive"]["p95_ms"], rows["static file"]["p95_ms"]
    ratio = round(exec_p95 / static_p95, 2) if static_p95 else None
    return {
        "scale": scale,
        "clients": clients,
        "seconds": seconds,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_client": "httpx.AsyncClient in this process (shares the cores with the servers)",
        "endpoints": rows,
        "total_requests": sum(r["requests"] for r in rows.values()),
        "total_errors": errors,
        "executive_p95_ms": exec_p95,
        "static_p95_ms": static_p95,
        "ratio_executive_to_static_p95": ratio,
        "goals": {
            "no_errors": errors == 0,
            f"executive_p95_le_{GOAL_P95_MS:g}_ms": exec_p95 <= GOAL_P95_MS,
            f"ratio_le_{GOAL_RATIO:g}": ratio is not None and ratio <= GOAL_RATIO,
        },
        "cpu_seconds": {
            "dashboard_server": round(server_cpu, 1),
            "load_client_during_dashboard": round(client_cpu, 1),
            "static_server": round(static_cpu, 1),
            "load_client_during_static": round(static_client_cpu, 1),
        },
        "server_cpu_ms_per_request": {
            "dashboard": round(server_cpu * 1000 / max(served, 1), 2),
            "static file": round(static_cpu * 1000 / max(static_served, 1), 2),
        },
        "executive_page_bytes": len(executive),
        "server_startup_seconds": round(startup, 1),
        "demo_build_and_refresh_seconds": round(generation, 1) if generation else "reused",
        "first_loads": loads,
    }


def _start_profile(pid: int, path: Path, seconds: float) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    fmt = {".json": "speedscope", ".svg": "flamegraph"}.get(path.suffix, "raw")
    cmd = [py_spy, "record", "-p", str(pid), "-o", str(path), "-f", fmt, "--threads", "--idle"]
    cmd += ["-d", str(max(1, int(seconds))), "-r", "50", "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def table(result: dict[str, Any]) -> str:
    head = ["endpoint", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"]
    head += ["KiB", "1 client ms", "first request ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in result["endpoints"].items():
        cells = [name, f"{r['requests']:,}", r["errors"], r["p50_ms"], r["p95_ms"], r["p99_ms"]]
        cells += [r["max_ms"], r["requests_per_second"], r["kib_per_response"], r["one_client_ms"]]
        cells += [r.get("first_request_ms", "")]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    goals = result["goals"]
    cpu = result["cpu_seconds"]
    lines += [
        "",
        f"executive p95 {result['executive_p95_ms']} ms, static file p95 "
        f"{result['static_p95_ms']} ms: ratio {result['ratio_executive_to_static_p95']} "
        f"(goal ≤ {GOAL_RATIO:g}); errors {result['total_errors']}",
        "goals: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in goals.items()),
        f"{result['clients']} clients × {result['seconds']:g} s per phase on "
        f"{result['cpus']} cores shared by the load client and the server (1-min load "
        f"average before the run {result['load_average_before']}): CPU seconds "
        f"dashboard server {cpu['dashboard_server']} + client {cpu['load_client_during_dashboard']}"
        f"; static server {cpu['static_server']} + client {cpu['load_client_during_static']}",
        "server CPU per request: dashboard {dashboard} ms, static file {static file} ms".format(
            **result["server_cpu_ms_per_request"]
        ),
    ]
    if result.get("first_loads"):
        lines += ["", first_load_table(result)]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy profile of the dashboard phase: .svg, .json (speedscope), else raw stacks",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--skip-first-loads", action="store_true", help="leave out the first-load phases"
    )
    args = parser.parse_args()
    say = (lambda m: print(m, file=sys.stderr)) if args.json else print
    outcome = run_web_load_benchmark(
        args.scale,
        args.seed,
        args.workdir,
        args.clients,
        args.seconds,
        args.profile,
        say,
        first=not args.skip_first_loads,
    )
    print(json.dumps(outcome, indent=2) if args.json else table(outcome))
