"""Attribution models against hand-computed cases, and the totals invariant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kaname.analytics.attribution import (
    MODELS,
    AttributionError,
    attribute,
    compare,
    removal_effects,
)


def credit(frame: pd.DataFrame, column: str = "conversions") -> dict[str, float]:
    return {c: round(v, 9) for c, v in zip(frame["channel"], frame[column], strict=True) if v}


# The issue's case: direct (2 conversions, 1 null), search>email (3, 2), search>social>email (5, 4).
ISSUE_PATHS = pd.DataFrame(
    {
        "path": ["direct", "search > email", "search > social > email"],
        "conversions": [2, 3, 5],
        "nulls": [1, 2, 4],
        "value": [200.0, 300.0, 500.0],
    }
)


def test_first_touch() -> None:
    assert credit(attribute(ISSUE_PATHS, "first_touch")) == {"search": 8, "direct": 2}


def test_last_touch() -> None:
    assert credit(attribute(ISSUE_PATHS, "last_touch")) == {"email": 8, "direct": 2}


def test_linear() -> None:
    got = credit(attribute(ISSUE_PATHS, "linear"))
    assert got == pytest.approx({"direct": 2, "search": 19 / 6, "email": 19 / 6, "social": 5 / 3})


def test_u_shaped_40_20_40() -> None:
    got = credit(attribute(ISSUE_PATHS, "u_shaped"))
    assert got == pytest.approx({"direct": 2, "search": 3.5, "email": 3.5, "social": 1})
    value = credit(attribute(ISSUE_PATHS, "u_shaped"), "value")
    assert value == pytest.approx({"direct": 200, "search": 350, "email": 350, "social": 100})


def test_markov_removal_effects_exact() -> None:
    paths = pd.DataFrame(
        {"path": ["C1>C2>C3", "C1", "C2>C3"], "conversions": [1, 0, 0], "value": [1000, 0, 0]}
    )
    effects = removal_effects(paths).set_index("channel")["removal_effect"]
    assert effects.to_dict() == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    got = attribute(paths, "markov")
    assert credit(got) == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    assert credit(got, "value") == pytest.approx({"C1": 200, "C2": 400, "C3": 400})


def test_markov_higher_order_sees_the_sequence() -> None:
    # Order 2: C2 after C1 converts, C2 first does not; order 1 cannot tell them apart.
    paths = pd.DataFrame(
        {"path": ["C1>C2", "C2", "C3>C2"], "conversions": [4, 0, 0], "nulls": [0, 4, 4]}
    )
    first = credit(attribute(paths, "markov", order=1))
    second = credit(attribute(paths, "markov", order=2))
    assert second == pytest.approx({"C1": 2, "C2": 2})  # C3's states never convert
    assert first.get("C3", 0) > 0
    assert credit(attribute(paths, "markov_3")) == pytest.approx(second)


def test_position_models_on_a_b2b_path() -> None:
    # first touch 0, lead created at touch 1, opportunity at touch 3, closed at touch 4.
    paths = pd.DataFrame(
        {
            "path": [["ad", "web", "mail", "event", "call", "web"]],
            "lead_touch": [1],
            "opportunity_touch": [3],
            "close_touch": [4],
            "conversions": [1],
        }
    )
    assert credit(attribute(paths, "lead_creation")) == {"web": 1}
    w = credit(attribute(paths, "w_shaped"))
    third = 0.1 / 3  # the middle 10% over mail, call and the last web visit
    assert w == pytest.approx(
        {"ad": 0.3, "web": 0.3 + third, "event": 0.3, "mail": third, "call": third}
    )
    full = credit(attribute(paths, "full_path"))
    assert full == pytest.approx(
        {"ad": 0.225, "web": 0.225 + 0.05, "event": 0.225, "call": 0.225, "mail": 0.05}
    )
    j = credit(attribute(paths, "j_shaped"))
    assert j == pytest.approx(
        {"ad": 0.2, "web": 0.6 + 0.05, "mail": 0.05, "event": 0.05, "call": 0.05}
    )
    inverse = credit(attribute(paths, "inverse_j"))
    assert inverse["ad"] == pytest.approx(0.6)
    custom = credit(attribute(paths, "custom", weights={"first": 0.5, "close": 0.5}))
    assert custom == pytest.approx({"ad": 0.5, "call": 0.5})


def test_time_decay_halves_per_half_life() -> None:
    paths = pd.DataFrame(
        {"path": [["a", "b", "c"]], "days_before": [[14.0, 7.0, 0.0]], "conversions": [7]}
    )
    got = credit(attribute(paths, "time_decay", half_life_days=7))
    assert got == pytest.approx({"a": 1, "b": 2, "c": 4})
    with pytest.raises(AttributionError, match="days_before"):
        attribute(paths.drop(columns="days_before"), "time_decay")


def test_shapley_conversions_worth_is_exact() -> None:
    # Coalition worth = conversions of paths within it; Shapley splits each set's evenly.
    paths = pd.DataFrame({"path": ["a", "a>b", "b>a>b"], "conversions": [3, 2, 4]})
    assert credit(attribute(paths, "shapley")) == pytest.approx({"a": 3 + 1 + 2, "b": 1 + 2})


def test_shapley_rate_worth() -> None:
    # a alone converts 1/2, b alone 0/2, a and b together 2/2: v(a)=.5 v(b)=0 v(ab)=3/6=.5
    paths = pd.DataFrame({"path": ["a", "b", "a>b"], "conversions": [1, 0, 2], "nulls": [1, 2, 0]})
    got = credit(attribute(paths, "shapley", worth="rate"))
    # φa = (.5 + (.5 - 0)) / 2 = .5, φb = (0 + (.5 - .5)) / 2 = 0 → all 3 conversions to a
    assert got == pytest.approx({"a": 3})


def test_compare_side_by_side() -> None:
    frame = compare(ISSUE_PATHS, ["first_touch", "linear", "markov"])
    totals = frame.groupby("model")["conversions"].sum()
    assert set(totals.index) == {"first_touch", "linear", "markov"}
    assert np.allclose(totals.to_numpy(), 10)


def test_errors_name_the_fix() -> None:
    with pytest.raises(AttributionError, match="path"):
        attribute(pd.DataFrame({"x": [1]}))
    with pytest.raises(AttributionError, match="unknown rule model"):
        attribute(ISSUE_PATHS, "nonsense")
    with pytest.raises(AttributionError, match="add up"):
        attribute(ISSUE_PATHS, "custom", weights={"first": 0.8, "last": 0.5})
    with pytest.raises(AttributionError, match="empty path"):
        attribute(pd.DataFrame({"path": [[]], "conversions": [1]}))


CHANNELS = ["search", "email", "social", "direct", "event"]
path_rows = st.lists(
    st.tuples(
        st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6),
        st.integers(0, 5),
        st.integers(0, 5),
        st.floats(0, 1e6, allow_nan=False),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(path_rows)
@example([(["search"], 1, 1, 5e-324)])  # a subnormal value: its removal effect underflows to 0
def test_every_model_credits_exactly_the_totals(rows: list) -> None:
    paths = pd.DataFrame(rows, columns=["path", "conversions", "nulls", "value"])
    paths["value"] = paths["value"].where(paths["conversions"] > 0, 0.0)
    paths["days_before"] = paths["path"].map(lambda p: [float(len(p) - i) for i in range(len(p))])
    total_conv = paths["conversions"].sum()
    total_value = paths["value"].sum()
    for model in MODELS:
        for option in ({"order": 1}, {"order": 2}) if model == "markov" else ({},):
            kwargs = dict(option)
            if model == "custom":
                kwargs["weights"] = {"first": 0.3, "lead": 0.3, "last": 0.2}
            got = attribute(paths, model, **kwargs)
            assert got["conversions"].sum() == pytest.approx(total_conv, rel=1e-9, abs=1e-9)
            assert got["value"].sum() == pytest.approx(total_value, rel=1e-9, abs=1e-6)


def test_arrow_list_paths_credit_as_python_lists() -> None:
    """Paths built on the warehouse arrive as an Arrow list<string> column; every model reads it
    as it reads Python lists (repeated paths merged, a missing path dropped)."""
    import pyarrow as pa

    lists = [["search", "email"], ["direct"], None, ["search", "email"], ["social", "search"]]
    frame = pd.DataFrame(
        {
            "path": lists,
            "conversions": [1.0, 0.0, 0.0, 2.0, 1.0],
            "nulls": [1.0, 1.0, 1.0, 0.0, 3.0],
            "value": [10.0, 0.0, 0.0, 30.0, 5.0],
            "lead_touch": [1, 0, 0, 0, 1],
        }
    )
    arrow = frame.assign(
        path=pd.arrays.ArrowExtensionArray(pa.array(lists, pa.large_list(pa.string())))
    )
    for model in ("linear", "first_touch", "w_shaped", "markov", "shapley"):
        a = attribute(frame, model).set_index("channel").sort_index()
        b = attribute(arrow, model).set_index("channel").sort_index()
        assert list(a.index) == list(b.index), model
        assert np.allclose(a[["conversions", "value"]], b[["conversions", "value"]]), model
