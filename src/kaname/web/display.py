"""How numbers, dates and fiscal periods read in each language (yen in 万/億 for Japanese)."""

from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_date, format_datetime

from kaname.formatting import (
    format_money,
    format_percent,
    format_value,
    local_time,
    period_name,
)
from kaname.web.i18n import BABEL_LOCALE

__all__ = ["format_money", "format_percent", "format_value", "period_name", "when"]


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
