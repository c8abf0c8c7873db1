"""Validate and type a file's text columns for one canonical table, column at a time.

Every step is a vectorised Arrow/numpy operation over the whole column (no Python loop per
row), so a million-row file parses in about a second. Python only sees the distinct values of
enumerations. A row with any invalid cell is quarantined whole; each invalid cell yields one
issue (row, column, value, reason).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaname.canonical.channels import CHANNEL_IDS, normalise_channel
from kaname.canonical.tables import (
    LEAD_STATUSES,
    OPPORTUNITY_STAGES,
    OPPORTUNITY_TYPES,
    SEGMENTS,
    SOURCED_BY,
    TOUCHPOINT_TYPES,
    Table,
)
from kaname.ingest.importer.mapping import Mapping
from kaname.ingest.messages import message

CAMPAIGN_TYPES = (
    "search_ads",
    "display_ads",
    "seo_article",
    "webinar",
    "trade_show",
    "email_newsletter",
    "social_post",
    "whitepaper",
    "referral_programme",
    "partner_programme",
)
OPPORTUNITY_STAGE_VALUES = (*OPPORTUNITY_STAGES, "closed_won", "closed_lost")

# Enumerated columns: allowed values, plus common source labels (compared lower-case, NFKC).
ENUMS: dict[tuple[str, str], tuple[tuple[str, ...], dict[str, str]]] = {
    ("leads", "status"): (
        LEAD_STATUSES,
        {
            "new": "open",
            "open": "open",
            "lead": "open",
            "subscriber": "open",
            "marketingqualifiedlead": "mql",
            "marketing_qualified_lead": "mql",
            "salesqualifiedlead": "sql",
            "sales_qualified_lead": "sql",
            "qualified": "sql",
            "unqualified": "disqualified",
            "未対応": "open",
            "新規": "open",
            "商談化": "sql",
            "対象外": "disqualified",
            "失格": "disqualified",
        },
    ),
    ("leads", "segment"): (SEGMENTS, {}),
    ("accounts", "segment"): (SEGMENTS, {}),
    ("opportunities", "segment"): (SEGMENTS, {}),
    ("touchpoints", "type"): (TOUCHPOINT_TYPES, {}),
    ("opportunities", "type"): (
        OPPORTUNITY_TYPES,
        {
            "new": "new_business",
            "newbusiness": "new_business",
            "新規": "new_business",
            "アップセル": "upsell",
            "クロスセル": "cross_sell",
        },
    ),
    ("opportunities", "sourced_by"): (SOURCED_BY, {"マーケティング": "marketing", "営業": "sales"}),
    ("opportunities", "stage"): (
        OPPORTUNITY_STAGE_VALUES,
        {
            "won": "closed_won",
            "closedwon": "closed_won",
            "受注": "closed_won",
            "lost": "closed_lost",
            "closedlost": "closed_lost",
            "失注": "closed_lost",
        },
    ),
    ("opportunity_stages", "stage"): (OPPORTUNITY_STAGES, {}),
    ("campaigns", "type"): (CAMPAIGN_TYPES, {}),
    ("subscriptions", "change"): (("new", "upsell", "cross_sell"), {}),
    ("subscriptions", "end_reason"): (("churn", "upgrade"), {"解約": "churn"}),
}
_SEGMENT_ALIASES = {
    "ent": "enterprise",
    "大企業": "enterprise",
    "エンタープライズ": "enterprise",
    "mid": "mid_market",
    "midmarket": "mid_market",
    "中堅": "mid_market",
    "中堅企業": "mid_market",
    "中小": "smb",
    "中小企業": "smb",
    "small": "smb",
}
CHANNEL_COLUMNS = {"channel", "source_channel"}
RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("leads", "score"): (0, 100),
    ("nps_responses", "score"): (0, 10),
}
NON_NEGATIVE = {
    "employees",
    "impressions",
    "clicks",
    "sessions",
    "users",
    "new_users",
    "pageviews",
    "duration_seconds",
}
_INT32 = (-(2**31), 2**31 - 1)
_TRUE = ("true", "t", "yes", "y", "1", "はい", "○", "〇", "済", "won")
_FALSE = ("false", "f", "no", "n", "0", "いいえ", "×", "未", "lost")
_ERAS = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}

_TIME = r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
_WESTERN = r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?" + _TIME + r"$"
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_WAREKI = (
    r"^(?P<era>令和|平成|昭和|[RrHhSs])(?P<y>\d{1,2}|元)[年./-](?P<m>\d{1,2})[月./-]"
    r"(?P<d>\d{1,2})日?" + _TIME + r"$"
)
_AMOUNT = (
    r"^(?:(?P<oku>\d+(?:\.\d+)?)億)?(?:(?P<man>\d+(?:\.\d+)?)万)?(?:(?P<sen>\d+(?:\.\d+)?)千)?"
    r"(?P<one>\d+(?:\.\d+)?)?$"
)
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass
class Issue:
    rows: np.ndarray
    """Positions (0-based) in the file's records."""
    column: str
    values: pa.Array
    reason: str


@dataclass
class Parsed:
    """Typed columns of the valid rows, and what was wrong with the others."""

    table: pa.Table
    """Canonical columns (the mapped ones) of the rows that passed, file order."""
    positions: np.ndarray
    """Record positions of `table`'s rows in the file."""
    issues: list[Issue] = field(default_factory=list)
    bad: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Per record: True when it is quarantined."""


def _clean(arr: pa.Array) -> pa.Array:
    """NFKC (full-width digits and ¥ → half-width), trimmed, '' → null."""
    if pc.all(pc.string_is_ascii(arr)).as_py() is not True:
        arr = pc.utf8_normalize(arr, "NFKC")
    text = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)


def _trimmed(arr: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False), dtype=bool)


def _int_field(struct: pa.Array, name: str, default: int = -1) -> np.ndarray:
    values = pc.struct_field(struct, name)
    if name in ("H", "M", "S") and not pc.any(pc.greater(pc.utf8_length(values), 0)).as_py():
        return np.full(len(values), default, dtype=np.int64)
    values = pc.if_else(pc.equal(pc.utf8_length(values), 0), pa.scalar(None, pa.string()), values)
    return np.asarray(pc.fill_null(pc.cast(values, pa.int64()), default), dtype=np.int64)


def parse_dates(arr: pa.Array, with_time: bool) -> tuple[pa.Array, np.ndarray]:
    """Dates as 2025-04-01, 2025/4/1, 2025.4.1, 2025年4月1日, 20250401, 令和7年4月1日, R7.4.1
    (optionally followed by a time of day). Returns typed values and the invalid mask."""
    n = len(arr)
    # Fast path on the raw text; only the cells it cannot read are cleaned and matched.
    fast, fast_ok = _fast_dates(arr, np.asarray(pc.greater(pc.utf8_length(arr), 0), dtype=bool))
    rest = np.flatnonzero(~fast_ok)
    if len(rest) < n:
        cleaned = _clean(arr.take(pa.array(rest)))
        text = pa.array([None] * n, type=pa.string()) if len(rest) else arr
        if len(rest):
            # Scatter the cleaned cells back; the fast-read ones are not looked at again.
            positions = np.full(n, len(rest), dtype=np.int64)
            positions[rest] = np.arange(len(rest))
            text = pc.take(
                pa.concat_arrays([cleaned, pa.array([None], pa.string())]), pa.array(positions)
            )
    else:
        text = _clean(arr)
    present = np.asarray(pc.is_valid(text), dtype=bool) | fast_ok
    if not (present & ~fast_ok).any():  # the usual file: one format throughout
        out = pa.array(fast, type=pa.timestamp("us"), mask=~fast_ok)
        return (out if with_time else pc.cast(out, pa.date32())), np.zeros(n, dtype=bool)
    year = np.full(n, -1, dtype=np.int64)
    month, day = year.copy(), year.copy()
    hour, minute, second = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    matched = np.zeros(n, dtype=bool)
    for pattern in (_WESTERN, _COMPACT, _WAREKI):
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
            era = pc.utf8_lower(pc.struct_field(sub, "era")).to_pylist()
            raw_y = pc.struct_field(sub, "y").to_pylist()
            base = np.array([_ERAS[e] for e in era], dtype=np.int64)
            y = np.array([1 if v == "元" else int(v) for v in raw_y], dtype=np.int64)
            year[idx] = base + y
        else:
            year[idx] = _int_field(sub, "y")
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
    return out, present & ~ok


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


def parse_amounts(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Yen amounts: 1200000, 1,200,000, ¥1,200,000, ￥1,200,000円, 120万円, 1.2億, 1億2000万,
    1,200千円; a leading -, △ or ▲ makes it negative."""
    text = _clean(arr)
    present = np.asarray(pc.is_valid(text), dtype=bool)
    stripped = pc.replace_substring_regex(text, r"[¥\\$,\s]|円|JPY|jpy|税込|税抜", "")
    negative = _mask(pc.match_substring_regex(stripped, r"^[-△▲]"))
    body = pc.replace_substring_regex(stripped, r"^[-△▲+]", "")
    nonempty = _mask(pc.greater(pc.utf8_length(body), 0))
    parts = pc.extract_regex(body, _AMOUNT)
    ok = np.asarray(pc.is_valid(parts), dtype=bool) & nonempty
    total = np.zeros(len(text), dtype=np.float64)
    for name, unit in (("oku", 1e8), ("man", 1e4), ("sen", 1e3), ("one", 1.0)):
        values = pc.struct_field(
            pc.fill_null(parts, {"oku": "", "man": "", "sen": "", "one": ""}), name
        )
        values = pc.if_else(
            pc.equal(pc.utf8_length(values), 0), pa.scalar(None, pa.string()), values
        )
        total += np.asarray(pc.fill_null(pc.cast(values, pa.float64()), 0.0)) * unit
    total = np.where(negative, -total, total)
    # 1.2 × 1e8 is not exactly 120,000,000 in binary: snap such fuzz to the whole yen.
    whole = np.rint(total)
    total = np.where(np.abs(total - whole) < 1e-6, whole, total)
    return pa.array(total, type=pa.float64(), mask=~ok), present & ~ok


def parse_integers(arr: pa.Array, low: int, high: int) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Whole numbers (1,234 and 1234.0 too). Returns values, not-integer and out-of-range masks."""
    text = _clean(arr)
    present = np.asarray(pc.is_valid(text), dtype=bool)
    body = pc.replace_substring_regex(text, r"[,\s]", "")
    is_int = _mask(pc.match_substring_regex(body, r"^[+-]?\d{1,18}(\.0*)?$"))
    digits = pc.replace_substring_regex(body, r"\.0*$", "")
    safe = pc.if_else(pa.array(is_int), digits, pa.scalar(None, pa.string()))
    values = np.asarray(pc.fill_null(pc.cast(safe, pa.int64()), 0), dtype=np.int64)
    in_range = (values >= low) & (values <= high)
    ok = is_int & in_range
    out = pa.array(values, type=pa.int64(), mask=~ok)
    return out, present & ~is_int, present & is_int & ~in_range


def parse_booleans(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    text = pc.utf8_lower(_clean(arr))
    present = np.asarray(pc.is_valid(text), dtype=bool)
    yes = _mask(pc.is_in(text, pa.array(_TRUE)))
    no = _mask(pc.is_in(text, pa.array(_FALSE)))
    ok = yes | no
    return pa.array(yes, type=pa.bool_(), mask=~ok), present & ~ok


def map_values(arr: pa.Array, lookup: Callable[[str], str | None]) -> tuple[pa.Array, np.ndarray]:
    """Map each distinct value with `lookup` (None = unknown), then the column by index.
    Only the distinct values are normalised (NFKC, trimmed), in Python: there are few."""
    uniques = pc.unique(arr).drop_null()
    mapped: list[str | None] = []
    for raw in uniques.to_pylist():
        value = unicodedata.normalize("NFKC", raw).strip()
        mapped.append(lookup(value) if value else None)
    out = pc.take(pa.array(mapped, type=pa.string()), pc.index_in(arr, value_set=uniques))
    blank = {i for i, raw in enumerate(uniques.to_pylist()) if not raw.strip()}
    present = pc.is_valid(arr)
    if blank:
        present = pc.and_(present, pc.invert(pc.is_in(arr, pa.array([uniques[i] for i in blank]))))
    known = np.asarray(pc.is_valid(out), dtype=bool)
    return out, np.asarray(present, dtype=bool) & ~known


def _enum_key(value: str) -> str:
    return value.strip().lower().replace(" ", "_").replace("-", "_")


def enum_lookup(
    table: str, column: str, user: dict[str, str]
) -> tuple[Callable[[str], str | None], tuple[str, ...]]:
    """The lookup for an enumerated column (vocabulary, aliases, then the mapping's values)."""
    user_norm = {_enum_key(k): v for k, v in user.items()}
    if column in CHANNEL_COLUMNS:
        allowed = CHANNEL_IDS

        def channel(value: str) -> str | None:
            if value in user:
                return user[value]
            if _enum_key(value) in user_norm:
                return user_norm[_enum_key(value)]
            return normalise_channel(value)

        return channel, allowed
    allowed, aliases = ENUMS[(table, column)]
    table_aliases = {**(_SEGMENT_ALIASES if column == "segment" else {}), **aliases}

    def lookup(value: str) -> str | None:
        if value in user:
            return user[value]
        key = _enum_key(value)
        if key in user_norm:
            return user_norm[key]
        if key in allowed:
            return key
        return table_aliases.get(key) or table_aliases.get(key.replace("_", ""))

    return lookup, allowed


PARSE_THREADS = 2
"""Threads parsing the columns of an import."""


def _parse_column(
    raw: pa.Table, spec: Table, mapping: Mapping, col: Any, language: str
) -> tuple[pa.Array, list[tuple[np.ndarray, pa.Array, str]]]:
    """One mapped column typed for `col`: its values and its findings (mask, source, reason)."""
    mapped = mapping.mapped()
    source = raw.column(mapped[col.name]).combine_chunks()
    found: list[tuple[np.ndarray, pa.Array, str]] = []
    values: pa.Array
    if col.type in ("date", "timestamp"):
        values, wrong = parse_dates(source, col.type == "timestamp")
        found.append((wrong, source, message("not_date", language)))
    elif col.type == "float64":
        values, wrong = parse_amounts(source)
        found.append((wrong, source, message("not_amount", language)))
    elif col.type in ("int32", "int64"):
        low, high = RANGES.get(
            (spec.name, col.name), _INT32 if col.type == "int32" else (-(2**63), 2**63 - 1)
        )
        if col.name in NON_NEGATIVE:
            low = max(low, 0)
        values, not_int, outside = parse_integers(source, low, high)
        found.append((not_int, source, message("not_integer", language)))
        found.append((outside, source, message("out_of_range", language, low=low, high=high)))
        values = values.cast(pa.int32() if col.type == "int32" else pa.int64())
    elif col.type == "boolean":
        values, wrong = parse_booleans(source)
        found.append((wrong, source, message("not_boolean", language)))
    elif col.name in CHANNEL_COLUMNS or (spec.name, col.name) in ENUMS:
        lookup, allowed = enum_lookup(spec.name, col.name, mapping.values.get(col.name, {}))
        values, wrong = map_values(source, lookup)
        found.append(
            (wrong, source, message("unknown_value", language, allowed=", ".join(allowed)))
        )
    elif col.name == "email":
        values = pc.utf8_lower(_clean(source))
        wrong = np.asarray(pc.is_valid(values), dtype=bool) & ~_mask(
            pc.match_substring_regex(values, _EMAIL)
        )
        found.append((wrong, source, message("not_email", language)))
    else:
        values = _trimmed(source)
    if not col.nullable:
        if spec.name == "spend" and col.name == "campaign_id":
            values = pc.fill_null(values, "")
        missing = ~np.asarray(pc.is_valid(values), dtype=bool)
        # Cells that failed to parse already have their reason; flag the empty ones.
        empty = missing & ~np.asarray(pc.is_valid(_trimmed(source)), dtype=bool)
        found.append((empty, source, message("required", language)))
    return values, found


def parse_table(raw: pa.Table, spec: Table, mapping: Mapping, language: str = "en") -> Parsed:
    """Type the mapped columns of `raw` for `spec`; rows with an invalid cell are left out.

    Columns are parsed on two threads (Arrow's compute functions run without the interpreter
    lock); their findings are gathered in the table's column order, so the report does not
    depend on which finished first."""
    n = raw.num_rows
    mapped = mapping.mapped()
    bad = np.zeros(n, dtype=bool)
    issues: list[Issue] = []
    columns: dict[str, pa.Array] = {}

    def flag(mask: np.ndarray, column: str, source: pa.Array, reason: str) -> None:
        nonlocal bad
        if mask.any():
            idx = np.flatnonzero(mask)
            issues.append(Issue(idx, column, source.take(pa.array(idx)), reason))
            bad |= mask

    wanted = [c for c in spec.columns if c.name != "_loaded_at" and c.name in mapped]
    with ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool:
        results = list(
            pool.map(lambda col: _parse_column(raw, spec, mapping, col, language), wanted)
        )
    for col, (values, findings) in zip(wanted, results, strict=True):
        for mask, source, reason in findings:
            flag(mask, col.name, source, reason)
        columns[col.name] = values
    if spec.name == "spend" and "campaign_id" not in columns:
        columns["campaign_id"] = pa.array([""] * n, type=pa.string())
    missing_required = [
        c.name
        for c in spec.columns
        if not c.nullable and c.name != "_loaded_at" and c.name not in columns
    ]
    for name in missing_required:
        empty_source = pa.array([None] * n, type=pa.string())
        flag(np.ones(n, dtype=bool), name, empty_source, message("required", language))
    typed = pa.table(columns) if columns else pa.table({})
    _flag_duplicate_keys(typed, spec, bad, issues, raw, language)
    bad = np.zeros(n, dtype=bool)
    for issue in issues:
        bad[issue.rows] = True
    keep = np.flatnonzero(~bad)
    table = typed.take(pa.array(keep)) if typed.num_columns and bad.any() else typed
    return Parsed(table, keep, issues, bad)


def _flag_duplicate_keys(
    typed: pa.Table,
    spec: Table,
    bad: np.ndarray,
    issues: list[Issue],
    raw: pa.Table,
    language: str,
) -> None:
    """Among otherwise valid rows, a key that repeats keeps its last row; earlier ones are
    quarantined, naming the row that wins."""
    if not all(k in typed.column_names for k in spec.key) or typed.num_rows == 0:
        return
    import pandas as pd

    keys = typed.select(list(spec.key)).filter(pa.array(~bad))
    if len(spec.key) == 1 and len(pc.unique(keys.column(0))) == keys.num_rows:
        return  # the usual case, checked without pandas
    frame = typed.select(list(spec.key)).to_pandas()
    frame = frame[~bad]
    dup = frame.duplicated(keep="last")
    if not dup.any():
        return
    last = frame.drop_duplicates(keep="last").reset_index().set_index(list(spec.key))["index"]
    earlier = frame[dup]
    winners = pd.MultiIndex.from_frame(earlier) if len(spec.key) > 1 else earlier[spec.key[0]]
    winner_pos = last.reindex(winners).to_numpy()
    positions = earlier.index.to_numpy()
    key_col = spec.key[0]
    source = typed.column(key_col).combine_chunks().cast(pa.string())
    issues.append(
        Issue(
            positions,
            key_col,
            source.take(pa.array(positions)),
            "\0duplicate\0" + ",".join(str(int(p)) for p in winner_pos),
        )
    )


def describe(issue: Issue, file_rows: np.ndarray, language: str) -> list[str]:
    """The reason text for each row of an issue (duplicate keys name their winning row)."""
    if issue.reason.startswith("\0duplicate\0"):
        winners = [int(p) for p in issue.reason.split("\0")[2].split(",")]
        return [message("duplicate_key", language, row=int(file_rows[w])) for w in winners]
    return [issue.reason] * len(issue.rows)


def issue_records(
    issues: list[Issue], file_rows: np.ndarray, language: str
) -> list[dict[str, Any]]:
    """Quarantine report lines: row, column, value, reason; sorted by row."""
    out: list[dict[str, Any]] = []
    for issue in issues:
        reasons = describe(issue, file_rows, language)
        for pos, value, reason in zip(
            issue.rows.tolist(), issue.values.to_pylist(), reasons, strict=True
        ):
            out.append(
                {
                    "row": int(file_rows[pos]),
                    "column": issue.column,
                    "value": value or "",
                    "reason": reason,
                }
            )
    out.sort(key=lambda r: (r["row"], r["column"]))
    return out
