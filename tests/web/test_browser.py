"""The dashboard as a person sees it: Playwright driving Debian's chromium against a real server.

Screenshots go to $KANAME_TEST_OUTPUT (default: test-output/) under browser/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from web_helpers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = ["/executive", "/tree", "/funnel", "/channels", "/tactics", "/trends", "/catalog", "/plans"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def shots() -> Path:
    out = Path(os.environ.get("KANAME_TEST_OUTPUT", "test-output")) / "browser"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("chromium is not installed: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _login(page, base: str, user: str = "admin") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button")
    page.wait_for_load_state("networkidle")


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
    _login(page, server)
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
    assert "SMART-A" in finding.first.inner_text()
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
