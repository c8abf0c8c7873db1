"""Rules of the Channels table's rows, shared by the source-channel and the attributed views."""

from __future__ import annotations

from typing import Any

from kaname.metrics.engine import NONE_LABEL

# Costs per result: unknown (not 0) where the channel has no recorded spend, such as direct.
COST_KPIS = ("cpa", "cac", "romi")


def without_spend(row: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Blank the cost-per-result values of a row without spend: a channel whose cost is not
    recorded (direct) did not acquire its leads for 0円; its CPA is unknown."""
    if not row.get("spend"):
        for key in keys:
            row[key] = None


def is_empty(row: dict[str, Any]) -> bool:
    """The row of leads without a channel ("(none)") when it holds no number other than 0:
    it is hidden then. A named channel always shows, even with nothing in the period."""
    if row.get("channel") != NONE_LABEL:
        return False
    return not any(v for k, v in row.items() if k != "channel" and isinstance(v, int | float))
