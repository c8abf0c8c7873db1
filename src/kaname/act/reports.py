"""Weekly and monthly reports as a person would write them — headline, what changed, what is off
track and why, what actions are running — in HTML, PDF (WeasyPrint, charts as inline SVG) and
Excel (openpyxl: executive, funnel, channels, tactics, actions sheets). Also the KPI definitions
document (the catalog) as HTML, PDF and Excel."""

from __future__ import annotations

import datetime as dt
import io
import math
from html import escape
from typing import TYPE_CHECKING, Any

from kaname.clock import utcnow
from kaname.formatting import format_percent, format_value
from kaname.spreadsheet import neutralise

if TYPE_CHECKING:
    from kaname.act.schedule import ReportSchedule
    from kaname.metrics.calendar import Period
    from kaname.workspace import Workspace

EXECUTIVE_KPIS = (
    "revenue",
    "deals",
    "opportunities",
    "sqls",
    "mqls",
    "leads",
    "cac",
    "cpa",
    "sql_rate",
    "opportunity_rate",
    "win_rate",
    "average_deal_size",
    "nrr",
    "logo_churn_rate",
)
CHANNEL_KPIS = ("leads", "mqls", "sqls", "deals", "revenue", "cpa", "cac")
TACTIC_KPIS = ("leads", "mqls", "deals", "cpa")
FUNNEL = ("leads", "mqls", "sqls", "opportunities", "deals", "revenue")
FORMATS = ("html", "pdf", "xlsx")
MIME = {
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

T = {
    "report": ("KPI report", "KPIレポート"),
    "as_of": ("as of", "時点"),
    "headline": ("Headline", "サマリー"),
    "changed": ("What changed", "前期間からの変化"),
    "off_track": ("Off track, and why", "未達のKPIとその理由"),
    "actions": ("Actions running", "実行中の施策"),
    "alerts": ("Open alerts", "未対応のアラート"),
    "executive": ("Executive KPIs", "主要KPI"),
    "funnel": ("Funnel", "ファネル"),
    "channels": ("Channels", "チャネル別"),
    "tactics": ("Tactics (campaigns)", "施策(キャンペーン)別"),
    "kpi": ("KPI", "KPI"),
    "actual": ("Actual", "実績"),
    "target": ("Target", "目標"),
    "achievement": ("Achievement", "達成率"),
    "projection": ("Projection", "着地見込み"),
    "status": ("Status", "状態"),
    "nothing_off": ("Every KPI with a target is on track.", "目標のあるKPIはすべて順調です。"),
    "no_actions": ("No action is running in this period.", "この期間に実行中の施策はありません。"),
    "no_changes": ("No large changes.", "大きな変化はありません。"),
    "none": ("None.", "なし。"),
}
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


def _t(key: str, lang: str) -> str:
    en, ja = T[key]
    return ja if lang == "ja" else en


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _nan(value: Any) -> float:
    return float(value) if value is not None else math.nan


def _records(frame: Any) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        )
    return out


def build_report(ws: Workspace, period: Period, language: str) -> dict[str, Any]:
    """The report's content as plain data (what every renderer shows)."""
    from kaname.act import actions, alerts
    from kaname.act.rules import explain_gap
    from kaname.metrics.calendar import period_of

    catalog = ws.catalog
    execs = [k for k in EXECUTIVE_KPIS if k in catalog]
    report = ws.kpi_report(execs, period, language=language)
    executive = _records(report)
    currency = ws.config.currency

    def fmt(kpi: str, value: Any) -> str:
        return format_value(
            value if value is not None else math.nan, catalog.get(kpi).unit, currency, language
        )

    # what changed: the last complete period of the same grain vs the one before
    complete = period_of(ws.today(), period.grain, ws.config.fiscal_year_start_month)
    if complete.start <= period.start:
        complete = complete.previous()
    last = ws.kpi_report(execs, complete, language=language).set_index("kpi")["actual"]
    before = ws.kpi_report(execs, complete.previous(), language=language).set_index("kpi")["actual"]
    changes: list[dict[str, Any]] = []
    for kpi in execs:
        a, b = float(last.get(kpi, math.nan)), float(before.get(kpi, math.nan))
        if not (_finite(a) and _finite(b)) or b == 0:
            continue
        change = a / b - 1
        good = (change > 0) == (catalog.get(kpi).direction == "higher")
        changes.append(
            {
                "kpi": kpi,
                "name": catalog.get(kpi).name(language),
                "period": complete.label,
                "previous_period": complete.previous().label,
                "value": a,
                "previous": b,
                "change": change,
                "good": good,
                "text": f"{catalog.get(kpi).name(language)}: {fmt(kpi, b)} → {fmt(kpi, a)} "
                f"({change:+.0%})",
            }
        )
    changes.sort(key=lambda c: -abs(float(c["change"])))
    changes = [c for c in changes if abs(float(c["change"])) >= 0.05][:6]

    off = []
    for row in executive:
        if row["status"] not in ("off_track", "at_risk"):
            continue
        why = explain_gap(ws, row["kpi"], period)
        off.append(
            {
                **row,
                "why": why["summary"][language if language in ("en", "ja") else "en"]
                if why
                else "",
                "text": f"{row['name']}: {fmt(row['kpi'], row['projection'])} "
                f"{'見込み' if language == 'ja' else 'projected'} / "
                f"{'目標' if language == 'ja' else 'target'} {fmt(row['kpi'], row['target'])} "
                f"({format_percent(_nan(row['achievement']))} "
                f"{'達成' if language == 'ja' else 'achieved'})",
            }
        )
    counts = {s: sum(r["status"] == s for r in executive) for s in STATUS_TEXT}
    running = [
        a
        for a in actions.list_actions(ws)
        if a["start_date"] < period.end and (a["end_date"] is None or a["end_date"] >= period.start)
    ]
    open_alerts = alerts.list_alerts(ws, status="live", limit=20)
    headline = _headline(executive, counts, period, language, fmt)

    funnel = _records(ws.kpi_report([k for k in FUNNEL if k in catalog], period, language=language))
    rates = {}
    for upper, lower in zip(FUNNEL[1:5], FUNNEL[:4], strict=True):
        u = next((r["actual"] for r in funnel if r["kpi"] == upper), None)
        lo = next((r["actual"] for r in funnel if r["kpi"] == lower), None)
        rates[f"{lower}→{upper}"] = u / lo if _finite(u) and _finite(lo) and lo else None
    channels = _records(ws.kpi_report(list(CHANNEL_KPIS), period, "channel", language=language))
    tactics = _records(ws.kpi_report(list(TACTIC_KPIS), period, "campaign", language=language))
    trend = _trend(ws, execs[0], period)
    return {
        "company": ws.config.name,
        "language": language,
        "currency": currency,
        "period": period.label,
        "grain": str(period.grain),
        "as_of": ws.today().isoformat(),
        "generated_at": utcnow().isoformat(timespec="minutes"),
        "headline": headline,
        "status_counts": counts,
        "changes": changes,
        "off_track": off,
        "actions": running,
        "alerts": open_alerts,
        "executive": executive,
        "funnel": funnel,
        "funnel_rates": rates,
        "channels": channels,
        "tactics": tactics,
        "trend": trend,
        "units": {k.id: k.unit for k in catalog},
    }


def _headline(
    executive: list[dict[str, Any]],
    counts: dict[str, int],
    period: Period,
    language: str,
    fmt: Any,
) -> str:
    kgi = executive[0] if executive else None
    parts = []
    if kgi and kgi["target"] is not None:
        if language == "ja":
            parts.append(
                f"{period.label}の{kgi['name']}は{fmt(kgi['kpi'], kgi['actual'])}、"
                f"着地見込み{fmt(kgi['kpi'], kgi['projection'])}"
                f"(目標{fmt(kgi['kpi'], kgi['target'])}、"
                f"{STATUS_TEXT[kgi['status']][1]})。"
            )
        else:
            parts.append(
                f"{kgi['name']} for {period.label} is {fmt(kgi['kpi'], kgi['actual'])}, heading "
                f"for {fmt(kgi['kpi'], kgi['projection'])} against a target of "
                f"{fmt(kgi['kpi'], kgi['target'])} ({STATUS_TEXT[kgi['status']][0]})."
            )
    if language == "ja":
        parts.append(
            f"目標のあるKPIのうち順調{counts['on_track']}、注意{counts['at_risk']}、"
            f"未達{counts['off_track']}。"
        )
    else:
        parts.append(
            f"Of the KPIs with a target, {counts['on_track']} are on track, "
            f"{counts['at_risk']} at risk and {counts['off_track']} off track."
        )
    return " ".join(parts)


def _trend(ws: Workspace, kpi: str, period: Period) -> list[dict[str, Any]]:
    """The KGI's last 12 months (for the chart)."""
    from kaname.metrics.calendar import Grain, period_of
    from kaname.metrics.engine import MetricQuery

    last = period_of(period.start, Grain.MONTH, ws.config.fiscal_year_start_month)
    first = last.start.replace(year=last.start.year - 1)
    frame = ws.engine().compute(
        MetricQuery((kpi,), Grain.MONTH, first, last.start, as_of=ws.today())
    )
    return [
        {"period": str(p), "value": None if v != v else float(v)}
        for p, v in zip(frame["period"], frame["value"], strict=True)
    ][-12:]


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
        w = max(0.0, min(value, 1.5)) * scale if _finite(value) else 0
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        out.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" '
            f'fill="{STATUS_COLOUR.get(status, "#9e9e9e")}"/>'
        )
        text = format_percent(value) if _finite(value) else "—"
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
    head = [dim or _t("kpi", lang)] if dim else [_t("kpi", lang)]
    if dim:
        head.append(_t("kpi", lang))
    head += [_t(k, lang) for k in ("actual", "target", "achievement", "projection", "status")]
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for r in rows:
        unit = data["units"].get(r["kpi"], "count")

        def v(x: Any, unit: str = unit) -> str:
            return format_value(x if x is not None else math.nan, unit, data["currency"], lang)

        cells = [escape(str(r.get("dimension_value", "")))] if dim else []
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
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{escape(data['company'])} — {_t('report', lang)} {escape(data['period'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(data['company'])} — {_t('report', lang)} {escape(data['period'])}</h1>",
        f'<p class="meta">{escape(data["as_of"])} {_t("as_of", lang)}</p>',
        f'<h2>{_t("headline", lang)}</h2><p class="headline">{escape(data["headline"])}</p>',
        svg_bars(bars, title=_t("achievement", lang)),
        f"<h2>{_t('changed', lang)}</h2>",
        "<ul>"
        + "".join(f"<li>{escape(c['text'])} ({escape(c['period'])})</li>" for c in data["changes"])
        + "</ul>"
        if data["changes"]
        else f"<p>{_t('no_changes', lang)}</p>",
        f"<h2>{_t('off_track', lang)}</h2>",
        "<ul>"
        + "".join(
            f"<li>{_status(o['status'], lang)} {escape(o['text'])}"
            + (f"<br>{escape(o['why'])}" if o["why"] else "")
            + "</li>"
            for o in data["off_track"]
        )
        + "</ul>"
        if data["off_track"]
        else f"<p>{_t('nothing_off', lang)}</p>",
        f"<h2>{_t('actions', lang)}</h2>",
        "<ul>"
        + "".join(
            f"<li><b>{escape(a['title'])}</b> ({escape(a['status'].upper())}, "
            f"{escape(', '.join(a['kpis']))}; {a['start_date']}–{a['end_date'] or ''}"
            f"{'; ' + escape(a['owner']) if a['owner'] else ''})"
            + (f"<br>{escape(a['hypothesis'])}" if a["hypothesis"] else "")
            + "</li>"
            for a in data["actions"]
        )
        + "</ul>"
        if data["actions"]
        else f"<p>{_t('no_actions', lang)}</p>",
        f"<h2>{_t('alerts', lang)}</h2>",
        "<ul>" + "".join(f"<li>{escape(a['title'])}</li>" for a in data["alerts"]) + "</ul>"
        if data["alerts"]
        else f"<p>{_t('none', lang)}</p>",
        f"<h2>{_t('executive', lang)}</h2>",
        _table(data["executive"], data),
        svg_line(data["trend"], title=data["executive"][0]["name"] if data["executive"] else ""),
        f"<h2>{_t('funnel', lang)}</h2>",
        _table(data["funnel"], data),
        "<p>"
        + " · ".join(
            f"{escape(k)} {format_percent(v) if v is not None else '—'}"
            for k, v in data["funnel_rates"].items()
        )
        + "</p>",
        f"<h2>{_t('channels', lang)}</h2>",
        _table(data["channels"], data, "channel"),
        f"<h2>{_t('tactics', lang)}</h2>",
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
        _t(k, lang) for k in ("kpi", "actual", "target", "achievement", "projection", "status")
    ]

    def kpi_rows(rows: list[dict[str, Any]], dim: bool = False) -> list[list[Any]]:
        return [
            ([r.get("dimension_value", "")] if dim else [])
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
        "Executive",
        ["", ""],
        [
            [data["company"], f"{_t('report', lang)} {data['period']}"],
            [_t("as_of", lang), data["as_of"]],
            [_t("headline", lang), data["headline"]],
            *[[_t("changed", lang), c["text"]] for c in data["changes"]],
            *[
                [_t("off_track", lang), o["text"] + (" — " + o["why"] if o["why"] else "")]
                for o in data["off_track"]
            ],
        ],
        [None, None],
    )
    ex.column_dimensions["B"].width = 100
    for row in ex.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    start = ex.max_row + 2
    ex.cell(row=start, column=1, value=_t("executive", lang)).font = Font(bold=True)
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
        "Funnel",
        kpi_head,
        kpi_rows(data["funnel"]),
        [None, "#,##0", "#,##0", "0%", "#,##0", None],
    )
    sheet(
        "Channels",
        ["channel", *kpi_head],
        kpi_rows(data["channels"], dim=True),
        [None, None, "#,##0.##", "#,##0.##", "0%", "#,##0.##", None],
    )
    sheet(
        "Tactics",
        ["campaign", *kpi_head],
        kpi_rows(data["tactics"], dim=True),
        [None, None, "#,##0.##", "#,##0.##", "0%", "#,##0.##", None],
    )
    sheet(
        "Actions",
        ["id", "title", "status", "kpis", "owner", "start", "end", "expected lift", "decision"],
        [
            [
                a["id"],
                a["title"],
                a["status"],
                ", ".join(a["kpis"]),
                a["owner"],
                a["start_date"],
                a["end_date"],
                a["expected_lift"],
                a["decision"],
            ]
            for a in data["actions"]
        ],
        [None, None, None, None, None, "yyyy-mm-dd", "yyyy-mm-dd", "0%", None],
    )
    buffer = io.BytesIO()
    _neutralise_cells(wb)
    wb.save(buffer)
    return buffer.getvalue()


def render(data: dict[str, Any], fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        return render_xlsx(data)
    html = render_html(data)
    return html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")


# ---------------------------------------------------------------------------- catalog document
CATALOG_COLUMNS = ("id", "name", "phase", "type", "unit", "direction", "formula", "definition")


def catalog_rows(ws: Workspace, language: str) -> list[dict[str, Any]]:
    return [
        {
            "id": k.id,
            "name": k.name(language),
            "phase": k.phase,
            "type": k.type,
            "unit": k.unit,
            "direction": k.direction,
            "formula": k.formula,
            "definition": k.definition(language),
            "benchmark": (
                f"{k.benchmark.low}–{k.benchmark.high} ({k.benchmark.source})"
                if k.benchmark
                else ""
            ),
        }
        for k in ws.catalog
    ]


def _neutralise_cells(wb: Any) -> None:
    """No text cell of an exported workbook is read as a formula (spreadsheet.neutralise):
    action titles, learnings and KPI names are typed by users."""
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = neutralise(cell.value)


def catalog_document(ws: Workspace, fmt: str, language: str) -> bytes:
    """The KPI definitions document: every KPI with its formula and definition."""
    rows = catalog_rows(ws, language)
    title = "KPI定義書" if language == "ja" else "KPI definitions"
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill

        wb = Workbook()
        sheet = wb.active
        sheet.title = "KPIs"
        head = [*CATALOG_COLUMNS, "benchmark"]
        sheet.append(head)
        for cell in sheet[1]:
            cell.fill = PatternFill("solid", fgColor="1565C0")
            cell.font = Font(bold=True, color="FFFFFF")
        for r in rows:
            sheet.append([r[c] for c in head])
        widths = {"A": 26, "B": 30, "G": 40, "H": 70, "I": 30}
        for col, width in widths.items():
            sheet.column_dimensions[col].width = width
        for row in sheet.iter_rows(min_row=2):
            row[7].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "B2"
        buffer = io.BytesIO()
        _neutralise_cells(wb)
        wb.save(buffer)
        return buffer.getvalue()
    body = "".join(
        f"<tr><td>{escape(r['id'])}</td><td>{escape(r['name'])}</td><td>{escape(r['phase'])}</td>"
        f"<td>{escape(r['unit'])}</td><td><code>{escape(r['formula'])}</code></td>"
        f"<td style='text-align:left'>{escape(r['definition'])}</td></tr>"
        for r in rows
    )
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS} td {{ vertical-align: top; }}</style></head><body>"
        f"<h1>{escape(ws.config.name)} — {title}</h1><p class='meta'>{len(rows)} KPIs</p>"
        "<table><tr><th>id</th><th>name</th><th>phase</th><th>unit</th><th>formula</th>"
        f"<th>definition</th></tr>{body}</table></body></html>"
    )
    if fmt == "html":
        return html.encode("utf-8")
    if fmt == "pdf":
        return html_to_pdf(html)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------------------- scheduled sending
def send_report(ws: Workspace, schedule: ReportSchedule, now: dt.datetime) -> list[dict[str, Any]]:
    """Build the scheduled report and deliver it: attached to e-mails, summarised elsewhere."""
    from kaname.act.notifiers import Message, deliver
    from kaname.metrics.calendar import Grain, period_of

    fy = ws.config.fiscal_year_start_month
    month = period_of(ws.today(), Grain.MONTH, fy)
    period = month if schedule.frequency == "weekly" else month.previous()
    texts, subjects, htmls = {}, {}, {}
    for lang in ("en", "ja"):
        data = build_report(ws, period, lang)
        subjects[lang] = f"{ws.config.name}: {_t('report', lang)} {period.label}"
        texts[lang] = data["headline"] + "\n\n" + "\n".join(o["text"] for o in data["off_track"])
        htmls[lang] = render_html(data)
    lang = schedule.language or ws.config.language
    content = render(build_report(ws, period, lang), schedule.format)
    filename = f"kaname-report-{period.label}.{schedule.format}"
    message = Message(
        subject=subjects,
        text=texts,
        html=htmls,
        event="report",
        payload={"period": period.label, "frequency": schedule.frequency, "file": filename},
        attachments=[(filename, MIME[schedule.format], content)],
    )
    channels = [
        c
        for c in ws.config.channels
        if (schedule.channels is None and c.type == "smtp")
        or (schedule.channels is not None and c.name in schedule.channels)
    ]
    allow = ws.config.url_allow_list
    return [deliver(ws.appdb, c, message, ws.config.language, allow=allow) for c in channels]
