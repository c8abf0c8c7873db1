"""Rule evaluation on the demo company, where the expected alerts are known."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from kaname.act import alerts
from kaname.act.alerts import AlertError
from kaname.act.anomaly import anomaly_scores
from kaname.act.rules import FORECASTERS, QUALITY_CHECKS, RuleError, evaluate
from kaname.config import WorkspaceConfig
from kaname.config.act import (
    AnomalyRule,
    ChangeRule,
    ForecastMissRule,
    FreshnessRule,
    QualityRule,
    TargetMissRule,
    ThresholdRule,
)
from kaname.store.appdb import RefreshRun
from kaname.workspace import Workspace

NOW = dt.datetime(2026, 11, 20, 9)
FUNNEL = ["leads", "mqls", "sqls", "opportunities", "deals", "revenue", "cpa", "sql_rate"]


def with_rules(ws: Workspace, *rules: Any) -> None:
    ws.config = WorkspaceConfig.model_validate(
        {**ws.config.model_dump(), "alerts": [r.model_dump() for r in rules]}
    )


def test_target_miss_fires_below_the_threshold_only(demo_ws: Workspace) -> None:
    row = demo_ws.kpi_report(["leads"]).iloc[0]
    pace = row["projection"] / row["target"]
    assert 0.5 < pace < 1
    below = evaluate(demo_ws, TargetMissRule(id="t", kpi="leads", threshold=pace + 0.01), NOW)
    assert len(below) == 1
    alert = below[0]
    assert alert.period == "2026-11"
    assert alert.numbers["pace_achievement"] == pytest.approx(pace)
    assert alert.numbers["target"] == row["target"]
    assert evaluate(demo_ws, TargetMissRule(id="t", kpi="leads", threshold=pace - 0.01), NOW) == []


def test_funnel_alerts_say_which_driver_moves_the_kpi_most(demo_ws: Workspace) -> None:
    (alert,) = evaluate(demo_ws, TargetMissRule(id="t", kpi="mqls", threshold=1.5), NOW)
    assert alert.explanation is not None
    assert set(alert.explanation["drivers"]) == {"leads", "mql_rate"}
    assert alert.explanation["top_driver"] in {"leads", "mql_rate"}
    assert "Biggest lever" in alert.message["en"] and "最大のレバー" in alert.message["ja"]


def test_threshold_and_change_rules_on_known_values(demo_ws: Workspace) -> None:
    report = demo_ws.kpi_report(["cpa", "mqls"], demo_ws.period("2026-10")).set_index("kpi")
    cpa = float(report.loc["cpa", "actual"])
    (above,) = evaluate(demo_ws, ThresholdRule(id="c", kpi="cpa", above=cpa - 1), NOW)
    assert above.period == "2026-10" and above.numbers["value"] == pytest.approx(cpa)
    assert evaluate(demo_ws, ThresholdRule(id="c", kpi="cpa", above=cpa + 1), NOW) == []
    with pytest.raises(RuleError, match="above"):
        evaluate(demo_ws, ThresholdRule(id="c", kpi="cpa"), NOW)

    september = float(demo_ws.kpi_report(["mqls"], demo_ws.period("2026-09"))["actual"].iloc[0])
    change = float(report.loc["mqls", "actual"]) / september - 1
    any_change = ChangeRule(id="m", kpi="mqls", min_change=abs(change) - 0.001, direction="any")
    (fired,) = evaluate(demo_ws, any_change, NOW)
    assert fired.numbers["change"] == pytest.approx(change)
    bigger = any_change.model_copy(update={"min_change": abs(change) + 0.001})
    assert evaluate(demo_ws, bigger, NOW) == []


def test_channel_split_gives_one_alert_per_value(demo_ws: Workspace) -> None:
    frame = demo_ws.kpi_report(["leads"], demo_ws.period("2026-10"), "channel")
    found = evaluate(
        demo_ws, ThresholdRule(id="c", kpi="leads", dimension="channel", above=-1), NOW
    )
    assert sorted(c.dimension_value for c in found) == sorted(
        frame.loc[frame["actual"] > -1, "dimension_value"]
    )


def test_forecast_miss_uses_the_named_forecaster(demo_ws: Workspace) -> None:
    target = float(demo_ws.kpi_report(["leads"])["target"].iloc[0])
    FORECASTERS["test-low"] = lambda ws, kpi, period, filters: target * 0.5
    FORECASTERS["test-high"] = lambda ws, kpi, period, filters: target * 1.5
    try:
        (low,) = evaluate(demo_ws, ForecastMissRule(id="f", kpi="leads", method="test-low"), NOW)
        assert low.numbers["forecast"] == target * 0.5
        assert (
            evaluate(demo_ws, ForecastMissRule(id="f", kpi="leads", method="test-high"), NOW) == []
        )
    finally:
        del FORECASTERS["test-low"], FORECASTERS["test-high"]
    ets = FORECASTERS["ets"](demo_ws, "leads", demo_ws.period("2026-11"), ())
    assert 0.5 * target < ets < 2 * target  # the analytics module's ETS model, plugged in
    with pytest.raises(RuleError, match="no forecaster"):
        evaluate(demo_ws, ForecastMissRule(id="f", kpi="leads", method="nope"), NOW)


def test_anomaly_scores_flag_an_injected_drop_and_not_a_normal_series() -> None:
    rng = np.random.default_rng(7)
    season = np.tile([1.0, 0.9, 1.1, 1.0, 0.8, 1.0, 1.2, 1.0, 0.9, 1.0, 1.1, 1.3], 3)
    values = list(1000 * season * (1 + 0.01 * np.arange(36)) * rng.normal(1, 0.03, 36))
    normal = anomaly_scores(values, counts=True)
    assert max(abs(s) for s in normal if not math.isnan(s)) < 3.5
    values[-1] *= 0.6
    assert anomaly_scores(values, counts=True)[-1] < -3.5


def test_anomaly_rule_on_the_demo_injected_drop_and_normal_month(demo_ws: Workspace) -> None:
    rule = AnomalyRule(id="a", kpi="leads")
    assert evaluate(demo_ws, rule, NOW) == []  # October is a normal month
    demo_ws.warehouse.con.raw_sql(
        "DELETE FROM leads WHERE created_at >= '2026-10-01' AND created_at < '2026-11-01' "
        "AND hash(lead_id) % 10 < 6"
    )
    (alert,) = evaluate(demo_ws, rule, NOW)
    assert alert.period == "2026-10" and alert.numbers["score"] < -3.5


def test_false_alarm_rate_on_the_demos_normal_months_is_low(demo_ws: Workspace) -> None:
    result = demo_ws.act.anomaly_false_alarm_rate(FUNNEL)
    assert result["scored"] >= 50
    assert result["rate"] <= 0.05


def test_freshness_and_failed_refresh(demo_ws: Workspace) -> None:
    rule = FreshnessRule(id="fresh", hours=6)
    (never,) = evaluate(demo_ws, rule, NOW)
    assert never.numbers["last_success"] is None
    with demo_ws.appdb.session() as session:
        session.add(RefreshRun(mode="full", status="ok", finished_at=NOW - dt.timedelta(hours=2)))
    assert evaluate(demo_ws, rule, NOW) == []
    (stale,) = evaluate(demo_ws, rule, NOW + dt.timedelta(hours=5))
    assert stale.numbers["hours"] == pytest.approx(7)
    with demo_ws.appdb.session() as session:
        session.add(RefreshRun(mode="incremental", status="failed", message="disk full"))
    (failed,) = evaluate(demo_ws, rule, NOW)
    assert "disk full" in failed.message["en"]


def test_quality_rule_counts_findings_at_or_above_its_level(demo_ws: Workspace) -> None:
    QUALITY_CHECKS["test"] = lambda ws: [
        {"level": "error", "message": "leads without created_at"},
        {"level": "warning", "message": "unknown channel 'fax'"},
        {"level": "info", "message": "fine"},
    ]
    try:
        rule = QualityRule(id="q", checker="test", level="warning", max_findings=1)
        (alert,) = evaluate(demo_ws, rule, NOW)
        assert alert.numbers["count"] == 2
        strict = rule.model_copy(update={"level": "error"})
        assert evaluate(demo_ws, strict, NOW) == []
    finally:
        del QUALITY_CHECKS["test"]


def test_dedup_cooldown_auto_resolve_and_who_acknowledged(demo_ws: Workspace) -> None:
    cpa = float(demo_ws.kpi_report(["cpa"], demo_ws.period("2026-10"))["actual"].iloc[0])
    rule = ThresholdRule(id="cpa", kpi="cpa", above=cpa - 1, cooldown_hours=48)
    with_rules(demo_ws, rule)
    dry = demo_ws.act.check_alerts(dry_run=True, now=NOW)
    assert len(dry["candidates"]) == 1 and dry["new"] == [] and demo_ws.act.alerts() == []
    first = demo_ws.act.check_alerts(now=NOW)
    (alert,) = first["new"]
    assert demo_ws.act.check_alerts(now=NOW)["repeated"] == [alert["id"]]
    acked = demo_ws.act.acknowledge_alert(alert["id"], "sato", "looking into it")
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == "sato"
    with pytest.raises(AlertError, match="already acknowledged"):
        demo_ws.act.acknowledge_alert(alert["id"], "suzuki")
    resolved = demo_ws.act.resolve_alert(alert["id"], "sato", "budget moved")
    assert resolved["resolved_by"] == "sato" and "budget moved" in resolved["note"]
    # fires again within the cooldown: suppressed; after it: a new alert
    assert demo_ws.act.check_alerts(now=NOW + dt.timedelta(hours=1))["suppressed"]
    later = demo_ws.act.check_alerts(now=NOW + dt.timedelta(hours=49))
    assert len(later["new"]) == 1
    # the condition clears: the live alert resolves by itself
    with_rules(demo_ws, rule.model_copy(update={"above": cpa + 1}))
    cleared = demo_ws.act.check_alerts(now=NOW + dt.timedelta(hours=50))
    assert cleared["resolved"] == [later["new"][0]["id"]]
    history = alerts.list_alerts(demo_ws)
    assert [a["status"] for a in history] == ["resolved", "resolved"]
    assert history[0]["resolved_by"] == alerts.SYSTEM


def test_config_rejects_unknown_channels_and_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unknown channel nope"):
        WorkspaceConfig.model_validate(
            {
                "alerts": [
                    {"type": "threshold", "id": "a", "kpi": "cpa", "above": 1, "channels": ["nope"]}
                ]
            }
        )
    with pytest.raises(ValueError, match="unique"):
        WorkspaceConfig.model_validate(
            {"alerts": [{"type": "freshness", "id": "a"}, {"type": "freshness", "id": "a"}]}
        )
    with pytest.raises(ValueError, match="webhook_url"):
        WorkspaceConfig.model_validate({"channels": [{"type": "slack", "name": "s"}]})


def test_the_ets_forecaster_never_forecasts_a_count_below_zero(demo_ws: Workspace) -> None:
    """A count falling fast (100, 80, … 0) would extrapolate below 0; a count cannot."""
    from types import SimpleNamespace

    import pandas as pd

    starts = pd.date_range("2025-12-01", periods=12, freq="MS")
    falling = pd.Series([100.0, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5, 0], index=starts)
    ctx = SimpleNamespace(
        catalog=demo_ws.catalog,
        config=demo_ws.config,
        kpi_history=lambda kpi, grain: falling,
    )
    period = demo_ws.period("2026-12")
    assert FORECASTERS["ets"](ctx, "leads", period, ()) == 0.0  # type: ignore[arg-type]
