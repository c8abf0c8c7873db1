"""kill -9 of `kaname refresh` and `kaname import`: the real CLI in a subprocess, killed with
SIGKILL where the damage used to happen, then run again; the result must equal a clean run's.

The subprocess pauses at a named function (`_STALL` below) so the kill lands at the same place
every time: inside a refresh job (after the old code had deleted that job's values) and inside
lead scoring (after the old code had marked the import finished).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from fixture_company import load
from kaname.config import WorkspaceConfig
from kaname.metrics.catalog import Kpi
from kaname.workspace import Workspace

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
    assert "Nothing changed" not in out
    assert "interrupted" in out
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
