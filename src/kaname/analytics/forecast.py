"""Forecast a KPI series with exponential smoothing (statsmodels ETS / Holt-Winters) and
prediction intervals.

Seasonality follows the fiscal calendar: a monthly series repeats every 12 months, a quarterly
one every 4 quarters, a weekly one every 52 weeks; the season is used only when the history
holds at least two full fiscal years of it. Each forecast row carries its fiscal position
(month or quarter number within the fiscal year) so the band lines up with the plan's months.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SEASON_LENGTH = {"week": 52, "month": 12, "quarter": 4, "half": 2}
FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "3MS", "half": "6MS", "year": "12MS"}


class ForecastError(ValueError):
    """A series that cannot be forecast; the message says why."""


@dataclass(frozen=True)
class Forecast:
    """The forecast band and the model that made it."""

    frame: pd.DataFrame  # period_start, forecast, lower, upper, fiscal_position
    model: str  # e.g. "ETS(A,Ad,A) seasonal 12"
    level: float  # coverage of the interval, e.g. 0.8
    aic: float


def _fiscal_position(starts: pd.DatetimeIndex, grain: str, fy_start_month: int) -> np.ndarray:
    months_in = (starts.month.to_numpy() - fy_start_month) % 12
    if grain == "month":
        return months_in + 1
    if grain == "quarter":
        return months_in // 3 + 1
    if grain == "half":
        return months_in // 6 + 1
    return np.ones(len(starts), dtype=int)


def forecast(
    series: pd.Series,
    horizon: int = 6,
    *,
    grain: str = "month",
    level: float = 0.8,
    fy_start_month: int = 4,
    seasonal: bool | None = None,
    damped: bool = True,
    floor: float | None = None,
) -> Forecast:
    """Forecast `horizon` periods after `series` (indexed by period start dates, one per period).

    Picks additive ETS with a damped trend; multiplicative seasonality is not used so that series
    with zeros work. `seasonal=None` uses the season when two full fiscal years are present.
    With `floor` (0 for a KPI that cannot be negative) the mean and the band are clipped to it;
    the `sd` column keeps the model's unclipped standard error.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if not 0 < level < 1:
        raise ForecastError("the interval level must be between 0 and 1, e.g. 0.8")
    if grain not in FREQ:
        raise ForecastError(f"unknown grain {grain!r}; use one of {', '.join(FREQ)}")
    clean = series.dropna().astype("float64").sort_index()
    if len(clean) < 4:
        raise ForecastError(f"need at least 4 periods of history to forecast; got {len(clean)}")
    index = pd.DatetimeIndex(pd.to_datetime(clean.index))
    expected = pd.date_range(index[0], periods=len(index), freq=FREQ[grain])
    if not index.equals(expected):
        raise ForecastError("the series must have one value per period, without gaps")
    values = clean.to_numpy()
    season = SEASON_LENGTH.get(grain, 0)
    use_season = len(values) >= 2 * season > 0 if seasonal is None else bool(seasonal)
    if use_season and (not season or len(values) < 2 * season):
        raise ForecastError(f"seasonality needs two full fiscal years ({2 * season} periods)")
    trend_ok = len(values) >= 6
    spec = {
        "error": "add",
        "trend": "add" if trend_ok else None,
        "damped_trend": damped and trend_ok,
        "seasonal": "add" if use_season else None,
        "seasonal_periods": season if use_season else None,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ETSModel(pd.Series(values, index=expected), **spec)
        fit = model.fit(disp=False)
        prediction = fit.get_prediction(start=len(values), end=len(values) + horizon - 1)
        summary = prediction.summary_frame(alpha=1 - level)
    starts = pd.date_range(index[-1], periods=horizon + 1, freq=FREQ[grain])[1:]
    lower, upper = summary["pi_lower"].to_numpy(), summary["pi_upper"].to_numpy()
    frame = pd.DataFrame(
        {
            "period_start": starts,
            "forecast": _clip(summary["mean"].to_numpy(), floor),
            "lower": _clip(lower, floor),
            "upper": _clip(upper, floor),
            "fiscal_position": _fiscal_position(starts, grain, fy_start_month),
            "sd": (upper - lower) / (2 * _z(level)),
        }
    )
    name = (
        f"ETS(A,{'Ad' if spec['damped_trend'] else ('A' if spec['trend'] else 'N')},"
        f"{'A' if use_season else 'N'})" + (f" seasonal {season}" if use_season else "")
    )
    return Forecast(frame, name, level, float(fit.aic))


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def _clip(values: np.ndarray, floor: float | None) -> np.ndarray:
    return values if floor is None else np.maximum(values, floor)


def ratio_forecast(numerator: Forecast, denominator: Forecast, name: str = "") -> Forecast:
    """A ratio KPI forecast from its components' forecasts (same periods and level): the mean is
    numerator ÷ denominator, and the band comes from the two standard errors on the log scale
    (delta method, errors taken as independent), so it is never negative and widens with both.
    No value where the denominator's forecast is not positive."""
    num, den = numerator.frame, denominator.frame
    if list(num["period_start"]) != list(den["period_start"]):
        raise ForecastError("the numerator and denominator forecasts cover different periods")
    z = _z(numerator.level)
    with np.errstate(divide="ignore", invalid="ignore"):
        n, d = num["forecast"].to_numpy(float), den["forecast"].to_numpy(float)
        ok = (d > 0) & (n >= 0)
        mean = np.where(ok, n / np.where(d > 0, d, 1.0), np.nan)
        rel = np.sqrt(
            (num["sd"].to_numpy(float) / np.where(n > 0, n, np.nan)) ** 2
            + (den["sd"].to_numpy(float) / np.where(d > 0, d, np.nan)) ** 2
        )
        rel = np.where(n > 0, rel, np.nan)
        spread = np.exp(z * rel)
    frame = pd.DataFrame(
        {
            "period_start": num["period_start"],
            "forecast": mean,
            "lower": np.where(n > 0, mean / spread, 0.0 * mean),
            "upper": mean * spread,
            "fiscal_position": num["fiscal_position"],
            "sd": mean * rel,
        }
    )
    model = f"{name or 'ratio'}: {numerator.model} ÷ {denominator.model}"
    return Forecast(frame, model, numerator.level, numerator.aic + denominator.aic)


def non_negative(catalog: Any, kpi: str) -> bool:
    """True when the KPI's formula cannot go negative: counts, sums and the parameters combined
    without subtraction, negation or a negative number."""

    from kaname.metrics.formula import Neg, Num, Ref

    def ok(node: Any) -> bool:
        if isinstance(node, Num):
            return node.value >= 0
        if isinstance(node, Ref):
            return True
        if isinstance(node, Neg):
            return False
        return bool(node.op != "-" and ok(node.left) and ok(node.right))

    return ok(catalog.resolve(kpi).tree)
