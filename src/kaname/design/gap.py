"""Gap decomposition: split the difference between a planned and an actual KGI exactly across
the drivers whose product makes it (bottom volume × rates × deal size).

Shapley values over the drivers: each driver's part is its average contribution over every order
in which the drivers could move from plan to actual, so the parts always add up to the whole gap,
zeros included (a log-mean split cannot take a zero).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import combinations


class GapError(ValueError):
    """The drivers cannot be compared; the message says which."""


def shapley_product(planned: Mapping[str, float], actual: Mapping[str, float]) -> dict[str, float]:
    """Parts of Π actual − Π planned attributed to each driver (they sum to the difference)."""
    names = list(planned)
    if set(names) != set(actual):
        raise GapError(f"planned and actual drivers differ: {sorted(set(names) ^ set(actual))}")
    n = len(names)
    if n == 0 or n > 12:
        raise GapError("a gap needs between 1 and 12 drivers")
    weight = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    parts = {}
    for i, name in enumerate(names):
        others = names[:i] + names[i + 1 :]
        total = 0.0
        for k in range(n):
            for moved in combinations(others, k):
                moved_set = set(moved)
                base = math.prod(actual[o] if o in moved_set else planned[o] for o in others)
                total += weight[k] * base * (actual[name] - planned[name])
        parts[name] = total
    return parts


def sensitivity(
    kgi: float,
    drivers: Mapping[str, float],
    benchmarks: Mapping[str, float | None],
    shares: set[str],
    step: float = 0.10,
) -> list[dict[str, float | str | None]]:
    """KGI gain from improving each driver by `step` and from bringing it up to its benchmark,
    ranked (benchmark gain first, then the step gain). Shares (rates) are capped at 100%."""
    rows: list[dict[str, float | str | None]] = []
    for name, value in drivers.items():
        if value <= 0:
            continue
        improved = value * (1 + step)
        if name in shares:
            improved = min(improved, 1.0)
        bench = benchmarks.get(name)
        to_bench = kgi * (bench / value - 1) if bench is not None and bench > value else 0.0
        rows.append(
            {
                "driver": name,
                "actual": value,
                "benchmark": bench,
                "gain_step": kgi * (improved / value - 1),
                "gain_to_benchmark": to_bench,
            }
        )
    rows.sort(key=lambda r: (-float(r["gain_to_benchmark"] or 0), -float(r["gain_step"] or 0)))
    return rows
