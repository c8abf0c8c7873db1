"""Analytics inputs aggregated on the warehouse (attribution paths, cohort counts, RFM and BG/NBD
summaries) give the same numbers as the rows they replace, and the same aggregates on DuckDB,
PostgreSQL and PySpark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from journey_company import AS_OF, load_journeys
from kaname.analytics import attribution, clv, cohorts, rfm
from kaname.metrics import customers, journey_paths, journeys
from kaname.metrics.journey_paths import JourneyOptions
from kaname.store.warehouse import Warehouse

MODELS = (*(m for m in attribution.RULE_MODELS if m not in ("custom", "time_decay")), "markov")
CUSTOM = {"first": 0.2, "opportunity": 0.5, "close": 0.1}
OPTIONS = [
    JourneyOptions(level, conversion, start, end, AS_OF)
    for level in ("lead", "account")
    for conversion in ("deal", "opportunity")
    for start, end in ((None, None), (dt.date(2025, 7, 1), dt.date(2026, 1, 1)))
]


def _id(opts: JourneyOptions) -> str:
    return f"{opts.level}-{opts.conversion}-{opts.start or 'all'}"


@pytest.fixture(scope="module")
def duck() -> Iterator[Warehouse]:
    wh = load_journeys(Warehouse.connect("duckdb://"))
    yield wh
    wh.close()


def _per_journey(wh: Warehouse, opts: JourneyOptions) -> pd.DataFrame:
    return journeys.journeys(
        wh.tables(), opts.level, opts.conversion, opts.start, opts.end, as_of=opts.as_of
    )


def _same_credit(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = a.set_index("channel").sort_index(), b.set_index("channel").sort_index()
    assert list(a.index) == list(b.index)
    for column in ("conversions", "value", "share"):
        assert b[column].to_numpy() == pytest.approx(a[column].to_numpy(), rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("opts", OPTIONS, ids=_id)
def test_every_model_credits_the_same_from_aggregated_paths(
    duck: Warehouse, opts: JourneyOptions
) -> None:
    rows = _per_journey(duck, opts)
    assert rows["conversions"].sum() > 0  # the fixture has conversions in every case
    counts = journey_paths.path_counts(duck.tables(), opts, milestones=True)
    assert len(counts) <= len(rows)
    if opts.level == "lead":
        assert len(counts) < len(rows)  # journeys with the same path were merged
    assert journey_paths.totals(counts) == pytest.approx(
        {
            "journeys": len(rows),
            "conversions": rows["conversions"].sum(),
            "value": rows["value"].sum(),
        }
    )
    for model in MODELS:
        _same_credit(attribution.attribute(rows, model), attribution.attribute(counts, model))
    _same_credit(
        attribution.attribute(rows, "custom", weights=CUSTOM),
        attribution.attribute(counts, "custom", weights=CUSTOM),
    )
    _same_credit(attribution.attribute(rows, "shapley"), attribution.attribute(counts, "shapley"))
    paths_only = journey_paths.path_counts(duck.tables(), opts)
    assert len(set(map(tuple, paths_only["path"].tolist()))) == len(paths_only)
    for model in ("linear", "markov", "first_touch", "j_shaped"):
        _same_credit(attribution.attribute(rows, model), attribution.attribute(paths_only, model))


@pytest.mark.parametrize("half_life", [0.5, 7.0, 30.0])
@pytest.mark.parametrize("opts", OPTIONS[:4], ids=_id)
def test_time_decay_summed_in_sql_matches_per_touch_weights(
    duck: Warehouse, opts: JourneyOptions, half_life: float
) -> None:
    rows = _per_journey(duck, opts)
    expected = attribution.attribute(rows, "time_decay", half_life_days=half_life)
    sums = journey_paths.time_decay_credit(duck.tables(), opts, half_life)
    got = attribution.credit_frame(
        list(sums["channel"]), sums["conversions"].to_numpy(), sums["value"].to_numpy()
    )
    _same_credit(expected, got)


def test_ties_in_time_follow_the_touchpoint_id(duck: Warehouse) -> None:
    """Touches at the same second are ordered by id, in both builders, whatever the load order."""
    opts = OPTIONS[0]
    rows = _per_journey(duck, opts).set_index("journey_id")
    t = duck.tables()["touchpoints"].to_pandas()
    t = t[~t["type"].isin(journeys.PASSIVE_TOUCH_TYPES)]
    tied = t[t.duplicated(["lead_id", "occurred_at"], keep=False) & t["lead_id"].isin(rows.index)]
    assert len(tied)  # the fixture has ties
    lead = tied["lead_id"].iloc[0]
    mine = t[(t["lead_id"] == lead) & (t["occurred_at"] <= rows.loc[lead, "ended_at"])]
    mine = mine.sort_values(["occurred_at", "touchpoint_id"])
    assert rows.loc[lead, "path"] == list(mine["channel"].fillna("unknown"))


def test_paths_come_decoded_and_in_the_order_of_their_channel_names(duck: Warehouse) -> None:
    """The warehouse keys a path by integer codes; Kaname returns the channel names, the paths
    sorted channel by channel (a path before its extensions), as the models always read them."""
    opts = OPTIONS[0]
    counts = journey_paths.path_counts(duck.tables(), opts)
    paths = [tuple(p) for p in counts["path"].tolist()]
    assert paths == sorted(paths)
    expected = _per_journey(duck, opts)["path"].map(tuple).value_counts()
    assert dict(zip(paths, counts["journeys"], strict=True)) == expected.to_dict()
    channels = journey_paths.journey_channels(duck.tables(), opts)
    assert channels == sorted({c for p in paths for c in p})


def test_a_warehouse_without_touches_has_no_paths() -> None:
    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    try:
        opts = OPTIONS[0]
        assert journey_paths.journey_channels(wh.tables(), opts) == []
        for milestones in (False, True):
            assert journey_paths.path_counts(wh.tables(), opts, milestones).empty
    finally:
        wh.close()


# ---------------------------------------------------------------- cohorts, RFM, BG/NBD inputs
def _lead_cohorts_from_rows(wh: Warehouse, since: dt.date | None) -> pd.DataFrame:
    """Lead cohorts as the service built them from every lead's row."""
    leads = journeys.lead_milestones(wh.tables())
    limit = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    leads = leads[leads["created_at"] <= limit]
    if since is not None:
        leads = leads[leads["created_at"] >= pd.Timestamp(since)]
    for column in ("mql_at", "sql_at", "opportunity_at", "deal_at"):
        leads.loc[leads[column] > limit, column] = pd.NaT
    return cohorts.lead_cohorts(leads, pd.Timestamp(AS_OF), months=12)


def _lead_cohorts(wh: Warehouse, since: dt.date | None) -> pd.DataFrame:
    sizes, reached = customers.lead_cohort_counts(wh.tables(), AS_OF, since)
    return cohorts.lead_cohorts_from_counts(sizes, reached, pd.Timestamp(AS_OF), months=12)


def _rfm(wh: Warehouse, day: dt.date) -> pd.DataFrame:
    return rfm.score_customers(customers.rfm_customers(wh.tables(), day), day)


def _purchases(wh: Warehouse, day: dt.date) -> pd.DataFrame:
    return clv.summary_from_days(customers.purchase_days(wh.tables(), day), pd.Timestamp(day))


def _customer_cohorts(wh: Warehouse, day: dt.date, months: int) -> pd.DataFrame:
    sizes, active = customers.customer_cohort_counts(wh.tables(), day, months)
    return cohorts.customer_cohorts_from_counts(sizes, active, day, months=months)


def _lifetimes_from_rows(wh: Warehouse) -> pd.DataFrame:
    subs = journeys.subscriptions(wh.tables())
    return subs.groupby("account_id").agg(
        start=("start_date", "min"),
        end=("end_date", lambda s: s.max() if s.notna().all() else pd.NaT),
    )


DAYS = (AS_OF, dt.date(2025, 9, 30))


@pytest.mark.parametrize("since", [None, dt.date(2025, 6, 1)])
def test_lead_cohorts_from_warehouse_counts_equal_those_from_rows(
    duck: Warehouse, since: dt.date | None
) -> None:
    expected = _lead_cohorts_from_rows(duck, since)
    assert expected["reached"].sum() > 0
    pd.testing.assert_frame_equal(_lead_cohorts(duck, since), expected)


@pytest.mark.parametrize("day", DAYS)
def test_rfm_and_purchase_summary_equal_those_from_deal_rows(duck: Warehouse, day: dt.date) -> None:
    deals = journeys.won_deals(duck.tables())
    expected = rfm.rfm_table(deals, pd.Timestamp(day))
    assert len(expected) >= 5
    pd.testing.assert_frame_equal(_rfm(duck, day), expected, check_index_type=False)
    summary = clv.rfm_summary(deals, pd.Timestamp(day))
    assert (summary["frequency"] > 0).any()
    pd.testing.assert_frame_equal(_purchases(duck, day), summary, check_index_type=False)


@pytest.mark.parametrize(("day", "months"), [(AS_OF, 24), (dt.date(2025, 9, 30), 6)])
def test_customer_cohorts_and_lifetimes_equal_those_from_subscription_rows(
    duck: Warehouse, day: dt.date, months: int
) -> None:
    subs = journeys.subscriptions(duck.tables())
    expected = cohorts.customer_cohorts(subs, day, months=months)
    assert expected["retained"].sum() > 0
    assert (expected["revenue_retention"] > 1).any()  # upsell lines grow some cohorts
    pd.testing.assert_frame_equal(_customer_cohorts(duck, day, months), expected)
    pd.testing.assert_frame_equal(
        customers.customer_lifetimes(duck.tables()),
        _lifetimes_from_rows(duck),
        check_index_type=False,
        check_dtype=False,
    )


def _rows(frame: pd.DataFrame) -> list[tuple]:
    """Rows with each path as a tuple, in path order (backends may return groups in any order)."""
    paths = [tuple(p) for p in frame["path"].tolist()]
    others = frame.drop(columns="path").values.tolist()
    return sorted((p, *o) for p, o in zip(paths, others, strict=True))


def _compare_backends(other: Warehouse, duck: Warehouse) -> None:
    for since in (None, dt.date(2025, 6, 1)):
        pd.testing.assert_frame_equal(_lead_cohorts(other, since), _lead_cohorts(duck, since))
    for day, months in ((AS_OF, 24), (dt.date(2025, 9, 30), 6)):
        pd.testing.assert_frame_equal(
            _customer_cohorts(other, day, months), _customer_cohorts(duck, day, months)
        )
    pd.testing.assert_frame_equal(
        customers.customer_lifetimes(other.tables()),
        customers.customer_lifetimes(duck.tables()),
        check_index_type=False,
    )
    for day in DAYS:
        pd.testing.assert_frame_equal(_rfm(other, day), _rfm(duck, day), check_index_type=False)
        pd.testing.assert_frame_equal(
            _purchases(other, day), _purchases(duck, day), check_index_type=False
        )
    for opts in OPTIONS:
        a = journey_paths.path_counts(duck.tables(), opts, milestones=True)
        b = journey_paths.path_counts(other.tables(), opts, milestones=True)
        key = ["path", *journey_paths.MILESTONES, "journeys"]
        assert _rows(a[key]) == _rows(b[key]), _id(opts)
        for column in ("conversions", "nulls", "value"):
            assert np.allclose(a[column], b[column], rtol=1e-12), (_id(opts), column)
        for half_life in (7.0,):
            x = journey_paths.time_decay_credit(duck.tables(), opts, half_life)
            y = journey_paths.time_decay_credit(other.tables(), opts, half_life)
            assert list(x["channel"]) == list(y["channel"])
            assert np.allclose(x[["conversions", "value"]], y[["conversions", "value"]], rtol=1e-9)


@pytest.mark.postgres
def test_postgres_builds_the_same_paths(pg_schema: str, duck: Warehouse) -> None:
    import ibis

    from pg_settings import PG_DB, PG_HOST, PG_USER

    con = ibis.postgres.connect(host=PG_HOST, user=PG_USER, database=PG_DB, schema=pg_schema)
    url = f"postgres://{PG_USER}@{PG_HOST}/{PG_DB}?schema={pg_schema}"
    wh = load_journeys(Warehouse(con, url))
    try:
        _compare_backends(wh, duck)
    finally:
        wh.close()


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
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
    wh = load_journeys(Warehouse(ibis.pyspark.connect(session), "pyspark://local"))
    yield wh
    session.stop()


@pytest.mark.spark
@pytest.mark.slow
def test_pyspark_builds_the_same_paths(spark: Warehouse, duck: Warehouse) -> None:
    _compare_backends(spark, duck)
