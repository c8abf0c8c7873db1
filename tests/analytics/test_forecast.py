"""ETS forecasts: seasonality on the fiscal calendar, intervals that contain the mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kaname.analytics.forecast import ForecastError, forecast


def seasonal_series(months: int = 36) -> pd.Series:
    rng = np.random.default_rng(0)
    t = np.arange(months)
    # Peak in March, the fiscal year-end of an April-start company.
    values = 100 + 2 * t + 30 * np.cos(2 * np.pi * (t - 11) / 12) + rng.normal(0, 2, months)
    return pd.Series(values, index=pd.date_range("2023-04-01", periods=months, freq="MS"))


def test_seasonal_forecast_band() -> None:
    result = forecast(seasonal_series(), horizon=12, level=0.8)
    frame = result.frame
    assert "seasonal 12" in result.model
    assert len(frame) == 12
    assert frame["period_start"].iloc[0] == pd.Timestamp("2026-04-01")
    assert frame["fiscal_position"].tolist() == list(range(1, 13))
    assert (frame["lower"] < frame["forecast"]).all() and (frame["forecast"] < frame["upper"]).all()
    # The seasonal peak is carried into the forecast: March (position 12) beats September.
    assert frame["forecast"].iloc[11] > frame["forecast"].iloc[5]


def test_wider_level_wider_band() -> None:
    narrow = forecast(seasonal_series(), 3, level=0.5).frame
    wide = forecast(seasonal_series(), 3, level=0.95).frame
    assert ((wide["upper"] - wide["lower"]) > (narrow["upper"] - narrow["lower"])).all()


def test_short_history_has_no_season() -> None:
    result = forecast(seasonal_series(10), 2)
    assert "seasonal" not in result.model
    with pytest.raises(ForecastError, match="two full fiscal years"):
        forecast(seasonal_series(10), 2, seasonal=True)
    with pytest.raises(ForecastError, match="at least 4"):
        forecast(seasonal_series(3), 2)


def test_a_band_is_clipped_to_the_domain() -> None:
    rng = np.random.default_rng(3)
    index = pd.date_range("2024-04-01", periods=18, freq="MS")
    noisy = pd.Series(np.abs(rng.normal(5, 6, 18)), index=index)  # a count near 0, noisy
    free = forecast(noisy, 3)
    assert (free.frame["lower"] < 0).any()  # what CAC's card showed: −129.3万円–281.6万円
    clipped = forecast(noisy, 3, floor=0.0)
    assert (clipped.frame[["forecast", "lower", "upper"]] >= 0).all().all()
    assert list(clipped.frame["sd"]) == pytest.approx(list(free.frame["sd"]))


def test_a_ratio_is_forecast_from_its_components() -> None:
    from kaname.analytics.forecast import ratio_forecast

    rng = np.random.default_rng(5)
    index = pd.date_range("2024-04-01", periods=24, freq="MS")
    spend = pd.Series(1e7 + rng.normal(0, 5e5, 24), index=index)
    deals = pd.Series(np.maximum(1, 20 + rng.normal(0, 6, 24)), index=index)
    num, den = forecast(spend, 2), forecast(deals, 2)
    cac = ratio_forecast(num, den, "spend ÷ deals")
    assert list(cac.frame["forecast"]) == pytest.approx(
        list(num.frame["forecast"] / den.frame["forecast"])
    )
    band = cac.frame
    assert (band["lower"] > 0).all() and (band["lower"] < band["forecast"]).all()
    assert (band["forecast"] < band["upper"]).all()
    assert cac.model.startswith("spend ÷ deals: ETS")
