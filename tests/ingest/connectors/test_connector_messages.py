"""Connector errors read in the workspace's language (Japanese or English), keep the vendor's own
words, name the wrong setting, and carry both languages for the web's per-user language."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from connector_fakes import FakeHubSpot

from kaname.config import WorkspaceConfig
from kaname.ingest.connectors import get_connector
from kaname.ingest.connectors import service as service_module
from kaname.ingest.connectors import sync as sync_module
from kaname.ingest.connectors.base import ConnectorError
from kaname.ingest.connectors.http import RetryPolicy
from kaname.ingest.connectors.service import ConnectorService
from kaname.store.connector_models import SyncRun
from kaname.workspace import Workspace

TOKEN = "pat-na1-message-token"


@pytest.fixture(params=["ja", "en"])
def lang_ws(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    monkeypatch.delenv("KANAME_SECRET_KEY", raising=False)
    workspace = Workspace.init(
        tmp_path / "ws", WorkspaceConfig(language=request.param, url_allow_list=["127.0.0.1"])
    )
    workspace.__dict__["connectors"] = ConnectorService(
        workspace, retry=RetryPolicy(attempts=2, backoff=0.001, max_wait=0.01)
    )
    yield workspace
    workspace.close()


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(TOKEN)
    for i in range(1, 6):
        fake.put("contacts", str(i), email=f"user{i}@example.jp", lifecyclestage="lead")
    yield fake
    fake.stop()


def refused(ws: Workspace, call: Any) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        call()
    error = caught.value
    # str() is the workspace's language; texts has both, for the web user's language.
    assert str(error) == error.texts[ws.config.language]
    assert set(error.texts) == {"en", "ja"}
    return error


def said(ws: Workspace, en: str, ja: str) -> str:
    return ja if ws.config.language == "ja" else en


def test_disconnect_of_a_source_not_connected(lang_ws: Workspace) -> None:
    error = refused(lang_ws, lambda: lang_ws.connectors.disconnect("hubspot"))
    assert error.texts["en"] == "hubspot is not connected, so there is nothing to disconnect"
    assert error.texts["ja"] == "hubspot は接続されていないため、切断するものはありません"


def test_sync_and_check_of_a_source_not_connected_say_how_to_connect(lang_ws: Workspace) -> None:
    for call in (
        lambda: lang_ws.connectors.sync("salesforce"),
        lambda: lang_ws.connectors.check("salesforce"),
    ):
        error = refused(lang_ws, call)
        assert str(error) == said(
            lang_ws,
            "salesforce is not connected; run `kaname connect salesforce`",
            "salesforce は接続されていません。`kaname connect salesforce` で接続してください",
        )


def test_a_refused_check_keeps_the_vendors_words(lang_ws: Workspace, hubspot: FakeHubSpot) -> None:
    settings = {"access_token": "pat-wrong", "base_url": hubspot.url}
    error = refused(lang_ws, lambda: lang_ws.connectors.connect("hubspot", settings))
    text = str(error)
    assert "HTTP 401" in text  # the vendor's refusal, as it said it
    assert "pat-wrong" not in text
    if lang_ws.config.language == "ja":
        assert text.startswith("HubSpot に接続できませんでした。認証情報と設定を確認してください")
        assert "（HubSpot の応答: " in text
    else:
        assert text.startswith("HubSpot: ") and "HTTP 401" in text
    assert not lang_ws.connectors.connected()


@pytest.mark.parametrize(
    ("source", "settings", "en", "ja"),
    [
        (
            "hubspot",
            {},
            "HubSpot settings: access_token: Field required",
            "HubSpot の設定に誤りがあります: 設定項目 access_token: 必須です。値を入力してください",
        ),
        (
            "hubspot",
            {"access_token": "pat-x", "page_size": "many"},
            "HubSpot settings: page_size: Input should be a valid integer",
            "HubSpot の設定に誤りがあります: 設定項目 page_size: 整数を入力してください",
        ),
        (
            "marketo",
            {
                "munchkin_url": "https://1.mktorest.com",
                "client_id": "c",
                "client_secret": "s",
                "bulk_start_date": "2024/13/01",
                "bulk_poll_seconds": "soon",
                "bulk_export": "maybe",
            },
            "Marketo settings: bulk_export: Input should be a valid boolean (true or false); "
            "bulk_start_date: not a date; write it as YYYY-MM-DD (e.g. 2024-04-01); "
            "bulk_poll_seconds: Input should be a valid number",
            "Marketo の設定に誤りがあります: 設定項目 bulk_export: true か false を入力してください"
            " / 設定項目 bulk_start_date: 日付として読めません。YYYY-MM-DD（例: 2024-04-01）の"
            "形式で入力してください / 設定項目 bulk_poll_seconds: 数値を入力してください",
        ),
        (
            "meta_ads",
            {"acess_token": "x"},
            "Meta Ads settings: acess_token: not a setting of this source; settings: base_url, "
            "schedule_minutes, ad_account_id, access_token, api_version, export_path, start_date, "
            "lookback_days, window_days, page_size",
            "Meta Ads の設定に誤りがあります: 設定項目 acess_token: このデータソースの設定項目では"
            "ありません。設定項目: base_url, schedule_minutes, ad_account_id, access_token, "
            "api_version, export_path, start_date, lookback_days, window_days, page_size",
        ),
        (
            "meta_ads",
            {},
            "Meta Ads settings: give ad_account_id and access_token, or export_path for CSV files",
            "Meta Ads の設定に誤りがあります: ad_account_id と access_token を入力するか、CSV "
            "ファイルを使う場合は export_path を入力してください",
        ),
        (
            "google_ads",
            {},
            "Google Ads settings: give customer_id and developer_token, or export_path for CSV "
            "files",
            "Google Ads の設定に誤りがあります: customer_id と developer_token を入力するか、CSV "
            "ファイルを使う場合は export_path を入力してください",
        ),
        (
            "ga4",
            {"property_id": "123"},
            "Google Analytics 4 settings: give service_account_json (a service-account key "
            "file), or client_id, client_secret and refresh_token, or access_token",
            "Google Analytics 4 の設定に誤りがあります: service_account_json（サービスアカウントの"
            "キーファイル）、または client_id・client_secret・refresh_token の組、または "
            "access_token のいずれかを入力してください",
        ),
    ],
)
def test_settings_errors_name_the_setting_in_the_workspace_language(
    lang_ws: Workspace, source: str, settings: dict[str, Any], en: str, ja: str
) -> None:
    error = refused(lang_ws, lambda: lang_ws.connectors.connect(source, settings, check=False))
    assert error.texts == {"en": en, "ja": ja}
    assert str(error) == said(lang_ws, en, ja)


def test_a_pydantic_message_we_do_not_know_stays_as_pydantic_said_it(lang_ws: Workspace) -> None:
    settings = {"property_id": "1", "service_account_json": "@/nowhere/kaname-key.json"}
    error = refused(lang_ws, lambda: lang_ws.connectors.connect("ga4", settings, check=False))
    framing = said(
        lang_ws, "Google Analytics 4 settings: ", "Google Analytics 4 の設定に誤りがあります: "
    )
    field = said(lang_ws, "service_account_json: ", "設定項目 service_account_json: ")
    assert str(error).startswith(framing + field + "no key file at /nowhere/kaname-key.json")


def test_an_interrupted_sync_is_recorded_in_the_workspace_language(
    lang_ws: Workspace, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "FLUSH_ROWS", 2)
    lang_ws.connectors.connect(
        "hubspot", {"access_token": TOKEN, "base_url": hubspot.url, "page_size": 2}, check=False
    )

    def crash(label: str, done: int, total: int) -> None:
        if label == "hubspot contacts" and done >= 2:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        lang_ws.connectors.sync("hubspot", progress=crash)
    [run] = lang_ws.connectors.history("hubspot")
    assert run["status"] == "interrupted"
    assert run["error"] == said(
        lang_ws,
        "HubSpot: interrupted (KeyboardInterrupt: killed); the data loaded before stays and the "
        "next sync continues from there",
        "HubSpot: 同期が中断されました（KeyboardInterrupt: killed）。それまでに取り込んだデータは"
        "残り、次の同期はその続きから再開します",
    )


def test_an_unknown_source_lists_the_sources_in_both_languages() -> None:
    with pytest.raises(ConnectorError) as caught:
        get_connector("hubspt")
    assert caught.value.text("ja").startswith(
        "データソース 'hubspt' はありません。データソース: hubspot"
    )
    assert caught.value.text("en").startswith("unknown source 'hubspt'; sources: hubspot")


def test_a_second_sync_of_a_busy_source_says_since_when_and_writes_no_run(
    lang_ws: Workspace, hubspot: FakeHubSpot
) -> None:
    lang_ws.connectors.connect(
        "hubspot", {"access_token": TOKEN, "base_url": hubspot.url}, check=False
    )
    started = dt.datetime(2026, 11, 20, 9, 30, 5)
    with lang_ws.appdb.session() as session:  # a sync of this source runs (in this process)
        holder = SyncRun(source="hubspot", mode="incremental", started_at=started)
        holder.claim()
        session.add(holder)
    [result] = lang_ws.connectors.sync("hubspot")
    assert result.status == "busy" and result.run_id is None
    assert result.error == said(
        lang_ws,
        "another sync of HubSpot is running since 2026-11-20 09:30:05 UTC; this one did not "
        "start — run it again when that one has ended",
        "HubSpot は別の同期が 2026-11-20 09:30:05 UTC から実行中です。今回の同期は開始して"
        "いません。その同期が終わってからもう一度実行してください",
    )
    [run] = lang_ws.connectors.history("hubspot")  # the holder only
    assert run["id"] == holder.id and run["status"] == "running"


def test_a_sync_whose_process_is_gone_is_marked_interrupted_and_resumed(
    lang_ws: Workspace, hubspot: FakeHubSpot
) -> None:
    lang_ws.connectors.connect(
        "hubspot", {"access_token": TOKEN, "base_url": hubspot.url}, check=False
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with lang_ws.appdb.session() as session:  # left `running` by a process killed since
        ghost = SyncRun(source="hubspot", mode="incremental", host=socket.gethostname())
        ghost.pid, ghost.process_token = dead.pid, "0:0"
        session.add(ghost)
    assert lang_ws.connectors.history("hubspot")[0]["status"] == "interrupted"  # shown so
    [result] = lang_ws.connectors.sync("hubspot")
    assert result.status == "ok" and result.resumed == [ghost.id]
    newest, killed = lang_ws.connectors.history("hubspot")
    assert newest["status"] == "ok" and killed["resumed_by"] == newest["id"]
    assert killed["error"] == said(
        lang_ws,
        "HubSpot: the sync stopped before it ended (its process is gone); the data loaded "
        "before stays and the next sync continues from there",
        "HubSpot: 同期が途中で止まりました（実行していたプロセスがありません）。それまでに"
        "取り込んだデータは残り、次の同期はその続きから再開します",
    )


def test_a_mapping_that_fails_keeps_the_raw_data_and_says_what_to_fix(
    lang_ws: Workspace, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch
) -> None:
    lang_ws.connectors.connect(
        "hubspot", {"access_token": TOKEN, "base_url": hubspot.url}, check=False
    )

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError("unknown channel 'X'")

    monkeypatch.setattr(service_module.ConnectorService, "_map", broken)
    [result] = lang_ws.connectors.sync("hubspot")
    assert result.status == "failed" and "unknown channel 'X'" in result.error
    assert said(lang_ws, "fix the mapping", "マッピング") in result.error
    assert lang_ws.connectors.raw_rows("hubspot")["raw_hubspot_contacts"] == 5
