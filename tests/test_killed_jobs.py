"""kill -9 of `kaname refresh`, `kaname import` and `kaname sync`: the real CLI in a
subprocess, killed with SIGKILL where the damage used to happen, then run again; the result must
equal a clean run's.

The subprocess pauses at a named function (`_STALL` below) so the kill lands at the same place
every time: inside a refresh job (after the old code had deleted that job's values) and inside
lead scoring (after the old code had marked the import finished). A sync is held mid-way by its
fake source, a local fake HubSpot that keeps one page back until the test lets it go; two syncs
of one source at once are run against it too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from fixture_company import load
from kaname.config import WorkspaceConfig
from kaname.metrics.catalog import Kpi
from kaname.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parent / "ingest" / "connectors"))

from connector_fakes import FakeHubSpot, Response

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[1] / "src"
_STALL = """
import importlib, os, sys, time
module, _, name = os.environ["STALL_AT"].partition(":")
owner, _, attr = name.rpartition(".")
target = importlib.import_module(module)
holder = getattr(target, owner) if owner else target
original = getattr(holder, attr)
calls = 0
def stalled(*args, **kwargs):
    global calls
    calls += 1
    if calls == int(os.environ["STALL_CALL"]):
        print("stalled", flush=True)
        time.sleep(600)
    return original(*args, **kwargs)
setattr(holder, attr, stalled)
from kaname.cli.main import app
sys.argv[0] = "kaname"
app()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return env


def _kaname(*args: str | Path) -> str:
    """Run the CLI to the end; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "kaname", *map(str, args)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _kaname_killed(stall_at: str, *args: str | Path, call: int = 1) -> None:
    """Run the CLI until the `call`-th call of `stall_at` (module:attribute), then SIGKILL it."""
    env = _env() | {"STALL_AT": stall_at, "STALL_CALL": str(call)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _STALL, *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "stalled":
                break
        else:
            pytest.fail(f"the command ended before {stall_at}: {proc.stderr.read()}")  # type: ignore[union-attr]
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        assert proc.returncode == -signal.SIGKILL


def _workspace(root: Path) -> Path:
    ws = Workspace.init(root, WorkspaceConfig(as_of=dt.date(2025, 4, 30)))
    load(ws.warehouse)
    ws.close()
    return root


def _table(root: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _runs(root: Path) -> list[tuple[str, str, str]]:
    """(kind, mode or table, status) of every refresh and import run, oldest first, as
    `kaname runs --json` shows them."""
    rows = json.loads(_kaname("runs", "--json", "-w", root))
    return [
        (r["kind"], r["what"], r["status"]) for r in sorted(rows, key=lambda r: r["started_at"])
    ]


def test_a_killed_full_refresh_is_redone_by_the_next_refresh(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    ws = Workspace.open(root)
    ws.refresh(full=True)
    # A KPI added since: the full refresh that gets killed is what would materialise it.
    ws.add_custom_kpi(
        Kpi(
            id="deals_per_lead",
            name_ja="リードあたり受注",
            name_en="Deals per lead",
            definition_en="Deals won per lead.",
            definition_ja="リード1件あたりの受注数。",
            formula="deals / leads",
            unit="ratio",
            direction="higher",
            phase="deal",
            type="lagging",
        )
    )
    ws.close()
    clean = tmp_path / "clean"
    shutil.copytree(root, clean)
    _kaname("refresh", "--full", "-w", clean)

    # The fifth job is computing: the old code had already deleted its values.
    _kaname_killed(
        "kaname.metrics.engine:MetricEngine.compute", "refresh", "--full", "-w", root, call=5
    )
    out = _kaname("refresh", "-w", root)

    query = (
        "SELECT * EXCLUDE (computed_at) FROM kpi_values ORDER BY kpi, grain, view, "
        "dimension, dimension_value, period_start"
    )
    pd.testing.assert_frame_equal(_table(root, query), _table(clean, query))
    assert "Nothing changed" not in out and "変わったデータはありません" not in out
    assert "中断" in out  # said in the workspace's language: the run did not finish
    assert _runs(root) == [
        ("refresh", "full", "ok"),
        ("refresh", "full", "interrupted"),
        ("refresh", "full", "ok"),
    ]
    again = _kaname("refresh", "-w", root)  # redone once, not again (in the workspace's language)
    assert "Nothing changed" in again or "変わったデータはありません" in again


def test_an_import_killed_while_scoring_is_scored_by_the_next_import(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws")
    leads = pd.DataFrame(
        {
            "lead_id": [f"N{i:03d}" for i in range(40)],
            "email": [f"n{i}@{'gmail.com' if i % 5 == 0 else 'example.co.jp'}" for i in range(40)],
            "channel": ["referral" if i % 3 == 0 else "paid_ads" for i in range(40)],
            "segment": ["enterprise" if i % 2 == 0 else "mid_market" for i in range(40)],
            "created_at": [f"2025-04-{1 + i % 20:02d}" for i in range(40)],
        }
    )
    csv = tmp_path / "leads.csv"
    leads.to_csv(csv, index=False)
    clean = tmp_path / "clean"
    shutil.copytree(root, clean)
    _kaname("import", "leads", csv, "-w", clean)

    # Scoring has started: the old code had recorded the import as finished.
    _kaname_killed("kaname.ingest.scoring:apply_scores", "import", "leads", csv, "-w", root)
    again = json.loads(_kaname("import", "leads", csv, "-w", root, "--json"))

    assert again["inserted"] == 0 and again["unchanged"] == 40
    query = "SELECT * EXCLUDE (_loaded_at) FROM leads ORDER BY lead_id"
    scored = _table(root, query)
    pd.testing.assert_frame_equal(scored, _table(clean, query))
    assert scored["score"].notna().all()
    assert _runs(root) == [("import", "leads", "interrupted"), ("import", "leads", "ok")]
    assert _runs(clean) == [("import", "leads", "ok")]


# ---------------------------------------------------------------------- kaname sync
_SYNC = """
import os, sys
from kaname.ingest.connectors import sync
sync.FLUSH_ROWS = 2  # every page is written and its state saved on its own
from kaname.cli.main import app
sys.argv[0] = "kaname"
app()
"""
HUBSPOT_TOKEN = "pat-na1-kill-test-token"


class GatedHubSpot(FakeHubSpot):
    """A fake HubSpot that holds the contacts page at `gate_after` until released: a sync
    that reaches it is mid-way, with earlier pages saved, for as long as the test wants."""

    def __init__(self) -> None:
        super().__init__(HUBSPOT_TOKEN)
        self.gate_after: str | None = None
        self.reached = threading.Event()
        self.release = threading.Event()
        self.afters: list[str] = []
        """`after` of every contacts listing request, in order."""

    def handle(
        self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Response:
        if path == "/crm/v3/objects/contacts" and query.get("archived") != "true":
            after = query.get("after", "")
            self.afters.append(after)
            if after == self.gate_after and not self.release.is_set():
                self.reached.set()
                self.release.wait(120)
        return super().handle(method, path, query, body, headers)


@pytest.fixture
def hubspot() -> Iterator[GatedHubSpot]:
    fake = GatedHubSpot()
    fake.put("companies", "11", name="株式会社アルファ", numberofemployees=120)
    for i in range(1, 13):
        fake.put(
            "contacts",
            str(i),
            email=f"user{i}@example.jp",
            hs_analytics_source="PAID_SEARCH" if i % 2 else "ORGANIC_SEARCH",
            lifecyclestage="lead",
            associatedcompanyid="11",
        )
    yield fake
    fake.release.set()
    fake.stop()


def _sync_workspace(root: Path, fake: FakeHubSpot) -> Path:
    ws = Workspace.init(root, WorkspaceConfig(url_allow_list=["127.0.0.1"]))
    ws.connectors.connect(
        "hubspot",
        {"access_token": HUBSPOT_TOKEN, "base_url": fake.url, "page_size": 3},
        check=False,
    )
    ws.close()
    return root


def _sync_env() -> dict[str, str]:
    env = _env()
    env.pop("KANAME_SECRET_KEY", None)  # the workspace's own key file
    return env


def _start_sync(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _SYNC, "sync", "hubspot", "--json", "-w", str(root)],
        env=_sync_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _sync(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SYNC, "sync", "hubspot", "--json", "-w", str(root)],
        env=_sync_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _history(root: Path) -> list[dict[str, Any]]:
    """`kaname sources --history --json`: the sync runs, newest first."""
    done = subprocess.run(
        [sys.executable, "-m", "kaname", "sources", "--history", "--json", "-w", str(root)],
        env=_sync_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return list(json.loads(done.stdout))


def _saved_after(root: Path) -> str:
    """The contacts stream's saved resume point (`after`), '' while none is saved."""
    con = sqlite3.connect(f"file:{root / 'kaname.db'}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT state FROM sync_states WHERE source = 'hubspot' AND stream = 'contacts'"
        ).fetchone()
    except sqlite3.OperationalError:  # locked by the writer for a moment
        return ""
    finally:
        con.close()
    return str(json.loads(row[0]).get("after") or "") if row else ""


def _records(root: Path) -> dict[str, pd.DataFrame]:
    """Every raw and canonical table with rows, without the columns that say when a row was
    loaded, in key order."""
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        for (name,) in con.execute("SHOW TABLES").fetchall():
            frame = con.execute(f'SELECT * FROM "{name}"').df()
            if frame.empty or name == "kpi_values":
                continue
            frame = frame[[c for c in frame.columns if not c.startswith("_")]]
            frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
            out[name] = frame
        return out
    finally:
        con.close()


def test_a_killed_sync_is_shown_interrupted_and_the_next_sync_resumes_it(
    tmp_path: Path, hubspot: GatedHubSpot
) -> None:
    clean = _sync_workspace(tmp_path / "clean", hubspot)
    assert _sync(clean).returncode == 0
    root = _sync_workspace(tmp_path / "ws", hubspot)

    # The fourth page of contacts is held: the sync is mid-way. Wait until a page is saved
    # (the writer saves it while the next ones are fetched), then kill -9.
    hubspot.afters.clear()
    hubspot.gate_after = "9"
    proc = _start_sync(root)
    try:
        assert hubspot.reached.wait(120), proc.stderr.read() if proc.poll() is not None else ""
        deadline = dt.datetime.now() + dt.timedelta(seconds=120)
        while not _saved_after(root) and dt.datetime.now() < deadline:
            threading.Event().wait(0.05)
        resume_at = _saved_after(root)
        assert resume_at, "no page was saved before the kill"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        proc.kill()
        proc.wait()
        hubspot.release.set()
    assert proc.returncode == -signal.SIGKILL

    [killed] = _history(root)
    assert killed["status"] == "interrupted"  # its process is gone: not `running`

    hubspot.afters.clear()
    done = _sync(root)
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = json.loads(done.stdout)
    assert result["status"] == "ok" and result["resumed"] == [killed["id"]]
    # It went on from the saved page, not from the first one.
    assert hubspot.afters[0] == resume_at != ""

    resumed, interrupted = _history(root)
    assert resumed["status"] == "ok" and resumed["id"] == result["run_id"]
    assert interrupted["status"] == "interrupted" and interrupted["resumed_by"] == resumed["id"]
    assert "同期が途中で止まりました" in interrupted["error"]  # the workspace speaks Japanese
    runs = json.loads(_kaname("runs", "--json", "-w", root))
    assert [(r["kind"], r["status"]) for r in runs] == [("sync", "ok"), ("sync", "interrupted")]

    # No record lost, none twice: the same records as the sync that was never killed.
    got, want = _records(root), _records(clean)
    assert sorted(got) == sorted(want) and "leads" in got and "raw_hubspot_contacts" in got
    for name, frame in want.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)
    assert len(got["leads"]) == 12 and got["leads"]["score"].notna().all()


def test_the_loser_of_two_syncs_says_which_sync_runs_and_leaves_no_running_row(
    tmp_path: Path, hubspot: GatedHubSpot
) -> None:
    root = _sync_workspace(tmp_path / "ws", hubspot)
    hubspot.gate_after = "3"
    winner = _start_sync(root)
    try:
        assert hubspot.reached.wait(120), winner.stderr.read() if winner.poll() else ""
        [running] = _history(root)
        assert running["status"] == "running"

        loser = _sync(root)
        assert loser.returncode == 1
        [refused] = json.loads(loser.stdout)
        assert refused["status"] == "busy" and refused["run_id"] is None
        since = running["started_at"][:19].replace("T", " ")
        assert f"HubSpot は別の同期が {since} UTC から実行中です" in refused["error"]
        assert [r["id"] for r in _history(root)] == [running["id"]]  # no row of the loser
    finally:
        hubspot.release.set()
        out, err = winner.communicate(timeout=300)
    assert winner.returncode == 0, out + err
    [done] = _history(root)
    assert done["id"] == running["id"] and done["status"] == "ok"
