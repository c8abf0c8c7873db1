"""Customer lifetime value: the seeds' formula, shifted-beta-geometric retention, BG/NBD and
Gamma-Gamma, fitted by maximum likelihood with numpy/scipy.

References: Fader & Hardie (2007) "How to project customer retention" (sBG); Fader, Hardie & Lee
(2005) "Counting your customers the easy way" (BG/NBD) and "RFM and CLV" (Gamma-Gamma spend).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special


class ClvError(ValueError):
    """Inputs a lifetime-value model cannot use; the message says what to change."""


# ---------------------------------------------------------------------------- the seeds' formula
def expected_lifetime_from_churn(churn_rate: float) -> float:
    """Expected lifetime in periods when a constant share `churn_rate` leaves each period."""
    if not 0 < churn_rate <= 1:
        raise ClvError("churn rate must be in (0, 1]; with no churn the lifetime is unbounded")
    return 1.0 / churn_rate


def simple_ltv(average_revenue: float, gross_margin: float, churn_rate: float) -> float:
    """LTV = average revenue per period × gross margin × expected lifetime (1 ÷ churn)."""
    if not 0 <= gross_margin <= 1:
        raise ClvError("gross margin is a share between 0 and 1")
    return average_revenue * gross_margin * expected_lifetime_from_churn(churn_rate)


def ltv_cac(ltv: float, cac: float) -> float:
    """LTV:CAC ratio (3 or more is the seeds' healthy mark); NaN when CAC is 0."""
    return ltv / cac if cac else float("nan")


# ------------------------------------------------------------------ shifted-beta-geometric
@dataclass(frozen=True)
class SbgFit:
    """Shifted-beta-geometric retention: each customer churns each period with a fixed
    probability θ, θ ~ Beta(alpha, beta) across customers."""

    alpha: float
    beta: float
    log_likelihood: float

    def churn_probability(self, t: np.ndarray | Sequence[int] | int) -> np.ndarray:
        """P(T = t): churn in period t (t ≥ 1)."""
        t = np.asarray(t, dtype="float64")
        return np.exp(
            special.betaln(self.alpha + 1, self.beta + t - 1)
            - special.betaln(self.alpha, self.beta)
        )

    def survival(self, t: np.ndarray | Sequence[int] | int) -> np.ndarray:
        """S(t): share of the starting cohort still a customer after t periods."""
        t = np.asarray(t, dtype="float64")
        return np.exp(
            special.betaln(self.alpha, self.beta + t) - special.betaln(self.alpha, self.beta)
        )

    def retention_rate(self, t: np.ndarray | Sequence[int] | int) -> np.ndarray:
        """r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)."""
        t = np.asarray(t, dtype="float64")
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)

    def expected_lifetime(self, horizon: int | None = None) -> float:
        """Expected periods a new customer pays for (period 0 included): Σ S(t).

        Unbounded when alpha ≤ 1 unless a `horizon` (number of periods) is given."""
        if horizon is not None:
            return float(self.survival(np.arange(horizon)).sum())
        if self.alpha <= 1:
            return float("inf")
        return (self.alpha + self.beta - 1) / (self.alpha - 1)

    def discounted_expected_lifetime(self, discount_rate: float, horizon: int = 2000) -> float:
        """Σ S(t) / (1 + d)^t: periods of payment valued today (multiply by margin per period)."""
        t = np.arange(horizon)
        return float((self.survival(t) / (1 + discount_rate) ** t).sum())


def fit_sbg(survivors: Sequence[float]) -> SbgFit:
    """Fit the sBG model to a cohort's survivor counts: survivors[0] customers at the start,
    survivors[t] still active after t periods (non-increasing)."""
    s = np.asarray(survivors, dtype="float64")
    if len(s) < 2 or s[0] <= 0:
        raise ClvError("give the cohort size and at least one later survivor count")
    if np.any(np.diff(s) > 1e-9):
        raise ClvError("survivor counts must not increase")
    t = np.arange(1, len(s))
    periods = np.concatenate([t, [t[-1]]])
    churned = np.concatenate([np.ones(len(t), dtype=bool), [False]])
    weights = np.concatenate([-np.diff(s), [s[-1]]])
    return fit_sbg_lifetimes(periods, churned, weights)


def fit_sbg_lifetimes(
    periods: Sequence[float] | np.ndarray,
    churned: Sequence[bool] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
) -> SbgFit:
    """Fit the sBG model to customers observed for different lengths (several cohorts pooled):
    `periods` = t ≥ 1; churned in period t when `churned`, else still active after t periods."""
    t = np.asarray(periods, dtype="float64")
    dead = np.asarray(churned, dtype=bool)
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype="float64")
    if len(t) == 0 or np.any(t < 1) or len(dead) != len(t) or len(w) != len(t):
        raise ClvError("need, per customer, periods ≥ 1 and whether the customer churned")
    if not dead.any():
        raise ClvError("no customer has churned yet, so retention cannot be fitted")

    def nll(log_params: np.ndarray) -> float:
        a, b = np.exp(log_params)
        base = special.betaln(a, b)
        ll = np.where(
            dead, special.betaln(a + 1, b + t - 1) - base, special.betaln(a, b + t) - base
        )
        return -float(np.dot(w, ll))

    result = optimize.minimize(
        nll,
        np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000},
    )
    a, b = np.exp(result.x)
    return SbgFit(float(a), float(b), -float(result.fun))


# ---------------------------------------------------------------------------- BG/NBD
@dataclass(frozen=True)
class BgNbdFit:
    """BG/NBD: purchases ~ Poisson(λ) while alive, λ ~ Gamma(r, alpha); after each purchase the
    customer drops out with probability p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def probability_alive(
        self, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        x, t_x, T = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))
        ratio = self.a / np.maximum(self.b + x - 1, 1e-300)
        log_term = (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
        odds = np.where(x > 0, ratio * np.exp(log_term), 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(
        self, t: float | np.ndarray, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """Expected purchases in the next `t` periods of a customer with history (x, t_x, T)."""
        x, t_x, T = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))
        t = np.asarray(t, dtype="float64")
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = (a + b + x - 1) / (a - 1)
        body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
        return head * body * self.probability_alive(x, t_x, T)

    def expected_purchases_new(self, t: float | np.ndarray) -> np.ndarray:
        """E[X(t)] for a customer just acquired."""
        t = np.asarray(t, dtype="float64")
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + t)
        return (
            (a + b - 1)
            / (a - 1)
            * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))
        )


def _bgnbd_nll(
    log_params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    w: np.ndarray,
    ux: np.ndarray,
    ix: np.ndarray,
) -> tuple[float, np.ndarray]:
    r, alpha, a, b = np.exp(log_params)
    # Functions of the integer frequency are computed once per distinct x.
    lg = special.gammaln
    a1 = (lg(r + ux) - lg(r))[ix] + r * np.log(alpha)
    a2 = (lg(a + b) + lg(b + ux) - lg(b) - lg(a + b + ux))[ix]
    log_aT = np.log(alpha + T)
    log_at = np.log(alpha + t_x)
    a3 = -(r + x) * log_aT
    has = x > 0
    bx1 = np.where(has, b + x - 1, 1.0)
    a4 = np.where(has, np.log(a) - np.log(bx1) - (r + x) * log_at, -np.inf)
    top = np.maximum(a3, a4)
    e3 = np.exp(a3 - top)
    e4 = np.exp(a4 - top)
    ll = a1 + a2 + top + np.log(e3 + e4)
    w3 = e3 / (e3 + e4)
    w4 = 1 - w3
    dg = special.digamma
    d_r = (dg(r + ux) - dg(r))[ix] + np.log(alpha) - w3 * log_aT - w4 * log_at
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + t_x)
    d_a = (dg(a + b) - dg(a + b + ux))[ix] + w4 / a
    d_b = (dg(a + b) + dg(b + ux) - dg(b) - dg(a + b + ux))[ix] - w4 / bx1
    grad = np.array(
        [np.dot(w, d_r) * r, np.dot(w, d_alpha) * alpha, np.dot(w, d_a) * a, np.dot(w, d_b) * b]
    )
    return -float(np.dot(w, ll)), -grad


def fit_bgnbd(
    frequency: Sequence[float] | np.ndarray,
    recency: Sequence[float] | np.ndarray,
    T: Sequence[float] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD from each customer's repeat purchases `frequency` (x), time of
    the last repeat purchase `recency` (t_x) and age `T`, all measured from the first purchase."""
    x = np.asarray(frequency, dtype="float64")
    t_x = np.asarray(recency, dtype="float64")
    T = np.asarray(T, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    if not (len(x) == len(t_x) == len(T) == len(w)) or len(x) == 0:
        raise ClvError("frequency, recency and T must be equally long and not empty")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T + 1e-9) or np.any(x != np.round(x)):
        raise ClvError("need whole frequency ≥ 0 and 0 ≤ recency ≤ T for every customer")
    # Scale time so the optimiser works near 1; alpha scales back, the other parameters do not.
    scale = 10.0 / float(T.max())
    ux, ix = np.unique(x, return_inverse=True)
    result = optimize.minimize(
        _bgnbd_nll,
        np.zeros(4),
        args=(x, t_x * scale, T * scale, w, ux, ix),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "gtol": 1e-9, "ftol": 1e-15},
    )
    r, alpha, a, b = np.exp(result.x)
    return BgNbdFit(
        float(r),
        float(alpha / scale),
        float(a),
        float(b),
        -float(result.fun) + float(np.dot(w, x)) * float(np.log(scale)),
        int(w.sum()),
    )


# ---------------------------------------------------------------------------- Gamma-Gamma
@dataclass(frozen=True)
class GammaGammaFit:
    """Gamma-Gamma spend: transaction values ~ Gamma(p, ν), ν ~ Gamma(q, gamma) across customers."""

    p: float
    q: float
    gamma: float
    log_likelihood: float

    def expected_average_spend(
        self, frequency: np.ndarray, monetary_value: np.ndarray
    ) -> np.ndarray:
        """E[M | x, m_x]: a customer's expected spend per transaction (population mean if x=0)."""
        x = np.asarray(frequency, dtype="float64")
        m = np.asarray(monetary_value, dtype="float64")
        return (self.p * (self.gamma + x * m)) / (self.p * x + self.q - 1)

    @property
    def population_mean_spend(self) -> float:
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def fit_gamma_gamma(
    frequency: Sequence[float] | np.ndarray, monetary_value: Sequence[float] | np.ndarray
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma from repeat customers' purchase counts and average spend
    (customers with frequency 0 are ignored, as the model needs at least one repeat purchase)."""
    x = np.asarray(frequency, dtype="float64")
    m = np.asarray(monetary_value, dtype="float64")
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if len(x) < 3:
        raise ClvError("Gamma-Gamma needs repeat customers with positive spend")
    scale = 1.0 / float(np.median(m))
    ms = m * scale

    def nll(log_params: np.ndarray) -> float:
        p, q, g = np.exp(log_params)
        lg = special.gammaln
        ll = (
            lg(p * x + q)
            - lg(p * x)
            - lg(q)
            + q * np.log(g)
            + (p * x - 1) * np.log(ms)
            + p * x * np.log(x)
            - (p * x + q) * np.log(g + ms * x)
        )
        return -float(ll.sum())

    result = optimize.minimize(
        nll,
        np.zeros(3),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 10000},
    )
    result = optimize.minimize(nll, result.x, method="L-BFGS-B")
    p, q, g = np.exp(result.x)
    ll = -float(result.fun) + len(x) * float(np.log(scale))  # undo the change of units
    return GammaGammaFit(float(p), float(q), float(g / scale), ll)


def customer_lifetime_value(
    bgnbd: BgNbdFit,
    spend: GammaGammaFit,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    monetary_value: np.ndarray,
    *,
    periods: int = 12,
    period_length: float = 4.345,
    discount_rate: float = 0.01,
    gross_margin: float = 1.0,
) -> np.ndarray:
    """Discounted margin of each customer's expected purchases over `periods` future periods of
    `period_length` time units (weeks by default: 12 months), at `discount_rate` per period."""
    value = spend.expected_average_spend(frequency, monetary_value)
    total = np.zeros(len(np.asarray(frequency)))
    previous = np.zeros_like(total)
    for i in range(1, periods + 1):
        cumulative = bgnbd.expected_purchases(i * period_length, frequency, recency, T)
        total += (cumulative - previous) / (1 + discount_rate) ** i
        previous = cumulative
    return total * value * gross_margin


def rfm_summary(
    transactions: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    unit_days: float = 7.0,
) -> pd.DataFrame:
    """Per customer: frequency (repeat purchase days), recency and T (in `unit_days` units from
    the first purchase), monetary_value (mean value of repeat purchases): the BG/NBD input."""
    frame = transactions[[customer, date, amount]].copy()
    frame[date] = pd.to_datetime(frame[date]).dt.normalize()
    as_of = pd.Timestamp(as_of)
    frame = frame[frame[date] <= as_of]
    daily = (
        frame.groupby([customer, date], as_index=False)[amount].sum().sort_values([customer, date])
    )
    first = daily.groupby(customer)[date].transform("min")
    daily["repeat"] = daily[date] > first
    grouped = daily.groupby(customer)
    days = pd.DataFrame(
        {
            "first_day": grouped[date].min(),
            "last_day": grouped[date].max(),
            "repeat_days": grouped["repeat"].sum(),
            "repeat_amount": daily[daily["repeat"]].groupby(customer)[amount].sum(),
        }
    )
    return summary_from_days(days, as_of, unit_days=unit_days, customer=customer)


def summary_from_days(
    days: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    unit_days: float = 7.0,
    customer: str = "customer_id",
) -> pd.DataFrame:
    """`rfm_summary` from one row per customer: first_day and last_day of purchase (midnight),
    repeat_days (days with a purchase after the first) and repeat_amount (their total). The
    warehouse computes these (metrics/customers.py)."""
    as_of = pd.Timestamp(as_of)
    first = pd.to_datetime(days["first_day"])
    repeats = days["repeat_days"].fillna(0).astype("float64")
    amount = days["repeat_amount"].astype("float64")
    out = pd.DataFrame(
        {
            "frequency": repeats,
            "recency": (pd.to_datetime(days["last_day"]) - first).dt.days / unit_days,
            "T": (as_of - first).dt.days / unit_days,
            "monetary_value": (amount / repeats).where(repeats > 0, 0.0).fillna(0.0),
        },
        index=days.index,
    )
    out.index.name = customer
    return out
