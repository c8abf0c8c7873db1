"""Plotly figures built in Python; pages embed their JSON and the vendored plotly.js draws them."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from kaname.formatting import nice_step, yen_tick
from kaname.web.display import format_value, period_name
from kaname.web.i18n import Translator

STATUS_COLOURS = {
    "on_track": "#1a7f37",
    "at_risk": "#bf8700",
    "off_track": "#cf222e",
    "no_target": "#6e7781",
    "no_data": "#afb8c1",
}
PALETTE = ["#0969da", "#8250df", "#1a7f37", "#bf8700", "#cf222e", "#57606a", "#1b7c83", "#953800"]


def _layout(
    fig: go.Figure, title: str, y_title: str = "", height: int = 320, legend_y: float = -0.18
) -> str:
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
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eaeef2", rangemode="tozero")
    return str(fig.to_json())


def money_axis(fig: go.Figure, values: list[float | None], currency: str, language: str) -> None:
    """Y ticks of a money chart as people read money: 万円/億円 in Japanese, ¥12,000 in English."""
    if currency != "JPY" or language != "ja":
        symbol = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
        fig.update_yaxes(tickprefix=symbol, tickformat=",.0f" if currency == "JPY" else ",.2~f")
        return
    finite = [v for v in values if v is not None and math.isfinite(v)]
    low, high = min([0.0, *finite]), max([0.0, *finite])
    if high - low <= 0:
        return
    step = nice_step(high - low)
    first = math.floor(low / step) * step
    ticks = [first + i * step for i in range(math.ceil((high - first) / step) + 1)]
    # the axis ends on a tick, so the top of the tallest bar reads against a labelled line
    fig.update_yaxes(
        tickvals=ticks, ticktext=[yen_tick(t) for t in ticks], range=[ticks[0], ticks[-1]]
    )


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
    return _layout(fig, title, height=360)


def bars(
    labels: list[str],
    values: list[float | None],
    title: str,
    y_title: str,
    money: tuple[str, str] | None = None,
) -> str:
    """Bars; with `money` = (currency, language), money ticks (万円/億円 in Japanese)."""
    fig = go.Figure(go.Bar(x=labels, y=[v or 0 for v in values], marker_color=PALETTE[0]))
    if money:
        money_axis(fig, values, *money)
    return _layout(fig, title, y_title)


def heatmap(rows: list[str], cols: list[str], z: list[list[float | None]], title: str) -> str:
    fig = go.Figure(go.Heatmap(x=cols, y=rows, z=z, colorscale="Blues", hoverongaps=False))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=420)
