"""Act pages of the dashboard (issue 7): actions with measured effect, the A/B calculator,
alerts, report downloads and the KPI review. Each JSON twin returns what `ws.act` computes;
viewers read, editors change, and every change is recorded with who made it."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.dashboard.service import clean
from kaname.store.act_models import Alert, Delivery
from kaname.workspace import Workspace
from web_helpers import csrf_of

KPI = "mqls"  # leads and webinar_registrations belong to test_scheduler.py


def _post(client: TestClient, url: str, body: Any = None) -> Any:
    return client.post(url, json=body or {}, headers={"X-CSRF-Token": csrf_of(client)})


def _audit(ws: Workspace, action: str) -> list[dict[str, Any]]:
    return [e for e in Accounts(ws.appdb).audit_log(500) if e["action"] == action]


@pytest.fixture(scope="module")
def action_id(clients: dict[str, TestClient]) -> int:
    response = _post(
        clients["editor"],
        "/api/actions",
        {
            "title": "Nurture e-mails for stalled MQLs",
            "hypothesis": "A three-step nurture lifts MQLs from e-mail",
            "kpis": [KPI],
            "dimension_pair": "channel=email",
            "owner": "sato",
            "start_date": "2026-08-03",
            "expected_lift": "10%",
            "status": "do",
        },
    )
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize("path", ["/actions", "/experiments", "/alerts", "/reports", "/review"])
def test_pages_render_for_a_viewer(clients: dict[str, TestClient], path: str) -> None:
    response = clients["viewer"].get(path)
    assert response.status_code == 200, response.text[:500]
    assert "<h1" in response.text and "Traceback" not in response.text
    assert clients["anonymous"].get(path, follow_redirects=False).status_code == 303


def test_created_action_equals_the_service_and_is_audited(
    clients: dict[str, TestClient], web_ws: Workspace, action_id: int
) -> None:
    item = clients["viewer"].get(f"/api/actions/{action_id}").json()
    stored = clean(web_ws.act.action(action_id))
    assert {k: item[k] for k in stored} == stored
    assert stored["dimension"] == "channel" and stored["dimension_value"] == "email"
    assert stored["expected_lift"] == pytest.approx(0.1) and stored["created_by"] == "editor"
    listing = clients["viewer"].get(f"/api/actions?kpi={KPI}").json()
    assert listing["actions"] == clean(web_ws.act.actions(kpi=KPI))
    found = clients["viewer"].get("/api/actions?q=nurture stalled").json()["actions"]
    assert [a["id"] for a in found] == [action_id]
    assert clients["viewer"].get("/api/actions?q=nothing-like-this").json()["actions"] == []
    entry = _audit(web_ws, "action.create")[0]
    assert entry["actor"] == "editor" and entry["target"] == f"action:{action_id}"
    page = clients["viewer"].get("/actions").text
    assert "Nurture e-mails for stalled MQLs" in page


def test_action_is_an_annotation_on_the_trend(
    clients: dict[str, TestClient], action_id: int
) -> None:
    data = clients["viewer"].get(f"/api/trends?kpi={KPI}&periods=6").json()
    notes = [a for a in data["annotations"] if a["kind"] == "action"]
    assert any(a["text"].startswith("Nurture e-mails for stalled MQLs") for a in notes)
    assert "Nurture e-mails for stalled MQLs" in clients["viewer"].get(f"/trends?kpi={KPI}").text


def test_viewer_cannot_change_actions(
    clients: dict[str, TestClient], web_ws: Workspace, action_id: int
) -> None:
    before = web_ws.act.actions()
    viewer = clients["viewer"]
    assert _post(viewer, "/api/actions", {"title": "x", "kpis": [KPI]}).status_code == 403
    assert _post(viewer, f"/api/actions/{action_id}", {"status": "stop"}).status_code == 403
    response = _post(viewer, f"/api/actions/{action_id}/decision", {"decision": "stop"})
    assert response.status_code == 403
    form = viewer.post(
        f"/actions/{action_id}/status", data={"csrf_token": csrf_of(viewer), "status": "check"}
    )
    assert form.status_code == 403
    assert web_ws.act.actions() == before


def test_editor_creates_in_the_page_updates_and_decides(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    editor = clients["editor"]
    csrf = csrf_of(editor)
    response = editor.post(
        "/actions",
        data={
            "csrf_token": csrf,
            "title": "Case-study landing page",
            "kpis": [KPI, "sqls"],
            "start_date": "2026-09-01",
            "status": "plan",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    url = response.headers["location"].split("?")[0]
    new_id = int(url.rsplit("/", 1)[1])
    bad = editor.post("/actions", data={"csrf_token": csrf, "title": "no KPI", "kpis": []})
    assert bad.status_code == 400 and 'data-testid="action-error"' in bad.text
    editor.post(f"{url}/status", data={"csrf_token": csrf, "status": "check"})
    assert web_ws.act.action(new_id)["status"] == "check"
    editor.post(
        f"{url}/decision",
        data={"csrf_token": csrf, "decision": "expand", "learnings": "Works for mid-market"},
    )
    item = web_ws.act.action(new_id)
    assert (item["decision"], item["status"]) == ("expand", "act")
    assert "Works for mid-market" in item["learnings"]
    decided = _audit(web_ws, "action.decide")[0]
    assert decided["actor"] == "editor" and decided["target"] == f"action:{new_id}"
    assert json.loads(decided["after"])["decision"] == "expand"
    assert item["decided_by"] == "editor"
    page = clients["viewer"].get(url).text
    assert 'data-testid="action-decision"' in page and "editor" in page
    assert 'data-testid="action-decided-by"' in page
    # the history names the changes in the viewer's language (ja), not action.decide
    assert "判断を記録しました" in page and "action.decide" not in page
    assert clients["viewer"].get(f"/api/actions/{new_id}").json()["decided_by"] == "editor"
    history = clients["viewer"].get(f"/api/actions/{new_id}").json()["history"]
    assert [h["action"] for h in history][:2] == ["action.decide", "action.update"]
    # the JSON twins change the same way
    changed = _post(editor, f"/api/actions/{new_id}", {"owner": "tanaka"})
    assert changed.status_code == 200 and changed.json()["owner"] == "tanaka"
    wrong = _post(editor, f"/api/actions/{new_id}/decision", {"decision": "maybe"})
    assert wrong.status_code == 400 and "decision must be" in wrong.json()["error"]
    assert _post(editor, "/api/actions/999999/decision", {"decision": "stop"}).status_code == 400
    assert clients["viewer"].get("/actions/999999", follow_redirects=False).status_code == 303


def test_effect_twin_equals_the_service_and_the_page_says_it_plainly(
    clients: dict[str, TestClient], web_ws: Workspace, action_id: int
) -> None:
    data = clients["viewer"].get(f"/api/actions/{action_id}/effect").json()
    assert data == clean(web_ws.act.measure_action(action_id))
    result = data["results"][0]
    assert result["kpi"] == KPI and result["method"] == "before_after"
    assert result["ci_low"] <= result["estimate"] <= result["ci_high"]
    did = clients["viewer"].get(f"/api/actions/{action_id}/effect?compare_to=webinar").json()
    assert did == clean(web_ws.act.measure_action(action_id, compare_to="webinar"))
    assert did["results"][0]["method"] == "diff_in_diff"
    page = clients["viewer"].get(f"/actions/{action_id}?compare_to=webinar").text
    assert 'data-testid="effect-verdict"' in page and 'data-testid="effect-chart"' in page
    verdict = result["verdict_ja"]
    ja = clients["viewer"].get(f"/actions/{action_id}").text  # viewer's language: ja
    assert ("有意" in ja) and (verdict.split(":")[0] in ja)
    assert clients["viewer"].get(f"/api/actions/{action_id}/effect?grain=day").status_code == 400
    assert clients["anonymous"].get(f"/api/actions/{action_id}").status_code == 401


def test_ab_calculator_twin_and_htmx_form(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    body = {
        "conversions_a": 120,
        "visitors_a": 2400,
        "conversions_b": 156,
        "visitors_b": 2380,
        "daily_visitors": 400,
    }
    data = _post(clients["viewer"], "/api/experiments", body).json()
    expected = web_ws.act.ab_test(120, 2400, 156, 2380, daily_visitors=400).model_dump()
    assert data == clean(expected)
    assert 0 < data["p_value"] < 1 and 0.5 < data["prob_b_beats_a"] < 1
    viewer = clients["viewer"]
    form = {k: str(v) for k, v in body.items()} | {"csrf_token": csrf_of(viewer)}
    partial = viewer.post("/experiments", data=form, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert f"{data['p_value']:.4f}" in partial.text
    bad = _post(viewer, "/api/experiments", {"conversions_a": 5, "visitors_a": 0})
    assert bad.status_code == 400


def test_alerts_history_acknowledge_resolve_and_check(
    clients: dict[str, TestClient], web_ws: Workspace, app: Any
) -> None:
    with web_ws.appdb.session() as s:
        row = Alert(
            rule_id="test-rule",
            kind="threshold",
            dedup_key="test-rule|mqls||2026-10",
            kpi_id=KPI,
            period="2026-10",
            severity="critical",
            title="MQLs below 50",
            message_en="MQLs were 42 in 2026-10, below 50.",
            message_ja="2026年10月のMQLは42で、50を下回りました。",
        )
        s.add(row)
        s.flush()
        alert_id = row.id
        s.add(
            Delivery(
                alert_id=alert_id,
                subject="MQLs below 50",
                channel="ops",
                channel_type="webhook",
                status="failed",
                attempts=4,
                last_error="HTTP 500 from the receiver",
            )
        )
    app.state.dashboard.invalidate()
    viewer, editor = clients["viewer"], clients["editor"]
    data = viewer.get("/api/alerts").json()
    assert data["alerts"] == clean(web_ws.act.alerts())
    (delivery,) = data["deliveries"][str(alert_id)]
    assert [delivery] == clean(web_ws.act.deliveries(alert_id))
    assert (delivery["status"], delivery["attempts"], delivery["channel"]) == ("failed", 4, "ops")
    cell = viewer.get("/alerts").text.split(f'data-testid="deliveries-{alert_id}"')[1][:600]
    assert "HTTP 500" in cell and "失敗" in cell and "4 回試行" in cell
    assert "from the receiver" not in cell  # a receiver's answer is never shown (issue 15.2)
    assert 'data-testid="alert-badge"' in viewer.get("/alerts").text
    assert _post(viewer, f"/api/alerts/{alert_id}/acknowledge").status_code == 403
    assert _post(viewer, "/api/alerts/check").status_code == 403
    acked = _post(editor, f"/api/alerts/{alert_id}/acknowledge", {"note": "looking"}).json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "editor"
    again = _post(editor, f"/api/alerts/{alert_id}/acknowledge")
    assert again.status_code == 400
    csrf = csrf_of(editor)
    response = editor.post(
        f"/alerts/{alert_id}/resolve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    resolved = web_ws.act.alerts(status="resolved")[0]
    assert resolved["id"] == alert_id and resolved["resolved_by"] == "editor"
    assert (
        "resolved by editor" in viewer.get("/alerts").text or "editor" in viewer.get("/alerts").text
    )
    assert [e["actor"] for e in _audit(web_ws, "alert.resolve")] == ["editor"]
    checked = _post(editor, "/api/alerts/check")
    assert checked.status_code == 200 and set(checked.json()) >= {"new", "errors"}
    form = editor.post("/alerts/check", data={"csrf_token": csrf}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"].startswith("/alerts?checked=")


def test_report_downloads(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    viewer = clients["viewer"]
    html = viewer.get("/reports/download?kind=monthly&format=html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert 'filename="kaname-report-2026-10.html"' in html.headers["content-disposition"]
    xlsx = viewer.get("/reports/download?period=2026-10&format=xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    # the viewer reads Japanese: so do the sheets
    assert book.sheetnames == [
        "サマリー",
        "ファネル",
        "チャネル別",
        "キャンペーン別",
        "改善アクション",
    ]
    pdf = viewer.get("/reports/catalog?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "kaname-kpi-definitions.pdf" in pdf.headers["content-disposition"]
    cat = viewer.get("/reports/catalog?format=xlsx")
    ids = [
        r[0].value for r in load_workbook(io.BytesIO(cat.content))["KPI一覧"].iter_rows(min_row=2)
    ]
    assert KPI in ids
    assert viewer.get("/reports/download?format=doc").status_code == 400
    assert viewer.get("/api/reports").json()["periods"]["monthly"] == "2026-10"


def test_review_twin_and_decisions(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    data = clients["viewer"].get("/api/review").json()
    expected = clean(web_ws.act.review())
    assert {k: data[k] for k in expected} == expected
    assert 'data-testid="review-table"' in clients["viewer"].get("/review").text
    kpi = data["rows"][1]["kpi"]
    body = {"kpi": kpi, "decision": "change", "note": "target too easy"}
    assert _post(clients["viewer"], "/api/review/decisions", body).status_code == 403
    made = _post(clients["editor"], "/api/review/decisions", body).json()
    assert made["created_by"] == "editor" and made["decision"] == "change"
    assert made["plan_version"] == data["version"]
    page = clients["viewer"].get("/review").text
    assert f'data-testid="decided-{kpi}"' in page
    assert _audit(web_ws, "review.decide")[0]["actor"] == "editor"


def _settings_file(ws: Workspace) -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load((ws.root / "kaname.yaml").read_text(encoding="utf-8")))


def test_admin_edits_alert_rules_in_the_page_and_the_yaml_editor(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    admin, editor, viewer = clients["admin"], clients["editor"], clients["viewer"]
    original = viewer.get("/api/alerts/rules").json()
    assert set(original["types"]) >= {"target_miss", "change", "anomaly", "freshness", "quality"}
    others = {k: v for k, v in _settings_file(web_ws).items() if k != "alerts"}
    assert _post(editor, "/api/alerts/rules", {"delete": "x"}).status_code == 403
    page = admin.get("/alerts?rule_type=change").text
    assert 'data-testid="rule-form"' in page and 'name="o__min_change"' in page
    assert 'data-testid="rule-form"' not in editor.get("/alerts").text
    csrf = csrf_of(admin)
    form = {
        "csrf_token": csrf,
        "type": "change",
        "id": "mql-drop",
        "kpi": KPI,
        "o__compare": "previous_year",
        "o__min_change": "0.3",
        "enabled": "1",
    }
    response = admin.post("/alerts/rules", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:800]
    (rule,) = [r for r in web_ws.config.alerts if r.id == "mql-drop"]
    assert (rule.type, rule.kpi, rule.min_change, rule.compare) == (  # type: ignore[union-attr]
        "change",
        KPI,
        0.3,
        "previous_year",
    )
    saved = _settings_file(web_ws)
    assert {k: v for k, v in saved.items() if k != "alerts"} == others  # other settings kept
    assert {"type": "change", "id": "mql-drop", "kpi": KPI}.items() <= saved["alerts"][-1].items()
    entry = _audit(web_ws, "alerts.rules")[0]
    assert entry["actor"] == "admin" and entry["target"] == "kaname.yaml:alerts"
    assert "mql-drop" not in entry["before"] and "mql-drop" in entry["after"]
    # edit in place (the form names the rule it replaces)
    edit = form | {"original_id": "mql-drop", "o__min_change": "0.5", "severity": "critical"}
    assert admin.post("/alerts/rules", data=edit, follow_redirects=False).status_code == 303
    (rule,) = [r for r in web_ws.config.alerts if r.id == "mql-drop"]
    assert rule.min_change == 0.5 and rule.severity == "critical"  # type: ignore[union-attr]
    assert 'data-testid="edit-mql-drop"' in admin.get("/alerts").text
    # validation errors in the user's language (ja), nothing saved
    before = web_ws.config.model_dump()
    bad = admin.post("/alerts/rules", data=form | {"id": "bad", "o__min_change": "-1"})
    assert bad.status_code == 400 and 'data-testid="rules-errors"' in bad.text
    assert "0 より大きくしてください" in bad.text
    unknown = admin.post("/alerts/rules", data=form | {"id": "bad", "kpi": "no_such_kpi"})
    assert unknown.status_code == 400 and "カタログにありません" in unknown.text
    broken = admin.post("/alerts/rules/yaml", data={"csrf_token": csrf, "yaml": "alerts: [x"})
    assert broken.status_code == 400 and "YAMLとして読めません" in broken.text
    assert "alerts: [x" in broken.text  # the text is kept for fixing
    assert web_ws.config.model_dump() == before
    # the YAML editor replaces the list
    text = (
        "alerts:\n  - {type: threshold, id: mql-floor, kpi: mqls, below: 10}\n"
        "  - {type: freshness, id: stale, hours: 30}\n"
    )
    ok = admin.post(
        "/alerts/rules/yaml", data={"csrf_token": csrf, "yaml": text}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert [r.id for r in web_ws.config.alerts] == ["mql-floor", "stale"]
    # JSON twin: one rule, a delete, and problems with their translation
    added = _post(admin, "/api/alerts/rules", {"rule": {"type": "anomaly", "id": "a1", "kpi": KPI}})
    assert added.status_code == 200 and [r["id"] for r in added.json()["rules"]][-1] == "a1"
    assert added.json() == viewer.get("/api/alerts/rules").json()
    gone = _post(admin, "/api/alerts/rules", {"delete": "stale"}).json()
    assert [r["id"] for r in gone["rules"]] == ["mql-floor", "a1"]
    wrong = _post(admin, "/api/alerts/rules", {"rules": [{"type": "bogus", "id": "x"}]})
    assert wrong.status_code == 400 and wrong.json()["problems"][0]["field"] == "type"
    twice = _post(admin, "/api/alerts/rules", {"rules": [{"type": "freshness", "id": "s"}] * 2})
    assert twice.status_code == 400 and "名前は一意に" in twice.json()["problems"][0]["text"]
    deleted = admin.post("/alerts/rules/a1/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 200 and [r.id for r in web_ws.config.alerts] == ["mql-floor"]
    # put the workspace back as it was
    restored = _post(admin, "/api/alerts/rules", {"rules": original["rules"]})
    assert restored.status_code == 200 and restored.json()["rules"] == original["rules"]


def test_review_decisions_are_carried_into_the_next_plan_version(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    editor, viewer = clients["editor"], clients["viewer"]
    review = viewer.get("/api/review").json()
    kpis = [r["kpi"] for r in review["rows"] if not r["is_kgi"]]
    keep, retire = kpis[0], kpis[-1]
    for kpi, decision in ((keep, "change"), (keep, "keep"), (retire, "retire")):
        body = {"kpi": kpi, "decision": decision, "note": f"{decision} it"}
        assert _post(editor, "/api/review/decisions", body).status_code == 200
    pending = viewer.get("/api/plans").json()["review_decisions"]["pending"]
    assert {d["kpi"]: d["decision"] for d in pending}.items() >= {
        keep: "keep",
        retire: "retire",
    }.items()
    page = viewer.get("/plans").text
    assert 'data-testid="review-pending"' in page and f'data-testid="review-{keep}"' in page
    assert 'data-testid="retired-in-plan"' in page and "レビュー: 継続" in page
    saved = _post(editor, "/api/plans", {}).json()
    carried = {d["kpi"]: d for d in saved["review_decisions"]}
    assert carried[keep]["decision"] == "keep" and carried[retire]["decision"] == "retire"
    assert carried[keep]["applied_version"] == saved["version"]
    assert carried[keep]["applied_by"] == "editor" and carried[keep]["applied_at"]
    assert web_ws.act.pending_review_decisions(review["plan"]) == []
    entry = next(e for e in _audit(web_ws, "plan.save") if e["actor"] == "editor")
    assert json.loads(entry["after"])["review_decisions"][retire] == "retire"
    page = viewer.get("/plans").text
    assert 'data-testid="review-pending"' not in page
    applied = page.split(f'data-testid="applied-{saved["version"]}"')[1].split("</td>")[0]
    names = {k: web_ws.catalog.get(k).name("ja") for k in (keep, retire)}
    assert names[keep] in applied and names[retire] in applied  # by name, never by id
    assert f">{keep}:" not in applied and f"{retire}:" not in applied
