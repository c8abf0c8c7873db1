"""Cohort, RFM and lifetime-value inputs aggregated on the warehouse (Ibis expressions).

Each returns the smallest exact input of its model, so no lead or deal is pulled row by row:

- lead cohorts: cohort sizes and, per stage, the leads that first reached it k months after
  their creation month (cohort × stage × offset counts);
- customer cohorts: customers per start-month cohort, and per cohort × month the customers
  still active at the month's end and their MRR; the sBG fit: each account's first start and
  last end;
- RFM: per customer, the last purchase, the number of purchases and their total;
- BG/NBD and Gamma-Gamma: per customer, the first and last day of purchase, the days with a
  repeat purchase and their total.

The maths stays in `kaname.analytics` (cohorts.lead_cohorts_from_counts,
cohorts.customer_cohorts_from_counts, rfm.score_customers, clv.summary_from_days);
tests/metrics/test_warehouse_inputs.py checks the numbers equal those computed from the rows,
on DuckDB, PostgreSQL and PySpark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from kaname.metrics.measures import is_new_business

LEAD_STAGES = ("mql", "sql", "opportunity", "deal")


def _midnight(day: dt.date) -> ir.TimestampScalar:
    return ibis.timestamp(dt.datetime.combine(day, dt.time()))


def _month_index(ts: ir.TimestampValue) -> ir.IntegerValue:
    return ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1


def lead_milestones_expr(tables: Mapping[str, ir.Table]) -> ir.Table:
    """Leads with created/MQL/SQL timestamps and the creation (opportunity_at) and win (deal_at)
    of their first new-business opportunity: `journeys.lead_milestones` on the warehouse."""
    o = tables["opportunities"]
    o = o.filter(is_new_business(o), o.lead_id.notnull())
    rank = ibis.row_number().over(
        group_by=o.lead_id, order_by=[o.created_at.asc(nulls_first=False), o.opportunity_id]
    )
    o = o.mutate(_rank=rank)
    o = o.filter(o._rank == 0)
    first = o.select(
        opp_lead_id=o.lead_id,
        opportunity_at=o.created_at,
        deal_at=ibis.ifelse(o.is_won.fill_null(False), o.closed_at, ibis.null("timestamp")),
    )
    leads = tables["leads"].select("lead_id", "created_at", "mql_at", "sql_at")
    joined = leads.left_join(first, leads.lead_id == first.opp_lead_id)
    return joined.drop("opp_lead_id")


def lead_cohort_counts(
    tables: Mapping[str, ir.Table],
    as_of: dt.date,
    since: dt.date | None = None,
    stages: Sequence[str] = LEAD_STAGES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sizes, reached) for `cohorts.lead_cohorts_from_counts`, as of `as_of`: leads created up
    to the end of that day (from `since`), stages reached after it left out."""
    limit = _midnight(as_of + dt.timedelta(days=1))
    m = lead_milestones_expr(tables)
    m = m.filter(m.created_at.notnull(), m.created_at <= limit)
    if since is not None:
        m = m.filter(m.created_at >= _midnight(since))
    m = m.mutate(cohort=_month_index(m.created_at))
    sizes = m.group_by("cohort").aggregate(leads=m.count()).to_pandas()
    parts = []
    for stage in stages:
        at = m[f"{stage}_at"]
        reached = m.filter(at.notnull(), at <= limit)
        reached = reached.mutate(offset=_month_index(reached[f"{stage}_at"]) - reached.cohort)
        reached = reached.filter(reached.offset >= 0)
        parts.append(
            reached.group_by("cohort", "offset").aggregate(
                stage=ibis.literal(stage), reached=reached.count()
            )
        )
    counts = ibis.union(*parts).to_pandas() if parts else pd.DataFrame()
    sizes = sizes.astype({"cohort": "int64", "leads": "int64"}).sort_values("cohort")
    columns = ["cohort", "stage", "offset", "reached"]
    if counts.empty:
        return sizes.reset_index(drop=True), pd.DataFrame(columns=columns)
    counts = counts.astype({"cohort": "int64", "offset": "int64", "reached": "int64"})
    counts["stage"] = counts["stage"].astype("object")
    return sizes.reset_index(drop=True), counts[columns]


def _won_deals(tables: Mapping[str, ir.Table], until: dt.datetime) -> ir.Table:
    """Won opportunities of every type closed up to `until` (`journeys.won_deals`):
    customer_id, date, amount."""
    o = tables["opportunities"]
    o = o.filter(o.is_won, o.closed_at.notnull(), o.account_id.notnull())
    o = o.filter(o.closed_at <= ibis.timestamp(until))
    return o.select(
        customer_id=o.account_id,
        date=o.closed_at,
        amount=o.amount.cast("float64").fill_null(0.0),
    )


def rfm_customers(tables: Mapping[str, ir.Table], as_of: dt.date) -> pd.DataFrame:
    """Per customer with a won deal up to `as_of`: last_purchase, frequency, monetary (indexed
    by customer_id in id order, the input of `rfm.score_customers`). Like `rfm.rfm_table`,
    deals closed up to midnight starting `as_of` count."""
    t = _won_deals(tables, dt.datetime.combine(as_of, dt.time()))
    expr = t.group_by("customer_id").aggregate(
        last_purchase=t.date.max(), frequency=t.count(), monetary=t.amount.sum()
    )
    frame = expr.to_pandas()
    frame["customer_id"] = frame["customer_id"].astype("object")
    frame["last_purchase"] = pd.to_datetime(frame["last_purchase"])
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["monetary"] = frame["monetary"].astype("float64")
    return frame.sort_values("customer_id").set_index("customer_id")


def purchase_days(tables: Mapping[str, ir.Table], as_of: dt.date) -> pd.DataFrame:
    """Per customer with a won deal up to `as_of`: first_day, last_day (of purchase),
    repeat_days (days with a purchase after the first) and repeat_amount (their total): the
    input of `clv.summary_from_days` (BG/NBD frequency, recency, T; Gamma-Gamma spend). Like
    `clv.rfm_summary`, every deal closed on `as_of` counts."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    t = _won_deals(tables, end - dt.timedelta(microseconds=1))
    daily = t.group_by("customer_id", day=t.date.truncate("D")).aggregate(amount=t.amount.sum())
    daily = daily.mutate(first=daily.day.min().over(group_by=daily.customer_id))
    repeat = daily.day > daily.first
    expr = daily.group_by("customer_id").aggregate(
        first_day=daily.day.min(),
        last_day=daily.day.max(),
        repeat_days=repeat.sum(),
        repeat_amount=daily.amount.sum(where=repeat),
    )
    frame = expr.to_pandas()
    frame["customer_id"] = frame["customer_id"].astype("object")
    for column in ("first_day", "last_day"):
        frame[column] = pd.to_datetime(frame[column])
    frame["repeat_days"] = frame["repeat_days"].fillna(0).astype("int64")
    frame["repeat_amount"] = frame["repeat_amount"].astype("float64")
    return frame.sort_values("customer_id").set_index("customer_id")


def _month_ends(first: int, last: int, as_of: dt.date) -> pd.DataFrame:
    """Month indexes first..last with the day a customer must be active on: the month's last
    day, or `as_of` in its own month."""
    rows = []
    for month in range(first, last + 1):
        year, number = divmod(month, 12)
        following = dt.date(year + (number == 11), (number + 1) % 12 + 1, 1)
        rows.append((month, min(following - dt.timedelta(days=1), as_of)))
    return pd.DataFrame(rows, columns=["month", "day"])


def customer_cohort_counts(
    tables: Mapping[str, ir.Table], as_of: dt.date, months: int = 24
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sizes, active) for `cohorts.customer_cohorts_from_counts`: customers per start-month
    cohort, and per cohort × month the customers with an active subscription line on the
    month's last day (or `as_of`) and those lines' MRR."""
    s = tables["subscriptions"]
    s = s.filter(s.start_date.notnull(), s.start_date <= as_of)
    first = s.group_by("account_id").aggregate(first_start=s.start_date.min())
    first = first.mutate(cohort=_month_index(first.first_start))
    sizes = first.group_by("cohort").aggregate(customers=first.count()).to_pandas()
    sizes = sizes.astype({"cohort": "int64", "customers": "int64"})
    columns = ["cohort", "month", "retained", "mrr"]
    if sizes.empty:
        return sizes, pd.DataFrame(columns=columns)
    now = as_of.year * 12 + as_of.month - 1
    calendar = ibis.memtable(_month_ends(int(sizes["cohort"].min()), now, as_of))
    calendar = calendar.mutate(day=calendar.day.cast("date"))
    lines = s.inner_join(first, "account_id").select(
        "account_id", "mrr", "start_date", "end_date", "cohort"
    )
    joined = lines.inner_join(
        calendar,
        [
            calendar.month >= lines.cohort,
            calendar.month <= lines.cohort + months,
            lines.start_date <= calendar.day,
            lines.end_date.isnull() | (lines.end_date > calendar.day),
        ],
    )
    active = joined.group_by("cohort", "month").aggregate(
        retained=joined.account_id.nunique(), mrr=joined.mrr.sum()
    )
    frame = active.to_pandas().astype({"cohort": "int64", "month": "int64", "retained": "int64"})
    frame["mrr"] = frame["mrr"].astype("float64").fillna(0.0)
    return sizes, frame[columns]


def customer_lifetimes(tables: Mapping[str, ir.Table]) -> pd.DataFrame:
    """Per account with a subscription line: its first start and, when every line has ended,
    its last end (null otherwise): the sBG retention input."""
    s = tables["subscriptions"]
    expr = s.group_by("account_id").aggregate(
        start=s.start_date.min(),
        end=ibis.ifelse(s.end_date.count() == s.count(), s.end_date.max(), ibis.null("date")),
    )
    frame = expr.to_pandas()
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame.sort_values("account_id").set_index("account_id")
