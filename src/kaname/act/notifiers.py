"""Notification channels: a validated config union (kaname.yaml `channels:`) and one Notifier per
type. Delivery retries with exponential backoff and records every outcome in the app DB
(`deliveries`), so a failed message is visible, never silently dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from pydantic import BaseModel, Field

from kaname.clock import utcnow
from kaname.config.act import (
    InAppChannel,
    Recipient,
    SlackChannel,
    SmtpChannel,
    WebhookChannel,
)
from kaname.urlguard import REASONS, UnsafeUrl, check_url, redact_url

if TYPE_CHECKING:
    from kaname.store.appdb import AppDB

log = logging.getLogger("kaname.act")
SIGNATURE_HEADER = "X-Kaname-Signature"
"""Generic webhooks carry `sha256=<hex HMAC-SHA256 of the raw body>` under this header."""


class DeliveryError(Exception):
    """A channel could not take a message; the message says why (retried, then recorded)."""


class Message(BaseModel):
    """What to say, in both languages; each channel picks its recipients' language."""

    subject: dict[str, str]
    """Language → subject line."""
    text: dict[str, str]
    """Language → plain text body."""
    html: dict[str, str] = Field(default_factory=dict)
    """Language → HTML body (e-mail); the text body is used where missing."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """Structured data for webhooks (the alert or report as JSON)."""
    event: str = "alert"
    attachments: list[tuple[str, str, bytes]] = Field(default_factory=list)
    """(filename, MIME type, content) — e-mail only (scheduled reports)."""

    def pick(self, part: dict[str, str], language: str) -> str:
        return part.get(language) or part.get("en") or next(iter(part.values()), "")


class Notifier(Protocol):
    """Sends one message on one channel or raises DeliveryError."""

    def send(self, message: Message) -> None: ...


def sign(secret: str, body: bytes) -> str:
    """The signature header value receivers recompute to trust a webhook."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class InAppNotifier:
    def __init__(self, channel: InAppChannel) -> None:
        self.channel = channel

    def send(self, message: Message) -> None:
        return None  # the alert row is the in-app notification


class SmtpNotifier:
    def __init__(self, channel: SmtpChannel, language: str) -> None:
        self.channel = channel
        self.language = channel.language or language

    def build(self, message: Message, recipient: Recipient) -> EmailMessage:
        lang = recipient.language or self.language
        mail = EmailMessage()
        mail["Subject"] = message.pick(message.subject, lang)
        mail["From"] = self.channel.sender
        mail["To"] = recipient.address
        mail["Content-Language"] = lang
        mail.set_content(message.pick(message.text, lang))
        if message.html:
            mail.add_alternative(message.pick(message.html, lang), subtype="html")
        for filename, mime, content in message.attachments:
            main, _, sub = mime.partition("/")
            mail.add_attachment(content, maintype=main, subtype=sub, filename=filename)
        return mail

    def send(self, message: Message) -> None:
        ch = self.channel
        try:
            if ch.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    ch.host,
                    ch.port,
                    timeout=ch.timeout_seconds,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(ch.host, ch.port, timeout=ch.timeout_seconds)
            with smtp:
                if ch.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if ch.username:
                    smtp.login(ch.username, os.environ.get(ch.password_env or "", ""))
                for recipient in ch.recipients:
                    smtp.send_message(self.build(message, recipient))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {ch.host}:{ch.port}: {exc}") from exc


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: float, allow: Sequence[str]
) -> None:
    """POST to a receiver that passes the URL rule (urlguard). The error people see names the
    URL only by scheme, host and path prefix (a webhook's path or ?token= is its secret) and
    never carries the receiver's answer; that goes to the server log."""
    shown = redact_url(url)
    try:
        check_url(url, allow)
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except UnsafeUrl as exc:
        raise DeliveryError(f"POST {shown}: {REASONS[exc.reason]}") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(redact_url(f"POST {shown}: {type(exc).__name__}")) from None
    if response.status_code >= 300:
        log.warning("POST %s: HTTP %s %s", shown, response.status_code, response.text[:200])
        raise DeliveryError(f"POST {shown}: HTTP {response.status_code}")


class SlackNotifier:
    def __init__(self, channel: SlackChannel, language: str, allow: Sequence[str] = ()) -> None:
        self.channel = channel
        self.language = channel.language or language
        self.allow = allow
        """url_allow_list of kaname.yaml: hosts this channel may post to over http or on an
        internal address."""

    def send(self, message: Message) -> None:
        subject = message.pick(message.subject, self.language)
        text = message.pick(message.text, self.language)
        body = json.dumps(
            {
                "text": f"*{subject}*\n{text}",
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}},
                ],
            },
            ensure_ascii=False,
        ).encode("utf-8")
        _post(
            self.channel.webhook_url,
            body,
            {"Content-Type": "application/json"},
            self.channel.timeout_seconds,
            self.allow,
        )


class WebhookNotifier:
    def __init__(self, channel: WebhookChannel, language: str, allow: Sequence[str] = ()) -> None:
        self.channel = channel
        self.language = channel.language or language
        self.allow = allow
        """url_allow_list of kaname.yaml: hosts this channel may post to over http or on an
        internal address."""

    def send(self, message: Message) -> None:
        body = json.dumps(
            {
                "event": message.event,
                "subject": message.pick(message.subject, self.language),
                "text": message.pick(message.text, self.language),
                "language": self.language,
                "data": message.payload,
            },
            ensure_ascii=False,
            default=str,
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Kaname-Event": message.event}
        if self.channel.secret_env:
            secret = os.environ.get(self.channel.secret_env)
            if not secret:
                raise DeliveryError(
                    f"webhook {self.channel.name}: environment variable "
                    f"{self.channel.secret_env} (the signing secret) is not set"
                )
            headers[SIGNATURE_HEADER] = sign(secret, body)
        _post(self.channel.url, body, headers, self.channel.timeout_seconds, self.allow)


def notifier_for(channel: Any, language: str, allow: Sequence[str] = ()) -> Notifier:
    if isinstance(channel, SmtpChannel):
        return SmtpNotifier(channel, language)
    if isinstance(channel, SlackChannel):
        return SlackNotifier(channel, language, allow)
    if isinstance(channel, WebhookChannel):
        return WebhookNotifier(channel, language, allow)
    return InAppNotifier(channel)


def deliver(
    db: AppDB,
    channel: Any,
    message: Message,
    language: str,
    alert_id: int | None = None,
    notifier: Notifier | None = None,
    sleep: Callable[[float], None] = time.sleep,
    allow: Sequence[str] = (),
) -> dict[str, Any]:
    """Send with retries and exponential backoff; the `deliveries` row records each attempt.
    `allow` is the workspace's url_allow_list (urlguard).

    Returns the delivery as a dict (status sent or failed, attempts, last_error).
    """
    from kaname.store.act_models import Delivery

    notifier = notifier or notifier_for(channel, language, allow)
    with db.session() as session:
        row = Delivery(
            alert_id=alert_id,
            subject=message.pick(message.subject, channel.language or language)[:300],
            channel=channel.name,
            channel_type=channel.type,
            status="pending",
            attempts=0,
            last_error="",
        )
        session.add(row)
    wait = channel.backoff_seconds
    error = ""
    for attempt in range(1, channel.retries + 2):
        try:
            notifier.send(message)
        except DeliveryError as exc:
            error = str(exc)
            _record(
                db, row.id, "pending" if attempt <= channel.retries else "failed", attempt, error
            )
            if attempt <= channel.retries:
                sleep(wait)
                wait *= 2
            continue
        _record(db, row.id, "sent", attempt, error, sent=True)
        return delivery_dict(db, row.id)
    return delivery_dict(db, row.id)


def _record(
    db: AppDB, delivery_id: int, status: str, attempts: int, error: str, sent: bool = False
) -> None:
    from kaname.store.act_models import Delivery

    with db.session() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        row.status, row.attempts, row.last_error = status, attempts, error
        if sent:
            row.sent_at = utcnow()


def shown_error(error: str) -> str:
    """A delivery error as people see it: URLs redacted, and nothing after `HTTP <status>`
    (rows recorded by earlier versions kept the receiver's answer there)."""
    found = re.search(r"HTTP \d{3}", error)
    return redact_url(error[: found.end()] if found else error)


def delivery_dict(db: AppDB, delivery_id: int) -> dict[str, Any]:
    from kaname.store.act_models import Delivery

    with db.session() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return {
            "id": row.id,
            "alert_id": row.alert_id,
            "subject": row.subject,
            "channel": row.channel,
            "channel_type": row.channel_type,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": shown_error(row.last_error),
            "created_at": row.created_at,
            "sent_at": row.sent_at,
        }
