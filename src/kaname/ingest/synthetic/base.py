"""What every part of the demo company shares: the calendar, the random generator, the
drawn leads and the array helpers that turn numpy arrays into Arrow columns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from kaname.ingest.synthetic import profile as P

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
DAY = 86_400
NAT = np.iinfo(np.int64).min  # marks "not happened" in second-resolution arrays

Chunk = tuple[str, pa.Table]


def id_array(prefix: str, numbers: npt.ArrayLike, width: int) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def ts_array(seconds: I64) -> pa.Array:
    """Epoch seconds to a timestamp array; NAT becomes null."""
    mask = seconds == NAT
    return pa.array(
        np.where(mask, 0, seconds).astype("datetime64[s]"), mask=mask, type=pa.timestamp("s")
    ).cast(pa.timestamp("us"))


def date_array(days: I64, mask: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), mask=mask, type=pa.date32())


def take(values: tuple[str, ...], index: I64) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[index], type=pa.string())


@dataclass
class Leads:
    n: int
    channel: I64
    campaign: I64
    account: I64
    segment: I64
    owner: I64
    created: I64
    mql: I64
    sql: I64
    disq: I64


class CompanyBase:
    """The state the parts share. Campaigns (marketing.py) and leads (people.py) are drawn
    first and kept here for the parts drawn after them."""

    camp_channel: npt.NDArray[np.object_]
    camp_type: npt.NDArray[np.object_]
    camp_start: I64
    camp_end: I64
    camp_ids: pa.Array
    n_accounts: int
    account_segment: I64
    _tp_next: int

    def __init__(self, scale: float, seed: int, as_of: dt.date, months: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.scale = scale
        self.as_of = as_of
        first = dt.date(as_of.year, as_of.month, 1)
        index = first.year * 12 + first.month - 1 - (months - 1)
        self.start = dt.date(index // 12, index % 12 + 1, 1)
        self.start_day = int(np.datetime64(self.start, "D").astype(np.int64))
        self.end_day = int(np.datetime64(as_of, "D").astype(np.int64))
        self.end_s = (self.end_day + 1) * DAY - 1  # last second of as_of
        self.days = np.arange(self.start_day, self.end_day + 1, dtype=np.int64)
        self.day_weight = self._day_weights()
        self.channels = P.CHANNELS
        self.channel_ids = tuple(c.id for c in P.CHANNELS)

    # ------------------------------------------------------------------ calendar
    def _day_weights(self) -> F64:
        dates = self.days.astype("datetime64[D]")
        months = (dates.astype("datetime64[M]").astype(np.int64) % 12) + 1
        weekday = (self.days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        jp = holidays.Japan(years=range(self.start.year, self.as_of.year + 1))
        hol = np.isin(dates, np.array(sorted(jp.keys()), dtype="datetime64[D]"))
        md = (months * 100) + (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        new_year = (md >= 1228) | (md <= 104)
        w = np.array([P.MONTH_SEASONALITY[int(m)] for m in range(1, 13)])[months - 1]
        w = w * np.where(weekday >= 5, P.WEEKEND_WEIGHT, 1.0)
        w = w * np.where(hol, P.HOLIDAY_WEIGHT, 1.0) * np.where(new_year, P.NEW_YEAR_WEIGHT, 1.0)
        month_no = (self.days - self.start_day) / 30.44
        return np.asarray(w * (1 + P.MONTHLY_GROWTH) ** month_no, dtype=np.float64)

    def _month_index(self, seconds_or_days: I64, seconds: bool = True) -> I64:
        days = seconds_or_days // DAY if seconds else seconds_or_days
        return np.asarray(
            days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
            - np.datetime64(self.start, "M").astype(np.int64),
            dtype=np.int64,
        )

    def _work_time(self, days: I64) -> I64:
        """A second within working hours (9:00–19:00) of each day."""
        return days * DAY + 9 * 3600 + self.rng.integers(0, 10 * 3600, len(days))

    def _campaigns_of(self, channel: str) -> I64:
        return np.flatnonzero(self.camp_channel == channel)

    def _campaign_for_day(self, camps: I64, days: I64) -> I64:
        """The latest campaign of the channel that started on or before each day."""
        starts = self.camp_start[camps]
        order = np.argsort(starts, kind="stable")
        pos = np.searchsorted(starts[order], days, side="right") - 1
        return np.asarray(camps[order][np.maximum(pos, 0)], dtype=np.int64)

    def _after(
        self, base: I64, happens: npt.NDArray[np.bool_], median_days: float, sigma: float
    ) -> I64:
        """Event times a lognormal delay after `base`; NAT where it does not (or not yet) happen."""
        delay = self.rng.lognormal(np.log(median_days), sigma, len(base)) * DAY
        at = base + delay.astype(np.int64)
        ok = happens & (base != NAT) & (at <= self.end_s)
        return np.where(ok, at, NAT)
