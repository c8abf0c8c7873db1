"""A board's tiles from outside the composer: move a tile up or down on the board itself, and
add a KPI's card or trend chart to a board from the page it is on (a KPI page, a KPI card).
Editors only, and only on boards they may change (the owner's, or any for an admin); the rules
are `Boards`' own. Each form has a JSON twin under /api/boards/."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from kaname.dashboard import Dashboard, Filters
from kaname.dashboard.boards import BoardError, BoardForbidden, BoardNotFound, Boards
from kaname.web.deps import dashboard, editor, filters, gettext, language
from kaname.web.i18n import Translator
from kaname.web.render import render
from kaname.web.routes.boards import _api_error, _forbidden, _not_found, _safe_back
from kaname.web.security import Caller

router = APIRouter()
Editor = Annotated[Caller, Depends(editor)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]
Flt = Annotated[Filters, Depends(filters)]

ADDABLE = ("cards", "trend")
"""What a page adds to a board: the KPI's card, or its trend chart."""
TILE_FILTERS = ("period", "grain", "channel", "campaign", "segment", "view")
"""The page filters a tile added from a page can keep as its own."""


# ---------------------------------------------------------------------- reorder
@router.post("/boards/{board_id}/tiles/{number}/move", include_in_schema=False)
async def move_tile(
    request: Request, board_id: int, number: int, who: Editor, dash: Dash, lang: Lang, _: Gettext
) -> Response:
    """Move a tile one place up (`to=up`) or down (`to=down`); back to the board, at the tile."""
    form = await request.form()
    step = -1 if form.get("to") == "up" else 1
    try:
        Boards(dash).move(board_id, number, step, who.user)
    except BoardNotFound:
        return _not_found(request, _)
    except BoardForbidden:
        return _forbidden(request, _)
    except BoardError as exc:
        return render(request, "error.html", {"message": exc.text(lang), "code": 400}, 400)
    back = _safe_back(str(form.get("back") or f"/boards/{board_id}"))
    if not back.startswith(f"/boards/{board_id}"):
        back = f"/boards/{board_id}"
    count = len(Boards(dash).get(board_id, who.user)["spec"]["tiles"])
    moved = min(max(1, number + step), count)
    return RedirectResponse(f"{back}#tile-{moved}", status_code=303)


@router.put("/api/boards/{board_id}/order", tags=["boards"], response_model=None)
def order_json(
    board_id: int, who: Editor, dash: Dash, lang: Lang, body: Annotated[dict[str, Any], Body()]
) -> Response | dict[str, Any]:
    """Put a board's tiles in a new order (its owner or an admin): {"order": [3, 1, 2]} lists
    every tile number once, as the board numbers them now."""
    try:
        return Boards(dash).reorder(board_id, body.get("order"), who.user)
    except (BoardError, BoardForbidden, BoardNotFound) as exc:
        return _api_error(exc, lang)


# ---------------------------------------------------------------------- add from a page
def _own_filters(f: Filters) -> dict[str, str]:
    """The page's filters a tile keeps when it does not follow its board (defaults left out)."""
    default = Filters().as_dict()
    return {k: v for k, v in f.as_dict().items() if k in TILE_FILTERS and v and v != default.get(k)}


def _form(
    request: Request,
    dash: Dashboard,
    who: Caller,
    kpi: str,
    f: Filters,
    chosen: dict[str, str],
    error: str = "",
    status: int = 200,
) -> Response:
    lang = request.state.language
    boards = [b for b in Boards(dash).visible(who.user) if b["can_change"]]
    return render(
        request,
        "board_add.html",
        {
            "kpi": kpi,
            "kpi_name": dash.ws.catalog.get(kpi).name(lang),
            "boards": boards,
            "kept": _own_filters(f),
            "page_period": dash.period(f).label,
            "filters_obj": f,
            "chosen": chosen,
            "error": error,
            "cancel": _safe_back(chosen.get("back") or f"/kpi/{kpi}"),
        },
        status,
    )


@router.get("/boards/add", include_in_schema=False)
def add_form(request: Request, who: Editor, dash: Dash, f: Flt, _: Gettext) -> Response:
    """Which board, and the card or the trend: the form behind "Add to a board" on a page."""
    kpi = request.query_params.get("kpi", "")
    if kpi not in dash.ws.catalog:
        return render(request, "error.html", {"message": _("Choose a KPI."), "code": 404}, 404)
    chosen = {
        "kind": request.query_params.get("kind", "cards"),
        "back": request.query_params.get("back", ""),
    }
    return _form(request, dash, who, kpi, f, chosen)


def _tile_of(form: FormData) -> dict[str, Any]:
    kind = str(form.get("kind") or "")
    tile: dict[str, Any] = {"kind": kind, "kpis": [str(form.get("kpi") or "")]}
    if form.get("keep") == "1":
        own = {k: str(form.get(f"own_{k}") or "") for k in TILE_FILTERS}
        tile.update(follow=False, filters={k: v for k, v in own.items() if v})
    return tile


@router.post("/boards/add", include_in_schema=False)
async def add_tile(request: Request, who: Editor, dash: Dash, lang: Lang, _: Gettext) -> Response:
    """Add the KPI's card or trend to the chosen board (or to a new board of that name)."""
    form = await request.form()
    kpi = str(form.get("kpi") or "")
    if kpi not in dash.ws.catalog:
        return render(request, "error.html", {"message": _("Choose a KPI."), "code": 404}, 404)
    tile = _tile_of(form)
    target = str(form.get("board") or "")
    chosen = {k: str(form.get(k) or "") for k in ("kind", "board", "name", "keep", "back")}
    own = {k: str(form.get(f"own_{k}") or "") for k in TILE_FILTERS}
    page = Filters.parse({k: v for k, v in own.items() if v})
    boards = Boards(dash)
    try:
        if tile["kind"] not in ADDABLE:
            raise BoardError("choose the card or the trend", "カードか推移グラフを選んでください")
        if target == "new":
            made = boards.create(
                {"name": str(form.get("name") or ""), "filters": {}, "tiles": [tile]}, who.user
            )
        elif target.isdigit():
            made = boards.add_tile(int(target), tile, who.user)
        else:
            raise BoardError(
                "choose a board, or name a new one",
                "追加先のボードを選ぶか、新しいボードの名前を入力してください",
            )
    except BoardNotFound:
        return _not_found(request, _)
    except BoardForbidden:
        return _forbidden(request, _)
    except BoardError as exc:
        return _form(request, dash, who, kpi, page, chosen, exc.text(lang), 400)
    number = len(made["spec"]["tiles"])
    query = urlencode({"added": number})
    return RedirectResponse(f"/boards/{made['id']}?{query}#tile-{number}", status_code=303)


@router.post("/api/boards/{board_id}/tiles", tags=["boards"], response_model=None)
def add_tile_json(
    board_id: int, who: Editor, dash: Dash, lang: Lang, body: Annotated[dict[str, Any], Body()]
) -> Response | dict[str, Any]:
    """Add one tile at the end of a board (its owner or an admin), as "Add to a board" does
    from a KPI page or card: {"kind": "cards"|"trend"|…, "kpis": [...], "follow", "filters"}."""
    if not isinstance(body, dict) or not body.get("kind"):
        return JSONResponse({"error": "the body is one tile: {kind, kpis, follow, filters}"}, 400)
    try:
        return Boards(dash).add_tile(board_id, body, who.user)
    except (BoardError, BoardForbidden, BoardNotFound) as exc:
        return _api_error(exc, lang)
