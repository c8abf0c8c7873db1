"""Japanese mode shows no English and no internal ids: every page and HTML partial the menu
reaches, walked as the admin of the demo workspace, with its visible text checked word by word;
the charts' axes, the exports and the times shown read in Japanese too (issue 16, part 5)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from urllib.parse import urljoin, urlsplit

from fastapi.testclient import TestClient
from ja_text import leaks, visible_text

from kaname.workspace import Workspace

# Pages that are not the app's own text: the API docs (Swagger UI) and file downloads.
_NOT_PAGES = ("/api", "/static", "/logout", "/reports/", "/export", "/download")
_LINK = re.compile(r'(?:href|hx-get)="([^"#]+)"')

# Words of the vendors' own consoles and APIs that the Sources page quotes verbatim so an
# admin can find them there (scopes, endpoints, menu names); never Kaname's own ids.
VENDOR_TERMS = {
    "ABC-456", "Bulk", "Cloud", "Data", "Extract", "Graph", "IAM", "LaunchPoint", "MCC",
    "OpportunityHistory", "REST", "SOQL", "Sandbox", "ToDo", "Workspace", "YYYY-MM-DD", "act_",
    "ads_read", "adwords", "after", "com", "content", "createdAt", "cursors", "https",
    "industry_segment", "insights", "jobtitle", "limit", "login", "mktorest", "my", "objects",
    "offset", "owners", "paging", "read", "readonly", "refresh_token", "rest", "rowCount",
    "runReport", "searchStream", "test", "yourcompany",
}  # fmt: skip


def _shape(path: str) -> str:
    """/kpi/leads and /kpi/mqls have one shape; /alerts and /alerts/3 have two."""
    parts = path.strip("/").split("/")
    return "/".join(parts[:1] + ["*" for _ in parts[1:]])


def crawl(client: TestClient, start: str = "/", limit: int = 200) -> dict[str, str]:
    """url → HTML of every page and partial reachable by links and hx-get from `start` (one
    page of each shape: a KPI page stands for all KPI pages)."""
    seen: dict[str, str] = {}
    shapes: set[str] = set()
    todo = [start]
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        r = client.get(url)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            seen[url] = ""
            continue
        seen[url] = r.text
        for href in _LINK.findall(r.text):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            shape = _shape(parts.path)
            if path.startswith(_NOT_PAGES) or path in seen or shape in shapes:
                continue
            shapes.add(shape)
            todo.append(path)
    return seen


def data_words(ws: Workspace) -> set[str]:
    """What the demo company's own data names in Latin letters: its name, its users, its plan,
    its campaign ids and sales reps (AE-05). A company's data is shown as it is."""
    words = set(re.findall(r"[A-Za-z][\w-]*", ws.config.name))
    words |= {"admin", "editor", "viewer", "marketer", "demo"}
    from kaname.auth.accounts import Accounts

    # the user names people chose (other tests add theirs: export_en, layout_ja)
    words |= {str(u["username"]) for u in Accounts(ws.appdb).users()}
    words.add("demo-fy2026")  # the plan's name, which its author chose
    con = ws.warehouse.con
    for table, column in (
        ("campaigns", "campaign_id"),
        ("leads", "owner"),
        ("opportunities", "owner"),
        ("leads", "lead_id"),  # record ids a merge names (the data's own keys)
        ("accounts", "account_id"),
    ):
        values = con.table(table).select(column).distinct().to_pyarrow().column(0).to_pylist()
        words |= {str(v) for v in values if v}
    for table, column in (("campaigns", "name"), ("leads", "email")):  # the drill-down lists
        values = con.table(table).select(column).distinct().to_pyarrow().column(0).to_pylist()
        words |= {w for v in values if v for w in re.findall(r"[A-Za-z][\w-]*", str(v))}
    for action in ws.act.actions():  # what the team called its actions, as they typed it
        typed = " ".join(
            str(action.get(k) or "") for k in ("title", "owner", "hypothesis", "learnings")
        )
        words |= set(re.findall(r"[A-Za-z][\w-]*", typed))
        words |= {w.lower() for w in re.findall(r"[A-Za-z][\w-]*", typed)}
    # what the team typed elsewhere: its settings (rule and channel names), alert notes and
    # delivery errors, review decision notes (other tests leave theirs: "MQLs below 50")
    typed = [json.dumps(ws.config.model_dump(mode="json"), ensure_ascii=False)]
    typed += [json.dumps(a, default=str, ensure_ascii=False) for a in ws.act.alerts()]
    typed += [str(d.get("note") or "") for d in ws.act.review_decisions()]
    # the delivery channels and subjects the team named ("ops"), and the errors receivers gave
    typed += [json.dumps(d, default=str, ensure_ascii=False) for d in ws.act.deliveries()]
    for text in typed:
        words |= set(re.findall(r"[A-Za-z][\w-]*", text))
    words.add("HTTP")  # a failed delivery quotes the receiver's HTTP status
    for merge in ws.ingest.merges():  # ids merged away are still named in the merge log
        words |= {str(v) for v in (merge["kept"], *merge["merged"])}
    return words


def test_japanese_pages_show_no_english(clients: dict[str, TestClient], web_ws: Workspace) -> None:
    client = clients["admin"]
    pages = crawl(client)
    assert {"/executive", "/tree", "/tactics", "/actions", "/settings", "/sources"} <= set(pages)
    assert any(u.startswith("/kpi/") for u in pages)
    # The language switch names the other language; the API help quotes the HTTP header.
    allowed = data_words(web_ws) | {"English", "Authorization", "Bearer"}
    found: dict[str, set[str]] = {}
    lines = []
    for url, html in pages.items():
        extra = allowed | (VENDOR_TERMS if url.startswith("/sources") else set())
        text = visible_text(html)
        words = leaks(text, extra)
        if words:
            found[url] = words
            for word in sorted(words):  # where each leak is, to find its template
                at = text.find(word)
                lines.append(f"{url}: {word!r} in …{text[max(0, at - 50) : at + 50]}…")
    report = "\n".join(lines)
    assert not found, f"English or internal ids on Japanese pages:\n{report}"


def test_the_leak_check_catches_what_the_issue_saw() -> None:
    """The check itself: each leak the issue listed fails it; Japanese text and brands pass."""
    for text in (
        "deals が 0",
        "セグメント smb",
        "重要度 warning",
        "チャネル (none)",
        "LTV:CAC 58.3 meets the 3:1 guideline",
        "1 new alerts",
    ):
        assert leaks(text), text
    assert not leaks("HubSpot と Salesforce の KPI（CPA・LTV）を Excel と PDF に 2026年度")


def test_segments_severities_and_missing_channels_read_in_japanese(
    clients: dict[str, TestClient],
) -> None:
    page = visible_text(clients["admin"].get("/kpi/leads").text)
    assert "中小企業" in page and "大企業" in page
    assert "smb" not in page and "enterprise" not in page
    alerts = visible_text(clients["admin"].get("/alerts").text)
    assert "重大" in alerts and "Critical" not in alerts


def test_the_tree_writes_its_relations_as_formulas(clients: dict[str, TestClient]) -> None:
    html = clients["admin"].get("/tree").text
    relation = re.search(r'data-testid="relation-revenue">([^<]+)<', html)
    assert relation, "the KGI's relation is missing"
    assert relation[1].strip() == "新規受注金額 = 受注数 × 平均受注単価"


def test_pdca_actions_and_tactics_have_different_names(clients: dict[str, TestClient]) -> None:
    html = clients["admin"].get("/executive").text
    nav = html[html.index('<nav id="nav"') : html.index("</nav>")]
    assert ">改善アクション<" in nav and ">施策別KPI<" in nav
    assert ">施策<" not in nav


def test_audit_log_reads_in_words_and_local_time(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    from kaname.auth.accounts import Accounts

    entry = Accounts(web_ws.appdb).audit_log(1)[0]
    page = clients["admin"].get("/settings").text
    audit = visible_text(page[page.index('data-testid="audit"') :])
    assert "session.login" not in audit and "user.create" not in audit
    assert "ログイン" in audit
    at = (
        entry["at"]
        if isinstance(entry["at"], dt.datetime)
        else dt.datetime.fromisoformat(entry["at"])
    )
    tokyo = (at + dt.timedelta(hours=9)).strftime("%Y/%m/%d %-H:%M")
    assert f"{tokyo}" in audit and "JST" in audit  # shown in Asia/Tokyo, not UTC


# ------------------------------------------------------------------------------- charts
def test_money_charts_tick_in_man_and_oku_yen() -> None:
    from kaname.web import charts
    from kaname.web.i18n import translator

    data = {
        "name": "新規受注金額",
        "unit": "currency",
        "grain": "month",
        "points": [
            {"period": "2026-01", "actual": 2_000_000.0, "target": 150_000_000.0,
             "previous_year": None},
            {"period": "2026-02", "actual": 80_000_000.0, "target": None, "previous_year": None},
        ],
    }  # fmt: skip
    fig = json.loads(charts.trend(data, "JPY", "ja", translator("ja")))
    ticks = fig["layout"]["yaxis"]["ticktext"]
    assert ticks[0] == "0円" and "5,000万円" in ticks and "1億円" in ticks
    assert not any("M" in t or "JPY" in t for t in ticks)
    assert fig["data"][0]["x"] == ["2026年1月", "2026年2月"]
    weekly = dict(data, grain="week", unit="count")
    weekly["points"] = [dict(p, period="FY2026-W14") for p in data["points"][:1]]
    fig = json.loads(charts.trend(weekly, "JPY", "ja", translator("ja")))
    assert fig["data"][0]["x"] == ["2026年度 第14週"]
    english = json.loads(charts.trend(data, "JPY", "en", translator("en")))
    assert english["data"][0]["x"] == ["Jan 2026", "Feb 2026"]
    assert english["layout"]["yaxis"]["tickprefix"] == "¥"


def test_yen_ticks() -> None:
    from kaname.web.charts import yen_tick

    assert yen_tick(0) == "0円"
    assert yen_tick(2_000_000) == "200万円"
    assert yen_tick(150_000_000) == "1.5億円"
    assert yen_tick(12_500) == "1.25万円"


# ------------------------------------------------------------------------------ exports
def test_exports_read_in_japanese(web_ws: Workspace) -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(web_ws.act.report("2026-10", "xlsx", language="ja")))
    assert book.sheetnames == [
        "サマリー",
        "ファネル",
        "チャネル別",
        "キャンペーン別",
        "改善アクション",
    ]
    channels = book["チャネル別"]
    head = [c.value for c in channels[1]]
    assert head[:2] == ["チャネル", "KPI"]
    values = {r[0] for r in channels.iter_rows(min_row=2, values_only=True)}
    assert "オウンドメディア・SEO" in values and "owned_media" not in values
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not leaks(value, data_words(web_ws)), (sheet.title, value)
    html = web_ws.act.report("2026-10", "html", language="ja").decode()
    text = visible_text(html)
    assert "2026年10月" in text and "owned_media" not in text
    assert not leaks(text, data_words(web_ws) | {"KPI"}), sorted(leaks(text, data_words(web_ws)))


# ------------------------------------------------------------------------------ English
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def test_english_mode_shows_no_japanese_of_its_own(app, web_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """The same pages in English: the app's own words (menu, labels, statuses, severities,
    audit log, relations) carry no Japanese; only the company's data may (its name, the plan's
    KSFs and owners, which their authors wrote in Japanese)."""
    from kaname.auth.accounts import Accounts
    from web_helpers import PASSWORD, csrf_of, login

    Accounts(web_ws.appdb).create_user("reader_en", PASSWORD, role="admin", department="executive")
    client = login(TestClient(app), "reader_en")
    client.post("/account/language", data={"language": "en", "csrf_token": csrf_of(client)})
    data = {web_ws.config.name, "要", "日本語"}  # the company, the brand, the language switch
    for url in ("/alerts", "/quality", "/import", "/tactics", "/sources"):
        text = visible_text(client.get(url).text)
        for word in data:
            text = text.replace(word, "")
        text = re.sub(r"\S+\.(?:csv|xlsx)", "", text)  # the users' own file names
        found = _CJK.findall(text)
        at = _CJK.search(text)
        assert not found, (url, text[max(0, at.start() - 60) : at.start() + 40] if at else "")
    tree = client.get("/tree").text
    relation = re.search(r'data-testid="relation-revenue">([^<]+)<', tree)
    assert relation and relation[1].strip() == "New revenue = Deals won × Average deal size"


def test_planner_checks_and_alert_counts_read_in_japanese() -> None:
    from kaname.web.i18n import translator
    from kaname.web.notes import explain

    ja, en = translator("ja"), translator("en")
    assert explain("LTV:CAC 58.3 meets the 3:1 guideline (CAC ≤ LTV ÷ 3)", ja) == (
        "LTV:CAC は 58.3 で、3:1 の目安を満たしています（CAC ≤ LTV ÷ 3）。"
    )
    high = "LTV:CAC 33.1 is implausibly high (over 10:1): check the LTV assumption and that "
    assert not leaks(explain(high + "CAC counts every acquisition cost", ja))
    budget = "the cheapest channel mix costs 8,282,394, which exceeds the budget of 5,000,000"
    assert explain(budget, ja).endswith("予算 5,000,000 を超えます。")
    assert explain("1 new alerts", ja) == "新しいアラート 1 件"
    assert explain("1 new alerts", en) == "1 new alert"
    assert explain("3 new alerts (by admin)", en) == "3 new alerts"
    plan = explain("no applied plan; apply one with `kaname plan apply`", ja)
    assert plan.startswith("適用中の計画がありません")
