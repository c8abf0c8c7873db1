"""Data-quality findings on a crafted company, and explicit, logged merges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from kaname.config import WorkspaceConfig
from kaname.ingest.quality import normalise_company
from kaname.workspace import Workspace

D = dt.datetime
TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path / "ws", WorkspaceConfig(language="ja", as_of=TODAY))
    wh = workspace.warehouse
    wh.append(
        "accounts",
        pd.DataFrame(
            {
                "account_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
                "name": [
                    "株式会社アルファ",
                    "(株)アルファ",
                    "Beta Inc.",
                    "BETA",
                    "ｶﾞﾝﾏ",
                    "ガンマ株式会社",
                    "Delta Co., Ltd.",
                ],
            }
        ),
    )
    created = D(2025, 4, 1)
    wh.append(
        "leads",
        pd.DataFrame(
            {
                "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6", "L7"],
                "email": ["a@x.jp", " A@X.jp", "b@x.jp", "c@x.jp", "d@x.jp", "e@x.jp", None],
                "channel": ["email", "event", "email", "email", "email", "tv", None],
                "created_at": [created] * 7,
                "mql_at": [None, D(2025, 4, 5), None, None, D(2025, 3, 1), None, None],
                "sql_at": [None, None, None, D(2025, 4, 20), None, None, None],
            }
        ),
    )
    amounts = [1_000_000.0 + 10_000 * i for i in range(25)] + [5e12]
    wh.append(
        "opportunities",
        pd.DataFrame(
            {
                "opportunity_id": [f"O{i}" for i in range(26)],
                "account_id": ["A1"] * 24 + ["ZZ", "A2"],
                "lead_id": ["L2"] + [None] * 25,
                "amount": amounts,
                "created_at": [D(2025, 4, 10)] * 26,
                "closed_at": [D(2025, 4, 1)] + [None] * 25,
            }
        ),
    )
    wh.append(
        "spend",
        pd.DataFrame(
            {
                "date": [dt.date(2025, 4, 1), dt.date(2025, 4, 2)],
                "channel": ["paid_ads", "tv"],
                "campaign_id": ["", ""],
                "cost": [1000.0, 2000.0],
            }
        ),
    )
    wh.append(
        "touchpoints",
        pd.DataFrame(
            {
                "touchpoint_id": ["T1", "T2", "T3"],
                "lead_id": ["L1", "L2", "L2"],
                "occurred_at": [D(2025, 4, 2), D(2025, 4, 3), D(2025, 8, 1)],
                "type": ["visit", "download", "visit"],
            }
        ),
    )
    yield workspace
    workspace.close()


def test_company_names_compare_without_legal_forms_and_width() -> None:
    assert normalise_company("株式会社アルファ") == normalise_company("(株)アルファ")
    assert normalise_company("㈱アルファ") == normalise_company("アルファ 株式会社")
    assert normalise_company("ｶﾞﾝﾏ") == normalise_company("ガンマ株式会社")
    assert normalise_company("Beta Inc.") == normalise_company("BETA")
    assert normalise_company("Ｄｅｌｔａ Co., Ltd.") == normalise_company("delta")
    assert normalise_company("アルファ") != normalise_company("アルファー")


def test_findings_on_the_crafted_company(ws: Workspace) -> None:
    result = ws.ingest.quality()
    found = {f["id"]: f for f in result["findings"]}
    assert found["duplicate_lead_emails"]["count"] == 1
    assert found["duplicate_lead_emails"]["examples"][0]["email"] == "a@x.jp"
    ids = found["duplicate_lead_emails"]["examples"][0]["lead_ids"]
    assert sorted(ids.split(", ")) == ["L1", "L2"]
    assert found["duplicate_companies"]["count"] == 3
    assert found["lead_stage_skipped"]["count"] == 1  # L4: SQL without MQL
    assert found["lead_stage_order"]["count"] == 1  # L5: MQL before created
    assert found["opportunity_stage_order"]["count"] == 1
    assert found["opportunities_without_account"]["examples"][0]["account_id"] == "ZZ"
    assert found["spend_without_channel"]["count"] == 1
    assert found["spend_without_channel"]["severity"] == "error"
    assert found["lead_unknown_channel"]["examples"][0]["channel"] == "tv"
    assert found["missing_leads_channel"]["count"] == 1
    assert found["opportunity_amount_outliers"]["count"] == 1
    assert found["future_touchpoints_occurred_at"]["count"] == 1
    assert found["empty_campaigns"]["severity"] == "info"
    for finding in result["findings"]:
        assert finding["title"]["ja"] and finding["title"]["en"]
        assert finding["fix"]["ja"] and finding["fix"]["en"]
    severities = [f["severity"] for f in result["findings"]]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert "stale_leads" not in found


def test_stage_order_says_which_dates_are_out_of_order_in_each_language(ws: Workspace) -> None:
    found = {f["id"]: f for f in ws.ingest.quality()["findings"]}
    title = found["lead_stage_order"]["title"]
    assert title["ja"] == "ステージの日付の順序がおかしいリード（MQL 日が作成日より前: 1 件）"
    assert title["en"] == "Leads whose stage dates are out of order (MQL before created: 1)"


def test_stale_tables_are_reported(ws: Workspace) -> None:
    found = {f["id"] for f in ws.ingest.quality(stale_days=0)["findings"]}
    assert "stale_leads" in found


def test_merge_is_explicit_logged_and_repoints_references(ws: Workspace) -> None:
    result = ws.ingest.merge("leads", "L1", ["L2"], reason="same person")
    assert result["repointed"] == {"touchpoints.lead_id": 2, "opportunities.lead_id": 1}
    leads = ws.warehouse.table("leads").execute().set_index("lead_id")
    assert "L2" not in leads.index
    assert leads.loc["L1", "mql_at"] == D(2025, 4, 5)  # filled from the merged lead
    assert leads.loc["L1", "channel"] == "email"  # the kept lead's own value wins
    tps = ws.warehouse.table("touchpoints").execute()
    assert set(tps["lead_id"]) == {"L1"}
    log = ws.ingest.merges()
    assert log[0]["kept"] == "L1" and log[0]["merged"] == ["L2"]
    assert log[0]["reason"] == "same person"
    found = {f["id"] for f in ws.ingest.quality()["findings"]}
    assert "duplicate_lead_emails" not in found


def test_merge_refuses_unknown_keys(ws: Workspace) -> None:
    with pytest.raises(ValueError, match="NOPE"):
        ws.ingest.merge("accounts", "A1", ["NOPE"])
    with pytest.raises(ValueError, match="leads"):
        ws.ingest.merge("spend", "x", ["y"])
