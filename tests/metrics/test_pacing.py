from __future__ import annotations

import datetime as dt
import math

import pytest

from kaname.metrics.calendar import Grain, period_of
from kaname.metrics.pacing import Status, achievement, run_rate_factor, status

D = dt.date


def test_run_rate_uses_japanese_business_days() -> None:
    may = period_of(D(2025, 5, 1), Grain.MONTH)
    # 1–9 May 2025: business days are 1, 2, 7, 8, 9 (3–6 are Golden Week or weekend) = 5 of 20.
    assert run_rate_factor(may, D(2025, 5, 9)) == 20 / 5


def test_run_rate_is_one_once_the_period_is_over() -> None:
    assert run_rate_factor(period_of(D(2025, 5, 1), Grain.MONTH), D(2025, 6, 3)) == 1.0


def test_run_rate_before_any_business_day_falls_back_to_calendar_days() -> None:
    jan = period_of(D(2026, 1, 1), Grain.MONTH)
    assert run_rate_factor(jan, D(2026, 1, 1)) == 31.0


def test_achievement_is_direction_aware() -> None:
    assert achievement(80, 100, "higher") == 0.8
    assert achievement(5000, 4000, "lower") == 0.8
    assert math.isnan(achievement(math.nan, 100, "higher"))


def test_status_thresholds() -> None:
    assert status(100, 100, "higher") is Status.ON_TRACK
    assert status(95, 100, "higher") is Status.AT_RISK
    assert status(80, 100, "higher") is Status.OFF_TRACK
    assert status(4200, 4000, "lower") is Status.AT_RISK
    assert status(50, math.nan, "higher") is Status.NO_TARGET
    assert status(math.nan, 10, "higher") is Status.NO_DATA


def test_zero_target_is_met_by_any_non_negative_projection() -> None:
    assert status(0, 0, "higher") is Status.ON_TRACK
    assert status(0, 0, "lower") is Status.ON_TRACK


def test_lower_is_better_achievement_is_capped() -> None:
    # churn 0.13% against a 1.19% target read 903%; churn 0 read ∞
    assert achievement(0.0013, 0.0119, "lower") == 2.0
    assert achievement(0.0, 0.0119, "lower") == 2.0
    assert achievement(0.0100, 0.0119, "lower") == pytest.approx(1.19)
    assert math.isnan(achievement(0.01, 0.0, "lower"))
    assert achievement(300, 100, "higher") == 3.0  # higher-is-better is not capped
