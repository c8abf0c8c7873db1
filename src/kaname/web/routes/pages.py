"""Dashboard pages and their JSON twins: the same service call, rendered twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kaname.dashboard import Dashboard, Filters
from kaname.store.web_models import DEPARTMENTS
from kaname.web import charts
from kaname.web.deps import dashboard, filters, gettext, language, viewer, workspace
from kaname.web.i18n import Translator
from kaname.web.render import render
from kaname.web.security import Caller
from kaname.workspace import Workspace

router = APIRouter()

Who = Annotated[Caller, Depends(viewer)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Flt = Annotated[Filters, Depends(filters)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]


@router.get("/", include_in_schema=False)
def landing(who: Who, dash: Dash) -> Response:
    """Each user lands on the board they chose (/boards), else on their department's page."""
    from kaname.dashboard.boards import Boards

    board = Boards(dash).landing_id(who.user)
    if board is not None:
        return RedirectResponse(f"/boards/{board}", status_code=303)
    dept = who.user.department
    target = "/executive" if dept == "executive" else f"/department/{dept}"
    return RedirectResponse(target, status_code=303)


def _page(
    request: Request,
    template: str,
    data: dict[str, Any],
    f: Filters,
    dash: Dashboard,
    **extra: Any,
) -> Response:
    context = {
        "data": data,
        "filters_obj": f,
        "options": dash.options(),
        "user_options": dash.user_options(),
        **extra,
    }
    # the cards' target form (editors) is part of the cached page body: one copy per role
    key = (request.url.path, str(request.url.query), bool(extra.get("target_edit")))
    # "Add to a board" (editors) is part of it too, on the same role condition
    return render(request, template, context, partial="_" + template, cache_key=key)


def _card_edits(request: Request, who: Caller) -> dict[str, Any]:
    """What the KPI cards need for an editor's "Change target" form and "Add to a board" link:
    whether to show them, and the page to come back to."""
    query = f"?{request.url.query}" if request.url.query else ""
    can = who.user.can("editor")
    return {"target_edit": can, "board_add": can, "back": request.url.path + query}


def _json(dash: Dashboard, key: tuple[Any, ...], build: Callable[[], Any]) -> Response:
    """A JSON twin: the page's data encoded once per cache generation."""
    body = dash.cached(
        ("json", *key),
        lambda: json.dumps(build(), ensure_ascii=False, default=str).encode("utf-8"),
    )
    return Response(body, media_type="application/json")


# ---------------------------------------------------------------------- executive
def gauges(dash: Dashboard, rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["kpi"]: charts.gauge(r["achievement"], r["status"], r["name"]) for r in rows}


def executive_gauges(dash: Dashboard, f: Filters, lang: str) -> dict[str, str]:
    """The executive page's gauges, cached with its data (warmed by dashboard/warm.py)."""
    data = dash.executive(f, lang)
    rows = ([data["kgi"]] if data["kgi"] else []) + data["kpis"]
    return dict(dash.cached(("executive-gauges", f, lang), lambda: gauges(dash, rows)))


def department_gauges(dash: Dashboard, name: str, f: Filters, lang: str) -> dict[str, str]:
    data = dash.department(name, f, lang)
    key = ("department-gauges", name, f, lang)
    return dict(dash.cached(key, lambda: gauges(dash, data["kpis"])))


def warm_figures(dash: Dashboard, lang: str) -> list[tuple[str, Callable[[], Any]]]:
    """The gauges of the executive and department pages in `lang`, for the warmer."""
    f = Filters()
    steps: list[tuple[str, Callable[[], Any]]] = [
        (f"executive gauges:{lang}", lambda: executive_gauges(dash, f, lang))
    ]
    for name in DEPARTMENTS:
        if name != "executive":
            steps.append(
                (
                    f"department/{name} gauges:{lang}",
                    partial(department_gauges, dash, name, f, lang),
                )
            )
    return steps


@router.get("/executive", include_in_schema=False)
def executive(request: Request, who: Who, dash: Dash, f: Flt, lang: Lang, _: Gettext) -> Response:
    data = dash.executive(f, lang)
    shown = executive_gauges(dash, f, lang)
    return _page(
        request, "executive.html", data, f, dash, gauges=shown, **_card_edits(request, who)
    )


@router.get("/api/executive", tags=["pages"])
def executive_json(who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    """KGI and organisation KPIs: actual, target, achievement, projection, status, trend,
    previous year; the top bottleneck from the planner's sensitivity ranking."""
    return _json(dash, ("executive", f, lang), lambda: dash.executive(f, lang))


# ---------------------------------------------------------------------- departments
@router.get("/department/{name}", include_in_schema=False)
def department(request: Request, name: str, who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    if name not in DEPARTMENTS or name == "executive":
        return RedirectResponse("/executive", status_code=303)
    data = dash.department(name, f, lang)
    shown = department_gauges(dash, name, f, lang)
    return _page(
        request, "department.html", data, f, dash, gauges=shown, **_card_edits(request, who)
    )


@router.get("/api/department/{name}", tags=["pages"])
def department_json(name: str, who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    """A department's KPIs (its 2–3 plan KPIs and the organisation KPIs it owns)."""
    return _json(dash, ("department", name, f, lang), lambda: dash.department(name, f, lang))


# ---------------------------------------------------------------------- KPI tree
@router.get("/tree", include_in_schema=False)
def tree(request: Request, who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    return _page(request, "tree.html", dash.tree(f, lang), f, dash)


@router.get("/api/tree", tags=["pages"])
def tree_json(who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    """The active plan's KPI tree with actual/target/status per node, gap and bottleneck."""
    return _json(dash, ("tree", f, lang), lambda: dash.tree(f, lang))


# ---------------------------------------------------------------------- funnel
@router.get("/funnel", include_in_schema=False)
def funnel(request: Request, who: Who, dash: Dash, f: Flt, lang: Lang, _: Gettext) -> Response:
    data = dash.funnel(f, lang)
    title = (
        _("Cohort view: leads created in the period, followed to today")
        if f.view == "cohort"
        else _("Period view: stage events counted in the period")
    )
    fig = dash.cached(("funnel-figure", f, lang), lambda: charts.funnel(data["stages"], title))
    return _page(request, "funnel.html", data, f, dash, fig=fig, title=title)


@router.get("/api/funnel", tags=["pages"])
def funnel_json(who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    """Stages with conversion and drop-off (period or cohort view), by channel, median lead
    time per stage."""
    return _json(dash, ("funnel", f, lang), lambda: dash.funnel(f, lang))


# ---------------------------------------------------------------------- channels
@router.get("/channels", include_in_schema=False)
def channels(
    request: Request,
    who: Who,
    dash: Dash,
    f: Flt,
    lang: Lang,
    _: Gettext,
    sort: str = "",
    model: str = "",
) -> Response:
    data = dash.channels(f, lang, model or None)
    default = "attributed_revenue" if model else "revenue"
    key = sort if sort in data["columns"] else default
    rows = sorted(data["rows"], key=lambda r: (r.get(key) is None, -(r.get(key) or 0)))
    ws = request.app.state.ws
    from kaname.web.render import channel_label

    fig = dash.cached(
        ("channels-figure", f, lang, model, key),
        lambda: charts.bars(
            [channel_label(r["channel"], lang) for r in rows],
            [r.get(key) for r in rows],
            _("{metric} by channel", metric=data["names"].get(key, _("Share of revenue"))),
            charts.unit_title(data["units"][key], ws.config.currency, _),
            (ws.config.currency, lang) if data["units"][key] == "currency" else None,
        ),
    )
    from kaname.dashboard.analysis import MODELS
    from kaname.web.routes.analysis import model_names

    return _page(
        request,
        "channels.html",
        data,
        f,
        dash,
        rows=rows,
        sort=key,
        fig=fig,
        model=model,
        models=MODELS,
        model_names=model_names(_),
    )


@router.get("/api/channels", tags=["pages"])
def channels_json(who: Who, dash: Dash, f: Flt, lang: Lang, model: str = "") -> Response:
    """One row per channel: spend, leads, CPA, MQL, SQL, opportunities, deals, revenue, CAC,
    ROAS, ROMI and share of sourced revenue. With `model` (markov, linear, w_shaped…), also
    attributed_deals/revenue/cac/roas/romi under that model, named in `model_label`."""
    return _json(dash, ("channels", f, lang, model), lambda: dash.channels(f, lang, model or None))


# ---------------------------------------------------------------------- tactics
@router.get("/tactics", include_in_schema=False)
def tactics(request: Request, who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    return _page(request, "tactics.html", dash.tactics(f, lang), f, dash)


@router.get("/api/tactics", tags=["pages"])
def tactics_json(who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    """Email, webinar, calls and events KPIs against the seeds' benchmark ranges."""
    return _json(dash, ("tactics", f, lang), lambda: dash.tactics(f, lang))


# ---------------------------------------------------------------------- trends
@router.get("/trends", include_in_schema=False)
def trends(
    request: Request,
    who: Who,
    dash: Dash,
    f: Flt,
    lang: Lang,
    _: Gettext,
    ws: Annotated[Workspace, Depends(workspace)],
    kpi: str = "revenue",
    periods: int = 12,
) -> Response:
    data = dash.trends(kpi, f, lang, max(2, min(periods, 60)))
    fig = dash.cached(
        ("trend-figure", kpi, f, lang, periods),
        lambda: charts.trend(data, ws.config.currency, lang, _, ws.config.fiscal_year_start_month),
    )
    kpis = [(k.id, k.name(lang)) for k in ws.catalog]
    return _page(request, "trends.html", data, f, dash, fig=fig, kpis=kpis, periods=periods)


@router.get("/api/trends", tags=["pages"])
def trends_json(
    who: Who, dash: Dash, f: Flt, lang: Lang, kpi: str = "revenue", periods: int = 12
) -> Response:
    """A KPI by week/month/quarter with target, previous year and annotations."""
    return _json(
        dash,
        ("trends", kpi, f, lang, periods),
        lambda: dash.trends(kpi, f, lang, max(2, min(periods, 60))),
    )


# ---------------------------------------------------------------------- KPI page
@router.get("/kpi/{kpi_id}", include_in_schema=False)
def kpi_page(
    request: Request, kpi_id: str, who: Who, dash: Dash, f: Flt, lang: Lang, _: Gettext
) -> Response:
    data = dash.kpi(kpi_id, f, lang)
    ws = request.app.state.ws
    trend = dash.trends(kpi_id, f, lang, 12)
    fig = dash.cached(
        ("trend-figure", kpi_id, f, lang, 12),
        lambda: charts.trend(trend, ws.config.currency, lang, _, ws.config.fiscal_year_start_month),
    )
    return _page(request, "kpi.html", data, f, dash, fig=fig, **_card_edits(request, who))


@router.get("/api/kpi/{kpi_id}", tags=["pages"])
def kpi_json(kpi_id: str, who: Who, dash: Dash, f: Flt, lang: Lang) -> Response:
    """Definition, formula, owner, lead/lag, target history, actual by dimension, data
    freshness and lint findings of one KPI."""
    return _json(dash, ("kpi", kpi_id, f, lang), lambda: dash.kpi(kpi_id, f, lang))


# ---------------------------------------------------------------------- catalog
@router.get("/catalog", include_in_schema=False)
def catalog(request: Request, who: Who, dash: Dash, lang: Lang) -> Response:
    data = dash.catalog(lang)
    return _page(request, "catalog.html", data, Filters(), dash)


@router.get("/api/catalog", tags=["pages"])
def catalog_json(who: Who, dash: Dash, lang: Lang) -> Response:
    """The KPI definitions document: name, definition, formula, target, owner."""
    return _json(dash, ("catalog", lang), lambda: dash.catalog(lang))


# ---------------------------------------------------------------------- cache
@router.get("/api/cache", tags=["pages"])
def cache_json(request: Request, who: Who, dash: Dash) -> dict[str, Any]:
    """The page cache: the data version its values belong to (warehouse and app-DB changes,
    the workspace's day), how many values it holds, and the warmer's state (whether it is
    building the heavy pages after a change, and what its last round built in how long)."""
    version = dash.data_version()
    warmer = request.app.state.warmer
    return {
        "version": {
            "warehouse": version.warehouse,
            "app": version.app,
            "day": version.day.isoformat(),
        },
        "entries": dash.entries(),
        "warmer": warmer.status() if warmer is not None else None,
    }
