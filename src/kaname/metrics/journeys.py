"""Frames for the analytics package, read from the canonical warehouse tables.

Journeys (attribution paths) at lead level and account level, lead milestones for cohorts,
subscriptions and won deals as transactions. The pure maths lives in `kaname.analytics`; this
module only selects and shapes rows (columns pulled through Ibis, shaping in pandas).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from kaname.metrics.measures import is_new_business

Level = Literal["lead", "account"]
Conversion = Literal["deal", "opportunity"]

# Deliveries are not interactions: a sent or delivered e-mail does not touch the buyer.
PASSIVE_TOUCH_TYPES: tuple[str, ...] = ("email_sent", "email_delivered")
UNKNOWN_CHANNEL = "unknown"


class JourneyError(ValueError):
    """Journeys cannot be built with these options; the message says why."""


def _frame(expr: ir.Table) -> pd.DataFrame:
    return expr.to_pandas()


def _touches(tables: Mapping[str, ir.Table], exclude_types: Sequence[str]) -> pd.DataFrame:
    t = tables["touchpoints"]
    if exclude_types:
        t = t.filter(~t.type.isin(list(exclude_types)))
    frame = _frame(t.select("touchpoint_id", "lead_id", "account_id", "occurred_at", "channel"))
    frame["channel"] = frame["channel"].fillna(UNKNOWN_CHANNEL).astype("object")
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"])
    return frame


def _new_business(tables: Mapping[str, ir.Table]) -> pd.DataFrame:
    o = tables["opportunities"]
    o = o.filter(is_new_business(o))
    frame = _frame(
        o.select(
            "opportunity_id", "lead_id", "account_id", "amount", "created_at", "closed_at", "is_won"
        )
    )
    for column in ("created_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame["is_won"] = frame["is_won"].fillna(False).astype(bool)
    frame["amount"] = frame["amount"].fillna(0.0).astype("float64")
    return frame


def journeys(
    tables: Mapping[str, ir.Table],
    level: Level = "lead",
    conversion: Conversion = "deal",
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
    exclude_types: Sequence[str] = PASSIVE_TOUCH_TYPES,
) -> pd.DataFrame:
    """One row per journey that ended in [start, end): the attribution input.

    A journey is a lead's (or, at account level, all contacts' on an account) touches up to its
    outcome. conversion="deal": converted when the lead's/account's first new-business
    opportunity is won (value = amount), ended at the close; lost opportunities end as nulls,
    open ones are left out. conversion="opportunity": converted when the opportunity is created
    (value = amount). Journeys with no opportunity are nulls ending at their last touch.
    Columns: journey_id, path, days_before, lead_touch, opportunity_touch, close_touch,
    conversions, nulls, value, ended_at.
    """
    if level not in ("lead", "account"):
        raise JourneyError("level is 'lead' or 'account'")
    if conversion not in ("deal", "opportunity"):
        raise JourneyError("conversion is 'deal' or 'opportunity'")
    key = "lead_id" if level == "lead" else "account_id"
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1) if as_of else None
    touches = _touches(tables, exclude_types).dropna(subset=[key])
    if cutoff is not None:
        touches = touches[touches["occurred_at"] < cutoff]
    opps = _new_business(tables).dropna(subset=[key])
    opps = opps.sort_values(["created_at", "opportunity_id"]).drop_duplicates(key, keep="first")
    if cutoff is not None:
        opps = opps[opps["created_at"] < cutoff]
        late = opps["closed_at"] >= cutoff
        opps.loc[late, "closed_at"] = pd.NaT
        opps.loc[late, "is_won"] = False
    leads = tables["leads"]
    lead_frame = _frame(leads.select("lead_id", "account_id", "created_at"))
    lead_frame["created_at"] = pd.to_datetime(lead_frame["created_at"])
    created = lead_frame.dropna(subset=[key]).groupby(key)["created_at"].min()

    keys = pd.Index(touches[key].unique())
    jr = pd.DataFrame(index=keys)
    jr.index.name = key
    jr = jr.join(opps.set_index(key)[["created_at", "closed_at", "is_won", "amount"]], how="left")
    last_touch = touches.groupby(key)["occurred_at"].max()
    has_opp = jr["created_at"].notna()
    if conversion == "deal":
        closed = jr["closed_at"].notna()
        jr = jr[~has_opp | closed]  # open opportunities: outcome unknown
        has_opp = jr["created_at"].notna()
        jr["ended_at"] = jr["closed_at"].where(has_opp, last_touch.reindex(jr.index))
        won = has_opp & jr["is_won"].fillna(False).astype(bool)
    else:
        jr["ended_at"] = jr["created_at"].where(has_opp, last_touch.reindex(jr.index))
        won = has_opp
    jr["conversions"] = won.astype("float64")
    jr["nulls"] = 1.0 - jr["conversions"]
    jr["value"] = jr["amount"].where(won, 0.0).fillna(0.0)
    jr["lead_created_at"] = created.reindex(jr.index)
    if start is not None:
        jr = jr[jr["ended_at"] >= pd.Timestamp(start)]
    if end is not None:
        jr = jr[jr["ended_at"] < pd.Timestamp(end)]
    if jr.empty:
        return pd.DataFrame(
            columns=[
                "journey_id",
                "path",
                "days_before",
                "lead_touch",
                "opportunity_touch",
                "close_touch",
                "conversions",
                "nulls",
                "value",
                "ended_at",
            ]
        )

    t = touches.merge(
        jr[["ended_at", "created_at", "lead_created_at"]], left_on=key, right_index=True
    )
    t = t[t["occurred_at"] <= t["ended_at"]].sort_values(
        [key, "occurred_at", "touchpoint_id"], kind="stable"
    )  # ties in time: by touchpoint id, as the warehouse orders them (journey_paths.py)
    t["position"] = t.groupby(key).cumcount()
    t["days_before"] = (t["ended_at"] - t["occurred_at"]).dt.total_seconds() / 86400.0

    def last_position_before(column: str) -> pd.Series:
        hit = t[t["occurred_at"] <= t[column]]
        return hit.groupby(key)["position"].max()

    grouped = t.groupby(key, sort=True)
    out = pd.DataFrame(
        {
            "path": grouped["channel"].agg(list),
            "days_before": grouped["days_before"].agg(list),
        }
    )
    out["lead_touch"] = last_position_before("lead_created_at").reindex(out.index).fillna(0)
    opp_touch = last_position_before("created_at").reindex(out.index)
    out["opportunity_touch"] = opp_touch.fillna(grouped["position"].max())
    out["close_touch"] = grouped["position"].max()
    out = out.join(jr[["conversions", "nulls", "value", "ended_at"]], how="left")
    out.index.name = "journey_id"
    out = out.reset_index()
    for column in ("lead_touch", "opportunity_touch", "close_touch"):
        out[column] = out[column].astype("int64")
    return out


def lead_milestones(tables: Mapping[str, ir.Table]) -> pd.DataFrame:
    """Leads with created/MQL/SQL timestamps and the creation of their first new-business
    opportunity and its win: the lead-cohort input (columns created_at, mql_at, sql_at,
    opportunity_at, deal_at)."""
    leads = _frame(tables["leads"].select("lead_id", "created_at", "mql_at", "sql_at"))
    opps = _new_business(tables).dropna(subset=["lead_id"])
    opps = opps.sort_values(["created_at", "opportunity_id"])
    opps = opps.drop_duplicates("lead_id", keep="first").set_index("lead_id")
    frame = leads.set_index("lead_id")
    frame["opportunity_at"] = opps["created_at"].reindex(frame.index)
    won = opps[opps["is_won"]]
    frame["deal_at"] = won["closed_at"].reindex(frame.index)
    for column in ("created_at", "mql_at", "sql_at", "opportunity_at", "deal_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.reset_index()


def subscriptions(tables: Mapping[str, ir.Table]) -> pd.DataFrame:
    """Subscription lines: account_id, mrr, start_date, end_date, end_reason."""
    s = tables["subscriptions"]
    frame = _frame(s.select("account_id", "mrr", "start_date", "end_date", "end_reason"))
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


def won_deals(tables: Mapping[str, ir.Table]) -> pd.DataFrame:
    """Won opportunities of every type as transactions: customer_id, date, amount."""
    o = tables["opportunities"]
    o = o.filter(o.is_won & o.closed_at.notnull() & o.account_id.notnull())
    frame = _frame(
        o.select(
            customer_id=o.account_id, date=o.closed_at, amount=o.amount.fill_null(ibis.literal(0.0))
        )
    )
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def spend_by_channel(
    tables: Mapping[str, ir.Table], start: dt.date | None, end: dt.date | None
) -> pd.Series:
    """Marketing cost per channel in [start, end)."""
    s = tables["spend"]
    if start is not None:
        s = s.filter(s.date >= start)
    if end is not None:
        s = s.filter(s.date < end)
    frame = _frame(s.group_by("channel").aggregate(cost=s.cost.sum()))
    return frame.set_index("channel")["cost"].astype("float64")
