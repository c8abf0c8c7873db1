"""Drill-down: the records behind a number on the dashboard.

A KPI card, a channel cell or a funnel stage counts or sums rows of a canonical table. The list
is built from the metric engine's own row filter (`MetricEngine.rows`: the measure's table, time
column, condition, the period, view, cut-off and dimension filters), so the rows listed are
exactly the rows the number counts: their count is a count measure's value, the sum of their
`value` a sum measure's. A ratio links to the lists of its numerator and denominator.

A state at the period's end (a snapshot measure) lists what makes it up at that end: the open
new-business opportunities for the pipeline, one row per customer account (its MRR at the
start and at the end of the period) for customers, MRR, churn and retention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import ibis
import ibis.expr.types as ir

from kaname.dashboard.core import clean
from kaname.dashboard.filters import Filters
from kaname.metrics.engine import MetricQuery
from kaname.metrics.formula import BinOp, Neg, Node, Ref
from kaname.metrics.measures import MEASURES, EventMeasure, Measure, SnapshotMeasure
from kaname.urlguard import safe_link

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore
    from kaname.metrics.catalog import Catalog

COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": (
        "lead_id",
        "created_at",
        "mql_at",
        "sql_at",
        "disqualified_at",
        "status",
        "account",
        "channel",
        "campaign",
        "segment",
        "owner",
        "score",
        "email",
    ),
    "opportunities": (
        "opportunity_id",
        "name",
        "account",
        "amount",
        "type",
        "stage",
        "is_won",
        "created_at",
        "closed_at",
        "channel",
        "campaign",
        "segment",
        "owner",
        "sourced_by",
    ),
    "spend": ("date", "channel", "campaign", "cost", "impressions", "clicks"),
    "touchpoints": (
        "occurred_at",
        "type",
        "lead_id",
        "account",
        "channel",
        "campaign",
        "owner",
        "duration_seconds",
        "outcome",
    ),
    "web_traffic": ("date", "channel", "sessions", "users", "new_users", "pageviews"),
    "customers": ("account", "segment", "mrr_start", "mrr_end"),
}
"""The fields a list shows per table, in order; `account` and `campaign` are the names of the
row's company and campaign (the id when it has no name). `customers` is one row per customer
account of the subscriptions, with its MRR at the period's start and end."""

KEYS = {
    "leads": ("lead_id",),
    "opportunities": ("opportunity_id",),
    "spend": ("date", "channel", "campaign_id"),
    "touchpoints": ("touchpoint_id",),
    "web_traffic": ("date", "channel"),
    "customers": ("account_id",),
}
"""Columns that make the order of a sorted list total, so pages never overlap."""

KINDS = {
    "created_at": "datetime",
    "mql_at": "datetime",
    "sql_at": "datetime",
    "disqualified_at": "datetime",
    "closed_at": "datetime",
    "occurred_at": "datetime",
    "date": "date",
    "amount": "money",
    "cost": "money",
    "mrr_start": "money",
    "mrr_end": "money",
    "score": "int",
    "impressions": "int",
    "clicks": "int",
    "duration_seconds": "int",
    "sessions": "int",
    "users": "int",
    "new_users": "int",
    "pageviews": "int",
    "is_won": "bool",
}
"""Kinds of the fields that are not text."""

LINKED = {"lead_id": "leads", "opportunity_id": "opportunities"}
"""Fields that hold a record's id in the source CRM: linked through `record_links`."""

PAGE_SIZES = (25, 50, 100, 200)
EXPORT_LIMIT = 100_000
"""Most rows a download holds (a whole year of touchpoints at the largest demo scale)."""


class RecordsError(ValueError):
    """What was asked for has no records to list; `reason` says why (for the message)."""

    def __init__(self, reason: str, name: str = "") -> None:
        super().__init__(f"{reason}: {name}" if name else reason)
        self.reason = reason
        self.name = name


def list_measures(catalog: Catalog, kpi_id: str) -> list[tuple[str, str]]:
    """The measures a KPI's number rests on, each with its role in the formula (numerator,
    denominator or term), when every one of them is a set of records; [] otherwise."""
    if kpi_id not in catalog:
        return []
    names = catalog.measures_of(kpi_id)
    if not names or not all(_listable(n) for n in names):
        return []
    tree = catalog.resolve(kpi_id).tree
    if any(isinstance(MEASURES[n], SnapshotMeasure) for n in names) and not _plain_ratio(tree):
        # LTV, LTV:CAC, CAC payback: states inside products of ratios, where no list of
        # records reads as "the numerator" or "the denominator"; no link beats a wrong one
        return []
    roles: dict[str, str] = {}
    if isinstance(tree, BinOp) and tree.op == "/":
        for name in _refs(tree.left):
            roles.setdefault(name, "numerator")
        for name in _refs(tree.right):
            roles.setdefault(name, "denominator")
    return [(n, roles.get(n, "term")) for n in names]


def drillable(catalog: Catalog, kpi_id: str) -> bool:
    """Whether a KPI's number links to the records behind it."""
    return bool(list_measures(catalog, kpi_id))


def _listable(measure: str) -> bool:
    m = MEASURES.get(measure)
    return isinstance(m, SnapshotMeasure) or (isinstance(m, EventMeasure) and m.table in COLUMNS)


def list_table(m: Measure) -> str:
    """The list a measure's records are shown as (a COLUMNS key)."""
    if isinstance(m, EventMeasure):
        return m.table
    return "opportunities" if m.family == "pipeline" else "customers"


def aggregation(m: Measure) -> str:
    """Whether the number counts the records or sums their value."""
    if isinstance(m, EventMeasure):
        return m.agg
    return "sum" if m.unit == "currency" else "count"


def list_order(m: Measure) -> str:
    """The field a list is sorted by unless the reader chooses another."""
    if isinstance(m, EventMeasure):
        return m.time
    return "created_at" if m.family == "pipeline" else "mrr_end"


def _plain_ratio(node: Node) -> bool:
    """A measure, a sum or difference of measures, or a ratio of two such."""
    if isinstance(node, BinOp) and node.op == "/":
        return _plain_sum(node.left) and _plain_sum(node.right)
    return _plain_sum(node)


def _plain_sum(node: Node) -> bool:
    if isinstance(node, Ref):
        return True
    if isinstance(node, Neg):
        return _plain_sum(node.operand)
    return (
        isinstance(node, BinOp)
        and node.op in "+-"
        and all(_plain_sum(n) for n in (node.left, node.right))
    )


def _refs(node: Node) -> list[str]:
    if isinstance(node, Ref):
        return [node.name] if node.name in MEASURES else []
    if isinstance(node, Neg):
        return _refs(node.operand)
    if isinstance(node, BinOp):
        return _refs(node.left) + _refs(node.right)
    return []


@dataclass(frozen=True)
class Ask:
    """Which records: a KPI (its first listable measure unless `measure` names another) or a
    measure alone; the page of the list and its order."""

    kpi: str = ""
    measure: str = ""
    sort: str = ""
    order: str = "desc"
    page: int = 1
    size: int = 50


def resolve(catalog: Catalog, ask: Ask) -> tuple[list[tuple[str, str]], str]:
    """The measures offered (with roles) and the one listed; RecordsError when none fits."""
    if ask.kpi:
        if ask.kpi not in catalog:
            raise RecordsError("unknown_kpi", ask.kpi)
        offered = list_measures(catalog, ask.kpi)
        if not offered:
            raise RecordsError("not_records", ask.kpi)
        names = [n for n, _ in offered]
        if ask.measure and ask.measure not in names:
            raise RecordsError("unknown_measure", ask.measure)
        return offered, ask.measure or names[0]
    if not ask.measure or not _listable(ask.measure):
        raise RecordsError("unknown_measure", ask.measure)
    return [(ask.measure, "term")], ask.measure


def query_of(dash: DashboardCore, ask: Ask, f: Filters) -> tuple[MetricQuery, Any]:
    """The engine query of the number the records are behind: the page's period, view and
    filters, cut at today, exactly as the KPI report asks it."""
    period = dash.period(f)
    view = f.view
    catalog = dash.ws.catalog
    if view == "cohort":
        cohort = catalog.has_cohort_view(ask.kpi) if ask.kpi else MEASURES[ask.measure].cohort
        view = "cohort" if cohort else "period"
    query = MetricQuery(
        (ask.kpi,) if ask.kpi else (),
        period.grain,
        period.start,
        period.last_day,
        view=view,
        as_of=dash.ws.today(),
        filters=f.pairs(),
    )
    return query, period


def check_filters(dash: DashboardCore, measures: list[str], f: Filters) -> str | None:
    """The first filter dimension a measure cannot be filtered by (None when all can)."""
    engine = dash.ws.engine()
    for name in measures:
        m = MEASURES[name]
        # a state is filtered by its own dimensions only (the engine's snapshot queries)
        user = set(engine.user_dimensions.get(m.table, ())) if isinstance(m, EventMeasure) else ()
        for dim, _ in f.pairs():
            if dim not in m.dims and dim not in user:
                return dim
    return None


def rows_of(dash: DashboardCore, measure: str, query: MetricQuery) -> ir.Table:
    """The records of `measure` for `query`, with the names of their company and campaign."""
    engine = dash.ws.engine()
    table = list_table(MEASURES[measure])
    t = engine.rows(measure, query)
    tables = dash.ws.warehouse.tables()
    wanted = COLUMNS[table]
    keep = [c for c in (*wanted, *KEYS[table], "account_id", "campaign_id") if c in t.columns]
    t = t.select(*dict.fromkeys(keep), "_value")
    if "segment" in wanted and "segment" not in t.columns:  # customers: the account's segment
        a = tables["accounts"]
        segments = a.group_by(_sid=a.account_id).aggregate(segment=a.segment.max())
        t = t.left_join(segments, t.account_id == segments._sid).drop("_sid")
    if "account" in wanted:
        a = tables["accounts"]
        names = a.group_by(_aid=a.account_id).aggregate(_account=a.name.max())
        t = t.left_join(names, t.account_id == names._aid).drop("_aid")
        t = t.mutate(account=t._account.fill_null(t.account_id)).drop("_account")
    if "campaign" in wanted:
        c = tables["campaigns"]
        names = c.group_by(_cid=c.campaign_id).aggregate(_campaign=c.name.max())
        t = t.left_join(names, t.campaign_id == names._cid).drop("_cid")
        t = t.mutate(campaign=t._campaign.fill_null(t.campaign_id)).drop("_campaign")
    return t


def records_page(dash: DashboardCore, ask: Ask, f: Filters, language: str) -> dict[str, Any]:
    """One page of the records behind a number, with what they add up to and the number itself.

    `measures` lists every measure of the KPI (numerator and denominator of a ratio) with the
    engine's value and the count and total of its records; `rows` are the page's records."""
    catalog = dash.ws.catalog
    offered, measure = resolve(catalog, ask)
    query, period = query_of(dash, ask, f)
    blocked = check_filters(dash, [n for n, _ in offered], f)
    if blocked:
        raise RecordsError("filter", blocked)
    engine = dash.ws.engine()
    m = MEASURES[measure]
    table = list_table(m)
    names = [n for n, _ in offered]
    values = engine.measures(query, names)
    summary = []
    for name, role in offered:
        mm = MEASURES[name]
        t = engine.rows(name, query)
        agg = t.aggregate(n=t.count(), total=t._value.sum()).execute().iloc[0]
        summary.append(
            clean(
                {
                    "measure": name,
                    "role": role,
                    "table": list_table(mm),
                    "agg": aggregation(mm),
                    "unit": mm.unit,
                    "value": float(values[name].sum()) if len(values) else 0.0,
                    "count": int(agg["n"]),
                    "total": float(agg["total"]) if agg["total"] == agg["total"] else 0.0,
                }
            )
        )
    current = next(s for s in summary if s["measure"] == measure)
    columns = list(COLUMNS[table])
    first = list_order(m)
    sort = ask.sort if ask.sort in (*columns, "value") else (first if first in columns else "")
    order = "asc" if ask.order == "asc" else "desc"
    size = ask.size if ask.size in PAGE_SIZES else 50
    pages = max(1, math.ceil(current["count"] / size))
    page = min(max(1, ask.page), pages)
    t = _sorted(rows_of(dash, measure, query), m, sort, order)
    frame = t.limit(size, offset=(page - 1) * size).execute()
    kpi = None
    if ask.kpi:
        k = catalog.get(ask.kpi)
        report = dash.report([ask.kpi], period, f, language, view=query.view)
        actual = float(report["actual"].iloc[0]) if len(report) else math.nan
        kpi = clean({"kpi": k.id, "name": k.name(language), "unit": k.unit, "actual": actual})
    return {
        "kpi": kpi,
        "measure": measure,
        "table": table,
        "agg": aggregation(m),
        "unit": m.unit,
        # a state is listed as it stood on the period's last day (today while it runs)
        "state_on": (
            min(period.last_day, dash.ws.today()).isoformat()
            if isinstance(m, SnapshotMeasure)
            else None
        ),
        "period": period.label,
        "view": query.view,
        "filters": f.as_dict(),
        "measures": summary,
        "count": current["count"],
        "total": current["total"],
        "columns": [{"key": c, "kind": KINDS.get(c, "text")} for c in columns],
        "rows": _rows(dash, frame, columns, m),
        "sort": sort,
        "order": order,
        "page": page,
        "pages": pages,
        "size": size,
    }


def all_rows(dash: DashboardCore, ask: Ask, f: Filters) -> dict[str, Any]:
    """Every record of the list in its order (up to EXPORT_LIMIT), for a download."""
    catalog = dash.ws.catalog
    offered, measure = resolve(catalog, ask)
    query, _ = query_of(dash, ask, f)
    blocked = check_filters(dash, [n for n, _ in offered], f)
    if blocked:
        raise RecordsError("filter", blocked)
    m = MEASURES[measure]
    table = list_table(m)
    columns = list(COLUMNS[table])
    sort = ask.sort if ask.sort in (*columns, "value") else ""
    t = _sorted(rows_of(dash, measure, query), m, sort, "asc" if ask.order == "asc" else "desc")
    frame = t.limit(EXPORT_LIMIT).execute()
    return {
        "measure": measure,
        "table": table,
        "agg": aggregation(m),
        "unit": m.unit,
        "columns": [{"key": c, "kind": KINDS.get(c, "text")} for c in columns],
        "rows": _rows(dash, frame, columns, m),
    }


def _sorted(t: ir.Table, m: Measure, sort: str, order: str) -> ir.Table:
    """`t` ordered by `sort` (the measure's time column by default), newest or largest first
    unless `order` is asc, then by the table's key so that pages never overlap."""
    column = "_value" if sort == "value" else (sort or list_order(m))
    key = t[column]
    first = key.asc(nulls_first=False) if order == "asc" else key.desc(nulls_first=False)
    return t.order_by([first, *(ibis.asc(k) for k in KEYS[list_table(m)] if k != column)])


def _rows(dash: DashboardCore, frame: Any, columns: list[str], m: Measure) -> list[Any]:
    links = dash.ws.config.record_links
    out = []
    for rec in frame.to_dict(orient="records"):
        cells = {c: clean(_day(c, _none(rec.get(c)))) for c in columns}
        row: dict[str, Any] = {"cells": cells, "value": clean(_none(rec.get("_value")))}
        urls = {}
        for column, table in LINKED.items():
            template = links.get(table)  # type: ignore[call-overload]
            if column in cells and cells[column] and template:
                url = safe_link(template.replace("{id}", quote(str(cells[column]), safe="")))
                if url:
                    urls[column] = url
        row["links"] = urls
        out.append(row)
    return out


def _day(column: str, value: Any) -> Any:
    """A date field as a date (drivers hand some back as midnight timestamps)."""
    if KINDS.get(column) == "date" and hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


def _none(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, None) as None."""
    try:
        if value is None or value != value:
            return None
    except (TypeError, ValueError):
        return value
    if type(value).__name__ == "NaTType":
        return None
    return value


def records(dash: DashboardCore, ask: Ask, f: Filters, language: str) -> dict[str, Any]:
    """`records_page`, cached per question, filters and language like every page."""
    return dash.cached(("records", ask, f, language), lambda: records_page(dash, ask, f, language))
