"""A demo workspace served in-process, with one signed-in client per role."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.config import update_config
from kaname.demo import build_demo
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, ROLES, login


@pytest.fixture(scope="package")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web") / "demo"
    ws = build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20))
    ws.refresh(full=True)
    accounts = Accounts(ws.appdb)
    for role in ROLES:
        accounts.create_user(role, PASSWORD, role=role, department="executive")
    accounts.create_user("marketer", PASSWORD, role="viewer", department="marketing")
    ws.close()
    update_config(root, {"url_allow_list": ["127.0.0.1"]})  # the fake APIs of the tests
    return root


@pytest.fixture(scope="package")
def web_ws(web_root: Path) -> Iterator[Workspace]:
    ws = Workspace.open(web_root)
    yield ws
    ws.close()


@pytest.fixture(scope="package")
def app(web_ws: Workspace):  # type: ignore[no-untyped-def]
    return create_app(web_ws)


@pytest.fixture(scope="package")
def clients(app) -> dict[str, TestClient]:  # type: ignore[no-untyped-def]
    out = {"anonymous": TestClient(app)}
    for role in ROLES:
        out[role] = login(TestClient(app), role)
    return out


# ---------------------------------------------------------------------- browser tests
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="package")
def shots() -> Path:
    out = Path(os.environ.get("KANAME_TEST_OUTPUT", "test-output")) / "browser"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("chromium is not installed: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
