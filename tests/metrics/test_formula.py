from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaname.metrics.formula import FormulaError, parse

KNOWN = ["spend", "leads", "revenue", "deals"]


def test_arithmetic_and_precedence() -> None:
    f = parse("(revenue - spend) / spend * 100", KNOWN)
    values, notes = f.evaluate({"revenue": np.array([300.0]), "spend": np.array([100.0])})
    assert values[0] == 200.0 and notes == [""]
    assert parse("-leads + 2 * 3", KNOWN).evaluate({"leads": np.array([1.0])})[0][0] == 5.0


def test_division_by_zero_gives_nan_and_names_the_denominator() -> None:
    values, notes = parse("spend / leads", KNOWN).evaluate(
        {"spend": np.array([10.0, 5.0]), "leads": np.array([2.0, 0.0])}
    )
    assert values[0] == 5.0 and np.isnan(values[1])
    assert notes[1] == "leads is 0, so the ratio is undefined"


def test_unknown_measure_suggests_the_near_one() -> None:
    with pytest.raises(FormulaError, match=r"unknown measure 'lead'.*Did you mean leads"):
        parse("spend / lead", KNOWN)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "leads.real",
        "leads[0]",
        "lambda: 1",
        "leads ** 2",
        "leads if deals else spend",
        "open('x')",
        "True",
        "'text'",
        "leads; deals",
    ],
)
def test_anything_but_arithmetic_is_refused(text: str) -> None:
    with pytest.raises(FormulaError):
        parse(text, KNOWN)


def test_empty_formula() -> None:
    with pytest.raises(FormulaError, match="empty"):
        parse("   ")


names = st.sampled_from(KNOWN)
numbers = st.integers(min_value=0, max_value=1000).map(str)
leaf = st.one_of(names, numbers)
exprs = st.recursive(
    leaf,
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    ),
    max_leaves=12,
)


@given(exprs, st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=4, max_size=4))
def test_parser_never_crashes_and_matches_python_arithmetic(text: str, xs: list[float]) -> None:
    formula = parse(text, KNOWN)
    env = dict(zip(KNOWN, xs, strict=True))
    values, notes = formula.evaluate({k: np.array([v]) for k, v in env.items()})
    if notes[0]:
        assert np.isnan(values[0])
        return
    try:
        expected = _reference(text, env)
    except ZeroDivisionError:  # pragma: no cover - notes catch every zero denominator
        pytest.fail("a zero denominator was not noted")
    assert values[0] == pytest.approx(expected, rel=1e-9, abs=1e-9, nan_ok=True)


def _reference(text: str, env: dict[str, float]) -> float:
    """Independent evaluation via Python's own arithmetic on a compiled AST (test-only oracle)."""
    import ast

    tree = ast.parse(text, mode="eval")
    code = compile(tree, "<formula>", "eval")
    return float(eval(code, {"__builtins__": {}}, dict(env)))
