"""The Act pages as a person uses them (issue 7): an editor records a PDCA action in the page,
sees it annotated on the trend of its KPI, and records the decision. Playwright drives Debian's
chromium against a real server; screenshots go to $KANAME_TEST_OUTPUT (default: test-output/)
under browser/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from web_helpers import login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KPI = "opportunities"  # other tests own leads, mqls and webinar_registrations
TITLE = "Executive round-table invitations"


def test_action_from_page_to_trend_to_decision(browser, server: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login_page(page, server, "editor")

    # Record the action in the page.
    page.goto(f"{server}/actions")
    form = page.locator("[data-testid=action-form]")
    form.locator("input[name=title]").fill(TITLE)
    form.locator("textarea[name=hypothesis]").fill("Invitations from the CEO open doors")
    form.locator("select[name=kpis]").select_option([KPI])
    form.locator("input[name=start_date]").fill("2026-09-14")
    form.locator("input[name=expected_lift]").fill("15%")
    form.locator("select[name=status]").select_option("do")
    page.screenshot(path=str(shots / "act-new-action.png"), full_page=True)
    page.click("[data-testid=action-save]")
    page.wait_for_url("**/actions/*")
    expect(page.locator("[data-testid=action-title]")).to_contain_text(TITLE)
    page.wait_for_load_state("networkidle")
    expect(page.locator("#effect")).to_be_visible()
    page.screenshot(path=str(shots / "act-action-detail.png"), full_page=True)
    action_url = page.url.split("?")[0]

    # It is annotated on the trend of its KPI: in the list under the chart and in the chart.
    page.goto(f"{server}/trends?kpi={KPI}")
    page.wait_for_selector("[data-testid=trend-chart] .main-svg")
    expect(page.locator("ul.annotations")).to_contain_text(TITLE)
    expect(page.locator("[data-testid=trend-chart] .annotation-text").first).to_be_visible()
    chart_text = page.locator("[data-testid=trend-chart]").inner_text()
    assert TITLE[:20] in chart_text
    page.screenshot(path=str(shots / "act-trend-annotation.png"), full_page=True)

    # Record the decision and the learnings.
    page.goto(action_url)
    page.select_option("[data-testid=decision-form] select[name=decision]", "standardise")
    page.fill("[data-testid=decision-form] textarea[name=learnings]", "Works for enterprise")
    page.click("[data-testid=decision-save]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-testid=action-decision]")).to_contain_text("標準化")
    expect(page.locator("[data-testid=action-learnings]")).to_contain_text("Works for enterprise")
    expect(page.locator("[data-testid=action-history]")).to_contain_text("editor")
    page.screenshot(path=str(shots / "act-decision.png"), full_page=True)

    # The calculator answers in place.
    page.goto(f"{server}/experiments")
    page.fill("input[name=visitors_a]", "2400")
    page.fill("input[name=conversions_a]", "120")
    page.fill("input[name=visitors_b]", "2380")
    page.fill("input[name=conversions_b]", "156")
    with page.expect_response("**/experiments"):
        page.click("[data-testid=ab-calculate]")
    expect(page.locator("[data-testid=ab-verdict]")).to_be_visible()
    assert page.url.endswith("/experiments")
    page.screenshot(path=str(shots / "act-experiments.png"), full_page=True)
    for path in ("/alerts", "/reports", "/review"):
        page.goto(f"{server}{path}")
        assert page.locator("h1").first.is_visible()
        page.screenshot(path=str(shots / f"act-{path.strip('/')}.png"), full_page=True)
    assert not [e for e in errors if "favicon" not in e], errors
    context.close()
