from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

from kaname.act.effect import (
    EffectError,
    ab_test,
    before_after,
    diff_in_diff,
    prob_b_beats_a,
    required_sample_size,
    two_proportion_test,
)

START = dt.date(2025, 1, 1)


def daily_series(
    days: int, effect: float, start_effect: int, seed: int, trend: float = 0.05
) -> tuple[list[dt.date], np.ndarray]:
    """Leads per day: level 40, a trend, weekday pattern (weekends low), noise, and an effect."""
    rng = np.random.default_rng(seed)
    dates = [START + dt.timedelta(days=i) for i in range(days)]
    weekday = np.array([0 if d.weekday() < 5 else -25 for d in dates], dtype=float)
    base = 40 + trend * np.arange(days) + weekday + rng.normal(0, 4, days)
    base[start_effect:] += effect
    return dates, base


def test_before_after_finds_a_known_effect() -> None:
    dates, y = daily_series(180, effect=6.0, start_effect=120, seed=1)
    result = before_after(dates, y, dates[120], grain="day")
    assert result.significant
    assert result.ci_low < 6.0 < result.ci_high
    assert abs(result.estimate - 6.0) < 2.5
    assert "Significant" in result.verdict_en and "有意な効果あり" in result.verdict_ja
    assert "weekday" in " ".join(result.notes)


def test_before_after_trend_is_not_mistaken_for_an_effect() -> None:
    # a strong trend and no effect: a naive mean comparison would call this a big lift
    dates, y = daily_series(180, effect=0.0, start_effect=120, seed=2, trend=0.2)
    naive = y[120:].mean() - y[:120].mean()
    assert naive > 15
    result = before_after(dates, y, dates[120], grain="day")
    assert not result.significant
    assert "Not significant" in result.verdict_en


def test_no_false_significance_beyond_the_level() -> None:
    """Over many null series the test rejects at about its nominal 5% rate."""
    rejections = 0
    runs = 200
    for seed in range(runs):
        dates, y = daily_series(120, effect=0.0, start_effect=90, seed=100 + seed)
        rejections += before_after(dates, y, dates[90], grain="day").significant
    assert rejections / runs < 0.10


def test_before_after_needs_data_on_both_sides() -> None:
    dates, y = daily_series(10, 0.0, 9, seed=3)
    with pytest.raises(EffectError, match="before and 2 after"):
        before_after(dates, y, dates[9])


def test_diff_in_diff_cancels_a_common_shock() -> None:
    rng = np.random.default_rng(5)
    n = 60
    dates = [START + dt.timedelta(weeks=i) for i in range(n)]
    common = np.cumsum(rng.normal(0, 3, n))  # a market swing hitting both channels
    common[40:] += 20  # e.g. a season affecting everyone after the action starts
    control = 100 + common + rng.normal(0, 2, n)
    treated = 80 + common + rng.normal(0, 2, n)
    treated[40:] += 8
    result = diff_in_diff(dates, treated, control, dates[40])
    assert result.significant
    assert result.ci_low < 8 < result.ci_high
    null = diff_in_diff(dates, treated - np.r_[np.zeros(40), np.full(20, 8)], control, dates[40])
    assert not null.significant


def test_two_proportion_test_matches_textbook_values() -> None:
    # 200/1000 vs 250/1000: pooled z = 0.05 / sqrt(0.225 × 0.775 × 0.002)
    p, low, high = two_proportion_test(200, 1000, 250, 1000)
    z = 0.05 / np.sqrt(0.225 * 0.775 * 0.002)
    assert p == pytest.approx(2 * stats.norm.sf(z))
    se = np.sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000)
    assert low == pytest.approx(0.05 - 1.959964 * se, rel=1e-5)
    assert high == pytest.approx(0.05 + 1.959964 * se, rel=1e-5)


def test_probability_to_beat_control_agrees_with_sampling() -> None:
    rng = np.random.default_rng(0)
    a = rng.beta(1 + 40, 1 + 960, 400_000)
    b = rng.beta(1 + 55, 1 + 945, 400_000)
    assert prob_b_beats_a(40, 1000, 55, 1000) == pytest.approx((b > a).mean(), abs=0.003)
    assert prob_b_beats_a(50, 1000, 50, 1000) == pytest.approx(0.5, abs=1e-9)


def test_required_sample_size_matches_the_standard_formula() -> None:
    # 10% baseline, +20% relative: the usual answer is ≈ 3,841 per arm (two-sided 5%, 80% power)
    assert required_sample_size(0.10, 0.20) == pytest.approx(3841, abs=3)
    with pytest.raises(EffectError):
        required_sample_size(0.9, 0.2)


def test_ab_test_verdict_and_days_to_significance() -> None:
    won = ab_test(200, 2000, 260, 2000)
    assert won.significant and won.prob_b_beats_a > 0.99
    assert "B beats A" in won.verdict_en and "BはAより高い" in won.verdict_ja
    early = ab_test(20, 200, 24, 200, mde=0.2, daily_visitors=100)
    assert not early.significant
    assert early.required_per_arm is not None
    assert early.days_to_significance == -(-(early.required_per_arm - 200) // 50)
    assert "more days" in early.verdict_en
