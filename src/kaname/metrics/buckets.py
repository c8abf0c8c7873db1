"""Period bucketing as portable Ibis expressions (DuckDB, PostgreSQL, PySpark).

Mirrors `calendar.bucket_start`: fiscal quarters, halves and years are computed with integer month
arithmetic and `ibis.date(y, m, 1)` so that every backend compiles them the same way.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from kaname.metrics.calendar import MONTHS_IN_GRAIN, Grain


def bucket_expr(
    ts: ir.TimestampValue | ir.DateValue, grain: Grain, fy_start_month: int
) -> ir.DateValue:
    """First day of the period holding `ts`, as a date expression."""
    if grain is Grain.DAY:
        return ts.cast("date")
    if grain is Grain.WEEK:
        return ts.truncate("W").cast("date")
    if grain is Grain.MONTH:
        return ts.truncate("M").cast("date")
    months = MONTHS_IN_GRAIN[grain]
    index = ts.year() * 12 + ts.month() - 1
    start = index - (index - (fy_start_month - 1)) % months
    return ibis.date((start // 12).cast("int32"), (start % 12 + 1).cast("int32"), ibis.literal(1))


def days_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """Elapsed days between two timestamps, as a float (portable across backends)."""
    return (later.epoch_seconds() - earlier.epoch_seconds()).cast("float64") / 86400.0
