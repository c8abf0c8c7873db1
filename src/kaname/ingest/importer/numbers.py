"""Amounts, whole numbers and yes/no cells, a whole column at a time."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaname.ingest.importer.cells import clean, is_true

TRUE_WORDS = ("true", "t", "yes", "y", "1", "はい", "○", "〇", "済", "won")
FALSE_WORDS = ("false", "f", "no", "n", "0", "いいえ", "×", "未", "lost")
_AMOUNT = (
    r"^(?:(?P<oku>\d+(?:\.\d+)?)億)?(?:(?P<man>\d+(?:\.\d+)?)万)?(?:(?P<sen>\d+(?:\.\d+)?)千)?"
    r"(?P<one>\d+(?:\.\d+)?)?$"
)

CURRENCY_MARKS = {
    "JPY": r"(?i)[¥\\]|円|jpy",
    "USD": r"(?i)\$|usd|ドル",
    "EUR": r"(?i)€|eur|ユーロ",
    "GBP": r"(?i)£|gbp|ポンド",
}
"""How an amount may name the workspace's currency (¥ is a backslash in Shift_JIS)."""
_ANY_CURRENCY = r"(?i)[¥\\$€£₩₹元]|円|ドル|ユーロ|ポンド|jpy|usd|eur|gbp|cny|rmb|krw|aud|cad"
_BAD_COMMAS = r",\d{0,2}(?:\D|$)|,\d{4}|\d{4},|(?:^|\D),|\.\d*,"
"""Commas that do not group thousands: 1,2,3 is not 123, nor 1234,5 or 1.234,5 a number."""


def parse_amounts(arr: pa.Array, currency: str = "JPY") -> tuple[pa.Array, np.ndarray]:
    """Yen amounts: 1200000, 1,200,000, ¥1,200,000, ￥1,200,000円, 120万円, 1.2億, 1億2000万,
    1,200千円; a leading -, △ or ▲ makes it negative. Returns values and the invalid mask."""
    values, bad, _ = parse_amounts_in(arr, currency)
    return values, bad


def parse_amounts_in(
    arr: pa.Array, currency: str = "JPY"
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """parse_amounts for a workspace in `currency`, and which invalid cells name another
    currency ($100 is not ¥100)."""
    text = clean(arr)
    present = np.asarray(pc.is_valid(text), dtype=bool)
    own = pc.replace_substring_regex(text, CURRENCY_MARKS.get(currency, f"(?i){currency}"), "")
    foreign = is_true(pc.match_substring_regex(own, _ANY_CURRENCY))
    bad_commas = is_true(pc.match_substring_regex(own, _BAD_COMMAS))
    stripped = pc.replace_substring_regex(own, r"[,\s]|税込|税抜", "")
    negative = is_true(pc.match_substring_regex(stripped, r"^[-△▲]"))
    body = pc.replace_substring_regex(stripped, r"^[-△▲+]", "")
    nonempty = is_true(pc.greater(pc.utf8_length(body), 0))
    parts = pc.extract_regex(body, _AMOUNT)
    ok = np.asarray(pc.is_valid(parts), dtype=bool) & nonempty & ~bad_commas & ~foreign
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
    return pa.array(total, type=pa.float64(), mask=~ok), present & ~ok, present & foreign


def parse_integers(arr: pa.Array, low: int, high: int) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Whole numbers (1,234 and 1234.0 too). Returns values, not-integer and out-of-range masks."""
    text = clean(arr)
    present = np.asarray(pc.is_valid(text), dtype=bool)
    body = pc.replace_substring_regex(text, r"[,\s]", "")
    is_int = is_true(pc.match_substring_regex(body, r"^[+-]?\d{1,18}(\.0*)?$"))
    is_int &= ~is_true(pc.match_substring_regex(text, _BAD_COMMAS))
    digits = pc.replace_substring_regex(body, r"\.0*$", "")
    safe = pc.if_else(pa.array(is_int), digits, pa.scalar(None, pa.string()))
    values = np.asarray(pc.fill_null(pc.cast(safe, pa.int64()), 0), dtype=np.int64)
    in_range = (values >= low) & (values <= high)
    ok = is_int & in_range
    out = pa.array(values, type=pa.int64(), mask=~ok)
    return out, present & ~is_int, present & is_int & ~in_range
