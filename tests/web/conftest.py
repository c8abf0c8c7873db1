"""A demo workspace served in-process, with one signed-in client per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kaname.accounts import Accounts
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
