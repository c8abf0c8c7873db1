"""Human formatting of KPI values: yen with 万/億 for Japanese, percentages, days, periods."""

from __future__ import annotations

import datetime as dt
import math
import re
from zoneinfo import ZoneInfo

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
    if unit == "credit":  # deals credited by an attribution model: fractions, one decimal
        return f"{value:,.1f}"
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


def clock_time(value: dt.datetime | str | None, timezone: str | None, language: str) -> str:
    """A stored instant as a short local time with its zone: 2026/11/20 21:50 JST (ja) or
    2026-11-20 21:50 JST (en), for CLI tables."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            instant = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        instant = value
    local = local_time(instant, timezone)
    pattern = "%Y/%m/%d %H:%M" if language == "ja" else "%Y-%m-%d %H:%M"
    return f"{local.strftime(pattern)} {local.strftime('%Z')}".strip()


# ---------------------------------------------------------------------- chart axes and dates
def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10ⁿ) that cuts `span` into about `ticks` parts."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def yen_tick(value: float) -> str:
    """A tick in Japanese units: 0, 500万円, 1億円, 1.5億円 (never "2M JPY")."""
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if amount >= 1e8:
        return f"{sign}{amount / 1e8:,.4g}億円"
    if amount >= 1e4:
        return f"{sign}{amount / 1e4:,.6g}万円"
    return f"{sign}{amount:,.0f}円"


def value_tick(value: float, unit: str, currency: str, language: str) -> str:
    """An axis tick of a KPI's unit: 万円/億円 in Japanese, ¥1.2M / $12k in English,
    percentages for rates, plain counts with separators."""
    if unit == "currency":
        if currency == "JPY" and language == "ja":
            return yen_tick(value)
        symbol = SYMBOLS.get(currency, "")
        amount, suffix = abs(value), ""
        for size, letter in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if amount >= size:
                amount, suffix = amount / size, letter
                break
        return f"{'-' if value < 0 else ''}{symbol}{amount:,.4g}{suffix}"
    if unit == "ratio":
        return f"{value * 100:,.4g}%"
    return f"{value:,.4g}"


def month_tick(day: dt.date, language: str, with_year: bool) -> str:
    """A month on a time axis: 2026年1月 / 2月 in Japanese, Jan 2026 / Feb in English."""
    if language == "ja":
        return f"{day.year}年{day.month}月" if with_year else f"{day.month}月"
    name = _MONTHS_EN[day.month - 1]
    return f"{name} {day.year}" if with_year else name


def date_name(day: dt.date, language: str) -> str:
    """A day as people write it: 2026年11月20日 / 20 Nov 2026."""
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def date_span(first: dt.date, last: dt.date, language: str) -> str:
    """Two days as one span: 2026年10月1日〜20日, 2026年10月1日〜11月3日 / 1–20 Oct 2026."""
    if language == "ja":
        if (first.year, first.month) == (last.year, last.month):
            tail = f"{last.day}日"
        elif first.year == last.year:
            tail = f"{last.month}月{last.day}日"
        else:
            tail = date_name(last, language)
        return f"{date_name(first, language)}〜{tail}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {_MONTHS_EN[first.month - 1]} {first.year}"
    if first.year == last.year:
        return f"{first.day} {_MONTHS_EN[first.month - 1]} – {date_name(last, language)}"
    return f"{date_name(first, language)} – {date_name(last, language)}"
