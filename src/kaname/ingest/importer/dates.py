"""Dates and timestamps in the forms Japanese files use, Western and by era (令和, 平成, 昭和)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaname.ingest.importer.cells import clean

_ERA_DAYS = {
    "令和": ("2019-05-01", "2100-12-31"),
    "平成": ("1989-01-08", "2019-04-30"),
    "昭和": ("1926-12-25", "1989-01-07"),
}
"""The days each era covers: 令和1年1月1日 or 平成32年 name no day at all."""
_ERAS = {"令和": "令和", "r": "令和", "平成": "平成", "h": "平成", "昭和": "昭和", "s": "昭和"}

_TIME = r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
_WESTERN = r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?" + _TIME + r"$"
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_SLASHED = r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})" + _TIME + r"$"
"""12/31/2025 (US CRM exports) or 31/12/2025: which comes first is decided per column."""
_WAREKI = (
    r"^(?P<era>令和|平成|昭和|[RrHhSs])(?P<y>\d{1,2}|元)[年./-](?P<m>\d{1,2})[月./-]"
    r"(?P<d>\d{1,2})日?" + _TIME + r"$"
)


def _int_field(struct: pa.Array, name: str, default: int = -1) -> np.ndarray:
    values = pc.struct_field(struct, name)
    if name in ("H", "M", "S") and not pc.any(pc.greater(pc.utf8_length(values), 0)).as_py():
        return np.full(len(values), default, dtype=np.int64)
    values = pc.if_else(pc.equal(pc.utf8_length(values), 0), pa.scalar(None, pa.string()), values)
    return np.asarray(pc.fill_null(pc.cast(values, pa.int64()), default), dtype=np.int64)


def parse_dates(arr: pa.Array, with_time: bool) -> tuple[pa.Array, np.ndarray]:
    """Dates as 2025-04-01, 2025/4/1, 2025.4.1, 2025年4月1日, 20250401, 令和7年4月1日, R7.4.1,
    and 4/1/2025 (month first, as US CRM exports write; day first when the column shows it:
    31/12/2025), optionally followed by a time of day. Returns typed values and the invalid
    mask."""
    values, bad, _ = parse_dates_by_era(arr, with_time)
    return values, bad


def parse_dates_by_era(arr: pa.Array, with_time: bool) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """parse_dates, and which invalid cells are era dates the era did not cover (令和1年1月1日:
    令和 began on 1 May 2019)."""
    n = len(arr)
    # Fast path on the raw text; only the cells it cannot read are cleaned and matched.
    fast, fast_ok = _fast_dates(arr, np.asarray(pc.greater(pc.utf8_length(arr), 0), dtype=bool))
    rest = np.flatnonzero(~fast_ok)
    if len(rest) < n:
        cleaned = clean(arr.take(pa.array(rest)))
        text = pa.array([None] * n, type=pa.string()) if len(rest) else arr
        if len(rest):
            # Scatter the cleaned cells back; the fast-read ones are not looked at again.
            positions = np.full(n, len(rest), dtype=np.int64)
            positions[rest] = np.arange(len(rest))
            text = pc.take(
                pa.concat_arrays([cleaned, pa.array([None], pa.string())]), pa.array(positions)
            )
    else:
        text = clean(arr)
    present = np.asarray(pc.is_valid(text), dtype=bool) | fast_ok
    if not (present & ~fast_ok).any():  # the usual file: one format throughout
        out = pa.array(fast, type=pa.timestamp("us"), mask=~fast_ok)
        none = np.zeros(n, dtype=bool)
        return (out if with_time else pc.cast(out, pa.date32())), none, none
    year = np.full(n, -1, dtype=np.int64)
    era_from = np.full(n, np.datetime64("1900-01-01"), dtype="datetime64[D]")
    era_to = np.full(n, np.datetime64("2100-12-31"), dtype="datetime64[D]")
    month, day = year.copy(), year.copy()
    hour, minute, second = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    matched = np.zeros(n, dtype=bool)
    for pattern in (_WESTERN, _COMPACT, _WAREKI, _SLASHED):
        todo = present & ~matched & ~fast_ok
        if not todo.any():
            break
        # The first pattern runs on the whole column when nothing was read fast; otherwise
        # every pattern only on the rows still unread.
        whole = pattern is _WESTERN and not fast_ok.any()
        idx = np.arange(n) if whole else np.flatnonzero(todo)
        sub = pc.extract_regex(text if whole else text.take(pa.array(idx)), pattern)
        hit_sub = np.asarray(pc.is_valid(sub), dtype=bool)
        if not hit_sub.any():
            continue
        if not hit_sub.all():
            sub = sub.filter(pa.array(hit_sub))
            idx = idx[hit_sub]
        if pattern is _WAREKI:
            eras = [_ERAS[e] for e in pc.utf8_lower(pc.struct_field(sub, "era")).to_pylist()]
            raw_y = pc.struct_field(sub, "y").to_pylist()
            first_days = np.array([_ERA_DAYS[e][0] for e in eras], dtype="datetime64[D]")
            y = np.array([1 if v == "元" else int(v) for v in raw_y], dtype=np.int64)
            year[idx] = first_days.astype("datetime64[Y]").astype(np.int64) + 1969 + y
            era_from[idx] = first_days
            era_to[idx] = np.array([_ERA_DAYS[e][1] for e in eras], dtype="datetime64[D]")
        else:
            year[idx] = _int_field(sub, "y")
        if pattern is _SLASHED:
            lead, then = _int_field(sub, "a"), _int_field(sub, "b")
            # Month first (12/31/2025, as US exports write) unless the column shows a day
            # first (31/12/2025) and never a second field over 12; a row the chosen order
            # cannot read is reported as an invalid date.
            day_first = bool((lead > 12).any()) and not bool((then > 12).any())
            month[idx], day[idx] = (then, lead) if day_first else (lead, then)
        else:
            month[idx] = _int_field(sub, "m")
            day[idx] = _int_field(sub, "d")
        if pattern is not _COMPACT:
            hour[idx] = _int_field(sub, "H", 0)
            minute[idx] = _int_field(sub, "M", 0)
            second[idx] = _int_field(sub, "S", 0)
        matched[idx] = True
    ok = matched & (year >= 1900) & (year <= 2100) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    days_in_month = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= day <= days_in_month
    stamp = first + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    no_such_era_date = ok & ((stamp < era_from) | (stamp > era_to))
    ok &= ~no_such_era_date
    values = (
        stamp.astype("datetime64[us]")
        + hour.astype("timedelta64[h]")
        + minute.astype("timedelta64[m]")
        + second.astype("timedelta64[s]")
    )
    if fast_ok.any():
        values = np.where(fast_ok, fast, values)
        ok |= fast_ok
    out = pa.array(values, type=pa.timestamp("us"), mask=~ok)
    if not with_time:
        out = pc.cast(out, pa.date32())
    return out, present & ~ok, no_such_era_date


FAST_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
)


def _fast_dates(text: pa.Array, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arrow's strptime in the column's most common format (chosen on a sample): six times
    faster than the regular expressions, which then read only the rows it could not."""
    n = len(text)
    none = np.zeros(n, dtype=bool)
    sample = text.filter(pa.array(present)).slice(0, 200)
    if len(sample) == 0:
        return np.zeros(n, dtype="datetime64[us]"), none
    best, best_hits = None, 0
    for fmt in FAST_FORMATS:
        parsed = pc.strptime(sample, format=fmt, unit="us", error_is_null=True)
        hits = len(parsed) - parsed.null_count
        if hits > best_hits:
            best, best_hits = fmt, hits
    if best is None:
        return np.zeros(n, dtype="datetime64[us]"), none
    stamps = pc.strptime(text, format=best, unit="us", error_is_null=True)
    ok = np.asarray(pc.is_valid(stamps), dtype=bool)
    if ok.any():
        years = pc.year(stamps)
        in_range = pc.and_(pc.greater_equal(years, 1900), pc.less_equal(years, 2100))
        ok &= np.asarray(pc.fill_null(in_range, False), dtype=bool)
        # strptime rolls 2025/2/30 over to 3/2: the month written must be the month read. A
        # rolled-over date lands on the 1st–3rd (31 days at most on 28), so only those rows
        # need their written month read back.
        early = ok & np.asarray(pc.fill_null(pc.less_equal(pc.day(stamps), 3), False), dtype=bool)
        if early.any():
            idx = pa.array(np.flatnonzero(early))
            written = pc.cast(
                pc.list_element(pc.split_pattern(text.take(idx), best[2], max_splits=2), 1),
                pa.int64(),
            )
            same = pc.equal(written, pc.month(stamps.take(idx)))
            ok[np.flatnonzero(early)] = np.asarray(pc.fill_null(same, False), dtype=bool)
    values = np.asarray(pc.fill_null(stamps, 0).cast(pa.int64())).astype("datetime64[us]")
    return values, ok
