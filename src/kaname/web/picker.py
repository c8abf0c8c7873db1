"""The period picker of the filter bar: presets, typed periods, a custom range of days and ◀ ▶
links to the period before and after, all resolved on the server from the workspace clock."""

from __future__ import annotations

from typing import Any

from kaname.dashboard.filters import COMPARISONS, GRAIN_PRESETS, Filters, shown_preset
from kaname.metrics.calendar import PRESETS, Grain, PeriodError
from kaname.web import display
from kaname.web.i18n import Translator

PICKER_FIELDS = ("period", "shown", "preset", "from", "to", "grain", "compare")
"""The query parameters the period picker and the comparison toggle submit."""

PRESET_NAMES = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_fy": "This fiscal year",
    "last_fy": "Last fiscal year",
    "last_30_days": "Last 30 days",
}
COMPARISON_NAMES = {
    "previous_year": "Same period last year",
    "previous": "Previous period",
    "none": "No comparison",
}


def preset_options(_: Translator) -> list[tuple[str, str]]:
    """(value, name) of every preset, then the custom range."""
    return [(p, _(PRESET_NAMES[p])) for p in PRESETS] + [("custom", _("Custom range"))]


def comparison_options(_: Translator) -> list[tuple[str, str]]:
    return [(c, _(COMPARISON_NAMES[c])) for c in COMPARISONS]


def period_picker(ws: Any, filters: Filters, language: str, _: Translator) -> dict[str, Any]:
    """What the picker shows for `filters`: the select's preset, the typed text, the from/to
    days, and the queries of the ◀ ▶ links (None when the period cannot be read: the page then
    says why, with the text as the user typed it)."""
    fy = ws.config.fiscal_year_start_month
    out: dict[str, Any] = {
        "shown": filters.period or GRAIN_PRESETS.get(filters.grain, ""),
        "preset": shown_preset(filters.period, filters.grain),
        "text": filters.period,
        "first": "",
        "last": "",
        "previous": None,
        "next": None,
        "presets": preset_options(_),
        "comparisons": comparison_options(_),
    }
    try:
        period = ws.period(filters.period or None, filters.grain)
    except PeriodError:
        return out
    name = display.period_name(period.label, language, fy)
    out.update(
        shown=out["shown"] or period.label,
        text=name if period.grain is not Grain.RANGE else period.label,
        first=period.start.isoformat(),
        last=period.last_day.isoformat(),
        previous=filters.query(period=period.previous().label),
        next=filters.query(period=period.next().label),
        previous_name=display.period_name(period.previous().label, language, fy),
        next_name=display.period_name(period.next().label, language, fy),
    )
    return out
