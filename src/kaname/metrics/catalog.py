"""The KPI catalog: data (catalog.yaml) plus a workspace's custom KPIs, validated together."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cached_property
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kaname.metrics.formula import BinOp, Formula, FormulaError, Neg, Node, Num, Ref, parse
from kaname.metrics.measures import MEASURES, PARAMETERS

Unit = Literal[
    "count", "currency", "ratio", "days", "minutes", "months", "multiple", "score", "points"
]
PHASES = ("awareness", "lead", "deal", "retention")
PHASE_NAMES = {
    "awareness": ("認知", "Awareness"),
    "lead": ("リード獲得・育成", "Lead & nurture"),
    "deal": ("商談・受注", "Opportunity & deal"),
    "retention": ("継続・拡大", "Retention & expansion"),
}

CATALOG_WORDS_JA = {
    "leading": "先行",
    "lagging": "遅行",
    "higher": "高いほど良い",
    "lower": "低いほど良い",
    "count": "件数",
    "currency": "金額",
    "ratio": "率",
    "days": "日数",
    "minutes": "分",
    "months": "月数",
    "multiple": "倍率",
    "score": "スコア",
    "points": "点",
}
"""A KPI's type, direction and unit in Japanese words (the definitions document, the CLI's
catalog table)."""


class CatalogError(ValueError):
    """A KPI definition is invalid; the message names the KPI and the problem."""


class Benchmark(BaseModel):
    low: float | None = None
    high: float | None = None
    source: str = ""


class Kpi(BaseModel):
    """One KPI definition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_ja: str
    name_en: str
    definition_en: str
    definition_ja: str
    formula: str
    unit: Unit
    direction: Literal["higher", "lower"]
    phase: Literal["awareness", "lead", "deal", "retention"]
    type: Literal["leading", "lagging"]
    kind: Literal["quantity", "quality"] = "quality"
    frequency: Literal["daily", "weekly", "monthly", "quarterly"] = "monthly"
    dimensions: tuple[str, ...] | None = None
    """Restrict the dimensions further than the measures allow (None: all the measures allow)."""
    benchmark: Benchmark | None = None
    custom: bool = False

    def name(self, language: str = "en") -> str:
        return self.name_ja if language == "ja" else self.name_en

    def definition(self, language: str = "en") -> str:
        return self.definition_ja if language == "ja" else self.definition_en


class Catalog:
    """Every KPI, with formulas resolved down to base measures."""

    def __init__(self, kpis: Iterable[Kpi]) -> None:
        self._kpis: dict[str, Kpi] = {}
        for kpi in kpis:
            if kpi.id in self._kpis:
                raise CatalogError(f"KPI {kpi.id!r} is defined twice")
            # A KPI may share its measure's name only when it is that measure.
            if (kpi.id in MEASURES or kpi.id in PARAMETERS) and kpi.formula.strip() != kpi.id:
                raise CatalogError(
                    f"KPI {kpi.id!r} has the name of a measure but a different formula"
                )
            self._kpis[kpi.id] = kpi
        self._resolved: dict[str, Formula] = {}
        for kpi_id in self._kpis:
            self.resolve(kpi_id)

    def __iter__(self) -> Iterator[Kpi]:
        return iter(self._kpis.values())

    def __len__(self) -> int:
        return len(self._kpis)

    def __contains__(self, kpi_id: object) -> bool:
        return kpi_id in self._kpis

    def get(self, kpi_id: str) -> Kpi:
        try:
            return self._kpis[kpi_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(kpi_id, list(self._kpis), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise CatalogError(
                f"unknown KPI {kpi_id!r}.{hint} `kaname catalog` lists them."
            ) from None

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._kpis)

    def resolve(self, kpi_id: str, _stack: tuple[str, ...] = ()) -> Formula:
        """The KPI's formula with every KPI reference replaced by that KPI's own formula."""
        if kpi_id in self._resolved:
            return self._resolved[kpi_id]
        if kpi_id in _stack:
            raise CatalogError(f"KPI formulas refer to each other in a loop: {' → '.join(_stack)}")
        kpi = self.get(kpi_id)
        known = set(MEASURES) | set(PARAMETERS) | set(self._kpis)
        try:
            formula = parse(kpi.formula, known)
        except FormulaError as exc:
            raise CatalogError(f"KPI {kpi_id!r}: {exc}") from exc
        tree = self._expand(formula.tree, (*_stack, kpi_id))
        resolved = Formula(kpi.formula, tree)
        self._resolved[kpi_id] = resolved
        return resolved

    def _expand(self, node: Node, stack: tuple[str, ...]) -> Node:
        if isinstance(node, Ref):
            if node.name in MEASURES or node.name in PARAMETERS:
                return node
            return self.resolve(node.name, stack).tree
        if isinstance(node, Neg):
            return Neg(self._expand(node.operand, stack))
        if isinstance(node, BinOp):
            return BinOp(node.op, self._expand(node.left, stack), self._expand(node.right, stack))
        assert isinstance(node, Num)
        return node

    def measures_of(self, kpi_id: str) -> tuple[str, ...]:
        return tuple(n for n in self.resolve(kpi_id).names if n in MEASURES)

    def dimensions_of(self, kpi_id: str) -> tuple[str, ...]:
        """Dimensions every measure of the KPI can be split by."""
        allowed: set[str] | None = None
        for name in self.measures_of(kpi_id):
            dims = set(MEASURES[name].dims)
            allowed = dims if allowed is None else allowed & dims
        allowed = allowed or set()
        restrict = self.get(kpi_id).dimensions
        if restrict is not None:
            allowed &= set(restrict)
        order = ("channel", "campaign", "segment", "owner", "stage")
        return tuple(d for d in order if d in allowed)

    def has_cohort_view(self, kpi_id: str) -> bool:
        names = self.measures_of(kpi_id)
        return bool(names) and all(MEASURES[n].cohort for n in names)

    def with_custom(self, kpis: Iterable[Kpi]) -> Catalog:
        return Catalog([*self._kpis.values(), *kpis])


def apply_benchmarks(catalog: Catalog, overrides: dict[str, Benchmark]) -> Catalog:
    """The catalog with benchmark ranges replaced where `overrides` names the KPI."""
    if not overrides:
        return catalog
    for kpi_id in overrides:
        catalog.get(kpi_id)  # unknown ids are an error with a suggestion
    return Catalog(
        k.model_copy(update={"benchmark": overrides[k.id]}) if k.id in overrides else k
        for k in catalog
    )


def builtin_kpis() -> list[Kpi]:
    text = resources.files("kaname.metrics").joinpath("catalog.yaml").read_text("utf-8")
    return [Kpi.model_validate(item) for item in yaml.safe_load(text)]


def builtin_catalog() -> Catalog:
    return Catalog(builtin_kpis())


def custom_kpi_from_json(text: str) -> Kpi:
    return Kpi.model_validate({**json.loads(text), "custom": True})
