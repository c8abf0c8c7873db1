"""Comparisons: the period before is the previous one, and a running period is compared with the
same elapsed business days of its bases (Japanese holidays and weekends excluded)."""

from __future__ import annotations

import datetime as dt

from kaname.metrics.calendar import Grain, period_of
from kaname.metrics.compare import bases, change, equivalent_day, progress

D = dt.date


def month(day: dt.date):  # type: ignore[no-untyped-def]
    return period_of(day, Grain.MONTH, 4)


def test_the_third_of_december_compares_three_business_days() -> None:
    today = D(2026, 12, 3)  # Tue 1st, Wed 2nd, Thu 3rd: three business days
    dec = month(today)
    assert progress(dec, today).as_dict() == {
        "as_of": "2026-12-03",
        "elapsed_business_days": 3,
        "business_days": 23,  # the weekdays of December 2026; no national holiday falls on one
        "running": True,
    }
    previous, year = bases(dec, today)
    # November 2026: Mon 2nd, (Tue 3rd is Culture Day), Wed 4th, Thu 5th.
    assert previous.period.label == "2026-11" and previous.cutoff == D(2026, 11, 5)
    assert year.period.label == "2025-12" and year.cutoff == D(2025, 12, 3)
    assert previous.to_date and year.to_date


def test_a_complete_period_is_compared_whole() -> None:
    nov = month(D(2026, 11, 1))
    previous, year = bases(nov, D(2026, 12, 3))
    assert (previous.period.label, previous.cutoff, previous.to_date) == (
        "2026-10",
        D(2026, 10, 31),
        False,
    )
    assert (year.period.label, year.cutoff) == ("2025-11", D(2025, 11, 30))
    assert not progress(nov, D(2026, 12, 3)).running


def test_golden_week_and_new_year_count_business_days() -> None:
    # 7 May 2027 (Fri) is the 2nd business day of May: 1-2 May a weekend, 3-5 May holidays.
    may = month(D(2027, 5, 7))
    assert progress(may, D(2027, 5, 7)).elapsed_business_days == 2
    # The 2nd business day of April 2027 is Fri 2 April.
    assert equivalent_day(may.previous(), may, D(2027, 5, 7)) == D(2027, 4, 2)
    # On 1 January (a holiday) no business day has passed: calendar days are used.
    jan = month(D(2027, 1, 1))
    assert equivalent_day(jan.previous(), jan, D(2027, 1, 1)) == D(2026, 12, 1)


def test_quarters_and_fiscal_years_follow_the_same_rule() -> None:
    q3 = period_of(D(2026, 10, 5), Grain.QUARTER, 4)  # FY2026 Q3 starts 1 October
    previous = bases(q3, D(2026, 10, 5))[0]
    assert previous.period.label == q3.previous().label and previous.to_date
    assert previous.cutoff == D(2026, 7, 3)  # Thu 1 Oct..Mon 5 Oct = 3 business days; 1-3 July
    fy = period_of(D(2026, 4, 1), Grain.YEAR, 4)
    assert bases(fy, D(2026, 4, 1))[0].cutoff == D(2025, 4, 1)  # day 1 of FY2025


def test_change_is_undefined_without_a_base() -> None:
    assert change(110.0, 100.0) == 0.10000000000000009
    for now, before in ((1.0, 0.0), (None, 1.0), (1.0, None), (float("nan"), 1.0)):
        assert change(now, before) != change(now, before)  # NaN
