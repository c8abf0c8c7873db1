"""Lead scoring: rules, negative rules, decay, the MQL threshold, and the predictive score."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kaname.config import WorkspaceConfig
from kaname.ingest.scoring import ScoringConfig, ScoringError, apply_scores, evaluate_predictive
from kaname.workspace import Workspace

TODAY = dt.date(2025, 6, 30)
END = dt.datetime(2025, 7, 1)  # scores are as of the end of TODAY
RULES = """
mql_threshold: 30
half_life_days: 10
attributes:
  - {field: segment, equals: enterprise, points: 10}
  - {field: email, contains: "@gmail.", points: -20}
  - {field: account.employees, gte: 1000, points: 5}
behaviour:
  - {type: webinar_attended, points: 20}
  - {type: download, points: 10}
"""


def _days_before(n: float) -> dt.datetime:
    return END - dt.timedelta(days=n)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=TODAY))
    (workspace.root / "scoring.yaml").write_text(RULES, encoding="utf-8")
    wh = workspace.warehouse
    wh.append("accounts", pd.DataFrame({"account_id": ["BIG"], "employees": [5000]}))
    wh.append(
        "leads",
        pd.DataFrame(
            {
                "lead_id": ["S1", "S2", "S3", "S4", "S5"],
                "account_id": [None, None, None, None, "BIG"],
                "email": ["s1@corp.jp", "s2@gmail.com", "s3@corp.jp", "s4@corp.jp", None],
                "segment": ["enterprise", None, "enterprise", "enterprise", None],
                "status": [None, None, "open", None, None],
                "created_at": [_days_before(30)] * 5,
                "mql_at": [None, None, None, _days_before(25), None],
            }
        ),
    )
    touch = [
        ("T1", "S1", 20, "webinar_attended"),
        ("T2", "S1", 10, "download"),
        ("T3", "S2", 10, "webinar_attended"),
        ("T4", "S3", 20, "webinar_attended"),
        ("T5", "S3", 10, "download"),
        ("T6", "S5", -5, "webinar_attended"),  # after today: ignored
        ("T7", "S5", 10, "visit"),  # no rule: no points
    ]
    wh.append(
        "touchpoints",
        pd.DataFrame(
            {
                "touchpoint_id": [t[0] for t in touch],
                "lead_id": [t[1] for t in touch],
                "occurred_at": [_days_before(t[2]) for t in touch],
                "type": [t[3] for t in touch],
            }
        ),
    )
    yield workspace
    workspace.close()


def _leads(ws: Workspace) -> pd.DataFrame:
    return ws.warehouse.table("leads").execute().set_index("lead_id")


def test_rules_decay_negative_rules_and_the_mql_threshold(ws: Workspace) -> None:
    result = ws.ingest.score()
    assert result["new_mqls"] == 1 and result["threshold"] == 30
    leads = _leads(ws)
    # S1: fit 10 + webinar 20 × ½² + download 10 × ½ = 20
    assert leads.loc["S1", "score"] == 20
    # It reached 30 at the webinar (10 + 20): an MQL from then, since its source gave no stage.
    assert leads.loc["S1", "mql_at"] == _days_before(20)
    assert leads.loc["S1", "status"] == "mql"
    assert leads.loc["S2", "score"] == 0  # -20 + 10, clipped at 0
    # S3 has a lifecycle status from its source: scored, never made an MQL by the threshold.
    assert leads.loc["S3", "score"] == 20 and pd.isna(leads.loc["S3", "mql_at"])
    assert leads.loc["S4", "mql_at"] == _days_before(25)  # the source's MQL date stays
    assert leads.loc["S5", "score"] == 5  # company with 5,000 employees; future touch ignored
    again = ws.ingest.score()
    assert (again["changed"], again["new_mqls"]) == (0, 0)


def test_scores_decay_as_time_passes(ws: Workspace) -> None:
    config = ws.ingest.scoring_config()
    apply_scores(ws.warehouse, config, TODAY + dt.timedelta(days=10))
    # ten days later: webinar 20 × ½³ + download 10 × ½² = 5, plus fit 10
    assert _leads(ws).loc["S1", "score"] == 15


def test_scoring_runs_after_an_import(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "tp.csv"
    path.write_text(
        "touchpoint_id,lead_id,occurred_at,type\nT9,S2,2025/6/30,download\n", encoding="utf-8"
    )
    summary = ws.ingest.import_file("touchpoints", path)
    assert summary["scoring"] is not None and summary["scoring"]["scored"] == 5


def test_invalid_rules_name_the_line(ws: Workspace) -> None:
    (ws.root / "scoring.yaml").write_text(
        "behaviour:\n  - {type: telepathy, points: 5}\n", encoding="utf-8"
    )
    with pytest.raises(ScoringError, match="line 2"):
        ws.ingest.score()


def _history(ws: Workspace, n: int = 1500, seed: int = 7) -> None:
    """Leads over the year before the outcome window; downloads in the first days drive SQL."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 1, 1)
    created = [start + dt.timedelta(hours=int(h)) for h in sorted(rng.integers(0, 24 * 365, n))]
    downloads = rng.poisson(0.6, n)
    visits = rng.poisson(2.0, n)
    p = 1 / (1 + np.exp(-(-2.5 + 1.6 * downloads)))
    converted = rng.random(n) < p
    leads = pd.DataFrame(
        {
            "lead_id": [f"H{i}" for i in range(n)],
            "created_at": created,
            "status": "open",
            "sql_at": [
                c + dt.timedelta(days=30) if y else None
                for c, y in zip(created, converted, strict=True)
            ],
        }
    )
    rows = []
    for i in range(n):
        for k in range(downloads[i]):
            rows.append((f"D{i}-{k}", f"H{i}", created[i] + dt.timedelta(days=1 + k), "download"))
        for k in range(visits[i]):
            rows.append((f"V{i}-{k}", f"H{i}", created[i] + dt.timedelta(days=2 + k), "visit"))
    ws.warehouse.append("leads", leads)
    ws.warehouse.append(
        "touchpoints",
        pd.DataFrame(rows, columns=["touchpoint_id", "lead_id", "occurred_at", "type"]),
    )


@pytest.mark.slow
def test_predictive_score_is_offered_only_when_it_beats_the_rules(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "hist", WorkspaceConfig(as_of=TODAY))
    _history(ws)
    weak = ScoringConfig(attributes=[], behaviour=[{"type": "visit", "points": 5}])
    report = evaluate_predictive(ws.warehouse, weak, TODAY)
    assert report["holdout"] > 300
    assert report["auc_model"] > report["auc_rules"] + 0.1
    assert report["offered"] is True
    assert 0 < report["brier"] < 0.25
    assert report["calibration"] and all(0 <= c["observed"] <= 1 for c in report["calibration"])
    good = ScoringConfig(attributes=[], behaviour=[{"type": "download", "points": 10}])
    report = evaluate_predictive(ws.warehouse, good, TODAY)
    assert report["auc_rules"] > 0.7
    assert report["offered"] is False
    assert "keep the rules" in report["message"]
    ws.close()


def test_predictive_needs_enough_history(ws: Workspace) -> None:
    report = ws.ingest.score(predictive=True)["predictive"]
    assert report["offered"] is False and "履歴が足りません" in report["message"]
