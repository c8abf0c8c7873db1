"""Cohort matrices and RFM segments on small hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kaname.analytics.cohorts import customer_cohorts, lead_cohorts, matrix
from kaname.analytics.rfm import rfm_table, seed_segments, segment_movement, segment_summary


def test_lead_cohorts_cumulative_and_unobserved() -> None:
    t = pd.Timestamp
    leads = pd.DataFrame(
        {
            "created_at": [t("2025-01-05"), t("2025-01-20"), t("2025-02-03"), t("2025-01-30")],
            "mql_at": [t("2025-01-10"), t("2025-03-01"), None, None],
            "sql_at": [t("2025-02-01"), None, None, None],
            "opportunity_at": [None, None, None, None],
            "deal_at": [None, None, None, None],
        }
    )
    frame = lead_cohorts(leads, "2025-03-15", months=3)
    mql = matrix(frame, "rate", "mql")
    assert mql.loc["2025-01"].tolist()[:3] == pytest.approx([1 / 3, 1 / 3, 2 / 3])
    assert np.isnan(mql.loc["2025-01", 3])  # April has not happened yet
    assert mql.loc["2025-02", 0] == 0
    assert matrix(frame, "rate", "sql").loc["2025-01", 1] == pytest.approx(1 / 3)


def test_customer_cohorts_logo_and_revenue_retention() -> None:
    subs = pd.DataFrame(
        {
            "account_id": ["a", "b", "b", "c"],
            "mrr": [100.0, 100.0, 300.0, 50.0],
            "start_date": pd.to_datetime(["2025-01-10", "2025-01-15", "2025-03-01", "2025-02-01"]),
            "end_date": pd.to_datetime(["2025-02-20", "2025-03-01", None, None]),
        }
    )
    frame = customer_cohorts(subs, "2025-04-30", months=3).set_index(["cohort", "months_since"])
    jan = frame.loc["2025-01"]
    assert jan["customers"].tolist() == [2, 2, 2, 2]
    assert jan["logo_retention"].tolist() == pytest.approx([1.0, 0.5, 0.5, 0.5])
    assert jan["revenue_retention"].tolist() == pytest.approx([1.0, 0.5, 1.5, 1.5])
    assert np.isnan(frame.loc[("2025-02", 3), "logo_retention"])


def transactions() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(100):
        for _ in range(1 + i % 7):
            day = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
            rows.append({"customer_id": f"c{i}", "date": day, "amount": float(10 + i)})
    return pd.DataFrame(rows)


def test_rfm_scores_are_quintiles() -> None:
    table = rfm_table(transactions(), "2026-01-01")
    assert len(table) == 100
    for score in ("r", "f", "m"):
        assert table[score].value_counts().sort_index().tolist() == [20] * 5
    # The largest spender scores 5 on M; the most recent buyer 5 on R.
    assert table.loc[table["monetary"].idxmax(), "m"] == 5
    assert table.loc[table["recency_days"].idxmin(), "r"] == 5
    summary = segment_summary(table)
    assert summary["customers"].sum() == 100
    assert summary["revenue_share"].sum() == pytest.approx(1)


def test_seed_segments() -> None:
    r = pd.Series([5, 2, 5, 1, 3])
    f = pd.Series([5, 5, 1, 4, 3])
    m = pd.Series([4, 5, 5, 2, 3])
    assert seed_segments(r, f, m).tolist() == [
        "loyal",
        "growing",
        "new_high_value",
        "dormant",
        "other",
    ]


def test_segment_movement_counts_everyone() -> None:
    data = transactions()
    before = rfm_table(data, "2025-07-01")
    after = rfm_table(data, "2026-01-01")
    moves = segment_movement(before, after)
    assert moves["customers"].sum() == len(before.index.union(after.index))
    assert "lost" not in set(moves["to"])  # nobody disappears: purchases only accumulate
