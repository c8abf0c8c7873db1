"""The dashboard as a person sees it: Playwright driving Debian's chromium against a real server.

Screenshots go to $KANAME_TEST_OUTPUT (default: test-output/) under browser/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from web_helpers import login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ["/executive", "/tree", "/funnel", "/channels", "/tactics", "/trends", "/catalog", "/plans"]


def test_walk_the_dashboard(browser, server: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )

    # Anonymous visitors are sent to the login page.
    page.goto(f"{server}/executive")
    assert "/login" in page.url
    login_page(page, server)
    page.goto(f"{server}/executive")
    assert page.locator("[data-testid=actual-revenue]").is_visible()
    assert page.locator("text=全社KPI").is_visible()  # Japanese by default
    page.wait_for_selector(".chart .main-svg")  # Plotly drew the gauges (offline plotly.js)

    # Every page in both languages.
    for language in ("ja", "en"):
        for path in PAGES:
            page.goto(f"{server}{path}")
            page.wait_for_load_state("networkidle")
            assert page.locator("h1").first.is_visible()
            assert "Traceback" not in page.content()
            page.screenshot(path=str(shots / f"{path.strip('/')}-{language}.png"), full_page=True)
        page.click("[data-testid=language-switch]")
        page.wait_for_load_state("networkidle")
    assert page.locator("text=Organisation KPIs").count() == 0  # back in Japanese

    # A filter changes the view and lives in the URL.
    page.goto(f"{server}/channels")
    page.select_option("form.filters select[name=channel]", "webinar")
    page.wait_for_url("**channel=webinar**")
    assert page.locator("tr[data-channel=webinar]").count() == 1
    assert page.locator("tr[data-channel=email]").count() == 0

    # Period view and cohort view are labelled.
    page.goto(f"{server}/funnel?view=cohort")
    assert "コホートビュー" in page.locator("[data-testid=view-label]").inner_text()

    # A tree node opens its KPI page.
    page.goto(f"{server}/tree")
    page.click("[data-testid=node-win_rate]")
    page.wait_for_url("**/kpi/win_rate**")
    assert "受注率" in page.locator("[data-testid=kpi-title]").inner_text()
    page.screenshot(path=str(shots / "kpi-from-tree.png"), full_page=True)

    # Editing a target shows the lint finding before saving.
    page.goto(f"{server}/plans")
    field = page.locator("input[name^='t__leads__']").nth(3)
    field.fill("500000")
    with page.expect_response("**/plans/check"):
        page.click("[data-testid=check]")
    finding = page.locator("[data-testid=findings] li", has_text="500,000")
    expect(finding.first).to_be_visible()
    assert "SMART: 達成できるか" in finding.first.inner_text()  # the rule by its name
    page.screenshot(path=str(shots / "plan-lint-finding.png"), full_page=True)

    # What-if in the page.
    page.fill("input[name=wi_win_rate]", "0.5")
    page.click("[data-testid=whatif-form] button")
    expect(page.locator("[data-testid=whatif-result] table")).to_be_visible()

    # Phone width: the menu folds away and the page still reads.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/executive")
    assert page.locator(".menu-toggle").is_visible()
    page.screenshot(path=str(shots / "executive-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Log out.
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login**")
    page.goto(f"{server}/executive")
    assert "/login" in page.url
    assert not [e for e in errors if "favicon" not in e], errors
    context.close()
