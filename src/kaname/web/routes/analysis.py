"""Analyse pages (issue 6) and their JSON twins: attribution models side by side, cohort
heatmaps, customers (RFM segments and movement, lifetime value), KPI forecasts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kaname.analytics.service import DEFAULT_COMPARE
from kaname.dashboard import Dashboard, FilterError
from kaname.dashboard import analysis as an
from kaname.web import charts
from kaname.web.deps import dashboard, gettext, language, viewer
from kaname.web.display import period_name
from kaname.web.i18n import Translator
from kaname.web.render import channel_label, render
from kaname.web.security import Caller

router = APIRouter()

Who = Annotated[Caller, Depends(viewer)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]
Models = Annotated[list[str], Query(description="attribution models; repeat the parameter")]


def model_names(_: Translator) -> dict[str, str]:
    """Attribution model names in the user's language (the JSON keeps the English labels)."""
    return {
        "first_touch": _("First touch"),
        "last_touch": _("Last touch"),
        "lead_creation": _("Lead creation"),
        "linear": _("Linear"),
        "time_decay": _("Time decay"),
        "u_shaped": _("U-shaped (40/20/40)"),
        "w_shaped": _("W-shaped (30/30/30/10)"),
        "full_path": _("Full path (22.5×4/10)"),
        "j_shaped": _("J-shaped (20/20/60)"),
        "inverse_j": _("Inverse J (60/20/20)"),
        "markov": _("Markov chain (order {order})", order=1),
        "markov_2": _("Markov chain (order {order})", order=2),
        "markov_3": _("Markov chain (order {order})", order=3),
        "shapley": _("Shapley value"),
    }


def segment_names(_: Translator) -> dict[str, str]:
    return {
        "loyal": _("Loyal"),
        "growing": _("Growing"),
        "new_high_value": _("New high-value"),
        "dormant": _("Dormant"),
        "other": _("Other"),
        "new": _("New"),
        "lost": _("Lost"),
        "champions": _("Champions"),
        "loyal_customers": _("Loyal customers"),
        "potential_loyalists": _("Potential loyalists"),
        "new_customers": _("New customers"),
        "promising": _("Promising"),
        "need_attention": _("Need attention"),
        "about_to_sleep": _("About to sleep"),
        "at_risk": _("At risk"),
        "cannot_lose": _("Cannot lose them"),
        "hibernating": _("Hibernating"),
    }


def stage_names(_: Translator) -> dict[str, str]:
    return {"mql": _("MQL"), "sql": _("SQL"), "opportunity": _("Opportunity"), "deal": _("Deal")}


def _page(request: Request, template: str, data: dict[str, Any], **extra: Any) -> Response:
    return render(request, template, {"data": data, **extra}, partial="_" + template)


# ---------------------------------------------------------------------- attribution
def grouped_bars(
    data: dict[str, Any], measure: str, names: dict[str, str], lang: str, title: str
) -> str:
    """Each model's credit per channel as horizontal grouped bars, one colour per model: the
    channel names read in full on their own line at any width (upright under columns they
    overlap on a phone), the legend below."""
    channels = data["channels"]
    labels = [channel_label(c, lang) for c in channels]
    fig = go.Figure()
    for m in data["models"]:
        credit = data["credit"].get(m["model"], {})
        fig.add_bar(
            y=labels,
            x=[(credit.get(c) or {}).get(measure) or 0 for c in channels],
            orientation="h",
            name=names.get(m["model"], m["label"]),
            marker_color=charts.model_colour(m["model"]),
        )
    per_channel = 6 * max(len(data["models"]), 1) + 14
    height = max(380, per_channel * len(channels) + 160)
    charts._style(fig, title, height=height)
    fig.update_yaxes(autorange="reversed", type="category", showgrid=False)
    fig.update_xaxes(showgrid=True, gridcolor="#eaeef2", rangemode="tozero")
    fig.update_layout(
        barmode="group",
        bargap=0.25,
        hovermode="closest",
        # the legend under the channel axis, clear of its tick labels (about 40 px of the plot)
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -44 / (height - 88),
            "yanchor": "top",
        },
    )
    return str(fig.to_json())


@router.get("/attribution", include_in_schema=False)
def attribution(
    request: Request,
    who: Who,
    dash: Dash,
    lang: Lang,
    _: Gettext,
    model: Models = [],  # noqa: B006 - FastAPI query lists
    level: str = "lead",
    period: str = "",
    conversion: str = "deal",
    measure: str = "conversions",
) -> Response:
    data = an.attribution(dash, model or DEFAULT_COMPARE, level, period, conversion)
    measure = measure if measure in ("conversions", "value") else "conversions"
    names = model_names(_)
    title = (
        _("Deals credited to each channel, by model")
        if measure == "conversions"
        else _("Revenue credited to each channel, by model")
    )
    fig = grouped_bars(data, measure, names, lang, title) if data["rows"] else ""
    return _page(
        request,
        "attribution.html",
        data,
        fig=fig,
        names=names,
        measure=measure,
        all_models=an.MODELS,
        chosen=[m["model"] for m in data["models"]],
        period_input=period,
    )


@router.get("/api/attribution", tags=["analyse"])
def attribution_json(
    who: Who,
    dash: Dash,
    model: Models = [],  # noqa: B006
    level: str = "lead",
    period: str = "",
    conversion: str = "deal",
) -> dict[str, Any]:
    """Attribution models side by side (lead or account level, deals or opportunities as the
    conversion, journeys ending in `period`, all time when empty): credit per model × channel
    (conversions, value, share) named by model label; totals equal total conversions and value."""
    return an.attribution(dash, model or DEFAULT_COMPARE, level, period, conversion)


# ---------------------------------------------------------------------- cohorts
def _heat(matrix: dict[str, Any], title: str, lang: str, fy_start: int, _: Translator) -> str:
    z = [[None if v is None else round(v * 100, 1) for v in row] for row in matrix["z"]]
    rows = [period_name(r, lang, fy_start) for r in matrix["rows"]]
    return charts.heatmap(rows, [str(c) for c in matrix["cols"]], z, title, _("Months since"))


@router.get("/cohorts", include_in_schema=False)
def cohorts(
    request: Request,
    who: Who,
    dash: Dash,
    lang: Lang,
    _: Gettext,
    stage: str = "sql",
    months: int = 12,
    customer_months: int = 24,
) -> Response:
    data = an.cohorts(dash, months, customer_months)
    stages = stage_names(_)
    stage = stage if stage in stages else "sql"
    lead = data["lead"]["stages"][stage]
    customer = data["customer"]
    fy = request.app.state.ws.config.fiscal_year_start_month
    figs = {
        "lead": _heat(
            lead,
            _("Leads reaching {stage} within N months of creation (%)", stage=stages[stage]),
            lang,
            fy,
            _,
        )
        if lead["rows"]
        else "",
        "logo": _heat(
            customer["logo_retention"], _("Logo retention by start month (%)"), lang, fy, _
        )
        if customer["logo_retention"]["rows"]
        else "",
        "revenue": _heat(
            customer["revenue_retention"], _("Revenue retention by start month (%)"), lang, fy, _
        )
        if customer["revenue_retention"]["rows"]
        else "",
    }
    return _page(
        request, "cohorts.html", data, figs=figs, stage=stage, stages=stages, months=months
    )


@router.get("/api/cohorts", tags=["analyse"])
def cohorts_json(
    who: Who, dash: Dash, months: int = 12, customer_months: int = 24
) -> dict[str, Any]:
    """Lead cohorts by creation month (share reaching MQL, SQL, opportunity, deal after N
    months) and customer cohorts by start month (logo and revenue retention) as matrices:
    rows (cohorts), cols (months since), z (rates, null where not yet observed)."""
    return an.cohorts(dash, months, customer_months)


# ---------------------------------------------------------------------- customers
def before_date(value: str) -> dt.date | None:
    """The customers page's `before=` date (empty: none); a clear error when it is no date."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise FilterError("before must be a date like 2026-05-01") from exc


def survival_chart(sbg: dict[str, Any], _: Translator) -> str:
    curve = sbg["survival"]
    fig = go.Figure(
        go.Scatter(
            x=list(range(len(curve))),
            y=[round(v * 100, 1) for v in curve],
            mode="lines",
            line={"color": charts.PALETTE[1]},
            name=_("Customers still subscribed"),
        )
    )
    fig.update_xaxes(title=_("Months since start"))
    return charts._layout(fig, _("Projected survival (shifted-beta-geometric fit)"), "%")


@router.get("/customers", include_in_schema=False)
def customers(
    request: Request,
    who: Who,
    dash: Dash,
    _: Gettext,
    before: str = "",
    q: int = 5,
    by: str = "segment",
    period: str = "",
) -> Response:
    data = an.customers(dash, before_date(before), q, by, period)
    sbg = data["ltv"].get("sbg")
    fig = survival_chart(sbg, _) if sbg else ""
    return _page(
        request,
        "customers.html",
        data,
        fig=fig,
        segments=segment_names(_),
        period_input=period,
    )


@router.get("/api/customers", tags=["analyse"])
def customers_json(
    who: Who, dash: Dash, before: str = "", q: int = 5, by: str = "segment", period: str = ""
) -> dict[str, Any]:
    """RFM segments (seeds' segments or the usual RFM grid with `by=rfm_segment`) with sizes
    and KPIs, movement since `before` (default six months ago), the seeds' LTV and LTV:CAC for
    `period` (default the last complete quarter) and the sBG retention fit with survival."""
    return an.customers(dash, before_date(before), q, by, period)


# ---------------------------------------------------------------------- forecast
@router.get("/api/forecast", tags=["analyse"])
def forecast_json(
    who: Who,
    dash: Dash,
    kpi: str = "revenue",
    horizon: int = 6,
    grain: str = "month",
    level: float = 0.8,
) -> dict[str, Any]:
    """ETS (Holt-Winters) forecast of a KPI after its last complete period, seasonal on the
    fiscal calendar: period, mean, lower and upper bounds of the `level` prediction interval."""
    return an.forecast(dash, kpi, horizon, grain, level)
