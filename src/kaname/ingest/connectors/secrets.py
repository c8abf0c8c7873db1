"""Connector credentials encrypted at rest (Fernet) and kept out of logs and output.

The key comes from `KANAME_SECRET_KEY` (a Fernet key) or from `.kaname/secret.key` in the workspace,
created on first use with owner-only permissions (0600).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

ENV_SECRET_KEY = "KANAME_SECRET_KEY"
KEY_FILE = Path(".kaname") / "secret.key"
REDACTED = "***"


class SecretKeyError(Exception):
    """The secret key is missing, invalid or cannot decrypt the stored credentials."""


def load_key(root: Path, create: bool = True) -> bytes:
    """The workspace's Fernet key: from the environment, else the key file (created if asked)."""
    env = os.environ.get(ENV_SECRET_KEY)
    if env:
        key = env.strip().encode()
        _check(key, f"${ENV_SECRET_KEY}")
        return key
    path = root / KEY_FILE
    if path.exists():
        key = path.read_bytes().strip()
        _check(key, str(path))
        return key
    if not create:
        raise SecretKeyError(
            f"no secret key: set ${ENV_SECRET_KEY} or restore {path} (credentials stored with "
            "another key cannot be read; run `kaname connect` again)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    os.chmod(path, 0o600)
    return key


def _check(key: bytes, where: str) -> None:
    try:
        Fernet(key)
    except (ValueError, TypeError) as exc:
        raise SecretKeyError(
            f"{where} is not a Fernet key (32 url-safe base64 bytes; make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`)"
        ) from exc


class SecretBox:
    """Encrypts and decrypts connector credentials with the workspace key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise SecretKeyError(
                "stored credentials cannot be decrypted with this secret key "
                f"(${ENV_SECRET_KEY} or {KEY_FILE} changed?); run `kaname connect` again"
            ) from exc


_registered: set[str] = set()
_PATTERNS = [
    # Bearer tokens and access_token=... in anything a library might log.
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password)[\"']?\s*[=:]\s*[\"']?)"
        r"[^&\s\"',}]+"
    ),
    # A PEM private key (a service-account key file pasted or echoed whole, or cut short).
    re.compile(
        r"(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    ),
]


def register_secret(value: str | None) -> None:
    """Remember a secret value so the log filter replaces it wherever it appears."""
    if value and len(value) >= 4:
        _registered.add(value)


def redact(text: str) -> str:
    """The text with every registered secret and token-looking value replaced by ***."""
    for secret in sorted(_registered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from every record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        _clean(record)
        return True


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None


_installed = False


def install_log_redaction() -> None:
    """Redact every log record when it is made, whatever logger or handler it goes to
    (a filter on one logger would miss records from child loggers and later handlers)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _clean(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
