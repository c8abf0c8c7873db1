from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaname.metrics.calendar import (
    CALENDAR_GRAINS,
    Grain,
    PeriodError,
    bucket_start,
    business_days,
    fiscal_week,
    fiscal_year,
    parse_period,
    period_of,
    periods_between,
    weeks_in_fiscal_year,
)

D = dt.date


def test_april_fiscal_year_naming() -> None:
    assert fiscal_year(D(2026, 3, 31)) == 2025
    assert fiscal_year(D(2026, 4, 1)) == 2026
    assert fiscal_year(D(2026, 3, 31), fy_start_month=1) == 2026


def test_fiscal_quarters_and_halves_with_april_start() -> None:
    assert period_of(D(2025, 4, 1), Grain.QUARTER).label == "FY2025-Q1"
    assert period_of(D(2025, 12, 31), Grain.QUARTER).label == "FY2025-Q3"
    assert period_of(D(2026, 3, 31), Grain.QUARTER).label == "FY2025-Q4"
    q4 = period_of(D(2026, 2, 10), Grain.QUARTER)
    assert (q4.start, q4.end) == (D(2026, 1, 1), D(2026, 4, 1))
    assert period_of(D(2025, 10, 1), Grain.HALF).label == "FY2025-H2"
    year = period_of(D(2026, 1, 15), Grain.YEAR)
    assert (year.start, year.end, year.label) == (D(2025, 4, 1), D(2026, 4, 1), "FY2025")


def test_other_fiscal_year_starts() -> None:
    q = period_of(D(2025, 2, 1), Grain.QUARTER, fy_start_month=10)
    assert (q.start, q.label) == (D(2024, 10, 1) + dt.timedelta(days=92), "FY2024-Q2")
    assert period_of(D(2025, 6, 30), Grain.YEAR, fy_start_month=7).label == "FY2024"


def test_leap_years() -> None:
    feb = period_of(D(2024, 2, 29), Grain.MONTH)
    assert feb.days == 29
    assert period_of(D(2023, 2, 1), Grain.MONTH).days == 28
    assert period_of(D(2023, 6, 1), Grain.YEAR).days == 366  # FY2023 holds 29 Feb 2024
    assert parse_period("2024-02-29").start == D(2024, 2, 29)
    with pytest.raises(PeriodError, match="not a real date"):
        parse_period("2023-02-29")


def test_week_53() -> None:
    # FY2021 (April start) begins Thu 1 Apr 2021, so its first week starts Mon 29 Mar 2021; its
    # last week (Mon 28 Mar – Sun 3 Apr 2022) holds Thu 31 Mar 2022: 53 weeks.
    assert weeks_in_fiscal_year(2021) == 53
    assert weeks_in_fiscal_year(2022) == 52
    assert fiscal_week(D(2022, 3, 31)) == (2021, 53)
    assert fiscal_week(D(2022, 4, 1)) == (2021, 53)  # Friday of that week, next FY by date
    assert fiscal_week(D(2021, 3, 29)) == (2021, 1)
    week = parse_period("FY2021-W53")
    assert (week.start, week.end) == (D(2022, 3, 28), D(2022, 4, 4))
    with pytest.raises(PeriodError, match="52 weeks"):
        parse_period("FY2022-W53")


def test_parse_round_trips_every_grain() -> None:
    for grain in CALENDAR_GRAINS:
        period = period_of(D(2025, 10, 15), grain)
        assert parse_period(period.label) == period


def test_parse_rejects_garbage_with_the_forms() -> None:
    with pytest.raises(PeriodError, match="FY2025-Q3"):
        parse_period("last month")


def test_business_days_skip_japanese_holidays() -> None:
    # May 2025: 31 days, 9 weekend days, holidays 3–6 May (3, 4 are weekend; 5, 6 weekdays).
    assert business_days(D(2025, 5, 1), D(2025, 6, 1)) == 20
    # 1 Jan 2026 (Thu) is a holiday; 2 Jan (Fri) is not a public holiday.
    assert business_days(D(2026, 1, 1), D(2026, 1, 3)) == 1


@given(
    st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
    st.sampled_from(CALENDAR_GRAINS),
    st.integers(min_value=1, max_value=12),
)
def test_every_day_lies_in_its_period(day: dt.date, grain: Grain, fy: int) -> None:
    period = period_of(day, grain, fy)
    assert period.contains(day)
    assert bucket_start(day, grain, fy) == period.start
    assert period.next().start == period.end


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2050, 1, 1)), st.integers(1, 12))
def test_periods_tile_a_year_without_gaps(day: dt.date, fy: int) -> None:
    months = periods_between(day, day + dt.timedelta(days=400), Grain.MONTH, fy)
    for a, b in itertools.pairwise(months):
        assert a.end == b.start


def test_a_range_of_days_is_one_period() -> None:
    from kaname.metrics.calendar import PeriodError, parse_period, periods_between

    year = parse_period("2017-01-01..2017-12-31")
    assert (year.start, year.end, year.grain) == (dt.date(2017, 1, 1), dt.date(2018, 1, 1), "range")
    assert year.label == "2017-01-01..2017-12-31" and parse_period(year.label) == year
    # Either end may be any period label: it stands for its first or last day.
    assert parse_period("2017-01..FY2017-Q1").label == "2017-01-01..2017-06-30"
    assert year.previous().label == "2016-01-01..2016-12-31"
    assert year.year_ago().label == "2016-01-01..2016-12-31"
    week = parse_period("2026-11-01..2026-11-07")
    assert week.previous().label == "2026-10-25..2026-10-31"
    assert periods_between(year.start, year.last_day, "range") == [year]
    with pytest.raises(PeriodError, match="before it starts"):
        parse_period("2017-12-31..2017-01-01")
