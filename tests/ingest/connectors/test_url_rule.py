"""Issue 15.3: stored connector secrets go only to https public hosts (or the workspace's
url_allow_list), a changed URL needs the secret again, and a refused check echoes no body."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kaname.dashboard import Dashboard
from kaname.dashboard import connect as web_connect
from kaname.ingest.connectors.base import ConnectorError
from kaname.metrics.formula import FormulaError, parse
from kaname.urlguard import UnsafeUrl, check_url, redact_url
from kaname.workspace import Workspace

TOKEN = {"access_token": "pat-na1-stored-secret"}


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "https://127.0.0.1/api",
        "https://127.1/",
        "https://2130706433/",
        "https://[::1]/",
        "https://[::ffff:169.254.169.254]/",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/",
        "https://192.168.1.1/",
        "https://localhost/",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ],
)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url)


def test_the_allow_list_opens_named_hosts_and_networks_only() -> None:
    assert check_url("http://127.0.0.1:8080/x", ["127.0.0.1"])
    assert check_url("http://10.1.2.3/x", ["10.0.0.0/8"])
    with pytest.raises(UnsafeUrl):
        check_url("http://169.254.169.254/", ["127.0.0.1"])
    with pytest.raises(UnsafeUrl):
        check_url("javascript://127.0.0.1/", ["127.0.0.1"])
    assert check_url("https://93.184.215.14/")


def test_redaction_keeps_scheme_host_and_path_prefix() -> None:
    text = "POST https://hooks.slack.com/services/T0/B0/XYZ?token=abc: HTTP 404"
    assert redact_url(text) == "POST https://hooks.slack.com/services/…: HTTP 404"
    assert redact_url("https://u:pw@example.com/") == "https://example.com/…"


@pytest.fixture
def strict_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("KANAME_SECRET_KEY", raising=False)
    ws = Workspace.init(tmp_path / "strict")
    yield ws
    ws.close()


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:9", "https://169.254.169.254", "javascript:alert(1)"]
)
def test_connect_refuses_unsafe_urls(strict_ws: Workspace, base_url: str) -> None:
    with pytest.raises(ConnectorError, match="url_allow_list"):
        strict_ws.connectors.connect("hubspot", {**TOKEN, "base_url": base_url}, check=False)
    assert strict_ws.connectors.connected() == []


def test_salesforce_and_marketo_urls_are_checked(strict_ws: Workspace) -> None:
    salesforce = {
        "instance_url": "https://acme.my.salesforce.com",
        "client_id": "id",
        "client_secret": "s",
        "refresh_token": "r",
        "login_url": "https://169.254.169.254",
    }
    with pytest.raises(ConnectorError, match="login_url"):
        strict_ws.connectors.connect("salesforce", salesforce, check=False)
    marketo = {"munchkin_url": "http://10.0.0.8/rest", "client_id": "id", "client_secret": "s"}
    with pytest.raises(ConnectorError, match=r"(munchkin|base)_url"):
        strict_ws.connectors.connect("marketo", marketo, check=False)


def test_a_changed_url_needs_the_secret_again(ws: Workspace) -> None:
    """ws is on url_allow_list 127.0.0.1 (conftest): the rule here is the re-entry."""
    dash = Dashboard(ws)
    web_connect.connect(dash, "hubspot", {**TOKEN, "base_url": "http://127.0.0.1:9"}, False)
    with pytest.raises(ConnectorError, match="access_token"):
        web_connect.connect(dash, "hubspot", {"base_url": "http://127.0.0.1:10"}, check=False)
    kept = web_connect.connect(dash, "hubspot", {"base_url": "http://127.0.0.1:9"}, check=False)
    assert kept["settings"]["access_token"] == "***"
    moved = {**TOKEN, "base_url": "http://127.0.0.1:10"}
    assert web_connect.connect(dash, "hubspot", moved, check=False)["settings"]["base_url"]


class _Leaky(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(403)
        self.end_headers()
        self.wfile.write(b"INTERNAL-ONLY-DATA " * 20)


def test_a_refused_check_does_not_echo_the_answer(ws: Workspace) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Leaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(ConnectorError) as refused:
            ws.connectors.connect("hubspot", {**TOKEN, "base_url": url}, check=True)
    finally:
        server.shutdown()
        server.server_close()
    assert "HTTP 403" in str(refused.value) and "INTERNAL" not in str(refused.value)


@pytest.mark.parametrize("text", ["+".join(["leads"] * 20_000), "-" * 5_000 + "leads"])
def test_formulas_too_long_or_deep_fail_in_one_line(text: str) -> None:
    """Issue 15.5: were RecursionError tracebacks."""
    with pytest.raises(FormulaError) as refused:
        parse(text)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 200
