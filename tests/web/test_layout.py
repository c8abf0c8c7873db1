"""What the layout review (issue 16 §6, §5) asked of the pages, read from the served HTML and its
figures: direct CPA without spend reads "—", the empty 未設定 channel row is hidden, credited
deals read to one decimal, the attribution models have distinct colours, funnel and cohort
labels are whole, cohort cells carry their numbers, finished periods read 未達 (missed),
campaigns appear by name, and Plotly's own words are Japanese in Japanese mode."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kaname.dashboard.channel_rows import COST_KPIS, is_empty, without_spend
from kaname.dashboard.names import campaign_names
from kaname.metrics.engine import NONE_LABEL
from kaname.web.i18n import translator
from kaname.web.render import channel_label, status_label
from kaname.workspace import Workspace
from web_helpers import PASSWORD, login

PERIOD = "FY2025"  # a whole fiscal year that ended before the demo's clock (2026-11-20)


@pytest.fixture(scope="module")
def users(app, web_ws: Workspace) -> dict[str, TestClient]:  # type: ignore[no-untyped-def]
    """Admins of this module whose stored language is Japanese and English."""
    from kaname.auth.accounts import Accounts

    accounts = Accounts(web_ws.appdb)
    names = {u["username"] for u in accounts.users()}
    out = {}
    for lang in ("ja", "en"):
        name = f"layout_{lang}"
        if name not in names:
            accounts.create_user(name, PASSWORD, role="admin", language=lang)
        out[lang] = login(TestClient(app), name)
    return out


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def table_rows(page: str, testid: str) -> dict[str, list[str]]:
    """The body rows of a table by their data-channel, each as the text of its cells."""
    table = re.search(rf'data-testid="{testid}".*?</table>', page, re.S)
    assert table, f"no {testid} table"
    out = {}
    for m in re.finditer(r'<tr data-channel="([^"]+)">(.*?)</tr>', table[0], re.S):
        out[html.unescape(m[1])] = [
            text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", m[2], re.S)
        ]
    return out


def figures(page: str) -> list[dict[str, Any]]:
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', page)]


# ---------------------------------------------------------------------- channels
def test_direct_cpa_without_spend_reads_a_dash(users: dict[str, TestClient]) -> None:
    data = users["ja"].get(f"/api/channels?period={PERIOD}").json()
    rows = {r["channel"]: r for r in data["rows"]}
    direct = rows["direct"]
    assert direct["leads"] > 0 and not direct["spend"]  # leads came, nothing was spent
    assert direct["cpa"] is None and direct["cac"] is None and direct["romi"] is None
    paid = next(r for r in data["rows"] if r["spend"] and r["leads"])
    assert paid["cpa"] == pytest.approx(paid["spend"] / paid["leads"])  # spend still counts

    page = users["ja"].get(f"/channels?period={PERIOD}").text
    cells = table_rows(page, "channels-table")
    cpa = 1 + data["columns"].index("cpa")  # the channel's name comes first
    assert cells["direct"][0] == "直接流入"
    assert cells["direct"][cpa] == "—"
    assert cells[paid["channel"]][cpa].endswith("円")


def test_empty_not_set_channel_is_hidden(users: dict[str, TestClient], web_ws: Workspace) -> None:
    from kaname.dashboard.funnel import CHANNEL_KPIS

    report = web_ws.kpi_report(list(CHANNEL_KPIS), web_ws.period(PERIOD), dimension="channel")
    none = report[report["dimension_value"] == NONE_LABEL]
    assert len(none)  # the engine has a row of leads without a channel …
    assert not none["actual"].fillna(0).any()  # … and nothing in it
    for lang, client in users.items():
        data = client.get(f"/api/channels?period={PERIOD}").json()
        assert NONE_LABEL not in {r["channel"] for r in data["rows"]}
        page = client.get(f"/channels?period={PERIOD}").text
        assert NONE_LABEL not in page and "未設定" not in page and "Not set" not in page, lang
        page = client.get(f"/channels?period={PERIOD}&model=markov").text
        assert NONE_LABEL not in table_rows(page, "channels-table")


def test_not_set_channel_rows_show_when_they_hold_something() -> None:
    assert is_empty({"channel": NONE_LABEL, "leads": 0, "spend": None, "revenue": 0.0})
    assert not is_empty({"channel": NONE_LABEL, "leads": 3, "spend": None})
    assert not is_empty({"channel": "direct", "leads": 0})  # named channels always show
    assert channel_label(NONE_LABEL, "ja") == "未設定"
    assert channel_label(NONE_LABEL, "en") == "Not set"
    row = {"channel": "direct", "spend": None, "leads": 5, "cpa": 0.0, "cac": 0.0, "romi": None}
    without_spend(row, COST_KPIS)
    assert (row["cpa"], row["cac"], row["leads"]) == (None, None, 5)
    row = {"channel": "email", "spend": 1000.0, "leads": 5, "cpa": 200.0}
    without_spend(row, COST_KPIS)
    assert row["cpa"] == 200.0


def test_channels_table_keeps_names_whole_and_its_first_column_in_view(
    users: dict[str, TestClient],
) -> None:
    page = users["ja"].get(f"/channels?period={PERIOD}").text
    assert re.search(
        r'<div class="scroll"><table class="data sticky-first" data-testid="channels-table"', page
    )
    css = users["ja"].get("/static/app.css").text
    first = "table.data.sticky-first th:first-child, table.data.sticky-first td:first-child"
    rule = re.search(re.escape(first) + r" \{([^}]*)\}", css)
    assert rule and "position:sticky" in rule[1] and "white-space:nowrap" in rule[1]


def test_credited_deals_read_to_one_decimal(users: dict[str, TestClient]) -> None:
    data = users["ja"].get(f"/api/channels?period={PERIOD}&model=markov").json()
    credited = [r["attributed_deals"] for r in data["rows"] if r.get("attributed_deals")]
    assert any(abs(v - round(v)) > 0.05 for v in credited)  # fractions of deals exist
    page = users["ja"].get(f"/channels?period={PERIOD}&model=markov").text
    column = 1 + data["columns"].index("attributed_deals")
    rows = {r["channel"]: r for r in data["rows"]}
    for channel, cells in table_rows(page, "channels-table").items():
        value = rows[channel]["attributed_deals"]
        if value is None:
            assert cells[column] == "—"
        else:
            assert re.fullmatch(r"\d[\d,]*\.\d", cells[column]), cells[column]
            assert float(cells[column].replace(",", "")) == pytest.approx(value, abs=0.05)


# ---------------------------------------------------------------------- attribution
def test_attribution_models_have_distinct_colours(users: dict[str, TestClient]) -> None:
    from kaname.dashboard.analysis import MODELS

    query = "&".join(f"model={m}" for m in MODELS)
    page = users["ja"].get(f"/attribution?{query}").text
    (fig,) = figures(page)
    colours = [t["marker"]["color"] for t in fig["data"]]
    assert len(colours) == len(MODELS)
    assert len(set(colours)) == len(colours), colours
    # the default comparison (nine models) too, where the ninth used to repeat the first's blue
    (fig,) = figures(users["ja"].get("/attribution").text)
    colours = [t["marker"]["color"] for t in fig["data"]]
    assert len(colours) == 9 and len(set(colours)) == 9


# ---------------------------------------------------------------------- funnel and cohorts
def test_funnel_stage_labels_get_their_margin(users: dict[str, TestClient]) -> None:
    fig = figures(users["ja"].get("/funnel?period=2026-10").text)[0]
    assert fig["data"][0]["type"] == "funnel"
    assert "リード獲得数" in fig["data"][0]["y"]
    assert fig["layout"]["yaxis"]["automargin"] is True


def test_cohort_heatmaps_name_their_rows_and_show_their_numbers(
    users: dict[str, TestClient],
) -> None:
    for lang, first in (("ja", r"\d{4}年\d{1,2}月"), ("en", r"[A-Z][a-z]{2} \d{4}")):
        figs = figures(users[lang].get("/cohorts").text)
        assert len(figs) == 3
        for fig in figs:
            trace = fig["data"][0]
            assert trace["type"] == "heatmap"
            assert trace["texttemplate"].startswith("%{z:")  # numbers in the cells
            assert all(re.fullmatch(first, y) for y in trace["y"]), trace["y"][:3]
            axis = fig["layout"]["yaxis"]
            assert axis["type"] == "category" and axis["automargin"] is True
            # tall enough for a readable row each
            assert fig["layout"]["height"] >= 18 * len(trace["y"])


# ---------------------------------------------------------------------- status words
def test_finished_periods_read_missed_and_running_ones_projected(
    users: dict[str, TestClient],
) -> None:
    ja, en = translator("ja"), translator("en")
    assert status_label("off_track", ja, ended=True) == "未達"
    assert status_label("off_track", ja, ended=False) == "未達見込み"
    assert status_label("off_track", en, ended=True) == "Missed"
    assert status_label("off_track", en, ended=False) == "Projected to miss"

    finished = users["ja"].get("/api/executive?period=2026-10").json()
    assert finished["progress"]["running"] is False
    assert "off_track" in {r["status"] for r in [finished["kgi"], *finished["kpis"]]}
    for lang, missed, projected in (
        ("ja", "未達", "未達見込み"),
        ("en", "Missed", "Projected to miss"),
    ):
        page = users[lang].get("/executive?period=2026-10").text
        badges = re.findall(r'<span class="badge bad">([^<]+)</span>', page)
        assert missed in badges and projected not in badges, (lang, badges)
    running = users["ja"].get("/api/executive").json()
    assert running["progress"]["running"] is True
    page = users["ja"].get("/executive").text
    off = [r for r in [running["kgi"], *running["kpis"]] if r and r["status"] == "off_track"]
    current = page.split('data-testid="last-complete"')[0]  # the running period's cards
    badges = re.findall(r'<span class="badge bad">([^<]+)</span>', current)
    assert len([b for b in badges if b == "未達見込み"]) == len(off)
    assert "未達" not in badges
    # the last complete period's table on the same page is final: 未達
    done = page.split('data-testid="last-complete"')[1].split("</table>")[0]
    assert "未達見込み" not in done


# ---------------------------------------------------------------------- names, not ids
def test_campaigns_appear_by_name(users: dict[str, TestClient], app) -> None:  # type: ignore[no-untyped-def]
    names = campaign_names(app.state.dashboard)
    data = users["ja"].get(f"/api/kpi/leads?period={PERIOD}").json()
    ids = [r["dimension_value"] for r in data["breakdown"]["campaign"][:10]]
    assert ids and all(i in names for i in ids if i != NONE_LABEL)
    page = users["ja"].get(f"/kpi/leads?period={PERIOD}").text
    text = text_of(page)
    for campaign in ids:
        if campaign == NONE_LABEL:
            continue
        assert names[campaign] in text
        assert not re.search(rf"(?<![\w-]){re.escape(campaign)}(?![\w-])", text), campaign


# ---------------------------------------------------------------------- Plotly's own words
def test_plotly_modebar_speaks_the_page_language(users: dict[str, TestClient]) -> None:
    def words(client: TestClient) -> dict[str, str]:
        page = client.get("/trends").text
        meta = re.search(r'<meta name="kaname-chart-words" content=\'([^\']*)\'>', page)
        assert meta
        return dict(json.loads(html.unescape(meta[1])))

    ja, en = words(users["ja"]), words(users["en"])
    for key in (
        "Zoom",
        "Pan",
        "Zoom in",
        "Zoom out",
        "Autoscale",
        "Reset axes",
        "Download plot as a PNG",
    ):
        assert re.search(r"[ぁ-んァ-ヶ一-龯]", ja[key]), (key, ja[key])
        assert not re.search(r"[ぁ-んァ-ヶ一-龯]", en[key]), (key, en[key])
    assert ja["Reset axes"] == "軸をリセット" and en["Zoom"] == "Zoom"


# ---------------------------------------------------------------------- charts
def test_bars_by_channel_are_horizontal_with_whole_names() -> None:
    from kaname.web import charts

    labels = ["ホワイトペーパー・コンテンツ", "直接流入", "メール"]
    fig = json.loads(charts.bars(labels, [3e6, None, 1e6], "t", "", ("JPY", "ja")))
    bar = fig["data"][0]
    assert bar["orientation"] == "h" and bar["y"] == labels  # names on their own lines
    assert fig["layout"]["yaxis"]["automargin"] is True
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"  # the first row on top
    assert "万円" in "".join(fig["layout"]["xaxis"]["ticktext"])


def test_a_money_axis_of_nothing_reads_one_zero() -> None:
    from kaname.web import charts

    for lang, zero in (("ja", "0円"), ("en", "¥0")):
        fig = json.loads(charts.bars(["a", "b"], [0.0, None], "t", "", ("JPY", lang)))
        axis = fig["layout"]["xaxis"]
        assert axis["ticktext"] == [zero] and axis["tickvals"] == [0], lang


def test_exports_say_missed_for_a_finished_period(users: dict[str, TestClient]) -> None:
    for lang, missed, projected in (
        ("ja", "未達", "未達見込み"),
        ("en", "Missed", "Projected to miss"),
    ):
        response = users[lang].get("/export/executive.csv?period=2026-10")
        assert response.status_code == 200, response.text[:300]
        cells = {
            c.strip('"')
            for line in response.content.decode("utf-8-sig").splitlines()
            for c in line.split(",")
        }
        assert missed in cells and projected not in cells, lang


def test_japanese_headings_break_between_words_only() -> None:
    """Channels headers break at word edges (リード|獲得数), never one character in (獲 / 得数);
    the text is escaped."""
    from kaname.web.render import word_breaks

    assert str(word_breaks("リード獲得単価（CPA）")) == "リード<wbr>獲得単価<wbr>（CPA）"
    assert str(word_breaks("マーケティング投資利益率")) == "マーケティング<wbr>投資利益率"
    assert str(word_breaks("新規受注金額")) == "新規受注金額"
    assert str(word_breaks("Cost per lead (CPA)")) == "Cost per lead (CPA)"
    assert str(word_breaks("<b>リード</b>")) == "&lt;b&gt;リード&lt;/b&gt;"


def test_a_kpi_formula_reads_by_names_not_ids() -> None:
    """The KPI page's formula names measures (MQL数 ÷ リード獲得数), never `mqls / leads`."""
    import re

    from kaname.metrics.catalog import builtin_catalog
    from kaname.web.drill import measure_name
    from kaname.web.render import formula_named

    catalog = builtin_catalog()
    ja = translator("ja")
    for kpi in catalog:
        text = formula_named(kpi.formula, lambda m: measure_name(m, catalog, "ja", ja))
        assert not re.search(r"[a-z_]{3,}", text), (kpi.id, text)
    mqls = formula_named("mqls / leads", lambda m: measure_name(m, catalog, "ja", ja))
    assert mqls == "MQL数 ÷ リード獲得数"
