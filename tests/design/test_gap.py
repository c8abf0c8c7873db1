from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaname.design.gap import GapError, shapley_product


def test_two_drivers_split_the_interaction_evenly() -> None:
    # 100 leads × 10% → 10 deals planned; 80 leads × 15% → 12 deals actual: +2.
    parts = shapley_product({"leads": 100, "rate": 0.1}, {"leads": 80, "rate": 0.15})
    assert parts["leads"] == pytest.approx(-20 * (0.1 + 0.15) / 2)
    assert parts["rate"] == pytest.approx(0.05 * (100 + 80) / 2)
    assert sum(parts.values()) == pytest.approx(2)


def test_a_driver_at_zero_is_still_split() -> None:
    parts = shapley_product({"a": 10, "b": 2}, {"a": 0, "b": 3})
    assert sum(parts.values()) == pytest.approx(-20)


def test_mismatched_drivers() -> None:
    with pytest.raises(GapError, match="differ"):
        shapley_product({"a": 1}, {"b": 1})


values = st.floats(min_value=0, max_value=1e4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=7))
def test_parts_sum_to_the_total_gap(pairs: list[tuple[float, float]]) -> None:
    planned = {f"d{i}": p for i, (p, _) in enumerate(pairs)}
    actual = {f"d{i}": a for i, (_, a) in enumerate(pairs)}
    parts = shapley_product(planned, actual)
    gap = math.prod(actual.values()) - math.prod(planned.values())
    scale = math.prod(max(p, a, 1.0) for p, a in pairs)
    assert sum(parts.values()) == pytest.approx(gap, rel=1e-7, abs=1e-9 * scale)


def test_sensitivity_ranks_the_benchmark_gap_first() -> None:
    from kaname.design.gap import sensitivity

    rows = sensitivity(
        1000.0,
        {"leads": 500, "sql_rate": 0.1, "win_rate": 0.3, "opportunity_rate": 0.95},
        {"sql_rate": 0.2, "win_rate": 0.25, "opportunity_rate": 0.5, "leads": None},
        shares={"sql_rate", "win_rate", "opportunity_rate"},
    )
    assert rows[0]["driver"] == "sql_rate"
    assert rows[0]["gain_to_benchmark"] == pytest.approx(1000.0)  # 10% → 20% doubles the KGI
    by = {r["driver"]: r for r in rows}
    assert by["win_rate"]["gain_to_benchmark"] == 0  # already above 25%
    assert by["opportunity_rate"]["gain_step"] == pytest.approx(1000 * (1 / 0.95 - 1))  # capped
    assert by["leads"]["gain_step"] == pytest.approx(100)
