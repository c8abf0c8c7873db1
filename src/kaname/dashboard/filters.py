"""The filters every page takes from its URL: period, grain, channel, campaign, segment, view."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from kaname.metrics.calendar import Grain, Period, PeriodError, preset_name
from kaname.metrics.engine import View

DIMENSIONS = ("channel", "campaign", "segment")
PAGE_GRAINS = (Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.HALF, Grain.YEAR)


COMPARISONS = ("previous_year", "previous", "none")
"""What the KPI cards compare with: the same period a year earlier (前年同期, the default), the
period before (前期間), or nothing. Both bases are like for like (metrics/compare.py)."""

GRAIN_PRESETS = {Grain.MONTH: "this_month", Grain.QUARTER: "this_quarter", Grain.YEAR: "this_fy"}

Resolve = Callable[[str, Grain], Period]
"""Period text and grain → the period (the workspace's `period()`); raises PeriodError."""

USER_PREFIX = "d_"
USER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FilterError(ValueError):
    """A filter in the URL cannot be understood; the message says what is accepted."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    period: str = ""
    """Period label (2026-10, FY2026-Q2, FY2026 …); empty means the current period of `grain`."""
    grain: Grain = Grain.MONTH
    channel: str = ""
    campaign: str = ""
    segment: str = ""
    view: View = "period"
    compare: str = "previous_year"
    """The comparison the KPI cards show: one of COMPARISONS."""
    extra: tuple[tuple[str, str], ...] = ()
    """Filters on dimensions from the user's data (product, region …), `d_<name>=` in the URL."""

    @classmethod
    def parse(cls, params: Mapping[str, str], resolve: Resolve | None = None) -> Filters:
        """The filters of a URL. A submit of the period picker (it carries `shown`, the period the
        page showed) is read by `picked_period`, which needs `resolve`."""
        grain = params.get("grain") or "month"
        try:
            parsed = Grain(grain)
        except ValueError as exc:
            raise FilterError(
                f"grain {grain!r} is not one of {', '.join(g.value for g in PAGE_GRAINS)}",
                "grain",
            ) from exc
        if parsed not in PAGE_GRAINS:
            raise FilterError(
                f"grain must be one of {', '.join(g.value for g in PAGE_GRAINS)}", "grain"
            )
        view = params.get("view") or "period"
        if view not in ("period", "cohort"):
            raise FilterError("view must be period or cohort", "view")
        compare = params.get("compare") or "previous_year"
        if compare not in COMPARISONS:
            raise FilterError(f"compare must be one of {', '.join(COMPARISONS)}", "compare")
        period = (params.get("period") or "").strip()
        if "shown" in params and resolve is not None:
            period = picked_period(params, parsed, resolve)
        return cls(
            period=period,
            compare=compare,
            grain=parsed,
            channel=(params.get("channel") or "").strip(),
            campaign=(params.get("campaign") or "").strip(),
            segment=(params.get("segment") or "").strip(),
            view=view,  # type: ignore[arg-type]
            extra=tuple(
                sorted(
                    (key[len(USER_PREFIX) :], value.strip())
                    for key, value in params.items()
                    if key.startswith(USER_PREFIX)
                    and USER_NAME.match(key[len(USER_PREFIX) :])
                    and value.strip()
                )
            ),
        )

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The dimension filters that are set, as the metric engine takes them."""
        built_in = tuple((d, getattr(self, d)) for d in DIMENSIONS if getattr(self, d))
        return built_in + self.extra

    def value(self, dim: str) -> str:
        """The filter value of a dimension (empty when unfiltered)."""
        return dict(self.pairs()).get(dim, "")

    def as_dict(self) -> dict[str, str]:
        out = {k: str(v) for k, v in asdict(self).items() if k != "extra"}
        out.update({f"{USER_PREFIX}{d}": v for d, v in self.extra})
        return out

    def query(self, **overrides: str) -> str:
        """The URL query string of these filters (non-defaults only), with changes applied."""
        values = {**self.as_dict(), **overrides}
        defaults = Filters().as_dict()
        return urlencode({k: v for k, v in values.items() if v and v != defaults.get(k)})


def shown_preset(period: str, grain: Grain) -> str:
    """The preset the picker's select shows for a period text: the preset it names, the running
    period of the grain when empty, else "custom"."""
    if not period:
        return GRAIN_PRESETS.get(grain, "custom")
    return preset_name(period) or "custom"


def picked_period(params: Mapping[str, str], grain: Grain, resolve: Resolve) -> str:
    """The period a submit of the period picker asks for. The form holds a typed period, a preset
    select and from/to dates at once, and a plain GET form cannot say which one the user changed;
    so the field that differs from what the page showed (`shown`) wins, typed text first."""
    shown = (params.get("shown") or "").strip()
    typed = (params.get("period") or "").strip()
    preset = (params.get("preset") or "").strip()
    first, last = (params.get("from") or "").strip(), (params.get("to") or "").strip()

    def same(text: str) -> bool:
        """Whether `text` names the same days as what the page showed."""
        try:
            one, other = resolve(text, grain), resolve(shown, grain)
        except PeriodError:
            return False
        return (one.start, one.end) == (other.start, other.end)

    if typed and typed != shown and not same(typed):
        return typed
    if preset and preset != "custom" and preset != shown_preset(shown, grain):
        return preset
    if first and last and last < first:
        # One end moved past the other: the range becomes the day that moved.
        try:
            moved_first = first != resolve(shown, grain).start.isoformat()
        except PeriodError:
            moved_first = True
        first, last = (first, first) if moved_first else (last, last)
    if first and last and not same(f"{first}..{last}"):
        return f"{first}..{last}"
    return shown
