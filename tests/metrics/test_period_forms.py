"""Periods typed as people write them, and presets named relative to today."""

from __future__ import annotations

import datetime as dt

import pytest

from kaname.metrics.calendar import (
    Grain,
    PeriodError,
    parse_period,
    preset_name,
    preset_period,
)


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("2026年11月", "2026-11"),
        ("２０２６年１１月", "2026-11"),
        ("2026/11", "2026-11"),
        ("Nov 2026", "2026-11"),
        ("November 2026", "2026-11"),
        ("2026年度", "FY2026"),
        ("FY 2026", "FY2026"),
        ("2026年度 第2四半期", "FY2026-Q2"),
        ("2026年度第2四半期", "FY2026-Q2"),
        ("2026年度Q2", "FY2026-Q2"),
        ("2026年度 2Q", "FY2026-Q2"),
        ("FY2026 Q2", "FY2026-Q2"),
        ("FY2026Q2", "FY2026-Q2"),
        ("fy2026-q2", "FY2026-Q2"),
        ("2026年度 上期", "FY2026-H1"),
        ("2026年度 下期", "FY2026-H2"),
        ("2026年度 下半期", "FY2026-H2"),
        ("FY2026 H2", "FY2026-H2"),
        ("2026年度 第14週", "FY2026-W14"),
        ("FY2026 week 14", "FY2026-W14"),
        ("2026年11月3日", "2026-11-03"),
        ("2026/11/3", "2026-11-03"),
        ("2026-11-3", "2026-11-03"),
        ("2026年度 第2四半期（7月〜9月）", "FY2026-Q2"),
        ("FY2026 Q2 (Jul–Sep)", "FY2026-Q2"),
        ("2026年度（4月〜3月）", "FY2026"),
        ("2026/10/1〜2026/11/15", "2026-10-01..2026-11-15"),
        ("2026年10月1日 ～ 2026年11月15日", "2026-10-01..2026-11-15"),
        ("2026-10-01 ~ 2026-11-15", "2026-10-01..2026-11-15"),
    ],
)
def test_periods_as_people_write_them(typed: str, label: str) -> None:
    assert parse_period(typed).label == label


def test_the_fiscal_year_start_month_is_respected() -> None:
    q2 = parse_period("2026年度 第2四半期", fy_start_month=1)
    assert (q2.start, q2.end) == (dt.date(2026, 4, 1), dt.date(2026, 7, 1))
    fy = parse_period("FY2026", fy_start_month=10)
    assert (fy.start, fy.last_day) == (dt.date(2026, 10, 1), dt.date(2027, 9, 30))


@pytest.mark.parametrize("typed", ["2026年13月", "2026年度 第5四半期", "2026年度 中期", "来月", ""])
def test_unreadable_periods_raise_a_period_error(typed: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(typed)


TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("this_month", "2026-11-01", "2026-11-30"),
        ("last_month", "2026-10-01", "2026-10-31"),
        ("this_quarter", "2026-10-01", "2026-12-31"),
        ("last_quarter", "2026-07-01", "2026-09-30"),
        ("this_fy", "2026-04-01", "2027-03-31"),
        ("last_fy", "2025-04-01", "2026-03-31"),
        ("last_30_days", "2026-10-22", "2026-11-20"),
    ],
)
def test_presets_resolve_from_today(preset: str, first: str, last: str) -> None:
    period = preset_period(preset, TODAY)
    assert (period.start.isoformat(), period.last_day.isoformat()) == (first, last)


def test_presets_in_january_reach_back_into_the_previous_year() -> None:
    assert preset_period("last_month", dt.date(2027, 1, 5)).label == "2026-12"
    assert preset_period("last_quarter", dt.date(2027, 1, 5)).label == "FY2026-Q3"
    assert preset_period("this_fy", dt.date(2027, 1, 5), fy_start_month=1).label == "FY2027"
    assert preset_period("last_30_days", dt.date(2027, 1, 5)).grain is Grain.RANGE


def test_preset_words_in_both_languages() -> None:
    assert preset_name("今月") == "this_month"
    assert preset_name("直近３０日") == "last_30_days"
    assert preset_name("Last fiscal year") == "last_fy"
    assert preset_name("this_quarter") == "this_quarter"
    assert preset_name("2026-11") is None
