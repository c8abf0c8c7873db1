"""Boards: compose a page of KPI cards and charts, save and share it, make it a landing page;
and change a KPI's target from its card. Each page has a JSON twin under /api/."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import escape
from starlette.datastructures import FormData

from kaname.dashboard import Dashboard, Filters
from kaname.dashboard.boards import (
    FILTER_KEYS,
    MAX_TILES,
    TILE_KINDS,
    BoardError,
    BoardForbidden,
    BoardNotFound,
    Boards,
    board_data,
)
from kaname.dashboard.target_edit import TargetError, change_target
from kaname.design.plan import PlanError
from kaname.store.web_models import DEPARTMENTS, ROLES
from kaname.web import charts
from kaname.web.deps import dashboard, editor, filters, gettext, language, viewer
from kaname.web.i18n import Translator, translator
from kaname.web.picker import PICKER_FIELDS, comparison_options, preset_options
from kaname.web.render import render, value_label
from kaname.web.security import Caller

router = APIRouter()
Who = Annotated[Caller, Depends(viewer)]
Editor = Annotated[Caller, Depends(editor)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]
Flt = Annotated[Filters, Depends(filters)]
SPARE_TILES = 3
"""Empty tile rows the composer offers after the board's tiles."""


def _not_found(request: Request, _: Translator) -> Response:
    message = _("There is no such board, or it is not shared with you.")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "no such board, or not shared with you"}, 404)
    return render(request, "error.html", {"message": message, "code": 404}, 404)


def _forbidden(request: Request, _: Translator) -> Response:
    message = _("Only the board's owner or an admin can change it.")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "only the board's owner or an admin can change it"}, 403)
    return render(request, "error.html", {"message": message, "code": 403}, 403)


# ---------------------------------------------------------------------- composer form
def spec_from_form(form: FormData) -> dict[str, Any]:
    """The composer's fields as the JSON the API takes (`Boards.create` checks them)."""
    tiles = []
    for n in range(1, MAX_TILES + SPARE_TILES + 1):
        kind = str(form.get(f"tile{n}_kind") or "")
        if not kind:
            continue
        kpis = [str(k) for k in form.getlist(f"tile{n}_kpis") if str(k)]
        own = form.get(f"tile{n}_own") == "1"
        tiles.append(
            {
                "kind": kind,
                "kpis": kpis,
                "dimension": str(form.get(f"tile{n}_dimension") or ""),
                "follow": not own,
                "filters": _period_fields(form, f"tile{n}_", ("channel", "segment")) if own else {},
            }
        )
    return {
        "name": str(form.get("name") or ""),
        "filters": _period_fields(form, "board_", ("compare",)),
        "tiles": tiles,
        "shared_roles": [str(r) for r in form.getlist("share_role")],
        "shared_departments": [str(d) for d in form.getlist("share_department")],
    }


def _period_fields(form: FormData, prefix: str, more: tuple[str, ...]) -> dict[str, str]:
    """A period (typed, else the preset chosen), the grain and `more` fields of one prefix."""
    typed = str(form.get(f"{prefix}period") or "").strip()
    out = {"period": typed or str(form.get(f"{prefix}preset") or "")}
    for key in ("grain", *more):
        out[key] = str(form.get(f"{prefix}{key}") or "")
    return {k: v for k, v in out.items() if v}


def kind_names(_: Translator) -> dict[str, str]:
    return {
        "cards": _("KPI cards"),
        "trend": _("Trend"),
        "funnel": _("Funnel"),
        "bars": _("Bar by dimension"),
        "tree": _("KPI tree"),
        "gap": _("Gap table"),
    }


def _composer(
    request: Request,
    dash: Dashboard,
    lang: str,
    board: dict[str, Any],
    error: str = "",
    status: int = 200,
) -> Response:
    ws = dash.ws
    _ = translator(lang)
    tiles = list(board.get("spec", {}).get("tiles", []))
    slots = tiles + [{} for _ in range(max(SPARE_TILES, 4 - len(tiles)))]
    dims: set[str] = set()
    for kpi in ("leads", "revenue", "deals"):
        if kpi in ws.catalog:
            dims |= {d for d in ws.engine().dimensions_of(kpi) if d != "stage"}
    return render(
        request,
        "board_edit.html",
        {
            "board": board,
            "slots": slots[: MAX_TILES + SPARE_TILES],
            "kinds": TILE_KINDS,
            "kpis": sorted(((k.id, k.name(lang)) for k in ws.catalog), key=lambda x: x[1]),
            "dimensions": sorted(dims),
            "roles": ROLES,
            "departments": DEPARTMENTS,
            "options": dash.options(),
            "error": error,
            "kind_names": kind_names(_),
            "presets": preset_options(_),
            "comparisons": comparison_options(_),
            "max_tiles": MAX_TILES,
        },
        status,
    )


# ---------------------------------------------------------------------- pages
@router.get("/boards", include_in_schema=False)
def boards_page(request: Request, who: Who, dash: Dash) -> Response:
    return render(request, "boards.html", {"boards": Boards(dash).visible(who.user)})


@router.get("/boards/new", include_in_schema=False)
def new_board(request: Request, who: Editor, dash: Dash, lang: Lang) -> Response:
    return _composer(request, dash, lang, {"name": "", "spec": {"filters": {}, "tiles": []}})


@router.post("/boards", include_in_schema=False)
async def create_board(request: Request, who: Editor, dash: Dash, lang: Lang) -> Response:
    raw = spec_from_form(await request.form())
    try:
        made = Boards(dash).create(raw, who.user)
    except BoardError as exc:
        return _composer(request, dash, lang, _as_board(raw), exc.text(lang), 400)
    return RedirectResponse(f"/boards/{made['id']}", status_code=303)


def _as_board(raw: dict[str, Any], board_id: int | None = None) -> dict[str, Any]:
    """A composer form's fields shown again after an error."""
    return {
        "id": board_id,
        "name": raw["name"],
        "spec": {"filters": raw["filters"], "tiles": raw["tiles"]},
        "shared_roles": raw["shared_roles"],
        "shared_departments": raw["shared_departments"],
    }


def _overrides(request: Request, f: Filters) -> dict[str, str]:
    """The board filters the URL sets (the board's filter bar), over the board's saved ones."""
    query = request.query_params
    asked = f.as_dict()
    keys = [k for k in FILTER_KEYS if k in query]
    if "shown" in query:
        keys.append("period")
    return {k: asked[k] for k in dict.fromkeys(keys)}


def _figures(data: dict[str, Any], dash: Dashboard, lang: str, _: Translator) -> dict[int, Any]:
    """The charts of a board's tiles, from the charts the dashboard pages draw."""
    ws = dash.ws
    currency, fy = ws.config.currency, ws.config.fiscal_year_start_month
    out: dict[int, Any] = {}
    for tile in data["tiles"]:
        got = tile["data"]
        if not got:
            continue
        n = tile["number"]
        if tile["kind"] == "trend":
            out[n] = charts.trend(got["trend"], currency, lang, _, fy)
        elif tile["kind"] == "funnel":
            title = (
                _("Cohort view: leads created in the period, followed to today")
                if got["filters"].get("view") == "cohort"
                else _("Period view: stage events counted in the period")
            )
            out[n] = charts.funnel(got["funnel"]["stages"], title)
        elif tile["kind"] == "bars":
            bars = got["bars"]
            dim = bars["dimension"]
            out[n] = _room_for_labels(
                charts.bars(
                    [value_label(dim, r["value"], lang) for r in bars["rows"]],
                    [r["actual"] for r in bars["rows"]],
                    bars["name"],
                    charts.unit_title(bars["unit"], currency, _),
                    (currency, lang) if bars["unit"] == "currency" else None,
                )
            )
        elif tile["kind"] == "cards":
            out[n] = {
                r["kpi"]: charts.gauge(r["achievement"], r["status"], r["name"])
                for r in got["kpis"]
            }
    return out


def _room_for_labels(figure: str) -> str:
    """A bar chart whose category names (channels, campaigns) are long: the x axis takes the
    room its slanted labels need instead of cutting them off."""
    fig = json.loads(figure)
    fig["layout"].setdefault("xaxis", {})["automargin"] = True
    fig["layout"]["height"] = max(fig["layout"].get("height", 320), 380)
    return json.dumps(fig, ensure_ascii=False)


@router.get("/boards/{board_id}", include_in_schema=False)
def board_page(
    request: Request,
    board_id: int,
    who: Who,
    dash: Dash,
    lang: Lang,
    _: Gettext,
    f: Flt,
) -> Response:
    try:
        board = Boards(dash).get(board_id, who.user)
    except BoardNotFound:
        return _not_found(request, _)
    data = board_data(dash, board, _overrides(request, f), lang)
    board_filters = Filters.parse(data["board_filters"])
    tile_filters = {
        t["number"]: Filters.parse(t["data"]["filters"]) if t["data"] else board_filters
        for t in data["tiles"]
    }
    return render(
        request,
        "board.html",
        {
            "data": data,
            "filters_obj": board_filters,
            "tile_filters": tile_filters,
            "figures": _figures(data, dash, lang, _),
            "options": dash.options(),
            "user_options": dash.user_options(),
            "target_edit": who.user.can("editor"),
            "board_period": dash.period(board_filters).label,
            "back": str(request.url.path)
            + ("?" + str(request.url.query) if request.url.query else ""),
            "picker_fields": PICKER_FIELDS,
        },
    )


@router.get("/boards/{board_id}/edit", include_in_schema=False)
def edit_board(
    request: Request, board_id: int, who: Editor, dash: Dash, lang: Lang, _: Gettext
) -> Response:
    try:
        board = Boards(dash).get(board_id, who.user)
    except BoardNotFound:
        return _not_found(request, _)
    if not board["can_change"]:
        return _forbidden(request, _)
    return _composer(request, dash, lang, board)


@router.post("/boards/{board_id}", include_in_schema=False)
async def update_board(
    request: Request, board_id: int, who: Editor, dash: Dash, lang: Lang, _: Gettext
) -> Response:
    raw = spec_from_form(await request.form())
    try:
        Boards(dash).update(board_id, raw, who.user)
    except BoardNotFound:
        return _not_found(request, _)
    except BoardForbidden:
        return _forbidden(request, _)
    except BoardError as exc:
        return _composer(request, dash, lang, _as_board(raw, board_id), exc.text(lang), 400)
    return RedirectResponse(f"/boards/{board_id}", status_code=303)


@router.post("/boards/{board_id}/delete", include_in_schema=False)
def delete_board(request: Request, board_id: int, who: Editor, dash: Dash, _: Gettext) -> Response:
    try:
        Boards(dash).delete(board_id, who.user)
    except BoardNotFound:
        return _not_found(request, _)
    except BoardForbidden:
        return _forbidden(request, _)
    return RedirectResponse("/boards", status_code=303)


@router.post("/boards/{board_id}/landing", include_in_schema=False)
async def landing_form(
    request: Request, board_id: int, who: Who, dash: Dash, _: Gettext
) -> Response:
    """Make the board the caller's landing page (`on=0`: back to the department page)."""
    form = await request.form()
    try:
        Boards(dash).set_landing(board_id if form.get("on") != "0" else None, who.user)
    except BoardNotFound:
        return _not_found(request, _)
    return RedirectResponse(f"/boards/{board_id}", status_code=303)


def _safe_back(back: str) -> str:
    """Only a path of this site (never another host) to go back to, without an earlier
    `target_saved` or `added` notice."""
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        return "/boards"
    path, _sep, query = back.partition("?")
    notices = ("target_saved", "added")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in notices]
    return f"{path}?{urlencode(kept)}" if kept else path


@router.post("/targets", include_in_schema=False)
async def target_form(request: Request, who: Editor, dash: Dash, lang: Lang) -> Response:
    """A target changed from a KPI card: a new plan version, audited; back to the page."""
    form = await request.form()
    kpi = str(form.get("kpi") or "")
    try:
        change_target(
            dash,
            kpi,
            str(form.get("period") or ""),
            str(form.get("target") or ""),
            who.user,
            lang,
        )
    except PlanError as exc:
        message = (getattr(exc, "ja", "") if lang == "ja" else "") or str(exc)
        if request.headers.get("HX-Request"):  # the reason, inside the card's form
            return HTMLResponse(f'<span class="error">{escape(message)}</span>')
        return render(request, "error.html", {"message": message, "code": 400}, 400)
    back = _safe_back(str(form.get("back") or ""))
    joiner = "&" if "?" in back else "?"
    target = f"{back}{joiner}target_saved={quote(kpi)}"
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------------- JSON twins
@router.get("/api/boards", tags=["boards"])
def boards_json(who: Who, dash: Dash) -> list[dict[str, Any]]:
    """The boards the caller sees (their own, and those shared with their role or department),
    with `landing` on the one they land on."""
    return Boards(dash).visible(who.user)


def _api_error(exc: Exception, lang: str) -> JSONResponse:
    if isinstance(exc, BoardNotFound):
        return JSONResponse({"error": "no such board, or not shared with you"}, 404)
    if isinstance(exc, BoardForbidden):
        return JSONResponse({"error": "only the board's owner or an admin can change it"}, 403)
    return JSONResponse({"error": str(exc)}, 400)


@router.post("/api/boards", tags=["boards"], response_model=None)
def create_json(
    who: Editor, dash: Dash, lang: Lang, body: Annotated[dict[str, Any], Body()]
) -> Response | dict[str, Any]:
    """Make a board (editors): {"name", "filters": {period, grain, …}, "tiles": [{"kind":
    cards|trend|funnel|bars|tree|gap, "kpis": [...], "dimension", "follow", "filters"}],
    "shared_roles": [...], "shared_departments": [...]}."""
    try:
        return Boards(dash).create(body, who.user)
    except (BoardError, BoardForbidden) as exc:
        return _api_error(exc, lang)


@router.put("/api/boards/landing", tags=["boards"], response_model=None)
def landing_json(
    who: Who, dash: Dash, lang: Lang, body: Annotated[dict[str, Any], Body()]
) -> Response | dict[str, Any]:
    """Make a board the caller's landing page: {"board": id}, or {"board": null} for the
    department page."""
    board = body.get("board")
    try:
        Boards(dash).set_landing(int(board) if board is not None else None, who.user)
    except (BoardNotFound, ValueError, TypeError) as exc:
        if isinstance(exc, BoardNotFound):
            return _api_error(exc, lang)
        return JSONResponse({"error": "board must be a board id or null"}, 400)
    return {"landing": board}


@router.get("/api/boards/{board_id}", tags=["boards"], response_model=None)
def board_json(
    request: Request, board_id: int, who: Who, dash: Dash, lang: Lang, f: Flt
) -> Response | dict[str, Any]:
    """A board with every tile's data, for the board's filters (or those in the URL)."""
    try:
        board = Boards(dash).get(board_id, who.user)
    except BoardNotFound as exc:
        return _api_error(exc, lang)
    return board_data(dash, board, _overrides(request, f), lang)


@router.put("/api/boards/{board_id}", tags=["boards"], response_model=None)
def update_json(
    board_id: int, who: Editor, dash: Dash, lang: Lang, body: Annotated[dict[str, Any], Body()]
) -> Response | dict[str, Any]:
    """Change a board (its owner or an admin): the same body as making one."""
    try:
        return Boards(dash).update(board_id, body, who.user)
    except (BoardError, BoardForbidden, BoardNotFound) as exc:
        return _api_error(exc, lang)


@router.delete("/api/boards/{board_id}", tags=["boards"], response_model=None)
def delete_json(board_id: int, who: Editor, dash: Dash, lang: Lang) -> Response | dict[str, Any]:
    """Delete a board (its owner or an admin)."""
    try:
        Boards(dash).delete(board_id, who.user)
    except (BoardForbidden, BoardNotFound) as exc:
        return _api_error(exc, lang)
    return {"deleted": board_id}


@router.post("/api/targets", tags=["boards"], response_model=None)
def target_json(
    who: Editor, dash: Dash, lang: Lang, body: Annotated[dict[str, Any], Body()]
) -> Response | dict[str, Any]:
    """Change a KPI's target for a period, as from its card (editors): {"kpi", "period",
    "target"} (numbers as people type them: 500万, 1,000, 25%). Saves a new plan version and
    audits it as target.update."""
    try:
        return change_target(
            dash,
            str(body.get("kpi") or ""),
            str(body.get("period") or ""),
            str(body.get("target") or ""),
            who.user,
            lang,
        )
    except TargetError as exc:
        return JSONResponse({"error": str(exc)}, 400)
