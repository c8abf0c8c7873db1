"""Rendering a report's data: its wording in both languages, SVG charts, HTML, PDF (WeasyPrint)
and Excel (openpyxl). `act/reports.py` builds the data; this module only draws it."""

from __future__ import annotations

import io
import math
from html import escape
from typing import Any

from kaname.act.actions import DECISION_NAMES, STATUS_NAMES
from kaname.formatting import format_percent, format_value
from kaname.spreadsheet import neutralise_workbook, unit_format

FORMATS = ("html", "pdf", "xlsx")


T = {
    "report": ("KPI report", "KPIレポート"),
    "as_of": ("As of {day}", "{day}時点"),
    "headline": ("Headline", "サマリー"),
    "off_track": ("Off track, and why", "未達・注意のKPIとその理由"),
    "actions": ("Actions and their measured effect", "改善アクションとその効果"),
    "alerts": ("Open alerts", "未対応のアラート"),
    "executive": ("Executive KPIs", "主要KPI一覧"),
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
    "effect": ("measured effect", "効果測定"),
    "kgi": ("The KGI against its target", "KGIの目標と着地見込み"),
    "so_far": (" so far", "（現時点）"),
    "landing_vs_target": ("Projection ÷ target", "着地見込み÷目標"),
    "trend_title": ("{name}, month by month", "{name}の月次推移"),
    "movers": ("Top movers, like for like", "主な変化（同じ条件で比較）"),
    "this_period": ("This period", "今期"),
    "previous": ("Previous period", "前期間"),
    "year_ago": ("Year before", "前年同期"),
    "change": ("Change", "増減"),
    "achieved": ("achieved", "達成"),
    "appendix": ("Appendix", "付録"),
    "campaigns": (
        "Campaigns with targets or large moves",
        "目標のあるキャンペーン・大きく動いたキャンペーン",
    ),
    "campaign_rule": (
        "Listed: campaigns with a target in the period, and campaigns running in both periods "
        "whose leads changed by {move} or more against the previous period (like for like) with "
        "at least {leads} leads in one of the two; at most {limit}, targets first.",
        "掲載条件: この期間に目標のあるキャンペーンと、両方の期間に実施されていて"
        "リード獲得数が前期間（同じ条件）から{move}以上増減し、どちらかの期間で{leads}件以上"
        "あったキャンペーン（最大{limit}件、目標のあるものを優先）。",
    ),
    "no_campaigns": (
        "No campaign has a target or moved that much in this period.",
        "この期間に該当するキャンペーンはありません。",
    ),
    "new": ("new", "新規"),
    "points": (" pt", "ポイント"),
    "business_days": (" (business day {done} of {total})", "（営業日 {done}/{total}日）"),
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


# ---------------------------------------------------------------------------- HTML / PDF
CSS = """
body { font-family: 'IPAPGothic', 'IPAGothic', 'Noto Sans CJK JP', 'DejaVu Sans', sans-serif;
       font-size: 9.5pt; color: #222; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 2px 0; }
h2 { font-size: 12pt; border-bottom: 2px solid #1565c0; margin: 14px 0 6px 0;
     padding-bottom: 2px; }
h3 { font-size: 10pt; margin: 10px 0 4px 0; }
.meta { color: #666; margin: 0 0 6px 0; }
.note { color: #555; font-size: 8.5pt; margin: 2px 0 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th { background: #f0f4f8; font-weight: bold; }
th, td { border-bottom: 1px solid #e0e0e0; padding: 3px 5px; text-align: right; }
th:first-child, td:first-child { text-align: left; } td.t { text-align: left; }
.s { font-weight: bold; } .good { color: #2e7d32; } .bad { color: #c62828; }
.headline { font-size: 10.5pt; background: #f5f5f5; padding: 6px 8px; margin: 6px 0; }
.cards { width: 100%; border-collapse: separate; border-spacing: 6px 0; margin: 4px 0 8px 0; }
.cards td { border: 1px solid #d0d7de; border-radius: 4px; padding: 5px 8px; text-align: left;
            width: 20%; vertical-align: top; }
.cards .k { color: #666; font-size: 8pt; } .cards .v { font-size: 13pt; font-weight: bold; }
ul.items { margin: 0; padding-left: 1.1em; } ul.items li { margin-bottom: 5px; }
.why { color: #444; } .effect { color: #333; font-size: 8.5pt; }
.appendix { page-break-before: always; }
@page { size: A4; margin: 1.4cm 1.5cm; }
"""


def _status(status: str, lang: str) -> str:
    en, ja = STATUS_TEXT.get(status, (status, status))
    return (
        f'<span class="s" style="color:{STATUS_COLOUR.get(status, "#666")}">'
        f"{ja if lang == 'ja' else en}</span>"
    )


def _v(data: dict[str, Any], kpi_or_unit: str, value: Any) -> str:
    unit = data["units"].get(kpi_or_unit, kpi_or_unit)
    return format_value(as_float(value), unit, data["currency"], data["language"])


def _change(value: Any, good: bool | None = None, points: bool = False, lang: str = "en") -> str:
    """A change as +12% (or, for rates, +3.4 points: a rate's change is read in points)."""
    if not is_finite(value):
        return "—"
    text = f"{value:+.0%}"
    if points:
        text = f"{value * 100:+.1f}{word('points', lang)}"
    if good is None:
        return text
    return f'<span class="{"good" if good else "bad"}">{text}</span>'


def _table(head: list[str], rows: list[list[str]], left: int = 1) -> str:
    """An HTML table; the first `left` columns are text (left-aligned), the rest numbers.
    Cells are HTML already (escape text before)."""
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        cells = "".join(
            f'<td class="t">{c}</td>' if i < left else f"<td>{c}</td>" for i, c in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _kpi_rows(rows: list[dict[str, Any]], data: dict[str, Any]) -> list[list[str]]:
    lang = data["language"]
    return [
        [
            escape(str(r["name"])),
            _v(data, r["kpi"], r["actual"]),
            _v(data, r["kpi"], r["target"]),
            format_percent(as_float(r["achievement"])),
            _v(data, r["kpi"], r["projection"]),
            _status(str(r["status"]), lang),
        ]
        for r in rows
    ]


def _section_kgi(data: dict[str, Any]) -> str:
    """1. The KGI against its target with the landing projection, and its 12-month trend."""
    from kaname.act.report_chart import svg_figure, trend_figure

    lang, kgi = data["language"], data["kgi"]
    parts = [f"<h2>1. {word('kgi', lang)}</h2>"]
    if kgi:
        progress = data["progress"]
        cards = [
            (
                word("actual", lang) + (word("so_far", lang) if progress["running"] else ""),
                _v(data, kgi["kpi"], kgi["actual"]),
            ),
            (word("target", lang), _v(data, kgi["kpi"], kgi["target"])),
            (word("projection", lang), _v(data, kgi["kpi"], kgi["projection"])),
            (word("landing_vs_target", lang), _landing_ratio(kgi)),
            (word("status", lang), _status(str(kgi["status"]), lang)),
        ]
        parts.append(
            f"<h3>{escape(str(kgi['name']))}</h3><table class='cards'><tr>"
            + "".join(
                f"<td><div class='k'>{escape(k)}</div><div class='v'>{v}</div></td>"
                for k, v in cards
            )
            + "</tr></table>"
        )
    parts.append(f'<p class="headline">{escape(data["headline"])}</p>')
    if kgi and data["trend"]:
        figure = trend_figure(
            data["trend"],
            word("trend_title", lang).format(name=kgi["name"]),
            data["units"].get(kgi["kpi"], "count"),
            data["currency"],
            lang,
        )
        parts.append(svg_figure(figure))
    return "".join(parts)


def _landing_ratio(kgi: dict[str, Any]) -> str:
    target, projection = as_float(kgi["target"]), as_float(kgi["projection"])
    if not (is_finite(target) and is_finite(projection)) or target == 0:
        return "—"
    return format_percent(projection / target)


def _section_movers(data: dict[str, Any]) -> str:
    """2. The KPIs that moved most, against the previous period and the year before, like for
    like (the spans are written out so a reader sees what is compared)."""
    lang = data["language"]
    comparison = data["comparison"]
    spans = {b["name"]: b["span"] for b in comparison["bases"]}
    if lang == "ja":
        note = (
            f"{comparison['current']}の実績を、前期間（{spans.get('previous', '—')}）と"
            f"前年同期（{spans.get('previous_year', '—')}）の同じ期間で比較"
            + ("（同じ営業日数まで）。" if comparison["to_date"] else "。")
        )
    else:
        note = (
            f"{comparison['current']} compared with the previous period "
            f"({spans.get('previous', '—')}) and the same period a year before "
            f"({spans.get('previous_year', '—')})"
            + (", each to the same number of business days." if comparison["to_date"] else ".")
        )
    parts = [f"<h2>2. {word('movers', lang)}</h2>", f'<p class="note">{escape(note)}</p>']
    if not data["movers"]:
        return "".join(parts) + f"<p>{word('no_changes', lang)}</p>"
    head = [word(k, lang) for k in ("kpi", "this_period", "previous", "change", "year_ago")]
    head.append(word("change", lang))
    rows = []
    for m in data["movers"]:
        rate = m["unit"] == "ratio"
        now, before, year = (
            as_float(m["value"]),
            as_float(m["previous"]),
            as_float(m["previous_year"]),
        )
        rows.append(
            [
                escape(m["name"]),
                _v(data, m["kpi"], now),
                _v(data, m["kpi"], before),
                _change(
                    now - before if rate else m["change"],
                    m["good"] if is_finite(m["change"]) else None,
                    rate,
                    lang,
                ),
                _v(data, m["kpi"], year),
                _change(now - year if rate else m["change_year"], None, rate, lang),
            ]
        )
    return "".join(parts) + _table(head, rows)


def _section_off_track(data: dict[str, Any]) -> str:
    """3. Off-track and at-risk KPIs with the planner's explanation (the biggest lever)."""
    lang = data["language"]
    parts = [f"<h2>3. {word('off_track', lang)}</h2>"]
    if not data["off_track"]:
        return "".join(parts) + f"<p>{word('nothing_off', lang)}</p>"
    items = []
    for o in data["off_track"]:
        line = (
            f"{_status(o['status'], lang)} <b>{escape(str(o['name']))}</b> "
            f"{word('projection', lang)} {_v(data, o['kpi'], o['projection'])} / "
            f"{word('target', lang)} {_v(data, o['kpi'], o['target'])}"
            f"（{word('achievement', lang)} {format_percent(as_float(o['achievement']))}）"
            if lang == "ja"
            else f"{_status(o['status'], lang)} <b>{escape(str(o['name']))}</b>: "
            f"{word('projection', lang).lower()} {_v(data, o['kpi'], o['projection'])} "
            f"against a target of {_v(data, o['kpi'], o['target'])} "
            f"({format_percent(as_float(o['achievement']))} {word('achieved', lang)})"
        )
        why = f'<br><span class="why">{escape(o["why"])}</span>' if o["why"] else ""
        items.append(f"<li>{line}{why}</li>")
    return "".join(parts) + '<ul class="items">' + "".join(items) + "</ul>"


def _section_actions(data: dict[str, Any]) -> str:
    """4. The actions of the period and their measured effect."""
    lang = data["language"]
    parts = [f"<h2>4. {word('actions', lang)}</h2>"]
    if not data["actions"]:
        parts.append(f"<p>{word('no_actions', lang)}</p>")
    else:
        items = []
        for a in data["actions"]:
            span = f"{_day(a['start_date'], lang)}〜{_day(a['end_date'], lang)}"
            if lang != "ja":
                span = (
                    f"{_day(a['start_date'], lang)} – {_day(a['end_date'], lang)}"
                    if a["end_date"]
                    else f"from {_day(a['start_date'], lang)}"
                )
            head = (
                f"<b>{escape(a['title'])}</b>（{escape(_action_status(a['status'], lang))}・"
                f"{escape(_kpi_names(a['kpis'], data, lang))}・{escape(span)}"
                + (f"・{escape(a['owner'])}" if a.get("owner") else "")
                + "）"
                if lang == "ja"
                else f"<b>{escape(a['title'])}</b> ({escape(_action_status(a['status'], lang))}; "
                f"{escape(_kpi_names(a['kpis'], data, lang))}; {escape(span)}"
                + (f"; {escape(a['owner'])}" if a.get("owner") else "")
                + ")"
            )
            effects = "".join(
                f'<br><span class="effect">{word("effect", lang)} — {escape(e["name"])}: '
                f"{escape(e.get('summary') or e['verdict'])}</span>"
                for e in a.get("effects", [])
            )
            items.append(f"<li>{head}{effects}</li>")
        parts.append('<ul class="items">' + "".join(items) + "</ul>")
    if data["alerts"]:
        parts.append(f"<h3>{word('alerts', lang)}</h3>")
        parts.append(
            '<ul class="items">'
            + "".join(f"<li>{escape(a['title'])}</li>" for a in data["alerts"][:5])
            + "</ul>"
        )
    return "".join(parts)


def _day(value: Any, lang: str) -> str:
    from kaname.formatting import date_name

    return date_name(value, lang) if value else ""


def _appendix(data: dict[str, Any]) -> str:
    """The appendix: every executive KPI, the channels side by side, and the campaigns that
    have a target or moved a lot (never a list of every campaign)."""
    lang = data["language"]
    kpi_head = [word(k, lang) for k in ("kpi", "actual", "target", "achievement", "projection")]
    kpi_head.append(word("status", lang))
    parts = [
        f'<div class="appendix"><h2>{word("appendix", lang)}</h2>',
        f"<h3>{word('executive', lang)}</h3>",
        _table(kpi_head, _kpi_rows(data["executive"], data)),
        '<p class="note">'
        + " · ".join(
            f"{escape(k)} {format_percent(v) if v is not None else '—'}"
            for k, v in data["funnel_rates"].items()
        )
        + "</p>",
    ]
    channel_kpis = list(dict.fromkeys(r["kpi"] for r in data["channels"]))
    by_channel: dict[str, dict[str, Any]] = {}
    for r in data["channels"]:
        by_channel.setdefault(str(r["dimension_value"]), {})[r["kpi"]] = r["actual"]
    first = channel_kpis[0] if channel_kpis else ""
    active = {
        ch: values
        for ch, values in by_channel.items()
        if any(is_finite(v) and v != 0 for v in values.values())  # a channel with nothing: no row
    }
    ordered = sorted(active.items(), key=lambda kv: -(as_float(kv[1].get(first)) or 0))
    parts.append(f"<h3>{word('channels', lang)}</h3>")
    parts.append(
        _table(
            [word("channel", lang), *(data["names"].get(k, k) for k in channel_kpis)],
            [
                [escape(dimension_value("channel", ch, lang))]
                + [_v(data, k, values.get(k)) for k in channel_kpis]
                for ch, values in ordered
            ],
        )
    )
    rule = data["campaign_rule"]
    parts.append(f"<h3>{word('campaigns', lang)}</h3>")
    parts.append(
        '<p class="note">'
        + escape(
            word("campaign_rule", lang).format(
                move=f"{rule['move']:.0%}", leads=rule["min_leads"], limit=rule["limit"]
            )
        )
        + "</p>"
    )
    if not data["campaigns"]:
        parts.append(f"<p>{word('no_campaigns', lang)}</p>")
    else:
        head = [
            word("campaign", lang),
            data["names"].get("leads", "leads"),
            word("previous", lang),
            word("change", lang),
            data["names"].get("mqls", "mqls"),
            data["names"].get("deals", "deals"),
            data["names"].get("cpa", "cpa"),
            word("status", lang),
        ]
        rows = [
            [
                escape(c["campaign"]),
                _v(data, "count", c["leads"]),
                _v(data, "count", c["previous"]),
                word("new", lang) if c["change"] == math.inf else _change(c["change"]),
                _v(data, "count", c["mqls"]),
                _v(data, "count", c["deals"]),
                _v(data, "cpa", c["cpa"]),
                _status(c["status"], lang) if c["status"] != "no_target" else "—",
            ]
            for c in data["campaigns"]
        ]
        parts.append(_table(head, rows))
    parts.append("</div>")
    return "".join(parts)


def render_html(data: dict[str, Any]) -> str:
    """The report as one HTML document (the PDF prints it): the four sections in the order a
    CMO reads them, then the appendix on its own page."""
    lang = data["language"]
    period = data.get("period_name") or data["period"]
    heading = f"{escape(data['company'])} — {word('report', lang)} {escape(period)}"
    progress = data["progress"]
    meta = escape(word("as_of", lang).format(day=data["as_of_name"]))
    if progress["running"]:
        meta += escape(
            word("business_days", lang).format(
                done=progress["elapsed_business_days"], total=progress["business_days"]
            )
        )
    return "".join(
        [
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
            f"<title>{heading}</title>",
            f"<style>{CSS}</style></head><body>",
            f"<h1>{heading}</h1>",
            f'<p class="meta">{meta}</p>',
            _section_kgi(data),
            _section_movers(data),
            _section_off_track(data),
            _section_actions(data),
            _appendix(data),
            "</body></html>",
        ]
    )


def html_to_pdf(html: str) -> bytes:
    """PDF via WeasyPrint (needs pango; Japanese needs a CJK font such as fonts-ipafont-gothic)."""
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


# ---------------------------------------------------------------------------- Excel
def render_xlsx(data: dict[str, Any]) -> bytes:
    """The report as a workbook: a summary (headline, KGI, movers, off track), the funnel,
    channels, campaigns (by name) and actions, every number a number with the format of its
    unit (円, %, whole counts) and every text cell neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    lang = data["language"]
    currency = data["currency"]
    wb = Workbook()
    wb.remove(wb.active)
    header_fill = PatternFill("solid", fgColor="1565C0")
    header_font = Font(bold=True, color="FFFFFF")

    def fmt_of(unit: str) -> str:
        return unit_format(unit, currency, lang)

    def header(sheet: Any, row: int, head: list[str]) -> None:
        for j, h in enumerate(head, start=1):
            cell = sheet.cell(row=row, column=j, value=h)
            cell.fill, cell.font = header_fill, header_font

    def put(sheet: Any, row: int, values: list[Any], formats: list[str | None]) -> None:
        for j, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            cell = sheet.cell(row=row, column=j, value=_cell(value))
            if fmt and isinstance(cell.value, int | float):
                cell.number_format = fmt

    def widths(sheet: Any, fixed: dict[str, float] | None = None) -> None:
        for column in sheet.columns:
            letter = column[0].column_letter
            width = max((_width(c.value) for c in column), default=8)
            sheet.column_dimensions[letter].width = min(50, max(10, width + 2))
        for letter, fixed_width in (fixed or {}).items():
            sheet.column_dimensions[letter].width = fixed_width

    kpi_head = [
        word(k, lang) for k in ("kpi", "actual", "target", "achievement", "projection", "status")
    ]

    def kpi_values(r: dict[str, Any]) -> tuple[list[Any], list[str | None]]:
        unit = data["units"].get(r["kpi"], "count")
        values = [
            r["name"],
            r["actual"],
            r["target"],
            r["achievement"],
            r["projection"],
            STATUS_TEXT.get(r["status"], (r["status"], r["status"]))[lang == "ja"],
        ]
        return values, [None, fmt_of(unit), fmt_of(unit), "0%", fmt_of(unit), None]

    # summary: headline, KGI, movers, off track, executive KPIs
    ex = wb.create_sheet(word("sheet_executive", lang))
    ex.cell(row=1, column=1, value=data["company"]).font = Font(bold=True, size=13)
    ex.cell(row=1, column=2, value=f"{word('report', lang)} {data['period_name']}")
    ex.cell(row=2, column=1, value=word("as_of", lang).format(day=data["as_of_name"]))
    ex.cell(row=3, column=1, value=word("headline", lang))
    ex.cell(row=3, column=2, value=data["headline"]).alignment = Alignment(wrap_text=True)
    row = 5
    ex.cell(row=row, column=1, value=word("movers", lang)).font = Font(bold=True)
    head = [word(k, lang) for k in ("kpi", "this_period", "previous", "change", "year_ago")]
    header(ex, row + 1, [*head, word("change", lang)])
    row += 2
    for m in data["movers"]:
        unit = data["units"].get(m["kpi"], "count")
        change, change_year, how = m["change"], m["change_year"], "+0%;-0%;0%"
        if unit == "ratio":  # a rate's change in points, as in the PDF
            pt = word("points", lang).strip()
            how = f'+0.0"{pt}";-0.0"{pt}";0.0"{pt}"'
            now = as_float(m["value"])
            change = (now - as_float(m["previous"])) * 100
            change_year = (now - as_float(m["previous_year"])) * 100
        values = [m["name"], m["value"], m["previous"], change, m["previous_year"], change_year]
        put(ex, row, values, [None, fmt_of(unit), fmt_of(unit), how, fmt_of(unit), how])
        row += 1
    row += 1
    ex.cell(row=row, column=1, value=word("off_track", lang)).font = Font(bold=True)
    row += 1
    for o in data["off_track"]:
        ex.cell(row=row, column=1, value=o["name"])
        text = o["text"] + (" — " + o["why"] if o["why"] else "")
        ex.cell(row=row, column=2, value=text).alignment = Alignment(wrap_text=True)
        row += 1
    row += 1
    ex.cell(row=row, column=1, value=word("executive", lang)).font = Font(bold=True)
    header(ex, row + 1, kpi_head)
    row += 2
    for r in data["executive"]:
        values, formats = kpi_values(r)
        put(ex, row, values, formats)
        row += 1
    widths(ex, {"A": 28, "B": 18})
    ex.freeze_panes = "A2"

    def kpi_sheet(title: str, rows: list[dict[str, Any]], first: str | None, label: Any) -> None:
        sheet = wb.create_sheet(title)
        header(sheet, 1, [word(first, lang), *kpi_head] if first else kpi_head)
        for i, r in enumerate(rows, start=2):
            values, formats = kpi_values(r)
            if first:
                values, formats = [label(r), *values], [None, *formats]
            put(sheet, i, values, formats)
        widths(sheet)
        sheet.freeze_panes = "B2" if first else "A2"

    kpi_sheet(word("sheet_funnel", lang), data["funnel"], None, None)
    kpi_sheet(
        word("sheet_channels", lang),
        data["channels"],
        "channel",
        lambda r: dimension_value("channel", r.get("dimension_value"), lang),
    )
    kpi_sheet(
        word("sheet_tactics", lang),
        _active_campaign_rows(data["tactics"]),
        "campaign",
        lambda r: r.get("campaign") or dimension_value("campaign", r.get("dimension_value"), lang),
    )
    actions = wb.create_sheet(word("sheet_actions", lang))
    keys = (
        "action_id",
        "title",
        "action_status",
        "kpis",
        "owner",
        "start",
        "end",
        "expected_lift",
        "decision",
        "effect",
    )
    header(actions, 1, [word(k, lang) for k in keys])
    for i, a in enumerate(data["actions"], start=2):
        effects = "\n".join(f"{e['name']}: {e['verdict']}" for e in a.get("effects", []))
        put(
            actions,
            i,
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
                effects,
            ],
            ["0", None, None, None, None, None, None, "0%", None, None],
        )
        for col in (6, 7):
            actions.cell(row=i, column=col).number_format = "yyyy-mm-dd"
    widths(actions, {"J": 80})
    actions.freeze_panes = "A2"
    buffer = io.BytesIO()
    neutralise_workbook(wb)
    wb.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A value as a spreadsheet cell: NaN and infinities left empty (Excel has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _width(value: Any) -> int:
    text = str(value or "")
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _active_campaign_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The campaign rows worth a line: campaigns with any activity or a target in the period
    (of hundreds of campaigns most are over)."""
    active = {
        r["dimension_value"]
        for r in rows
        if r["target"] is not None or (is_finite(r["actual"]) and r["actual"] != 0)
    }
    return [r for r in rows if r["dimension_value"] in active]


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
