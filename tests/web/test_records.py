"""Issue 16 §2: every count and amount links to the records behind it. The records listed are
exactly those the metric engine counts (their number is the card's value), with the page's
period and filters; the list is paginated, sortable, worded in the reader's language, behind
the login, and downloads as CSV/xlsx."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from ja_text import leaks, visible_text
from openpyxl import load_workbook
from test_japanese_everywhere import data_words

from kaname.auth.accounts import Accounts
from kaname.config import WorkspaceConfig
from kaname.metrics.engine import MetricQuery
from kaname.urlguard import safe_link
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, csrf_of, login

MONTH = "2026-10"
QUARTER = "FY2026-Q2"


@pytest.fixture(scope="module")
def ja(app) -> TestClient:  # type: ignore[no-untyped-def]
    client = login(TestClient(app), "viewer")
    client.cookies.set("kaname_lang", "ja")
    return client


@pytest.fixture(scope="module")
def en(app, web_ws) -> TestClient:  # type: ignore[no-untyped-def]
    """A viewer of its own whose stored language is English (whatever other tests set)."""
    accounts = Accounts(web_ws.appdb)
    if not any(u["username"] == "records_en" for u in accounts.users()):
        accounts.create_user("records_en", PASSWORD, role="viewer")
    client = login(TestClient(app), "records_en")
    client.post("/account/language", data={"language": "en", "csrf_token": csrf_of(client)})
    return client


def api(client: TestClient, query: str) -> dict[str, Any]:
    response = client.get(f"/api/records?{query}")
    assert response.status_code == 200, response.text[:500]
    return response.json()  # type: ignore[no-any-return]


def listed(data: dict[str, Any], measure: str) -> dict[str, Any]:
    return next(m for m in data["measures"] if m["measure"] == measure)


def drill_links(page: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'href="(/records\?[^"]+)"', page)]


def card_matches_records(data: dict[str, Any], actual: float) -> None:
    """The card's value follows from the records: a count is their number, an amount their
    sum, a ratio the numerator's records over the denominator's."""
    measures = data["measures"]
    for m in measures:
        assert m["value"] == pytest.approx(m["total"]), m  # the engine's value = the records'
        if m["agg"] == "count":
            assert m["count"] == m["value"], m
    if len(measures) == 1:
        m = measures[0]
        assert (m["count"] if m["agg"] == "count" else m["total"]) == pytest.approx(actual)
    else:
        top, bottom = listed(data, data["measures"][0]["measure"]), measures[1]
        assert top["role"] == "numerator" and bottom["role"] == "denominator"
        if bottom["total"]:
            assert top["total"] / bottom["total"] == pytest.approx(actual)


# ---------------------------------------------------------------------- the numbers match
@pytest.mark.parametrize(
    "filters",
    [f"period={MONTH}", f"period={QUARTER}&grain=quarter", f"period={MONTH}&channel=webinar"],
)
def test_each_executive_card_links_to_exactly_the_records_it_counts(
    ja: TestClient, filters: str
) -> None:
    cards = ja.get(f"/api/executive?{filters}").json()
    rows = [cards["kgi"], *cards["kpis"]]
    page = ja.get(f"/executive?{filters}").text
    links = {parse_qs(urlsplit(u).query)["kpi"][0]: u for u in drill_links(page)}
    checked = 0
    for card in rows:
        if card is None or card["actual"] is None:
            continue
        url = links[card["kpi"]]  # every card with a value links its number
        query = parse_qs(urlsplit(url).query)
        for key, values in parse_qs(filters).items():
            assert query[key] == values, (key, url)  # the card's period and filters
        assert query["back"][0].startswith("/executive?")
        data = api(ja, urlsplit(url).query)
        card_matches_records(data, card["actual"])
        checked += 1
    assert checked >= 4


def test_the_number_of_records_is_the_cards_count(ja: TestClient, web_ws: Workspace) -> None:
    """Leads, deals and MQLs for a month, a channel, a segment and a campaign: the rows the list
    holds (all pages) are as many as the card says and as the engine counts."""
    engine = web_ws.engine()
    period = web_ws.period(MONTH)
    first_campaign = web_ws.warehouse.con.table("leads").campaign_id.max().execute()
    for kpi, filt in [
        ("leads", ()),
        ("leads", (("channel", "webinar"),)),
        ("mqls", (("segment", "enterprise"),)),
        ("deals", ()),
        ("opportunities", (("channel", "paid_ads"),)),
        ("leads", (("campaign", first_campaign),)),
    ]:
        extra = "".join(f"&{d}={v}" for d, v in filt)
        card = ja.get(f"/api/kpi/{kpi}?period={MONTH}{extra}").json()["current"]
        query = MetricQuery(
            (kpi,), period.grain, period.start, period.start, as_of=web_ws.today(), filters=filt
        )
        engine_value = float(engine.compute(query)["value"].iloc[0])
        data = api(ja, f"kpi={kpi}&period={MONTH}{extra}&size=200")
        ids = []
        for page in range(1, data["pages"] + 1):
            ids += [
                r["cells"].get("lead_id") or r["cells"].get("opportunity_id")
                for r in api(ja, f"kpi={kpi}&period={MONTH}{extra}&size=200&page={page}")["rows"]
            ]
        assert len(ids) == len(set(ids)) == data["count"] == card["actual"] == engine_value, (
            kpi,
            filt,
        )


def test_channel_and_funnel_numbers_link_to_their_records(ja: TestClient) -> None:
    channels = ja.get(f"/api/channels?period={MONTH}").json()
    page = ja.get(f"/channels?period={MONTH}").text
    links = drill_links(page)
    checked = 0
    for row in channels["rows"]:
        for column in ("leads", "deals", "spend", "revenue"):
            wanted = [
                u
                for u in links
                if parse_qs(urlsplit(u).query).get("channel") == [row["channel"]]
                and (
                    parse_qs(urlsplit(u).query).get("kpi") == [column]
                    or parse_qs(urlsplit(u).query).get("measure") == [column]
                )
            ]
            if row.get(column) is None:
                continue
            assert len(wanted) == 1, (row["channel"], column)
            data = api(ja, urlsplit(wanted[0]).query)
            m = data["measures"][0]
            assert (m["count"] if m["agg"] == "count" else m["total"]) == pytest.approx(row[column])
            checked += 1
    assert checked >= 8
    for view in ("period", "cohort"):
        funnel = ja.get(f"/api/funnel?period={MONTH}&view={view}").json()
        page = ja.get(f"/funnel?period={MONTH}&view={view}").text
        stage_links = {
            parse_qs(urlsplit(u).query)["kpi"][0]: u
            for u in drill_links(page)
            if "channel" not in parse_qs(urlsplit(u).query)
        }
        for stage in funnel["stages"]:
            if stage["value"] is None:
                continue
            data = api(ja, urlsplit(stage_links[stage["stage"]]).query)
            assert data["view"] == view or stage["stage"] == "sessions"
            m = data["measures"][0]
            assert (m["count"] if m["agg"] == "count" else m["total"]) == stage["value"], stage


def test_a_ratio_lists_its_numerator_and_denominator(ja: TestClient) -> None:
    card = ja.get(f"/api/kpi/cac?period={QUARTER}&grain=quarter").json()["current"]
    spend = api(ja, f"kpi=cac&period={QUARTER}&grain=quarter")
    assert [(m["measure"], m["role"]) for m in spend["measures"]] == [
        ("spend", "numerator"),
        ("deals", "denominator"),
    ]
    assert spend["measure"] == "spend" and spend["table"] == "spend"
    deals = api(ja, f"kpi=cac&measure=deals&period={QUARTER}&grain=quarter")
    assert deals["table"] == "opportunities" and deals["count"] == listed(spend, "deals")["count"]
    assert spend["total"] / deals["count"] == pytest.approx(card["actual"])
    page = ja.get(f"/records?kpi=cac&period={QUARTER}&grain=quarter").text
    assert "分子" in page and "分母" in page and "measure=deals" in page


# ---------------------------------------------------------------------- the list
def test_pages_do_not_overlap_and_sorting_orders_the_rows(ja: TestClient) -> None:
    base = f"kpi=leads&period={QUARTER}&grain=quarter&size=25"
    first = api(ja, base)
    assert first["count"] > 25 and first["pages"] == -(-first["count"] // 25)
    seen: list[str] = []
    for page in range(1, first["pages"] + 1):
        rows = api(ja, f"{base}&page={page}")["rows"]
        assert len(rows) == (25 if page < first["pages"] else first["count"] - 25 * (page - 1))
        seen += [r["cells"]["lead_id"] for r in rows]
    assert len(seen) == len(set(seen)) == first["count"]
    created = [r["cells"]["created_at"] for r in first["rows"]]
    assert created == sorted(created, reverse=True)  # newest first by default
    scores = [r["cells"]["score"] for r in api(ja, f"{base}&sort=score&order=asc")["rows"]]
    assert scores == sorted(scores) and scores[0] <= scores[-1]
    deals = api(ja, f"kpi=revenue&period={QUARTER}&grain=quarter&sort=amount&order=desc")
    amounts = [r["cells"]["amount"] for r in deals["rows"]]
    assert amounts == sorted(amounts, reverse=True)
    assert sum(r["value"] for r in deals["rows"]) == pytest.approx(deals["total"])
    beyond = api(ja, f"{base}&page=999")
    assert beyond["page"] == first["pages"]  # a page past the end shows the last one


def test_the_page_reads_in_japanese_with_channel_names_and_a_way_back(
    ja: TestClient, web_ws: Workspace
) -> None:
    page = ja.get(f"/records?kpi=leads&period={MONTH}&back=/channels?period={MONTH}")
    assert page.status_code == 200
    text = visible_text(page.text)
    for label in (
        "作成日時",
        "チャネル",
        "キャンペーン",
        "リード（CRM ID）",
        "会社",
        "戻る",
        "明細",
    ):
        assert label in text, label
    for raw in ("lead_id", "created_at", "campaign_id", "owned_media", "paid_ads", "(none)"):
        assert raw not in text, raw
    assert 'href="/channels?period=2026-10"' in page.text  # back to where the reader was
    first = ja.get(f"/api/records?kpi=leads&period={MONTH}").json()["rows"][0]["cells"]
    day, time = first["created_at"].split("T")  # local business time, shown as it is stored
    assert f"{day.replace('-', '/')} {time[:5]}" in text
    own = data_words(web_ws) | {"English"}  # the company's own data; the language switch
    assert not leaks(text, own), leaks(text, own)
    sorted_page = ja.get(f"/records?kpi=deals&period={QUARTER}&grain=quarter&sort=amount").text
    assert 'aria-sort="descending"' in sorted_page and "受注" in sorted_page


def test_the_page_reads_in_english(en: TestClient) -> None:
    page = en.get(f"/records?kpi=revenue&period={QUARTER}&grain=quarter").text
    text = visible_text(page)
    for label in ("Opportunity (CRM ID)", "Amount", "Closed", "Channel", "Back", "records"):
        assert label in text, label
    assert "作成日時" not in text and "受注金額" not in text


def test_an_unsafe_back_link_is_replaced_by_the_kpi_page(ja: TestClient) -> None:
    for back in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        page = ja.get(f"/records?kpi=leads&period={MONTH}&back={quote(back, safe='')}").text
        back_link = re.search(r'<a href="([^"]*)" data-testid="records-back"', page)
        assert back_link and back_link[1] == f"/kpi/leads?period={MONTH}"
        assert not re.search(r'href="(//|https?://evil|javascript:)', page)


def test_what_has_no_records_says_so_in_the_readers_language(ja: TestClient) -> None:
    page = ja.get("/records?kpi=nps")
    assert page.status_code == 400 and "明細はありません" in page.text
    assert ja.get("/api/records?kpi=ltv").status_code == 400
    assert ja.get("/api/records?kpi=nosuchkpi").status_code == 400
    assert ja.get("/api/records?kpi=leads&page=x").status_code == 400
    # the KPI page of a number with no list (LTV: states inside a product of ratios) shows
    # no link rather than a wrong one; a state (MRR) links to what makes it up
    for kpi, linked in (("ltv", False), ("ltv_cac", False), ("mrr", True)):
        head = ja.get(f"/kpi/{kpi}").text.split('data-testid="kpi-title"')[1].split("<h3>")[0]
        assert ("/records?" in head) is linked, kpi


# ---------------------------------------------------------------------- states at period end
@pytest.mark.parametrize(
    "filters",
    [f"period={MONTH}", f"period={QUARTER}&grain=quarter", f"period={MONTH}&segment=smb"],
)
def test_a_state_lists_what_makes_it_up_at_the_period_end(
    ja: TestClient, web_ws: Workspace, filters: str
) -> None:
    """Pipeline, customers and MRR (and the ratios over them) list the open opportunities or
    the customer accounts as they stood at the period's end: their count or sum is the card."""
    end = web_ws.period(parse_qs(filters)["period"][0]).last_day.isoformat()
    for kpi in ("pipeline_value", "customers", "mrr", "arpa", "nrr", "logo_churn_rate"):
        card = ja.get(f"/api/kpi/{kpi}?{filters}").json()["current"]
        page = ja.get(f"/kpi/{kpi}?{filters}").text
        (link,) = [u for u in drill_links(page) if f"kpi={kpi}&" in u or u.endswith(kpi)][:1]
        data = api(ja, urlsplit(link).query + "&size=200")
        assert data["state_on"] == end
        card_matches_records(data, card["actual"])
        if kpi == "pipeline_value":  # open new business on the last day, and only those
            for row in data["rows"]:
                cells = row["cells"]
                assert cells["type"] == "new_business" and cells["created_at"][:10] <= end
                assert cells["closed_at"] is None or cells["closed_at"][:10] > end
        if kpi == "customers":
            assert all(r["cells"]["mrr_end"] > 0 for r in data["rows"])
            if "segment=smb" in filters:
                assert {r["cells"]["segment"] for r in data["rows"]} <= {"smb"}


def test_a_state_list_reads_in_japanese_and_english(
    ja: TestClient, en: TestClient, web_ws: Workspace
) -> None:
    page = ja.get(f"/records?kpi=mrr&period={MONTH}").text
    text = visible_text(page)
    for label in ("期首のMRR", "期末のMRR", "会社", "期末時点の状態"):
        assert label in text, label
    own = data_words(web_ws) | {"English"}
    assert not leaks(text, own), leaks(text, own)
    pipeline = visible_text(ja.get(f"/records?kpi=pipeline_value&period={MONTH}").text)
    assert "ステージと完了日は現在のもの" in pipeline
    opportunities = web_ws.warehouse.con.table("opportunities").select("opportunity_id", "name")
    for row in opportunities.to_pyarrow().to_pylist():  # the CRM's own ids and deal names
        own |= {row["opportunity_id"], *re.findall(r"[A-Za-z][\w-]*", row["name"] or "")}
    assert not leaks(pipeline, own), leaks(pipeline, own)
    english = visible_text(en.get(f"/records?kpi=customers&period={MONTH}").text)
    assert "MRR at the period end" in english and "期末" not in english
    # the download holds the same accounts, their MRR at the end adding up to the card
    download = ja.get(f"/export/records.csv?kpi=mrr&period={MONTH}")
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert table[0] == ["会社", "セグメント", "期首のMRR", "期末のMRR"]
    card = ja.get(f"/api/kpi/mrr?period={MONTH}").json()["current"]
    assert sum(float(r[3]) for r in table[1:]) == pytest.approx(card["actual"])


def test_every_tree_node_links_to_its_records(ja: TestClient) -> None:
    """The KPI tree's numbers open their records with the tree's period and filters."""
    for filters in (f"period={MONTH}", f"period={MONTH}&channel=webinar"):
        nodes = {n["kpi"]: n for n in ja.get(f"/api/tree?{filters}").json()["nodes"]}
        page = ja.get(f"/tree?{filters}").text
        found = re.findall(r'<a href="(/records\?[^"]+)" class="drill"[^>]*tree-drill-(\w+)', page)
        assert len(found) >= 4, page[:300]
        for url, kpi in found:
            query = parse_qs(urlsplit(html.unescape(url)).query)
            for key, values in parse_qs(filters).items():
                assert query[key] == values, (key, url)
            assert query["back"][0].startswith("/tree")
            data = api(ja, urlsplit(html.unescape(url)).query)
            card_matches_records(data, nodes[kpi]["actual"])


# ---------------------------------------------------------------------- permissions
def test_anonymous_callers_are_sent_to_the_login(clients: dict[str, TestClient]) -> None:
    anonymous = clients["anonymous"]
    page = anonymous.get(f"/records?kpi=leads&period={MONTH}", follow_redirects=False)
    assert page.status_code in (302, 303, 307) and "/login" in page.headers["location"]
    assert anonymous.get(f"/api/records?kpi=leads&period={MONTH}").status_code == 401
    download = anonymous.get(
        f"/export/records.csv?kpi=leads&period={MONTH}", follow_redirects=False
    )
    assert download.status_code in (302, 303, 307, 401)
    for role in ("viewer", "editor", "admin"):
        assert clients[role].get(f"/api/records?kpi=leads&period={MONTH}").status_code == 200


# ---------------------------------------------------------------------- downloads
def test_the_list_downloads_as_csv_and_xlsx_with_every_record(ja: TestClient) -> None:
    query = f"kpi=leads&period={QUARTER}&grain=quarter&channel=webinar&size=25"
    data = api(ja, query)
    page = ja.get(f"/records?{query}").text
    csv_link = html.unescape(re.search(r'href="(/export/records\.csv\?[^"]+)"', page)[1])  # type: ignore[index]
    response = ja.get(csv_link)
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["リード（CRM ID）", "作成日時", "MQL化日時"]
    assert len(rows) - 1 == data["count"] > 25  # every page, not only the first
    assert {r[rows[0].index("チャネル")] for r in rows[1:]} == {"ウェビナー"}
    assert [r[0] for r in rows[1:26]] == [r["cells"]["lead_id"] for r in data["rows"]]
    book = load_workbook(io.BytesIO(ja.get(csv_link.replace(".csv", ".xlsx")).content))
    sheet = book.worksheets[0]
    assert sheet.title == "リード数" or "リード" in sheet.title
    assert sheet.max_row - 1 == data["count"]
    deals = ja.get(f"/export/records.csv?kpi=revenue&period={QUARTER}&grain=quarter")
    table = list(csv.reader(io.StringIO(deals.content.decode("utf-8-sig"))))
    amounts = [float(r[table[0].index("金額")]) for r in table[1:]]
    card = ja.get(f"/api/kpi/revenue?period={QUARTER}&grain=quarter").json()["current"]
    assert sum(amounts) == pytest.approx(card["actual"])


# ---------------------------------------------------------------------- user dimensions, CRM links
def test_user_dimensions_and_crm_links(tmp_path: Path) -> None:
    """A d_<name> filter narrows the records as it narrows the card; a record links to the CRM
    through record_links, and only to a safe address."""
    ws = Workspace.init(
        tmp_path / "ws",
        WorkspaceConfig(
            language="ja",
            record_links={"opportunities": "https://crm.example.com/opportunity/{id}/view"},
        ),
    )
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ["商談ID", "フェーズ", "受注金額", "商談開始日", "受注日", "商品"],
            ["O1", "受注", "120万円", "2026/8/1", "2026/9/5", "Cloud"],
            ["O2", "失注", "30万円", "2026/8/2", "2026/9/6", "Cloud"],
            ["O3 x/y", "成約", "80万円", "2026/8/3", "2026/9/20", "On-prem"],
            ["O4", "受注", "50万円", "2026/8/4", "2026/9/21", "Cloud"],
        ]
    )
    (tmp_path / "o.csv").write_bytes(out.getvalue().encode("cp932"))
    ws.ingest.import_file("opportunities", tmp_path / "o.csv")
    Accounts(ws.appdb).create_user("boss", PASSWORD, role="admin")
    client = login(TestClient(create_app(ws)), "boss")
    for product, ids in (("Cloud", {"O1", "O4"}), ("On-prem", {"O3 x/y"})):
        card = client.get(f"/api/kpi/deals?period=2026-09&d_product={product}").json()["current"]
        data = api(client, f"kpi=deals&period=2026-09&d_product={product}")
        assert {r["cells"]["opportunity_id"] for r in data["rows"]} == ids
        assert data["count"] == card["actual"] == len(ids)
    page = client.get("/records?kpi=deals&period=2026-09").text
    assert 'href="https://crm.example.com/opportunity/O3%20x%2Fy/view"' in page
    assert 'rel="noopener noreferrer"' in page
    ws.close()
    with pytest.raises(ValueError):
        WorkspaceConfig(record_links={"leads": "javascript:alert(1)//{id}"})


def test_safe_link_lets_through_only_plain_web_addresses() -> None:
    assert safe_link("https://crm.example.com/lead/1") == "https://crm.example.com/lead/1"
    assert safe_link("http://crm.local/lead/1") == "http://crm.local/lead/1"
    for bad in (
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.example/x",
        "https://user:pw@crm.example.com/",
        "https://crm.example.com/a b",
        "https:\\\\evil.example",
        "mailto:x@example.com",
        "",
    ):
        assert safe_link(bad) is None, bad


def test_department_cards_and_touchpoints_link_to_their_records(ja: TestClient) -> None:
    tables = set()
    for name in ("marketing", "inside_sales", "sales", "customer_success"):
        cards = ja.get(f"/api/department/{name}?period={QUARTER}&grain=quarter").json()["kpis"]
        page = ja.get(f"/department/{name}?period={QUARTER}&grain=quarter").text
        links = {parse_qs(urlsplit(u).query)["kpi"][0]: u for u in drill_links(page)}
        for card in cards:
            if card["actual"] is None or card["kpi"] not in links:
                continue
            data = api(ja, urlsplit(links[card["kpi"]]).query)
            card_matches_records(data, card["actual"])
            tables |= {m["table"] for m in data["measures"]}
    assert {"leads", "opportunities"} <= tables
    calls = api(ja, f"kpi=call_connect_rate&measure=calls_connected&period={QUARTER}&grain=quarter")
    assert calls["table"] == "touchpoints" and calls["count"] > 0
    assert {r["cells"]["type"] for r in calls["rows"]} == {"call_connected"}
    page = ja.get(
        f"/records?kpi=call_connect_rate&measure=calls_connected&period={QUARTER}&grain=quarter"
    ).text
    assert "通話（接続）" in page and "call_connected" not in visible_text(page)


@pytest.mark.parametrize("view", ["period", "cohort"])
def test_every_listable_measure_lists_what_the_engine_counts(web_ws: Workspace, view: str) -> None:
    """For every measure a drill-down can list, with and without a channel filter: the rows are
    as many (a count) or add up to as much (a sum) as the engine's own value."""
    from kaname.dashboard.records import COLUMNS
    from kaname.metrics.measures import MEASURES, EventMeasure

    engine = web_ws.engine()
    period = web_ws.period(QUARTER)
    names = [
        n
        for n, m in MEASURES.items()
        if isinstance(m, EventMeasure) and m.table in COLUMNS and (view == "period" or m.cohort)
    ]
    assert len(names) > (20 if view == "period" else 10)
    for filters in ((), (("channel", "webinar"),)):
        query = MetricQuery(
            (), period.grain, period.start, period.start, view=view, as_of=web_ws.today(),
            filters=filters,
        )  # fmt: skip
        usable = [n for n in names if not filters or "channel" in MEASURES[n].dims]
        values = engine.measures(query, usable).iloc[0]
        for name in usable:
            rows = engine.rows(name, query)
            got = rows.aggregate(n=rows.count(), total=rows._value.sum()).execute().iloc[0]
            total = 0.0 if got["total"] != got["total"] else float(got["total"])
            assert total == pytest.approx(values[name]), (name, filters)
            if MEASURES[name].agg == "count":
                assert got["n"] == values[name], (name, filters)
