"""Lifetime value models against published results (CDNOW, Fader & Hardie's sBG example)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kaname.analytics.clv import (
    ClvError,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_sbg,
    fit_sbg_lifetimes,
    ltv_cac,
    rfm_summary,
    simple_ltv,
)


def cdnow(name: str) -> Path:
    """A CDNOW file shipped inside the MIT-licensed `lifetimes` package (dev extra), located
    without importing lifetimes itself."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the lifetimes package (dev extra) holds the CDNOW data")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / name


def test_seed_formula_and_ltv_cac() -> None:
    # ARPA 50,000 a month, 80% margin, 2% monthly churn → 50 months → 2,000,000.
    ltv = simple_ltv(50_000, 0.8, 0.02)
    assert ltv == pytest.approx(2_000_000)
    assert ltv_cac(ltv, 500_000) == pytest.approx(4.0)
    with pytest.raises(ClvError, match="churn"):
        simple_ltv(1, 0.5, 0)


def test_sbg_regular_segment() -> None:
    # Fader & Hardie (2007), "regular" customers: alpha 0.668, beta 3.806.
    fit = fit_sbg([1000, 869, 743, 653, 593, 551, 517, 491])
    assert round(fit.alpha, 3) == 0.668
    assert round(fit.beta, 3) == 3.806
    assert fit.survival(1) == pytest.approx(fit.beta / (fit.alpha + fit.beta))
    assert float(fit.survival(7)) * 1000 == pytest.approx(491, rel=0.05)
    assert fit.expected_lifetime() == float("inf")  # alpha < 1: heavy tail
    assert fit.expected_lifetime(horizon=12) == pytest.approx(fit.survival(np.arange(12)).sum())


def test_sbg_expected_lifetime_closed_form() -> None:
    # Simulate a cohort with alpha > 1 and check Σ S(t) = (alpha + beta - 1) / (alpha - 1).
    fit = fit_sbg_lifetimes([1, 2, 3, 4, 4], [True, True, True, False, True])
    if fit.alpha > 1:
        assert fit.expected_lifetime() == pytest.approx(
            fit.expected_lifetime(horizon=200_000), rel=1e-3
        )


def test_bgnbd_cdnow_published_parameters() -> None:
    summary = pd.read_csv(cdnow("cdnow_customers_summary.csv"))
    fit = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    # The paper's worked example: x=2, t_x=30.43, T=38.86 expects 1.226 purchases in 39 weeks.
    assert float(fit.expected_purchases(39, 2, 30.43, 38.86)) == pytest.approx(1.226, abs=5e-4)
    alive = fit.probability_alive(summary["frequency"], summary["recency"], summary["T"])
    assert ((alive > 0) & (alive <= 1)).all()
    assert (alive[summary["frequency"] == 0] == 1).all()


def test_gamma_gamma_cdnow_published_parameters() -> None:
    raw = pd.read_csv(
        cdnow("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "units", "amount"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    summary = rfm_summary(raw, "1997-09-30")
    # rfm_summary reproduces the published calibration summary (x, t_x, T in weeks).
    published = pd.read_csv(cdnow("cdnow_customers_summary.csv")).set_index("ID")
    mine = summary.reindex(published.index)
    assert (mine["frequency"] == published["frequency"]).all()
    assert np.allclose(mine["recency"], published["recency"], atol=0.01)
    fit = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    assert (round(fit.p, 2), round(fit.q, 2), round(fit.gamma, 2)) == (6.25, 3.74, 15.44)
    bg = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    clv = customer_lifetime_value(
        bg, fit, summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    )
    assert (clv >= 0).all() and clv.max() > clv.mean() > 0


def test_bgnbd_rejects_impossible_histories() -> None:
    with pytest.raises(ClvError, match="recency"):
        fit_bgnbd([1], [5], [3])
