"""A run is stale only when the process that owns it is gone: a run of a live process in
another process is left running, whatever its age; a killed one, or a recycled pid, is not."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixture_company import load
from kaname.config import WorkspaceConfig
from kaname.store.appdb import RefreshRun
from kaname.store.runs import _token, owner_alive, this_process
from kaname.workspace import Workspace
from pg_settings import pg_urls


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
    yield proc
    proc.kill()
    proc.wait()


def test_liveness_follows_the_process_not_the_age(sleeper: subprocess.Popen[str]) -> None:
    host = socket.gethostname()
    token = _token(sleeper.pid)
    assert owner_alive(host, sleeper.pid, token) is True
    me = this_process()
    assert owner_alive(me.host, me.pid, me.token) is True
    # the pid now belongs to another process than the one that started the run
    assert owner_alive(host, sleeper.pid, "0:1") is False
    assert owner_alive("another-host", sleeper.pid, token) is None  # cannot tell from here
    assert owner_alive(host, None, "") is False  # a run from before owners were recorded
    sleeper.kill()
    deadline = time.monotonic() + 5
    while owner_alive(host, sleeper.pid, token) and time.monotonic() < deadline:
        time.sleep(0.01)  # the signal is delivered
    assert owner_alive(host, sleeper.pid, token) is False  # killed, not yet reaped: a zombie
    sleeper.wait()
    assert owner_alive(host, sleeper.pid, token) is False


def test_refresh_leaves_a_live_run_alone_and_redoes_a_dead_one(
    tmp_path: Path, sleeper: subprocess.Popen[str]
) -> None:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=dt.date(2025, 4, 30)))
    load(ws.warehouse)
    ws.refresh(full=True)
    with ws.appdb.session() as session:
        live = RefreshRun(
            mode="full",
            started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            host=socket.gethostname(),
            pid=sleeper.pid,
            process_token=_token(sleeper.pid),
        )
        session.add(live)
    assert ws.refresh().jobs == 0  # another process is at it: nothing to redo
    assert [r["status"] for r in ws.refresh_runs()] == ["ok", "running", "ok"]  # newest first
    sleeper.kill()
    sleeper.wait()
    statuses = {r["run_id"]: r["status"] for r in ws.refresh_runs()}
    assert statuses[live.id] == "interrupted"  # shown so before anything marks it
    redo = ws.refresh()
    assert redo.mode == "full" and redo.redone == (live.id,) and redo.rows > 0
    with ws.appdb.session() as session:
        stored = session.get(RefreshRun, live.id)
        assert stored is not None and stored.status == "interrupted"
    assert ws.refresh().jobs == 0  # done once
    ws.close()


def _refresh_is_atomic(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job whose INSERT fails keeps its old values (its DELETE is rolled back), the run is
    failed, and the next refresh redoes it."""
    import kaname.metrics.refresh as refresh_module
    from kaname.metrics.calendar import Grain
    from kaname.metrics.refresh import RefreshPlan, read_values

    load(ws.warehouse)
    plan = RefreshPlan(grains=(Grain.MONTH,), dimensions=(None,), views=("period",))
    ws.refresh(full=True, plan=plan)
    before = read_values(ws.warehouse.con, "leads", Grain.MONTH)
    real = refresh_module.execute

    def failing(wh: object, sql: str) -> object:
        if sql.startswith("INSERT"):
            raise RuntimeError("disk full")
        return real(wh, sql)  # type: ignore[arg-type]

    monkeypatch.setattr(refresh_module, "execute", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        ws.refresh(full=True, plan=plan)
    after = read_values(ws.warehouse.con, "leads", Grain.MONTH)
    assert list(after["value"]) == list(before["value"]) and len(after) > 0
    monkeypatch.setattr(refresh_module, "execute", real)
    assert [r["status"] for r in ws.refresh_runs()][:2] == ["failed", "ok"]
    redo = ws.refresh(plan=plan)
    assert redo.mode == "full" and len(redo.redone) == 1
    again = read_values(ws.warehouse.con, "leads", Grain.MONTH)
    assert list(again["value"]) == list(before["value"])


def test_a_refresh_job_is_one_transaction_on_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=dt.date(2025, 4, 30)))
    _refresh_is_atomic(ws, monkeypatch)
    ws.close()


@pytest.mark.postgres
def test_a_refresh_job_is_one_transaction_on_postgres(
    tmp_path: Path, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = WorkspaceConfig(**pg_urls(pg_schema), as_of=dt.date(2025, 4, 30))
    ws = Workspace.init(tmp_path / "pg", config)
    _refresh_is_atomic(ws, monkeypatch)
    ws.close()


def _one_sync_per_source(ws: Workspace, sleeper: subprocess.Popen[str]) -> None:
    """A sync of a source held by a live process refuses to start and writes no row; once that
    process is gone, its run is marked interrupted and the new sync starts, resuming it."""
    from kaname.store.connector_models import SyncRun

    service = ws.connectors
    with ws.appdb.session() as session:
        holder = SyncRun(
            source="hubspot",
            mode="incremental",
            started_at=dt.datetime(2026, 11, 20, 9, 0),
            host=socket.gethostname(),
            pid=sleeper.pid,
            process_token=_token(sleeper.pid),
        )
        session.add(holder)
    refused = service._claim("hubspot", "incremental", "cli")
    assert isinstance(refused, str) and "2026-11-20 09:00:00 UTC" in refused
    other = service._claim("ga4", "incremental", "cli")  # another source is not held
    assert not isinstance(other, str)
    with ws.appdb.session() as session:
        session.get(SyncRun, other[0]).status = "ok"  # type: ignore[union-attr]
    assert [r["id"] for r in service.history("hubspot")] == [holder.id]
    sleeper.kill()
    sleeper.wait()
    claimed = service._claim("hubspot", "incremental", "cli")
    assert not isinstance(claimed, str)
    run_id, resumed, killed = claimed
    assert resumed == [holder.id] and killed
    assert [r["status"] for r in service.history("hubspot")] == ["running", "interrupted"]
    assert run_id != holder.id


def test_one_sync_of_a_source_runs_at_a_time(
    tmp_path: Path, sleeper: subprocess.Popen[str]
) -> None:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig())
    _one_sync_per_source(ws, sleeper)
    ws.close()


@pytest.mark.postgres
def test_one_sync_of_a_source_runs_at_a_time_on_postgres(
    tmp_path: Path, pg_schema: str, sleeper: subprocess.Popen[str]
) -> None:
    ws = Workspace.init(tmp_path / "pg", WorkspaceConfig(**pg_urls(pg_schema)))
    _one_sync_per_source(ws, sleeper)
    ws.close()
