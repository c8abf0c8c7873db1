"""GA4 and Google Ads with a service-account key against a local Google that verifies the JWT
assertion (RS256 signature, iss/aud/scope, one-hour lifetime): syncs, a token expiring mid-sync
(renewed before it runs out, or after a 401), a wrong key, malformed key files refused at
connect, a key given as a path, and the key kept out of logs, output and the app DB."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fake_google_sa import SCOPES, FakeGoogleServiceAccounts, ServiceAccount, make_account
from typer.testing import CliRunner

from kaname.cli import connect as connect_cli
from kaname.config import WorkspaceConfig
from kaname.ingest.connectors import auth, reports
from kaname.ingest.connectors.base import ConnectorError
from kaname.workspace import Workspace

DEV = "dev-token-sa"

app = typer.Typer()
connect_cli.register(app)


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogleServiceAccounts]:
    monkeypatch.setattr(reports, "today", lambda: dt.date(2025, 4, 10))
    fake = FakeGoogleServiceAccounts()
    fake.developer_token = DEV
    # The client's token lifetimes run on the fake's clock, so a test can let an hour pass.
    monkeypatch.setattr(auth, "_now", fake.clock)
    fake.fill_traffic()
    for day in range(1, 11):
        for cid, name in [("111", "検索_指名"), ("222", "Display_RT")]:
            date = f"2025-04-{day:02d}"
            fake.ads[(date, cid)] = {
                "id": cid,
                "name": name,
                "type": "SEARCH" if cid == "111" else "DISPLAY",
                "date": date,
                "cost_micros": 1_500_000_000,
                "impressions": 1000,
                "clicks": 10 + day,
            }
    yield fake
    fake.stop()


@pytest.fixture
def account(google: FakeGoogleServiceAccounts) -> ServiceAccount:
    return google.account()


def connect_ga4(
    ws: Workspace, fake: FakeGoogleServiceAccounts, key: str, check: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = ws.connectors.connect(
        "ga4",
        {
            "property_id": "123456",
            "base_url": fake.url,
            "service_account_json": key,
            "start_date": "2025-04-01",
            "window_days": 4,
            "page_size": 7,
        },
        check=check,
    )
    return result


def connect_ads(
    ws: Workspace, fake: FakeGoogleServiceAccounts, key: str, check: bool = False, **extra: Any
) -> None:
    ws.connectors.connect(
        "google_ads",
        {
            "customer_id": "123-456-7890",
            "developer_token": DEV,
            "base_url": fake.url,
            "service_account_json": key,
            "start_date": "2025-04-01",
            "window_days": 3,
            **extra,
        },
        check=check,
    )


def rows(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.warehouse.con.table(name).to_pandas().to_dict(orient="records")


def pem_lines(account: ServiceAccount) -> list[str]:
    return [line for line in account.private_pem.splitlines() if not line.startswith("-----")]


def test_ga4_syncs_with_a_service_account_key(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount
) -> None:
    connect_ga4(ws, google, account.key_json(), check=True)
    issued = google.tokens_issued
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    assert result.tables["raw_ga4_traffic"] == 50 and len(rows(ws, "web_traffic")) == 40
    assert google.tokens_issued == issued + 1 and google.refused_api == 0
    grant = google.assertions[-1]
    assert grant["header"]["kid"] == account.key_id and grant["header"]["alg"] == "RS256"
    claims = grant["claims"]
    assert claims["iss"] == account.email and claims["aud"] == google.token_uri
    assert claims["scope"] == SCOPES["ga4"] and "sub" not in claims
    assert 0 < claims["exp"] - claims["iat"] <= 3600


def test_google_ads_syncs_with_a_service_account_key(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount
) -> None:
    connect_ads(ws, google, account.key_json(), check=True)
    [result] = ws.connectors.sync("google_ads")
    assert result.status == "ok", result.error
    spend = {(str(r["date"])[:10], r["campaign_id"]): r for r in rows(ws, "spend")}
    assert len(spend) == 20 and spend[("2025-04-02", "111")]["cost"] == pytest.approx(1500.0)
    claims = google.assertions[-1]["claims"]
    assert claims["scope"] == SCOPES["ads"] and claims["iss"] == account.email
    # Domain-wide delegation: the assertion names the user the account acts as.
    connect_ads(ws, google, account.key_json(), delegated_user="ads-admin@example.co.jp")
    [result] = ws.connectors.sync("google_ads")
    assert result.status == "ok", result.error
    assert google.assertions[-1]["claims"]["sub"] == "ads-admin@example.co.jp"


def test_a_ga4_key_has_no_ads_scope(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount
) -> None:
    """Each connector asks for its own scope: the fake refuses a token without it (403)."""
    connect_ga4(ws, google, account.key_json())
    ws.connectors.sync("ga4")
    assert google.token_scope == SCOPES["ga4"]
    connect_ads(ws, google, account.key_json())
    ws.connectors.sync("google_ads")
    assert google.token_scope == SCOPES["ads"] and google.refused_api == 0


def test_token_expiring_mid_sync_is_renewed_before_it_runs_out(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount
) -> None:
    connect_ga4(ws, google, account.key_json())
    calls = {"n": 0}

    def an_hour_passes(path: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            google.clock.advance(3600)

    google.on_api = an_hour_passes
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    assert calls["n"] == 8 and google.tokens_issued == 2  # one renewal
    assert google.refused_api == 0  # renewed before use: the API never saw the expired token
    assert len(rows(ws, "web_traffic")) == 40


def test_token_refused_mid_sync_is_refreshed_once(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount
) -> None:
    connect_ga4(ws, google, account.key_json())
    calls = {"n": 0}

    def revoke(path: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            google.expire_token()  # Google stops taking the token before it says it would

    google.on_api = revoke
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    assert google.tokens_issued == 2 and google.refused_api == 1
    assert len(rows(ws, "web_traffic")) == 40 and len(rows(ws, "raw_ga4_traffic")) == 50


def test_wrong_key_fails_clearly_and_keeps_earlier_data(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount
) -> None:
    connect_ga4(ws, google, account.key_json())
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    # Same account and key id, another private key: the signature does not verify.
    other = make_account(google.token_uri)
    wrong = dataclasses.replace(account, private_pem=other.private_pem)
    with pytest.raises(ConnectorError, match="Invalid JWT Signature") as refused:
        connect_ga4(ws, google, wrong.key_json(), check=True)
    assert account.email in str(refused.value) and "kaname connect" in str(refused.value)
    connect_ga4(ws, google, wrong.key_json(), check=False)
    [result] = ws.connectors.sync("ga4")
    assert result.status == "failed"
    assert "Invalid JWT Signature" in result.error and "new JSON key" in result.error
    assert not any(line in result.error for line in pem_lines(wrong))
    assert len(rows(ws, "web_traffic")) == 40 and len(rows(ws, "raw_ga4_traffic")) == 50


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


MALFORMED: dict[str, tuple[Any, str]] = {
    "not json": ("this is not a key", "not a key file's JSON"),
    "cut short": ('{"type": "service_account", "private_key": "-----BEGIN', "not a key file's"),
    "a list": ("[1, 2]", "not an object"),
    "user credential": ({"type": "authorized_user"}, "user credential"),
    "oauth client": ({"type": None, "installed": {"client_id": "x"}}, "OAuth client"),
    "wrong type": ({"type": "external_account"}, '"external_account", not "service_account"'),
    "missing fields": ({"client_email": None, "private_key_id": ""}, "lacks client_email"),
    "key not parsing": (
        {"private_key": "-----BEGIN PRIVATE KEY-----\nMIIBroken0000\n-----END PRIVATE KEY-----\n"},
        "not a readable PEM private key",
    ),
    "key cut short": ({"private_key": "x"}, "not a readable PEM private key"),
    "not rsa": ({"private_key": "EC"}, "not an RSA key"),
    "plain http": ({"token_uri": "http://oauth.example.com/token"}, "not an https URL"),
    "bare pem": ("PEM", "bare PEM key"),
    "missing file": ("@/nonexistent/kaname/key.json", "no key file at /nonexistent"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_key_is_refused_at_connect(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount, case: str
) -> None:
    given, expected = MALFORMED[case]
    if isinstance(given, dict):
        override = dict(given)
        if override.get("private_key") == "EC":
            override["private_key"] = _ec_pem()
        elif override.get("private_key") == "x":
            cut = account.private_pem[:700]
            override["private_key"] = cut + "\n-----END PRIVATE KEY-----\n"
        key = account.key_json(**override)
    elif given == "PEM":
        key = account.private_pem
    else:
        key = given
    with pytest.raises(ConnectorError) as refused:
        connect_ga4(ws, google, key, check=False)
    message = str(refused.value)
    assert "service_account_json" in message
    assert any(part in message for part in expected.split("|")), message
    assert "Google Cloud console" in message  # says how to fix it
    assert not any(line in message for line in pem_lines(account))
    assert ws.connectors.connected() == [] and google.tokens_issued == 0


def test_key_given_as_a_path(
    ws: Workspace, google: FakeGoogleServiceAccounts, account: ServiceAccount, tmp_path: Path
) -> None:
    path = tmp_path / "kaname-sync-0a1b2c.json"
    path.write_text(account.key_json())
    connect_ga4(ws, google, str(path))
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    connect_ga4(ws, google, f"@{path}")
    path.unlink()  # the key is stored (encrypted), not its path
    [result] = ws.connectors.sync("ga4")
    assert result.status == "ok", result.error
    with pytest.raises(ConnectorError, match="no key file at"):
        connect_ga4(ws, google, str(path))


def test_cli_connect_reads_the_key_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    google: FakeGoogleServiceAccounts,
    account: ServiceAccount,
) -> None:
    monkeypatch.delenv("KANAME_SECRET_KEY", raising=False)
    root = tmp_path / "ws"
    Workspace.init(root, WorkspaceConfig(url_allow_list=["127.0.0.1"])).close()
    path = tmp_path / "key.json"
    path.write_text(account.key_json())
    runner = CliRunner()
    base = ["-w", str(root)]
    out = runner.invoke(
        app,
        [
            "connect",
            "ga4",
            *base,
            "--set",
            "property_id=123456",
            "--set",
            f"base_url={google.url}",
            "--set",
            "start_date=2025-04-01",
            "--set",
            f"service_account_json=@{path}",
        ],
    )
    assert out.exit_code == 0, out.output
    synced = runner.invoke(app, ["sync", "ga4", *base])
    assert synced.exit_code == 0, synced.output
    listed = runner.invoke(app, ["sources", *base, "--json"])
    bad = runner.invoke(
        app,
        ["connect", "ga4", *base, "--set", "property_id=1", "--set", "service_account_json={"],
    )
    assert bad.exit_code == 2 and "service_account_json" in bad.output
    for text in (out.output, synced.output, listed.output, bad.output):
        assert "PRIVATE KEY" not in text
        assert not any(line in text for line in pem_lines(account))
    [ga4] = [s for s in json.loads(listed.output) if s["source"] == "ga4"]
    assert ga4["settings"]["service_account_json"] == "***"


def test_key_never_in_logs_settings_or_app_db(
    ws: Workspace,
    google: FakeGoogleServiceAccounts,
    account: ServiceAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = account.key_json()
    shown = connect_ga4(ws, google, key, check=True)
    ws.connectors.sync("ga4")
    first = google.count("/v1beta") + 1
    google.on_api = lambda path: google.expire_token() if google.count("/v1beta") == first else None
    [refreshed] = ws.connectors.sync("ga4")  # a 401 and a refresh, logged
    assert refreshed.status == "ok" and google.refused_api == 1
    wrong = dataclasses.replace(account, private_pem=make_account(google.token_uri).private_pem)
    connect_ga4(ws, google, wrong.key_json())
    [failed] = ws.connectors.sync("ga4")
    assert failed.status == "failed"
    # Whatever a library logs of the key — the file, the PEM, part of it — is redacted.
    noisy = logging.getLogger("httpx")
    noisy.debug("loaded %s", key)
    noisy.debug("key %r", account.private_pem)
    noisy.debug("partial %s", "\n".join(account.private_pem.splitlines()[:3]))
    noisy.debug("one line %s", pem_lines(wrong)[5])
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert "token refreshed" in logs and "loaded" in logs
    listed = json.dumps(ws.connectors.list_sources(), ensure_ascii=False)
    history = json.dumps(ws.connectors.history(), ensure_ascii=False)
    config = json.dumps(ws.connectors.available(), ensure_ascii=False)
    stored = (ws.root / "kaname.db").read_bytes()
    for text in (logs, listed, history, config, json.dumps(shown), failed.error):
        assert "BEGIN PRIVATE KEY-----\n" not in text and "\\n-----END" not in text
        for line in pem_lines(account) + pem_lines(wrong):
            assert line not in text
    for line in pem_lines(account) + pem_lines(wrong):
        assert line.encode() not in stored
    [ga4] = [s for s in ws.connectors.list_sources() if s["source"] == "ga4"]
    assert ga4["settings"]["service_account_json"] == "***"
    assert ga4["settings"]["service_account"] == account.email  # which key, not the key
