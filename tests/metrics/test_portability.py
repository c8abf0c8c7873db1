"""The same metric values on DuckDB, PostgreSQL and (core funnel) PySpark."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixture_company import APRIL, EXPECTED_APRIL_2025, load
from kaname.metrics.calendar import Grain
from kaname.metrics.catalog import builtin_catalog
from kaname.metrics.engine import MetricEngine, MetricQuery
from kaname.store.warehouse import Warehouse

CATALOG = builtin_catalog()
CORE_FUNNEL = (
    "leads",
    "mqls",
    "mql_rate",
    "sqls",
    "sql_rate",
    "opportunities",
    "opportunity_rate",
    "deals",
    "win_rate",
    "revenue",
    "cpa",
    "cac",
)


def _values(wh: Warehouse, kpis: tuple[str, ...], dims: tuple[str, ...] = ()) -> dict:
    engine = MetricEngine(wh.tables(), CATALOG)
    frame = engine.compute(MetricQuery(kpis, Grain.MONTH, APRIL, APRIL, dims))
    keys = ["kpi", *dims]
    return {tuple(r[k] for k in keys): r["value"] for r in frame.to_dict("records")}


@pytest.mark.postgres
def test_postgres_matches_every_hand_computed_value(pg_company: Warehouse) -> None:
    got = _values(pg_company, CATALOG.ids)
    for kpi, expected in EXPECTED_APRIL_2025.items():
        assert got[(kpi,)] == pytest.approx(expected, rel=1e-9), kpi


@pytest.mark.postgres
@pytest.mark.parametrize("grain", [Grain.WEEK, Grain.QUARTER, Grain.HALF, Grain.YEAR])
def test_postgres_matches_duckdb_by_channel(
    pg_company: Warehouse, duckdb_company: Warehouse, grain: Grain
) -> None:
    kpis = tuple(k for k in CATALOG.ids if "channel" in CATALOG.dimensions_of(k))
    for view in ("period", "cohort"):
        chosen = kpis if view == "period" else tuple(k for k in kpis if CATALOG.has_cohort_view(k))
        q = MetricQuery(chosen, grain, APRIL, APRIL, ("channel",), view)  # type: ignore[arg-type]
        a = MetricEngine(pg_company.tables(), CATALOG).compute(q)
        b = MetricEngine(duckdb_company.tables(), CATALOG).compute(q)
        key = ["kpi", "period_start", "channel"]
        a, b = a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
        assert a[key].equals(b[key])
        assert a["value"].to_numpy() == pytest.approx(b["value"].to_numpy(), nan_ok=True, rel=1e-9)


@pytest.fixture(scope="module")
def spark_company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    import ibis
    from pyspark.sql import SparkSession

    home = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home}")
        .appName("kaname-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    wh = load(Warehouse(ibis.pyspark.connect(session), "pyspark://local"))
    yield wh
    session.stop()


@pytest.mark.spark
@pytest.mark.slow
def test_pyspark_core_funnel(spark_company: Warehouse) -> None:
    got = _values(spark_company, CORE_FUNNEL)
    for kpi in CORE_FUNNEL:
        assert got[(kpi,)] == pytest.approx(EXPECTED_APRIL_2025[kpi], rel=1e-9), kpi


@pytest.mark.spark
@pytest.mark.slow
def test_pyspark_core_funnel_by_channel_matches_duckdb(
    spark_company: Warehouse, duckdb_company: Warehouse
) -> None:
    assert _values(spark_company, CORE_FUNNEL, ("channel",)) == pytest.approx(
        _values(duckdb_company, CORE_FUNNEL, ("channel",)), nan_ok=True
    )
