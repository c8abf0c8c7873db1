"""Drill-down as a person uses it: click a card's number, see the records behind it, sort, page,
download the list as CSV and read it back, then go back to the card. In Japanese, on a desktop
(1280 px) and a phone (390 px); screenshots go to $KANAME_TEST_OUTPUT/browser/records-*."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from web_helpers import login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 30_000
"""ms to wait for a page: an uncached list may take seconds on a busy machine."""


def _japanese(page: Page, server: str) -> None:
    page.goto(f"{server}/executive")
    if page.locator("html").get_attribute("lang") != "ja":
        page.click("[data-testid=language-switch]")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "ja"


def _no_overflow(page: Page) -> None:
    """Nothing but the list itself (which scrolls inside its box) is wider than the screen."""
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page is {wide}px wider than the screen"


@pytest.mark.parametrize("width", [1280, 390])
def test_card_number_to_records_to_csv(  # type: ignore[no-untyped-def]
    browser, server: str, shots: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_page(page, server, "viewer")
    _japanese(page, server)
    name = f"records-ja-{width}"

    # The card's number is a link to the records behind it, with the card's period.
    page.goto(f"{server}/executive?period=FY2026-Q2&grain=quarter")
    card = page.locator("[data-testid=drill-mqls]")
    expect(card).to_be_visible(timeout=WAIT)
    shown = int(re.sub(r"\D", "", card.inner_text()))
    card.click()
    page.wait_for_url("**/records?**kpi=mqls**", timeout=WAIT)
    expect(page.locator("[data-testid=records-table]")).to_be_visible(timeout=WAIT)
    assert "FY2026-Q2" in page.url
    assert page.locator("h1").inner_text().startswith("MQL数の明細")
    position = page.locator("[data-testid=records-position]").inner_text()
    assert f"{shown:,}件中" in position, (shown, position)  # as many records as the card says
    headers = page.locator("[data-testid=records-table] thead th").all_inner_texts()
    assert headers[:3] == ["リード（CRM ID）", "作成日時", "MQL化日時 ▼"], headers
    _no_overflow(page)
    page.screenshot(path=str(shots / f"{name}-list.png"), full_page=True)

    # Sort by lead score, lowest first: two clicks on its header.
    page.click("[data-testid=records-table] th a[data-sort=score]")
    page.wait_for_url("**sort=score**", timeout=WAIT)
    page.click("[data-testid=records-table] th a[data-sort=score]")
    page.wait_for_url("**order=asc**", timeout=WAIT)
    column = headers.index("リードスコア")
    scores = [
        int(t)
        for t in page.locator(
            f"[data-testid=records-table] tbody tr td:nth-child({column + 1})"
        ).all_inner_texts()
    ]
    assert scores == sorted(scores) and len(scores) == min(50, shown)

    # The CSV beside the list holds every record (all pages), in Japanese.
    with page.expect_download() as got:
        page.click("[data-testid=export-records-csv]")
    body = Path(got.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "リード（CRM ID）" and len(rows) - 1 == shown
    assert [int(r[column]) for r in rows[1:]] == sorted(int(r[column]) for r in rows[1:])
    ids = page.locator("[data-testid=records-table] tbody tr td:first-child").all_inner_texts()
    assert [r[0] for r in rows[1 : len(ids) + 1]] == ids  # the page's rows, in its order

    # The next page, then back to the card.
    if shown > 50:
        page.click("[data-testid=records-next]")
        page.wait_for_url("**page=2**", timeout=WAIT)
        expect(page.locator("[data-testid=records-position]")).to_contain_text("51〜")
    page.screenshot(path=str(shots / f"{name}-sorted.png"), full_page=True)
    page.click("[data-testid=records-back]")
    page.wait_for_url("**/executive?**", timeout=WAIT)
    expect(page.locator("[data-testid=drill-mqls]")).to_have_text(card.inner_text())
    assert "FY2026-Q2" in page.url
    assert not errors, errors
    context.close()


def test_a_ratio_card_lists_numerator_and_denominator(browser, server: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login_page(page, server, "viewer")
    _japanese(page, server)
    page.goto(f"{server}/channels?period=FY2026-Q2&grain=quarter")
    cell = page.locator("[data-testid=channels-table] tbody tr").first.locator(
        "[data-testid=drill-cac]"
    )
    if cell.count() == 0:  # the first channel won nothing: take the first CAC with a value
        cell = page.locator("[data-testid=drill-cac]").first
    cell.click()
    page.wait_for_url("**kpi=cac**", timeout=WAIT)
    sums = page.locator("[data-testid=records-measures]")
    expect(sums).to_contain_text("分子")
    expect(sums).to_contain_text("分母")
    page.click("[data-testid=measure-2]")
    page.wait_for_url("**measure=deals**", timeout=WAIT)
    expect(page.locator("[data-testid=records-table] thead")).to_contain_text("商談（CRM ID）")
    page.screenshot(path=str(shots / "records-ja-1280-ratio.png"), full_page=True)
    context.close()
