from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from fixture_company import APRIL, EXPECTED_APRIL_2025
from kaname.metrics.calendar import Grain
from kaname.metrics.catalog import builtin_catalog
from kaname.metrics.engine import MetricEngine, MetricError, MetricQuery
from kaname.store.warehouse import Warehouse

CATALOG = builtin_catalog()


def compute_april(wh: Warehouse, kpis: tuple[str, ...], **kw: object) -> dict[str, float]:
    engine = MetricEngine(wh.tables(), CATALOG)
    frame = engine.compute(MetricQuery(kpis, Grain.MONTH, APRIL, APRIL, **kw))  # type: ignore[arg-type]
    return dict(zip(frame["kpi"], frame["value"], strict=True))


def test_every_catalog_kpi_has_a_hand_computed_fixture() -> None:
    assert set(CATALOG.ids) == set(EXPECTED_APRIL_2025)


def test_every_kpi_matches_hand_computation(duckdb_company: Warehouse) -> None:
    got = compute_april(duckdb_company, CATALOG.ids)
    for kpi, expected in EXPECTED_APRIL_2025.items():
        assert got[kpi] == pytest.approx(expected, rel=1e-9), kpi


def test_seed_cpa_examples_by_channel(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    frame = engine.compute(MetricQuery(("cpa",), Grain.MONTH, APRIL, APRIL, ("channel",)))
    cpa = dict(zip(frame["channel"], frame["value"], strict=True))
    assert cpa["paid_ads"] == 5_000  # listing ads
    assert cpa["owned_media"] == 3_750  # SEO
    assert round(cpa["event"]) == 6_667


def test_seed_sql_rate_example(duckdb_company: Warehouse) -> None:
    got = compute_april(duckdb_company, ("sql_rate",))
    assert round(got["sql_rate"] * 100, 1) == 19.6


def test_division_by_zero_is_a_note_not_a_zero(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    frame = engine.compute(
        MetricQuery(("cpa", "win_rate"), Grain.MONTH, APRIL, APRIL, ("channel",))
    )
    email = frame[(frame["kpi"] == "win_rate") & (frame["channel"] == "paid_ads")].iloc[0]
    # paid ads won its only closed deal
    assert email["value"] == 1.0
    event = frame[(frame["kpi"] == "win_rate") & (frame["channel"] == "event")]
    assert event.empty or math.isnan(event.iloc[0]["value"])
    if not event.empty:
        assert "closed_opportunities is 0" in event.iloc[0]["note"]


def test_empty_period_says_where_the_data_is(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    frame = engine.compute(
        MetricQuery(("leads", "cpa"), Grain.MONTH, dt.date(2030, 1, 1), dt.date(2030, 1, 1))
    )
    assert frame["value"].isna().all()
    assert frame["note"].str.contains("no data for 2030-01: the warehouse holds").all()


def test_empty_table_is_named_in_the_note() -> None:
    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    wh.append("leads", pd.DataFrame({"lead_id": ["L1"], "created_at": [dt.datetime(2025, 4, 2)]}))
    engine = MetricEngine(wh.tables(), CATALOG)
    frame = engine.compute(MetricQuery(("cpa", "leads"), Grain.MONTH, APRIL, APRIL))
    by_kpi = frame.set_index("kpi")
    assert by_kpi.loc["leads", "value"] == 1
    assert math.isnan(by_kpi.loc["cpa", "value"])
    assert "no spend data loaded" in by_kpi.loc["cpa", "note"]


def test_period_and_cohort_views_differ_where_they_should(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    # Move the window: March has no leads, April has them all. MQLs of April leads happen in April
    # (period view) and belong to the April cohort too; a May period holds none of them.
    q = MetricQuery(("mqls", "sql_rate", "deals"), Grain.QUARTER, APRIL, APRIL)
    period = engine.compute(q)
    cohort = engine.compute(MetricQuery(q.kpis, q.grain, q.first, q.last, view="cohort"))
    assert period.set_index("kpi").loc["mqls", "value"] == 51
    assert cohort.set_index("kpi").loc["mqls", "value"] == 51
    # Deals won from leads created in April: O1–O3 have leads; O7 (upsell) has none.
    assert cohort.set_index("kpi").loc["deals", "value"] == 3


def test_cohort_view_follows_leads_across_periods() -> None:
    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    wh.append(
        "leads",
        pd.DataFrame(
            {
                "lead_id": ["a", "b", "c"],
                "created_at": [
                    dt.datetime(2025, 4, 5),
                    dt.datetime(2025, 4, 6),
                    dt.datetime(2025, 5, 2),
                ],
                "mql_at": [dt.datetime(2025, 5, 10), dt.datetime(2025, 4, 9), None],
            }
        ),
    )
    engine = MetricEngine(wh.tables(), CATALOG)
    q = MetricQuery(("mqls", "mql_rate"), Grain.MONTH, APRIL, dt.date(2025, 5, 1))
    period = engine.compute(q).pivot(index="period", columns="kpi", values="value")
    cohort = engine.compute(MetricQuery(q.kpis, q.grain, q.first, q.last, view="cohort")).pivot(
        index="period", columns="kpi", values="value"
    )
    assert period.loc["2025-04", "mqls"] == 1 and period.loc["2025-05", "mqls"] == 1
    assert cohort.loc["2025-04", "mqls"] == 2 and cohort.loc["2025-05", "mqls"] == 0
    assert cohort.loc["2025-04", "mql_rate"] == 1.0
    assert period.loc["2025-05", "mql_rate"] == 1.0  # 1 MQL event / 1 lead created in May


def test_cohort_view_is_refused_for_non_lead_kpis(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    with pytest.raises(MetricError, match="no cohort view"):
        engine.compute(MetricQuery(("cpa",), Grain.MONTH, APRIL, APRIL, view="cohort"))


def test_dimension_not_allowed_is_explained(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    with pytest.raises(MetricError, match="cvr cannot be split by campaign"):
        engine.compute(MetricQuery(("cvr",), Grain.MONTH, APRIL, APRIL, ("campaign",)))


def test_as_of_cuts_off_later_events(duckdb_company: Warehouse) -> None:
    got = compute_april(duckdb_company, ("leads", "deals"), as_of=dt.date(2025, 4, 5))
    assert got["leads"] == 5 * 33  # created on Apr 1–5: 33 leads per day
    assert got["deals"] == 0


@pytest.mark.parametrize("grain", list(Grain))
def test_every_grain_sums_to_the_same_total(duckdb_company: Warehouse, grain: Grain) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    frame = engine.compute(MetricQuery(("leads", "revenue"), grain, APRIL, dt.date(2025, 4, 30)))
    totals = frame.groupby("kpi")["value"].sum()
    assert totals["leads"] == 330
    assert totals["revenue"] == 6_000_000


def test_a_cohort_is_followed_past_the_end_of_its_period() -> None:
    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    wh.append(
        "leads",
        pd.DataFrame(
            {
                "lead_id": ["a", "b"],
                "created_at": [dt.datetime(2025, 4, 5), dt.datetime(2025, 4, 6)],
                "mql_at": [dt.datetime(2025, 6, 10), dt.datetime(2025, 4, 9)],
            }
        ),
    )
    engine = MetricEngine(wh.tables(), CATALOG)
    april_only = MetricQuery(("mqls",), Grain.MONTH, APRIL, APRIL, view="cohort")
    assert engine.compute(april_only)["value"].tolist() == [2]
    as_of_may = MetricQuery(
        ("mqls",), Grain.MONTH, APRIL, APRIL, view="cohort", as_of=dt.date(2025, 5, 31)
    )
    assert engine.compute(as_of_may)["value"].tolist() == [1]


def test_a_filter_equals_the_matching_row_of_a_split(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    kpis = ("leads", "cpa", "win_rate", "pipeline_value")
    split = engine.compute(MetricQuery(kpis, Grain.MONTH, APRIL, APRIL, ("channel",)))
    for channel in ("paid_ads", "owned_media"):
        got = engine.compute(
            MetricQuery(kpis, Grain.MONTH, APRIL, APRIL, filters=(("channel", channel),))
        )
        want = split[split["channel"] == channel].set_index("kpi")["value"]
        for rec in got.itertuples():
            assert rec.value == pytest.approx(want[rec.kpi], nan_ok=True), (channel, rec.kpi)


def test_a_filter_the_kpi_does_not_allow_is_explained(duckdb_company: Warehouse) -> None:
    engine = MetricEngine(duckdb_company.tables(), CATALOG)
    with pytest.raises(MetricError, match="cannot be filtered by channel"):
        engine.compute(
            MetricQuery(("nrr",), Grain.MONTH, APRIL, APRIL, filters=(("channel", "email"),))
        )


@pytest.mark.parametrize("company", ["duckdb_company", "pg_company"])
def test_a_range_of_days_counts_like_the_month_it_spans(
    company: str, request: pytest.FixtureRequest
) -> None:
    """A custom range (--period 2025-04-01..2025-04-30) is one period on every backend: the
    same counts and rates as the month, and longer ranges add their months up."""
    from kaname.metrics.calendar import parse_period

    wh: Warehouse = request.getfixturevalue(company)
    engine = MetricEngine(wh.tables(), CATALOG)
    kpis = ("leads", "mqls", "sqls", "deals", "revenue", "cpa", "sql_rate", "win_rate")
    april = parse_period("2025-04-01..2025-04-30")
    frame = engine.compute(MetricQuery(kpis, Grain.RANGE, april.start, april.last_day))
    assert list(frame["period"].unique()) == ["2025-04-01..2025-04-30"]
    got = dict(zip(frame["kpi"], frame["value"], strict=True))
    for kpi in kpis:
        assert got[kpi] == pytest.approx(EXPECTED_APRIL_2025[kpi], rel=1e-9, nan_ok=True), kpi
    spring = parse_period("2025-03..2025-05")
    months = engine.compute(MetricQuery(("leads",), Grain.MONTH, spring.start, spring.last_day))
    whole = engine.compute(MetricQuery(("leads",), Grain.RANGE, spring.start, spring.last_day))
    assert whole["value"].tolist() == [months["value"].sum()]


@pytest.mark.parametrize("company", ["duckdb_company", "pg_company"])
@pytest.mark.parametrize("filters", [(), (("segment", "enterprise"),)])
def test_the_rows_of_a_state_make_up_its_value(
    company: str, filters: tuple[tuple[str, str], ...], request: pytest.FixtureRequest
) -> None:
    """Every snapshot (pipeline, customers, MRR, churn …): its rows at the period's end are as
    many (a count) or add up to as much (an amount) as the value itself, for a month and for a
    quarter, cut at an as-of day or not, on DuckDB and PostgreSQL."""
    from kaname.metrics.measures import SNAPSHOT_MEASURES

    wh: Warehouse = request.getfixturevalue(company)
    engine = MetricEngine(wh.tables(), CATALOG)
    for grain, as_of in ((Grain.MONTH, None), (Grain.QUARTER, APRIL + dt.timedelta(days=9))):
        usable = [m for m in SNAPSHOT_MEASURES if all(d in m.dims for d, _ in filters)]
        query = MetricQuery((), grain, APRIL, APRIL, as_of=as_of, filters=filters)
        values = engine.measures(query, [m.id for m in usable]).iloc[0]
        for m in usable:
            rows = engine.rows(m.id, query)
            got = rows.aggregate(n=rows.count(), total=rows._value.sum()).execute().iloc[0]
            total = 0.0 if got["total"] != got["total"] else float(got["total"])
            assert total == pytest.approx(float(values[m.id] or 0)), (m.id, grain, filters)
            if m.unit == "count":
                assert got["n"] == values[m.id], (m.id, grain, filters)
