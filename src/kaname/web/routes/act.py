"""Act pages (issue 7) and their JSON twins: PDCA actions with measured effect, the A/B
calculator, report downloads and the quarterly KPI review (the alert pages are in alerts.py,
which shares the helpers here). Reading is for every role; changing (actions, decisions)
needs the editor role."""

from __future__ import annotations

from typing import Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from kaname.dashboard import Dashboard
from kaname.dashboard import act as service
from kaname.web import charts
from kaname.web.deps import admin, dashboard, editor, gettext, language, viewer
from kaname.web.i18n import Translator
from kaname.web.render import env, render
from kaname.web.security import Caller

router = APIRouter()

Who = Annotated[Caller, Depends(viewer)]
Editor = Annotated[Caller, Depends(editor)]
Admin = Annotated[Caller, Depends(admin)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]
Fields = Annotated[dict[str, Any], Body()]


def _open_alerts(request: Request) -> int:
    """The header badge: open alerts (one cached COUNT query)."""
    dash = getattr(request.app.state, "dashboard", None)
    return service.open_alert_count(dash) if dash is not None else 0


env.globals["open_alerts"] = _open_alerts


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        values = [str(v) for v in form.getlist(key)]
        out[key] = values if key == "kpis" else values[-1]
    out.pop("csrf_token", None)
    return out


def _back(request: Request, url: str) -> Response:
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def status_names(_: Translator) -> dict[str, str]:
    return {"plan": _("Plan"), "do": _("Do"), "check": _("Check"), "act": _("Act")}


def decision_names(_: Translator) -> dict[str, str]:
    return {
        "standardise": _("Standardise"),
        "expand": _("Expand"),
        "modify": _("Modify"),
        "stop": _("Stop"),
        "keep": _("Keep"),
        "change": _("Change"),
        "retire": _("Retire"),
    }


def alert_state_names(_: Translator) -> dict[str, str]:
    return {
        "open": _("Open"),
        "acknowledged": _("Acknowledged"),
        "resolved": _("Resolved"),
        "live": _("Open or acknowledged"),
    }


def delivery_state_names(_: Translator) -> dict[str, str]:
    return {"pending": _("Retrying"), "sent": _("Sent"), "failed": _("Failed")}


def history_names(_: Translator) -> dict[str, str]:
    """The audit log's action names (action.decide, ...) as the change history shows them."""
    return {
        "action.create": _("created"),
        "action.update": _("changed"),
        "action.decide": _("recorded the decision"),
        "alert.acknowledge": _("acknowledged"),
        "alert.resolve": _("resolved"),
        "alerts.check": _("checked the rules"),
        "alerts.rules": _("changed the alert rules"),
        "review.decide": _("recorded a review decision"),
    }


def _names(_: Translator) -> dict[str, Any]:
    return {
        "status_names": status_names(_),
        "decision_names": decision_names(_),
        "alert_state_names": alert_state_names(_),
        "history_names": history_names(_),
        "delivery_state_names": delivery_state_names(_),
    }


# ---------------------------------------------------------------------- actions
def _actions_page(
    request: Request,
    dash: Dashboard,
    lang: str,
    _: Translator,
    q: str,
    status: str,
    kpi: str,
    error: str = "",
    form: dict[str, Any] | None = None,
    code: int = 200,
) -> Response:
    data = service.actions(dash, q, status, kpi)
    kpis = service.kpi_choices(dash, lang)
    context = {
        "data": data,
        "kpis": kpis,
        "kpi_names": dict((k, n) for k, n in kpis),
        "error": error,
        "form": form or {},
        "today": dash.ws.today().isoformat(),
        "dimensions": {d: dash.options().get(d, []) for d in ("channel", "campaign", "segment")},
        **_names(_),
    }
    return render(request, "actions.html", context, code, partial="_actions.html")


@router.get("/actions", include_in_schema=False)
def actions_page(
    request: Request,
    who: Who,
    dash: Dash,
    lang: Lang,
    _: Gettext,
    q: str = "",
    status: str = "",
    kpi: str = "",
) -> Response:
    return _actions_page(request, dash, lang, _, q, status, kpi)


@router.post("/actions", include_in_schema=False)
async def create_action_form(
    request: Request, who: Editor, dash: Dash, lang: Lang, _: Gettext
) -> Response:
    form = await _form(request)
    try:
        created = service.create_action(dash, form, who.user.username)
    except service.ActError as exc:
        return _actions_page(request, dash, lang, _, "", "", "", str(exc), form, 400)
    return _back(request, f"/actions/{created['id']}?created=1")


def history(dash: Dashboard, target: str) -> list[dict[str, Any]]:
    """Who changed the action or alert, when, and how (from the audit log), newest first."""
    from sqlalchemy import select

    from kaname.dashboard.service import clean
    from kaname.store.web_models import AuditEntry

    with dash.ws.appdb.session() as s:
        rows = s.execute(
            select(AuditEntry)
            .where(AuditEntry.target == target)
            .order_by(AuditEntry.id.desc())
            .limit(50)
        ).scalars()
        return [clean({"at": e.at, "actor": e.actor, "action": e.action}) for e in rows]


def effect_figure(
    result: dict[str, Any], start: str, _: Translator, title: str, language: str = "ja"
) -> str:
    series = result.get("series") or []
    x = [p["period_start"] for p in series]
    fig = go.Figure()
    fig.add_scatter(
        x=x,
        y=[p["value"] for p in series],
        mode="lines+markers",
        name=_("This action's KPI"),
        line={"color": charts.PALETTE[0]},
    )
    if series and "comparison" in series[0]:
        fig.add_scatter(
            x=x,
            y=[p["comparison"] for p in series],
            mode="lines+markers",
            name=_("Comparison"),
            line={"color": charts.PALETTE[5], "dash": "dot"},
        )
    fig.add_vline(x=start, line={"color": charts.PALETTE[4], "dash": "dash"})
    fig.add_annotation(x=start, y=1, yref="paper", text=_("Start"), showarrow=False, yshift=8)
    charts.date_axis(fig, language)
    return charts._layout(fig, title, height=320)


@router.get("/actions/{action_id}", include_in_schema=False)
def action_page(
    request: Request,
    action_id: int,
    who: Who,
    dash: Dash,
    lang: Lang,
    _: Gettext,
    kpi: str = "",
    grain: str = "week",
    compare_to: str = "",
    created: int = 0,
) -> Response:
    try:
        item = service.action(dash, action_id)
    except service.ActError:
        return RedirectResponse(f"/actions?missing={action_id}", status_code=303)
    names = dict((k, n) for k, n in service.kpi_choices(dash, lang))
    measured: dict[str, Any] | None = None
    effect_error = ""
    try:
        measured = service.effect(dash, action_id, kpi, grain, compare_to)
    except service.ActError as exc:
        effect_error = str(exc)
    figures = {}
    for r in (measured or {}).get("results", []):
        if r.get("series"):
            figures[r["kpi"]] = effect_figure(
                r, item["start_date"], _, names.get(r["kpi"], r["kpi"]), lang
            )
    context = {
        "a": item,
        "kpi_names": names,
        "measured": measured,
        "effect_error": effect_error,
        "figures": figures,
        "grain": grain,
        "chosen_kpi": kpi,
        "compare_to": compare_to,
        "comparisons": [
            v
            for v in service.dimension_values(dash, item["dimension"])
            if v != item["dimension_value"]
        ]
        if item["dimension"]
        else [],
        "history": history(dash, f"action:{action_id}"),
        "created": created,
        **_names(_),
    }
    return render(request, "action.html", context, partial="_action.html")


@router.post("/actions/{action_id}/status", include_in_schema=False)
async def action_status_form(request: Request, action_id: int, who: Editor, dash: Dash) -> Response:
    form = await _form(request)
    service.update_action(dash, action_id, {"status": form.get("status", "")}, who.user.username)
    return _back(request, f"/actions/{action_id}")


@router.post("/actions/{action_id}/decision", include_in_schema=False)
async def action_decision_form(
    request: Request, action_id: int, who: Editor, dash: Dash
) -> Response:
    form = await _form(request)
    service.decide_action(
        dash,
        action_id,
        str(form.get("decision", "")),
        str(form.get("learnings", "")),
        who.user.username,
    )
    return _back(request, f"/actions/{action_id}")


@router.get("/api/actions", tags=["act"])
def actions_json(
    who: Who, dash: Dash, q: str = "", status: str = "", kpi: str = ""
) -> dict[str, Any]:
    """Actions (the knowledge base): every word of `q` must appear; filter by status and KPI."""
    return service.actions(dash, q, status, kpi)


@router.post("/api/actions", tags=["act"])
def create_action_json(who: Editor, dash: Dash, fields: Fields) -> dict[str, Any]:
    """Create an action (editor): title, hypothesis, kpis, dimension + dimension_value (or
    dimension_pair "channel=webinar"), owner, start_date, end_date, expected_lift, status."""
    return service.create_action(dash, fields, who.user.username)


@router.get("/api/actions/{action_id}", tags=["act"])
def action_json(action_id: int, who: Who, dash: Dash) -> dict[str, Any]:
    """One action with its decision and learnings, and who changed it when."""
    return service.action(dash, action_id) | {"history": history(dash, f"action:{action_id}")}


@router.post("/api/actions/{action_id}", tags=["act"])
def update_action_json(action_id: int, who: Editor, dash: Dash, fields: Fields) -> dict[str, Any]:
    """Change fields of an action, e.g. {"status": "check"} (editor)."""
    return service.update_action(dash, action_id, fields, who.user.username)


@router.post("/api/actions/{action_id}/decision", tags=["act"])
def decide_action_json(action_id: int, who: Editor, dash: Dash, fields: Fields) -> dict[str, Any]:
    """Record the decision (standardise, expand, modify, stop) and learnings (editor)."""
    return service.decide_action(
        dash,
        action_id,
        str(fields.get("decision", "")),
        str(fields.get("learnings", "")),
        who.user.username,
    )


@router.get("/api/actions/{action_id}/effect", tags=["act"])
def effect_json(
    action_id: int,
    who: Who,
    dash: Dash,
    kpi: str = "",
    grain: str = "week",
    compare_to: str = "",
    level: float = 0.95,
) -> dict[str, Any]:
    """Measured effect per linked KPI: before/after with trend and seasonality, or
    difference-in-differences against `compare_to` (another value of the action's dimension)."""
    return service.effect(dash, action_id, kpi, grain, compare_to, level)


# ---------------------------------------------------------------------- experiments
@router.get("/experiments", include_in_schema=False)
def experiments_page(request: Request, who: Who) -> Response:
    return render(request, "experiments.html", {"result": None, "form": {}, "error": ""})


@router.post("/experiments", include_in_schema=False)
async def experiments_form(request: Request, who: Who, dash: Dash) -> Response:
    form = await _form(request)
    try:
        result, error = service.experiment(dash, form), ""
    except service.ActError as exc:
        result, error = None, str(exc)
    context = {"result": result, "form": form, "error": error}
    return render(
        request, "experiments.html", context, 400 if error else 200, partial="_experiment.html"
    )


@router.post("/api/experiments", tags=["act"])
def experiments_json(who: Who, dash: Dash, fields: Fields) -> dict[str, Any]:
    """A/B calculator: {conversions_a, visitors_a, conversions_b, visitors_b, level?, power?,
    mde?, daily_visitors?} → p-value, interval, probability B beats A, sample size, days."""
    return service.experiment(dash, fields)


# ---------------------------------------------------------------------- reports
@router.get("/reports", include_in_schema=False)
def reports_page(request: Request, who: Who, dash: Dash) -> Response:
    return render(request, "reports.html", {"data": service.reports(dash)})


@router.get("/reports/download", tags=["act"])
def report_download(
    who: Who, dash: Dash, lang: Lang, kind: str = "weekly", period: str = "", format: str = "html"
) -> Response:
    """The weekly (month to date) or monthly (month just ended) report of a period as html, pdf
    or xlsx, in the user's language."""
    content, filename, media = service.report_file(dash, period, kind, format, lang)
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/catalog", tags=["act"])
def catalog_download(who: Who, dash: Dash, lang: Lang, format: str = "pdf") -> Response:
    """The KPI definitions document as pdf, xlsx or html."""
    content, filename, media = service.catalog_file(dash, format, lang)
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/api/reports", tags=["act"])
def reports_json(who: Who, dash: Dash) -> dict[str, Any]:
    """Scheduled reports with their last run; the default periods of the downloads."""
    return service.reports(dash)


# ---------------------------------------------------------------------- KPI review
@router.get("/review", include_in_schema=False)
def review_page(
    request: Request, who: Who, dash: Dash, _: Gettext, plan: str = "", period: str = ""
) -> Response:
    try:
        data, error = service.review(dash, plan, period), ""
    except service.ActError as exc:
        data, error = None, str(exc)
    context = {"data": data, "error": error, "period_input": period, **_names(_)}
    return render(request, "review.html", context, partial="_review.html")


@router.post("/review/decision", include_in_schema=False)
async def review_decision_form(request: Request, who: Editor, dash: Dash) -> Response:
    form = await _form(request)
    period = str(form.get("period", ""))
    service.decide_review(
        dash,
        str(form.get("kpi", "")),
        str(form.get("decision", "")),
        str(form.get("note", "")),
        who.user.username,
        str(form.get("plan", "")),
        period,
    )
    return _back(request, "/review" + (f"?period={period}" if period else ""))


@router.get("/api/review", tags=["act"])
def review_json(who: Who, dash: Dash, plan: str = "", period: str = "") -> dict[str, Any]:
    """Per KPI of the applied plan over a quarter: tracking, correlation and lead/lag with the
    KGI, lint findings, the suggestion and the decisions recorded."""
    return service.review(dash, plan, period)


@router.post("/api/review/decisions", tags=["act"], response_model=None)
def review_decide_json(who: Editor, dash: Dash, fields: Fields) -> dict[str, Any] | JSONResponse:
    """Record keep / change / retire for a KPI (editor): {kpi, decision, note?, plan?, period?}."""
    return service.decide_review(
        dash,
        str(fields.get("kpi", "")),
        str(fields.get("decision", "")),
        str(fields.get("note", "")),
        who.user.username,
        str(fields.get("plan", "")),
        str(fields.get("period", "")),
    )
