"""Helpers of the web tests: sign in like a browser, read the CSRF token of a session."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin")


def try_login(client: TestClient, username: str, password: str, **kwargs: Any) -> Response:
    """Post the login form as a browser does (its CSRF cookie and field); the answer."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token[1], "next": "/"},
        follow_redirects=False,
        **kwargs,
    )


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    response = try_login(client, username, password)
    assert response.status_code == 303, response.text
    return client


def csrf_of(client: TestClient) -> str:
    page = client.get("/account")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found[1]


def login_page(page, base: str, user: str = "admin") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button")
    page.wait_for_load_state("networkidle")
