"""`kaname serve --workers 2` for real: two worker processes on one port, with the app DB and
the warehouse in PostgreSQL (issue 17 §2). Every request is checked to have reached the worker
it was meant for (the worker process that holds its TCP connection), so each test proves what
one worker sees of what the other did: a session signed in on one works on the other, and a
sign-out or a revoked token on one is refused by the other at once; failed sign-ins count
across workers; a write through one worker shows on the other at once; the CLI beside the
server reaches it; exactly one worker runs the scheduler, and another takes over when it dies.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from kaname.auth.accounts import Accounts
from kaname.config import WorkspaceConfig
from kaname.demo import build_demo
from kaname.store import leases, throttle
from kaname.store.appdb import AppDB
from kaname.web.security import SESSION_COOKIE
from kaname.workspace import Workspace
from pg_settings import PG_DB, PG_HOST, PG_USER, pg_urls

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SRC = Path(__file__).resolve().parents[2] / "src"
KANAME = (sys.executable, "-m", "kaname")
AS_OF = dt.date(2026, 11, 20)
PASSWORD = "a-long-password-1!"
WAIT = 120.0
"""Upper bound of every wait for the server (bounded polling, never a timing assertion)."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.pop("KANAME_WORKSPACE", None)
    env["COLUMNS"] = "200"
    env["KANAME_SCHEDULER_SECONDS"] = "2"
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, root: Path, port: int, proc: subprocess.Popen[str], token: str) -> None:
        self.root, self.port, self.proc, self.token = root, port, proc, token
        self.url = f"http://127.0.0.1:{port}"
        self.appdb = Workspace.open(root).appdb

    def workers(self) -> list[int]:
        """The live worker processes (uvicorn spawns them; the resource tracker is not one)."""
        out = []
        for child in psutil.Process(self.proc.pid).children():
            try:
                if "spawn_main" in " ".join(child.cmdline()) and child.is_running():
                    out.append(child.pid)
            except psutil.Error:
                continue
        return out

    def owner(self, response: httpx.Response) -> int | None:
        """The worker whose socket is the other end of the response's connection."""
        stream = response.extensions["network_stream"]
        port = stream.get_extra_info("client_addr")[1]
        for pid in self.workers():
            try:
                connections = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            for c in connections:
                if c.raddr and c.raddr.port == port and c.laddr.port == self.port:
                    return pid
        return None


def _client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=WAIT, follow_redirects=False)


class Worker:
    """A keep-alive connection that reached one worker; every request checks it still does.
    A connection the server closed while idle is opened again until it reaches the same
    worker (new connections land on either)."""

    def __init__(self, server: Server, client: httpx.Client, pid: int) -> None:
        self.server, self.client, self.pid = server, client, pid

    def _reach(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.server.owner(self.client.get("/health")) == self.pid:
                return
            cookies = self.client.cookies
            self.client.close()
            self.client = _client(self.server)
            self.client.cookies = cookies
        pytest.fail(f"worker {self.pid} is not reached any more")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self._reach()
        response = self.client.request(method, path, **kwargs)
        assert self.server.owner(response) == self.pid, "the connection moved to another worker"
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def pin_workers(server: Server) -> tuple[Worker, Worker]:
    """One connection to each of the two workers (new connections land on either)."""
    pinned: dict[int, Worker] = {}
    deadline = time.monotonic() + WAIT
    while len(pinned) < 2 and time.monotonic() < deadline:
        client = _client(server)
        try:
            pid = server.owner(client.get("/health"))
        except httpx.HTTPError:
            pid = None
        if pid is not None and pid not in pinned:
            pinned[pid] = Worker(server, client, pid)
        else:
            client.close()
            time.sleep(0.05)
    assert len(pinned) == 2, "requests never reached two workers"
    first, second = pinned.values()
    return first, second


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    import psycopg

    name = f"kaname_workers_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, schema: str) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("workers") / "demo"
    Workspace.init(root, WorkspaceConfig(**pg_urls(schema))).close()  # type: ignore[arg-type]
    ws = build_demo(root, scale=0.01, as_of=AS_OF)
    ws.refresh(full=True)
    accounts = Accounts(ws.appdb)
    boss = accounts.create_user("boss", PASSWORD, role="admin", actor="test")
    token = accounts.create_token(boss, "test")
    ws.close()
    port = _free_port()
    proc = subprocess.Popen(
        [*KANAME, "serve", "-w", str(root), "--port", str(port), "--workers", "2"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the main process says where it listens, then starts workers
            if "Ctrl+C" in line:
                break
        else:
            pytest.fail("the server did not start")
        served = Server(root, port, proc, token)
        deadline = time.monotonic() + WAIT
        while len(served.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        yield served
        served.appdb.dispose()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def _login_csrf(worker: Worker) -> str:
    page = worker.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found[1]


def _sign_in(worker: Worker, password: str = PASSWORD) -> httpx.Response:
    return worker.post(
        "/login",
        data={"username": "boss", "password": password, "csrf_token": _login_csrf(worker)},
    )


def test_a_session_works_on_every_worker_and_ends_on_every_worker(server: Server) -> None:
    a, b = pin_workers(server)
    signed_in = _sign_in(a)
    assert signed_in.status_code == 303
    session = signed_in.cookies[SESSION_COOKIE]
    cookie = {"Cookie": f"{SESSION_COOKIE}={session}"}
    for i in range(30):  # many requests, each on a known worker
        answer = (a if i % 2 else b).get("/api/account", headers=cookie)
        assert answer.status_code == 200 and answer.json()["username"] == "boss"
    # signed out through b: a refuses the cookie at once (it had just remembered the session)
    assert a.get("/api/account", headers=cookie).status_code == 200
    page = b.get("/account", headers=cookie)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    out = b.post("/logout", headers=cookie, data={"csrf_token": csrf[1]})
    assert out.status_code == 303
    assert a.get("/api/account", headers=cookie).status_code == 401
    assert b.get("/api/account", headers=cookie).status_code == 401


def test_a_token_revoked_on_one_worker_is_refused_by_the_other(server: Server) -> None:
    a, b = pin_workers(server)
    accounts = Accounts(server.appdb)
    boss = accounts.token_user(server.token)
    assert boss is not None
    spare = accounts.create_token(boss, "spare")
    admin = {"Authorization": f"Bearer {server.token}"}
    bearer = {"Authorization": f"Bearer {spare}"}
    assert a.get("/api/account", headers=bearer).status_code == 200
    assert b.get("/api/account", headers=bearer).status_code == 200
    tokens = b.get("/api/tokens", headers=admin).json()
    spare_id = next(t["id"] for t in tokens if t["name"] == "spare")
    assert b.post(f"/api/tokens/{spare_id}/revoke", headers=admin).status_code == 200
    assert a.get("/api/account", headers=bearer).status_code == 401


def test_failed_sign_ins_count_across_workers(server: Server) -> None:
    a, b = pin_workers(server)
    codes = [_sign_in(a if i % 2 else b, "wrong password").status_code for i in range(5)]
    assert codes == [401] * 5  # three failures on one worker, two on the other
    assert _sign_in(a, "wrong password").status_code == 429
    assert _sign_in(b).status_code == 429  # even the right password waits out the lock
    throttle.clear(server.appdb, ("user:boss@ip:127.0.0.1", "ip:127.0.0.1"))
    assert _sign_in(b).status_code == 303


def test_a_write_through_one_worker_shows_on_the_other_at_once(server: Server) -> None:
    a, b = pin_workers(server)
    admin = {"Authorization": f"Bearer {server.token}"}
    trends = "/api/trends?kpi=webinar_registrations&periods=6"

    def actions_shown() -> list[str]:
        data = a.get(trends, headers=admin).json()
        return [n["text"] for n in data["annotations"] if n["kind"] == "action"]

    before = actions_shown()
    assert actions_shown() == before  # a keeps the page in its cache
    created = b.post(
        "/api/actions",
        headers=admin,
        json={
            "title": "Webinar series on cost cutting",
            "kpis": ["webinar_registrations"],
            "dimension": "channel",
            "dimension_value": "webinar",
            "start_date": "2026-09-07",
        },
    )
    assert created.status_code == 200, created.text
    shown = actions_shown()
    assert shown[:-1] == before and shown[-1] in (
        "Webinar series on cost cutting（チャネル: ウェビナー）",  # the workspace's language
        "Webinar series on cost cutting (channel: Webinar)",
    )

    # a setting saved through one worker (kaname.yaml) is the other's at once
    assert a.get("/api/settings", headers=admin).json()["workspace"]["name"] != "Renamed Co."
    saved = b.post("/api/settings", headers=admin, json={"name": "Renamed Co."})
    assert saved.status_code == 200, saved.text
    assert a.get("/api/settings", headers=admin).json()["workspace"]["name"] == "Renamed Co."


def test_the_cli_beside_the_server_reaches_a_worker(server: Server) -> None:
    done = subprocess.run(
        [*KANAME, "kpis", "-w", str(server.root), "-k", "leads", "--period", "2026-09", "--json"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)[0]["kpi"] == "leads"


def _holder_pid(db: AppDB) -> int | None:
    holder = leases.holder(db, leases.SCHEDULER)
    return int(holder.split(":")[1]) if holder else None


def test_exactly_one_worker_runs_the_scheduler_and_another_takes_over(server: Server) -> None:
    deadline = time.monotonic() + WAIT
    while _holder_pid(server.appdb) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    first = _holder_pid(server.appdb)
    workers = server.workers()
    assert first in workers and len(workers) == 2
    with server.appdb.session() as s:
        assert s.query(leases.Lease).count() == 1
    for _ in range(5):  # the other worker stands by: the lease stays where it is
        time.sleep(1)
        assert _holder_pid(server.appdb) == first
    os.kill(first, signal.SIGKILL)  # the scheduling worker dies
    deadline = time.monotonic() + WAIT
    taken = None
    while time.monotonic() < deadline:
        taken = _holder_pid(server.appdb)
        if taken not in (None, first):
            break
        time.sleep(0.5)
    assert taken not in (None, first) and psutil.pid_exists(taken)
    assert taken in server.workers()
