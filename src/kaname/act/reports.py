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

from kaname.act.report_render import (
    CSS,
    FORMATS,
    STATUS_TEXT,
    as_float,
    html_to_pdf,
    is_finite,
    render,
    render_html,
    render_xlsx,
    svg_bars,
    svg_line,
    word,
)
from kaname.clock import utcnow
from kaname.formatting import format_percent, format_value, period_name
from kaname.metrics.compare import compare
from kaname.spreadsheet import neutralise_workbook

if TYPE_CHECKING:
    from kaname.config.act import ReportSchedule
    from kaname.context import WorkspaceContext
    from kaname.metrics.calendar import Period

__all__ = ["FORMATS", "render", "render_html", "render_xlsx", "svg_bars", "svg_line"]

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
MIME = {
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _records(frame: Any) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        )
    return out


def build_report(ws: WorkspaceContext, period: Period, language: str) -> dict[str, Any]:
    """The report's content as plain data (what every renderer shows)."""
    from kaname.act import actions, alerts
    from kaname.act.explain import explain_gap

    catalog = ws.catalog
    execs = [k for k in EXECUTIVE_KPIS if k in catalog]
    report = ws.kpi_report(execs, period, language=language)
    executive = _records(report)
    currency = ws.config.currency

    def fmt(kpi: str, value: Any) -> str:
        return format_value(
            value if value is not None else math.nan, catalog.get(kpi).unit, currency, language
        )

    # what changed: this period against the one before, like for like (to the same business day
    # while it runs; metrics/compare.py), never against the running period after it
    values, used = compare(ws.engine(), execs, period, ws.today())
    previous = used[0]
    now = {row["kpi"]: row["actual"] for row in executive}
    changes: list[dict[str, Any]] = []
    for kpi in execs:
        a = float(now[kpi]) if now.get(kpi) is not None else math.nan
        b = values["previous"].get(kpi, math.nan)
        if not (is_finite(a) and is_finite(b)) or b == 0:
            continue
        change = a / b - 1
        good = (change > 0) == (catalog.get(kpi).direction == "higher")
        changes.append(
            {
                "kpi": kpi,
                "name": catalog.get(kpi).name(language),
                "period": period.label,
                "previous_period": previous.period.label,
                "to_date": previous.to_date,
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
                f"({format_percent(as_float(row['achievement']))} "
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
        names = catalog.get(lower).name(language), catalog.get(upper).name(language)
        rates[f"{names[0]}→{names[1]}"] = u / lo if is_finite(u) and is_finite(lo) and lo else None
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
        "names": {k.id: k.name(language) for k in catalog},
        "period_name": period_name(period.label, language, ws.config.fiscal_year_start_month),
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


def _trend(ws: WorkspaceContext, kpi: str, period: Period) -> list[dict[str, Any]]:
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


# ---------------------------------------------------------------------------- catalog document
CATALOG_COLUMNS = ("id", "name", "phase", "type", "unit", "direction", "formula", "definition")


VALUE_NAMES_JA = {
    "leading": "先行",
    "lagging": "遅行",
    "higher": "高いほど良い",
    "lower": "低いほど良い",
    "count": "件数",
    "currency": "金額",
    "ratio": "率",
    "days": "日数",
    "minutes": "分",
    "months": "月数",
    "multiple": "倍率",
    "score": "スコア",
    "points": "点",
}


def catalog_rows(ws: WorkspaceContext, language: str) -> list[dict[str, Any]]:
    """Every KPI for the definitions document; in Japanese its phase, type, unit and
    direction read in words (the id stays: formulas are written with it)."""
    from kaname.metrics.catalog import PHASE_NAMES

    def say(value: str) -> str:
        return VALUE_NAMES_JA.get(value, value) if language == "ja" else value

    return [
        {
            "id": k.id,
            "name": k.name(language),
            "phase": PHASE_NAMES[k.phase][0] if language == "ja" else k.phase,
            "type": say(k.type),
            "unit": say(k.unit),
            "direction": say(k.direction),
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


CATALOG_HEADINGS = {
    "id": ("ID", "ID（計算式で使用）"),
    "name": ("name", "名前"),
    "phase": ("phase", "フェーズ"),
    "type": ("type", "先行/遅行"),
    "unit": ("unit", "単位"),
    "direction": ("direction", "良い方向"),
    "formula": ("formula", "計算式"),
    "definition": ("definition", "定義"),
    "benchmark": ("benchmark", "目安"),
}


def catalog_heading(column: str, language: str) -> str:
    en, ja = CATALOG_HEADINGS.get(column, (column, column))
    return ja if language == "ja" else en


def catalog_document(ws: WorkspaceContext, fmt: str, language: str) -> bytes:
    """The KPI definitions document: every KPI with its formula and definition."""
    rows = catalog_rows(ws, language)
    title = "KPI定義書" if language == "ja" else "KPI definitions"
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill

        wb = Workbook()
        sheet = wb.active
        sheet.title = "KPI一覧" if language == "ja" else "KPIs"
        head = [*CATALOG_COLUMNS, "benchmark"]
        sheet.append([catalog_heading(h, language) for h in head])
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
        neutralise_workbook(wb)
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
        "<table><tr>"
        + "".join(
            f"<th>{catalog_heading(h, language)}</th>"
            for h in ("id", "name", "phase", "unit", "formula", "definition")
        )
        + f"</tr>{body}</table></body></html>"
    )
    if fmt == "html":
        return html.encode("utf-8")
    if fmt == "pdf":
        return html_to_pdf(html)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------------------- scheduled sending
def send_report(
    ws: WorkspaceContext, schedule: ReportSchedule, now: dt.datetime
) -> list[dict[str, Any]]:
    """Build the scheduled report and deliver it: attached to e-mails, summarised elsewhere."""
    from kaname.act.notifiers import Message, deliver
    from kaname.metrics.calendar import Grain, period_of

    fy = ws.config.fiscal_year_start_month
    month = period_of(ws.today(), Grain.MONTH, fy)
    period = month if schedule.frequency == "weekly" else month.previous()
    texts, subjects, htmls = {}, {}, {}
    for lang in ("en", "ja"):
        data = build_report(ws, period, lang)
        subjects[lang] = f"{ws.config.name}: {word('report', lang)} {period.label}"
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
