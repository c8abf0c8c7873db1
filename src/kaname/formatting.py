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
