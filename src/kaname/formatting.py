"""Human formatting of KPI values: yen with 万/億 for Japanese, percentages, days."""

from __future__ import annotations

import math

SYMBOLS = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}


def format_money(value: float, currency: str = "JPY", language: str = "ja") -> str:
    if value is None or math.isnan(value):
        return "—"
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if currency == "JPY" and language == "ja":
        if amount >= 1e8:
            return f"{sign}{amount / 1e8:,.2f}億円"
        if amount >= 1e6:
            return f"{sign}{amount / 1e4:,.1f}万円"
        return f"{sign}{amount:,.0f}円"
    symbol = SYMBOLS.get(currency, currency + " ")
    decimals = 0 if currency == "JPY" else 2
    return f"{sign}{symbol}{amount:,.{decimals}f}"


def format_value(value: float, unit: str, currency: str = "JPY", language: str = "ja") -> str:
    """Format a KPI value for its unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    if unit == "currency":
        return format_money(value, currency, language)
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "multiple":
        return f"{value:.2f}x"
    if unit in ("days", "minutes", "months", "points"):
        suffix = {
            "ja": {"days": "日", "minutes": "分", "months": "ヶ月", "points": "点"},
            "en": {"days": " d", "minutes": " min", "months": " mo", "points": " pt"},
        }
        return f"{value:,.1f}{suffix['ja' if language == 'ja' else 'en'][unit]}"
    if unit == "score":
        return f"{value:+.1f}"
    return f"{value:,.0f}"


def format_percent(value: float) -> str:
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value * 100:.0f}%"


class NumberError(ValueError):
    """A number as typed could not be read; str() is English, `message(language)` either."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.en, self.ja = en, ja

    def message(self, language: str) -> str:
        return self.ja if language == "ja" else self.en


_UNITS = {"億": 1e8, "万": 1e4, "千": 1e3}


def parse_number(text: str) -> float:
    """A number as people type it: commas, full-width digits, ¥ / 円, 万 and 億 (1億2,000万),
    a trailing % (a share: 20% → 0.2). Raises NumberError naming the text in en and ja."""
    import unicodedata

    raw = str(text)
    cleaned = unicodedata.normalize("NFKC", raw).strip()
    for mark in (",", "，", "、", " ", "¥", "￥", "円", "JPY"):
        cleaned = cleaned.replace(mark, "")
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1]
    try:
        if any(u in cleaned for u in _UNITS):
            value, rest = 0.0, cleaned
            for unit, size in _UNITS.items():
                if unit in rest:
                    head, rest = rest.split(unit, 1)
                    value += float(head) * size
            value += float(rest) if rest else 0.0
        else:
            value = float(cleaned)
    except ValueError:
        raise NumberError(
            f"{raw!r} is not a number (e.g. 5000000, 5,000,000, 500万, 1億, 20%)",
            f"「{raw}」は数値ではありません（例: 5000000、5,000,000、500万、1億、20%）",
        ) from None
    if not math.isfinite(value):
        raise NumberError(f"{raw!r} is not a finite number", f"「{raw}」は有限の数値ではありません")
    return value / 100 if percent else value


def format_entry(value: float | None, unit: str) -> str:
    """A number for an input field as people read and type it (parse_number reads it back):
    money in whole units with commas, counts to 0.1, rates as a percent (25%, 31.67%)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if unit == "ratio":
        return _trim(f"{value * 100:,.2f}") + "%"
    digits = {"currency": 0, "count": 1}.get(unit, 4)
    if unit == "currency" and abs(value) < 100:
        digits = 2
    return _trim(f"{value:,.{digits}f}")


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def loose_number(value: object) -> object:
    """For a model field: text is read as people type it (500万, 1,000, 20%), anything else is
    left to the field's own validation."""
    if isinstance(value, str):
        return parse_number(value)
    return value
