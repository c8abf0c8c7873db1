"""The filters every page takes from its URL: period, grain, channel, campaign, segment, view."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from kaname.metrics.calendar import Grain
from kaname.metrics.engine import View

DIMENSIONS = ("channel", "campaign", "segment")
PAGE_GRAINS = (Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.HALF, Grain.YEAR)


USER_PREFIX = "d_"
USER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FilterError(ValueError):
    """A filter in the URL cannot be understood; the message says what is accepted."""


@dataclass(frozen=True)
class Filters:
    period: str = ""
    """Period label (2026-10, FY2026-Q2, FY2026 …); empty means the current period of `grain`."""
    grain: Grain = Grain.MONTH
    channel: str = ""
    campaign: str = ""
    segment: str = ""
    view: View = "period"
    extra: tuple[tuple[str, str], ...] = ()
    """Filters on dimensions from the user's data (product, region …), `d_<name>=` in the URL."""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        grain = params.get("grain") or "month"
        try:
            parsed = Grain(grain)
        except ValueError as exc:
            raise FilterError(
                f"grain {grain!r} is not one of {', '.join(g.value for g in PAGE_GRAINS)}"
            ) from exc
        if parsed not in PAGE_GRAINS:
            raise FilterError(f"grain must be one of {', '.join(g.value for g in PAGE_GRAINS)}")
        view = params.get("view") or "period"
        if view not in ("period", "cohort"):
            raise FilterError("view must be period or cohort")
        return cls(
            period=(params.get("period") or "").strip(),
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
