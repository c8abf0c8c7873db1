"""How numbers, dates and fiscal periods read in each language (yen in 万/億 for Japanese)."""

from __future__ import annotations

import datetime as dt
import math
import re
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from kaname.formatting import format_money, format_percent, format_value
from kaname.web.i18n import BABEL_LOCALE

__all__ = ["format_money", "format_percent", "format_value", "period_name", "when"]

_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _month_span(first: int, count: int, language: str) -> str:
    last = (first + count - 2) % 12 + 1
    if language == "ja":
        return f"{first}月〜{last}月"
    return f"{_MONTHS_EN[first - 1]}–{_MONTHS_EN[last - 1]}"


def period_name(label: str, language: str, fy_start_month: int = 4) -> str:
    """A period label as people say it: FY2025 Q1 (Apr–Jun) / 2025年度 第1四半期（4月〜6月）."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", label):
        year, month = int(m[1]), int(m[2])
        return f"{year}年{month}月" if language == "ja" else f"{_MONTHS_EN[month - 1]} {year}"
    if m := re.fullmatch(r"FY(\d{4})-([QH])(\d)", label):
        fy, kind, n = int(m[1]), m[2], int(m[3])
        size = 3 if kind == "Q" else 6
        first = (fy_start_month - 1 + (n - 1) * size) % 12 + 1
        span = _month_span(first, size, language)
        if language == "ja":
            part = f"第{n}四半期" if kind == "Q" else ("上期" if n == 1 else "下期")
            return f"{fy}年度 {part}（{span}）"
        return f"FY{fy} {kind}{n} ({span})"
    if m := re.fullmatch(r"FY(\d{4})", label):
        fy = int(m[1])
        span = _month_span(fy_start_month, 12, language)
        return f"{fy}年度（{span}）" if language == "ja" else f"FY{fy} ({span})"
    if m := re.fullmatch(r"FY(\d{4})-W(\d{2})", label):
        return f"{m[1]}年度 第{int(m[2])}週" if language == "ja" else f"FY{m[1]} week {int(m[2])}"
    return label


def local_time(value: dt.datetime, timezone: str | None) -> dt.datetime:
    """A stored instant (naive UTC, as the stores keep them) in the workspace's time zone."""
    if not timezone:
        return value
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(timezone))


def when(
    value: dt.date | dt.datetime | str | None, language: str, timezone: str | None = None
) -> str:
    """A date or timestamp (or its ISO text) in the user's locale; a timestamp in `timezone`
    (the workspace's, Asia/Tokyo by default) with its zone's abbreviation."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        text = value
        try:
            value = (dt.datetime if "T" in text else dt.date).fromisoformat(text)
        except ValueError:
            return text
    locale = BABEL_LOCALE.get(language, "en_US")
    if isinstance(value, dt.datetime):
        if timezone:
            local = local_time(value, timezone)
            zone = local.strftime("%Z")
            return f"{format_datetime(local.replace(tzinfo=None), 'medium', locale=locale)} {zone}"
        return format_datetime(value, "medium", locale=locale)
    return format_date(value, "medium", locale=locale)


def number(value: float | None, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{decimals}f}"
