"""Targets at every grain, derived from monthly targets: additive KPIs add up (or split by
business days), rates and unit costs are their components' arithmetic."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from kaname.config import WorkspaceConfig
from kaname.metrics.calendar import Grain, period_of
from kaname.metrics.targets import TargetValue
from kaname.workspace import Workspace

D = dt.date
MONTHS = {D(2026, 7, 1): (100, 4000.0), D(2026, 8, 1): (50, 6000.0), D(2026, 9, 1): (150, 5000.0)}
"""July-September 2026: (leads target, CPA target)."""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=D(2026, 10, 15)))
    values = []
    for start, (leads, cpa) in MONTHS.items():
        values += [
            TargetValue("leads", Grain.MONTH, start, leads),
            TargetValue("cpa", Grain.MONTH, start, cpa),
            TargetValue("mqls", Grain.MONTH, start, leads * 0.4),
            TargetValue("sqls", Grain.MONTH, start, leads * 0.1),
        ]
    ws.targets.set(values, D(2026, 4, 1))
    return ws


def target(ws: Workspace, kpi: str, day: dt.date, grain: Grain) -> float:
    return ws.target_resolver().target(kpi, period_of(day, grain, 4))


def test_a_quarter_adds_up_its_months_and_weights_its_rates(ws: Workspace) -> None:
    q2 = D(2026, 7, 1)
    assert target(ws, "leads", q2, Grain.QUARTER) == 300
    # CPA: the quarter's spend (Σ CPA × leads) ÷ its leads, not the mean of three CPAs (5,000).
    spend = 100 * 4000 + 50 * 6000 + 150 * 5000
    assert target(ws, "cpa", q2, Grain.QUARTER) == pytest.approx(spend / 300)
    # A rate with no target of its own comes from its components' targets: SQLs ÷ MQLs.
    assert target(ws, "sql_rate", q2, Grain.QUARTER) == pytest.approx(0.25)
    report = ws.kpi_report(["leads", "cpa", "sql_rate"], period_of(q2, Grain.QUARTER, 4))
    assert not report["target"].isna().any()  # no 目標なし in the quarterly view


def test_a_week_takes_its_business_days_of_each_month(ws: Workspace) -> None:
    # The week of Mon 27 July - Sun 2 August 2026: 5 business days of July's 22 (Marine Day,
    # 20 July, is a holiday), none in August.
    july_end = period_of(D(2026, 7, 27), Grain.WEEK, 4)
    assert (july_end.start, july_end.end) == (D(2026, 7, 27), D(2026, 8, 3))
    assert target(ws, "leads", D(2026, 7, 27), Grain.WEEK) == pytest.approx(100 * 5 / 22)
    # Mon 31 Aug - Sun 6 Sep: one business day of August's 20 (Mountain Day, 11 August), four of
    # September's 19 (Respect for the Aged Day, the national holiday and the equinox, 21-23).
    week = period_of(D(2026, 8, 31), Grain.WEEK, 4)
    expected = 50 * 1 / 20 + 150 * 4 / 19
    assert target(ws, "leads", week.start, Grain.WEEK) == pytest.approx(expected)
    # A week inside one month keeps that month's CPA; one across two weights it by leads.
    assert target(ws, "cpa", D(2026, 7, 13), Grain.WEEK) == pytest.approx(4000)
    across = (50 / 20 * 6000 + 150 * 4 / 19 * 5000) / expected
    assert target(ws, "cpa", week.start, Grain.WEEK) == pytest.approx(across)


def test_a_target_set_for_the_period_wins_and_a_missing_month_means_none(ws: Workspace) -> None:
    ws.targets.set([TargetValue("leads", Grain.QUARTER, D(2026, 7, 1), 999)], D(2026, 4, 1))
    assert target(ws, "leads", D(2026, 7, 1), Grain.QUARTER) == 999
    # October has no target, so neither has FY2026 H2 nor the fiscal year.
    assert math.isnan(target(ws, "leads", D(2026, 10, 1), Grain.HALF))
    assert math.isnan(target(ws, "cpa", D(2026, 4, 1), Grain.YEAR))
    # A month's rate without its own target or its components' stays without one.
    assert math.isnan(target(ws, "roas", D(2026, 7, 1), Grain.MONTH))


def test_a_combination_of_filters_has_no_target(ws: Workspace) -> None:
    """Targets are set for the whole company or one dimension value, never for a combination:
    the trend page shows none there, and so does the report."""
    month = period_of(D(2026, 7, 1), Grain.MONTH, 4)
    whole = ws.kpi_report(["leads"], month)
    assert whole["target"].iloc[0] == 100
    both = ws.kpi_report(["leads"], month, filters=(("channel", "email"), ("segment", "smb")))
    assert len(both) == 1 and both["target"].isna().all()


def test_a_range_of_days_takes_its_months_share(ws: Workspace) -> None:
    """A custom range (2026-07-01..2026-08-31, or half of September) has targets too: whole
    months add up, a part of a month takes its business days' share; rates are recomputed."""
    two_months = ws.period("2026-07..2026-08")
    resolver = ws.target_resolver()
    assert resolver.target("leads", two_months) == 150
    assert resolver.target("cpa", two_months) == pytest.approx((100 * 4000 + 50 * 6000) / 150)
    half = ws.period("2026-09-01..2026-09-15")  # 11 of September's 19 business days
    assert resolver.target("leads", half) == pytest.approx(150 * 11 / 19)
    assert resolver.target("cpa", half) == pytest.approx(5000)
