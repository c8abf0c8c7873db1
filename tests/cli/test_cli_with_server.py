"""The CLI beside a running `kaname serve` (issue 14, part 3): a real server in a subprocess
holds the warehouse, and every command runs as its own subprocess, as a user types it. Each
command exits 0 with its usual output, and the server's JSON twins show the change at once.
Then: the local route refuses a wrong or missing token, proxied and non-loopback requests; a
stale run file is ignored and removed; the run file goes when the server stops."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kaname.auth.accounts import Accounts
from kaname.config import update_config
from kaname.demo import build_demo, write_samples
from kaname.web.local import run_file

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest" / "connectors"))

from connector_fakes import FakeHubSpot

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src"
AS_OF = dt.date(2026, 11, 20)
HUBSPOT_TOKEN = "pat-na1-good-token"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.pop("KANAME_WORKSPACE", None)
    env["COLUMNS"] = "100"
    return env


def kaname(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kaname", *map(str, args)],
        env=_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def ok(*args: str | Path, cwd: Path | None = None) -> str:
    done = kaname(*args, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in use by another process" not in done.stderr
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, root: Path, url: str, token: str, proc: subprocess.Popen[str]) -> None:
        self.root, self.url, self.proc = root, url, proc
        self.api = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )

    def get(self, path: str, **params: Any) -> Any:
        answer = self.api.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(HUBSPOT_TOKEN)
    for i in range(1, 4):
        fake.put(
            "contacts",
            f"90{i}",
            email=f"hs{i}@example.jp",
            hs_analytics_source="ORGANIC_SEARCH",
            lifecyclestage="lead",
        )
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("beside") / "demo"
    ws = build_demo(root, scale=0.01, as_of=AS_OF)
    ws.refresh(full=True)
    accounts = Accounts(ws.appdb)
    boss = accounts.create_user("boss", "a-long-password-1!", role="admin", actor="test")
    token = accounts.create_token(boss, "test")
    write_samples(ws.root)
    ws.close()
    update_config(root, {"url_allow_list": ["127.0.0.1"]})
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kaname",
            "serve",
            "-w",
            str(root),
            "--port",
            str(port),
            "--no-schedule",
        ],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the server says where it listens once it owns the warehouse
            if "Ctrl+C" in line:
                break
        else:
            pytest.fail("the server did not start")
        server = Served(root, f"http://127.0.0.1:{port}", token, proc)
        for _ in range(200):
            try:
                if httpx.get(f"{server.url}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            import time

            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def test_every_command_works_beside_the_server(served: Served, hubspot: FakeHubSpot) -> None:
    root = served.root
    # the server holds the warehouse: the CLI would fail with "in use" if it opened it
    info = run_file(root)
    assert info.is_file() and stat.S_IMODE(info.stat().st_mode) == 0o600

    # kpis: the same numbers as the running dashboard's report
    report = json.loads(ok("kpis", "-w", root, "--period", "2026-09", "-k", "leads", "--json"))
    assert report[0]["kpi"] == "leads"
    leads_before = report[0]["actual"]
    table = ok("kpis", "-w", root, "-k", "revenue")
    assert "新規受注金額" in table and "期間ビュー" in table  # the workspace speaks Japanese

    # import: a CSV of leads (Shift_JIS), then a CP932 opportunities file, uploaded to the server
    summary = json.loads(ok("import", "leads", root / "leads.csv", "-w", root, "--json"))
    assert summary["inserted"] == 8 and summary["encoding"] == "cp932"
    opportunities = root / "opps-cp932.csv"
    text = (root / "opportunities.csv").read_text(encoding="utf-8-sig").replace("¥", "")
    opportunities.write_bytes(text.encode("cp932"))
    report_file = root.parent / "quarantine.csv"
    out = ok("import", "opportunities", opportunities.name, "--report", report_file, cwd=root)
    assert "opps-cp932.csv を商談に取り込みました（Shift_JIS）" in out
    assert report_file.read_bytes().startswith(b"\xef\xbb\xbf")  # written here, by the CLI
    # a file the command writes comes back here, named as it was typed
    written = ok(
        "quarantine", str(summary["run_id"]), "-w", root, "--out", "q.csv", cwd=root.parent
    )
    assert "q.csv に 0 行を書き出しました" in written and (root.parent / "q.csv").is_file()
    imports = served.get("/api/import")["runs"]
    assert {r["table"] for r in imports[:2]} == {"leads", "opportunities"}

    # refresh: the imported leads are counted on the running dashboard at once
    assert "KPI の値" in ok("refresh", "-w", root)
    after = json.loads(ok("kpis", "-w", root, "--period", "2026-09", "-k", "leads", "--json"))
    rows = (root / "leads.csv").read_text(encoding="cp932").splitlines()[1:]
    in_september = sum(",2026/09/" in row for row in rows)
    assert in_september and after[0]["actual"] == leads_before + in_september
    twin = served.get("/api/kpi/leads", period="2026-09")
    assert twin["current"]["actual"] == leads_before + in_september

    # plan solve and plan apply: the applied targets show on the dashboard at once
    plan_file = next((root / "plans").glob("*.yaml"))
    solved = json.loads(ok("plan", "solve", plan_file, "-w", root, "--json"))
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    assert solved["kgi_target"] == plan["kgi"]["target"]
    versions_before = served.get("/api/plans")["version"]
    plan["kgi"]["target"] = plan["kgi"]["target"] * 2
    doubled = root.parent / "doubled.yaml"
    doubled.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    applied = ok("plan", "apply", doubled, "-w", root)
    assert f"第{versions_before + 1}版として適用しました" in applied
    shown = served.get("/api/plans")
    assert shown["version"] == versions_before + 1
    assert shown["plan"]["kgi"]["target"] == plan["kgi"]["target"]

    # quality: the findings of the server's warehouse
    quality = json.loads(ok("quality", "-w", root, "--json"))
    assert quality["findings"]

    # sync: a connected HubSpot (the fake) synced by the server; its runs show at once
    connected = served.api.post(
        "/api/sources/hubspot/connect",
        json={"access_token": HUBSPOT_TOKEN, "base_url": hubspot.url},
        params={"check": False},
    )
    assert connected.status_code == 200, connected.text
    synced = json.loads(ok("sync", "hubspot", "-w", root, "--json"))
    assert synced[0]["status"] == "ok" and synced[0]["rows"] >= 3
    history = served.get("/api/sources/hubspot/history")
    assert history[0]["status"] == "ok"

    # the server ran them, as the CLI (an admin named cli), and audited each
    log = _audit(root)
    ran = {e["target"] for e in log if e["action"] == "cli.run" and e["actor"] == "cli"}
    assert {"kpis", "import leads", "refresh", "plan solve", "plan apply", "sync hubspot"} <= ran


def _audit(root: Path) -> list[dict[str, Any]]:
    """The audit log, read from the app DB (SQLite is shared between processes)."""
    from kaname.workspace import Workspace

    ws = Workspace.open(root)
    try:
        return Accounts(ws.appdb).audit_log(500)
    finally:
        ws.close()


def test_the_local_route_takes_only_the_local_token_from_this_machine(served: Served) -> None:
    data = {"argv": json.dumps(["runs"]), "terminal": "{}", "outputs": "[]"}
    url = f"{served.url}/api/local/cli"
    assert httpx.post(url, data=data).status_code == 401
    bad = httpx.post(url, data=data, headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401
    # a user's API token (even an admin's) does not open it
    assert served.api.post("/api/local/cli", data=data).status_code == 401
    token = json.loads(run_file(served.root).read_text())["token"]
    local = {"Authorization": f"Bearer {token}"}
    proxied = httpx.post(url, data=data, headers={**local, "X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403
    # the local token opens nothing else
    assert httpx.get(f"{served.url}/api/executive", headers=local).status_code == 401
    # the server's warmer may be building a page under the warehouse lock: wait for it
    fine = httpx.post(url, data=data, headers=local, timeout=120)
    assert fine.status_code == 200
    assert json.loads(fine.text.strip().splitlines()[-1])["exit"] == 0


def test_a_non_loopback_client_is_refused(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from kaname.config import WorkspaceConfig
    from kaname.web.app import create_app
    from kaname.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=AS_OF))
    app = create_app(ws)
    app.state.local_token = "the-token"
    app.state.local_cli = lambda argv, terminal, shown, emit: 0
    data = {"argv": "[]", "terminal": "{}", "outputs": "[]"}
    headers = {"Authorization": "Bearer the-token"}
    far = TestClient(app, client=("203.0.113.9", 50000))
    assert far.post("/api/local/cli", data=data, headers=headers).status_code == 403
    near = TestClient(app, client=("127.0.0.1", 50000))
    assert near.post("/api/local/cli", data=data, headers=headers).status_code == 200
    ws.close()


def test_a_stale_run_file_is_ignored_and_removed(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert kaname("init", root, "--language", "en").returncode == 0
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    )
    path = run_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "pid": int(gone.stdout),
                "host": socket.gethostname(),
                "process_token": "",
                "address": "127.0.0.1",
                "port": _free_port(),
                "token": "old",
            }
        )
    )
    ok("refresh", "-w", root)  # runs here: no server holds the warehouse
    assert not path.exists()


def test_the_run_file_goes_when_the_server_stops(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert kaname("init", root).returncode == 0
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kaname",
            "serve",
            "-w",
            str(root),
            "--port",
            str(_free_port()),
            "--no-schedule",
        ],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Ctrl+C" in line:
            break
    assert run_file(root).exists()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert not run_file(root).exists()
