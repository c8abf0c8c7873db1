"""Cohorts: leads by creation month followed through the funnel; customers by start month kept
(logo retention) and grown (revenue retention).

Month offsets are calendar months: offset 0 is the cohort's own month. Cells a cohort has not
lived through yet (after `as_of`) are NaN, so a heatmap shows a triangle, not false zeros.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LEAD_STAGES = ("mql", "sql", "opportunity", "deal")


class CohortError(ValueError):
    """Frames a cohort analysis cannot use; the message names the missing column."""


def _month_index(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    return stamps.dt.year * 12 + stamps.dt.month - 1


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def lead_cohorts(
    leads: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    stages: Sequence[str] = LEAD_STAGES,
    months: int = 12,
) -> pd.DataFrame:
    """Share of each creation-month cohort that reached each stage within N months.

    `leads` has `created_at` and one timestamp column `<stage>_at` per stage (null when not
    reached): mql_at, sql_at, opportunity_at, deal_at. Returns long rows: cohort (YYYY-MM), stage,
    months_since (0..months), leads (cohort size), reached (cumulative count), rate.
    """
    missing = [c for c in ("created_at", *(f"{s}_at" for s in stages)) if c not in leads.columns]
    if missing:
        raise CohortError(f"lead cohorts need column(s) {', '.join(missing)}")
    cohort = _month_index(leads["created_at"])
    sizes = cohort.value_counts()
    parts = []
    for stage in stages:
        reached = _month_index(leads[f"{stage}_at"]) - cohort
        frame = pd.DataFrame({"cohort": cohort, "offset": reached}).dropna()
        frame = frame[frame["offset"] >= 0]
        counts = frame.groupby(["cohort", "offset"]).size().rename("reached").reset_index()
        parts.append(counts.assign(stage=stage))
    return lead_cohorts_from_counts(
        pd.DataFrame({"cohort": sizes.index, "leads": sizes.to_numpy()}),
        pd.concat(parts, ignore_index=True),
        as_of,
        stages=stages,
        months=months,
    )


def lead_cohorts_from_counts(
    sizes: pd.DataFrame,
    reached: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    stages: Sequence[str] = LEAD_STAGES,
    months: int = 12,
) -> pd.DataFrame:
    """`lead_cohorts` from counts: `sizes` (cohort, leads) and `reached` (cohort, stage, offset,
    reached: leads of the cohort that first reached the stage `offset` months after their
    creation month), cohorts as month indexes (year × 12 + month − 1). Such counts have a few
    thousand rows however many leads there are; the warehouse computes them
    (metrics/customers.py)."""
    now = int(_month_index(pd.Series([pd.Timestamp(as_of)])).iloc[0])
    offsets = np.arange(months + 1)
    sizes = sizes.astype({"cohort": "int64", "leads": "int64"}).sort_values("cohort")
    reached = reached.astype({"cohort": "int64", "offset": "int64"})
    rows = []
    for stage in stages:
        of_stage = reached[(reached["stage"] == stage) & (reached["offset"] <= months)]
        by_cohort = dict(list(of_stage.groupby("cohort")))
        for c, size in zip(sizes["cohort"].tolist(), sizes["leads"].tolist(), strict=True):
            per_offset = np.zeros(len(offsets))
            per = by_cohort.get(c)
            if per is not None:
                np.add.at(per_offset, per["offset"].to_numpy(), per["reached"].to_numpy())
            cumulative = np.cumsum(per_offset)
            for k in offsets:
                observed = int(c) + int(k) <= now
                rows.append(
                    {
                        "cohort": _label(int(c)),
                        "stage": stage,
                        "months_since": int(k),
                        "leads": int(size),
                        "reached": float(cumulative[k]) if observed else np.nan,
                        "rate": float(cumulative[k]) / size if observed else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def customer_cohorts(
    subscriptions: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    months: int = 24,
) -> pd.DataFrame:
    """Logo and revenue retention of customers grouped by the month they started paying.

    `subscriptions` has account_id, mrr, start_date, end_date (day after the last billed day,
    null while active). A customer counts as retained at offset k when it has an active line on
    the last day of month cohort+k (or on `as_of` for the current month); revenue retention is
    the cohort's MRR then over its MRR at the end of its first month (expansion included).
    Returns long rows: cohort, months_since, customers, retained, logo_retention, mrr_start,
    mrr, revenue_retention.
    """
    missing = [c for c in ("account_id", "mrr", "start_date", "end_date") if c not in subscriptions]
    if missing:
        raise CohortError(f"customer cohorts need column(s) {', '.join(missing)}")
    as_of = pd.Timestamp(as_of).normalize()
    subs = subscriptions.copy()
    subs["start_date"] = pd.to_datetime(subs["start_date"])
    subs["end_date"] = pd.to_datetime(subs["end_date"])
    subs = subs[subs["start_date"] <= as_of]
    first = subs.groupby("account_id")["start_date"].min()
    cohort_of = _month_index(first.reset_index(drop=True)).set_axis(first.index)
    subs["cohort"] = subs["account_id"].map(cohort_of)
    now = int(_month_index(pd.Series([as_of])).iloc[0])
    active_rows = []
    for c in sorted(cohort_of.unique()):
        lines = subs[subs["cohort"] == c]
        for month in range(int(c), min(int(c) + months, now) + 1):
            day = pd.Timestamp(month // 12, month % 12 + 1, 1) + pd.offsets.MonthEnd(0)
            day = min(day, as_of)
            active = lines[
                (lines["start_date"] <= day)
                & (lines["end_date"].isna() | (lines["end_date"] > day))
            ]
            if len(active):
                active_rows.append(
                    (int(c), month, active["account_id"].nunique(), active["mrr"].sum())
                )
    sizes = cohort_of.value_counts()
    return customer_cohorts_from_counts(
        pd.DataFrame({"cohort": sizes.index, "customers": sizes.to_numpy()}),
        pd.DataFrame(active_rows, columns=["cohort", "month", "retained", "mrr"]),
        as_of,
        months=months,
    )


def customer_cohorts_from_counts(
    sizes: pd.DataFrame, active: pd.DataFrame, as_of: pd.Timestamp | str, *, months: int = 24
) -> pd.DataFrame:
    """`customer_cohorts` from counts: `sizes` (cohort, customers) and `active` (cohort, month,
    retained: customers of the cohort with an active line on the month's last day, or on
    `as_of` in its month; mrr: those lines' MRR), cohorts and months as month indexes. The
    warehouse computes them (metrics/customers.py)."""
    as_of = pd.Timestamp(as_of).normalize()
    now = int(_month_index(pd.Series([as_of])).iloc[0])
    lookup = {
        (int(c), int(m)): (int(r), float(v))
        for c, m, r, v in zip(
            active["cohort"], active["month"], active["retained"], active["mrr"], strict=True
        )
    }
    sizes = sizes.astype({"cohort": "int64", "customers": "int64"}).sort_values("cohort")
    rows = []
    for c, customers in zip(sizes["cohort"].tolist(), sizes["customers"].tolist(), strict=True):
        base_mrr = np.nan
        for k in range(months + 1):
            if c + k > now:
                rows.append(_cohort_row(c, k, customers, np.nan, base_mrr, np.nan))
                continue
            retained, mrr = lookup.get((c, c + k), (0, 0.0))
            if k == 0:
                base_mrr = mrr
            rows.append(_cohort_row(c, k, customers, retained, base_mrr, mrr))
    return pd.DataFrame(rows)


def _cohort_row(
    cohort: int, k: int, customers: int, retained: float, base: float, mrr: float
) -> dict[str, object]:
    return {
        "cohort": _label(cohort),
        "months_since": k,
        "customers": customers,
        "retained": retained,
        "logo_retention": retained / customers if customers else np.nan,
        "mrr_start": base,
        "mrr": mrr,
        "revenue_retention": mrr / base if base and base == base else np.nan,
    }


def matrix(cohorts: pd.DataFrame, value: str, stage: str | None = None) -> pd.DataFrame:
    """A cohort × months_since matrix of `value` (for heatmaps); `stage` filters lead cohorts."""
    frame = cohorts if stage is None else cohorts[cohorts["stage"] == stage]
    return frame.pivot(index="cohort", columns="months_since", values=value)
