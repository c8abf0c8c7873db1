"""Every period name a page prints, in Japanese and English, reads back as the same period."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kaname.metrics.calendar import CALENDAR_GRAINS, date_range, parse_period, period_of
from kaname.web.display import period_name

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


@given(day=days, grain=st.sampled_from(CALENDAR_GRAINS), fy=st.integers(1, 12))
def test_printed_names_parse_back(day: dt.date, grain: str, fy: int) -> None:
    period = period_of(day, grain, fy)
    for language in ("ja", "en"):
        name = period_name(period.label, language, fy)
        assert parse_period(name, fy) == period, name
    assert parse_period(period.label, fy) == period


@given(first=days, length=st.integers(0, 400), fy=st.integers(1, 12))
def test_printed_ranges_parse_back(first: dt.date, length: int, fy: int) -> None:
    period = date_range(first, first + dt.timedelta(days=length), fy)
    for language in ("ja", "en"):
        assert parse_period(period_name(period.label, language, fy), fy) == period
