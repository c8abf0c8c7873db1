"""The period picker on a pinned clock (KANAME_TODAY=2026-11-20): presets, typed periods, ◀ ▶,
the comparison toggle and periods that cannot be read, shown inside the page."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

PRESETS = {
    "this_month": "2026-11",
    "last_month": "2026-10",
    "this_quarter": "FY2026-Q3",
    "last_quarter": "FY2026-Q2",
    "this_fy": "FY2026",
    "last_fy": "FY2025",
    "last_30_days": "2026-10-22..2026-11-20",
}


def _client(clients: dict[str, TestClient], language: str) -> TestClient:
    client = clients["viewer"]
    client.cookies.set("kaname_lang", language)
    return client


def _period_of(client: TestClient, query: str) -> str:
    response = client.get(f"/api/executive?{query}")
    assert response.status_code == 200, response.text
    return str(response.json()["period"])


@pytest.mark.parametrize(("preset", "label"), sorted(PRESETS.items()))
def test_each_preset_resolves_on_the_workspace_clock(
    clients: dict[str, TestClient], preset: str, label: str
) -> None:
    client = _client(clients, "ja")
    assert _period_of(client, f"period={preset}") == label
    # Picked in the picker's select (the page showed this month before).
    picked = f"shown=&preset={preset}&period=2026年11月&from=2026-11-01&to=2026-11-30"
    assert _period_of(client, picked) == label


def test_japanese_preset_words_are_typed_periods(clients: dict[str, TestClient]) -> None:
    client = _client(clients, "ja")
    assert _period_of(client, "period=前四半期") == "FY2026-Q2"
    assert _period_of(client, "period=直近30日") == "2026-10-22..2026-11-20"


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("2026年11月", "2026-11"),
        ("2026年度 第2四半期", "FY2026-Q2"),
        ("FY2026 Q2", "FY2026-Q2"),
        ("2026年度 第2四半期（7月〜9月）", "FY2026-Q2"),
        ("2026年度 上期", "FY2026-H1"),
    ],
)
def test_typed_periods_as_people_write_them(
    clients: dict[str, TestClient], typed: str, label: str
) -> None:
    client = _client(clients, "ja")
    assert _period_of(client, f"period={typed}") == label
    response = client.get("/executive", params={"period": typed})
    assert response.status_code == 200
    assert 'data-testid="period-error"' not in response.text


def test_the_picker_reads_which_field_changed(clients: dict[str, TestClient]) -> None:
    client = _client(clients, "ja")
    shown = "shown=last_month&preset=last_month&from=2026-10-01&to=2026-10-31"
    # The typed text changed: it wins over the unchanged preset.
    assert _period_of(client, f"{shown}&period=2026年度 上期") == "FY2026-H1"
    # Nothing changed but the dates: a custom range.
    assert (
        _period_of(
            client,
            "shown=last_month&preset=last_month&period=2026年10月&from=2026-10-05&to=2026-10-20",
        )
        == "2026-10-05..2026-10-20"
    )
    # The first day moved past the last: the range is that day.
    moved = "shown=last_month&preset=last_month&period=2026年10月&from=2026-11-05&to=2026-10-31"
    assert _period_of(client, moved) == "2026-11-05..2026-11-05"
    # The custom option with dates.
    assert (
        _period_of(client, "shown=&preset=custom&period=2026年11月&from=2026-09-01&to=2026-09-15")
        == "2026-09-01..2026-09-15"
    )


def _href(text: str, testid: str) -> str:
    found = re.search(rf'href="([^"]+)" data-testid="{testid}"', text)
    assert found, f"no {testid} link"
    return html.unescape(found[1])


@pytest.mark.parametrize(
    ("period", "previous", "following"),
    [
        ("2026-11", "period=2026-10", "period=2026-12"),
        ("FY2026-Q2", "period=FY2026-Q1", "period=FY2026-Q3"),
        (
            "2026-10-22..2026-11-20",
            "period=2026-09-22..2026-10-21",
            "period=2026-11-21..2026-12-20",
        ),
    ],
)
def test_previous_and_next_links_step_by_the_period(
    clients: dict[str, TestClient], period: str, previous: str, following: str
) -> None:
    client = _client(clients, "en")
    page = client.get("/executive", params={"period": period, "channel": "webinar"})
    assert page.status_code == 200
    prev_href, next_href = _href(page.text, "period-prev"), _href(page.text, "period-next")
    assert prev_href.startswith("/executive?") and previous.replace(
        "..", "..", 1
    ) in prev_href.replace("%2E", ".")
    assert following in next_href.replace("%2E", ".")
    assert "channel=webinar" in prev_href  # the other filters stay
    assert _period_of(client, prev_href.split("?", 1)[1]) == previous.split("=", 1)[1]


def test_the_comparison_toggle_changes_what_the_cards_compare_with(
    clients: dict[str, TestClient],
) -> None:
    client = _client(clients, "ja")
    data = client.get("/api/executive?period=2026-10").json()
    kgi = data["kgi"]
    year = client.get("/executive?period=2026-10").text
    before = client.get("/executive?period=2026-10&compare=previous").text
    none = client.get("/executive?period=2026-10&compare=none").text
    marker = f'data-testid="comparison-{kgi["kpi"]}"'
    assert "前年" in year and marker in year
    assert "前期間" in before and marker in before
    assert marker not in none
    # The numbers differ: the previous year's and the previous period's revenue.
    assert kgi["previous"] != kgi["previous_year"]
    kpi_page = client.get(f"/kpi/{kgi['kpi']}?period=2026-10&compare=previous").text
    assert marker in kpi_page and "前期間" in kpi_page


def test_a_bad_period_is_explained_inside_the_page_in_japanese(
    clients: dict[str, TestClient],
) -> None:
    client = _client(clients, "ja")
    response = client.get("/executive", params={"period": "2026年13月", "channel": "webinar"})
    assert response.status_code == 400
    text = response.text
    assert 'data-testid="period-error"' in text
    assert "「2026年13月」は期間として読めません" in text
    assert "2026年度 第2四半期" in text  # the accepted forms, in Japanese
    assert 'data-testid="period-picker"' in text  # the filter bar to correct it
    assert 'value="2026年13月"' in text  # what was typed is kept
    assert 'name="channel" value="webinar"' in text
    assert "cannot read period" not in text and "use one of" not in text
    hx = client.get("/executive?period=nope", headers={"HX-Request": "true"})
    assert hx.status_code == 200 and 'id="page"' in hx.text and "<html" not in hx.text
    assert client.get("/api/executive?period=nope").status_code == 400


def test_a_bad_comparison_is_explained_in_english_for_english_users(  # type: ignore[no-untyped-def]
    app, web_ws
) -> None:
    from kaname.auth.accounts import Accounts
    from web_helpers import PASSWORD, csrf_of, login

    accounts = Accounts(web_ws.appdb)
    if not any(u["username"] == "picker_en" for u in accounts.users()):
        accounts.create_user("picker_en", PASSWORD, role="viewer")
    client = login(TestClient(app), "picker_en")  # its stored language is English
    client.post("/account/language", data={"language": "en", "csrf_token": csrf_of(client)})
    response = client.get("/executive?compare=sideways")
    assert response.status_code == 400
    assert "The address has a comparison this page cannot read: sideways" in response.text


def test_the_comparison_toggle_is_only_where_cards_compare(clients: dict[str, TestClient]) -> None:
    client = _client(clients, "ja")
    assert 'data-testid="compare"' in client.get("/executive").text
    assert 'data-testid="compare"' in client.get("/kpi/revenue").text
    funnel = client.get("/funnel").text
    assert 'data-testid="period-picker"' in funnel and 'data-testid="compare"' not in funnel
