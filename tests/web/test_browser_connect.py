"""The Data pages at phone width, in Japanese and English: every connect form open, a Japanese
CP932 file with a bad row imported, data quality; nothing may push the page wider than the phone.

Screenshots go to $KANAME_TEST_OUTPUT (default: test-output/) under browser/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from web_helpers import login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
CSV = (
    "リードID,メールアドレス,会社名,作成日,流入経路\r\n"
    "WEBP-1,phone1@example.jp,株式会社あおば,2026-10-01,ウェビナー\r\n"
    "WEBP-2,壊れたメール,株式会社そら,来月の上旬,不明チャネル\r\n"
).encode("cp932")

# What sticks out of the viewport outside a horizontally scrolling table wrapper.
WIDER = """() => {
  const vw = document.documentElement.clientWidth;
  return [...document.querySelectorAll('main *')]
    .filter(el => !el.closest('.scroll') && el.getBoundingClientRect().right > vw + 1)
    .map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 40));
}"""


def _fits(page, what: str) -> None:  # type: ignore[no-untyped-def]
    wider = page.evaluate(WIDER)
    assert not wider, f"{what} is wider than the phone: {wider[:5]}"


def test_data_pages_fit_a_phone_in_both_languages(  # type: ignore[no-untyped-def]
    browser, server: str, shots: Path, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    login_page(page, server)
    upload = tmp_path / "展示会リスト.csv"
    upload.write_bytes(CSV)
    try:
        for language in ("ja", "en"):
            page.goto(f"{server}/sources")
            if page.evaluate("document.documentElement.lang") != language:
                page.click("[data-testid=language-switch]")
                page.wait_for_load_state("networkidle")
                page.goto(f"{server}/sources")
            for summary in page.locator(".cards.sources details > summary").all():
                summary.click()
            _fits(page, f"/sources ({language}) with every form open")
            page.screenshot(path=str(shots / f"sources-phone-{language}.png"), full_page=True)

            page.goto(f"{server}/import")
            page.set_input_files("[data-testid=upload-form] input[type=file]", str(upload))
            page.click("[data-testid=upload-form] button.primary")
            page.wait_for_load_state("networkidle")
            _fits(page, f"the mapping ({language})")
            page.click("[data-testid=dry-run]")
            page.wait_for_load_state("networkidle")
            assert page.locator("[data-testid=quarantined]").inner_text() == "1"
            assert page.locator("[data-testid=issues] tbody tr").count() >= 2
            _fits(page, f"the import summary ({language})")
            page.screenshot(path=str(shots / f"import-phone-{language}.png"), full_page=True)

            page.goto(f"{server}/quality")
            _fits(page, f"/quality ({language})")
            page.screenshot(path=str(shots / f"quality-phone-{language}.png"), full_page=True)
            text = page.locator("main").inner_text()
            assert ("データ品質" in text) == (language == "ja")
    finally:
        if page.evaluate("document.documentElement.lang") != "ja":
            page.click("[data-testid=language-switch]")
            page.wait_for_load_state("networkidle")
        context.close()
