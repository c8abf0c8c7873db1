"""The report's trend chart: the KGI month by month against its target, with the running month's
landing projection. `trend_figure` describes the chart as data (series, axis ticks, in the
reader's language); `svg_figure` draws that description as static SVG for the PDF (WeasyPrint
draws SVG, no browser or JavaScript needed)."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from kaname.formatting import month_tick, nice_step, value_tick

WORDS = {
    "actual": ("Actual", "実績"),
    "target": ("Target", "目標"),
    "projection": ("Landing projection", "着地見込み"),
}
COLOURS = {"actual": "#1565c0", "target": "#c62828", "projection": "#1565c0"}


def _word(key: str, lang: str) -> str:
    en, ja = WORDS[key]
    return ja if lang == "ja" else en


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def trend_figure(
    points: list[dict[str, Any]], title: str, unit: str, currency: str, lang: str
) -> dict[str, Any]:
    """The chart as data. `points` are months ({start: date, value, target, projection}); the
    figure holds one series per line (actual, target, projection: a value per month, None where
    there is none), the x ticks (2026年1月 where a year starts, else 2月) and the y ticks
    (万円/億円 in Japanese) from 0 to a round top above every value."""
    months = [p["start"] for p in points]
    series: list[dict[str, Any]] = []
    finite: list[float] = []
    for key in ("actual", "target", "projection"):
        field = "value" if key == "actual" else key
        values = [float(p[field]) if _finite(p.get(field)) else None for p in points]
        finite += [v for v in values if v is not None]
        if any(v is not None for v in values):
            series.append({"key": key, "name": _word(key, lang), "values": values})
    high = max([0.0, *finite])
    low = min([0.0, *finite])
    step = nice_step(high - low) if high > low else 1.0
    first = math.floor(low / step) * step
    ticks = [first + i * step for i in range(math.ceil((high - first) / step) + 1)]
    if len(ticks) < 2:
        ticks.append(ticks[0] + step)
    # the year is written where it starts (and at the first month), under the month's name
    years = [i == 0 or m.month == 1 for i, m in enumerate(months)]
    x_ticks = [month_tick(m, lang, with_year=y) for m, y in zip(months, years, strict=True)]
    x_lines = [
        (month_tick(m, lang, with_year=False), f"{m.year}年" if lang == "ja" else str(m.year))
        if y
        else (month_tick(m, lang, with_year=False), "")
        for m, y in zip(months, years, strict=True)
    ]
    return {
        "title": title,
        "months": [m.isoformat() for m in months],
        "series": series,
        "x_ticks": x_ticks,
        "x_lines": x_lines,
        "y_ticks": [{"value": t, "text": value_tick(t, unit, currency, lang)} for t in ticks],
    }


def svg_figure(fig: dict[str, Any], width: int = 660, height: int = 230) -> str:
    """The figure as SVG: y axis with labelled gridlines, x axis with a label per month, the
    actual as a solid line with points, the target as a dashed red line, the landing projection
    as a hollow point joined to the last actual by a dotted line, and a legend."""
    left, right, top, bottom = 64, 12, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(fig["months"]))
    ticks = [t["value"] for t in fig["y_ticks"]]
    low, high = ticks[0], ticks[-1]
    slot = plot_w / n

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / ((high - low) or 1))

    fonts = "IPAPGothic, IPAGothic, DejaVu Sans"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{fonts}" font-size="9">'
    ]
    out.append(
        f'<text x="0" y="12" font-weight="bold" font-size="11">{escape(fig["title"])}</text>'
    )
    for tick in fig["y_ticks"]:
        ty = y(tick["value"])
        out.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
            'stroke="#e0e0e0" stroke-width="0.8"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{ty + 3:.1f}" text-anchor="end" fill="#555">'
            f"{escape(tick['text'])}</text>"
        )
    axis_y = top + plot_h
    out.append(
        f'<line class="x-axis" x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" '
        'stroke="#444"/>'
    )
    out.append(
        f'<line class="y-axis" x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="#444"/>'
    )
    for i, (month, year) in enumerate(fig["x_lines"]):
        out.append(
            f'<text x="{x(i):.1f}" y="{axis_y + 13}" text-anchor="middle" fill="#555">'
            f"{escape(month)}</text>"
        )
        if year:
            out.append(
                f'<text x="{x(i):.1f}" y="{axis_y + 25}" text-anchor="middle" fill="#555">'
                f"{escape(year)}</text>"
            )
    by_key = {s["key"]: s for s in fig["series"]}
    target = by_key.get("target")
    if target:
        # a step per month: the target holds for the whole month
        segments = [
            f"M{x(i) - slot / 2:.1f},{y(v):.1f}H{x(i) + slot / 2:.1f}"
            for i, v in enumerate(target["values"])
            if v is not None
        ]
        out.append(
            f'<path class="target" d="{" ".join(segments)}" fill="none" '
            f'stroke="{COLOURS["target"]}" stroke-width="1.6" stroke-dasharray="5,3"/>'
        )
    actual = by_key.get("actual")
    last: tuple[float, float] | None = None
    if actual:
        coords = [(x(i), y(v)) for i, v in enumerate(actual["values"]) if v is not None]
        if coords:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            out.append(
                f'<polyline class="actual" points="{path}" fill="none" '
                f'stroke="{COLOURS["actual"]}" stroke-width="2"/>'
            )
            out += [
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.2" fill="{COLOURS["actual"]}"/>'
                for cx, cy in coords
            ]
            last = coords[-1]
    projection = by_key.get("projection")
    if projection:
        for i, v in enumerate(projection["values"]):
            if v is None:
                continue
            px, py = x(i), y(v)
            if last:
                out.append(
                    f'<line x1="{last[0]:.1f}" y1="{last[1]:.1f}" x2="{px:.1f}" y2="{py:.1f}" '
                    f'stroke="{COLOURS["projection"]}" stroke-dasharray="2,2"/>'
                )
            out.append(
                f'<circle class="projection" cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="#fff" '
                f'stroke="{COLOURS["projection"]}" stroke-width="1.5"/>'
            )
    # legend, top right
    lx = float(width - right - 8)
    for s in reversed(fig["series"]):
        label = escape(s["name"])
        lx -= 16 + 10 * len(s["name"]) * (1.0 if any(ord(c) > 0x2E80 for c in label) else 0.6)
        ly = 12
        colour = COLOURS[s["key"]]
        if s["key"] == "target":
            mark = (
                f'<line x1="{lx:.1f}" y1="{ly - 3}" x2="{lx + 12:.1f}" y2="{ly - 3}" '
                f'stroke="{colour}" stroke-width="1.6" stroke-dasharray="4,2"/>'
            )
        elif s["key"] == "projection":
            mark = f'<circle cx="{lx + 6:.1f}" cy="{ly - 3}" r="3" fill="#fff" stroke="{colour}"/>'
        else:
            mark = (
                f'<line x1="{lx:.1f}" y1="{ly - 3}" x2="{lx + 12:.1f}" y2="{ly - 3}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        out.append(mark + f'<text x="{lx + 15:.1f}" y="{ly}">{label}</text>')
    out.append("</svg>")
    return "".join(out)
