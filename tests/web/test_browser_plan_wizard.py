"""A new workspace as a person walks it: the plan wizard on /plans → a saved plan version → its
targets on /plans and on the executive page → its own CRM export (CP932, stages 受注/失注, no
type column) uploaded on /import → won deals counted on the executive page. Playwright driving
Debian's chromium against a real server (issue 14's first-day walk).

Screenshots go to $KANAME_TEST_OUTPUT (default: test-output/) under browser/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from kaname.auth.accounts import Accounts
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture()
def new_server(tmp_path: Path) -> Iterator[tuple[str, Workspace]]:
    """A new workspace with no data and no plan, one admin, served on a free port."""
    ws = Workspace.init(tmp_path / "ws")
    Accounts(ws.appdb).create_user("admin", PASSWORD, role="admin")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(
        uvicorn.Config(create_app(ws), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}", ws
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        ws.close()


def test_a_new_workspace_plans_from_four_numbers(  # type: ignore[no-untyped-def]
    browser, new_server: tuple[str, Workspace], shots: Path, tmp_path: Path
) -> None:
    server, _ = new_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_page(page, server)

    page.goto(f"{server}/plans")
    wizard = page.locator("[data-testid=plan-wizard]")
    expect(wizard).to_be_visible()
    # the seeds' benchmarks are shown and editable
    expect(page.locator("[data-testid=w-sql_rate]")).to_have_value("20%")
    expect(page.locator("[data-testid=w-win_rate]")).to_have_value("25%")
    page.fill("[data-testid=w-kgi]", "1億")
    page.fill("[data-testid=w-deal-size]", "500万")
    page.fill("[data-testid=w-budget]", "2,000万")
    page.fill("[data-testid=w-ltv]", "300万")
    page.fill("[data-testid=w-mix]", "webinar=40%, paid_ads=60%")
    with page.expect_response("**/plans/wizard/preview"):
        page.click("[data-testid=w-preview]")
    expect(page.locator("[data-testid=w-volume-deals]")).to_have_text("20")
    expect(page.locator("[data-testid=w-volume-sqls]")).to_have_text("80")
    expect(page.locator("[data-testid=w-volume-leads]")).to_have_text("400")
    expect(page.locator("[data-testid=w-unit-cost-target_cpa]")).to_have_text("50,000円")
    expect(page.locator("[data-testid=w-unit-cost-target_cac]")).to_have_text("100.0万円")
    expect(page.locator("[data-testid=g-leads-total]")).to_have_text("400")
    expect(page.locator("[data-testid=g-leads-webinar-total]")).to_have_text("160")
    page.screenshot(path=str(shots / "plan-wizard-preview.png"), full_page=True)

    page.click("[data-testid=w-save]")
    page.wait_for_url("**/plans?saved=1")
    expect(page.locator("[data-testid=saved]")).to_be_visible()
    expect(page.locator("[data-testid=targets-from]")).to_contain_text("前提から逆算")
    expect(page.locator("[data-testid=t-cpa-2026-11]")).to_have_value("50,000")
    expect(page.locator("[data-testid=unit-cost-target_cpa]")).to_have_text("50,000円")
    page.screenshot(path=str(shots / "plan-wizard-saved.png"), full_page=True)

    # changing an assumption re-solves the targets and shows what changed
    page.fill("[data-testid=a-average_deal_size]", "250万")
    with page.expect_response("**/plans/check"):
        page.click("[data-testid=check]")
    expect(page.locator("[data-testid=source-solved]")).to_be_visible()
    expect(page.locator("[data-testid=change-deals]")).to_be_visible()
    expect(page.locator("[data-testid=unit-cost-target_cpa]")).to_have_text("25,000円")

    page.goto(f"{server}/executive?period=2026-11")
    page.wait_for_load_state("networkidle")
    body = page.locator("main").inner_text()
    assert "50,000円" in body  # the target CPA the plan saved
    assert "Traceback" not in page.content()
    page.screenshot(path=str(shots / "plan-wizard-executive.png"), full_page=True)

    # the team's own opportunity export, as a Japanese SFA saves it
    export = tmp_path / "商談一覧.csv"
    lines = [
        "商談ID,取引先名,フェーズ,受注金額,商談開始日,受注日",
        "D1,アルファ社,受注,500万円,2026/10/1,2026/11/5",
        "D2,ベータ社,失注,300万円,2026/10/2,2026/11/6",
        "D3,ガンマ社,受注,450万円,2026/10/3,2026/11/12",
        "D4,デルタ社,提案中,200万円,2026/10/4,",
    ]
    export.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    page.goto(f"{server}/import?table=opportunities")
    page.select_option("[data-testid=upload-form] select[name=table]", "opportunities")
    page.set_input_files("[data-testid=upload-form] input[type=file]", str(export))
    page.click("[data-testid=upload-form] button.primary")
    page.wait_for_load_state("networkidle")
    page.click("[data-testid=import]", timeout=180_000)
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-testid=inserted]")).to_have_text("4")
    expect(page.locator("[data-testid=quarantined]")).to_have_text("0")
    page.screenshot(path=str(shots / "first-day-import.png"), full_page=True)

    page.goto(f"{server}/executive?period=2026-11")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-testid=actual-deals]")).to_contain_text("2")
    assert "950.0万" in page.locator("main").inner_text()  # new revenue: 500万 + 450万
    page.screenshot(path=str(shots / "first-day-executive.png"), full_page=True)
    assert not errors, errors
    context.close()
