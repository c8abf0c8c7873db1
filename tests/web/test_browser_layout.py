"""The layout at phone and laptop widths, in a real browser (issue 16 §6): every page of the menu
at 390 px in Japanese and English scrolls no wider than the screen, the Channels table fits
1280 px with its names on one line, and no chart's labels overlap. Screenshots of channels,
attribution, funnel, cohorts and executive at 1280 and 390 px in both languages go to
$KANAME_TEST_OUTPUT/browser/layout/ for review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaname.workspace import Workspace
from web_helpers import PASSWORD, login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
REVIEWED = ["/channels", "/attribution", "/funnel", "/cohorts", "/executive", "/trends"]
OVERFLOW = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
# Pairs of labels of one chart (ticks, axis titles, chart title, legend) whose text boxes, turned
# as drawn (rotated tick labels too), overlap by more than a pixel: separating-axis test.
OVERLAPS = """() => {
  const quad = (t) => {
    const b = t.getBBox(), m = t.getScreenCTM();
    const right = b.x + b.width, bottom = b.y + b.height;
    return [[b.x, b.y], [right, b.y], [right, bottom], [b.x, bottom]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  const apart = (p, q) => [p, q].some((poly) => poly.some(([x1, y1], i) => {
    const [x2, y2] = poly[(i + 1) % 4];
    const len = Math.hypot(y2 - y1, x1 - x2) || 1;
    const along = (pts) => pts.map(([x, y]) => (x * (y2 - y1) + y * (x1 - x2)) / len);
    const a = along(p), b = along(q);
    return Math.max(...a) - Math.min(...b) <= 1 || Math.max(...b) - Math.min(...a) <= 1;
  }));
  const out = [];
  document.querySelectorAll('.chart .main-svg').forEach((svg) => {
    const labels = [];
    const kinds = '.xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .gtitle, .legendtext';
    svg.parentElement.querySelectorAll(kinds).forEach((t) => {
      if (t.textContent.trim() && t.getBBox().width) labels.push([t.textContent, quad(t)]);
    });
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++)
      if (!apart(labels[i][1], labels[j][1])) out.push(labels[i][0] + ' / ' + labels[j][0]);
  });
  return out;
}"""


@pytest.fixture(scope="module")
def layout_users(web_ws: Workspace) -> dict[str, str]:
    """Admins of this module (every menu page) whose stored language is Japanese and English."""
    from kaname.auth.accounts import Accounts

    accounts = Accounts(web_ws.appdb)
    names = {u["username"] for u in accounts.users()}
    out = {}
    for lang in ("ja", "en"):
        name = f"layout_{lang}"
        if name not in names:
            accounts.create_user(name, PASSWORD, role="admin", language=lang)
        out[lang] = name
    return out


def new_page(browser: Any, viewport: dict[str, int]) -> tuple[Any, Any]:
    """A context and page; first loads compute a page's data (the ETS forecast …), which takes
    a while on a busy machine, so waits are generous (no timing is asserted)."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(180_000)
    return context, page


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def menu_pages(page: Any) -> list[str]:
    """Every page the menu links to (groups and their pages), as the signed-in user sees it."""
    hrefs = page.eval_on_selector_all(
        "nav#nav a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted({h for h in hrefs if h.startswith("/")})


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_page_of_the_menu_overflows_a_phone(  # type: ignore[no-untyped-def]
    browser, server: str, shots: Path, layout_users: dict[str, str], lang: str
) -> None:
    context, page = new_page(browser, PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_page(page, server, layout_users[lang])
    open_page(page, f"{server}/executive")
    pages = menu_pages(page)
    assert {"/executive", "/channels", "/attribution", "/cohorts", "/funnel", "/settings"} <= set(
        pages
    )
    assert len(pages) >= 20, pages
    wide, overlapping = {}, {}
    for path in pages:
        open_page(page, f"{server}{path}")
        assert page.locator("h1").first.is_visible(), path
        scroll_width, inner_width = page.evaluate(OVERFLOW)
        if scroll_width > inner_width:
            wide[path] = scroll_width
        if clash := page.evaluate(OVERLAPS):
            overlapping[path] = clash[:3]
    assert not wide, f"pages wider than {PHONE['width']} px: {wide}"
    assert not overlapping, overlapping
    assert not errors, errors
    context.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_channels_table_fits_a_laptop(  # type: ignore[no-untyped-def]
    browser, server: str, layout_users: dict[str, str], lang: str
) -> None:
    context, page = new_page(browser, LAPTOP)
    login_page(page, server, layout_users[lang])
    open_page(page, f"{server}/channels?period=FY2025")
    scroll_width, inner_width = page.evaluate(OVERFLOW)
    assert scroll_width <= inner_width
    frame = page.locator("[data-testid=channels-table]").locator("xpath=..")
    assert frame.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), (
        "the table is wider than 1280 px"
    )
    # every channel's name on one line: its cell is no taller than a line and its padding
    heights = page.eval_on_selector_all(
        "[data-testid=channels-table] tbody td:first-child",
        "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect().height,"
        " parseFloat(getComputedStyle(e).lineHeight)])",
    )
    assert heights
    for name, height, line in heights:
        assert height < 2 * line, (name, height, line)
    # on a phone the table scrolls inside its frame and the names stay in view
    page.set_viewport_size(PHONE)
    open_page(page, f"{server}/channels?period=FY2025")
    assert page.evaluate(OVERFLOW)[0] <= PHONE["width"]
    frame = page.locator("[data-testid=channels-table]").locator("xpath=..")
    assert frame.evaluate("e => e.scrollWidth > e.clientWidth")  # wider than the phone: scrolls
    frame.evaluate("e => { e.scrollLeft = 400; }")
    first = page.locator("[data-testid=channels-table] tbody td:first-child").first
    box = first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] < 40  # the sticky name column stayed in view
    context.close()


def test_plotly_modebar_tooltips_in_japanese(  # type: ignore[no-untyped-def]
    browser, server: str, layout_users: dict[str, str]
) -> None:
    context, page = new_page(browser, LAPTOP)
    login_page(page, server, layout_users["ja"])
    open_page(page, f"{server}/trends")
    page.wait_for_selector(".chart .modebar-btn", state="attached")
    titles = page.eval_on_selector_all(
        ".chart .modebar-btn", "els => els.map(e => e.getAttribute('data-title'))"
    )
    assert "グラフをPNG画像で保存" in titles
    assert {"ズーム", "移動", "軸をリセット"} & set(titles), titles
    assert not [t for t in titles if t and t.isascii()], titles
    context.close()


def test_screenshots_for_review(  # type: ignore[no-untyped-def]
    browser, server: str, shots: Path, layout_users: dict[str, str]
) -> None:
    out = shots / "layout"
    out.mkdir(exist_ok=True)
    for lang in ("ja", "en"):
        context, page = new_page(browser, LAPTOP)
        login_page(page, server, layout_users[lang])
        for size in (LAPTOP, PHONE):
            page.set_viewport_size(size)
            for path in REVIEWED:
                open_page(page, f"{server}{path}")
                assert page.evaluate(OVERFLOW)[0] <= size["width"], (lang, size, path)
                assert not page.evaluate(OVERLAPS), (lang, size, path)
                name = f"{path.strip('/')}-{lang}-{size['width']}.png"
                page.screenshot(path=str(out / name), full_page=True)
                assert (out / name).stat().st_size > 10_000
        context.close()
