"""Plan lint: SMART and the KPI-design rules (pure, with facts handed in)."""

from __future__ import annotations

import pytest

from kaname.design.lint import Facts, lint
from kaname.design.plan import load_plan
from kaname.metrics.catalog import builtin_catalog

CATALOG = builtin_catalog()
PLAN = """
name: t
kgi: {kpi: revenue, target: 100000000, period: FY2026}
kpis:
  - {kpi: revenue, owner: 営業部長, targets: {"2026-04": 9000000}}
  - {kpi: deals, owner: 営業部長, targets: {"2026-04": 9}}
  - {kpi: mqls, owner: MA, targets: {"2026-04": 900}}
  - {kpi: email_open_rate, level: department, department: marketing, targets: {"2026-04": 0.8}}
  - {kpi: nps, level: department, department: marketing}
tree:
  - {kpi: revenue, relation: product, children: [deals, average_deal_size]}
"""
ALL_DATA = Facts(has_data={k: True for k in CATALOG.ids}, best={"mqls": 400})


def rules(findings: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(f.rule, f.kpi) for f in findings}


def test_findings_cover_smart_and_the_seed_rules() -> None:
    findings = lint(load_plan(PLAN, "t"), CATALOG, ALL_DATA)
    got = rules(findings)
    assert ("SMART-T", "nps") in got  # no target period
    assert ("SMART-A", "mqls") in got  # 900 against a best month of 400
    assert ("SMART-A", "email_open_rate") in got  # 80% against a 20–30% benchmark
    assert ("SMART-R", "mqls") in got  # no path to the KGI, no KSF
    assert ("owner", "email_open_rate") in got
    assert ("count-organisation", "") not in got  # revenue, deals, mqls: three
    assert ("balance-lead-lag", "") not in got
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.rule, f.kpi) for f in errors] == [("SMART-T", "nps")]


def test_no_data_yet_is_information_with_a_fix_in_both_languages() -> None:
    """A new workspace plans before its data arrives: "no data yet" never blocks a save."""
    findings = lint(load_plan(PLAN, "t"), CATALOG, Facts(has_data={}, best={}))
    missing = [f for f in findings if f.rule == "SMART-M"]
    assert len(missing) == 5 and all(f.severity == "info" for f in missing)
    assert "no data yet" in missing[0].message("en")
    assert "まだありません" in missing[0].message("ja")
    assert "kaname import" in missing[0].hint("en")
    assert "取り込む" in missing[0].hint("ja")


def test_counts_and_balance() -> None:
    plan = load_plan(
        PLAN.replace('  - {kpi: mqls, owner: MA, targets: {"2026-04": 900}}\n', ""), "t"
    )
    got = rules(lint(plan, CATALOG, ALL_DATA))
    assert ("count-organisation", "") in got  # two organisation KPIs
    lagging_only = load_plan(
        """
name: t
kgi: {kpi: revenue, target: 1, period: FY2026}
kpis:
  - {kpi: revenue, owner: a, targets: {"2026-04": 1}}
  - {kpi: deals, owner: a, targets: {"2026-04": 1}}
  - {kpi: win_rate, owner: a, targets: {"2026-04": 0.2}}
""",
        "t",
    )
    got = rules(lint(lagging_only, CATALOG, ALL_DATA))
    assert ("balance-lead-lag", "") in got


def test_growth_against_the_same_period_last_year() -> None:
    facts = Facts(
        has_data={k: True for k in CATALOG.ids},
        history={"deals": {"2025-04": 4}, "revenue": {"2025-04": 8_000_000}},
    )
    got = lint(load_plan(PLAN, "t"), CATALOG, facts)
    deals = [f for f in got if f.rule == "SMART-A" and f.kpi == "deals"]
    assert len(deals) == 1 and "125% more than the same periods" in deals[0].message_en
    assert not [f for f in got if f.rule == "SMART-A" and f.kpi == "revenue"]  # +12.5% is fine


def test_ltv_cac_outside_its_plausible_range_is_a_finding() -> None:
    from kaname.design.lint import ltv_cac_findings

    assert ltv_cac_findings(4.0) == []
    (high,) = ltv_cac_findings(58.3)
    assert high.rule == "LTV-CAC" and "implausibly high" in high.message_en
    assert "高すぎます" in high.message_ja
    (low,) = ltv_cac_findings(2.0)
    assert "below the 3:1" in low.message_en
    assert ltv_cac_findings(None) == []


def test_planner_does_not_call_an_implausible_ltv_cac_healthy() -> None:
    from kaname.design.planner import solve

    rates = {"win_rate": 0.25, "opportunity_rate": 0.5, "sql_rate": 0.2, "mql_rate": 0.3}
    solution = solve("deals", 100, rates, ["2026-04"], budget=1e8, ltv=58e6, arpa=2e5)
    assert solution.unit_costs["ltv_cac"] == pytest.approx(58.0)
    assert not any("meets" in c for c in solution.checks)
    assert any("implausibly high" in c for c in solution.checks)
