"""Credentials are encrypted at rest and never appear in logs, CLI output or the app DB."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
import typer
from connector_fakes import FakeHubSpot
from typer.testing import CliRunner

from kaname.cli import connect as connect_cli
from kaname.config import WorkspaceConfig
from kaname.ingest.connectors.http import HttpClient, RetryPolicy
from kaname.ingest.connectors.secrets import (
    KEY_FILE,
    SecretBox,
    SecretKeyError,
    load_key,
    redact,
    register_secret,
)
from kaname.workspace import Workspace

TOKEN = "pat-na1-0123-secret-token-value"

# Only the connector commands: the test does not depend on the rest of the CLI.
app = typer.Typer()
connect_cli.register(app)


def test_secret_never_in_logs_output_or_app_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("KANAME_SECRET_KEY", raising=False)
    root = tmp_path / "ws"
    Workspace.init(root, WorkspaceConfig(url_allow_list=["127.0.0.1"])).close()
    fake = FakeHubSpot(TOKEN)
    fake.put("contacts", "1", email="a@example.jp")
    runner = CliRunner()
    caplog.set_level(logging.DEBUG)
    try:
        out1 = runner.invoke(
            app,
            ["connect", "hubspot", "-w", str(root), "--set", f"base_url={fake.url}"],
            input=f"{TOKEN}\n",
        )
        assert out1.exit_code == 0, out1.output
        out2 = runner.invoke(app, ["sync", "hubspot", "-w", str(root)])
        assert out2.exit_code == 0, out2.output
        out3 = runner.invoke(app, ["sources", "-w", str(root), "--json"])
        fake.token = "rotated"
        out4 = runner.invoke(app, ["sync", "-w", str(root)])  # fails: error text shown
        assert out4.exit_code == 1
        # A library that logs a header or a token must be redacted too.
        logging.getLogger("httpx").debug("Authorization: Bearer %s", TOKEN)
    finally:
        fake.stop()
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "hubspot" in out2.output and "401" in out4.output
    for text in (out1.output, out2.output, out3.output, out4.output, logs):
        assert TOKEN not in text
    assert TOKEN.encode() not in (root / "kaname.db").read_bytes()
    key = root / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_key_from_environment_and_wrong_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("KANAME_SECRET_KEY", Fernet.generate_key().decode())
    box = SecretBox(load_key(tmp_path))
    token = box.encrypt("s3cret")
    assert "s3cret" not in token and box.decrypt(token) == "s3cret"
    assert not (tmp_path / KEY_FILE).exists()
    monkeypatch.setenv("KANAME_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        SecretBox(load_key(tmp_path)).decrypt(token)
    monkeypatch.setenv("KANAME_SECRET_KEY", "not-a-key")
    with pytest.raises(SecretKeyError, match="not a Fernet key"):
        load_key(tmp_path)


def test_redact_registered_secrets_and_token_shapes() -> None:
    register_secret("abcd-registered-1234")
    text = redact("x abcd-registered-1234 y Bearer eyJhbGc.xyz access_token=zzz&a=1")
    assert "abcd-registered-1234" not in text and "eyJhbGc" not in text and "zzz" not in text
    assert "a=1" in text


def test_429_waits_retry_after_and_5xx_backs_off() -> None:
    fake = FakeHubSpot("t")
    from connector_fakes import Fault

    fake.faults = [
        Fault("/crm/v3/owners", status=429, headers={"Retry-After": "7"}, times=1),
        Fault("/crm/v3/owners", status=503, times=2),
    ]
    waits: list[float] = []
    client = HttpClient(
        fake.url, retry=RetryPolicy(attempts=5, backoff=0.5, max_wait=60), sleep=waits.append
    )
    try:
        client.client.headers["Authorization"] = "Bearer t"
        body = client.request_json("GET", "/crm/v3/owners")
    finally:
        client.close()
        fake.stop()
    assert body["results"][0]["id"] == "101"
    assert waits == [7.0, 1.0, 2.0]
