"""Reverse calculation through a funnel: from a KGI down to every stage, and back up (what-if).

A funnel is a chain of stages from the top (the KGI, e.g. revenue) down, with one rate between
each stage and the next: `upper = lower × rate` (revenue = deals × average deal size, deals =
opportunities × win rate, …). Solving from any known stage gives every other stage, so the same
object answers "how many leads do we need" and "what revenue do these leads make". Pure maths.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace


class FunnelError(ValueError):
    """The funnel or a rate in it is invalid; the message names it."""


STANDARD_STAGES = ("revenue", "deals", "opportunities", "sqls", "mqls", "leads", "sessions")
STANDARD_RATES = (
    "average_deal_size",
    "win_rate",
    "opportunity_rate",
    "sql_rate",
    "mql_rate",
    "cvr",
)

STAGE_RATIO_NAMES = {
    "win_rate": {
        "ja": "受注数÷商談数（同期間）",
        "en": "Deals ÷ opportunities (same period)",
    },
}
"""Drivers whose stage ratio in the gap split is not the KPI of the same id: 受注率 (win_rate) is
deals ÷ opportunities *closed* in a period, while the funnel chain divides by opportunities
*created*, so the gap table and the lever banner name the ratio they show."""
"""rate i links stage i (above) and stage i+1 (below)."""


@dataclass(frozen=True)
class Funnel:
    stages: tuple[str, ...]
    rate_names: tuple[str, ...]
    rates: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.stages) < 2 or len(self.rates) != len(self.stages) - 1:
            raise FunnelError("a funnel needs two or more stages and one rate between each pair")
        if len(self.rate_names) != len(self.rates):
            raise FunnelError("every rate needs a name")
        if len(set(self.stages)) != len(self.stages):
            raise FunnelError(f"a stage appears twice: {', '.join(self.stages)}")
        for name, rate in zip(self.rate_names, self.rates, strict=True):
            if not math.isfinite(rate) or rate <= 0:
                raise FunnelError(f"{name} must be a positive number, not {rate}")
            if name != "average_deal_size" and name.endswith("rate") and rate > 1:
                raise FunnelError(f"{name} is a share and must be at most 1 (100%), not {rate}")

    @classmethod
    def standard(
        cls, rates: Mapping[str, float], top: str = "revenue", bottom: str = "sessions"
    ) -> Funnel:
        """revenue → deals → opportunities → SQL → MQL → leads → sessions, cut to [top, bottom]."""
        try:
            i, j = STANDARD_STAGES.index(top), STANDARD_STAGES.index(bottom)
        except ValueError as exc:
            raise FunnelError(f"stages must be among {', '.join(STANDARD_STAGES)}") from exc
        names = STANDARD_RATES[i:j]
        missing = [n for n in names if n not in rates]
        if missing:
            raise FunnelError(f"the funnel from {top} to {bottom} needs {', '.join(missing)}")
        return cls(STANDARD_STAGES[i : j + 1], names, tuple(float(rates[n]) for n in names))

    @classmethod
    def of(cls, stages: Sequence[str], rates: Mapping[str, float]) -> Funnel:
        """A funnel over the standard stages a team uses, top to bottom, dropping the others
        (the seeds' simple model: revenue → deals → sqls → leads). The rate between two used
        stages is named for the upper one (`link_rates`)."""
        names = link_rates(stages)
        missing = [n for n in names if n not in rates]
        if missing:
            raise FunnelError(f"the funnel {' → '.join(stages)} needs {', '.join(missing)}")
        return cls(tuple(stages), names, tuple(float(rates[n]) for n in names))

    def rate(self, name: str) -> float:
        return self.rates[self._rate_index(name)]

    def with_rate(self, name: str, value: float) -> Funnel:
        rates = list(self.rates)
        rates[self._rate_index(name)] = value
        return replace(self, rates=tuple(rates))

    def _rate_index(self, name: str) -> int:
        try:
            return self.rate_names.index(name)
        except ValueError:
            raise FunnelError(
                f"this funnel has no rate {name!r}; it has {', '.join(self.rate_names)}"
            ) from None

    def volumes(self, stage: str, value: float) -> dict[str, float]:
        """Every stage's volume, given one stage's volume (top-down below it, bottom-up above)."""
        if stage not in self.stages:
            raise FunnelError(f"unknown stage {stage!r}; the funnel has {', '.join(self.stages)}")
        k = self.stages.index(stage)
        out = {stage: float(value)}
        for i in range(k - 1, -1, -1):
            out[self.stages[i]] = out[self.stages[i + 1]] * self.rates[i]
        for i in range(k, len(self.rates)):
            out[self.stages[i + 1]] = out[self.stages[i]] / self.rates[i]
        return {s: out[s] for s in self.stages}

    def whatif(
        self, base_stage: str, base_value: float, changes: Mapping[str, float]
    ) -> dict[str, float]:
        """Volumes when rates change but the volume at `base_stage` stays (bottom-up what-if)."""
        funnel = self
        for name, value in changes.items():
            funnel = funnel.with_rate(name, value)
        return funnel.volumes(base_stage, base_value)


def link_rates(stages: Sequence[str]) -> tuple[str, ...]:
    """The rate names between consecutive used stages: each link is named for its upper stage
    (win_rate is deals ÷ the next stage the team uses, so with 案件 dropped it is 受注 ÷ 商談)."""
    unknown = [s for s in stages if s not in STANDARD_STAGES]
    if unknown:
        raise FunnelError(f"stages must be among {', '.join(STANDARD_STAGES)}, not {unknown}")
    index = [STANDARD_STAGES.index(s) for s in stages]
    if len(stages) < 2 or any(b <= a for a, b in itertools.pairwise(index)):
        raise FunnelError(
            f"stages must be two or more, in the funnel's order ({' → '.join(STANDARD_STAGES)})"
        )
    return tuple(STANDARD_RATES[i] for i in index[:-1])


def is_contiguous(stages: Sequence[str]) -> bool:
    """Whether the used stages are consecutive standard stages (no stage dropped)."""
    index = [STANDARD_STAGES.index(s) for s in stages]
    return all(b == a + 1 for a, b in itertools.pairwise(index))


def unit_costs(budget: float, volumes: Mapping[str, float]) -> dict[str, float]:
    """Budget → target CPA (per lead), cost per MQL and CAC (per deal), where the stage exists."""
    out = {}
    for name, stage in (("target_cpa", "leads"), ("cost_per_mql", "mqls"), ("target_cac", "deals")):
        if stage in volumes and volumes[stage] > 0:
            out[name] = budget / volumes[stage]
    return out


def allocate(total: float, weights: Sequence[float]) -> list[float]:
    """Split `total` in proportion to `weights` (exactly: the parts add up to the total)."""
    if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise FunnelError("allocation weights must be non-negative and not all zero")
    s = sum(weights)
    parts = [total * w / s for w in weights]
    parts[-1] = total - sum(parts[:-1])
    return parts


def allocate_whole(total: int, weights: Sequence[float]) -> list[int]:
    """Split a count in proportion to `weights` into whole numbers that add up to `total`
    (largest remainder), e.g. deals per month."""
    exact = allocate(float(total), weights)
    floors = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


def months_earlier(days: float) -> int:
    """Whole months an earlier stage must happen before a later one, for a lead time in days."""
    return max(0, round(days / (365.25 / 12)))


def allocate_by_cost(
    leads: float,
    cpa: Mapping[str, float],
    capacity: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Leads per channel, cheapest CPA first, each channel up to its capacity (unlimited when
    not given). Raises FunnelError when the channels cannot supply the leads."""
    capacity = capacity or {}
    out: dict[str, float] = {}
    remaining = leads
    for channel in sorted(cpa, key=lambda c: (cpa[c], c)):
        take = min(remaining, capacity.get(channel, math.inf))
        out[channel] = take
        remaining -= take
    if remaining > 1e-9:
        raise FunnelError(
            f"the channels' capacity falls {remaining:,.0f} leads short of the {leads:,.0f} "
            "needed; raise a capacity or add a channel"
        )
    return out
