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
from kaname.ingest.importer.cells import clean, is_true, trimmed
from kaname.ingest.importer.dates import parse_dates_by_era
from kaname.ingest.importer.deals import (
    Derived,
    derive_opportunities,
    outcome_booleans,
    outcome_lookup,
    stage_lookup,
)
from kaname.ingest.importer.mapping import Mapping
from kaname.ingest.importer.numbers import parse_amounts_in, parse_integers
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
            "新規顧客": "new_business",
            "新規案件": "new_business",
            "newcustomer": "new_business",
            "アップセル": "upsell",
            "既存": "upsell",
            "既存顧客": "upsell",
            "existingbusiness": "upsell",
            "existingcustomerupgrade": "upsell",
            "クロスセル": "cross_sell",
            "追加購入": "cross_sell",
        },
    ),
    ("opportunities", "sourced_by"): (SOURCED_BY, {"マーケティング": "marketing", "営業": "sales"}),
    ("opportunities", "stage"): (OPPORTUNITY_STAGE_VALUES, {}),
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
_EMAIL = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
"""One @ and a dot after it; no spaces or control characters (a NUL is not an address)."""


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
    derived: Derived = field(default_factory=Derived)
    """Which records had fields derived (opportunities: is_won, type, …)."""


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
    if (table, column) == ("opportunities", "stage"):
        return stage_lookup(user), allowed
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
    raw: pa.Table, spec: Table, mapping: Mapping, col: Any, language: str, currency: str
) -> tuple[pa.Array, list[tuple[np.ndarray, pa.Array, str]]]:
    """One mapped column typed for `col`: its values and its findings (mask, source, reason)."""
    mapped = mapping.mapped()
    source = raw.column(mapped[col.name]).combine_chunks()
    found: list[tuple[np.ndarray, pa.Array, str]] = []
    values: pa.Array
    if col.type in ("date", "timestamp"):
        values, wrong, no_era = parse_dates_by_era(source, col.type == "timestamp")
        found.append((wrong & ~no_era, source, message("not_date", language)))
        found.append((no_era, source, message("not_era_date", language)))
    elif col.type == "float64":
        values, wrong, foreign = parse_amounts_in(source, currency)
        found.append((wrong & ~foreign, source, message("not_amount", language)))
        found.append((foreign, source, message("other_currency", language, currency=currency)))
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
        # yes/no words, the mapping's values: and (for is_won) won/lost/open stage words
        values, wrong = map_values(source, outcome_lookup(mapping.values.get(col.name, {})))
        if spec.name != "opportunities":
            values = outcome_booleans(values)
        found.append((wrong, source, message("not_boolean", language)))
    elif col.name in CHANNEL_COLUMNS or (spec.name, col.name) in ENUMS:
        lookup, allowed = enum_lookup(spec.name, col.name, mapping.values.get(col.name, {}))
        values, wrong = map_values(source, lookup)
        found.append(
            (wrong, source, message("unknown_value", language, allowed=", ".join(allowed)))
        )
    elif col.name == "email":
        values = pc.utf8_lower(clean(source))
        wrong = np.asarray(pc.is_valid(values), dtype=bool) & ~is_true(
            pc.match_substring_regex(values, _EMAIL)
        )
        found.append((wrong, source, message("not_email", language)))
    else:
        values = trimmed(source)
    if not col.nullable:
        if spec.name == "spend" and col.name == "campaign_id":
            values = pc.fill_null(values, "")
        missing = ~np.asarray(pc.is_valid(values), dtype=bool)
        # Cells that failed to parse already have their reason; flag the empty ones.
        empty = missing & ~np.asarray(pc.is_valid(trimmed(source)), dtype=bool)
        found.append((empty, source, message("required", language)))
    return values, found


def parse_table(
    raw: pa.Table,
    spec: Table,
    mapping: Mapping,
    language: str = "en",
    currency: str = "JPY",
    uncomputed: dict[str, np.ndarray] | None = None,
) -> Parsed:
    """Type the mapped columns of `raw` for `spec`; rows with an invalid cell are left out.
    `uncomputed`: per header, the records whose cell is a formula without a computed value
    (each is quarantined with that reason alone).

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
            pool.map(lambda col: _parse_column(raw, spec, mapping, col, language, currency), wanted)
        )
    for col, (values, findings) in zip(wanted, results, strict=True):
        formulas = (uncomputed or {}).get(mapped[col.name])
        if formulas is not None:
            source = raw.column(mapped[col.name]).combine_chunks()
            flag(formulas, col.name, source, message("formula_no_value", language))
            findings = [(mask & ~formulas, source, reason) for mask, source, reason in findings]
        for mask, source, reason in findings:
            flag(mask, col.name, source, reason)
        columns[col.name] = values
    if spec.name == "spend" and "campaign_id" not in columns:
        columns["campaign_id"] = pa.array([""] * n, type=pa.string())
    derived = derive_opportunities(columns, n) if spec.name == "opportunities" else Derived()
    typed = pa.table(columns) if columns else pa.table({})
    _flag_duplicate_keys(typed, spec, bad, issues, raw, language)
    bad = np.zeros(n, dtype=bool)
    for issue in issues:
        bad[issue.rows] = True
    keep = np.flatnonzero(~bad)
    table = typed.take(pa.array(keep)) if typed.num_columns and bad.any() else typed
    return Parsed(table, keep, issues, bad, derived)


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
