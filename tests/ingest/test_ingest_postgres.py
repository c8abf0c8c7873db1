"""Import (upsert, quarantine), quality checks and scoring on a PostgreSQL warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaname.ingest.importer.load import import_file, quarantine_rows, store_quarantine
from kaname.ingest.importer.mapping import Mapping
from kaname.ingest.quality import check_quality
from kaname.ingest.scoring import ScoringConfig, apply_scores
from kaname.store.warehouse import Warehouse
from pg_settings import PG_DB, PG_HOST, PG_USER

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_schema: str) -> Iterator[Warehouse]:
    import ibis

    con = ibis.postgres.connect(host=PG_HOST, user=PG_USER, database=PG_DB, schema=pg_schema)
    wh = Warehouse(con, f"postgres://{PG_USER}@{PG_HOST}/{PG_DB}?schema={pg_schema}")
    wh.ensure_schema()
    yield wh
    wh.close()


def test_import_quality_and_scoring_on_postgres(pg: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    rows = [
        "リードID,メールアドレス,流入経路,作成日,セグメント",
        "L1,a@x.jp,展示会,2025/4/1,enterprise",
        "L2,A@x.jp,Web広告,令和7年4月2日,smb",
        "L3,bad,Web広告,2025/4/3,smb",
    ]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp932"))
    mapping = Mapping(
        table="leads",
        columns={
            "リードID": "lead_id",
            "メールアドレス": "email",
            "流入経路": "channel",
            "作成日": "created_at",
            "セグメント": "segment",
        },
    )
    first = import_file(pg, path, mapping)
    assert (first.inserted, first.quarantined, first.reconciles) == (2, 1, True)
    again = import_file(pg, path, mapping)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    store_quarantine(pg, 1, "leads", first.issues)
    assert quarantine_rows(pg, 1)[0]["row"] == 4
    found = {f.id: f for f in check_quality(pg, dt.date(2025, 6, 30))}
    assert found["duplicate_lead_emails"].count == 1
    assert sorted(found["duplicate_lead_emails"].examples[0]["lead_ids"].split(", ")) == [
        "L1",
        "L2",
    ]
    result = apply_scores(pg, ScoringConfig(), dt.date(2025, 6, 30))
    assert result.scored == 2
    scores = dict(pg.table("leads").select("lead_id", "score").execute().values.tolist())
    assert scores == {"L1": 20, "L2": 0}


def test_dimensions_from_the_users_data_on_postgres(pg: Warehouse, tmp_path: Path) -> None:
    """A mapped 商品 column splits deal KPIs on PostgreSQL as on DuckDB."""
    from kaname.metrics.calendar import Grain
    from kaname.metrics.catalog import builtin_catalog
    from kaname.metrics.engine import MetricEngine, MetricQuery
    from kaname.store.dimensions import RECORD_DIMENSIONS, available

    path = tmp_path / "opps.csv"
    rows = [
        "商談ID,フェーズ,金額,作成日,受注日,商品",
        "O1,受注,100,2025/4/1,2025/4/10,Cloud",
        "O2,受注,200,2025/4/2,2025/4/11,On-prem",
        "O3,受注,300,2025/4/3,2025/4/12,Cloud",
    ]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp932"))
    mapping = Mapping(
        table="opportunities",
        columns={
            "商談ID": "opportunity_id",
            "フェーズ": "stage",
            "金額": "amount",
            "作成日": "created_at",
            "受注日": "closed_at",
        },
        dimensions={"商品": "product"},
    )
    import_file(pg, path, mapping, "ja")
    import_file(pg, path, mapping, "ja")  # again: values replaced, not doubled
    user = available(pg)
    assert user == {"opportunities": ("product",)}
    engine = MetricEngine(
        pg.tables(),
        builtin_catalog(),
        user_dimensions=user,
        dimension_values=pg.con.table(RECORD_DIMENSIONS),
    )
    day = dt.date(2025, 4, 1)
    frame = engine.compute(MetricQuery(("deals", "revenue"), Grain.MONTH, day, day, ("product",)))
    got = {(r.kpi, r.product): r.value for r in frame.itertuples()}
    assert got == {
        ("deals", "Cloud"): 2,
        ("deals", "On-prem"): 1,
        ("revenue", "Cloud"): 400,
        ("revenue", "On-prem"): 200,
    }
