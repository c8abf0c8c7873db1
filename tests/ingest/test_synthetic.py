"""The demo company: deterministic, linear in scale, consistent, and inside the seeds' ranges."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pyarrow as pa
import pytest

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.ingest.synthetic import generate
from kaname.store.warehouse import Warehouse

AS_OF = dt.date(2026, 3, 31)


def _tables(scale: float, seed: int = 7) -> dict[str, pa.Table]:
    parts: dict[str, list[pa.Table]] = {}
    for name, chunk in generate(scale=scale, seed=seed, as_of=AS_OF):
        parts.setdefault(name, []).append(chunk)
    return {k: pa.concat_tables(v, promote_options="default") for k, v in parts.items()}


@pytest.fixture(scope="module")
def company() -> Warehouse:
    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    for name, chunk in generate(scale=0.05, seed=7, as_of=AS_OF):
        wh.append(name, chunk)
    return wh


def q(wh: Warehouse, sql: str) -> float:
    return wh.con.raw_sql(sql).fetchone()[0]


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b = _tables(0.01), _tables(0.01)
    assert set(a) == set(TABLES_BY_NAME)
    for name in a:
        assert a[name].equals(b[name]), name
    assert not _tables(0.01, seed=8)["leads"].equals(a["leads"])


def test_rows_scale_linearly() -> None:
    small = Counter({k: v.num_rows for k, v in _tables(0.02).items()})
    large = Counter({k: v.num_rows for k, v in _tables(0.04).items()})
    for name in ("leads", "touchpoints", "opportunities", "accounts"):
        assert 1.8 < large[name] / small[name] < 2.2, name
    assert small["leads"] == pytest.approx(2_000, rel=0.02)
    assert 17 < small["touchpoints"] / small["leads"] < 23  # ≈ 2M touchpoints per 100k leads


def test_columns_match_the_canonical_model() -> None:
    for name, table in _tables(0.01).items():
        assert set(table.column_names) <= set(TABLES_BY_NAME[name].column_names), name


def test_referential_integrity_and_timestamp_order(company: Warehouse) -> None:
    assert (
        q(
            company,
            "SELECT count(*) FROM touchpoints t LEFT JOIN leads l USING (lead_id) "
            "WHERE t.lead_id IS NOT NULL AND l.lead_id IS NULL",
        )
        == 0
    )
    assert (
        q(
            company,
            "SELECT count(*) FROM leads WHERE mql_at < created_at OR sql_at < mql_at "
            "OR (sql_at IS NOT NULL AND mql_at IS NULL)",
        )
        == 0
    )
    assert (
        q(
            company,
            "SELECT count(*) FROM opportunities o JOIN leads l USING (lead_id) "
            "WHERE l.sql_at > o.created_at OR o.channel <> l.channel",
        )
        == 0
    )
    assert q(company, "SELECT count(*) FROM opportunities WHERE closed_at < created_at") == 0
    assert (
        q(
            company,
            "SELECT count(*) FROM spend s LEFT JOIN campaigns c USING (campaign_id) "
            "WHERE c.campaign_id IS NULL",
        )
        == 0
    )
    assert (
        q(
            company,
            "SELECT count(*) FROM (SELECT date, channel FROM web_traffic "
            "GROUP BY ALL HAVING count(*) > 1)",
        )
        == 0
    )
    assert q(company, "SELECT count(*) FROM subscriptions WHERE end_date < start_date") == 0
    assert q(company, "SELECT count(*) FROM opportunity_stages WHERE exited_at < entered_at") == 0


def test_nothing_happens_after_as_of(company: Warehouse) -> None:
    limit = "TIMESTAMP '2026-04-01'"
    for table, column in [
        ("leads", "created_at"),
        ("leads", "mql_at"),
        ("leads", "sql_at"),
        ("touchpoints", "occurred_at"),
        ("opportunities", "closed_at"),
        ("nps_responses", "responded_at"),
    ]:
        assert q(company, f"SELECT count(*) FROM {table} WHERE {column} >= {limit}") == 0, column
    assert q(company, "SELECT count(*) FROM spend WHERE date > DATE '2026-03-31'") == 0


def test_rates_sit_inside_the_benchmark_ranges(company: Warehouse) -> None:
    sql_rate = q(company, "SELECT count(sql_at) / count(mql_at) FROM leads")
    assert 0.15 < sql_rate < 0.25
    opp_rate = q(
        company,
        "SELECT (SELECT count(*) FROM opportunities WHERE type = 'new_business')"
        " / (SELECT count(sql_at) FROM leads)",
    )
    assert 0.4 < opp_rate < 0.6
    win = q(
        company,
        "SELECT avg(is_won::INT) FROM opportunities WHERE type = 'new_business' "
        "AND closed_at IS NOT NULL",
    )
    assert 0.18 < win < 0.32

    def count(kind: str) -> float:
        return q(company, f"SELECT count(*) FROM touchpoints WHERE type = '{kind}'")

    assert 0.2 < count("email_open") / count("email_delivered") < 0.3
    assert 0.02 < count("email_click") / count("email_delivered") < 0.05
    connect = count("call_connected") / count("call")
    assert 0.25 < connect < 0.45


def test_seasonality_march_beats_august(company: Warehouse) -> None:
    per_day = dict(
        company.con.raw_sql(
            "SELECT month(created_at) AS m, count(*) / count(DISTINCT created_at::DATE) "
            "FROM leads WHERE month(created_at) IN (3, 8) GROUP BY 1"
        ).fetchall()
    )
    assert per_day[3] > per_day[8] * 1.3


def test_subscriptions_churn_and_expand(company: Warehouse) -> None:
    changes = dict(
        company.con.raw_sql("SELECT change, count(*) FROM subscriptions GROUP BY 1").fetchall()
    )
    assert changes["new"] > changes.get("upsell", 0) > 0
    assert q(company, "SELECT count(*) FROM subscriptions WHERE end_reason = 'churn'") > 0
    nps = q(
        company,
        "SELECT 100.0 * (avg((score >= 9)::INT) - avg((score <= 6)::INT)) FROM nps_responses",
    )
    assert 0 < nps < 40


def test_deals_are_signed_on_working_days(company: Warehouse) -> None:
    assert (
        q(
            company,
            "SELECT count(*) FROM opportunities WHERE type = 'new_business' AND "
            "closed_at IS NOT NULL AND dayofweek(closed_at) IN (0, 6)",
        )
        == 0
    )
