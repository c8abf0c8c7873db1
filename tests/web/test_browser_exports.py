"""Downloads as a person makes them: the chart toolbar's camera saves a PNG worded in the page's
language, and the CSV link beside a table saves the table the page shows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from web_helpers import login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_chart_saves_as_png_and_table_as_csv(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="ja-JP", accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_page(page, server)
    page.context.add_cookies([{"name": "kaname_lang", "value": "ja", "url": server}])
    page.goto(f"{server}/channels?sort=leads")
    page.wait_for_selector(".chart .main-svg")
    page.hover(".chart .main-svg")
    camera = page.locator('.chart .modebar-btn[data-title="グラフをPNG画像で保存"]')
    assert camera.count() == 1, "the PNG button is missing or not in Japanese"
    with page.expect_download() as got:
        camera.click()
    png = got.value
    assert png.suggested_filename.endswith(".png")
    assert "チャネル" in png.suggested_filename  # named after the chart's title
    assert Path(png.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    with page.expect_download() as got:
        page.click("[data-testid=export-channels-csv]")
    table = got.value
    assert table.suggested_filename == "channels-channels.csv"
    rows = list(csv.reader(io.StringIO(Path(table.path()).read_bytes().decode("utf-8-sig"))))
    shown = page.locator("[data-testid=channels-table] tbody tr td:first-child").all_inner_texts()
    assert [r[0] for r in rows[1:]] == shown  # the page's rows, in the page's order
    assert not errors, errors
    context.close()
