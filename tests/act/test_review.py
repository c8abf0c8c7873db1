"""The KPI review's link to the KGI: direction-aware wording and a significance test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kaname.act.review import _suggest, lead_lag
from kaname.workspace import Workspace

RNG = np.random.default_rng(7)
KGI = list(np.linspace(100, 300, 24) + RNG.normal(0, 10, 24))


def _rec(direction: str = "higher") -> dict[str, object]:
    return {"status": "on_track", "direction": direction}


def test_a_negative_correlation_is_not_called_a_link() -> None:
    falling = [-v + RNG.normal(0, 5) for v in KGI]
    relation = lead_lag(falling, KGI)
    assert relation["correlation"] < -0.9 and relation["p_value"] < 0.05
    suggestion, reason = _suggest(False, _rec("higher"), relation, [], 3, [])
    assert suggestion == "change"  # was keep, "KGIと連動(r = -0.95)"
    assert "逆に動いている" in reason["ja"] and "against the KGI" in reason["en"]
    # for a lower-is-better KPI (CAC, churn) falling while the KGI rises is the point
    suggestion, reason = _suggest(False, _rec("lower"), relation, [], 3, [])
    assert suggestion == "keep" and "下がるほどKGIが上がる" in reason["ja"]


def test_a_weak_correlation_needs_evidence_before_retiring() -> None:
    noise = list(RNG.normal(0, 1, 24))
    relation = lead_lag(noise, KGI)
    best = relation["lag_months"]
    raw = stats.pearsonr(noise[: len(noise) - best] if best else noise, KGI[best:])
    assert relation["p_value"] == pytest.approx(min(1.0, raw.pvalue * 4))  # Bonferroni, 4 lags
    suggestion, reason = _suggest(False, _rec(), relation, [], 3, [])
    assert suggestion != "retire"  # r = 0.24 on 24 months was "retire"
    assert "p = " in reason["en"]
    # with long enough history, a surely-weak link is retired
    long_kgi = list(RNG.normal(0, 1, 600))
    relation = lead_lag(list(RNG.normal(0, 1, 600)), long_kgi)
    assert relation["low"] > -0.3 and relation["high"] < 0.3
    assert _suggest(False, _rec(), relation, [], 3, [])[0] == "retire"


def test_review_correlates_only_months_with_data(demo_ws: Workspace) -> None:
    rows = {r["kpi"]: r for r in demo_ws.act.review()["rows"]}
    # the demo's leads and deals start in December 2024: the months before read 0 only because
    # the tables were empty there (subscriptions go back to 2021), and were correlated as data
    assert rows["deals"]["n"] <= 23
    for row in rows.values():
        if row["is_kgi"] or row["correlation"] is None:
            continue
        if row["suggestion"] == "keep" and row["p_value"] < 0.05:
            expected = -1 if row["kpi"] in ("cac", "cpa", "logo_churn_rate") else 1
            assert row["correlation"] * expected > 0, row
