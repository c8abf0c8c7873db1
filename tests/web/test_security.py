"""Who can read and who can change: every route × anonymous/viewer/editor/admin, CSRF, tokens,
sessions, throttling and the audit log."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from kaname.auth.accounts import Accounts
from kaname.store.web_models import ApiToken, User
from kaname.web.app import is_public
from kaname.workspace import Workspace
from web_helpers import PASSWORD, csrf_of, login

RANK = {"anonymous": -1, "viewer": 0, "editor": 1, "admin": 2}

# Every GET route and the lowest role that may read it.
READS = {
    "/export/{page}.{fmt}": "viewer",
    "/export/department/{name}.{fmt}": "viewer",
    "/": "viewer",
    "/executive": "viewer",
    "/boards": "viewer",
    "/boards/new": "editor",
    "/boards/add": "editor",
    "/api/boards": "viewer",
    "/department/{name}": "viewer",
    "/tree": "viewer",
    "/funnel": "viewer",
    "/channels": "viewer",
    "/tactics": "viewer",
    "/trends": "viewer",
    "/kpi/{kpi_id}": "viewer",
    "/catalog": "viewer",
    "/plans": "viewer",
    "/account": "viewer",
    "/attribution": "viewer",
    "/cohorts": "viewer",
    "/customers": "viewer",
    "/settings": "admin",
    "/sources": "viewer",
    "/sources/status": "viewer",
    "/import": "editor",
    "/import/runs/{run_id}/quarantine.csv": "editor",
    "/quality": "viewer",
    "/api/sources": "viewer",
    "/api/sources/status": "viewer",
    "/api/sources/{source}/history": "viewer",
    "/api/import": "editor",
    "/api/import/runs/{run_id}/quarantine": "editor",
    "/api/quality": "viewer",
    "/api/executive": "viewer",
    "/api/cache": "viewer",
    "/api/department/{name}": "viewer",
    "/api/tree": "viewer",
    "/api/funnel": "viewer",
    "/api/channels": "viewer",
    "/api/tactics": "viewer",
    "/api/trends": "viewer",
    "/api/kpi/{kpi_id}": "viewer",
    "/api/catalog": "viewer",
    "/records": "viewer",
    "/api/records": "viewer",
    "/api/plans": "viewer",
    "/api/account": "viewer",
    "/api/attribution": "viewer",
    "/api/cohorts": "viewer",
    "/api/customers": "viewer",
    "/api/forecast": "viewer",
    "/api/settings": "admin",
    "/api/audit": "admin",
    "/api/tokens": "admin",
    "/actions": "viewer",
    "/actions/{action_id}": "viewer",
    "/experiments": "viewer",
    "/alerts": "viewer",
    "/reports": "viewer",
    "/reports/download": "viewer",
    "/reports/catalog": "viewer",
    "/review": "viewer",
    "/api/actions": "viewer",
    "/api/alerts": "viewer",
    "/api/alerts/rules": "viewer",
    "/api/reports": "viewer",
    "/api/review": "viewer",
}
# Every state-changing route and the lowest role that may use it.
WRITES = {
    "/logout": "viewer",
    "/account/language": "viewer",
    "/account/password": "viewer",
    "/account/tokens": "viewer",
    "/account/tokens/{token_id}/revoke": "viewer",
    "/plans/check": "viewer",
    "/plans/whatif": "viewer",
    "/api/plans/check": "viewer",
    "/api/plans/whatif": "viewer",
    "/plans/save": "editor",
    "/boards": "editor",
    "/boards/{board_id}": "editor",
    "/boards/{board_id}/delete": "editor",
    "/boards/{board_id}/landing": "viewer",
    "/boards/{board_id}/tiles/{number}/move": "editor",
    "/boards/add": "editor",
    "/api/boards/{board_id}/tiles": "editor",
    "/api/boards": "editor",
    "/api/boards/landing": "viewer",
    "/targets": "editor",
    "/api/targets": "editor",
    "/api/plans": "editor",
    "/sources/{source}/sync": "editor",
    "/api/sources/{source}/sync": "editor",
    "/import/upload": "editor",
    "/import/run": "editor",
    "/api/import/{table}": "editor",
    "/api/import/{table}/suggest": "editor",
    "/quality/merge": "editor",
    "/api/quality/merge": "editor",
    "/sources/{source}/connect": "admin",
    "/sources/{source}/disconnect": "admin",
    "/api/sources/{source}/connect": "admin",
    "/api/sources/{source}/disconnect": "admin",
    "/settings/workspace": "admin",
    "/settings/users": "admin",
    "/settings/users/{username}": "admin",
    "/api/settings": "admin",
    "/api/users": "admin",
    "/settings/tokens/{token_id}/revoke": "admin",
    "/api/tokens/{token_id}/revoke": "admin",
    "/experiments": "viewer",
    "/api/experiments": "viewer",
    "/actions": "editor",
    "/actions/{action_id}/status": "editor",
    "/actions/{action_id}/decision": "editor",
    "/api/actions": "editor",
    "/api/actions/{action_id}": "editor",
    "/api/actions/{action_id}/decision": "editor",
    "/alerts/check": "editor",
    "/alerts/{alert_id}/acknowledge": "editor",
    "/alerts/{alert_id}/resolve": "editor",
    "/api/alerts/check": "editor",
    "/api/alerts/{alert_id}/acknowledge": "editor",
    "/api/alerts/{alert_id}/resolve": "editor",
    "/alerts/rules": "admin",
    "/alerts/rules/yaml": "admin",
    "/alerts/rules/{rule_id}/delete": "admin",
    "/api/alerts/rules": "admin",
    "/review/decision": "editor",
    "/api/review/decisions": "editor",
}
PUBLIC = {
    "/login",
    "/setup",
    "/health",
    "/favicon.ico",
    "/static/vendor/plotly.min.js",
    "/static/vendor/swagger-ui-bundle.js",
    "/static/vendor/swagger-ui.css",
}
EXAMPLES = {
    "/api/records": "/api/records?kpi=leads",
    "{name}": "marketing",
    "{kpi_id}": "leads",
    "{token_id}": "999999",
    "{username}": "nobody",
    "{source}": "hubspot",
    "{table}": "leads",
    "{run_id}": "999999",
    "{action_id}": "1",
    "{alert_id}": "999999",
    "{rule_id}": "no-such-rule",
    "{page}": "channels",
    "{fmt}": "csv",
    "{board_id}": "999999",
    "{number}": "1",
    "/boards/add": "/boards/add?kpi=leads",
}


LOCAL = {"/api/local/ping", "/api/local/cli"}
"""The CLI beside the server (web/local.py): the server's local token only, never a user's
session or API token; the token itself is tested in tests/cli/test_cli_with_server.py."""


def concrete(path: str) -> str:
    for key, value in EXAMPLES.items():
        path = path.replace(key, value)
    return path


def routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for route in app.routes:
        if isinstance(route, APIRoute) or hasattr(route, "methods"):
            for method in sorted(getattr(route, "methods", None) or []):
                if method != "HEAD":
                    out.append((method, route.path))
    return out


def test_every_route_is_classified(app) -> None:  # type: ignore[no-untyped-def]
    """A new route must be added to the matrix, so nobody forgets its access rule."""
    known = set(READS) | set(WRITES) | PUBLIC | LOCAL | {"/api/openapi.json", "/api/docs"}
    extra = {"/api/attribution", "/api/cohorts", "/api/customers", "/api/forecast"}
    # reads of one action (need an existing id): access tested in test_act_pages.py
    extra |= {"/api/actions/{action_id}", "/api/actions/{action_id}/effect"}
    # one board (needs a board shared with the caller): access tested in test_boards.py
    extra |= {"/boards/{board_id}/edit", "/api/boards/{board_id}", "/api/boards/{board_id}/order"}
    unknown = [
        (m, p) for m, p in routes(app) if p not in known and p not in extra and not is_public(p)
    ]
    assert not unknown, f"classify these routes in tests/web/test_security.py: {unknown}"


@pytest.mark.parametrize("who", list(RANK))
def test_the_local_cli_routes_take_no_user(clients: dict[str, TestClient], who: str) -> None:
    client = clients[who]
    assert client.get("/api/local/ping").status_code == 401
    refused = client.post(
        "/api/local/cli",
        data={"argv": '["runs"]', "terminal": "{}", "outputs": "[]"},
        headers={"X-CSRF-Token": csrf_of(client)} if who != "anonymous" else {},
    )
    assert refused.status_code == 401


@pytest.mark.parametrize("who", list(RANK))
def test_reads(clients: dict[str, TestClient], who: str) -> None:
    client = clients[who]
    for path, needed in READS.items():
        response = client.get(concrete(path), follow_redirects=False)
        if who == "anonymous":
            if path.startswith("/api/"):
                assert response.status_code == 401, path
            else:
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/login"), path
        elif RANK[who] >= RANK[needed]:
            assert response.status_code in (200, 303), (who, path, response.text[:300])
        else:
            assert response.status_code == 403, (who, path)


def test_openapi_needs_a_login(clients: dict[str, TestClient]) -> None:
    assert clients["anonymous"].get("/api/openapi.json").status_code == 401
    assert clients["anonymous"].get("/health").json() == {"status": "ok"}
    assert clients["anonymous"].get("/static/app.css").status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "viewer", "editor"])
def test_writes_above_the_role_are_refused_and_change_nothing(
    clients: dict[str, TestClient], web_ws: Workspace, who: str
) -> None:
    client = clients[who]
    csrf = csrf_of(client) if who != "anonymous" else ""
    before_versions = len(web_ws.plan_versions())
    before_users = len(Accounts(web_ws.appdb).users())
    config_before = web_ws.config.model_dump()
    for path, needed in WRITES.items():
        if RANK[who] >= RANK[needed]:
            continue
        url = concrete(path)
        if path.startswith("/api/"):
            response = client.post(
                url,
                json={"username": "intruder", "password": "x" * 12, "fiscal_year_start_month": 1},
                headers={"X-CSRF-Token": csrf},
                follow_redirects=False,
            )
        else:
            response = client.post(
                url,
                data={"csrf_token": csrf, "username": "intruder", "password": "x" * 12},
                follow_redirects=False,
            )
        expected = (401, 303) if who == "anonymous" else (403,)
        assert response.status_code in expected, (who, path, response.status_code)
    assert len(web_ws.plan_versions()) == before_versions
    assert len(Accounts(web_ws.appdb).users()) == before_users
    assert web_ws.config.model_dump() == config_before


def test_state_changes_need_the_csrf_token(clients: dict[str, TestClient]) -> None:
    admin = clients["admin"]
    response = admin.post("/settings/users", data={"username": "x", "password": "y" * 12})
    assert response.status_code == 403
    response = admin.post(
        "/settings/users",
        data={"username": "x", "password": "y" * 12, "csrf_token": "forged"},
    )
    assert response.status_code == 403
    assert admin.post("/api/settings", json={"name": "Evil"}).status_code == 403
    assert "x" not in [u["username"] for u in admin.get("/api/settings").json()["users"]]


def test_login_form_needs_its_csrf_cookie(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_samesite(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token[1]},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "kaname_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_logout_ends_the_server_side_session(app) -> None:  # type: ignore[no-untyped-def]
    client = login(TestClient(app), "viewer")
    stolen = client.cookies.get("kaname_session")
    assert client.get("/executive", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    replay = TestClient(app)
    replay.cookies.set("kaname_session", stolen or "")
    assert replay.get("/api/executive").status_code == 401


def test_api_tokens_are_hashed_and_work_without_csrf(app, web_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    client = login(TestClient(app), "editor")
    page = client.post("/account/tokens", data={"name": "ci", "csrf_token": csrf_of(client)})
    token = re.search(r'data-testid="new-token">([^<]+)<', page.text)
    assert token
    with web_ws.appdb.session() as s:
        stored = [t.token_hash for t in s.execute(select(ApiToken)).scalars()]
    assert token[1] not in stored and all(len(h) == 64 for h in stored)
    api = TestClient(app)
    headers = {"Authorization": f"Bearer {token[1]}"}
    assert api.get("/api/executive", headers=headers).status_code == 200
    assert api.post("/api/plans/whatif", json={"win_rate": 0.3}, headers=headers).status_code == 200
    # the token carries the editor role: admin routes stay closed
    assert api.get("/api/settings", headers=headers).status_code == 403
    assert (
        api.get("/api/executive", headers={"Authorization": "Bearer kn_wrong"}).status_code == 401
    )


def test_passwords_are_argon2_hashes(web_ws: Workspace) -> None:
    with web_ws.appdb.session() as s:
        hashes = [u.password_hash for u in s.execute(select(User)).scalars()]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


def test_login_is_throttled_after_repeated_failures(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    codes = []
    for _ in range(6):
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        codes.append(
            client.post(
                "/login",
                data={"username": "marketer", "password": "wrong password", "csrf_token": token[1]},
            ).status_code
        )
    assert codes[:5] == [401] * 5 and codes[5] == 429
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    locked = client.post(
        "/login", data={"username": "marketer", "password": PASSWORD, "csrf_token": token[1]}
    )
    assert locked.status_code == 429  # even the right password waits out the lock
    app.state.throttle.succeeded("user:marketer@ip:testclient", "ip:testclient")


def test_department_users_land_on_their_dashboard(app) -> None:  # type: ignore[no-untyped-def]
    client = login(TestClient(app), "marketer")
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/department/marketing"
    data = client.get("/api/department/marketing").json()
    assert {k["kpi"] for k in data["kpis"]} >= {"leads", "cpa"}


def test_plan_save_writes_a_version_and_the_audit_log(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    editor = clients["editor"]
    plan = editor.get("/api/plans").json()
    versions = len(plan["versions"])
    label = plan["plan"]["labels"][0]
    field = f"t__leads__{label}"
    response = editor.post(
        "/api/plans", json={field: "1234"}, headers={"X-CSRF-Token": csrf_of(editor)}
    )
    assert response.status_code == 200, response.text
    after = editor.get("/api/plans").json()
    assert len(after["versions"]) == versions + 1
    assert after["versions"][0]["created_by"] == "editor"
    leads = next(k for k in after["plan"]["kpis"] if k["kpi"] == "leads")
    assert leads["targets"][label] == 1234
    audit = clients["admin"].get("/api/audit").json()
    entry = next(e for e in audit if e["action"] == "plan.save")
    assert entry["actor"] == "editor" and "1234" in entry["after"]


def test_admin_manages_users_and_settings_with_audit(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    admin = clients["admin"]
    csrf = csrf_of(admin)
    response = admin.post(
        "/api/users",
        json={"username": "newcomer", "password": "a long password", "role": "editor"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    response = admin.post(
        "/api/settings", json={"fiscal_year_start_month": 4}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200
    bad = admin.post("/api/settings", json={"currency": "yen!"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400 and "currency" in bad.json()["error"]
    assert web_ws.config.currency == "JPY"
    actions = [e["action"] for e in admin.get("/api/audit").json()]
    assert "user.create" in actions
