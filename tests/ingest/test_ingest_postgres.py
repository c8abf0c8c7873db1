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
