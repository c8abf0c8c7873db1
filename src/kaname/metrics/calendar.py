"""Fiscal calendar: periods of any grain, fiscal years that start in any month, business days.

Pure Python; the metric engine uses `bucket_start` logic mirrored in Ibis (see metrics/buckets.py).
Conventions: a fiscal year is named after the calendar year it starts in (FY2025 = April 2025 –
March 2026 with an April start, as Japanese companies say 2025年度). Weeks run Monday–Sunday and
belong to the fiscal year that holds their Thursday, so a fiscal year has 52 or 53 weeks.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import holidays


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"
    RANGE = "range"
    """Any span of whole days, e.g. 2017-01-01..2017-12-31 (one period, never stepped into)."""


CALENDAR_GRAINS = tuple(g for g in Grain if g is not Grain.RANGE)
"""The grains that tile the calendar: every day lies in one period of each."""

MONTHS_IN_GRAIN = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.HALF: 6, Grain.YEAR: 12}


class PeriodError(ValueError):
    """A period string could not be understood; the message lists the accepted forms."""


@dataclass(frozen=True, order=True)
class Period:
    """A half-open interval [start, end) of one grain."""

    start: dt.date
    end: dt.date
    grain: Grain
    fy_start_month: int = 4

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.grain is Grain.RANGE:
            return f"{self.start.isoformat()}{RANGE_SEPARATOR}{self.last_day.isoformat()}"
        return period_label(self.start, self.grain, self.fy_start_month)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    def next(self) -> Period:
        if self.grain is Grain.RANGE:
            return self._shifted(1)
        return period_of(self.end, self.grain, self.fy_start_month)

    def previous(self) -> Period:
        if self.grain is Grain.RANGE:
            return self._shifted(-1)
        return period_of(self.start - dt.timedelta(days=1), self.grain, self.fy_start_month)

    def _shifted(self, steps: int) -> Period:
        """A range moved by its own length: whole months by months (2017 → 2016, leap year or
        not), any other span by days."""
        months = _whole_months(self.start, self.end)
        if months:
            start, end = (
                _add_months(self.start, steps * months),
                _add_months(self.end, steps * months),
            )
        else:
            start, end = (
                self.start + steps * (self.end - self.start),
                self.end + steps * (self.end - self.start),
            )
        return Period(start, end, self.grain, self.fy_start_month)

    def year_ago(self) -> Period:
        """The same period one year earlier (for previous-year comparison)."""
        if self.grain is Grain.RANGE:
            start, end = _year_before(self.start), _year_before(self.end)
            return Period(
                start, max(end, start + dt.timedelta(days=1)), self.grain, self.fy_start_month
            )
        if self.grain in (Grain.DAY, Grain.WEEK):
            return period_of(self.start - dt.timedelta(days=364), self.grain, self.fy_start_month)
        return period_of(_add_months(self.start, -12), self.grain, self.fy_start_month)


def _whole_months(start: dt.date, end: dt.date) -> int:
    """How many whole months [start, end) is when it starts and ends on a 1st (else 0)."""
    if start.day != 1 or end.day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def _year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February → 28 February)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year(day: dt.date, fy_start_month: int = 4) -> int:
    """The fiscal year a day belongs to, named after the calendar year the FY starts in."""
    return day.year if day.month >= fy_start_month else day.year - 1


def fiscal_year_start(fy: int, fy_start_month: int = 4) -> dt.date:
    return dt.date(fy, fy_start_month, 1)


def _week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def fiscal_week(day: dt.date, fy_start_month: int = 4) -> tuple[int, int]:
    """(fiscal year, week number 1–53) of the Monday-to-Sunday week holding `day`."""
    monday = _week_monday(day)
    fy = fiscal_year(monday + dt.timedelta(days=3), fy_start_month)
    first = _first_fiscal_monday(fy, fy_start_month)
    return fy, (monday - first).days // 7 + 1


def _first_fiscal_monday(fy: int, fy_start_month: int) -> dt.date:
    start = fiscal_year_start(fy, fy_start_month)
    monday = _week_monday(start)
    # The week holding the FY start belongs to this FY when its Thursday is inside the FY.
    if monday + dt.timedelta(days=3) < start:
        monday += dt.timedelta(days=7)
    return monday


def weeks_in_fiscal_year(fy: int, fy_start_month: int = 4) -> int:
    first = _first_fiscal_monday(fy, fy_start_month)
    nxt = _first_fiscal_monday(fy + 1, fy_start_month)
    return (nxt - first).days // 7


def bucket_start(day: dt.date, grain: Grain, fy_start_month: int = 4) -> dt.date:
    """First day of the period of `grain` that holds `day`."""
    if grain is Grain.DAY:
        return day
    if grain is Grain.WEEK:
        return _week_monday(day)
    months = MONTHS_IN_GRAIN[grain]
    index = day.year * 12 + day.month - 1
    offset = (index - (fy_start_month - 1)) % months
    start = index - offset
    return dt.date(start // 12, start % 12 + 1, 1)


def period_of(day: dt.date, grain: Grain | str, fy_start_month: int = 4) -> Period:
    grain = Grain(grain)
    if grain is Grain.RANGE:
        raise PeriodError("a range has no period around a day: give its first and last day")
    start = bucket_start(day, grain, fy_start_month)
    if grain is Grain.DAY:
        end = start + dt.timedelta(days=1)
    elif grain is Grain.WEEK:
        end = start + dt.timedelta(days=7)
    else:
        end = _add_months(start, MONTHS_IN_GRAIN[grain])
    return Period(start, end, grain, fy_start_month)


def periods_between(
    first: dt.date, last: dt.date, grain: Grain | str, fy_start_month: int = 4
) -> list[Period]:
    """Every period of `grain` that overlaps [first, last] (a range: [first, last] itself)."""
    if Grain(grain) is Grain.RANGE:
        return [date_range(first, last, fy_start_month)]
    out = []
    period = period_of(first, grain, fy_start_month)
    while period.start <= last:
        out.append(period)
        period = period.next()
    return out


def period_label(start: dt.date, grain: Grain | str, fy_start_month: int = 4) -> str:
    grain = Grain(grain)
    if grain is Grain.DAY:
        return start.isoformat()
    if grain is Grain.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if grain is Grain.WEEK:
        fy, week = fiscal_week(start, fy_start_month)
        return f"FY{fy}-W{week:02d}"
    fy = fiscal_year(start, fy_start_month)
    if grain is Grain.YEAR:
        return f"FY{fy}"
    months = MONTHS_IN_GRAIN[grain]
    number = ((start.year * 12 + start.month - 1) - (fy * 12 + fy_start_month - 1)) // months + 1
    return f"FY{fy}-{'Q' if grain is Grain.QUARTER else 'H'}{number}"


_PATTERNS: tuple[tuple[re.Pattern[str], Grain], ...] = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), Grain.DAY),
    (re.compile(r"^FY(\d{4})-W(\d{1,2})$", re.I), Grain.WEEK),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), Grain.MONTH),
    (re.compile(r"^FY(\d{4})-Q([1-4])$", re.I), Grain.QUARTER),
    (re.compile(r"^FY(\d{4})-H([12])$", re.I), Grain.HALF),
    (re.compile(r"^FY(\d{4})$", re.I), Grain.YEAR),
)

PERIOD_FORMS = (
    "2025-10-01 (day), FY2025-W27 (fiscal week), 2025-10 (month), FY2025-Q3, FY2025-H2, FY2025, "
    "2025-04-01..2025-09-30 (a range of days)"
)
RANGE_SEPARATOR = ".."


def date_range(first: dt.date, last: dt.date, fy_start_month: int = 4) -> Period:
    """The days first … last (both included) as one period."""
    if last < first:
        raise PeriodError(f"a range must not end ({last}) before it starts ({first})")
    return Period(first, last + dt.timedelta(days=1), Grain.RANGE, fy_start_month)


def parse_period(text: str, fy_start_month: int = 4) -> Period:
    """Parse a period as people write it: the labels `period_label` prints (2026-11, FY2026-Q2),
    the names the pages print (2026年11月, 2026年度 第2四半期（7月〜9月）, Nov 2026, FY2026 Q2
    (Jul–Sep)) and the usual ways of typing them (2026/11, 2026年度Q2, FY2026Q2, 2026年度 上期,
    2026年11月3日, 2026/11/3), or a range of days joined by .., 〜 or ~."""
    value = normalize_period_text(text)
    parts = _RANGE_SPLIT.split(value, maxsplit=1)
    if len(parts) == 2 and all(parts):
        ends = [parse_period(part, fy_start_month) for part in parts]
        return date_range(ends[0].start, ends[1].last_day, fy_start_month)
    for pattern, grain in _PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        nums = [int(g) for g in match.groups()]
        try:
            if grain is Grain.DAY:
                return period_of(dt.date(nums[0], nums[1], nums[2]), grain, fy_start_month)
            if grain is Grain.MONTH:
                return period_of(dt.date(nums[0], nums[1], 1), grain, fy_start_month)
            if grain is Grain.WEEK:
                fy, week = nums
                if not 1 <= week <= weeks_in_fiscal_year(fy, fy_start_month):
                    raise PeriodError(
                        f"FY{fy} has {weeks_in_fiscal_year(fy, fy_start_month)} weeks, "
                        f"so week {week} does not exist"
                    )
                monday = _first_fiscal_monday(fy, fy_start_month) + dt.timedelta(weeks=week - 1)
                return period_of(monday, grain, fy_start_month)
            fy = nums[0]
            start = fiscal_year_start(fy, fy_start_month)
            if grain in (Grain.QUARTER, Grain.HALF):
                start = _add_months(start, (nums[1] - 1) * MONTHS_IN_GRAIN[grain])
            return period_of(start, grain, fy_start_month)
        except ValueError as exc:
            if isinstance(exc, PeriodError):
                raise
            raise PeriodError(f"{text!r} is not a real date: {exc}") from exc
    raise PeriodError(f"cannot read period {text!r}; use one of: {PERIOD_FORMS}")


_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_RANGE_SPLIT = re.compile(r"\s*(?:\.\.|〜|~)\s*")
_SPAN_NOTE = re.compile(r"\s*\([^()]*\)$")
"""The month span the pages print after a fiscal period: （4月〜6月） or (Apr–Jun)."""

_PEOPLE_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"), "{0}-{1:02d}-{2:02d}"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "{0}-{1:02d}-{2:02d}"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "{0}-{1:02d}-{2:02d}"),
    (re.compile(r"^(\d{4})年(\d{1,2})月$"), "{0}-{1:02d}"),
    (re.compile(r"^(\d{4})/(\d{1,2})$"), "{0}-{1:02d}"),
    (re.compile(r"^(?:FY ?|)(\d{4})(?:年度)? ?第?(\d{1,2})週$", re.I), "FY{0}-W{1:02d}"),
    (re.compile(r"^FY ?(\d{4}) ?-? ?(?:W|week ?)(\d{1,2})$", re.I), "FY{0}-W{1:02d}"),
    (re.compile(r"^(\d{4})年度 ?第?([1-4])四半期$"), "FY{0}-Q{1}"),
    (re.compile(r"^(?:FY ?(\d{4})|(\d{4})年度) ?-? ?Q([1-4])$", re.I), "FY{0}-Q{1}"),
    (re.compile(r"^(?:FY ?(\d{4})|(\d{4})年度) ?-? ?([1-4])Q$", re.I), "FY{0}-Q{1}"),
    (re.compile(r"^(?:FY ?(\d{4})|(\d{4})年度) ?-? ?H([12])$", re.I), "FY{0}-H{1}"),
    (re.compile(r"^(\d{4})年度 ?(上|下)(?:半)?期$"), "FY{0}-H{1}"),
    (re.compile(r"^(?:FY ?(\d{4})|(\d{4})年度)$", re.I), "FY{0}"),
)


def normalize_period_text(text: str) -> str:
    """A typed period in the canonical label form where it is one of the ways people write it
    (full-width digits and spaces, Japanese and English names); other text unchanged."""
    value = " ".join(unicodedata.normalize("NFKC", text).split())
    value = _SPAN_NOTE.sub("", value.replace("～", "~"))
    if _RANGE_SPLIT.search(value):
        return value
    words = value.replace(",", " ").split()
    if len(words) == 2 and words[0].lower() in _MONTH_NAMES and words[1].isdigit():
        return f"{int(words[1]):04d}-{_MONTH_NAMES[words[0].lower()]:02d}"
    for pattern, form in _PEOPLE_FORMS:
        match = pattern.match(value)
        if match:
            groups = [g for g in match.groups() if g is not None]
            nums = [{"上": 1, "下": 2}.get(g) or int(g) for g in groups]
            return form.format(*nums)
    return value


PRESETS = (
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_fy",
    "last_fy",
    "last_30_days",
)
"""Periods named relative to today, in the order the period picker lists them."""

PRESET_WORDS = {
    "今月": "this_month",
    "先月": "last_month",
    "今四半期": "this_quarter",
    "前四半期": "last_quarter",
    "今年度": "this_fy",
    "前年度": "last_fy",
    "直近30日": "last_30_days",
    "this month": "this_month",
    "last month": "last_month",
    "this quarter": "this_quarter",
    "last quarter": "last_quarter",
    "this fiscal year": "this_fy",
    "last fiscal year": "last_fy",
    "last 30 days": "last_30_days",
}


def preset_name(text: str) -> str | None:
    """The preset a text names (this_month, 今月, "last 30 days" …), or None."""
    value = " ".join(unicodedata.normalize("NFKC", text).split()).lower()
    if value.replace(" ", "_") in PRESETS:
        return value.replace(" ", "_")
    return PRESET_WORDS.get(value)


def preset_period(name: str, today: dt.date, fy_start_month: int = 4) -> Period:
    """A preset (see PRESETS) resolved on `today`: the 30 days up to and including today for
    last_30_days, else the running or the previous month, quarter or fiscal year."""
    if name == "last_30_days":
        return date_range(today - dt.timedelta(days=29), today, fy_start_month)
    which, _, grain_word = name.partition("_")
    grain = {"month": Grain.MONTH, "quarter": Grain.QUARTER, "fy": Grain.YEAR}.get(grain_word)
    if which not in ("this", "last") or grain is None:
        raise PeriodError(f"{name!r} is not a period preset; use one of: {', '.join(PRESETS)}")
    period = period_of(today, grain, fy_start_month)
    return period if which == "this" else period.previous()


@lru_cache(maxsize=64)
def _japan_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.Japan(years=year).keys())


def is_business_day(day: dt.date) -> bool:
    """Monday–Friday and not a Japanese public holiday."""
    return day.weekday() < 5 and day not in _japan_holidays(day.year)


def business_days(start: dt.date, end: dt.date) -> int:
    """Business days in the half-open interval [start, end)."""
    count = 0
    day = start
    while day < end:
        if is_business_day(day):
            count += 1
        day += dt.timedelta(days=1)
    return count
