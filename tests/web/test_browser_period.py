"""The period picker and the comparison toggle as a person uses them, in Japanese and English, on
a desktop (1280 px) and a phone (390 px). Screenshots go to $KANAME_TEST_OUTPUT/browser/period-*."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from web_helpers import login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 30_000
"""ms to wait for a page part: an uncached page may take seconds on a busy machine."""

WORDS = {
    "ja": {
        "last_month": "2026年10月",
        "stepped": "2026年9月",
        "typed": "2026年度 第2四半期",
        "typed_shown": "2026年度 第2四半期（7月〜9月）",
        "previous": "前期間",
        "error": "は期間として読めません",
    },
    "en": {
        "last_month": "Oct 2026",
        "stepped": "Sep 2026",
        "typed": "FY2026 Q2",
        "typed_shown": "FY2026 Q2 (Jul–Sep)",
        "previous": "Previous period",
        "error": "cannot be read",
    },
}


def _use_language(page: Page, server: str, language: str) -> None:
    page.goto(f"{server}/executive")
    if page.locator("html").get_attribute("lang") != language:
        page.click("[data-testid=language-switch]")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language


def _settled(page: Page) -> None:
    """HTMX has swapped the page part in and wired up its new form."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
    )
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_pick_step_type_and_compare(  # type: ignore[no-untyped-def]
    browser, server: str, shots: Path, language: str, width: int
) -> None:
    words = WORDS[language]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_page(page, server, "viewer")
    _use_language(page, server, language)
    name = f"period-{language}-{width}"

    # A preset: the page shows last month, resolved on the server's clock.
    page.goto(f"{server}/executive")
    page.select_option("[data-testid=period-preset]", "last_month")
    page.wait_for_url("**period=last_month**")
    expect(page.locator("[data-testid=period-text]")).to_have_value(
        words["last_month"], timeout=WAIT
    )
    page.screenshot(path=str(shots / f"{name}-preset.png"), full_page=True)

    # ◀ steps to the month before.
    _settled(page)
    page.click("[data-testid=period-prev]")
    page.wait_for_url("**period=2026-09**")
    expect(page.locator("[data-testid=period-text]")).to_have_value(words["stepped"], timeout=WAIT)

    # The comparison toggle: the cards compare with the previous period.
    _settled(page)
    page.select_option("[data-testid=compare]", "previous")
    page.wait_for_url("**compare=previous**")
    expect(page.locator("[data-testid=comparison-revenue]").first).to_be_visible(timeout=WAIT)
    assert words["previous"] in page.locator("article.card").first.inner_text()
    page.screenshot(path=str(shots / f"{name}-compare.png"), full_page=True)

    # A period typed as people write it.
    _settled(page)
    field = page.locator("[data-testid=period-text]")
    field.fill(words["typed"])
    field.press("Tab")
    expect(page.locator("[data-testid=period-text]")).to_have_value(
        words["typed_shown"], timeout=WAIT
    )
    assert "compare=previous" in page.url  # the comparison stays

    # A custom range of days.
    _settled(page)
    page.select_option("[data-testid=period-preset]", "custom")
    _settled(page)
    page.fill("[data-testid=period-from]", "2026-10-05")
    expect(page.locator("[data-testid=period-text]")).to_have_value(
        "2026-10-05..2026-10-05", timeout=WAIT
    )
    _settled(page)
    page.fill("[data-testid=period-to]", "2026-10-20")
    expect(page.locator("[data-testid=period-text]")).to_have_value(
        "2026-10-05..2026-10-20", timeout=WAIT
    )
    page.screenshot(path=str(shots / f"{name}-range.png"), full_page=True)

    # A period that cannot be read is explained inside the page, in the user's language.
    _settled(page)
    field = page.locator("[data-testid=period-text]")
    field.fill("2026年13月")
    field.press("Tab")
    expect(page.locator("[data-testid=period-error]")).to_be_visible(timeout=WAIT)
    assert words["error"] in page.locator("[data-testid=period-error]").inner_text()
    expect(page.locator("header.top")).to_be_visible(
        timeout=WAIT
    )  # the page frame, not an error page
    page.screenshot(path=str(shots / f"{name}-error.png"), full_page=True)

    # Recovering from the error with a preset.
    _settled(page)
    page.select_option("[data-testid=period-preset]", "this_month")
    expect(page.locator("[data-testid=period-error]")).to_have_count(0, timeout=WAIT)

    _use_language(page, server, "ja")
    assert not errors, errors
    context.close()
