"""Real deliveries: an SMTP server (aiosmtpd) and HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from email.message import Message as MimeMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kaname.act import alerts
from kaname.act.notifiers import (
    SIGNATURE_HEADER,
    Message,
    SlackChannel,
    SmtpChannel,
    WebhookChannel,
    deliver,
)
from kaname.config import WorkspaceConfig
from kaname.config.act import ThresholdRule
from kaname.workspace import Workspace


class Inbox:
    def __init__(self) -> None:
        self.messages: list[MimeMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's readiness check cannot use 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


class Receiver:
    """An HTTP endpoint that fails the first `failures` requests with a 503."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                failing = len(outer.requests) <= outer.failures
                self.send_response(503 if failing else 200)
                self.end_headers()
                self.wfile.write(b"busy" if failing else b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


MESSAGE = Message(
    subject={"en": "Leads off track", "ja": "リード数が未達"},
    text={"en": "Leads are at 70% of pace.", "ja": "リード数は目標ペースの70%です。"},
    html={"en": "<p>Leads are at <b>70%</b></p>", "ja": "<p>リード数は<b>70%</b></p>"},
    payload={"kpi": "leads", "pace": 0.7},
)


def test_smtp_sends_html_and_text_in_each_recipients_language(
    smtp: tuple[int, Inbox], demo_ws: Workspace
) -> None:
    port, inbox = smtp
    channel = SmtpChannel(
        name="mail",
        host="127.0.0.1",
        port=port,
        sender="kaname@example.com",
        recipients=["boss@example.com", {"address": "cmo@example.com", "language": "en"}],
        language="ja",
    )
    result = deliver(demo_ws.appdb, channel, MESSAGE, "ja")
    assert result["status"] == "sent" and result["attempts"] == 1
    assert [m["To"] for m in inbox.messages] == ["boss@example.com", "cmo@example.com"]
    ja, en = inbox.messages
    assert ja["Subject"] == "リード数が未達" and en["Subject"] == "Leads off track"
    assert ja.get_body(("plain",)).get_content().strip() == "リード数は目標ペースの70%です。"
    assert "<b>70%</b>" in en.get_body(("html",)).get_content()


LOCAL = ["127.0.0.1"]
"""The url_allow_list that lets deliveries reach the receivers of these tests."""


def test_webhook_is_signed_with_hmac(
    receiver: Receiver, demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KANAME_HOOK_SECRET", "s3cret")
    channel = WebhookChannel(name="hook", url=receiver.url, secret_env="KANAME_HOOK_SECRET")
    assert deliver(demo_ws.appdb, channel, MESSAGE, "en", allow=LOCAL)["status"] == "sent"
    headers, body = receiver.requests[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert json.loads(body)["data"] == {"kpi": "leads", "pace": 0.7}


def test_slack_payload(receiver: Receiver, demo_ws: Workspace) -> None:
    channel = SlackChannel(name="slack", webhook_url=receiver.url, language="ja")
    deliver(demo_ws.appdb, channel, MESSAGE, "en", allow=LOCAL)
    body = json.loads(receiver.requests[0][1])
    assert body["text"].startswith("*リード数が未達*")
    assert body["blocks"][0]["text"]["text"] == "リード数が未達"


def test_a_failing_receiver_is_retried_with_backoff_then_recorded(demo_ws: Workspace) -> None:
    flaky = Receiver(failures=2)
    waits: list[float] = []
    try:
        channel = WebhookChannel(name="hook", url=flaky.url, retries=3, backoff_seconds=0.5)
        result = deliver(demo_ws.appdb, channel, MESSAGE, "en", sleep=waits.append, allow=LOCAL)
        assert result["status"] == "sent" and result["attempts"] == 3
        assert waits == [0.5, 1.0]
        assert len(flaky.requests) == 3

        down = Receiver(failures=100)
        try:
            channel = WebhookChannel(name="down", url=down.url, retries=2, backoff_seconds=0.1)
            failed = deliver(demo_ws.appdb, channel, MESSAGE, "en", sleep=waits.append, allow=LOCAL)
        finally:
            down.close()
        assert failed["status"] == "failed" and failed["attempts"] == 3
        assert "HTTP 503" in failed["last_error"]
        recorded = demo_ws.act.deliveries()
        assert recorded[0]["status"] == "failed" and recorded[0]["channel"] == "down"
    finally:
        flaky.close()


def test_alert_check_notifies_every_channel_once(
    smtp: tuple[int, Inbox], receiver: Receiver, demo_ws: Workspace
) -> None:
    port, inbox = smtp
    demo_ws.config = WorkspaceConfig.model_validate(
        {
            **demo_ws.config.model_dump(),
            "channels": [
                {"type": "in_app", "name": "app"},
                {
                    "type": "smtp",
                    "name": "mail",
                    "host": "127.0.0.1",
                    "port": port,
                    "sender": "kaname@example.com",
                    "recipients": ["team@example.com"],
                },
                {"type": "webhook", "name": "hook", "url": receiver.url},
            ],
            "alerts": [ThresholdRule(id="cpa-high", kpi="cpa", above=1.0).model_dump()],
            "url_allow_list": LOCAL,
        }
    )
    now = dt.datetime(2026, 11, 20, 9)
    first = demo_ws.act.check_alerts(now=now)
    assert len(first["new"]) == 1
    assert {d["channel"]: d["status"] for d in first["deliveries"]} == {
        "app": "sent",
        "mail": "sent",
        "hook": "sent",
    }
    assert "2026-10" in inbox.messages[0]["Subject"]
    assert json.loads(receiver.requests[0][1])["data"]["rule_id"] == "cpa-high"
    again = demo_ws.act.check_alerts(now=now + dt.timedelta(hours=1))
    assert again["new"] == [] and again["repeated"] == [first["new"][0]["id"]]
    assert len(inbox.messages) == 1 and len(receiver.requests) == 1
    assert alerts.list_alerts(demo_ws)[0]["occurrences"] == 2


def test_scheduler_tick_checks_alerts_and_mails_due_reports_once(
    smtp: tuple[int, Inbox], demo_ws: Workspace
) -> None:
    from kaname.act.schedule import run_scheduled

    port, inbox = smtp
    demo_ws.config = WorkspaceConfig.model_validate(
        {
            **demo_ws.config.model_dump(),
            "channels": [
                {
                    "type": "smtp",
                    "name": "mail",
                    "host": "127.0.0.1",
                    "port": port,
                    "sender": "kaname@example.com",
                    "recipients": [{"address": "cmo@example.com", "language": "en"}],
                }
            ],
            "alerts": [ThresholdRule(id="cpa-high", kpi="cpa", above=1.0).model_dump()],
            "reports": [{"name": "weekly", "frequency": "weekly", "format": "xlsx"}],
        }
    )
    monday = dt.datetime(2026, 11, 23, 0, 30)  # Monday 09:30 JST, after the 08:00 slot
    tick = run_scheduled(demo_ws, monday)
    assert tick["errors"] == [] and len(tick["alerts"]["new"]) == 1
    assert [d["status"] for d in tick["reports"][0]["deliveries"]] == ["sent"]
    report = next(m for m in inbox.messages if "report" in m["Subject"].lower())
    (attachment,) = list(report.iter_attachments())
    assert attachment.get_filename() == "kaname-report-2026-11.xlsx"
    again = run_scheduled(demo_ws, monday + dt.timedelta(minutes=5))
    assert again["reports"] == [] and again["alerts"] is None
    assert len(inbox.messages) == 2  # one alert, one report


def test_failed_delivery_shows_no_webhook_secret_nor_answer(demo_ws: Workspace) -> None:
    """Issue 15.2: the stored and shown error names the receiver by scheme, host and path
    prefix, never its secret path, ?token= or answer."""
    down = Receiver(failures=100)
    try:
        url = down.url + "/T0SECRET/B0SECRET/XXSECRET?token=TOKSECRET"
        channel = WebhookChannel(name="leaky", url=url, retries=0)
        failed = deliver(demo_ws.appdb, channel, MESSAGE, "en", allow=LOCAL)
    finally:
        down.close()
    shown = failed["last_error"]
    assert "HTTP 503" in shown and "/hook/…" in shown
    assert "SECRET" not in shown and "busy" not in shown
    assert "SECRET" not in json.dumps(demo_ws.act.deliveries(), default=str)


def test_webhooks_go_only_to_https_public_hosts_unless_allowed(demo_ws: Workspace) -> None:
    """Issue 15.3: the URL rule of connectors applies to webhooks: no http, no loopback,
    link-local or private address unless on url_allow_list; nothing is sent."""
    receiver = Receiver()
    try:
        for url in (receiver.url, "https://169.254.169.254/latest", "https://10.0.0.1/hook"):
            channel = WebhookChannel(name="guarded", url=url, retries=0)
            result = deliver(demo_ws.appdb, channel, MESSAGE, "en")
            assert result["status"] == "failed", url
            assert "url_allow_list" in result["last_error"]
        assert receiver.requests == []
    finally:
        receiver.close()
