"""Issue 14 §1: numbers as people type them (万/億, commas, %) in every numeric input, here the
files a team edits by hand: a plan and its alert rules."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from kaname.config.act import TargetMissRule, ThresholdRule
from kaname.design.plan import load_plan

PLAN = """
name: man-oku
kgi:
  kpi: revenue
  target: 1億2,000万
  period: FY2026
assumptions:
  average_deal_size: 500万
  sql_rate: 20%
  win_rate: "25%"
  budget: ¥2,000万
  channel_mix: {webinar: 40%, paid_ads: 60%}
kpis:
  - kpi: leads
    targets: {"2026-04": "1,200"}
"""


def test_a_plan_file_reads_man_oku_commas_and_percent() -> None:
    plan = load_plan(PLAN)
    assert plan.kgi.target == 120_000_000
    a = plan.assumptions
    assert (a.average_deal_size, a.sql_rate, a.win_rate, a.budget) == (5e6, 0.2, 0.25, 2e7)
    assert a.channel_mix == {"webinar": 0.4, "paid_ads": 0.6}
    assert plan.kpis[0].targets == {"2026-04": 1200}


def test_a_plan_number_that_cannot_be_read_says_so() -> None:
    with pytest.raises(ValueError, match="500萬"):
        load_plan(PLAN.replace("500万", "500萬"))


def test_alert_rules_read_numbers_as_typed() -> None:
    rule = TypeAdapter(ThresholdRule).validate_python(
        {"id": "cpa-high", "kpi": "cpa", "above": "1万5,000"}
    )
    assert rule.above == 15_000
    miss = TypeAdapter(TargetMissRule).validate_python(
        {"id": "deals-miss", "kpi": "deals", "threshold": "90%"}
    )
    assert miss.threshold == 0.9
    with pytest.raises(ValidationError):
        TypeAdapter(ThresholdRule).validate_python({"id": "x", "kpi": "cpa", "above": "多い"})
