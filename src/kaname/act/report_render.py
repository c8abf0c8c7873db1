"""Rendering a report's data: its wording in both languages, SVG charts, HTML, PDF (WeasyPrint)
and Excel (openpyxl). `act/reports.py` builds the data; this module only draws it."""

from __future__ import annotations

import io
import math
from html import escape
from typing import Any

from kaname.act.actions import DECISION_NAMES, STATUS_NAMES
from kaname.formatting import format_percent, format_value
from kaname.spreadsheet import neutralise_workbook

FORMATS = ("html", "pdf", "xlsx")


T = {
    "report": ("KPI report", "KPIレポート"),
    "as_of": ("as of", "時点"),
    "headline": ("Headline", "サマリー"),
    "changed": ("What changed", "前期間からの変化"),
    "off_track": ("Off track, and why", "未達のKPIとその理由"),
    "actions": ("Actions running", "実行中の改善アクション"),
    "alerts": ("Open alerts", "未対応のアラート"),
    "executive": ("Executive KPIs", "主要KPI"),
    "funnel": ("Funnel", "ファネル"),
    "channels": ("Channels", "チャネル別"),
    "tactics": ("Tactics (campaigns)", "キャンペーン別"),
    "kpi": ("KPI", "KPI"),
    "actual": ("Actual", "実績"),
    "target": ("Target", "目標"),
    "achievement": ("Achievement", "達成率"),
    "projection": ("Projection", "着地見込み"),
    "status": ("Status", "状態"),
    "nothing_off": ("Every KPI with a target is on track.", "目標のあるKPIはすべて順調です。"),
    "no_actions": (
        "No action is running in this period.",
        "この期間に実行中の改善アクションはありません。",
    ),
    "no_changes": ("No large changes.", "大きな変化はありません。"),
    "vs": ("vs", "比較対象"),
    "to_date": ("to the same business day", "同じ営業日時点まで"),
    "none": ("None.", "なし。"),
    "channel": ("Channel", "チャネル"),
    "campaign": ("Campaign", "キャンペーン"),
    "sheet_executive": ("Executive", "サマリー"),
    "sheet_funnel": ("Funnel", "ファネル"),
    "sheet_channels": ("Channels", "チャネル別"),
    "sheet_tactics": ("Tactics", "キャンペーン別"),
    "sheet_actions": ("Actions", "改善アクション"),
    "action_id": ("id", "番号"),
    "title": ("title", "タイトル"),
    "action_status": ("status", "状況"),
    "kpis": ("kpis", "KPI"),
    "owner": ("owner", "担当"),
    "start": ("start", "開始"),
    "end": ("end", "終了"),
    "expected_lift": ("expected lift", "期待する改善率"),
    "decision": ("decision", "判断"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ja" else pair[0]


def dimension_value(dim: str | None, value: Any, lang: str) -> str:
    """A channel by its name (owned_media reads オウンドメディア・SEO), other values as they are."""
    from kaname.canonical.channels import channel as lookup
    from kaname.metrics.engine import NONE_LABEL

    text = "" if value is None else str(value)
    if text == NONE_LABEL:  # rows without a channel or campaign
        return "（未設定）" if lang == "ja" else "(not set)"
    if dim == "channel":
        try:
            found = lookup(text)
        except KeyError:
            return text
        return found.name_ja if lang == "ja" else found.name_en
    return text


STATUS_TEXT = {
    "on_track": ("on track", "順調"),
    "at_risk": ("at risk", "注意"),
    "off_track": ("off track", "未達"),
    "no_target": ("no target", "目標なし"),
    "no_data": ("no data", "データなし"),
}
STATUS_COLOUR = {
    "on_track": "#2e7d32",
    "at_risk": "#f9a825",
    "off_track": "#c62828",
    "no_target": "#9e9e9e",
    "no_data": "#9e9e9e",
}


def word(key: str, lang: str) -> str:
    en, ja = T[key]
    return ja if lang == "ja" else en


def is_finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def as_float(value: Any) -> float:
    return float(value) if value is not None else math.nan


# ---------------------------------------------------------------------------- SVG charts
def svg_bars(rows: list[tuple[str, float, str]], width: int = 640, title: str = "") -> str:
    """Horizontal bars of achievement (0–150%), coloured by status, with a 100% line."""
    bar_h, left, top = 18, 200, 24 if title else 6
    height = top + bar_h * len(rows) + 20
    scale = (width - left - 50) / 1.5
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="IPAGothic, DejaVu Sans" font-size="11">'
    ]
    if title:
        out.append(f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>')
    for i, (label, value, status) in enumerate(rows):
        y = top + i * bar_h
        w = max(0.0, min(value, 1.5)) * scale if is_finite(value) else 0
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        out.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" '
            f'fill="{STATUS_COLOUR.get(status, "#9e9e9e")}"/>'
        )
        text = format_percent(value) if is_finite(value) else "—"
        out.append(f'<text x="{left + w + 4:.1f}" y="{y + 13}">{text}</text>')
    x100 = left + scale
    out.append(
        f'<line x1="{x100:.1f}" y1="{top}" x2="{x100:.1f}" y2="{height - 16}" '
        'stroke="#333" stroke-dasharray="3,3"/>'
    )
    out.append(f'<text x="{x100:.1f}" y="{height - 4}" text-anchor="middle">100%</text>')
    out.append("</svg>")
    return "".join(out)


def svg_line(
    points: list[dict[str, Any]], width: int = 640, height: int = 180, title: str = ""
) -> str:
    """A monthly line chart of one KPI."""
    values = [p["value"] for p in points if p["value"] is not None]
    top, left, bottom = 24, 50, 24
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="IPAGothic, DejaVu Sans" font-size="10">'
    ]
    if title:
        out.append(f'<text x="0" y="14" font-weight="bold" font-size="11">{escape(title)}</text>')
    if values:
        high = max(values) or 1.0
        step = (width - left - 10) / max(1, len(points) - 1)
        coords = []
        for i, p in enumerate(points):
            if p["value"] is None:
                continue
            x = left + i * step
            y = top + (height - top - bottom) * (1 - p["value"] / high)
            coords.append(f"{x:.1f},{y:.1f}")
            out.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(p['period'][-5:])}</text>"
            )
        out.append(
            f'<polyline fill="none" stroke="#1565c0" stroke-width="2" points="{" ".join(coords)}"/>'
        )
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------- HTML / PDF
CSS = """
body { font-family: 'IPAGothic', 'IPAPGothic', 'Noto Sans CJK JP', 'DejaVu Sans', sans-serif;
       font-size: 10.5pt; color: #222; margin: 0 1em; }
h1 { font-size: 18pt; margin-bottom: 0; } h2 { font-size: 13pt; border-bottom: 1px solid #ccc;
margin-top: 1.4em; } .meta { color: #666; } table { border-collapse: collapse; width: 100%;
font-size: 9pt; } th, td { border-bottom: 1px solid #e0e0e0; padding: 3px 6px; text-align: right; }
th:first-child, td:first-child { text-align: left; } .s { font-weight: bold; }
.headline { font-size: 12pt; background: #f5f5f5; padding: 8px; }
@page { size: A4; margin: 1.5cm; }
"""


def _status(status: str, lang: str) -> str:
    en, ja = STATUS_TEXT.get(status, (status, status))
    return (
        f'<span class="s" style="color:{STATUS_COLOUR.get(status, "#666")}">'
        f"{ja if lang == 'ja' else en}</span>"
    )


def _table(rows: list[dict[str, Any]], data: dict[str, Any], dim: str | None = None) -> str:
    lang = data["language"]
    head = [word(dim, lang)] if dim else [word("kpi", lang)]
    if dim:
        head.append(word("kpi", lang))
    head += [word(k, lang) for k in ("actual", "target", "achievement", "projection", "status")]
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for r in rows:
        unit = data["units"].get(r["kpi"], "count")

        def v(x: Any, unit: str = unit) -> str:
            return format_value(x if x is not None else math.nan, unit, data["currency"], lang)

        cells = [escape(dimension_value(dim, r.get("dimension_value"), lang))] if dim else []
        cells += [
            escape(str(r["name"])),
            v(r["actual"]),
            v(r["target"]),
            format_percent(r["achievement"] if r["achievement"] is not None else math.nan),
            v(r["projection"]),
            _status(str(r["status"]), lang),
        ]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def render_html(data: dict[str, Any]) -> str:
    lang = data["language"]
    bars = [
        (r["name"], r["achievement"], r["status"])
        for r in data["executive"]
        if r["achievement"] is not None
    ]
    period = data.get("period_name") or data["period"]
    heading = f"{escape(data['company'])} — {word('report', lang)} {escape(period)}"
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{heading}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{heading}</h1>",
        f'<p class="meta">{escape(data["as_of"])} {word("as_of", lang)}</p>',
        f'<h2>{word("headline", lang)}</h2><p class="headline">{escape(data["headline"])}</p>',
        svg_bars(bars, title=word("achievement", lang)),
        f"<h2>{word('changed', lang)}</h2>",
        "<ul>"
        + "".join(f"<li>{escape(c['text'])} ({_versus(c, lang)})</li>" for c in data["changes"])
        + "</ul>"
        if data["changes"]
        else f"<p>{word('no_changes', lang)}</p>",
        f"<h2>{word('off_track', lang)}</h2>",
        "<ul>"
        + "".join(
            f"<li>{_status(o['status'], lang)} {escape(o['text'])}"
            + (f"<br>{escape(o['why'])}" if o["why"] else "")
            + "</li>"
            for o in data["off_track"]
        )
        + "</ul>"
        if data["off_track"]
        else f"<p>{word('nothing_off', lang)}</p>",
        f"<h2>{word('actions', lang)}</h2>",
        "<ul>"
        + "".join(
            f"<li><b>{escape(a['title'])}</b> ({escape(_action_status(a['status'], lang))}, "
            f"{escape(_kpi_names(a['kpis'], data, lang))}; {a['start_date']}–{a['end_date'] or ''}"
            f"{'; ' + escape(a['owner']) if a['owner'] else ''})"
            + (f"<br>{escape(a['hypothesis'])}" if a["hypothesis"] else "")
            + "</li>"
            for a in data["actions"]
        )
        + "</ul>"
        if data["actions"]
        else f"<p>{word('no_actions', lang)}</p>",
        f"<h2>{word('alerts', lang)}</h2>",
        "<ul>" + "".join(f"<li>{escape(a['title'])}</li>" for a in data["alerts"]) + "</ul>"
        if data["alerts"]
        else f"<p>{word('none', lang)}</p>",
        f"<h2>{word('executive', lang)}</h2>",
        _table(data["executive"], data),
        svg_line(data["trend"], title=data["executive"][0]["name"] if data["executive"] else ""),
        f"<h2>{word('funnel', lang)}</h2>",
        _table(data["funnel"], data),
        "<p>"
        + " · ".join(
            f"{escape(k)} {format_percent(v) if v is not None else '—'}"
            for k, v in data["funnel_rates"].items()
        )
        + "</p>",
        f"<h2>{word('channels', lang)}</h2>",
        _table(data["channels"], data, "channel"),
        f"<h2>{word('tactics', lang)}</h2>",
        _table(data["tactics"], data, "campaign"),
        "</body></html>",
    ]
    return "".join(parts)


def html_to_pdf(html: str) -> bytes:
    """PDF via WeasyPrint (needs pango; Japanese needs a CJK font such as fonts-ipafont-gothic)."""
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


# ---------------------------------------------------------------------------- Excel
def render_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    lang = data["language"]
    wb = Workbook()
    header_fill = PatternFill("solid", fgColor="1565C0")
    header_font = Font(bold=True, color="FFFFFF")

    def sheet(title: str, head: list[str], rows: list[list[Any]], formats: list[str | None]) -> Any:
        ws_ = wb.create_sheet(title)
        ws_.append(head)
        for cell in ws_[1]:
            cell.fill, cell.font = header_fill, header_font
        for row in rows:
            ws_.append(row)
        for col, fmt in enumerate(formats, start=1):
            for cells in ws_.iter_rows(min_row=2, min_col=col, max_col=col):
                if fmt:
                    cells[0].number_format = fmt
            letter = ws_.cell(row=1, column=col).column_letter
            width = max((len(str(c.value or "")) for c in ws_[letter]), default=8)
            ws_.column_dimensions[letter].width = min(60, max(10, width + 2))
        ws_.freeze_panes = "A2"
        return ws_

    def num_format(unit: str) -> str:
        return {"ratio": "0.0%", "currency": "#,##0", "count": "#,##0"}.get(unit, "#,##0.0")

    kpi_head = [
        word(k, lang) for k in ("kpi", "actual", "target", "achievement", "projection", "status")
    ]

    def kpi_rows(rows: list[dict[str, Any]], dim: str | None = None) -> list[list[Any]]:
        return [
            ([dimension_value(dim, r.get("dimension_value"), lang)] if dim else [])
            + [
                r["name"],
                r["actual"],
                r["target"],
                r["achievement"],
                r["projection"],
                STATUS_TEXT.get(r["status"], (r["status"], r["status"]))[lang == "ja"],
            ]
            for r in rows
        ]

    first = wb.active
    wb.remove(first)
    ex = sheet(
        word("sheet_executive", lang),
        ["", ""],
        [
            [data["company"], f"{word('report', lang)} {data['period']}"],
            [word("as_of", lang), data["as_of"]],
            [word("headline", lang), data["headline"]],
            *[[word("changed", lang), c["text"]] for c in data["changes"]],
            *[
                [word("off_track", lang), o["text"] + (" — " + o["why"] if o["why"] else "")]
                for o in data["off_track"]
            ],
        ],
        [None, None],
    )
    ex.column_dimensions["B"].width = 100
    for row in ex.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    start = ex.max_row + 2
    ex.cell(row=start, column=1, value=word("executive", lang)).font = Font(bold=True)
    for j, h in enumerate(kpi_head, start=1):
        c = ex.cell(row=start + 1, column=j, value=h)
        c.fill, c.font = header_fill, header_font
    for i, (r, values) in enumerate(
        zip(data["executive"], kpi_rows(data["executive"]), strict=True)
    ):
        for j, value in enumerate(values, start=1):
            cell = ex.cell(row=start + 2 + i, column=j, value=value)
            unit = data["units"].get(r["kpi"], "count")
            if j in (2, 3, 5):
                cell.number_format = num_format(unit)
            elif j == 4:
                cell.number_format = "0%"
    sheet(
        word("sheet_funnel", lang),
        kpi_head,
        kpi_rows(data["funnel"]),
        [None, "#,##0", "#,##0", "0%", "#,##0", None],
    )
    sheet(
        word("sheet_channels", lang),
        [word("channel", lang), *kpi_head],
        kpi_rows(data["channels"], dim="channel"),
        [None, None, "#,##0.##", "#,##0.##", "0%", "#,##0.##", None],
    )
    sheet(
        word("sheet_tactics", lang),
        [word("campaign", lang), *kpi_head],
        kpi_rows(data["tactics"], dim="campaign"),
        [None, None, "#,##0.##", "#,##0.##", "0%", "#,##0.##", None],
    )
    sheet(
        word("sheet_actions", lang),
        [
            word(k, lang)
            for k in (
                "action_id",
                "title",
                "action_status",
                "kpis",
                "owner",
                "start",
                "end",
                "expected_lift",
                "decision",
            )
        ],
        [
            [
                a["id"],
                a["title"],
                _action_status(a["status"], lang),
                _kpi_names(a["kpis"], data, lang),
                a["owner"],
                a["start_date"],
                a["end_date"],
                a["expected_lift"],
                pick(DECISION_NAMES[a["decision"]], lang)
                if a["decision"] in DECISION_NAMES
                else a["decision"],
            ]
            for a in data["actions"]
        ],
        [None, None, None, None, None, "yyyy-mm-dd", "yyyy-mm-dd", "0%", None],
    )
    buffer = io.BytesIO()
    neutralise_workbook(wb)
    wb.save(buffer)
    return buffer.getvalue()


def render(data: dict[str, Any], fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        return render_xlsx(data)
    html = render_html(data)
    return html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")


def _action_status(status: str, lang: str) -> str:
    return pick(STATUS_NAMES[status], lang) if status in STATUS_NAMES else status


def _kpi_names(kpis: list[str], data: dict[str, Any], lang: str) -> str:
    names = data.get("names", {})
    return ("、" if lang == "ja" else ", ").join(names.get(k, k) for k in kpis)


def _versus(change: dict[str, Any], lang: str) -> str:
    """Which periods a change compares, e.g. "2026-12 vs 2026-11, to the same business day"."""
    text = f"{change['period']} {word('vs', lang)} {change['previous_period']}"
    if change.get("to_date"):
        text += f", {word('to_date', lang)}" if lang == "en" else f"・{word('to_date', lang)}"
    return escape(text)
