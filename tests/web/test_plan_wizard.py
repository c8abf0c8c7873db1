"""The plan wizard on /plans: four numbers → a saved plan version in a new workspace with no
data; its targets are the planner's solution, so the plan editor, the targets grid and the
executive page show the same CPA and CAC; editing an assumption re-solves the targets and shows
what changed; hand edits are kept, never overwritten without re-solve."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.metrics.calendar import parse_period
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, csrf_of, login

SEED = {"kgi": "1億", "deal_size": "500万", "budget": "2,000万", "r__sql_rate": "20%"}
SEED |= {"r__win_rate": "25%", "mix": "webinar=40%, paid_ads=60%", "ltv": "300万"}


@pytest.fixture()
def new_ws(tmp_path: Path) -> tuple[TestClient, TestClient, Workspace]:
    """A new workspace with no data and no plan: an editor and a viewer signed in."""
    ws = Workspace.init(tmp_path / "ws")
    accounts = Accounts(ws.appdb)
    accounts.create_user("ed", PASSWORD, role="editor")
    accounts.create_user("vi", PASSWORD, role="viewer")
    app = create_app(ws)
    return login(TestClient(app), "ed"), login(TestClient(app), "vi"), ws


def form(client: TestClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(client), **fields}


def post_json(client: TestClient, url: str, body: dict[str, str]) -> Any:
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf_of(client)})


def test_the_wizard_is_on_plans_in_a_new_workspace(
    new_ws: tuple[TestClient, TestClient, Workspace],
) -> None:
    editor, viewer, _ = new_ws
    page = editor.get("/plans").text
    assert 'data-testid="plan-wizard"' in page
    # rates default to the seeds' benchmarks, shown and editable
    assert re.search(r'name="r__sql_rate" value="20%"', page)
    assert re.search(r'name="r__win_rate" value="25%"', page)
    assert re.search(r'name="r__mql_rate" value=""', page)  # no benchmark: never assumed
    assert 'data-testid="w-save"' not in viewer.get("/plans").text


def test_preview_solves_the_seed_example(new_ws: tuple[TestClient, TestClient, Workspace]) -> None:
    editor, _, _ = new_ws
    got = post_json(editor, "/api/plans/wizard", SEED)
    assert got.status_code == 200, got.text
    data = got.json()
    assert data["volumes"] == {"revenue": 1e8, "deals": 20.0, "sqls": 80.0, "leads": 400.0}
    assert data["unit_costs"]["target_cpa"] == 50_000
    assert data["unit_costs"]["target_cac"] == 1_000_000
    assert data["unit_costs"]["ltv_cac"] == pytest.approx(3.0)
    assert data["check"]["errors"] == 0  # "no data yet" is information
    rows = {(r["kpi"], r["channel"]): r for r in data["targets"]["rows"]}
    assert rows[("leads", "")]["total"] == pytest.approx(400)
    assert rows[("leads", "webinar")]["total"] == pytest.approx(160)
    assert rows[("deals", "paid_ads")]["total"] == pytest.approx(12)
    assert len(data["targets"]["labels"]) == 12
    html = editor.post("/plans/wizard/preview", data=form(editor, **SEED)).text
    assert 'data-testid="wizard-grid"' in html
    assert "50,000円" in html and "100.0万円" in html


def test_the_mix_takes_channel_names_as_people_write_them(
    new_ws: tuple[TestClient, TestClient, Workspace],
) -> None:
    editor, _, _ = new_ws
    data = post_json(
        editor, "/api/plans/wizard", {**SEED, "mix": "ウェビナー=40%、Web広告=60%"}
    ).json()
    rows = {(r["kpi"], r["channel"]): r for r in data["targets"]["rows"]}
    assert rows[("leads", "webinar")]["total"] == pytest.approx(160)
    assert rows[("leads", "paid_ads")]["total"] == pytest.approx(240)


def test_seed_000_thirty_four_a_month(new_ws: tuple[TestClient, TestClient, Workspace]) -> None:
    """34 商談 a month at 20% → 170 leads a month; ¥200万 a month → CPA ¥11,765 (seed 000)."""
    editor, _, _ = new_ws
    fields = {"kgi": f"{34 * 12 * 0.25 * 1_000_000:,.0f}", "deal_size": "100万"}
    fields |= {"budget": "2,400万", "r__sql_rate": "20%", "r__win_rate": "25%"}
    data = post_json(editor, "/api/plans/wizard", fields).json()
    assert data["volumes"]["sqls"] == pytest.approx(408)
    assert data["volumes"]["leads"] == pytest.approx(170 * 12)
    html = editor.post("/plans/wizard/preview", data=form(editor, **fields)).text
    found = re.search(r'data-testid="w-unit-cost-target_cpa">([^<]+)<', html)
    assert found and found[1] == "11,765円"


def test_a_number_that_does_not_read_is_refused_in_the_page_s_language(
    new_ws: tuple[TestClient, TestClient, Workspace],
) -> None:
    editor, _, _ = new_ws
    bad = editor.post("/plans/wizard/preview", data=form(editor, **(SEED | {"deal_size": "5百"})))
    assert bad.status_code == 400 and "数値ではありません" in bad.text
    # a stage the team adds needs its rate: MQL化率 has no benchmark to assume
    mqls = form(editor, **(SEED | {"stage_mqls": "1"}))
    bad = editor.post("/plans/wizard/preview", data=mqls)
    assert bad.status_code == 400 and "MQL化率を入力してください" in bad.text
    assert "give the rate" not in bad.text
    editor.cookies.set("kaname_lang", "en")
    bad = editor.post("/plans/wizard/preview", data=form(editor, **(SEED | {"deal_size": "5百"})))
    assert bad.status_code == 400 and "is not a number" in bad.text
    bad = editor.post("/plans/wizard/preview", data=form(editor, **(SEED | {"stage_mqls": "1"})))
    assert bad.status_code == 400 and "give the rate mql_rate" in bad.text


def test_saved_plan_is_one_source_on_every_surface(
    new_ws: tuple[TestClient, TestClient, Workspace],
) -> None:
    editor, viewer, ws = new_ws
    refused = viewer.post("/plans/wizard", data=form(viewer, **SEED), follow_redirects=False)
    assert refused.status_code == 403
    saved = editor.post("/plans/wizard", data=form(editor, **SEED), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/plans?saved=1"
    plans = editor.get("/api/plans").json()
    assert plans["plan"]["targets_from"] == "planner"
    costs = plans["check"]["solution"]["unit_costs"]
    grid = {k["kpi"]: k["targets"] for k in plans["plan"]["kpis"]}
    month = "2026-11"
    assert costs["target_cpa"] == grid["cpa"][month] == 50_000
    assert costs["target_cac"] == grid["cac"][month] == 1_000_000
    executive = viewer.get(f"/api/executive?period={month}").json()
    shown = {r["kpi"]: r["target"] for r in [executive["kgi"], *executive["kpis"]] if r}
    assert shown["cpa"] == costs["target_cpa"] and shown["cac"] == costs["target_cac"]
    assert shown["leads"] == grid["leads"][month]
    page = editor.get("/plans?saved=1").text
    assert 'data-testid="saved"' in page and "planner's solution" not in page  # ja page
    said = re.search(r'data-testid="targets-from">([^<]+)<', page)
    assert said and "前提から逆算" in said[1]
    period = parse_period(month, ws.config.fiscal_year_start_month)
    got = ws.targets.lookup("leads", period, ws.today(), "channel", "webinar")
    assert got == pytest.approx(grid["leads"][month] * 0.4, abs=0.1)


def test_editing_an_assumption_re_solves_and_shows_what_changed(
    new_ws: tuple[TestClient, TestClient, Workspace],
) -> None:
    editor, _, _ = new_ws
    editor.post("/plans/wizard", data=form(editor, **SEED))
    plan = editor.get("/api/plans").json()["plan"]
    fields = _editor_fields(plan)
    fields["a__average_deal_size"] = "250万"  # typed as people do
    checked = post_json(editor, "/api/plans/check", fields).json()
    assert checked["source"] == "solved"
    changes = {c["kpi"]: c for c in checked["changes"]}
    assert changes["deals"]["before"] == pytest.approx(20)
    assert changes["deals"]["after"] == pytest.approx(40)
    assert set(changes) >= {"deals", "sqls", "leads", "cpa", "cac", "average_deal_size"}
    rows = {(r["kpi"], r["channel"]): r for r in checked["targets"]["rows"]}
    assert rows[("average_deal_size", "")]["cells"] == [2_500_000] * 12  # no cell left behind
    html = editor.post("/plans/check", data=form(editor, **fields)).text
    assert 'data-testid="source-solved"' in html and 'data-testid="change-deals"' in html
    saved = post_json(editor, "/api/plans", fields).json()
    assert saved["version"] == 2 and saved["source"] == "solved"
    after = {k["kpi"]: k for k in editor.get("/api/plans").json()["plan"]["kpis"]}
    assert math.fsum(after["leads"]["targets"].values()) == pytest.approx(800)
    assert set(after["cpa"]["targets"].values()) == {25_000}


def test_hand_edits_are_kept_and_named_until_re_solve(
    new_ws: tuple[TestClient, TestClient, Workspace],
) -> None:
    editor, _, _ = new_ws
    editor.post("/plans/wizard", data=form(editor, **SEED))
    plan = editor.get("/api/plans").json()["plan"]
    fields = _editor_fields(plan)
    fields["t__leads__2026-04"] = "50"
    checked = post_json(editor, "/api/plans/check", fields).json()
    assert checked["source"] == "hand" and checked["targets_from"] == "hand"
    html = editor.post("/plans/check", data=form(editor, **fields)).text
    assert 'data-testid="source-hand"' in html
    assert post_json(editor, "/api/plans", fields).json()["source"] == "hand"
    kept = editor.get("/api/plans").json()["plan"]
    assert kept["targets_from"] == "hand"
    assert next(k for k in kept["kpis"] if k["kpi"] == "leads")["targets"]["2026-04"] == 50
    said = re.search(r'data-testid="targets-from">([^<]+)<', editor.get("/plans").text)
    assert said and "手で編集" in said[1]  # the page names which targets it shows
    # an assumption of a hand-written plan changes: its targets stay, and the page says so
    moved = post_json(
        editor, "/api/plans/check", _editor_fields(kept) | {"a__average_deal_size": "250万"}
    ).json()
    assert moved["source"] == "stale" and moved["changes"] == []
    typed = _editor_fields(kept) | {"a__average_deal_size": "250万"}
    html = editor.post("/plans/check", data=form(editor, **typed)).text
    assert 'data-testid="source-stale"' in html
    # the user chooses re-solve: the planner's solution replaces the hand edit
    resolved = post_json(editor, "/api/plans/check", _editor_fields(kept) | {"resolve": "1"})
    assert resolved.json()["source"] == "solved"
    leads = next(r for r in resolved.json()["targets"]["rows"] if r["kpi"] == "leads")
    assert leads["total"] == pytest.approx(400)


def _editor_fields(plan: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """The editor's form as the browser posts it: every field as the page shows it."""
    fields = {"kgi_target": plan["kgi_entry"]}
    fields |= {f"a__{k}": v for k, v in plan["assumption_entries"].items()}
    for k in plan["kpis"]:
        fields |= {f"t__{k['kpi']}__{lb}": v for lb, v in k["entries"].items()}
    return fields


def test_the_ab_calculator_reads_numbers_as_people_type_them(
    new_ws: tuple[TestClient, TestClient, Workspace],
) -> None:
    """Visitors typed as 1.2万 and 12,000 are the same number on the experiments form."""
    editor, _, _ = new_ws
    body = {"conversions_a": "120", "conversions_b": "150", "visitors_b": "12,000"}
    typed = post_json(editor, "/api/experiments", body | {"visitors_a": "1.2万"})
    plain = post_json(editor, "/api/experiments", body | {"visitors_a": "12,000"})
    assert typed.status_code == plain.status_code == 200, typed.text
    assert typed.json() == plain.json()
