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
