"""KPI formulas: arithmetic over measure names, parsed into a small tree and never `eval`ed.

Grammar: numbers, names (measures or other KPIs), + - * /, unary minus and parentheses, e.g.
``(revenue - spend) / spend``. Division by zero gives no value (NaN) and a note that names the
denominator, never an error and never a silent zero.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


class FormulaError(ValueError):
    """A formula cannot be parsed or refers to something unknown."""


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


Node = Num | Ref | Neg | BinOp

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
MAX_LENGTH = 2000
"""Longest formula text: KPI formulas are a line; 20,000 terms are an attack, not a KPI."""
MAX_DEPTH = 100
"""Deepest nesting of operations (each term of a long sum, each unary minus is a level)."""


def _check_depth(root: ast.AST) -> None:
    """Refuse trees deeper than MAX_DEPTH, walking them without recursion (the converter and
    the evaluator recurse once per level)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(f"formula nested more than {MAX_DEPTH} levels deep; split it")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


@dataclass(frozen=True)
class Formula:
    text: str
    tree: Node

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the formula refers to, in order of first appearance."""
        seen: dict[str, None] = {}
        _collect(self.tree, seen)
        return tuple(seen)

    def evaluate(self, values: Mapping[str, Array]) -> tuple[Array, list[str]]:
        """Evaluate over arrays of equal length; return values and per-row notes ('' when fine)."""
        length = len(next(iter(values.values()))) if values else 1
        notes = np.full(length, "", dtype=object)
        result = _eval(self.tree, values, notes, length)
        return result, notes.tolist()  # every note is a str already


def _collect(node: Node, seen: dict[str, None]) -> None:
    if isinstance(node, Ref):
        seen.setdefault(node.name, None)
    elif isinstance(node, Neg):
        _collect(node.operand, seen)
    elif isinstance(node, BinOp):
        _collect(node.left, seen)
        _collect(node.right, seen)


def _describe(node: Node) -> str:
    if isinstance(node, Num):
        return f"{node.value:g}"
    if isinstance(node, Ref):
        return node.name
    if isinstance(node, Neg):
        return f"-{_describe(node.operand)}"
    return f"({_describe(node.left)} {node.op} {_describe(node.right)})"


def _eval(node: Node, values: Mapping[str, Array], notes: npt.NDArray[np.object_], n: int) -> Array:
    if isinstance(node, Num):
        return np.full(n, node.value, dtype=np.float64)
    if isinstance(node, Ref):
        return np.asarray(values[node.name], dtype=np.float64)
    if isinstance(node, Neg):
        return -_eval(node.operand, values, notes, n)
    left = _eval(node.left, values, notes, n)
    right = _eval(node.right, values, notes, n)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    zero = right == 0
    if zero.any():
        message = f"{_describe(node.right)} is 0, so the ratio is undefined"
        for i in np.flatnonzero(zero & (notes == "")):
            notes[i] = message
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(zero, np.nan, left / np.where(zero, 1.0, right))
    return np.asarray(out, dtype=np.float64)


def parse(text: str, known: Iterable[str] | None = None) -> Formula:
    """Parse `text`; when `known` is given, every name must be in it (with a suggestion if not)."""
    source = text.strip()
    if not source:
        raise FormulaError("the formula is empty; write e.g. `spend / leads`")
    if len(source) > MAX_LENGTH:
        raise FormulaError(f"a formula has at most {MAX_LENGTH} characters")
    try:
        expr = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"cannot parse formula {text!r}: {exc.msg}") from exc
    except (RecursionError, MemoryError):
        raise FormulaError(f"formula nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(expr.body)
    tree = _convert(expr.body, text)
    formula = Formula(source, tree)
    if known is not None:
        known_set = set(known)
        for name in formula.names:
            if name not in known_set:
                close = difflib.get_close_matches(name, sorted(known_set), n=3)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise FormulaError(
                    f"formula {text!r} uses unknown measure {name!r}.{hint} "
                    "`kaname catalog --measures` lists the measures."
                )
    return formula


def _convert(node: ast.AST, text: str) -> Node:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise FormulaError(f"formula {text!r}: booleans are not numbers")
        return Num(float(node.value))
    if isinstance(node, ast.Name):
        return Ref(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _convert(node.operand, text)
        return Neg(inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return BinOp(_OPS[type(node.op)], _convert(node.left, text), _convert(node.right, text))
    shown = ast.get_source_segment(text, node) or type(node).__name__
    raise FormulaError(
        f"formula {text!r}: {shown!r} is not allowed; use numbers, measure names, + - * / "
        "and parentheses"
    )
