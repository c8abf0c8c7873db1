"""The directly rendered SQL of event-measure groups (metrics/group_sql.py) gives the numbers the
Ibis-compiled query gives, for every event measure, grain, split, filter, cut-off and view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from fixture_company import APRIL
from kaname.metrics import engine as engine_module
from kaname.metrics.calendar import Grain
from kaname.metrics.catalog import builtin_catalog
from kaname.metrics.engine import MetricEngine, MetricQuery
from kaname.metrics.measures import EVENT_MEASURES
from kaname.store.warehouse import Warehouse

CATALOG = builtin_catalog()
EVENT_NAMES = [m.id for m in EVENT_MEASURES]
FUNNEL = ("leads", "mqls", "sqls", "opportunities", "deals", "revenue", "spend", "sessions")
YEAR = (dt.date(2024, 4, 1), dt.date(2026, 3, 31))


@pytest.fixture(autouse=True)
def _fresh_sql_cache() -> Iterator[None]:
    engine_module._SQL_CACHE.clear()
    yield
    engine_module._SQL_CACHE.clear()


def _both(
    wh: Warehouse, names: list[str], query: MetricQuery, monkeypatch: pytest.MonkeyPatch
) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = MetricEngine(wh.tables(), CATALOG)
    rendered = engine.measures(query, names)
    engine_module._SQL_CACHE.clear()
    with monkeypatch.context() as m:
        m.setattr(MetricEngine, "_render", lambda *a, **k: None)
        compiled = engine.measures(query, names)
    return rendered, compiled


QUERIES = [
    MetricQuery((), Grain.MONTH, APRIL, APRIL),
    MetricQuery((), Grain.MONTH, *YEAR, ("channel",)),
    MetricQuery((), Grain.QUARTER, *YEAR, ("campaign",)),
    MetricQuery((), Grain.HALF, *YEAR),
    MetricQuery((), Grain.YEAR, *YEAR, ("owner",)),
    MetricQuery((), Grain.WEEK, APRIL, dt.date(2025, 5, 31), ("channel",)),
    MetricQuery((), Grain.DAY, APRIL, dt.date(2025, 4, 30)),
    MetricQuery((), Grain.RANGE, APRIL, dt.date(2025, 6, 30), ("channel",)),
    MetricQuery((), Grain.MONTH, *YEAR, as_of=dt.date(2025, 4, 15)),
    MetricQuery((), Grain.MONTH, *YEAR, ("channel",), filters=(("channel", "paid_ads"),)),
    MetricQuery((), Grain.MONTH, *YEAR, filters=(("campaign", "(none)"),)),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.grain}-{q.dimensions}")
def test_rendered_sql_equals_ibis_for_every_event_measure(
    duckdb_company: Warehouse, query: MetricQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    dims = set(query.dimensions) | {d for d, _ in query.filters}
    names = [m.id for m in EVENT_MEASURES if dims <= set(m.dims)]
    rendered, compiled = _both(duckdb_company, names, query, monkeypatch)
    pd.testing.assert_frame_equal(rendered, compiled, check_exact=False, rtol=1e-12)


def test_rendered_sql_covers_the_cohort_view_of_leads(
    duckdb_company: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = MetricQuery((), Grain.MONTH, *YEAR, ("channel",), view="cohort")
    rendered, compiled = _both(duckdb_company, ["leads", "mqls", "sqls"], query, monkeypatch)
    pd.testing.assert_frame_equal(rendered, compiled, check_exact=False, rtol=1e-12)


def test_the_funnel_request_is_rendered_and_joins_fall_back_to_ibis(
    duckdb_company: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    rendered: list[str | None] = []
    original = MetricEngine._render

    def spy(self: MetricEngine, *args: object) -> str | None:
        sql = original(self, *args)  # type: ignore[arg-type]
        rendered.append(sql)
        return sql

    monkeypatch.setattr(MetricEngine, "_render", spy)
    engine.measures(MetricQuery((), Grain.MONTH, *YEAR, ("channel",)), list(FUNNEL))
    assert rendered[-1] is not None and " UNION ALL " in rendered[-1]
    # The cohort view of opportunities joins leads: Ibis compiles it, with the same numbers.
    cohort = MetricQuery((), Grain.MONTH, *YEAR, view="cohort")
    engine.measures(cohort, ["opportunities", "deals"])
    assert rendered[-1] is None


@pytest.mark.postgres
def test_rendered_sql_equals_ibis_on_postgres(
    pg_company: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    for query in QUERIES[:3] + QUERIES[-3:]:
        dims = set(query.dimensions) | {d for d, _ in query.filters}
        names = [m.id for m in EVENT_MEASURES if dims <= set(m.dims)]
        rendered, compiled = _both(pg_company, names, query, monkeypatch)
        pd.testing.assert_frame_equal(rendered, compiled, check_exact=False, rtol=1e-12)


def test_a_value_that_reads_another_table_is_left_to_ibis(duckdb_company: Warehouse) -> None:
    from kaname.metrics.group_sql import GroupSql, Unsupported

    tables = duckdb_company.tables()
    leads, opps = tables["leads"], tables["opportunities"]
    render = GroupSql(leads._find_backend())
    keys = [("channel", leads.channel)]
    assert "GROUP BY 1" in render.group(leads, keys, [("n", leads.count())], [])
    with pytest.raises(Unsupported):
        render.group(leads, keys, [("n", leads.count())], [leads.lead_id.isin(opps.lead_id)])
