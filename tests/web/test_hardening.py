"""Issue 15, web security: each finding as a test that failed before its fix (docs/security.md
lists them). The access matrix itself is in test_security.py."""

from __future__ import annotations

import io
import os
import re
import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from kaname.act.reports import build_report, render_xlsx
from kaname.auth.accounts import AccountError, Accounts
from kaname.dashboard.connect import UPLOAD_DIR, clean_uploads, store_upload
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, csrf_of, login, try_login

HUGE = "99999999999999999999"


def _user(ws: Workspace, name: str, role: str = "viewer", first: bool = False) -> None:
    Accounts(ws.appdb).create_user(name, PASSWORD, role=role, must_change_password=first)


def _new_token(client: TestClient) -> str:
    page = client.post("/account/tokens", data={"name": "t", "csrf_token": csrf_of(client)})
    found = re.search(r'data-testid="new-token">([^<]+)<', page.text)
    assert found, page.text[:500]
    return found[1]


# ---------------------------------------------------------------------- 1. one-time passwords
def test_a_one_time_password_opens_no_api_and_cannot_be_kept(app, web_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    _user(web_ws, "fresh-admin", role="admin", first=True)
    client = login(TestClient(app), "fresh-admin")
    csrf = csrf_of(client)
    assert client.get("/api/executive").status_code == 403
    assert client.get("/api/settings").status_code == 403
    made = client.post(
        "/api/users",
        json={"username": "sneaky", "password": "a long password", "role": "admin"},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 403 and "error" in made.json()
    assert "sneaky" not in [u["username"] for u in Accounts(web_ws.appdb).users()]
    same = client.post(
        "/account/password", data={"current": PASSWORD, "new": PASSWORD, "csrf_token": csrf}
    )
    assert same.status_code == 400 and "現在のパスワードと違う" in same.text
    changed = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a new long secret", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    again = login(TestClient(app), "fresh-admin", "a new long secret")
    assert again.get("/api/executive").status_code == 200


# ---------------------------------------------------------------------- 6. tokens and passwords
def test_tokens_die_with_a_password_change_and_admins_revoke_any(
    app, clients: dict[str, TestClient], web_ws: Workspace
) -> None:  # type: ignore[no-untyped-def]
    _user(web_ws, "scripter")
    owner = login(TestClient(app), "scripter")
    api = TestClient(app)
    token = _new_token(owner)
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/account", headers=bearer).status_code == 200
    admin = clients["admin"]
    listed = [t for t in admin.get("/api/tokens").json() if t["owner"] == "scripter"]
    assert len(listed) == 1
    revoked = admin.post(
        f"/api/tokens/{listed[0]['id']}/revoke", headers={"X-CSRF-Token": csrf_of(admin)}
    )
    assert revoked.status_code == 200
    assert api.get("/api/account", headers=bearer).status_code == 401

    token = _new_token(owner)
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/account", headers=bearer).status_code == 200
    owner.post(
        "/account/password",
        data={"current": PASSWORD, "new": "another long secret", "csrf_token": csrf_of(owner)},
    )
    assert api.get("/api/account", headers=bearer).status_code == 401


def test_common_overlong_and_name_passwords_are_refused(web_ws: Workspace) -> None:
    accounts = Accounts(web_ws.appdb)
    for bad in ("password123", "qwertyuiop", "aaaaaaaaaaaa", "x" * 1025, "pw-weakling-2026"):
        with pytest.raises(AccountError):
            accounts.create_user("weakling", bad)
    accounts.create_user("longpass", ("horse battery staple " * 49)[:1024])


def test_lockout_is_per_address_and_ignores_x_forwarded_for(app) -> None:  # type: ignore[no-untyped-def]
    attacker = TestClient(app, client=("203.0.113.7", 4000))
    codes = [
        try_login(
            attacker, "admin", "wrong guess", headers={"X-Forwarded-For": f"198.51.100.{i}"}
        ).status_code
        for i in range(6)
    ]
    assert codes[-1] == 429  # the header did not make each try a new address
    login(TestClient(app, client=("192.0.2.10", 5000)), "admin")  # the admin still signs in
    app.state.throttle.succeeded("user:admin@ip:203.0.113.7", "ip:203.0.113.7")


# ---------------------------------------------------------------------- 6. headers and origin
def test_security_headers(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    page = clients["viewer"].get("/account")
    policy = page.headers["content-security-policy"]
    script = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'self'" in script and "unsafe" not in script
    assert "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in page.headers
    assert "onclick=" not in page.text and "onsubmit=" not in page.text
    secure = TestClient(create_app(web_ws, secure_cookies=True), base_url="https://testserver")
    assert "max-age=" in secure.get("/login").headers["strict-transport-security"]


def test_cross_site_state_changes_are_refused(clients: dict[str, TestClient]) -> None:
    viewer = clients["viewer"]
    data = {"language": "ja", "csrf_token": csrf_of(viewer)}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        response = viewer.post("/account/language", data=data, headers=headers)
        assert response.status_code == 403, headers
    ok = viewer.post(
        "/account/language",
        data=data,
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    # back to no preference: the shared viewer's pages follow its cookie again
    viewer.post("/account/language", data={**data, "language": ""}, headers=same_origin())


def same_origin() -> dict[str, str]:
    return {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


def test_serving_publicly_without_secure_cookies_warns(
    web_ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from kaname.cli.serve import serve_workspace

    runs: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append(kw))
    serve_workspace(web_ws, "0.0.0.0", 8000, schedule=False)
    assert "--secure-cookies" in capsys.readouterr().err
    assert runs[0]["proxy_headers"] is False  # X-Forwarded-For ignored unless configured
    serve_workspace(web_ws, "127.0.0.1", 8000, schedule=False, forwarded_allow_ips="10.0.0.2")
    assert "--secure-cookies" not in capsys.readouterr().err
    assert runs[1]["forwarded_allow_ips"] == "10.0.0.2"


def test_openapi_declares_the_error_answers(clients: dict[str, TestClient]) -> None:
    spec = clients["admin"].get("/api/openapi.json").json()
    answers = spec["paths"]["/api/executive"]["get"]["responses"]
    assert {"400", "401", "403", "413"} <= set(answers)


def test_app_db_and_uploads_are_private(
    clients: dict[str, TestClient], web_ws: Workspace, app
) -> None:  # type: ignore[no-untyped-def]
    assert stat.S_IMODE((web_ws.root / "kaname.db").stat().st_mode) == 0o600
    upload = store_upload(app.state.dashboard, "leads.csv", b"email\na@example.com\n")
    folder = web_ws.root / UPLOAD_DIR / upload
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(next(folder.iterdir()).stat().st_mode) == 0o600


# ---------------------------------------------------------------------- 4. request sizes
def test_big_bodies_get_413_before_they_are_read(clients: dict[str, TestClient]) -> None:
    viewer = clients["viewer"]
    started = time.monotonic()
    big = {"source": "yaml", "yaml": "x: " + "y" * (2 * 1024 * 1024)}
    response = viewer.post("/api/plans/check", json=big, headers={"X-CSRF-Token": "x"})
    assert response.status_code == 413 and "error" in response.json()
    assert time.monotonic() - started < 5

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(64):
            yield b" " * 16384

    chunked = viewer.post(
        "/api/plans/whatif",
        content=chunks(),
        headers={"X-CSRF-Token": csrf_of(viewer), "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413


def test_uploads_over_the_configured_limit_are_refused_and_old_ones_removed(
    clients: dict[str, TestClient], web_ws: Workspace, app
) -> None:  # type: ignore[no-untyped-def]
    editor = clients["editor"]
    uploads = web_ws.root / UPLOAD_DIR
    before = set(uploads.iterdir()) if uploads.exists() else set()
    config = web_ws.config
    web_ws.config = config.model_copy(update={"max_upload_mb": 0.01})
    try:
        response = editor.post(
            "/api/import/leads",
            files={"file": ("leads.csv", b"email\n" + b"a@example.com\n" * 2000, "text/csv")},
            data={"dry_run": "true"},
            headers={"X-CSRF-Token": csrf_of(editor)},
        )
    finally:
        web_ws.config = config
    assert response.status_code == 413
    assert (set(uploads.iterdir()) if uploads.exists() else set()) == before
    old = uploads / ("0" * 24)
    old.mkdir(parents=True, exist_ok=True)
    (old / "left.csv").write_text("email\n")
    os.utime(old, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    assert clean_uploads(app.state.dashboard) >= 1 and not old.exists()


# ---------------------------------------------------------------------- 5. clean 4xx
def test_huge_ids_and_deep_documents_get_a_clear_400(clients: dict[str, TestClient]) -> None:
    viewer, admin, editor = clients["viewer"], clients["admin"], clients["editor"]
    assert viewer.get(f"/api/actions/{HUGE}").status_code == 400
    resolved = editor.post(
        f"/api/alerts/{HUGE}/resolve", json={}, headers={"X-CSRF-Token": csrf_of(editor)}
    )
    assert resolved.status_code in (400, 404), resolved.text
    deep = "a: " + "[" * 3000 + "]" * 3000
    checked = viewer.post(
        "/api/plans/check",
        json={"source": "yaml", "yaml": deep},
        headers={"X-CSRF-Token": csrf_of(viewer)},
    )
    assert checked.status_code == 400, checked.text
    rules = admin.post(
        "/api/alerts/rules", json={"yaml": deep}, headers={"X-CSRF-Token": csrf_of(admin)}
    )
    assert rules.status_code == 400, rules.text
    nested = viewer.post(
        "/api/plans/whatif",
        content=b"[" * 100_000,
        headers={"X-CSRF-Token": csrf_of(viewer), "Content-Type": "application/json"},
    )
    assert 400 <= nested.status_code < 500


# ---------------------------------------------------------------------- 7. formula injection
def test_xlsx_report_cells_are_never_formulas(web_ws: Workspace) -> None:
    data = build_report(web_ws, web_ws.period("2026-10"), "en")
    data["actions"] = [
        {
            "id": 1,
            "title": '=HYPERLINK("http://evil.example","click")',
            "status": "running",
            "kpis": ["leads"],
            "owner": "@owner",
            "start_date": None,
            "end_date": None,
            "expected_lift": None,
            "decision": "+1 more",
        }
    ]
    book = load_workbook(io.BytesIO(render_xlsx(data)))
    row = [c.value for c in book["Actions"][2]]
    assert row[1] == '\'=HYPERLINK("http://evil.example","click")'
    assert row[4] == "'@owner" and row[8] == "'+1 more"
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            assert not any(c.data_type == "f" for c in cells)


# ---------------------------------------------------------------------- 8. offline API docs
def test_api_docs_load_nothing_from_a_cdn(clients: dict[str, TestClient]) -> None:
    page = clients["viewer"].get("/api/docs")
    assert page.status_code == 200
    assert "https://" not in page.text and "cdn" not in page.text.lower()
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        answer = clients["anonymous"].get(asset)
        assert answer.status_code == 200 and len(answer.content) > 100, asset
    bundle = Path(clients["viewer"].get("/static/api-docs.js").text)
    assert "SwaggerUIBundle" in str(bundle)
