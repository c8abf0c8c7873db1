"""Plotly figures built in Python; pages embed their JSON and the vendored plotly.js draws them."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from kaname.formatting import nice_step, yen_tick
from kaname.web.display import format_money, format_value, period_name
from kaname.web.i18n import Translator

STATUS_COLOURS = {
    "on_track": "#1a7f37",
    "at_risk": "#bf8700",
    "off_track": "#cf222e",
    "no_target": "#6e7781",
    "no_data": "#afb8c1",
}
PALETTE = ["#0969da", "#8250df", "#1a7f37", "#bf8700", "#cf222e", "#57606a", "#1b7c83", "#953800"]
# One colour per attribution model, the same on every chart whichever models are compared, and
# no two alike (the eight-colour palette gave the ninth model the first one's blue).
MODEL_COLOURS = {
    "first_touch": "#0969da",
    "last_touch": "#8250df",
    "lead_creation": "#8c959f",
    "linear": "#1a7f37",
    "time_decay": "#bf8700",
    "u_shaped": "#cf222e",
    "w_shaped": "#424a53",
    "full_path": "#1b7c83",
    "j_shaped": "#e16f24",
    "inverse_j": "#bf3989",
    "markov": "#953800",
    "markov_2": "#54aeff",
    "markov_3": "#4ac26b",
    "shapley": "#0a3069",
}


def model_colour(model: str) -> str:
    """The colour of an attribution model on charts (a grey for a model not listed)."""
    return MODEL_COLOURS.get(model, "#6e7781")


def _style(
    fig: go.Figure, title: str, y_title: str = "", height: int = 320, legend_y: float = -0.18
) -> go.Figure:
    """The house style of every chart (in place): title, height, fonts, grid on the value axis."""
    fig.update_layout(
        template="none",
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=height,
        margin={"l": 56, "r": 16, "t": 48, "b": 40},
        yaxis_title=y_title,
        legend={"orientation": "h", "y": legend_y},
        hovermode="x unified",
        font={"family": "system-ui, 'Hiragino Sans', 'Noto Sans JP', sans-serif", "size": 12},
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
    )
    # tick labels get the margin they need (never cut at the edge) and keep clear of each other
    # where the axes meet
    fig.update_xaxes(showgrid=False, automargin=True)
    fig.update_yaxes(gridcolor="#eaeef2", rangemode="tozero", automargin=True, ticklabelstandoff=6)
    return fig


def _layout(
    fig: go.Figure, title: str, y_title: str = "", height: int = 320, legend_y: float = -0.18
) -> str:
    return str(_style(fig, title, y_title, height, legend_y).to_json())


def money_axis(
    fig: go.Figure, values: list[float | None], currency: str, language: str, axis: str = "y"
) -> None:
    """Ticks of a money axis (`axis` y, or x for horizontal bars) as people read money:
    万円/億円 in Japanese, ¥12,000 in English."""
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not any(finite):  # nothing but 0: one labelled 0, never "¥0 ¥1 ¥1" or 0.2 steps of yen
        zero = (
            yen_tick(0)
            if currency == "JPY" and language == "ja"
            else format_money(0, currency, language)
        )
        update(tickvals=[0], ticktext=[zero], range=[0, 1])
        return
    if currency != "JPY" or language != "ja":
        symbol = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
        update(tickprefix=symbol, tickformat=",.0f" if currency == "JPY" else ",.2~f")
        return
    low, high = min([0.0, *finite]), max([0.0, *finite])
    if high - low <= 0:
        return
    step = nice_step(high - low)
    first = math.floor(low / step) * step
    ticks = [first + i * step for i in range(math.ceil((high - first) / step) + 1)]
    # the axis ends on a tick, so the top of the tallest bar reads against a labelled line
    update(tickvals=ticks, ticktext=[yen_tick(t) for t in ticks], range=[ticks[0], ticks[-1]])


def date_axis(fig: go.Figure, language: str) -> None:
    """Dates on the x axis as 2026年1月 / 1月5日 in Japanese (Plotly's own reads "Jan 2026")."""
    if language != "ja":
        return
    fig.update_xaxes(
        tickformatstops=[
            {"dtickrange": [None, 86400000 * 27], "value": "%-m月%-d日"},
            {"dtickrange": [86400000 * 27, "M11"], "value": "%Y年%-m月"},
            {"dtickrange": ["M12", None], "value": "%Y年"},
        ],
        hoverformat="%Y年%-m月%-d日",
    )


def unit_title(unit: str, currency: str, _: Translator) -> str:
    return {
        "currency": "" if currency == "JPY" else currency,  # the ticks read ¥ / 万円
        "ratio": "%",
        "count": _("count"),
        "days": _("days"),
        "multiple": "×",
    }.get(unit, "")


def grain_name(grain: str, _: Translator) -> str:
    return {
        "day": _("daily"),
        "week": _("weekly"),
        "month": _("monthly"),
        "quarter": _("quarterly"),
        "half": _("half-yearly"),
        "year": _("yearly"),
    }.get(grain, grain)


GAUGE_RANGE = 150.0
"""The gauge's scale in percent; it widens in steps of 50 for a larger achievement."""


def gauge(achievement: float | None, status: str, title: str) -> str:
    """The achievement gauge: the needle and the number show the same achievement as the card's
    label (the scale widens past 150% rather than pinning the needle); no target, no gauge ("")."""
    if achievement is None or not math.isfinite(achievement):
        return ""
    value = achievement * 100
    top = max(GAUGE_RANGE, math.ceil(value / 50) * 50)
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=value,
            number={"suffix": "%", "valueformat": ".0f"},
            gauge={
                "axis": {"range": [0, top]},
                "bar": {"color": STATUS_COLOURS.get(status, "#6e7781")},
                "threshold": {"line": {"color": "#24292f", "width": 2}, "value": 100},
            },
        )
    )
    fig.update_layout(template="none", height=150, margin={"l": 28, "r": 28, "t": 12, "b": 4})
    return str(fig.to_json())


def trend(
    data: dict[str, Any], currency: str, language: str, _: Translator, fy_start_month: int = 4
) -> str:
    points = data["points"]

    def name(label: str) -> str:  # 2026年1月, 2026年度 第14週 (not "Jan 2026", "FY2026-W14")
        return period_name(label, language, fy_start_month)

    x = [name(p["period"]) for p in points]
    scale = 100.0 if data["unit"] == "ratio" else 1.0

    def ys(key: str) -> list[float | None]:
        return [None if p[key] is None else p[key] * scale for p in points]

    def text(key: str) -> list[str]:
        return [format_value(p[key], data["unit"], currency, language) for p in points]

    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=ys("actual"),
        name=_("Actual"),
        marker_color=PALETTE[0],
        hovertext=text("actual"),
        hoverinfo="text+name",
    )
    fig.add_scatter(
        x=x,
        y=ys("target"),
        name=_("Target"),
        mode="lines+markers",
        line={"color": "#24292f", "dash": "dash"},
        hovertext=text("target"),
        hoverinfo="text+name",
    )
    fig.add_scatter(
        x=x,
        y=ys("previous_year"),
        name=_("Previous year"),
        mode="lines",
        line={"color": "#8c959f"},
        hovertext=text("previous_year"),
        hoverinfo="text+name",
    )
    band = data.get("forecast")
    if band:
        fx = [name(b["period"]) for b in band]
        fig.add_scatter(
            x=fx,
            y=[b["upper"] * scale for b in band],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=fx,
            y=[b["lower"] * scale for b in band],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(130,80,223,0.15)",
            name=_("Forecast interval"),
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=fx,
            y=[b["mean"] * scale for b in band],
            mode="lines",
            line={"color": PALETTE[1]},
            name=_("Forecast"),
        )
    periods = set(x)
    for note in data.get("annotations", []):
        label = name(str(note.get("period")))
        if label in periods:
            fig.add_annotation(
                x=label,
                y=1,
                yref="paper",
                text=note["text"][:30],
                showarrow=True,
                arrowhead=2,
                ax=0,
                ay=-24,
                font={"size": 10},
            )
    y_title = "%" if data["unit"] == "ratio" else unit_title(data["unit"], currency, _)
    # Period names (2026年1月) are longer than Plotly's dates: let the margin grow for them
    # when they slant, and keep the legend below them.
    fig.update_xaxes(type="category", automargin=True, tickangle=-40 if len(x) > 6 else 0)
    if data["unit"] == "currency":
        values = [*ys("actual"), *ys("target"), *ys("previous_year")]
        values += [b[k] for b in band or [] for k in ("upper", "lower", "mean")]
        money_axis(fig, values, currency, language)
    title = f"{data['name']} — {grain_name(data['grain'], _)}"
    slanted = len(x) > 6
    return _layout(fig, title, y_title, 360 if slanted else 320, -0.4 if slanted else -0.18)


def funnel(stages: list[dict[str, Any]], title: str) -> str:
    """Stages as a funnel; web sessions are left out of the drawing when they dwarf the rest
    (the table below still shows them). Each bar reads its count and the conversion from the
    stage above as the page computes it: none where the stage above is 0 (never "Infinity%")."""
    if len(stages) > 2 and (stages[0]["value"] or 0) > 20 * (stages[1]["value"] or 0):
        stages = stages[1:]
    text = []
    for i, s in enumerate(stages):
        count = f"{s['value'] or 0:,.0f}"
        conversion = s.get("conversion")
        text.append(f"{count} ({conversion:.0%})" if i and conversion is not None else count)
    fig = go.Figure(
        go.Funnel(
            y=[s["name"] for s in stages],
            x=[s["value"] or 0 for s in stages],
            text=text,
            textinfo="text",
            marker={"color": PALETTE[: len(stages)]},
        )
    )
    fig.update_yaxes(automargin=True)  # stage names in full ("リード獲得数", not "ード獲得数")
    return _layout(fig, title, height=360)


def bars(
    labels: list[str],
    values: list[float | None],
    title: str,
    y_title: str,
    money: tuple[str, str] | None = None,
) -> str:
    """Horizontal bars, the first label on top: names read in full on their own line at any
    width (upright names under columns overlap or get cut on a phone). With `money` =
    (currency, language), money ticks (万円/億円 in Japanese)."""
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=[v or 0 for v in values],
            orientation="h",
            marker_color=PALETTE[0],
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    if money:
        money_axis(fig, values, *money, axis="x")
    _style(fig, title, height=max(240, 26 * len(labels) + 110))
    fig.update_yaxes(autorange="reversed", automargin=True, type="category", showgrid=False)
    fig.update_xaxes(title_text=y_title, rangemode="tozero", showgrid=True, gridcolor="#eaeef2")
    fig.update_layout(hovermode="closest", bargap=0.3)
    return str(fig.to_json())


def heatmap(
    rows: list[str], cols: list[str], z: list[list[float | None]], title: str, x_title: str = ""
) -> str:
    """A cohort × months-since heatmap that reads its numbers in the cells (one decimal when
    every value is below 10). Rows are categories named as people say them (2025年1月), never
    a date axis; the row labels get the margin they need. Each row is at least 18 px tall;
    static/app.js drops the cell numbers where the cells are too narrow for them (phones)."""
    values = [v for row in z for v in row if v is not None]
    decimals = 1 if values and max(abs(v) for v in values) < 10 else 0
    fig = go.Figure(
        go.Heatmap(
            x=cols,
            y=rows,
            z=z,
            colorscale="Blues",
            hoverongaps=False,
            texttemplate=f"%{{z:.{decimals}f}}",
            textfont={"size": 10},
            hovertemplate="%{y} · %{x}: %{z:.1f}<extra></extra>",
            colorbar={"thickness": 12},
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", automargin=True, showgrid=False)
    fig.update_xaxes(type="category", title_text=x_title, side="top", automargin=True)
    _style(fig, title, height=max(320, 18 * len(rows) + 150))
    # the months run along the top, under the title: the title keeps its own band above them
    fig.update_layout(
        title={"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 10}},
        margin={"t": 96},
    )
    return str(fig.to_json())


def chart_words(_: Translator) -> dict[str, str]:
    """Plotly's own words (the modebar's tooltips, zoom hints, the PNG download) in the page's
    language: registered in the browser as a Plotly locale dictionary (static/app.js). The
    plotly package ships no Japanese locale, so the words live in the Babel catalogs."""
    save = _("Save the chart as PNG")
    return {
        "Download plot as a PNG": save,
        "Download plot": save,
        "Taking snapshot - this may take a few seconds": _("Saving the chart as an image…"),
        "Sorry, there was a problem downloading your image!": _(
            "The chart could not be saved as an image."
        ),
        "Snapshot succeeded": _("The chart was saved as an image."),
        "Zoom": _("Zoom"),
        "Pan": _("Pan"),
        "Box Select": _("Box select"),
        "Lasso Select": _("Lasso select"),
        "Zoom in": _("Zoom in"),
        "Zoom out": _("Zoom out"),
        "Autoscale": _("Autoscale"),
        "Reset axes": _("Reset axes"),
        "Reset view": _("Reset view"),
        "Reset views": _("Reset view"),
        "Reset": _("Reset"),
        "Toggle Spike Lines": _("Show or hide spike lines"),
        "Show closest data on hover": _("Show the closest data on hover"),
        "Toggle show closest data on hover": _("Show the closest data on hover"),
        "Compare data on hover": _("Compare data on hover"),
        "Double-click to zoom back out": _("Double-click to zoom back out"),
        "Double-click on legend to isolate one trace": _(
            "Double-click a legend entry to show only that series"
        ),
        "Click to enter Plot title": _("Click to enter a title"),
    }
