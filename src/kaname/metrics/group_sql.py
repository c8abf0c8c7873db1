"""SQL for a request's event-measure groups, rendered without Ibis's relational compiler.

A funnel request is a handful of `SELECT bucket, dims, COUNT/SUM … FILTER (WHERE …) FROM table
WHERE time bounds GROUP BY …` statements glued by UNION ALL. Compiling that as one Ibis
expression costs 0.1–0.2 s (most of it in Ibis's relational rewrites and in rendering a deeply
nested statement), more than the query itself on a million leads. Here the value expressions
(each measure's count or sum with its condition, the period bucket, the time bounds and the
filters) are still Ibis expressions, translated by the backend's own Ibis compiler, so they mean
exactly what they mean everywhere else; only the flat SELECT around them is written here, as
text around the fragments sqlglot prints. Shapes it does not cover (joins for user dimensions or
the cohort view, snapshot measures, tables that are not plain database tables, values that read
another table) return None and go through Ibis as before.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce
from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.common.graph import Graph
from ibis.common.patterns import AnyOf, InstanceOf, Object, Replace

ALIAS = "t0"
"""The one table each group statement reads."""


class Unsupported(Exception):
    """The group needs more than one table: Ibis compiles it."""


class GroupSql:
    """Translates Ibis value expressions over one table with a backend's compiler, and renders
    the statements of measure groups around them."""

    def __init__(self, backend: Any) -> None:
        self.compiler = backend.compiler
        self.dialect = backend.dialect
        self.quoted = self.compiler.quoted
        self._rewrites = _rewrites(type(self.compiler))
        self._idents: dict[str, str] = {}
        double = self.compiler.type_mapper.from_ibis(dt.float64)
        self._double = self._sql(double)
        self._null = self._sql(sge.Cast(this=sge.Null(), to=double))

    @staticmethod
    def supports(table: ir.Table) -> bool:
        return isinstance(table.op(), ops.DatabaseTable)

    def _translate(self, container: ops.Aggregate) -> dict[ops.Node, Any]:
        """Every value under `container` (a relation over one database table) as sqlglot,
        its columns qualified by ALIAS: the compiler's own rewrites and visitors, without the
        relational passes that turn a whole query into SELECTs."""
        compiler = self.compiler
        op: ops.Node = container
        rewrites, targets = self._rewrites
        if rewrites and (targets is None or any(isinstance(n, targets) for n in Graph(op))):
            for rewrite in rewrites:
                op = op.replace(rewrite)
        placeholder = sg.table(ALIAS, quoted=self.quoted)
        own = (op, container.parent)

        def visit(node: ops.Node, _: Any, **kwargs: Any) -> Any:
            if isinstance(node, ops.Relation):
                if node not in own:  # a value reads another relation (a subquery)
                    raise Unsupported(type(node).__name__)
                return placeholder
            return compiler.visit_node(node, **kwargs)

        results = op.map(visit)
        results[container] = op  # the rewritten container, to read its values from
        return results

    def ident(self, name: str) -> str:
        sql = self._idents.get(name)
        if sql is None:
            sql = self._idents[name] = self._sql(sg.to_identifier(name, quoted=self.quoted))
        return sql

    def group(
        self,
        table: ir.Table,
        keys: Sequence[tuple[str, ir.Value]],
        metrics: Sequence[tuple[str, ir.Value]],
        where: Sequence[ir.BooleanValue],
        columns: Sequence[str] | None = None,
    ) -> str:
        """`SELECT keys, metrics FROM table WHERE … GROUP BY keys`. With `columns` (the names
        of every group's metrics), each metric is cast to double and the ones this group does
        not compute are NULL, so the groups can be stacked with UNION ALL."""
        node = table.op()
        assert isinstance(node, ops.DatabaseTable)
        # One container for every value, so the rewrites and the visit walk the shared nodes
        # (the table, common conditions) once; the conditions ride along as extra groups.
        conditions = {f"_where{i}": w.op() for i, w in enumerate(where)}
        aggregate = ops.Aggregate(
            parent=node,
            groups={**{k: v.op() for k, v in keys}, **conditions},
            metrics={k: v.op() for k, v in metrics},
        )
        done = self._translate(aggregate)
        rewritten = done[aggregate]
        groups = dict(rewritten.groups)
        predicates = [self._sql(done[groups.pop(k)]) for k in conditions]
        items = [f"{self._sql(done[v])} AS {self.ident(k)}" for k, v in groups.items()]
        own = {k: self._sql(done[v]) for k, v in rewritten.metrics.items()}
        for name in columns if columns is not None else own:
            if columns is None:
                sql = own[name]
            elif name in own:
                sql = f"CAST({own[name]} AS {self._double})"
            else:
                sql = self._null
            items.append(f"{sql} AS {self.ident(name)}")
        source = self._sql(
            sg.table(
                node.name,
                db=node.namespace.database,
                catalog=node.namespace.catalog,
                quoted=self.quoted,
            )
        )
        statement = f"SELECT {', '.join(items)} FROM {source} AS {self.ident(ALIAS)}"
        if predicates:
            statement += " WHERE " + " AND ".join(f"({p})" for p in predicates)
        return f"{statement} GROUP BY {_ordinals(len(keys))}"

    def union(self, groups: Sequence[str], keys: Sequence[str], names: Sequence[str]) -> str:
        """One statement: the groups stacked, then rows sharing keys summed (each group fills
        its own columns)."""
        if len(groups) == 1:
            return groups[0]
        items = [self.ident(k) for k in keys]
        items += [f"SUM({self.ident(n)}) AS {self.ident(n)}" for n in names]
        stacked = " UNION ALL ".join(f"({g})" for g in groups)
        return (
            f"SELECT {', '.join(items)} FROM ({stacked}) AS {self.ident('u')} "
            f"GROUP BY {_ordinals(len(keys))}"
        )

    def _sql(self, expression: sge.Expression) -> str:
        return expression.sql(
            dialect=self.dialect, copy=False, unsupported_level=sg.ErrorLevel.RAISE
        )


def _ordinals(count: int) -> str:
    return ", ".join(str(i + 1) for i in range(count))


_REWRITES: dict[Any, tuple[tuple[Any, ...], tuple[type, ...] | None]] = {}


def _rewrites(compiler: Any) -> tuple[tuple[Any, ...], tuple[type, ...] | None]:
    """The compiler's lowering and rewrite patterns, each list combined once (as its
    `translate` applies them), and the operation types they can match (None when a pattern
    does not say): a graph with none of them is left as it is, without walking it twice."""
    if compiler not in _REWRITES:
        found = []
        targets: list[type] | None = list(compiler.lowered_ops)
        if compiler.lowered_ops:
            found.append(reduce(operator.or_, compiler.lowered_ops.values()))
        if compiler.rewrites:
            found.append(reduce(operator.or_, compiler.rewrites))
            for rewrite in compiler.rewrites:
                matched = _matched_types(rewrite)
                targets = None if matched is None or targets is None else targets + matched
        _REWRITES[compiler] = (tuple(found), None if targets is None else tuple(targets))
    return _REWRITES[compiler]


def _matched_types(pattern: Any) -> list[type] | None:
    """The node types a rewrite pattern can match, or None when that cannot be told."""
    if isinstance(pattern, Replace):
        return _matched_types(pattern.matcher)
    if isinstance(pattern, InstanceOf) and isinstance(pattern.type, type):
        return [pattern.type]
    if isinstance(pattern, Object):
        return _matched_types(pattern.type)
    if isinstance(pattern, AnyOf):
        found: list[type] = []
        for inner in pattern.patterns:
            matched = _matched_types(inner)
            if matched is None:
                return None
            found += matched
        return found
    return None
