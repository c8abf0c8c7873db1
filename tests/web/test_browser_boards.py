"""Boards in a real browser: an editor composes a board of three tiles, saves it and shares it
with marketing; a marketing viewer makes it their landing page and lands on it after signing in;
the editor changes a target from a card (a new plan version and an audit entry). An editor adds
a KPI's trend and card to a board from the KPI page and a department card, moves a tile up, and
follows the card tile's number to its records. Screenshots in Japanese and English at 1280 and
390 px go to $KANAME_TEST_OUTPUT/browser/boards-*."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from kaname.auth.accounts import Accounts
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, login_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 60_000
"""ms to wait for a page: an uncached board computes every tile on a busy machine."""


@pytest.fixture(scope="module")
def board_ws(web_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A copy of the demo workspace: these walks write boards, plan versions and the audit log."""
    root = tmp_path_factory.mktemp("board-walk") / "demo"
    shutil.copytree(web_root, root)
    ws = Workspace.open(root)
    Accounts(ws.appdb).create_user("seller", PASSWORD, role="viewer", department="sales")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def board_server(board_ws: Workspace) -> Iterator[str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(
        uvicorn.Config(create_app(board_ws), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _language(page: Page, server: str, language: str) -> None:
    page.goto(f"{server}/boards")
    if page.locator("html").get_attribute("lang") != language:
        page.click("[data-testid=language-switch]")
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language


def _charts_drawn(page: Page, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('.tile .chart .main-svg').length >= {count}",
        timeout=WAIT,
    )


def _fits(page: Page, width: int) -> None:
    """Nothing makes the page wider than the window (tables scroll inside their box)."""
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= width + 1, f"the page is {wide}px wide in a {width}px window"


def _logout(page: Page) -> None:
    page.click("[data-testid=logout]")
    page.wait_for_load_state("networkidle")


def _laptop_page(browser):  # type: ignore[no-untyped-def]
    """A 1280 px page that records the page's script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(WAIT)
    return context, page, errors


def test_compose_share_land_and_change_a_target(  # type: ignore[no-untyped-def]
    browser, board_server: str, board_ws: Workspace, shots: Path
) -> None:
    server = board_server
    context, page, errors = _laptop_page(browser)

    # The editor composes a board of three tiles and shares it with marketing.
    login_page(page, server, "editor")
    _language(page, server, "ja")
    page.click("[data-testid=new-board]")
    page.fill("[data-testid=board-name]", "マーケティング週次")
    page.select_option("[data-testid=board_preset]", "last_month")
    page.select_option("[data-testid=tile-kind-1]", "cards")
    page.select_option("[data-testid=tile-kpis-1]", ["leads", "mqls"])
    page.select_option("[data-testid=tile-kind-2]", "trend")
    page.select_option("[data-testid=tile-kpis-2]", ["leads"])
    page.select_option("[data-testid=tile-kind-3]", "bars")
    page.select_option("[data-testid=tile-kpis-3]", ["leads"])
    page.select_option("[data-testid=tile-dimension-3]", "channel")
    page.check("[data-testid=share-department-marketing]")
    page.screenshot(path=str(shots / "boards-ja-1280-compose.png"), full_page=True)
    page.click("[data-testid=save-board]")
    page.wait_for_url("**/boards/*")
    board = page.url.rsplit("/", 1)[1].split("?")[0]
    expect(page.locator("[data-testid=board-title]")).to_contain_text("マーケティング週次")
    expect(page.locator(".tile")).to_have_count(3)
    expect(page.locator("[data-testid=tile-3] h2")).to_have_text("チャネル別のリード獲得数")
    _charts_drawn(page, 2)
    page.screenshot(path=str(shots / "boards-ja-1280-board.png"), full_page=True)

    # The editor changes the leads target from its card: a new plan version, audited.
    versions = len(board_ws.plan_versions())
    page.click("[data-testid=target-edit-leads] summary")
    page.fill("[data-testid=target-input-leads]", "777")
    page.click("[data-testid=target-save-leads]")
    page.wait_for_url("**target_saved=leads**")
    expect(page.locator("[data-testid=target-saved]")).to_be_visible()
    expect(page.locator("[data-testid=tile-1] [data-kpi=leads]")).to_contain_text("777")
    assert len(board_ws.plan_versions()) == versions + 1
    entry = Accounts(board_ws.appdb).audit_log(1)[0]
    assert (entry["action"], entry["actor"]) == ("target.update", "editor")
    page.screenshot(path=str(shots / "boards-ja-1280-target.png"), full_page=True)
    _logout(page)

    # A marketing viewer finds it, makes it their landing page and lands on it after sign-in.
    login_page(page, server, "marketer")
    _language(page, server, "ja")
    page.click(f"[data-testid=board-row-{board}] a")
    page.wait_for_url(f"**/boards/{board}")
    expect(page.locator("[data-testid^=target-edit-]")).to_have_count(0)  # viewers: no form
    expect(page.locator("[data-testid=edit-board]")).to_have_count(0)
    page.click("[data-testid=make-landing]")
    expect(page.locator("[data-testid=is-landing]")).to_be_visible()
    _logout(page)
    login_page(page, server, "marketer")
    page.wait_for_url(f"**/boards/{board}")
    expect(page.locator(".tile")).to_have_count(3)
    _charts_drawn(page, 2)
    page.screenshot(path=str(shots / "boards-ja-1280-landing.png"), full_page=True)
    _logout(page)

    # A sales viewer does not see it.
    login_page(page, server, "seller")
    page.goto(f"{server}/boards/{board}")
    expect(page.locator("[data-testid=error]")).to_be_visible()
    assert not errors, errors
    context.close()


def test_add_from_pages_move_a_tile_and_drill_down(  # type: ignore[no-untyped-def]
    browser, board_server: str, board_ws: Workspace, shots: Path
) -> None:
    server = board_server
    context, page, errors = _laptop_page(browser)
    login_page(page, server, "editor")
    _language(page, server, "ja")

    # From the MQL page: its trend chart onto a new board, following the board's period.
    page.goto(f"{server}/kpi/mqls?period=2026-10")
    page.click("[data-testid=add-trend-to-board]")
    page.wait_for_url("**/boards/add?**")
    expect(page.locator("[data-testid=add-title]")).to_contain_text("ボードに追加")
    expect(page.locator("[data-testid=add-kind-trend]")).to_be_checked()
    page.check("[data-testid=add-board-new]")
    page.fill("[data-testid=add-board-name]", "MQLの定点観測")
    page.screenshot(path=str(shots / "boards-ja-1280-add.png"), full_page=True)
    page.click("[data-testid=add-save]")
    page.wait_for_url("**/boards/*?added=1*")
    board = page.url.split("/boards/")[1].split("?")[0]
    expect(page.locator("[data-testid=tile-added]")).to_be_visible()
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator("[data-testid=tile-1]")).to_have_attribute("data-kind", "trend")

    # From a marketing card: the leads card onto that board, keeping the card's period.
    page.goto(f"{server}/department/marketing?period=2026-09")
    page.click("[data-testid=add-to-board-leads]")
    page.wait_for_url("**/boards/add?**")
    page.check(f"[data-testid=add-board-{board}]")
    page.check("[data-testid=add-keep]")
    page.click("[data-testid=add-save]")
    page.wait_for_url(f"**/boards/{board}?added=2*")
    expect(page.locator(".tile")).to_have_count(2)
    expect(page.locator("[data-testid=tile-2] [data-testid=own-filters]")).to_be_visible()

    # The card goes first.
    page.click("[data-testid=move-up-2]")
    page.wait_for_url(f"**/boards/{board}*#tile-1")
    expect(page.locator("[data-testid=tile-1]")).to_have_attribute("data-kind", "cards")
    expect(page.locator("[data-testid=tile-2]")).to_have_attribute("data-kind", "trend")
    expect(page.locator("[data-testid=move-up-1]")).to_have_count(0)
    _charts_drawn(page, 1)
    page.screenshot(path=str(shots / "boards-ja-1280-moved.png"), full_page=True)
    assert Accounts(board_ws.appdb).audit_log(1)[0]["action"] == "board.reorder"

    # The card's number opens its records for the tile's own period (September), not the
    # board's (this month): as many records as the card says.
    shown = page.locator("[data-testid=tile-1] [data-testid=drill-leads]").inner_text()
    page.click("[data-testid=tile-1] [data-testid=drill-leads]")
    page.wait_for_url("**/records?**")
    assert "period=2026-09" in page.url
    expect(page.locator("[data-testid=records-position]")).to_contain_text(f"{shown}件中")
    page.click("[data-testid=records-back]")
    page.wait_for_url(f"**/boards/{board}*")
    _logout(page)

    # A viewer sees neither the links nor the form.
    login_page(page, server, "marketer")
    page.goto(f"{server}/kpi/mqls?period=2026-10")
    expect(page.locator("[data-testid^=add-to-board]")).to_have_count(0)
    expect(page.locator("[data-testid=add-trend-to-board]")).to_have_count(0)
    page.goto(f"{server}/boards/add?kpi=mqls")
    expect(page.locator("[data-testid=error]")).to_be_visible()
    assert not errors, errors
    context.close()


SCREENSHOT_BOARD = {
    "name": "マーケティング週次",
    "tiles": [
        {"kind": "cards", "kpis": ["leads", "mqls"]},
        {"kind": "trend", "kpis": ["leads"]},
        {"kind": "bars", "kpis": ["leads"], "dimension": "channel"},
    ],
    "shared_departments": ["marketing"],
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_board_screenshots(  # type: ignore[no-untyped-def]
    browser, board_server: str, board_ws: Workspace, shots: Path, language: str, width: int
) -> None:
    server = board_server
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(WAIT)
    login_page(page, server, "editor")
    _language(page, server, language)
    boards = page.request.get(f"{server}/api/boards").json()
    if not boards:  # the walk ran in another test worker: make the board it would have made
        page.goto(f"{server}/account")
        token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        made = page.request.post(
            f"{server}/api/boards",
            data=SCREENSHOT_BOARD,
            headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
        )
        assert made.ok, made.text()
        boards = [made.json()]
    page.goto(f"{server}/boards/{boards[0]['id']}")
    _charts_drawn(page, 2)
    _fits(page, width)
    page.screenshot(path=str(shots / f"boards-{language}-{width}-board.png"), full_page=True)
    page.goto(f"{server}/boards/{boards[0]['id']}/edit")
    _fits(page, width)
    page.screenshot(path=str(shots / f"boards-{language}-{width}-edit.png"), full_page=True)
    page.goto(f"{server}/boards")
    _fits(page, width)
    page.screenshot(path=str(shots / f"boards-{language}-{width}-list.png"), full_page=True)
    # the "Add to a board" form, the tree with its numbers linked, a state's record list, an
    # editor's KPI page and department cards with their "Add to a board" links
    for name, path in (
        ("add", "/boards/add?kpi=mqls&period=2026-10&kind=trend"),
        ("tree", "/tree?period=2026-10"),
        ("state", "/records?kpi=pipeline_value&period=2026-10"),
        ("kpi", "/kpi/mqls?period=2026-10"),
        ("department", "/department/marketing?period=2026-10"),
    ):
        page.goto(f"{server}{path}")
        page.wait_for_load_state("networkidle")
        _fits(page, width)
        page.screenshot(path=str(shots / f"boards-{language}-{width}-{name}.png"), full_page=True)
    assert not errors, errors
    context.close()
