"""The report a CMO forwards (issue 16 §7): 2–4 pages in the order a CMO reads them, a trend chart
with axes and a target line, a campaign appendix only for campaigns with targets or large moves
(by name), an Excel export whose numbers carry the formats of their units, and a Japanese
report without English words or internal ids."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kaname.act.report_chart import svg_figure, trend_figure
from kaname.act.reports import CAMPAIGN_MIN_LEADS, CAMPAIGN_MOVE, campaign_names
from kaname.canonical.channels import CHANNELS
from kaname.metrics.calendar import Grain, period_of
from kaname.metrics.compare import bases
from kaname.metrics.engine import NONE_LABEL, MetricQuery
from kaname.metrics.targets import TargetValue
from kaname.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from ja_text import leaks

ACTION = {
    "title": "Weekly webinar series",
    "hypothesis": "A webinar every week brings more qualified leads",
    "kpis": ["leads", "mqls"],
    "dimension": "channel",
    "dimension_value": "webinar",
    "owner": "marketing",
    "start_date": dt.date(2026, 8, 31),
    "end_date": dt.date(2026, 11, 15),
    "expected_lift": 0.3,
    "status": "do",
}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def _data_words(ws: Workspace) -> set[str]:
    """The company's own words in Latin letters (its name, campaign names, action titles and
    owners): shown as the company wrote them."""
    words = set(re.findall(r"[A-Za-z][\w-]*", ws.config.name))
    for name in campaign_names(ws).values():
        words |= set(re.findall(r"[A-Za-z][\w-]*", name))
    for action in ws.act.actions():
        typed = " ".join(str(action.get(k) or "") for k in ("title", "owner", "hypothesis"))
        words |= set(re.findall(r"[A-Za-z][\w-]*", typed))
    return words


@pytest.mark.slow
def test_pdf_is_two_to_four_pages_in_the_order_a_cmo_reads(demo_ws: Workspace) -> None:
    demo_ws.act.add_action(ACTION)
    pages = pdf_pages(demo_ws.act.report("2026-11", "pdf", language="ja"))
    assert 2 <= len(pages) <= 4, len(pages)
    text = "\n".join(pages)
    headings = [
        "1. KGIの目標と着地見込み",
        "2. 主な変化（同じ条件で比較）",
        "3. 未達・注意のKPIとその理由",
        "4. 改善アクションとその効果",
        "付録",
    ]
    at = [text.find(h) for h in headings]
    assert all(i >= 0 for i in at), dict(zip(headings, at, strict=True))
    assert at == sorted(at), dict(zip(headings, at, strict=True))
    # the appendix starts on a page of its own, after the four sections
    assert "付録" in pages[-1] and "付録" not in pages[0]
    # the action is there with its measured effect
    assert "Weekly webinar series" in text and "効果測定" in text
    data = demo_ws.act.report_data("2026-11", "ja")
    (action,) = data["actions"]
    assert [e["name"] for e in action["effects"]] == [data["names"]["leads"], data["names"]["mqls"]]
    for effect in action[
        "effects"
    ]:  # one line each: per week, how sure, against the lift hoped for
        assert effect["summary"].startswith("週あたり") and "期待した改善 +30%" in effect["summary"]
        assert effect["summary"].replace("\n", "") in text.replace("\n", "")
    # like for like: the running month against the same business days of October
    assert "2026年11月1日〜20日" in text and "前期間（2026年10月1日〜" in text

    # no internal ids and no English words in the Japanese report
    flat = text.replace("\n", " ")
    ours = flat  # without what the company typed (campaign names, action titles)
    for typed in [*campaign_names(demo_ws).values(), ACTION["title"], ACTION["hypothesis"]]:
        ours = ours.replace(typed, " ")
    ids = {k.id for k in demo_ws.catalog if "_" in k.id} | {c.id for c in CHANNELS}
    found_ids = {i for i in ids if re.search(rf"(?<![\w]){re.escape(i)}(?![\w])", ours)}
    assert not found_ids, found_ids
    campaign_ids = set(campaign_names(demo_ws))
    assert not {c for c in campaign_ids if re.search(rf"\b{c}\b", flat)}
    assert not leaks(flat, _data_words(demo_ws)), sorted(leaks(flat, _data_words(demo_ws)))

    english = "\n".join(pdf_pages(demo_ws.act.report("2026-11", "pdf", language="en")))
    for heading in ("1. The KGI against its target", "2. Top movers", "3. Off track, and why"):
        assert heading in english
    own = english.replace("\n", " ").replace(demo_ws.config.name, "")
    for typed in campaign_names(demo_ws).values():  # the company's own words, as it wrote them
        own = own.replace(typed, " ")
    assert not _CJK.findall(own), sorted(set(_CJK.findall(own)))


def test_trend_chart_has_axes_and_the_target_line(demo_ws: Workspace) -> None:
    data = demo_ws.act.report_data("2026-11", "ja")
    trend, kgi = data["trend"], data["kgi"]
    assert len(trend) == 12 and trend[-1]["period"] == "2026-11" and trend[0]["period"] == "2025-12"
    months = [period_of(p["start"], Grain.MONTH, 4) for p in trend]
    expected = demo_ws.target_resolver().targets([kgi["kpi"]], months)
    figure = trend_figure(trend, "t", "currency", "JPY", "ja")
    series = {s["key"]: s["values"] for s in figure["series"]}
    assert set(series) == {"actual", "target", "projection"}
    want = [expected[(kgi["kpi"], m.start)] for m in months]
    got = series["target"]
    assert any(v is not None for v in got)
    for g, w in zip(got, want, strict=True):
        assert (g is None and math.isnan(w)) or g == pytest.approx(w)
    # the running month lands where pacing says; earlier months have no projection
    assert series["projection"][-1] == pytest.approx(kgi["projection"])
    assert all(v is None for v in series["projection"][:-1])
    # Japanese ticks: 2026年1月 where the year turns, 万円 on the money axis, 0 at the bottom
    assert figure["x_ticks"][0] == "2025年12月" and figure["x_ticks"][1] == "2026年1月"
    assert figure["x_ticks"][2] == "2月"
    ticks = figure["y_ticks"]
    assert ticks[0]["value"] == 0 and ticks[0]["text"] == "0円"
    assert any(t["text"].endswith("万円") for t in ticks)
    top = max(v for s in series.values() for v in s if v is not None)
    assert ticks[-1]["value"] >= top
    svg = svg_figure(figure)
    assert 'class="x-axis"' in svg and 'class="y-axis"' in svg
    assert svg.count('class="target"') == 1 and "stroke-dasharray" in svg
    assert ">2026年<" in svg and ">1月<" in svg
    english = trend_figure(trend, "t", "currency", "JPY", "en")
    assert english["x_ticks"][:3] == ["Dec 2025", "Jan 2026", "Feb"]
    assert english["y_ticks"][0]["text"] == "¥0"
    assert any(t["text"].endswith("M") for t in english["y_ticks"])


def test_campaign_appendix_lists_only_campaigns_with_targets_or_large_moves(
    demo_ws: Workspace,
) -> None:
    period = demo_ws.period("2026-10")
    names = campaign_names(demo_ws)
    engine = demo_ws.engine()
    now = engine.compute(
        MetricQuery(("leads",), Grain.MONTH, period.start, period.start, ("campaign",))
    )
    leads = {str(c): float(v) for c, v in zip(now["campaign"], now["value"], strict=True)}
    quiet = next(c for c, v in sorted(leads.items()) if 0 < v < 3 and c in names)
    demo_ws.targets.set(
        [TargetValue("leads", Grain.MONTH, period.start, 5, "campaign", quiet)], period.start
    )
    data = demo_ws.act.report_data("2026-10", "ja")
    listed = {c["campaign"]: c for c in data["campaigns"]}
    assert names[quiet] in listed and listed[names[quiet]]["reason"] == "target"
    assert listed[names[quiet]]["status"] == "off_track"
    assert data["campaigns"][0]["campaign"] == names[quiet]  # targets first

    # the previous period like for like, computed here on its own
    base = bases(period, demo_ws.today())[0]
    before_frame = engine.compute(
        MetricQuery(
            ("leads",),
            Grain.MONTH,
            base.period.start,
            base.period.start,
            ("campaign",),
            as_of=base.cutoff,
        )
    )
    before = {
        str(c): float(v)
        for c, v in zip(before_frame["campaign"], before_frame["value"], strict=True)
    }

    dates = {
        r["campaign_id"]: (r["start_date"], r["end_date"])
        for r in demo_ws.warehouse.con.table("campaigns").to_pyarrow().to_pylist()
    }

    def ran(cid: str, first: dt.date, last: dt.date) -> bool:
        start, end = dates.get(cid, (None, None))
        return (start is None or start <= last) and (end is None or end >= first)

    def qualifies(cid: str) -> bool:
        a, b = leads.get(cid, 0.0), before.get(cid, 0.0)
        moved = abs(a / b - 1) >= CAMPAIGN_MOVE if b else a > 0
        both = ran(cid, base.period.start, base.cutoff) and ran(cid, period.start, period.last_day)
        return cid == quiet or (both and max(a, b) >= CAMPAIGN_MIN_LEADS and moved)

    ids = (set(leads) | set(before)) - {NONE_LABEL}
    expected = {names.get(c, c) for c in ids if qualifies(c)}
    assert set(listed) == expected
    assert len(listed) < len(names) / 10  # an appendix, not a dump of every campaign
    for entry in data["campaigns"]:
        assert entry["campaign"] not in names  # names, never ids
    html = demo_ws.act.report("2026-10", "html", language="ja").decode()
    appendix = html[html.index("目標のあるキャンペーン") :]
    assert names[quiet] in appendix and quiet not in appendix
    assert "目標なし" not in appendix[appendix.index("<table") :]


def test_excel_numbers_carry_their_units_formats(demo_ws: Workspace) -> None:
    demo_ws.act.add_action({**ACTION, "title": "=HYPERLINK(1)", "owner": "@team"})
    book = load_workbook(io.BytesIO(demo_ws.act.report("2026-10", "xlsx", language="ja")))
    assert book.sheetnames == [
        "サマリー",
        "ファネル",
        "チャネル別",
        "キャンペーン別",
        "改善アクション",
    ]
    data = demo_ws.act.report_data("2026-10", "ja")
    names = {r["kpi"]: r["name"] for r in data["executive"]}

    def cell_of(sheet_name: str, name: str, column: int, key: int = 1) -> Any:
        """The cell of a KPI's row in the last table of a sheet (the summary's KPI table)."""
        sheet = book[sheet_name]
        for row in reversed(list(sheet.iter_rows(min_row=2))):
            if row[key - 1].value == name:
                return row[column - 1]
        raise AssertionError(f"{name} not in {sheet_name}")

    summary = "サマリー"
    revenue = cell_of(summary, names["revenue"], 2)
    assert revenue.number_format == '#,##0"円"' and isinstance(revenue.value, int | float)
    deals = cell_of(summary, names["deals"], 2)
    assert deals.number_format == "#,##0"  # 112, never "112."
    rate = cell_of(summary, names["win_rate"], 2)
    assert rate.number_format == "0.0%"  # 18.5%, never 0.185
    assert cell_of(summary, names["win_rate"], 4).number_format == "0%"
    # movers: rates change in points, volumes in percent
    movers = {m["name"]: m for m in data["movers"]}
    sheet = book[summary]
    checked = 0
    for row in sheet.iter_rows(min_row=2):
        mover = movers.get(row[0].value)
        if mover and row[3].value is not None and checked < len(movers):
            ratio = mover["unit"] == "ratio"
            assert ("ポイント" in row[3].number_format) == ratio, row[3].number_format
            assert row[1].number_format == ("0.0%" if ratio else row[1].number_format)
            checked += 1
    assert checked == len(movers) > 0
    channels = book["チャネル別"]
    formats = {
        (r[1].value, r[2].number_format) for r in channels.iter_rows(min_row=2) if r[2].value
    }
    assert (data["names"]["cpa"], '#,##0"円"') in formats
    assert (data["names"]["leads"], "#,##0") in formats
    assert all(f != "#,##0.##" for _, f in formats)
    campaigns = [r[0].value for r in book["キャンペーン別"].iter_rows(min_row=2)]
    ids = set(campaign_names(demo_ws))
    assert campaigns and not ids & set(campaigns)
    actions = book["改善アクション"]
    assert actions["B2"].value == "'=HYPERLINK(1)" and actions["E2"].value == "'@team"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert not any(c.data_type == "f" for c in row)
    english = load_workbook(io.BytesIO(demo_ws.act.report("2026-10", "xlsx", language="en")))
    assert english.sheetnames[0] == "Executive"
    en_names = {r["kpi"]: r["name"] for r in demo_ws.act.report_data("2026-10", "en")["executive"]}
    sheet = english["Executive"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == en_names["revenue"])
    assert row[1].number_format == '"¥"#,##0'
