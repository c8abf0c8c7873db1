"""Attribution inputs aggregated where the data lives (Ibis expressions run on the warehouse).

A journey is a lead's (or an account's) touches up to its outcome, as `journeys.journeys`
defines it row by row. Every attribution model reads far less than the journeys themselves:

- Markov, Shapley and the path-only rule models (first, last, linear, J, inverse J) read the
  distinct paths with their journeys, conversions, nulls and value;
- the milestone models (lead creation, U, W, full path, custom) also read the positions of the
  lead, opportunity and close touches: distinct path × milestones;
- time decay reads each touch's age at the outcome: its credit per channel is summed in SQL.

So the warehouse builds the journeys, orders their touches and groups them; only the distinct
paths (at most a few hundred thousand rows, however many journeys there are) reach pandas. The
same expressions run on DuckDB, PostgreSQL and PySpark (tests/metrics/test_warehouse_inputs.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kaname.metrics.journeys import (
    PASSIVE_TOUCH_TYPES,
    UNKNOWN_CHANNEL,
    Conversion,
    JourneyError,
    Level,
)
from kaname.metrics.measures import is_new_business


@dataclass(frozen=True)
class JourneyOptions:
    """Which journeys: level, conversion, [start, end) of the outcome, as-of date, and the
    touch types that are not interactions."""

    level: Level = "lead"
    conversion: Conversion = "deal"
    start: dt.date | None = None
    end: dt.date | None = None
    as_of: dt.date | None = None
    exclude_types: Sequence[str] = PASSIVE_TOUCH_TYPES

    def __post_init__(self) -> None:
        if self.level not in ("lead", "account"):
            raise JourneyError("level is 'lead' or 'account'")
        if self.conversion not in ("deal", "opportunity"):
            raise JourneyError("conversion is 'deal' or 'opportunity'")

    @property
    def key(self) -> str:
        return "lead_id" if self.level == "lead" else "account_id"

    @property
    def cutoff(self) -> dt.datetime | None:
        if self.as_of is None:
            return None
        return dt.datetime.combine(self.as_of + dt.timedelta(days=1), dt.time())


def _at(day: dt.date) -> ir.TimestampScalar:
    return ibis.timestamp(dt.datetime.combine(day, dt.time()))


def _touches(tables: Mapping[str, ir.Table], opts: JourneyOptions) -> ir.Table:
    t = tables["touchpoints"]
    key = opts.key
    if opts.exclude_types:
        t = t.filter(~t.type.isin(list(opts.exclude_types)))
    t = t.filter(t[key].notnull(), t.occurred_at.notnull())
    if opts.cutoff is not None:
        t = t.filter(t.occurred_at < ibis.timestamp(opts.cutoff))
    return t.select(
        key=t[key],
        touchpoint_id=t.touchpoint_id,
        occurred_at=t.occurred_at,
        channel=t.channel.fill_null(ibis.literal(UNKNOWN_CHANNEL)),
    )


def _first_opportunity(tables: Mapping[str, ir.Table], opts: JourneyOptions) -> ir.Table:
    """Each key's first new-business opportunity (by creation) as it stood on the as-of date."""
    o = tables["opportunities"]
    key = opts.key
    o = o.filter(is_new_business(o), o[key].notnull())
    rank = ibis.row_number().over(
        group_by=o[key], order_by=[o.created_at.asc(nulls_first=False), o.opportunity_id]
    )
    o = o.mutate(_rank=rank)
    o = o.filter(o._rank == 0, o.created_at.notnull())
    is_won = o.is_won.fill_null(False)
    closed_at = o.closed_at
    if opts.cutoff is not None:
        cutoff = ibis.timestamp(opts.cutoff)
        o = o.filter(o.created_at < cutoff)
        late = o.closed_at >= cutoff
        is_won = ibis.ifelse(late, False, o.is_won.fill_null(False))
        closed_at = ibis.ifelse(late, ibis.null("timestamp"), o.closed_at)
    return o.select(
        key=o[key],
        opp_created_at=o.created_at,
        opp_closed_at=closed_at,
        opp_won=is_won,
        opp_amount=o.amount.cast("float64").fill_null(0.0),
    )


def journey_outcomes(tables: Mapping[str, ir.Table], opts: JourneyOptions) -> ir.Table:
    """One row per journey (key) that ended in [start, end): ended_at, conversions, nulls,
    value, and the creation of the lead and of the opportunity (for the milestone touches)."""
    touches = _touches(tables, opts)
    last = touches.group_by("key").aggregate(last_touch=touches.occurred_at.max())
    opps = _first_opportunity(tables, opts)
    leads = tables["leads"]
    lead_key = leads[opts.key]
    created = (
        leads.filter(lead_key.notnull())
        .group_by(key=lead_key)
        .aggregate(lead_created_at=leads.created_at.min())
    )
    jr = last.left_join(opps, "key").drop("key_right")
    jr = jr.left_join(created, "key").drop("key_right")
    has_opp = jr.opp_created_at.notnull()
    if opts.conversion == "deal":
        jr = jr.filter(~has_opp | jr.opp_closed_at.notnull())  # open: outcome unknown
        ended = ibis.ifelse(has_opp, jr.opp_closed_at, jr.last_touch)
        won = has_opp & jr.opp_won
    else:
        ended = ibis.ifelse(has_opp, jr.opp_created_at, jr.last_touch)
        won = has_opp
    # integers cast to doubles: PostgreSQL would type the literals 1.0 and 0.0 as numeric
    won_count = ibis.ifelse(won, 1, 0)
    jr = jr.select(
        "key",
        "lead_created_at",
        "opp_created_at",
        ended_at=ended,
        conversions=won_count.cast("float64"),
        nulls=(1 - won_count).cast("float64"),
        value=ibis.ifelse(won, jr.opp_amount, 0.0),
    )
    if opts.start is not None:
        jr = jr.filter(jr.ended_at >= _at(opts.start))
    if opts.end is not None:
        jr = jr.filter(jr.ended_at < _at(opts.end))
    return jr


def journey_touches(tables: Mapping[str, ir.Table], opts: JourneyOptions) -> ir.Table:
    """The journeys' touches up to their outcome, with the journey's outcome columns."""
    touches = _touches(tables, opts)
    jr = journey_outcomes(tables, opts)
    t = touches.inner_join(jr, "key")
    t = t.drop(*(c for c in t.columns if c.endswith("_right")))
    return t.filter(t.occurred_at <= t.ended_at)


def journey_channels(tables: Mapping[str, ir.Table], opts: JourneyOptions) -> list[str]:
    """The channels of the journeys' touches, sorted: a channel's place in this list is its
    code in the path keys (a few dozen names, read with one small query)."""
    touches = _touches(tables, opts)
    found = touches.select("channel").distinct().to_pyarrow().column("channel").to_pylist()
    return sorted(str(c) for c in found)


def _per_journey(
    tables: Mapping[str, ir.Table],
    opts: JourneyOptions,
    milestones: bool,
    channels: Sequence[str],
) -> ir.Table:
    """One row per journey: its path key and milestones.

    The path key is the list of the journey's touches as integers, position × channels + the
    channel's code (its place in `channels`), sorted: the touches in order. Integers keep the
    warehouse's working memory small (18M touches at scale 10: no string per touch), and only
    the key, time, touch id, code and outcome (and the milestones' times, when asked) go through
    the window that numbers the touches."""
    t = journey_touches(tables, opts)
    width = max(1, len(channels))
    branches = [(name, i) for i, name in enumerate(channels)]
    code = t.channel.cases(*branches, else_=ibis.null()) if branches else ibis.null("int64")
    carried = ["lead_created_at", "opp_created_at"] if milestones else []
    t = t.select(
        "key",
        "occurred_at",
        "touchpoint_id",
        "conversions",
        "nulls",
        "value",
        *carried,
        _code=code.cast("int64"),
    )
    position = ibis.row_number().over(group_by=t.key, order_by=[t.occurred_at, t.touchpoint_id])
    t = t.mutate(_token=position.cast("int64") * width + t._code)
    aggregates: dict[str, ir.Value] = {
        "path_key": t._token.collect().sort(),
        "length": t.count(),
        "conversions": t.conversions.max(),
        "nulls": t.nulls.max(),
        "value": t.value.max(),
    }
    if milestones:
        aggregates["lead_hits"] = (t.occurred_at <= t.lead_created_at).fill_null(False).sum()
        aggregates["opp_hits"] = (t.occurred_at <= t.opp_created_at).fill_null(False).sum()
    out = t.group_by("key").aggregate(**aggregates)
    if milestones:
        out = out.mutate(
            lead_touch=ibis.ifelse(out.lead_hits > 0, out.lead_hits - 1, 0),
            opportunity_touch=ibis.ifelse(out.opp_hits > 0, out.opp_hits - 1, out.length - 1),
            close_touch=out.length - 1,
        )
    return out


MILESTONES = ("lead_touch", "opportunity_touch", "close_touch")


def path_counts_expr(
    tables: Mapping[str, ir.Table],
    opts: JourneyOptions,
    milestones: bool = False,
    channels: Sequence[str] | None = None,
) -> ir.Table:
    """Distinct paths (× milestone touches when asked) with journeys, conversions, nulls, value;
    `path_key` codes the channels by their place in `channels` (`journey_channels`)."""
    if channels is None:
        channels = journey_channels(tables, opts)
    per = _per_journey(tables, opts, milestones, channels)
    keys = ["path_key", *(MILESTONES if milestones else ())]
    return per.group_by(keys).aggregate(
        journeys=per.count(),
        conversions=per.conversions.sum(),
        nulls=per.nulls.sum(),
        value=per.value.sum(),
    )


def _decode(path_keys: pa.Array, channels: Sequence[str]) -> pa.Array:
    """Path keys (lists of position × channels + code) to lists of channel names, in Arrow
    (a list<string> column, read as it is by `kaname.analytics.paths`)."""
    if isinstance(path_keys, pa.ChunkedArray):
        path_keys = path_keys.combine_chunks()
    lists = path_keys.cast(pa.large_list(pa.int64()))
    tokens = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    names = pa.array(list(channels), pa.large_string())
    codes = np.remainder(tokens, max(1, len(channels)))
    starts = np.asarray(lists.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    offsets = pa.array(starts - starts[0], pa.int64())  # a slice's offsets need not start at 0
    return pa.LargeListArray.from_arrays(offsets, names.take(pa.array(codes)))


def path_counts(
    tables: Mapping[str, ir.Table], opts: JourneyOptions, milestones: bool = False
) -> pd.DataFrame:
    """`path_counts_expr` run on the warehouse: one row per distinct path (× milestones) with
    `path` (channels in order, an Arrow list column), journeys, conversions, nulls, value;
    sorted by path (channel by channel), then milestones."""
    channels = journey_channels(tables, opts)
    arrow = path_counts_expr(tables, opts, milestones, channels).to_pyarrow()
    columns = ["path", *(MILESTONES if milestones else ()), "journeys", "conversions", "nulls"]
    if arrow.num_rows == 0:
        return pd.DataFrame(columns=[*columns, "value"])
    keys = arrow.column("path_key")
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    order = _path_order(keys, channels, arrow, milestones)
    lists = _decode(keys.take(order), channels)
    out = pd.DataFrame({"path": pd.arrays.ArrowExtensionArray(lists)})
    order = order.to_numpy()
    for column in MILESTONES if milestones else ():
        out[column] = arrow.column(column).to_numpy()[order].astype("int64")
    out["journeys"] = arrow.column("journeys").to_numpy()[order].astype("int64")
    for column in ("conversions", "nulls", "value"):
        values = arrow.column(column).to_pandas().to_numpy(dtype="float64", na_value=np.nan)
        out[column] = np.nan_to_num(values[order], nan=0.0)
    del arrow, keys, lists
    pa.default_memory_pool().release_unused()  # the decoding's scratch memory, back to the OS
    return out


def _path_order(
    keys: pa.Array, channels: Sequence[str], arrow: pa.Table, milestones: bool
) -> pa.Array:
    """The order of the paths by their channel names, channel by channel (a path before its
    extensions), then milestones: the order the models have always read them in, whatever
    order the warehouse returns them in. The codes follow the sorted names, so each path is
    compared as its codes in big-endian bytes (no string per path)."""
    lists = keys.cast(pa.large_list(pa.int64()))
    codes = np.remainder(
        pc.list_flatten(lists).to_numpy(zero_copy_only=False), max(1, len(channels))
    )
    width = 2 if len(channels) <= 1 << 16 else 4
    data = codes.astype(">u2" if width == 2 else ">u4").tobytes()
    starts = np.asarray(lists.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    offsets = pa.py_buffer(((starts - starts[0]) * width).tobytes())
    binary = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(lists), [None, offsets, pa.py_buffer(data)]
    )
    columns = {"path": binary}
    for column in MILESTONES if milestones else ():
        columns[column] = arrow.column(column)
    table = pa.table(columns)
    return pc.sort_indices(table, sort_keys=[(name, "ascending") for name in columns])


def time_decay_credit(
    tables: Mapping[str, ir.Table], opts: JourneyOptions, half_life_days: float
) -> pd.DataFrame:
    """Time-decay credit per channel, computed on the warehouse: each touch weighs
    0.5 ** (days from it to the outcome ÷ half-life), each journey's weights scaled to sum to 1.
    Columns channel, conversions, value (unsorted; `credit_frame` orders them)."""
    t = journey_touches(tables, opts)
    seconds = t.ended_at.epoch_seconds().cast("float64") - t.occurred_at.epoch_seconds().cast(
        "float64"
    )
    days = seconds / 86400.0
    raw = ibis.literal(0.5).pow(ibis.greatest(days, 0.0) / float(half_life_days))
    t = t.mutate(_raw=raw)
    t = t.mutate(_weight=t._raw / t._raw.sum().over(group_by=t.key))
    credit = t.group_by("channel").aggregate(
        conversions=(t._weight * t.conversions).sum(),
        value=(t._weight * t.value).sum(),
    )
    frame = credit.to_pandas()
    frame["channel"] = frame["channel"].astype("object")
    for column in ("conversions", "value"):
        frame[column] = frame[column].astype("float64").fillna(0.0)
    return frame.sort_values("channel").reset_index(drop=True)


def totals(paths: pd.DataFrame) -> dict[str, float | int]:
    """Journeys, conversions and value of aggregated paths."""
    if paths.empty:
        return {"journeys": 0, "conversions": 0.0, "value": 0.0}
    return {
        "journeys": int(np.asarray(paths["journeys"]).sum()),
        "conversions": float(paths["conversions"].sum()),
        "value": float(paths["value"].sum()),
    }
