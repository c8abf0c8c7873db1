"""A new workspace with no data and no plan: every page says what to do, none crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, login

PAGES = ["/executive", "/tree", "/funnel", "/channels", "/tactics", "/trends", "/kpi/leads"]


@pytest.fixture()
def fresh(tmp_path: Path) -> TestClient:
    """A new workspace without users."""
    return TestClient(create_app(Workspace.init(tmp_path / "ws")))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A new workspace without data, with a signed-in admin."""
    ws = Workspace.init(Path(tmp_path_factory.mktemp("empty")) / "ws")
    Accounts(ws.appdb).create_user("boss", PASSWORD, role="admin")
    return login(TestClient(create_app(ws)), "boss")


def test_first_run_asks_for_an_admin_then_signs_in(fresh: TestClient) -> None:
    client = fresh
    assert client.get("/login", follow_redirects=False).headers["location"] == "/setup"
    page = client.get("/setup")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    short = client.post(
        "/setup", data={"username": "boss", "password": "short", "csrf_token": token[1]}
    )
    assert short.status_code == 400 and "10" in short.text
    done = client.post(
        "/setup",
        data={"username": "boss", "password": PASSWORD, "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert done.status_code == 303
    # setup is closed once a user exists
    assert client.get("/setup", follow_redirects=False).headers["location"] == "/login"
    login(client, "boss")
    assert Accounts(client.app.state.ws.appdb).users()[0]["role"] == "admin"  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", PAGES)
def test_pages_say_what_to_do_without_data(client: TestClient, path: str) -> None:
    client.cookies.set("kaname_lang", "en")
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    text = response.text
    assert "Traceback" not in text
    assert 'data-testid="no-data"' in text
    assert "No data yet: import or connect a source" in text


def test_plan_pages_lead_to_the_plan_wizard(client: TestClient) -> None:
    """Empty states lead to the wizard, not to CLI commands (issue 14 §4)."""
    plans = client.get("/plans").text
    assert 'data-testid="plan-wizard"' in plans and "kaname plan new" not in plans
    tree = client.get("/tree").text
    assert 'href="/plans"' in tree and "kaname plan new" not in tree
    assert client.get("/api/plans").status_code == 400


@pytest.mark.parametrize(
    "page",
    ["executive", "channels", "funnel", "tree", "attribution", "cohorts", "customers"],
)
def test_downloads_work_without_data(client: TestClient, page: str) -> None:
    for ext in ("csv", "xlsx"):
        response = client.get(f"/export/{page}.{ext}")
        assert response.status_code == 200, (page, ext, response.text[:300])
    assert response.content[:2] == b"PK"  # an xlsx workbook
