"""Every dashboard table downloads as CSV (UTF-8 with BOM) and xlsx with the page's filters:
read back, the numbers are the JSON twin's, headers read in the user's language, no internal
ids, formula-like text neutralised; charts save as PNG with words in the page's language."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from kaname.canonical.channels import channel as channel_info
from kaname.spreadsheet import Table, table_csv, tables_xlsx
from kaname.web.i18n import translator
from web_helpers import PASSWORD, csrf_of, login

Rows = list[list[Any]]
JA = translator("ja")


@pytest.fixture(scope="module")
def ja(app) -> TestClient:  # type: ignore[no-untyped-def]
    client = login(TestClient(app), "viewer")
    client.cookies.set("kaname_lang", "ja")
    return client


@pytest.fixture(scope="module")
def en(app, web_ws) -> TestClient:  # type: ignore[no-untyped-def]
    """A viewer of its own whose stored language is English (whatever other tests set)."""
    from kaname.auth.accounts import Accounts

    accounts = Accounts(web_ws.appdb)
    if not any(u["username"] == "export_en" for u in accounts.users()):
        accounts.create_user("export_en", PASSWORD, role="viewer")
    client = login(TestClient(app), "export_en")
    client.post("/account/language", data={"language": "en", "csrf_token": csrf_of(client)})
    return client


def read_csv(client: TestClient, url: str) -> Rows:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would garble Japanese"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(client: TestClient, url: str) -> dict[str, Rows]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    book = load_workbook(io.BytesIO(response.content))
    return {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in book.worksheets}


def num(cell: Any) -> float | None:
    """A cell read back as a number (CSV text or xlsx value); None for an empty cell."""
    if cell in ("", None):
        return None
    return float(cell)


def same(got: Rows, expected: Rows) -> None:
    """Rows equal: text exactly, numbers to the last digit a float carries."""
    assert len(got) == len(expected), (got, expected)
    for g_row, e_row in zip(got, expected, strict=True):
        assert len(g_row) == len(e_row), (g_row, e_row)
        for g, e in zip(g_row, e_row, strict=True):
            if isinstance(e, str):
                assert g == e, (g_row, e_row)
            elif e is None:
                assert num(g) is None, (g_row, e_row)
            else:
                assert num(g) == pytest.approx(e, rel=1e-12, abs=1e-12), (g_row, e_row)


def label(channel: str, lang: str = "ja") -> str:
    found = channel_info(channel)
    return found.name_ja if lang == "ja" else found.name_en


def api(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return response.json()


# ---------------------------------------------------------------------- expected tables
def channels_rows(data: dict[str, Any], lang: str = "ja") -> Rows:
    rows = sorted(data["rows"], key=lambda r: (r["revenue"] is None, -(r["revenue"] or 0)))
    return [[label(r["channel"], lang)] + [r[c] for c in data["columns"]] for r in rows]


def kpi_rows(cards: list[dict[str, Any]]) -> Rows:
    return [
        [r["name"], r["actual"], r["target"], r["achievement"], r["projection"], r["previous_year"]]
        for r in cards
    ]


PAGES: dict[str, tuple[str, str, str, Callable[[Any], Rows]]] = {
    # name: (export path and table, JSON twin, query, expected rows from the JSON)
    "executive": (
        "executive",
        "/api/executive",
        "table=kpis",
        lambda d: kpi_rows(([d["kgi"]] if d["kgi"] else []) + d["kpis"]),
    ),
    "department": (
        "department/marketing",
        "/api/department/marketing",
        "table=kpis",
        lambda d: kpi_rows(d["kpis"]),
    ),
    "channels": ("channels", "/api/channels", "table=channels", channels_rows),
    "funnel": (
        "funnel",
        "/api/funnel",
        "table=stages",
        lambda d: [
            [s["name"], s["value"], s["target"], s["conversion"], s["drop_off"]]
            for s in d["stages"]
        ],
    ),
    "funnel_by_channel": (
        "funnel",
        "/api/funnel",
        "table=by_channel",
        lambda d: [
            [label(c["channel"])] + [s["value"] for s in c["stages"]] for c in d["by_channel"]
        ],
    ),
    "gap": (
        "tree",
        "/api/tree",
        "table=gap&period=2026-10",
        lambda d: [
            [x["name"], x["planned"], x["actual"], x["effect"]] for x in d["bottleneck"]["drivers"]
        ],
    ),
    "attribution": (
        "attribution",
        "/api/attribution",
        "table=credit&model=linear&model=markov&level=lead",
        lambda d: [
            [
                {
                    "linear": JA("Linear"),
                    "markov": JA("Markov chain (order {order})", order=1),
                }[m["model"]],
                label(c),
                d["credit"][m["model"]][c]["conversions"],
                d["credit"][m["model"]][c]["value"],
                d["credit"][m["model"]][c]["share"],
            ]
            for m in d["models"]
            for c in d["channels"]
        ],
    ),
    "cohorts": (
        "cohorts",
        "/api/cohorts",
        "table=lead&stage=opportunity&months=6",
        lambda d: [
            [r, d["lead"]["cohort_sizes"][r], *z]
            for r, z in zip(
                d["lead"]["stages"]["opportunity"]["rows"],
                d["lead"]["stages"]["opportunity"]["z"],
                strict=True,
            )
        ],
    ),
    "rfm": (
        "customers",
        "/api/customers",
        "table=segments&by=rfm_segment",
        lambda d: [
            [
                s["customers"],
                s["share"],
                s["avg_recency_days"],
                s["avg_frequency"],
                s["avg_monetary"],
                s["revenue_share"],
            ]
            for s in d["segments"]
        ],
    ),
}


def _strip(name: str, rows: Rows) -> Rows:
    """The columns the expectation covers: KPI tables drop the status text, RFM the name."""
    if name in ("executive", "department"):
        return [r[:6] for r in rows]
    if name == "rfm":
        return [r[1:] for r in rows]
    return rows


@pytest.mark.parametrize("name", sorted(PAGES))
def test_csv_and_xlsx_read_back_equal_the_json_twin(ja: TestClient, name: str) -> None:
    path, twin, query, expected_of = PAGES[name]
    api_query = "&".join(p for p in query.split("&") if not p.startswith("table="))
    expected = expected_of(api(ja, f"{twin}?{api_query}"))
    assert expected, f"the demo has no rows for {name}: the test would prove nothing"

    rows = read_csv(ja, f"/export/{path}.csv?{query}")
    header, body = rows[0], rows[1:]
    assert all(re.search(r"[぀-ヿ一-鿿]", h) or h == "KPI" for h in header[:1]), header
    same(_strip(name, body), expected)

    sheets = read_xlsx(ja, f"/export/{path}.xlsx?{query}")
    assert len(sheets) == 1
    ((_title, sheet),) = sheets.items()
    assert sheet[0] == header, "the xlsx and CSV headers differ"
    same(_strip(name, sheet[1:]), expected)


def test_japanese_exports_show_no_internal_ids(ja: TestClient) -> None:
    data = api(ja, "/api/channels")
    ids = {r["channel"] for r in data["rows"]} | set(data["columns"])
    rows = read_csv(ja, "/export/channels.csv")
    cells = {c for row in rows for c in row}
    assert not ids & cells, ids & cells
    assert rows[0][0] == "チャネル"
    assert rows[0][1:] == [
        data["names"].get(c) or {"spend": "費用", "revenue_share": "売上構成比"}[c]
        for c in data["columns"]
    ]
    webinar = next(r for r in rows if r[0] == label("webinar"))
    json_webinar = next(r for r in data["rows"] if r["channel"] == "webinar")
    assert num(webinar[1 + data["columns"].index("leads")]) == json_webinar["leads"]
    executive = read_xlsx(ja, "/export/executive.xlsx")
    assert set(executive) == {
        "全社KPI",
        "直近の確定期間：" + api(ja, "/api/executive")["last_complete"]["period"],
    }
    kpi_ids = {r["kpi"] for r in api(ja, "/api/executive")["kpis"]}
    statuses = {"on_track", "at_risk", "off_track", "no_target", "no_data"}
    for sheet in executive.values():
        for row in sheet:
            assert not (kpi_ids | statuses) & set(row), row


def test_english_exports_read_in_english(en: TestClient) -> None:
    data = api(en, "/api/channels")
    rows = read_csv(en, "/export/channels.csv")
    assert rows[0][0] == "Channel"
    same(rows[1:], channels_rows(data, "en"))
    assert "Channels" in read_xlsx(en, "/export/channels.xlsx")


def test_exports_follow_the_page_filters(ja: TestClient) -> None:
    default = read_csv(ja, "/export/channels.csv")
    october = read_csv(ja, "/export/channels.csv?period=2026-10&grain=month")
    assert default != october
    same(october[1:], channels_rows(api(ja, "/api/channels?period=2026-10&grain=month")))
    quarter = read_csv(ja, "/export/funnel.csv?period=FY2026-Q2&grain=quarter&view=cohort")
    data = api(ja, "/api/funnel?period=FY2026-Q2&grain=quarter&view=cohort")
    assert [num(r[1]) for r in quarter[1:]] == [s["value"] for s in data["stages"]]


def test_xlsx_number_formats_and_sheet_names(ja: TestClient) -> None:
    response = ja.get("/export/channels.xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["チャネル"]
    head = [c.value for c in sheet[1]]
    formats = {h: sheet.cell(row=2, column=i + 1).number_format for i, h in enumerate(head)}
    assert formats["新規受注金額"] == '#,##0"円"'
    assert formats["リード獲得数"] == "#,##0"
    funnel = load_workbook(io.BytesIO(ja.get("/export/funnel.xlsx").content))
    assert funnel.sheetnames == ["ファネル", "ステージ間のリードタイム（中央値）", "チャネル別"]
    assert funnel["ファネル"].cell(row=3, column=4).number_format == "0.0%"


def test_every_table_page_links_its_downloads(ja: TestClient) -> None:
    pages = {
        "/executive": ["kpis", "last_complete"],
        "/department/marketing": ["kpis"],
        "/channels?sort=leads": ["channels"],
        "/funnel": ["stages", "lead_times", "by_channel"],
        "/tree?period=2026-10": ["gap"],
        "/attribution?model=linear": ["credit"],
        "/cohorts": ["lead", "logo", "revenue"],
        "/customers": ["segments", "movement"],
    }
    for page, tables in pages.items():
        html = ja.get(page).text
        for table in tables:
            for ext in ("csv", "xlsx"):
                link = re.search(rf'href="([^"]*)"[^>]*data-testid="export-{table}-{ext}"', html)
                assert link, f"{page} has no {ext} link for {table}"
                href = link[1].replace("&amp;", "&")
                query = page.partition("?")[2]
                assert query in href, (page, href)
                assert ja.get(href).status_code == 200, href


def test_downloads_need_a_signed_in_user(clients: dict[str, TestClient]) -> None:
    for url in ("/export/channels.csv", "/export/customers.xlsx"):
        response = clients["anonymous"].get(url, follow_redirects=False)
        assert response.status_code in (303, 401), response.status_code
        assert not response.content.startswith(b"\xef\xbb\xbf")


def test_unknown_exports_say_so_in_japanese(ja: TestClient) -> None:
    assert "表のダウンロードがありません" in ja.get("/export/nothing.csv").text
    assert "表 nope はありません" in ja.get("/export/funnel.csv?table=nope").text
    assert ja.get("/export/channels.pdf").status_code == 400


def test_formula_like_text_is_neutralised_in_csv_and_xlsx() -> None:
    table = Table(
        "t",
        "=シート",
        ["=名前", "値"],
        ["text", "int"],
        [
            ['=HYPERLINK("http://evil","x")', -5],
            ["+cmd|' /C calc'!A0", 3],
            ["@SUM(A1)", None],
            ["-2", 1],
            ["普通の名前", 2],
        ],
    )
    rows = list(csv.reader(io.StringIO(table_csv(table).decode("utf-8-sig"))))
    assert rows[0] == ["'=名前", "値"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://evil","x")',
        "'+cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "-2",
        "普通の名前",
    ]
    assert rows[1][1] == "-5" and rows[3][1] == ""
    sheet = load_workbook(io.BytesIO(tables_xlsx([table], "#,##0"))).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "'=名前"
    assert [r[0] for r in cells[1:]] == [r[0] for r in rows[1:]]
    assert cells[1][1] == -5 and sheet.cell(row=2, column=2).data_type == "n"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_charts_save_as_png_worded_in_the_page_language(ja: TestClient, en: TestClient) -> None:
    def words(client: TestClient) -> dict[str, str]:
        html = client.get("/channels").text
        found = re.search(r"<meta name=\"kaname-chart-words\" content='([^']*)'>", html)
        assert found, "the chart words are missing"
        return dict(json.loads(found[1].replace("&#34;", '"').replace("&amp;", "&")))

    assert words(ja)["Download plot as a PNG"] == "グラフをPNG画像で保存"
    assert words(en)["Download plot as a PNG"] == "Save the chart as PNG"
    script = ja.get("/static/app.js").text
    assert 'toImageButtonOptions: { format: "png"' in script
    assert "locale: chartLocale()" in script


def test_download_names_say_page_table_and_period(ja: TestClient) -> None:
    response = ja.get("/export/department/marketing.xlsx?period=FY2026-Q2&grain=quarter")
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="marketing-FY2026-Q2.xlsx"'
    response = ja.get('/export/channels.csv?table=channels&period="x;y')
    assert response.status_code == 400  # an unreadable period is refused, never echoed raw
