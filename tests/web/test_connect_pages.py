"""Connect pages (issue 5): file upload with mapping, dry run, reconciling summary and quarantine
download; data quality and logged, audited merges; Sources against a local fake HubSpot with a
background sync, progress and history. Secrets never appear; viewers cannot change anything."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kaname.dashboard import connect as service
from kaname.store.connector_models import SyncRun
from kaname.workspace import Workspace
from web_helpers import csrf_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest" / "connectors"))

from connector_fakes import FakeHubSpot
from fake_google_sa import make_account

TOKEN = "pat-na1-web-secret-token-7f3a"
CSV = (
    "リードID,メールアドレス,流入経路,作成日\n"
    "WEBT-1,dup@example.jp,paid_ads,2019/4/1\n"
    "WEBT-2,Dup@Example.jp,event,2019-04-02\n"
    "WEBT-3,three@example.jp,webinar,not a date\n"
    "WEBT-4,four@example.jp,,2019/4/4\n"
).encode()


def _upload(client: TestClient, csrf: str, name: str = "展示会リスト.csv") -> str:
    page = client.post(
        "/import/upload",
        data={"csrf_token": csrf, "table": "leads"},
        files={"file": (name, CSV, "text/csv")},
    )
    assert page.status_code == 200, page.text
    found = re.search(r'name="upload" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    assert 'value="lead_id" selected' in page.text and 'value="created_at" selected' in page.text
    return found[1]


def _lead_ids(ws: Workspace, like: str) -> list[str]:
    t = ws.warehouse.table("leads")
    return sorted(str(v) for v in t.filter(t.lead_id.like(like)).lead_id.execute())


def _numbers(html: str) -> dict[str, int]:
    out = {}
    for key in ("rows-read", "inserted", "updated", "unchanged", "quarantined"):
        found = re.search(rf'data-testid="{key}">([\d,]+)<', html)
        assert found, key
        out[key] = int(found[1].replace(",", ""))
    return out


def test_upload_maps_dry_runs_imports_and_reports_quarantine(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    editor = clients["editor"]
    csrf = csrf_of(editor)
    assert editor.get("/import").status_code == 200
    upload = _upload(editor, csrf)
    form = {"csrf_token": csrf, "upload": upload, "table": "leads"}

    dry = editor.post("/import/run", data={**form, "action": "dry_run"})
    assert dry.status_code == 200, dry.text
    assert 'data-testid="reconciles"' in dry.text
    counts = _numbers(dry.text)
    assert counts["rows-read"] == 4 and counts["quarantined"] == 1
    assert _lead_ids(web_ws, "WEBT-%") == []

    done = editor.post("/import/run", data={**form, "action": "import"})
    assert done.status_code == 200, done.text
    counts = _numbers(done.text)
    assert counts == {
        "rows-read": 4,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 1,
    }
    link = re.search(r'href="(/import/runs/\d+/quarantine\.csv)"', done.text)
    assert link, done.text
    report = editor.get(link[1])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    text = report.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("行番号,列,値,理由")  # the header in the user's language
    assert lines[1].startswith("4,作成日,not a date,")  # row 4, the bad date; the column by name
    assert len(lines[1].split(",", 3)[3]) > 3  # a reason is given

    # the same file again changes nothing (through the JSON twin)
    again = editor.post(
        "/api/import/leads",
        files={"file": ("展示会リスト.csv", CSV, "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 200, again.text
    summary = again.json()
    assert (summary["inserted"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert summary["quarantined"] == 1 and summary["reconciles"]
    assert summary["rows_read"] == sum(
        summary[k] for k in ("inserted", "updated", "unchanged", "quarantined")
    )
    quarantine = editor.get(f"/api/import/runs/{summary['run_id']}/quarantine").json()
    assert [(q["row"], q["column"]) for q in quarantine] == [(4, "created_at")]
    runs = editor.get("/api/import").json()["runs"]
    assert runs[0]["run_id"] == summary["run_id"]
    actions = [e["action"] for e in clients["admin"].get("/api/audit").json()]
    assert actions.count("import.run") >= 2


def test_an_import_whose_process_is_gone_shows_as_interrupted(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    import socket
    import subprocess

    from kaname.store.ingest_models import ImportRun

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with web_ws.appdb.session() as session:
        run = ImportRun(
            table_name="spend",
            file_name="killed.csv",
            file_sha256="0" * 64,
            host=socket.gethostname(),
            pid=int(gone.stdout),
        )
        session.add(run)
    try:
        page = clients["editor"].get("/import")
        row = re.search(r"killed\.csv.*?data-testid=\"run-status\">([^<]+)<", page.text, re.S)
        assert row and row[1] == "中断", page.text
        runs = clients["editor"].get("/api/import").json()["runs"]
        assert [r["status"] for r in runs if r["run_id"] == run.id] == ["interrupted"]
    finally:
        with web_ws.appdb.session() as session:
            session.delete(session.get(ImportRun, run.id))


def test_a_sync_whose_process_is_gone_shows_as_interrupted(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    import socket
    import subprocess

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    started = dt.datetime(2026, 11, 19, 8, 0)
    with web_ws.appdb.session() as session:
        resumed = SyncRun(
            source="meta_ads", mode="incremental", started_at=started, status="failed"
        )
        session.add(resumed)
        session.flush()
        killed = SyncRun(
            source="meta_ads",
            mode="incremental",
            started_at=started + dt.timedelta(hours=1),
            host=socket.gethostname(),
            pid=int(gone.stdout),
        )
        session.add(killed)
        session.flush()
        resumed.resumed_by = killed.id
    try:
        page = clients["viewer"].get("/sources").text
        states = re.findall(r'data-testid="history-status">([^<]+)<', page)
        assert "中断" in states and "失敗" in states, page
        assert "後の同期がこの同期の続きから取り込みました。" in page
        history = clients["viewer"].get("/api/sources/meta_ads/history").json()
        assert [r["status"] for r in history[:2]] == ["interrupted", "failed"]
        assert history[1]["resumed_by"] == killed.id
    finally:
        with web_ws.appdb.session() as session:
            session.delete(session.get(SyncRun, killed.id))
            session.delete(session.get(SyncRun, resumed.id))


def test_upload_errors_show_in_the_page(clients: dict[str, TestClient]) -> None:
    editor = clients["editor"]
    csrf = csrf_of(editor)
    bad = editor.post(
        "/import/upload",
        data={"csrf_token": csrf, "table": "leads"},
        files={"file": ("notes.pdf", b"%PDF", "application/pdf")},
    )
    assert bad.status_code == 400 and 'data-testid="error"' in bad.text
    assert "Traceback" not in bad.text
    expired = editor.post(
        "/import/run",
        data={"csrf_token": csrf, "upload": "0" * 24, "table": "leads", "action": "import"},
    )
    assert expired.status_code == 400 and 'data-testid="error"' in expired.text
    api = editor.post(
        "/api/import/nosuchtable",
        files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 400 and "nosuchtable" in api.json()["error"]


def test_quality_json_equals_the_service_and_merges_are_logged_and_audited(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    editor = clients["editor"]
    csrf = csrf_of(editor)
    # duplicates by e-mail (WEBT-1 and WEBT-2 share dup@example.jp, imported above or here)
    editor.post(
        "/api/import/leads",
        files={"file": ("dups.csv", CSV, "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    data = clients["viewer"].get("/api/quality").json()
    expected = service.safe(web_ws.ingest.quality())
    assert data["findings"] == expected["findings"]
    assert any(f["id"] == "duplicate_lead_emails" for f in data["findings"])

    page = clients["viewer"].get("/quality")
    assert page.status_code == 200
    assert 'data-testid="finding-duplicate_lead_emails"' in page.text
    assert "/quality/merge" not in page.text  # viewers see no merge buttons
    page = editor.get("/quality")
    assert 'data-testid="merge-WEBT-1"' in page.text

    refused = clients["viewer"].post(
        "/api/quality/merge",
        json={"table": "leads", "keep": "WEBT-1", "others": ["WEBT-2"]},
        headers={"X-CSRF-Token": csrf_of(clients["viewer"])},
    )
    assert refused.status_code == 403
    merged = editor.post(
        "/quality/merge",
        data={
            "csrf_token": csrf,
            "table": "leads",
            "keep": "WEBT-1",
            "others": "WEBT-2",
            "reason": "duplicate_lead_emails",
        },
    )
    assert merged.status_code == 200 and 'data-testid="merged"' in merged.text
    assert _lead_ids(web_ws, "WEBT-%") == ["WEBT-1", "WEBT-4"]
    assert web_ws.ingest.merges(1)[0]["kept"] == "WEBT-1"
    audit = clients["admin"].get("/api/audit").json()
    entry = next(e for e in audit if e["action"] == "quality.merge")
    assert entry["actor"] == "editor" and "WEBT-2" in entry["after"]
    bad = editor.post(
        "/api/quality/merge",
        json={"table": "leads", "keep": "WEBT-1", "others": ["NOPE-9"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 400 and "error" in bad.json()


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(TOKEN)
    for i in range(1, 6):
        fake.put(
            "contacts",
            f"90{i}",
            email=f"hs{i}@example.jp",
            hs_analytics_source="ORGANIC_SEARCH",
            lifecyclestage="lead",
            hs_lifecyclestage_lead_date="2019-04-01T00:30:00.000Z",
        )
    yield fake
    fake.stop()


def test_sources_connect_sync_in_the_background_and_show_history(
    clients: dict[str, TestClient],
    app,
    hubspot: FakeHubSpot,  # type: ignore[no-untyped-def]
) -> None:
    admin, editor, viewer = clients["admin"], clients["editor"], clients["viewer"]
    empty = viewer.get("/sources")
    assert empty.status_code == 200 and 'data-testid="source-hubspot"' in empty.text
    assert "/sources/hubspot/connect" not in empty.text  # viewers see no credential forms

    # a viewer and an editor cannot connect; the admin can
    for who in (viewer, editor):
        refused = who.post(
            "/api/sources/hubspot/connect",
            json={"access_token": TOKEN, "base_url": hubspot.url},
            headers={"X-CSRF-Token": csrf_of(who)},
        )
        assert refused.status_code == 403
    bad = admin.post(
        "/sources/hubspot/connect",
        data={
            "csrf_token": csrf_of(admin),
            "access_token": "wrong",
            "base_url": hubspot.url,
            "check": "1",
        },
    )
    assert bad.status_code == 400 and 'data-testid="error"' in bad.text
    ok = admin.post(
        "/sources/hubspot/connect",
        data={
            "csrf_token": csrf_of(admin),
            "access_token": TOKEN,
            "base_url": hubspot.url,
            "page_size": "2",
            "check": "1",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text

    # a viewer cannot sync; an editor starts a background sync, polled by HTMX
    assert (
        viewer.post(
            "/api/sources/hubspot/sync", headers={"X-CSRF-Token": csrf_of(viewer)}
        ).status_code
        == 403
    )
    started = editor.post(
        "/sources/hubspot/sync",
        data={"csrf_token": csrf_of(editor)},
        headers={"HX-Request": "true"},
    )
    assert started.status_code == 200
    assert 'data-testid="job-hubspot"' in started.text
    assert "<strong>HubSpot</strong>" in started.text  # the product's name, not its id
    job = service.sync_jobs(app.state.dashboard).wait("hubspot", 60)
    assert job is not None and job.state == "ok", job and job.to_dict()
    status = viewer.get("/sources/status?polling=1", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' not in status.text  # polling stops once it has ended
    assert 'hx-select="#sources-list"' in status.text  # and the list reloads once

    page = viewer.get("/sources")
    assert 'data-testid="history"' in page.text and "raw_hubspot_contacts" in page.text
    history = viewer.get("/api/sources/hubspot/history").json()
    assert history[0]["status"] == "ok" and history[0]["trigger"] == "web"
    assert history[0]["tables"]["raw_hubspot_contacts"] == 5
    listed = {s["source"]: s for s in viewer.get("/api/sources").json()["sources"]}
    assert listed["hubspot"]["connected"] and listed["hubspot"]["settings"]["access_token"] == "***"
    assert listed["hubspot"]["last_run"]["rows"] >= 5
    assert len(_lead_ids(app.state.ws, "90_")) == 5

    # the JSON twin waits when asked; a second run adds nothing
    again = editor.post(
        "/api/sources/hubspot/sync?wait=true", headers={"X-CSRF-Token": csrf_of(editor)}
    )
    assert again.status_code == 200 and again.json()["state"] == "ok"

    # re-saving settings with the secret left empty keeps it
    kept = admin.post(
        "/sources/hubspot/connect",
        data={
            "csrf_token": csrf_of(admin),
            "base_url": hubspot.url,
            "page_size": "3",
            "check": "1",
        },
        follow_redirects=False,
    )
    assert kept.status_code == 303, kept.text

    # the secret never appears in any page or JSON
    seen = [
        admin.get("/sources").text,
        admin.get("/api/sources").text,
        admin.get("/api/sources/status").text,
        admin.get("/api/sources/hubspot/history").text,
        admin.get("/sources/status").text,
        admin.get("/api/audit").text,
        admin.get("/settings").text,
    ]
    assert all(TOKEN not in text for text in seen)
    actions = [e["action"] for e in admin.get("/api/audit").json()]
    assert {"source.connect", "source.sync"} <= set(actions)

    gone = admin.post("/api/sources/hubspot/disconnect", headers={"X-CSRF-Token": csrf_of(admin)})
    assert gone.status_code == 200 and not gone.json()["connected"]
    assert "source.disconnect" in [e["action"] for e in admin.get("/api/audit").json()]


def _set_language(client: TestClient, language: str) -> None:
    done = client.post(
        "/account/language",
        data={"language": language, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert done.status_code in (200, 303), done.text


def test_connect_forms_and_their_errors_follow_the_users_language(
    clients: dict[str, TestClient],
    app,  # type: ignore[no-untyped-def]
) -> None:
    from markupsafe import escape

    from kaname.web.i18n import catalog
    from kaname.web.routes.connect import code_spans

    admin = clients["admin"]
    ja = catalog("ja")
    available = app.state.ws.connectors.available()
    try:
        _set_language(admin, "ja")
        page = admin.get("/sources").text
        for spec in available:
            assert str(escape(ja[" ".join(spec["doc"].split())])) in page, spec["source"]
            for f in spec["fields"]:
                label = re.search(
                    rf'data-testid="field-{spec["source"]}-{f["name"]}"><span class="name">'
                    r"([^<]*)<code>",
                    page,
                )
                assert label and label[1].strip() == ja[f["name"]], (spec["source"], f["name"])
                assert str(code_spans(ja[f["help"]])) in page, (spec["source"], f["name"])
        assert "サービスアカウントのキー（JSON）" in page and "一括エクスポートの開始日" in page
        refused = admin.post(
            "/sources/meta_ads/connect", data={"csrf_token": csrf_of(admin), "page_size": "x"}
        )
        assert refused.status_code == 400
        assert "Meta Ads の設定に誤りがあります: 設定項目 page_size: 整数を入力してください" in (
            refused.text
        )
        api = admin.post(
            "/api/sources/salesforce/disconnect", headers={"X-CSRF-Token": csrf_of(admin)}
        )
        assert api.json()["error"] == "salesforce は接続されていないため、切断するものはありません"

        _set_language(admin, "en")
        page = admin.get("/sources").text
        assert (
            'data-testid="field-marketo-bulk_start_date"><span class="name">bulk_start_date' in page
        )
        assert str(escape("Bulk export: leads created since this date (YYYY-MM-DD)")) in page
        refused = admin.post(
            "/sources/meta_ads/connect", data={"csrf_token": csrf_of(admin), "page_size": "x"}
        )
        assert "Meta Ads settings: page_size: Input should be a valid integer" in refused.text
        api = admin.post(
            "/api/sources/salesforce/disconnect", headers={"X-CSRF-Token": csrf_of(admin)}
        )
        assert api.json()["error"] == (
            "salesforce is not connected, so there is nothing to disconnect"
        )
    finally:
        _set_language(admin, "workspace")  # not ja/en: back to the workspace language


def test_data_pages_speak_the_users_language_and_show_each_error_once(
    clients: dict[str, TestClient],
) -> None:
    admin = clients["admin"]
    try:
        _set_language(admin, "ja")
        empty = admin.post(
            "/import/upload",
            data={"csrf_token": csrf_of(admin), "table": "leads"},
            files={"file": ("空.csv", b"", "text/csv")},
        )
        assert empty.status_code == 400 and "アップロードしたファイルが空です" in empty.text
        assert ">リード</option>" in admin.get("/import").text  # tables by name, no id in ja
        merge = admin.post(
            "/quality/merge",
            data={"csrf_token": csrf_of(admin), "table": "leads", "keep": "X-1", "others": ""},
        )
        assert merge.status_code == 400
        assert "残すレコードと、そこへ統合するレコードを 1 件以上指定してください" in merge.text
        notice = admin.get("/sources?done=connected&source=hubspot").text
        assert "HubSpot を接続しました。" in notice

        # a refused connect form shows its error once, in its own card beside the form
        refused = admin.post(
            "/sources/meta_ads/connect", data={"csrf_token": csrf_of(admin), "page_size": "x"}
        )
        assert refused.status_code == 400
        assert refused.text.count('data-testid="error"') == 1
        card = refused.text.split('data-testid="source-meta_ads"')[1].split("</section>")[0]
        assert 'data-testid="error"' in card and "<details open>" in card

        page = admin.get("/sources").text
        # a yes/no setting is a choice, not a text field holding "True"
        marketo = page.split('data-testid="connect-marketo"')[1].split("</form>")[0]
        assert '<select name="bulk_export">' in marketo and 'value="True"' not in marketo
        # commands in help texts read as code, not with their backticks
        assert "<code>gcloud auth print-access-token</code>" in page
        assert "`gcloud" not in page

        _set_language(admin, "en")
        empty = admin.post(
            "/import/upload",
            data={"csrf_token": csrf_of(admin), "table": "leads"},
            files={"file": ("empty.csv", b"", "text/csv")},
        )
        assert "the uploaded file is empty" in empty.text
        assert "HubSpot is connected." in admin.get("/sources?done=connected&source=hubspot").text
    finally:
        _set_language(admin, "workspace")


def test_sync_steps_and_finding_examples_read_as_people_say_them() -> None:
    from kaname.web.i18n import translator
    from kaname.web.routes.connect import code_spans, example_cell, progress_step

    ja = translator("ja")
    job = {"source": "hubspot", "label": ""}
    assert progress_step(job, ja) == "開始しています…"
    assert progress_step({**job, "label": "hubspot contacts"}, ja) == "contacts を読み込んでいます…"
    assert progress_step({**job, "label": "hubspot → canonical"}, ja) == (
        "標準テーブルに変換しています…"
    )
    assert progress_step({**job, "label": "refresh"}, ja) == "KPI を再計算しています…"
    assert example_cell("2026-06-12T00:00:00") == "2026-06-12"
    assert example_cell("2026-06-12T10:30:00") == "2026-06-12 10:30"
    assert example_cell(4829.0) == "4,829" and example_cell(12.345) == "12.35"
    assert example_cell("DUP-1") == "DUP-1" and example_cell(None) == ""
    assert str(code_spans("run `kaname <x>` & go")) == "run <code>kaname &lt;x&gt;</code> &amp; go"


def test_sources_say_how_many_report_rows_a_sync_removed(
    clients: dict[str, TestClient],
    app,
    hubspot: FakeHubSpot,  # type: ignore[no-untyped-def]
) -> None:
    ws = app.state.ws
    if "hubspot" not in ws.connectors.connected():
        ws.connectors.connect(
            "hubspot", {"access_token": TOKEN, "base_url": hubspot.url}, check=False
        )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with ws.appdb.session() as session:
        session.add(
            SyncRun(
                source="hubspot",
                mode="incremental",
                trigger="schedule",
                started_at=now,
                finished_at=now,
                status="ok",
                rows=12,
                table_rows=json.dumps({"raw_hubspot_contacts": 12, "_deleted": 3}),
                error="",
            )
        )
    history = clients["viewer"].get("/api/sources/hubspot/history").json()
    assert history[0]["deleted"] == 3
    page = clients["viewer"].get("/sources").text
    assert "3 件はソースに無くなったため削除" in page or "3 no longer reported, removed" in page


def test_connect_service_errors_read_in_each_language() -> None:
    error = service.ConnectError("w_not_a_column", column="会社", table="leads")
    assert str(error) == service.error_text(error, "en")
    assert "'会社' is not a column of leads" in service.error_text(error, "en")
    assert "'会社' は leads の列ではありません" in service.error_text(error, "ja")
    with pytest.raises(service.ConnectError) as caught:
        service.check_table("deals")
    assert "テーブル 'deals' はありません" in service.error_text(caught.value, "ja")


def test_a_duplicate_email_proposes_merging_every_duplicate_into_the_first() -> None:
    finding = {
        "id": "duplicate_lead_emails",
        "examples": [
            {"email": "a@example.jp", "first_id": "L1", "last_id": "L9", "lead_ids": "L1, L4, L9"},
            {"email": "b@example.jp", "first_id": "L2", "last_id": "L3", "lead_ids": None},
        ],
    }
    three, two = service.merge_choices(finding)
    assert three["keep"] == "L1" and three["others"] == ["L4", "L9"]
    assert two["keep"] == "L2" and two["others"] == ["L3"]


def test_a_stored_service_account_key_names_its_account_not_its_contents(
    clients: dict[str, TestClient],
    app,  # type: ignore[no-untyped-def]
) -> None:
    account = make_account("https://oauth2.googleapis.com/token", bits=1024)
    app.state.ws.connectors.connect(
        "ga4",
        {"property_id": "123456", "service_account_json": account.key_json()},
        check=False,
    )
    page = clients["admin"].get("/sources").text
    assert 'data-testid="service-account-ga4"' in page and account.email in page
    assert "PRIVATE KEY" not in page
    app.state.ws.connectors.disconnect("ga4")
