"""Boards: compose, save, share with roles or departments, land on; change a target from a card.

These tests write boards, plan versions and audit entries, so they run on their own copy of the
package's demo workspace (the other page tests read the shared one)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ja_text import leaks, visible_text

from kaname.auth.accounts import Accounts, Principal
from kaname.dashboard import Dashboard
from kaname.dashboard.boards import BoardError, BoardForbidden, BoardNotFound, Boards
from kaname.dashboard.target_edit import current_target
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, csrf_of, login

BOARD = {
    "name": "マーケティング週次",
    "filters": {"period": "2026-10", "grain": "month"},
    "tiles": [
        {"kind": "cards", "kpis": ["leads", "mqls"]},
        {"kind": "trend", "kpis": ["leads"]},
        {"kind": "bars", "kpis": ["leads"], "dimension": "channel"},
        {"kind": "funnel", "follow": False, "filters": {"period": "last_month"}},
        {"kind": "tree"},
        {"kind": "gap"},
    ],
    "shared_departments": ["marketing"],
}


@pytest.fixture(scope="module")
def own_ws(web_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("boards") / "demo"
    shutil.copytree(web_root, root)
    ws = Workspace.open(root)
    accounts = Accounts(ws.appdb)
    accounts.create_user("seller", PASSWORD, role="viewer", department="sales")
    accounts.create_user("editor2", PASSWORD, role="editor", department="sales")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def own_app(own_ws: Workspace):  # type: ignore[no-untyped-def]
    return create_app(own_ws)


@pytest.fixture(scope="module")
def dash(own_app) -> Dashboard:  # type: ignore[no-untyped-def]
    return own_app.state.dashboard  # type: ignore[no-any-return]


def _user(ws: Workspace, name: str) -> Principal:
    found = Accounts(ws.appdb).authenticate(name, PASSWORD)
    assert found is not None
    return found  # type: ignore[no-any-return]


def _client(app, name: str, language: str) -> TestClient:  # type: ignore[no-untyped-def]
    client = login(TestClient(app), name)
    client.post(
        "/account/language",
        data={"language": language, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    client.headers["X-CSRF-Token"] = csrf_of(client)  # as HTMX sends it, for the JSON routes
    return client


# ---------------------------------------------------------------------- service
def test_a_board_is_seen_by_its_owner_admins_and_whom_it_is_shared_with(
    dash: Dashboard, own_ws: Workspace
) -> None:
    boards = Boards(dash)
    editor, marketer, seller = (_user(own_ws, n) for n in ("editor", "marketer", "seller"))
    admin, other = _user(own_ws, "admin"), _user(own_ws, "editor2")
    made = boards.create(BOARD, editor)
    seen = {u.username: [b["id"] for b in boards.visible(u)] for u in (marketer, seller, admin)}
    assert made["id"] in seen["marketer"] and made["id"] in seen["admin"]
    assert made["id"] not in seen["seller"]
    with pytest.raises(BoardNotFound):
        boards.get(made["id"], seller)
    with pytest.raises(BoardNotFound):  # not shared with sales: as if there were none
        boards.update(made["id"], BOARD, other)
    boards.update(made["id"], {**BOARD, "shared_roles": ["editor"]}, editor)
    assert boards.get(made["id"], other)["can_change"] is False
    with pytest.raises(BoardForbidden):  # an editor who is not the owner sees it, cannot change it
        boards.update(made["id"], BOARD, other)
    boards.update(made["id"], {**BOARD, "shared_roles": ["viewer"]}, editor)
    assert made["id"] in [b["id"] for b in boards.visible(seller)]  # shared with every viewer
    boards.delete(made["id"], editor)
    assert made["id"] not in [b["id"] for b in boards.visible(admin)]
    log = Accounts(own_ws.appdb).audit_log(5)
    assert [e["action"] for e in log[:4]] == [
        "board.delete",
        "board.update",
        "board.update",
        "board.create",
    ]


def test_a_board_is_checked_before_it_is_saved(dash: Dashboard, own_ws: Workspace) -> None:
    boards, editor = Boards(dash), _user(own_ws, "editor")
    bad: list[tuple[dict[str, Any], str]] = [
        ({**BOARD, "name": " "}, "ボード名"),
        ({**BOARD, "tiles": []}, "タイル"),
        ({**BOARD, "tiles": [{"kind": "pie"}]}, "種類"),
        ({**BOARD, "tiles": [{"kind": "trend", "kpis": ["no_such_kpi"]}]}, "カタログ"),
        ({**BOARD, "tiles": [{"kind": "bars", "kpis": ["leads"], "dimension": "x"}]}, "切り口"),
        ({**BOARD, "filters": {"period": "2026年13月"}}, "期間"),
        ({**BOARD, "shared_departments": ["finance"]}, "共有先"),
    ]
    for raw, words in bad:
        with pytest.raises(BoardError) as caught:
            boards.create(raw, editor)
        assert words in caught.value.text("ja"), caught.value.text("ja")
    with pytest.raises(BoardForbidden):
        boards.create(BOARD, _user(own_ws, "viewer"))


def test_tiles_show_what_the_pages_show(dash: Dashboard, own_ws: Workspace) -> None:
    from kaname.dashboard import Filters
    from kaname.dashboard.boards import board_data

    boards, editor = Boards(dash), _user(own_ws, "editor")
    made = boards.create(BOARD, editor)
    data = board_data(dash, boards.get(made["id"], editor), {}, "ja")
    tiles = {t["kind"]: t for t in data["tiles"]}
    assert all(not t["error"] for t in data["tiles"])
    october = Filters(period="2026-10")
    executive = {r["kpi"]: r["actual"] for r in dash.department("marketing", october, "ja")["kpis"]}
    cards = {r["kpi"]: r["actual"] for r in tiles["cards"]["data"]["kpis"]}
    assert cards["leads"] == executive.get("leads", cards["leads"])
    report = dash.report(["leads"], dash.period(october), october, "ja")
    assert cards["leads"] == float(report["actual"].iloc[0])
    assert tiles["trend"]["data"]["trend"] == dash.trends("leads", october, "ja", 12)
    bars = tiles["bars"]["data"]["bars"]["rows"]
    assert sum(r["actual"] or 0 for r in bars) == pytest.approx(cards["leads"])
    # the funnel tile has its own period (last month, from the workspace clock)
    assert tiles["funnel"]["data"]["period"] == "2026-10"
    assert tiles["funnel"]["data"]["funnel"] == dash.funnel(Filters(period="last_month"), "ja")
    assert tiles["gap"]["data"]["tree"] == dash.tree(october, "ja")
    # the URL's filters override the board's, for the tiles that follow it
    moved = board_data(dash, boards.get(made["id"], editor), {"period": "2026-09"}, "ja")
    assert moved["tiles"][0]["data"]["period"] == "2026-09"
    assert moved["tiles"][3]["data"]["period"] == "2026-10"
    boards.delete(made["id"], editor)


# ---------------------------------------------------------------------- pages and permissions
def _make(client: TestClient, **changes: Any) -> int:
    response = client.post("/api/boards", json={**BOARD, **changes})
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_board_page_in_each_language(own_app, language: str) -> None:  # type: ignore[no-untyped-def]
    editor = _client(own_app, "editor", language)
    board = _make(editor)
    page = editor.get(f"/boards/{board}")
    assert page.status_code == 200
    html = page.text
    for n in range(1, 7):
        assert f'data-testid="tile-{n}"' in html
    assert html.count('class="chart"') == 3  # trend, bars, funnel
    assert 'data-testid="target-edit-leads"' in html  # an editor may change targets
    if language == "ja":
        assert "リード獲得数" in html and "チャネル別のリード獲得数" in html
        visible = visible_text(html.split('<main id="main">')[1].split("</main>")[0])
        found = leaks(visible, {"editor"})  # the owner's user name is the team's own data
        assert not found, found  # no English, no KPI ids
    else:
        assert "Leads by Channel" in html or "Leads by channel" in html
    listing = editor.get("/boards")
    assert BOARD["name"] in listing.text
    composer = editor.get(f"/boards/{board}/edit")
    assert composer.status_code == 200 and 'value="マーケティング週次"' in composer.text
    editor.delete(f"/api/boards/{board}")


def test_the_composer_form_saves_a_board(own_app) -> None:  # type: ignore[no-untyped-def]
    editor = _client(own_app, "editor", "ja")
    token = csrf_of(editor)
    form = {
        "csrf_token": token,
        "name": "営業の見る数字",
        "board_preset": "this_month",
        "board_grain": "month",
        "share_department": "sales",
        "tile1_kind": "cards",
        "tile1_kpis": ["deals", "revenue"],
        "tile2_kind": "bars",
        "tile2_kpis": "revenue",
        "tile2_dimension": "segment",
        "tile2_own": "1",
        "tile2_period": "2026年度 第2四半期",
        "tile2_grain": "quarter",
        "tile3_kind": "",
    }
    made = editor.post("/boards", data=form, follow_redirects=False)
    assert made.status_code == 303
    board = int(made.headers["location"].rsplit("/", 1)[1])
    saved = editor.get(f"/api/boards/{board}").json()
    assert [t["kind"] for t in saved["tiles"]] == ["cards", "bars"]
    assert saved["tiles"][1]["data"]["period"] == "FY2026-Q2"
    assert saved["shared_departments"] == ["sales"]
    wrong = editor.post("/boards", data={**form, "tile2_period": "2026年13月"})
    assert wrong.status_code == 400 and "タイル2: 期間を読み取れません" in wrong.text
    assert 'value="営業の見る数字"' in wrong.text  # the form keeps what was typed
    editor.delete(f"/api/boards/{board}")


def test_viewers_see_shared_boards_but_change_neither_them_nor_targets(own_app) -> None:  # type: ignore[no-untyped-def]
    editor = _client(own_app, "editor", "ja")
    board = _make(editor)
    marketer = _client(own_app, "marketer", "ja")
    seller = _client(own_app, "seller", "ja")
    page = marketer.get(f"/boards/{board}")
    assert page.status_code == 200
    assert 'data-testid="target-edit-' not in page.text  # no target form for viewers
    assert 'data-testid="edit-board"' not in page.text
    assert seller.get(f"/boards/{board}").status_code == 404
    assert seller.get(f"/api/boards/{board}").status_code == 404
    assert board not in [b["id"] for b in seller.get("/api/boards").json()]
    token = csrf_of(marketer)
    assert marketer.get(f"/boards/{board}/edit").status_code == 403
    assert marketer.get("/boards/new").status_code == 403
    assert marketer.post("/api/boards", json=BOARD).status_code == 403
    assert marketer.put(f"/api/boards/{board}", json=BOARD).status_code == 403
    assert marketer.delete(f"/api/boards/{board}").status_code == 403
    assert marketer.post(f"/boards/{board}/delete", data={"csrf_token": token}).status_code == 403
    posted = {"csrf_token": token, "kpi": "leads", "period": "2026-10", "target": "999"}
    assert marketer.post("/targets", data=posted).status_code == 403
    api = {"kpi": "leads", "period": "2026-10", "target": "999"}
    assert marketer.post("/api/targets", json=api).status_code == 403
    # another editor sees the board shared with marketing? No: editor2 is in sales.
    other = _client(own_app, "editor2", "ja")
    assert other.put(f"/api/boards/{board}", json=BOARD).status_code == 404
    # the admin sees and may change every board
    admin = _client(own_app, "admin", "ja")
    assert admin.put(f"/api/boards/{board}", json=BOARD).status_code == 200
    editor.delete(f"/api/boards/{board}")


def test_a_board_is_a_landing_page_after_login_and_at_root(own_app) -> None:  # type: ignore[no-untyped-def]
    editor = _client(own_app, "editor", "ja")
    board = _make(editor)
    marketer = _client(own_app, "marketer", "ja")
    assert marketer.get("/", follow_redirects=False).headers["location"] == "/department/marketing"
    token = csrf_of(marketer)
    made = marketer.post(f"/boards/{board}/landing", data={"csrf_token": token})
    assert made.status_code == 200 and 'data-testid="is-landing"' in made.text
    assert marketer.get("/", follow_redirects=False).headers["location"] == f"/boards/{board}"
    fresh = login(TestClient(own_app), "marketer")  # signing in lands on the board
    assert fresh.get("/").url.path == f"/boards/{board}"
    # unshared, the board is no longer a landing page for them
    editor.put(f"/api/boards/{board}", json={**BOARD, "shared_departments": []})
    assert marketer.get("/", follow_redirects=False).headers["location"] == "/department/marketing"
    assert marketer.put("/api/boards/landing", json={"board": board}).status_code == 404
    editor.delete(f"/api/boards/{board}")


def test_an_editor_changes_a_target_from_a_card(own_app, own_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    dash = own_app.state.dashboard
    editor = _client(own_app, "editor", "ja")
    board = _make(editor)
    versions = len(own_ws.plan_versions())
    before = current_target(dash, "leads", "2026-10")
    token = csrf_of(editor)
    back = f"/boards/{board}?period=2026-10"
    posted = {
        "csrf_token": token,
        "kpi": "leads",
        "period": "2026-10",
        "target": "1,234",
        "back": back,
    }
    saved = editor.post("/targets", data=posted, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{back}&target_saved=leads"
    assert len(own_ws.plan_versions()) == versions + 1
    assert current_target(dash, "leads", "2026-10") == 1234
    page = editor.get(saved.headers["location"])
    assert 'data-testid="target-saved"' in page.text
    card = page.text.split('data-kpi="leads"')[1].split("</article>")[0]
    assert "1,234" in card
    entry = Accounts(own_ws.appdb).audit_log(1)[0]
    assert entry["action"] == "target.update" and entry["actor"] == "editor"
    assert json.loads(entry["before"]) == {"kpi": "leads", "period": "2026-10", "target": before}
    assert json.loads(entry["after"])["target"] == 1234
    # a quarter of a monthly KPI: its months, in proportion, add up to the new target
    quarter = editor.post(
        "/api/targets", json={"kpi": "leads", "period": "FY2026-Q3", "target": "3000"}
    )
    assert quarter.status_code == 200, quarter.text
    months = [current_target(dash, "leads", m) for m in ("2026-10", "2026-11", "2026-12")]
    assert sum(m or 0 for m in months) == pytest.approx(3000)
    assert current_target(dash, "leads", "FY2026-Q3") == pytest.approx(3000)
    wrong = editor.post("/api/targets", json={"kpi": "leads", "period": "2026-10", "target": "abc"})
    assert wrong.status_code == 400
    assert len(own_ws.plan_versions()) == versions + 2
    editor.delete(f"/api/boards/{board}")


def test_department_pages_are_in_the_menu(own_app) -> None:  # type: ignore[no-untyped-def]
    viewer = _client(own_app, "viewer", "ja")
    html = viewer.get("/executive").text
    for name in ("marketing", "inside_sales", "sales", "customer_success"):
        assert f'href="/department/{name}"' in html
    assert 'href="/boards"' in html
    marketer = _client(own_app, "marketer", "en")
    menu = marketer.get("/department/marketing").text
    group = menu.split(">Departments<")[0].rsplit("<a", 1)[1]
    assert 'href="/department/marketing"' in group  # the group opens the user's own department


def test_cards_on_the_executive_and_department_pages_change_targets_too(  # type: ignore[no-untyped-def]
    own_app, own_ws: Workspace
) -> None:
    """The executive and department pages cache their body: the editor's copy has the form, the
    viewer's has none; the form posts through HTMX (the CSRF token as a header)."""
    dash = own_app.state.dashboard
    editor = _client(own_app, "editor", "ja")
    viewer = _client(own_app, "marketer", "ja")
    for path in ("/executive?period=2026-10", "/department/marketing?period=2026-10"):
        assert 'data-testid="target-edit-' in editor.get(path).text, path
        assert 'data-testid="target-edit-' not in viewer.get(path).text, path
    versions = len(own_ws.plan_versions())
    htmx = {"HX-Request": "true"}
    back = "/department/marketing?period=2026-10&target_saved=mqls"
    posted = {"kpi": "mqls", "period": "2026-10", "target": "88", "back": back}
    saved = editor.post("/targets", data=posted, headers=htmx)
    assert saved.status_code == 204
    assert saved.headers["HX-Redirect"] == "/department/marketing?period=2026-10&target_saved=mqls"
    assert current_target(dash, "mqls", "2026-10") == 88
    assert len(own_ws.plan_versions()) == versions + 1
    page = editor.get(saved.headers["HX-Redirect"]).text
    card = page.split('data-kpi="mqls"')[1].split("</article>")[0]
    assert 'data-testid="target-saved"' in card and ">88<" in card.replace(" ", "")
    wrong = editor.post("/targets", data={**posted, "target": "たくさん"}, headers=htmx)
    assert wrong.status_code == 200 and 'class="error"' in wrong.text  # shown in the card
    assert len(own_ws.plan_versions()) == versions + 1
    outside = editor.post("/targets", data={**posted, "back": "//evil.example/x"}, headers=htmx)
    assert outside.headers["HX-Redirect"].startswith("/boards")


# ---------------------------------------------------------------------- reorder, add from a page
def _kinds(client: TestClient, board: int) -> list[str]:
    return [t["kind"] for t in client.get(f"/api/boards/{board}").json()["tiles"]]


def test_tiles_move_up_and_down_and_the_order_is_saved(own_app, own_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    editor = _client(own_app, "editor", "ja")
    board = _make(editor)
    start = _kinds(editor, board)
    page = editor.get(f"/boards/{board}?period=2026-09").text
    assert 'data-testid="move-up-2"' in page and 'data-testid="move-down-1"' in page
    assert 'data-testid="move-up-1"' not in page and 'data-testid="move-down-6"' not in page
    token = csrf_of(editor)
    moved = editor.post(
        f"/boards/{board}/tiles/2/move",
        data={"csrf_token": token, "to": "up", "back": f"/boards/{board}?period=2026-09"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/boards/{board}?period=2026-09#tile-1"
    assert _kinds(editor, board) == [start[1], start[0], *start[2:]]
    down = editor.post(f"/boards/{board}/tiles/6/move", data={"csrf_token": token, "to": "down"})
    assert down.status_code == 200  # the last tile stays last
    assert _kinds(editor, board) == [start[1], start[0], *start[2:]]
    order = editor.put(f"/api/boards/{board}/order", json={"order": [6, 5, 4, 3, 2, 1]})
    assert order.status_code == 200, order.text
    assert _kinds(editor, board) == [*reversed(start[2:]), start[0], start[1]]
    for bad in ([1, 2], [1, 1, 2, 3, 4, 5], "123456", [1, 2, 3, 4, 5, 7]):
        assert editor.put(f"/api/boards/{board}/order", json={"order": bad}).status_code == 400
    assert Accounts(own_ws.appdb).audit_log(1)[0]["action"] == "board.reorder"
    # a viewer who sees the board neither sees the buttons nor may move tiles
    marketer = _client(own_app, "marketer", "ja")
    assert 'data-testid="move-' not in marketer.get(f"/boards/{board}").text
    posted = {"csrf_token": csrf_of(marketer), "to": "up"}
    assert marketer.post(f"/boards/{board}/tiles/2/move", data=posted).status_code == 403
    assert marketer.put(f"/api/boards/{board}/order", json={"order": [1]}).status_code == 403
    # an editor who is not the owner: not shared with them (404), or shared but not theirs (403)
    other = _client(own_app, "editor2", "ja")
    assert other.put(f"/api/boards/{board}/order", json={"order": [1]}).status_code == 404
    editor.put(f"/api/boards/{board}", json={**BOARD, "shared_roles": ["editor"]})
    assert other.put(f"/api/boards/{board}/order", json={"order": [1]}).status_code == 403
    editor.delete(f"/api/boards/{board}")


def test_an_editor_adds_a_kpi_card_or_its_trend_to_a_board_from_a_page(own_app) -> None:  # type: ignore[no-untyped-def]
    editor = _client(own_app, "editor", "ja")
    viewer = _client(own_app, "marketer", "ja")
    board = _make(editor)
    kpi_page = editor.get("/kpi/leads?period=2026-09").text
    assert 'data-testid="add-to-board"' in kpi_page
    assert 'data-testid="add-trend-to-board"' in kpi_page
    assert 'data-testid="add-to-board' not in viewer.get("/kpi/leads?period=2026-09").text
    for path in ("/executive?period=2026-10", "/department/marketing?period=2026-10"):
        assert 'data-testid="add-to-board-' in editor.get(path).text, path
        assert 'data-testid="add-to-board-' not in viewer.get(path).text, path
    form = editor.get("/boards/add?kpi=mqls&period=2026-09&kind=trend&back=/kpi/mqls")
    assert form.status_code == 200
    main = form.text.split('<main id="main">')[1].split("</main>")[0]
    assert "MQL数をボードに追加" in main or "ボードに追加" in main
    found = leaks(visible_text(main), {"editor", BOARD["name"]})
    assert not found, found
    assert f'data-testid="add-board-{board}"' in main and 'data-testid="add-kind-trend"' in main
    token = csrf_of(editor)
    # the trend, following the board, onto the editor's board
    posted = {"csrf_token": token, "kpi": "mqls", "kind": "trend", "board": str(board)}
    added = editor.post("/boards/add", data=posted, follow_redirects=False)
    assert added.status_code == 303
    assert added.headers["location"] == f"/boards/{board}?added=7#tile-7"
    tile = editor.get(f"/api/boards/{board}").json()["tiles"][6]
    assert (tile["kind"], tile["kpis"], tile["follow"]) == ("trend", ["mqls"], True)
    assert tile["data"]["period"] == "2026-10"  # the board's period
    assert 'data-testid="tile-added"' in editor.get(added.headers["location"]).text
    # the card, keeping the page's period, onto a new board
    kept = {
        **posted,
        "kind": "cards",
        "board": "new",
        "name": "MQLの定点観測",
        "keep": "1",
        "own_period": "2026-09",
    }
    made = editor.post("/boards/add", data=kept, follow_redirects=False)
    assert made.status_code == 303
    new = int(made.headers["location"].split("?")[0].rsplit("/", 1)[1])
    saved = editor.get(f"/api/boards/{new}").json()
    assert saved["name"] == "MQLの定点観測" and saved["owner"] == "editor"
    (only,) = saved["tiles"]
    assert (only["kind"], only["kpis"], only["follow"]) == ("cards", ["mqls"], False)
    assert only["filters"] == {"period": "2026-09"} and only["data"]["period"] == "2026-09"
    # no board chosen and no name: said in Japanese, in the form
    wrong = editor.post("/boards/add", data={**posted, "board": "new", "name": ""})
    assert wrong.status_code == 400 and "ボード名を入力してください" in wrong.text
    # the JSON twin
    api = editor.post(f"/api/boards/{new}/tiles", json={"kind": "trend", "kpis": ["mqls"]})
    assert api.status_code == 200 and api.json()["tiles"] == 2
    # viewers get no form and cannot add; an editor adds only to a board they may change
    assert viewer.get("/boards/add?kpi=mqls").status_code == 403
    vposted = {**posted, "csrf_token": csrf_of(viewer)}
    assert viewer.post("/boards/add", data=vposted).status_code == 403
    assert viewer.post(f"/api/boards/{board}/tiles", json={"kind": "trend"}).status_code == 403
    other = _client(own_app, "editor2", "ja")
    assert f'data-testid="add-board-{board}"' not in other.get("/boards/add?kpi=mqls").text
    oposted = {**posted, "csrf_token": csrf_of(other)}
    assert other.post("/boards/add", data=oposted).status_code == 404  # not shared with them
    editor.put(f"/api/boards/{board}", json={**BOARD, "shared_roles": ["editor"]})
    assert other.post("/boards/add", data=oposted).status_code == 403  # shared, not theirs
    for made_id in (board, new):
        editor.delete(f"/api/boards/{made_id}")


def _drill(html: str, tile: int, kpi: str) -> str:
    import re
    from html import unescape

    section = html.split(f'data-testid="tile-{tile}"')[1].split("</section>")[0]
    found = re.search(rf'<a href="([^"]+)" class="drill"[^>]*data-testid="drill-{kpi}"', section)
    assert found, section[:400]
    return unescape(found[1])


def test_a_card_tile_drills_down_with_its_own_period_and_filters(own_app) -> None:  # type: ignore[no-untyped-def]
    editor = _client(own_app, "editor", "ja")
    tiles = [
        {"kind": "cards", "kpis": ["leads"]},
        {
            "kind": "cards",
            "kpis": ["leads"],
            "follow": False,
            "filters": {"period": "2026-09", "channel": "webinar"},
        },
    ]
    board = _make(editor, tiles=tiles)
    for query, board_period in (("", "2026-10"), ("?period=2026-08", "2026-08")):
        html = editor.get(f"/boards/{board}{query}").text
        data = editor.get(f"/api/boards/{board}{query}").json()
        follows, own = _drill(html, 1, "leads"), _drill(html, 2, "leads")
        assert f"period={board_period}" in follows and "channel=" not in follows
        assert "period=2026-09" in own and "channel=webinar" in own
        assert f"back=%2Fboards%2F{board}" in own  # back to the board
        for link, tile in ((follows, data["tiles"][0]), (own, data["tiles"][1])):
            listed = editor.get("/api/records?" + link.split("?", 1)[1]).json()
            value = tile["data"]["kpis"][0]["actual"]
            assert listed["count"] == value == listed["kpi"]["actual"], (link, value)
    editor.delete(f"/api/boards/{board}")
