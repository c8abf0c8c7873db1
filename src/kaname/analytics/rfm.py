"""RFM: recency, frequency and monetary scores, the seeds' segments and the usual RFM set.

Scores are quantile ranks 1..q (q = 5 by default; 5 is best: most recent, most frequent,
largest spend). Ties are broken by rank so every score is used even with many equal values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# Seed 004's four segments (優良顧客, 成長顧客, 新規優良顧客, 休眠顧客); "other" for the rest.
SEED_SEGMENTS = ("loyal", "growing", "new_high_value", "dormant", "other")
SEED_SEGMENT_NAMES_JA = {
    "loyal": "優良顧客",
    "growing": "成長顧客",
    "new_high_value": "新規優良顧客",
    "dormant": "休眠顧客",
    "other": "その他",
}
# The usual RFM grid over recency × frequency scores (on a 1..5 scale).
RFM_SEGMENTS = (
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cannot_lose",
    "hibernating",
)


class RfmError(ValueError):
    """Transactions RFM cannot score; the message names the problem."""


def _score(values: pd.Series, q: int, higher_is_better: bool) -> pd.Series:
    ranks = values.rank(method="first", ascending=higher_is_better)
    return np.ceil(ranks / len(values) * q).clip(1, q).astype("int64")


def rfm_table(
    transactions: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    q: int = 5,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> pd.DataFrame:
    """One row per customer with purchases up to `as_of`: recency_days, frequency (purchases),
    monetary (total spend), r/f/m scores, rfm code ("545"), segment (seeds) and rfm_segment."""
    if q < 2:
        raise RfmError("use at least 2 score levels")
    missing = [c for c in (customer, date, amount) if c not in transactions.columns]
    if missing:
        raise RfmError(f"transactions need column(s) {', '.join(missing)}")
    as_of = pd.Timestamp(as_of)
    frame = transactions[[customer, date, amount]].copy()
    frame[date] = pd.to_datetime(frame[date])
    frame = frame[frame[date] <= as_of]
    if frame.empty:
        return pd.DataFrame(
            columns=["recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "segment"]
        )
    grouped = frame.groupby(customer)
    customers = pd.DataFrame(
        {
            "last_purchase": grouped[date].max(),
            "frequency": grouped.size(),
            "monetary": grouped[amount].sum().astype("float64"),
        }
    )
    return score_customers(customers, as_of, q=q, customer=customer)


def score_customers(
    customers: pd.DataFrame, as_of: pd.Timestamp | str, *, q: int = 5, customer: str = "customer_id"
) -> pd.DataFrame:
    """`rfm_table` from one row per customer (indexed by customer id, in id order):
    last_purchase, frequency (purchases) and monetary (total spend) up to `as_of`. The
    warehouse computes these (metrics/customers.py); scores break ties by that order."""
    if q < 2:
        raise RfmError("use at least 2 score levels")
    columns = ["recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "segment"]
    if customers.empty:
        return pd.DataFrame(columns=columns)
    as_of = pd.Timestamp(as_of)
    out = pd.DataFrame(
        {
            "recency_days": (as_of - pd.to_datetime(customers["last_purchase"])).dt.days,
            "frequency": customers["frequency"].astype("int64"),
            "monetary": customers["monetary"].astype("float64"),
        },
        index=customers.index,
    )
    out["r"] = _score(out["recency_days"], q, higher_is_better=False)
    out["f"] = _score(out["frequency"], q, higher_is_better=True)
    out["m"] = _score(out["monetary"], q, higher_is_better=True)
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    out["segment"] = seed_segments(out["r"], out["f"], out["m"], q)
    out["rfm_segment"] = rfm_segments(out["r"], out["f"], q)
    out.index.name = customer
    return out


def seed_segments(r: pd.Series, f: pd.Series, m: pd.Series, q: int = 5) -> pd.Series:
    """Seed 004's segments: loyal (R, F, M all high), growing (F and M high, R low), new
    high-value (R and M high, F low), dormant (R at the bottom, F or M once high)."""
    high = q - 1 if q >= 4 else q
    low = max(1, q // 2)
    conditions = [
        (r >= high) & (f >= high) & (m >= high),
        (r == 1) & ((f >= high) | (m >= high)),
        (r <= low) & (f >= high) & (m >= high),
        (r >= high) & (m >= high) & (f <= low),
    ]
    choices = ["loyal", "dormant", "growing", "new_high_value"]
    return pd.Series(np.select(conditions, choices, default="other"), index=r.index)


def _five(score: pd.Series, q: int) -> pd.Series:
    return np.ceil(score * 5 / q).astype("int64") if q != 5 else score


def rfm_segments(r: pd.Series, f: pd.Series, q: int = 5) -> pd.Series:
    """The usual RFM grid on recency × frequency (scores mapped to a 1..5 scale)."""
    r5, f5 = _five(r, q), _five(f, q)
    conditions = [
        (r5 == 5) & (f5 >= 4),
        (r5.between(3, 4)) & (f5 >= 4),
        (r5 >= 4) & (f5.between(2, 3)),
        (r5 == 5) & (f5 == 1),
        (r5 == 4) & (f5 == 1),
        (r5 == 3) & (f5 == 3),
        (r5 == 3) & (f5 <= 2),
        (r5 <= 2) & (f5.between(3, 4)),
        (r5 <= 2) & (f5 == 5),
        (r5 <= 2) & (f5 <= 2),
    ]
    return pd.Series(np.select(conditions, list(RFM_SEGMENTS), default="other"), index=r.index)


def segment_summary(table: pd.DataFrame, by: str = "segment") -> pd.DataFrame:
    """KPIs per segment: customers, share, recency, frequency, spend and share of revenue."""
    if table.empty:
        return pd.DataFrame(columns=[by, "customers", "share"])
    grouped = table.groupby(by)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "avg_recency_days": grouped["recency_days"].mean(),
            "avg_frequency": grouped["frequency"].mean(),
            "avg_monetary": grouped["monetary"].mean(),
            "monetary": grouped["monetary"].sum(),
        }
    )
    out["share"] = out["customers"] / out["customers"].sum()
    total = out["monetary"].sum()
    out["revenue_share"] = out["monetary"] / total if total else math.nan
    return out.sort_values("customers", ascending=False).reset_index()


def segment_movement(
    before: pd.DataFrame, after: pd.DataFrame, by: str = "segment"
) -> pd.DataFrame:
    """Customers moving between segments from one RFM table to a later one: rows from, to,
    customers. Customers new in `after` come from "new"; those gone from "lost"."""
    joined = (
        before[[by]]
        .rename(columns={by: "from"})
        .join(after[[by]].rename(columns={by: "to"}), how="outer")
    )
    joined["from"] = joined["from"].fillna("new")
    joined["to"] = joined["to"].fillna("lost")
    return joined.groupby(["from", "to"]).size().rename("customers").reset_index()
