"""Weekly and monthly reports as a person would write them — headline, what changed, what is off
track and why, what actions are running — in HTML, PDF (WeasyPrint, charts as inline SVG) and
Excel (openpyxl: executive, funnel, channels, tactics, actions sheets). Also the KPI definitions
document (the catalog) as HTML, PDF and Excel."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
from collections.abc import Callable
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
    word,
)
from kaname.clock import utcnow
from kaname.formatting import date_name, date_span, format_value, period_name
from kaname.spreadsheet import neutralise_workbook

if TYPE_CHECKING:
    from kaname.config.act import ReportSchedule
    from kaname.context import WorkspaceContext
    from kaname.metrics.calendar import Period

__all__ = ["FORMATS", "render", "render_html", "render_xlsx"]

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
PlanGap = Callable[[str], dict[str, Any] | None]
"""The applied plan's gap split for a period label (Workspace.active_plan_gap), or None."""
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


CAMPAIGN_MOVE = 0.30
"""A campaign "moved a lot" when its leads changed by at least this much against the previous
period, compared like for like (to the same business day while the period runs)..."""
CAMPAIGN_MIN_LEADS = 10
"""...and it had at least this many leads in one of the two periods (3 → 5 leads is noise)."""
CAMPAIGN_LIMIT = 12
"""At most this many campaigns in the appendix: those with targets first, then the largest moves."""
MOVERS_LIMIT = 6
MOVERS_MIN_CHANGE = 0.05
ACTIONS_LIMIT = 8


def build_report(
    ws: WorkspaceContext, period: Period, language: str, plan_gap: PlanGap | None = None
) -> dict[str, Any]:
    """The report's content as plain data (what every renderer shows), in the order a CMO reads
    it: the KGI against its target with the landing projection, the top movers compared like
    for like, the off-track KPIs with the planner's explanation, the actions and their measured
    effect; then the appendix (all KPIs, channels, campaigns with targets or large moves)."""
    from kaname.act import alerts
    from kaname.metrics.compare import progress

    catalog = ws.catalog
    execs = [k for k in EXECUTIVE_KPIS if k in catalog]
    executive = _records(ws.kpi_report(execs, period, language=language))
    currency = ws.config.currency
    fy = ws.config.fiscal_year_start_month

    def fmt(kpi: str, value: Any) -> str:
        return format_value(
            value if value is not None else math.nan, catalog.get(kpi).unit, currency, language
        )

    name = period_name(period.label, language, fy)
    if name == period.label and period.start != period.last_day:  # a span of days
        name = date_span(period.start, period.last_day, language)
    counts = {s: sum(r["status"] == s for r in executive) for s in STATUS_TEXT}
    kgi = executive[0] if executive else None
    movers, comparison = _movers(ws, execs, executive, period, language)
    funnel = _records(ws.kpi_report([k for k in FUNNEL if k in catalog], period, language=language))
    rates = {}
    for upper, lower in zip(FUNNEL[1:5], FUNNEL[:4], strict=True):
        u = next((r["actual"] for r in funnel if r["kpi"] == upper), None)
        lo = next((r["actual"] for r in funnel if r["kpi"] == lower), None)
        names = catalog.get(lower).name(language), catalog.get(upper).name(language)
        rates[f"{names[0]}→{names[1]}"] = u / lo if is_finite(u) and is_finite(lo) and lo else None
    channels = _records(ws.kpi_report(list(CHANNEL_KPIS), period, "channel", language=language))
    tactics, campaigns = _campaigns(ws, period, language)
    today = ws.today()
    return {
        "company": ws.config.name,
        "language": language,
        "currency": currency,
        "period": period.label,
        "period_name": name,
        "grain": str(period.grain),
        "as_of": today.isoformat(),
        "as_of_name": date_name(today, language),
        "generated_at": utcnow().isoformat(timespec="minutes"),
        "progress": progress(period, today).as_dict(),
        "headline": _headline(kgi, counts, name, language, fmt),
        "status_counts": counts,
        "kgi": kgi,
        "trend": _trend(ws, kgi, period) if kgi else [],
        "movers": movers,
        "comparison": comparison,
        "off_track": _off_track(ws, executive, funnel, period, language, fmt, plan_gap),
        "actions": _actions(ws, period, language),
        "alerts": alerts.list_alerts(ws, status="live", limit=20),
        "executive": executive,
        "funnel": funnel,
        "funnel_rates": rates,
        "channels": channels,
        "tactics": tactics,
        "campaigns": campaigns,
        "campaign_rule": {
            "move": CAMPAIGN_MOVE,
            "min_leads": CAMPAIGN_MIN_LEADS,
            "limit": CAMPAIGN_LIMIT,
        },
        "units": {k.id: k.unit for k in catalog},
        "names": {k.id: k.name(language) for k in catalog},
    }


def _headline(
    kgi: dict[str, Any] | None,
    counts: dict[str, int],
    name: str,
    language: str,
    fmt: Any,
) -> str:
    parts = []
    if kgi and kgi["target"] is not None:
        if language == "ja":
            parts.append(
                f"{name}の{kgi['name']}は{fmt(kgi['kpi'], kgi['actual'])}、"
                f"着地見込み{fmt(kgi['kpi'], kgi['projection'])}"
                f"（目標{fmt(kgi['kpi'], kgi['target'])}、"
                f"{STATUS_TEXT[kgi['status']][1]}）。"
            )
        else:
            parts.append(
                f"{kgi['name']} for {name} is {fmt(kgi['kpi'], kgi['actual'])}, heading "
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
    return (" " if language == "en" else "").join(parts)


def _trend(ws: WorkspaceContext, kgi: dict[str, Any], period: Period) -> list[dict[str, Any]]:
    """The KGI's last 12 months up to the report's (last or running) month: actual, the month's
    target and, for a month still running, its landing projection."""
    from kaname.metrics.calendar import Grain, period_of, periods_between
    from kaname.metrics.engine import MetricQuery

    fy = ws.config.fiscal_year_start_month
    today = ws.today()
    last = period_of(min(period.last_day, today), Grain.MONTH, fy)
    first = period_of(last.start.replace(year=last.start.year - 1), Grain.MONTH, fy).next()
    months = periods_between(first.start, last.start, Grain.MONTH, fy)
    kpi = str(kgi["kpi"])
    frame = ws.engine().compute(
        MetricQuery((kpi,), Grain.MONTH, first.start, last.start, as_of=today)
    )
    values = {
        start: float(v)
        for start, v in zip(frame["period_start"], frame["value"], strict=True)
        if v == v
    }
    targets = ws.target_resolver().targets([kpi], months)
    projection = math.nan
    if last.start <= today < last.last_day:  # the running month lands where pacing says
        row = _records(ws.kpi_report([kpi], last))
        projection = as_float(row[0]["projection"]) if row else math.nan
    return [
        {
            "start": m.start,
            "period": m.label,
            "value": values.get(m.start),
            "target": targets.get((kpi, m.start), math.nan),
            "projection": projection if m.start == last.start else math.nan,
        }
        for m in months
    ]


def _movers(
    ws: WorkspaceContext,
    kpis: list[str],
    executive: list[dict[str, Any]],
    period: Period,
    language: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The KPIs that moved most against the previous period and the same period a year before,
    both like for like (metrics/compare.py: a running month to the same business day), and the
    spans each compares."""
    from kaname.metrics.compare import bases, change, compare

    catalog = ws.catalog
    today = ws.today()
    values, used = compare(ws.engine(), kpis, period, today)
    now = {row["kpi"]: as_float(row["actual"]) for row in executive}
    movers: list[dict[str, Any]] = []
    for kpi in kpis:
        a = now.get(kpi, math.nan)
        before, year = values["previous"].get(kpi, math.nan), values["previous_year"].get(kpi)
        rel, rel_year = change(a, before), change(a, year)
        key = rel if is_finite(rel) else rel_year
        if not is_finite(key) or abs(key) < MOVERS_MIN_CHANGE:
            continue
        movers.append(
            {
                "kpi": kpi,
                "name": catalog.get(kpi).name(language),
                "unit": catalog.get(kpi).unit,
                "value": a,
                "previous": before,
                "change": rel,
                "previous_year": year,
                "change_year": rel_year,
                "good": (key > 0) == (catalog.get(kpi).direction == "higher"),
            }
        )
    movers.sort(key=lambda m: -abs(m["change"] if is_finite(m["change"]) else m["change_year"]))
    last = min(period.last_day, today)
    comparison = {
        "current": date_span(period.start, last, language),
        "to_date": bool(used and used[0].to_date),
        "bases": [
            {
                "name": b.name,
                "period": b.period.label,
                "period_name": period_name(
                    b.period.label, language, ws.config.fiscal_year_start_month
                ),
                "span": date_span(b.period.start, b.cutoff, language),
            }
            for b in (used or bases(period, today))
        ],
    }
    return movers[:MOVERS_LIMIT], comparison


def _off_track(
    ws: WorkspaceContext,
    executive: list[dict[str, Any]],
    funnel: list[dict[str, Any]],
    period: Period,
    language: str,
    fmt: Any,
    plan_gap: PlanGap | None,
) -> list[dict[str, Any]]:
    """Off-track and at-risk KPIs, worst first, each with the planner's explanation: for the
    plan's KGI in a finished period, its gap to target split exactly across the funnel's drivers
    (design/gap.py's Shapley split); otherwise the funnel driver that would move the KPI most
    (act/explain.py over the planner's sensitivity), or the funnel stage still at zero."""
    from kaname.act.explain import explain_gap
    from kaname.metrics.compare import is_running

    lang = language if language in ("en", "ja") else "en"
    rows = [r for r in executive if r["status"] in ("off_track", "at_risk")]
    rows.sort(key=lambda r: (r["status"] != "off_track", as_float(r["achievement"])))
    finished = not is_running(period, ws.today()) and period.last_day <= ws.today()
    gap = plan_gap(period.label) if (plan_gap and rows and finished) else None
    out = []
    for row in rows:
        why = ""
        if gap and gap["kgi"] == row["kpi"]:
            why = _gap_text(gap, row["kpi"], lang, fmt)
        if not why:
            lever = explain_gap(ws, row["kpi"], period)
            why = lever["summary"][lang] if lever else _zero_stage(ws, row["kpi"], funnel, lang)
        out.append(
            {
                **row,
                "why": why,
                "text": f"{row['name']}: {fmt(row['kpi'], row['projection'])} "
                f"{'見込み' if lang == 'ja' else 'projected'} / "
                f"{'目標' if lang == 'ja' else 'target'} {fmt(row['kpi'], row['target'])}",
            }
        )
    return out


def _gap_text(gap: dict[str, Any], kpi: str, lang: str, fmt: Any) -> str:
    """The KGI's gap to plan and its three largest parts, e.g. 目標との差 -120万円の内訳:
    リード獲得数 -80万円、受注率 -50万円、平均受注単価 +10万円。"""
    parts = [d for d in gap["drivers"] if d["effect"] == d["effect"]][:3]
    if not parts or gap["gap"] != gap["gap"]:
        return ""

    def signed(value: float) -> str:
        return ("+" if value >= 0 else "-") + fmt(kpi, abs(value))

    named = [f"{d['names'].get(lang, d['driver'])} {signed(d['effect'])}" for d in parts]
    if lang == "ja":
        return f"計画との差 {signed(gap['gap'])} の内訳: " + "、".join(named) + "。"
    return f"Gap to plan {signed(gap['gap'])}, split by driver: " + ", ".join(named) + "."


def _zero_stage(ws: WorkspaceContext, kpi: str, funnel: list[dict[str, Any]], lang: str) -> str:
    """For a funnel KPI the planner cannot weigh because a stage is at zero: which stage, and
    how many the stage before it holds ("受注数がまだ0です（前の段階の案件数は7）")."""
    from kaname.design.funnel import STANDARD_STAGES

    if kpi not in STANDARD_STAGES[:-2]:
        return ""
    actual = {r["kpi"]: as_float(r["actual"]) for r in funnel}
    chain = list(STANDARD_STAGES[STANDARD_STAGES.index(kpi) : -1])
    for upper, lower in itertools.pairwise(chain):
        if actual.get(upper) == 0 and as_float(actual.get(lower)) > 0:
            name = ws.catalog.get(upper).name(lang)
            before = ws.catalog.get(lower).name(lang)
            count = format_value(actual[lower], ws.catalog.get(lower).unit, "JPY", lang)
            if lang == "ja":
                return f"{name}がまだ0です（前の段階の{before}は{count}）。"
            return f"{name} is still 0 ({before}, the stage before, is {count})."
    return ""


EFFECT_WORDS = {
    "no_data": (
        "Not enough complete weeks yet to measure the effect.",
        "効果を測るには完了した週のデータがまだ足りません。",
    ),
}


def _actions(ws: WorkspaceContext, period: Period, language: str) -> list[dict[str, Any]]:
    """The actions running in the period, each with its measured effect per KPI (before/after
    with trend and seasonality, act/actions.measure)."""
    from kaname.act import actions

    running = [
        a
        for a in actions.list_actions(ws)
        if a["start_date"] < period.end and (a["end_date"] is None or a["end_date"] >= period.start)
    ][:ACTIONS_LIMIT]
    lang = 1 if language == "ja" else 0
    for action in running:
        effects = []
        try:
            measured = actions.measure(ws, action["id"])["results"]
        except actions.ActionError:
            measured = []
        for result in measured:
            kpi = str(result["kpi"])
            entry: dict[str, Any] = {
                "kpi": kpi,
                "name": ws.catalog.get(kpi).name(language) if kpi in ws.catalog else kpi,
            }
            if "error" in result:
                no_data = EFFECT_WORDS["no_data"][lang]
                entry.update(verdict=no_data, summary=no_data, measured=False)
            else:
                entry.update(
                    verdict=result["verdict_ja"] if lang else result["verdict_en"],
                    summary=_effect_summary(ws, kpi, result, language),
                    measured=True,
                    relative=result["relative"],
                    significant=result["significant"],
                    met_expectation=result.get("met_expectation"),
                )
            effects.append(entry)
        action["effects"] = effects
    return running


def _effect_summary(ws: WorkspaceContext, kpi: str, result: dict[str, Any], language: str) -> str:
    """A measured effect in one line a CMO reads: 週あたり+2.1（+25%）、有意な効果あり（p = 0.01）;
    against the expected lift where one was set."""
    unit = ws.catalog.get(kpi).unit if kpi in ws.catalog else "count"
    estimate, relative = float(result["estimate"]), float(result["relative"])
    amount = format_value(abs(estimate), unit, ws.config.currency, language)
    if unit == "count":
        amount = f"{abs(estimate):,.1f}"
    sign = "+" if estimate >= 0 else "-"
    pct = f"（{relative:+.0%}）" if math.isfinite(relative) else ""
    per = {"week": ("per week", "週あたり"), "month": ("per month", "月あたり")}.get(
        str(result.get("grain")), ("per period", "期間あたり")
    )
    p = f"p = {float(result['p_value']):.2f}"
    expected = result.get("expected_lift")
    if language == "ja":
        text = f"{per[1]}{sign}{amount}{pct}、" + (
            f"有意な効果あり（{p}）" if result["significant"] else f"有意な差は見られません（{p}）"
        )
        if expected is not None:
            met = "達成" if result.get("met_expectation") else "未達"
            text += f"。期待した改善 {expected:+.0%} に対して{met}"
        return text + "。"
    pct = pct.replace("（", " (").replace("）", ")")
    text = f"{sign}{amount} {per[0]}{pct}, " + (
        f"a significant effect ({p})" if result["significant"] else f"no significant change ({p})"
    )
    if expected is not None:
        met = "met" if result.get("met_expectation") else "not met"
        text += f"; expected lift of {expected:+.0%} {met}"
    return text + "."


def campaigns(ws: WorkspaceContext) -> dict[str, dict[str, Any]]:
    """{campaign id: {name, start_date, end_date}} from the campaigns table."""
    con = ws.warehouse.con
    if "campaigns" not in con.list_tables():
        return {}
    table = con.table("campaigns").select("campaign_id", "name", "start_date", "end_date")
    return {str(r.pop("campaign_id")): r for r in table.to_pyarrow().to_pylist()}


def campaign_names(ws: WorkspaceContext) -> dict[str, str]:
    """{campaign id: name} (ids without a name are left out)."""
    return {cid: str(c["name"]) for cid, c in campaigns(ws).items() if c["name"]}


def runs_in(campaign: dict[str, Any] | None, first: dt.date, last: dt.date) -> bool:
    """Whether a campaign ran on any day from `first` to `last` by its dates (a campaign
    without dates is taken to run throughout)."""
    if campaign is None:
        return True
    start, end = campaign.get("start_date"), campaign.get("end_date")
    return (start is None or start <= last) and (end is None or end >= first)


def _campaigns(
    ws: WorkspaceContext, period: Period, language: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every campaign's tactic KPIs (rows, named, for the Excel export) and the campaigns the
    PDF's appendix details: those with a target in the period, and those that ran in both
    periods (by their dates) and whose leads moved by at least CAMPAIGN_MOVE against the
    previous period (like for like) with at least CAMPAIGN_MIN_LEADS leads in one of the two;
    at most CAMPAIGN_LIMIT, targets first, then by the size of the move."""
    from kaname.metrics.compare import bases
    from kaname.metrics.engine import NONE_LABEL, MetricQuery

    info = campaigns(ws)
    names = {cid: str(c["name"]) for cid, c in info.items() if c["name"]}
    rows = _records(ws.kpi_report(list(TACTIC_KPIS), period, "campaign", language=language))
    rows = [r for r in rows if r["dimension_value"] != NONE_LABEL]
    for r in rows:
        r["campaign"] = names.get(str(r["dimension_value"]), str(r["dimension_value"]))
    previous = bases(period, ws.today())[0]
    frame = ws.engine().compute(
        MetricQuery(
            ("leads",),
            period.grain,
            previous.period.start,
            previous.period.start,
            ("campaign",),
            as_of=min(previous.cutoff, ws.today()),
        )
    )
    before = {
        str(c): float(v) for c, v in zip(frame["campaign"], frame["value"], strict=True) if v == v
    }
    by_campaign: dict[str, dict[str, Any]] = {}
    for r in rows:
        cid = str(r["dimension_value"])
        entry = by_campaign.setdefault(
            cid, {"id": cid, "campaign": r["campaign"], "kpis": {}, "targets": []}
        )
        entry["kpis"][r["kpi"]] = r
        if r["target"] is not None:
            entry["targets"].append(r)
    for cid in before:  # campaigns that went quiet this period moved too
        if cid != NONE_LABEL and cid not in by_campaign:
            name = names.get(cid, cid)
            by_campaign[cid] = {"id": cid, "campaign": name, "kpis": {}, "targets": []}
    chosen = []
    for cid, entry in by_campaign.items():
        leads = as_float(entry["kpis"].get("leads", {}).get("actual"))
        leads = leads if is_finite(leads) else 0.0
        prior = before.get(cid, 0.0)
        moved = abs(leads - prior)
        rel = leads / prior - 1 if prior else (math.inf if leads else 0.0)
        # a campaign that ended or had not started is not a move: it ran in both periods
        both = runs_in(info.get(cid), previous.period.start, previous.cutoff) and runs_in(
            info.get(cid), period.start, min(period.last_day, ws.today())
        )
        big = both and max(leads, prior) >= CAMPAIGN_MIN_LEADS and abs(rel) >= CAMPAIGN_MOVE
        if not (entry["targets"] or big):
            continue
        worst = sorted(
            (t["status"] for t in entry["targets"]),
            key=lambda s: (
                ("off_track", "at_risk", "on_track").index(s)
                if s in ("off_track", "at_risk", "on_track")
                else 3
            ),
        )
        chosen.append(
            {
                "campaign": entry["campaign"],
                "leads": leads,
                "previous": prior,
                "change": rel,
                "mqls": as_float(entry["kpis"].get("mqls", {}).get("actual")),
                "deals": as_float(entry["kpis"].get("deals", {}).get("actual")),
                "cpa": as_float(entry["kpis"].get("cpa", {}).get("actual")),
                "status": worst[0] if worst else "no_target",
                "reason": "target" if entry["targets"] else "moved",
                "order": (bool(not entry["targets"]), -moved),
            }
        )
    chosen.sort(key=lambda c: c["order"])
    return rows, chosen[:CAMPAIGN_LIMIT]


# ---------------------------------------------------------------------------- catalog document
CATALOG_COLUMNS = ("id", "name", "phase", "type", "unit", "direction", "formula", "definition")


def catalog_rows(ws: WorkspaceContext, language: str) -> list[dict[str, Any]]:
    """Every KPI for the definitions document; in Japanese its phase, type, unit and
    direction read in words (the id stays: formulas are written with it)."""
    from kaname.metrics.catalog import CATALOG_WORDS_JA, PHASE_NAMES

    def say(value: str) -> str:
        return CATALOG_WORDS_JA.get(value, value) if language == "ja" else value

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
    ws: WorkspaceContext,
    schedule: ReportSchedule,
    now: dt.datetime,
    plan_gap: PlanGap | None = None,
) -> list[dict[str, Any]]:
    """Build the scheduled report and deliver it: attached to e-mails, summarised elsewhere."""
    from kaname.act.notifiers import Message, deliver
    from kaname.metrics.calendar import Grain, period_of

    fy = ws.config.fiscal_year_start_month
    month = period_of(ws.today(), Grain.MONTH, fy)
    period = month if schedule.frequency == "weekly" else month.previous()
    texts, subjects, htmls = {}, {}, {}
    for lang in ("en", "ja"):
        data = build_report(ws, period, lang, plan_gap)
        subjects[lang] = f"{ws.config.name}: {word('report', lang)} {period.label}"
        texts[lang] = data["headline"] + "\n\n" + "\n".join(o["text"] for o in data["off_track"])
        htmls[lang] = render_html(data)
    lang = schedule.language or ws.config.language
    content = render(build_report(ws, period, lang, plan_gap), schedule.format)
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
