"""The mapping run inside DuckDB (sqlmap, HubSpot CRM objects) gives the same canonical rows as
the general pandas mapper, edge values included (offsets, epoch milliseconds, unknown values,
blanks, a deleted record)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from connector_fakes import FakeHubSpot

from kaname.config import WorkspaceConfig
from kaname.ingest.connectors import sqlmap
from kaname.workspace import Workspace

TOKEN = "pat-na1-sqlmap-token"


def _canonical(root: Path, fake: FakeHubSpot) -> dict[str, Any]:
    ws = Workspace.init(root, WorkspaceConfig(url_allow_list=["127.0.0.1"]))
    try:
        ws.connectors.connect(
            "hubspot", {"access_token": TOKEN, "base_url": fake.url, "page_size": 7}, check=False
        )
        [result] = ws.connectors.sync("hubspot", full=True)
        assert result.status == "ok", result.error
        out: dict[str, Any] = {"rejected": result.rejected}
        for table, key in (("leads", "lead_id"), ("accounts", "account_id")):
            frame = ws.warehouse.table(table).execute().drop(columns=["_loaded_at"])
            out[table] = frame.sort_values(key).reset_index(drop=True)
        return out
    finally:
        ws.close()


def test_sql_mapping_matches_the_general_mapper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeHubSpot(TOKEN)
    try:
        sources = ["ORGANIC_SEARCH", "PAID_SEARCH", "Some Other", "", None]
        stages = ["lead", "marketingqualifiedlead", "weird", "", None, "customer"]
        for i in range(40):
            fake.put(
                "contacts",
                str(i + 1),
                email=f"user{i}@example.jp" if i % 9 else "",
                lifecyclestage=stages[i % len(stages)],
                hs_analytics_source=sources[i % len(sources)],
                hs_lifecyclestage_lead_date="2025-04-01T00:30:00.000Z" if i % 4 else None,
                createdate="1711929600000" if i % 3 else "2025-03-01T10:00:00+09:00",
                hs_lifecyclestage_marketingqualifiedlead_date="2025-05-01T00:30:00Z",
                associatedcompanyid=str(i % 3),
            )
        fake.put("companies", "1", name="Alpha", numberofemployees=120, state="東京都")
        fake.put("companies", "2", name="Beta", numberofemployees="30.0", hs_analytics_source="X")
        fake.archive("contacts", "5")
        applied: list[str] = []
        apply = sqlmap.apply

        def spy(
            raw: Any, mapper: Any, compiled: sqlmap.Compiled, stage: str, **kw: Any
        ) -> tuple[int, int]:
            applied.append(compiled.table)
            return apply(raw, mapper, compiled, stage, **kw)

        monkeypatch.setattr(sqlmap, "apply", spy)
        in_sql = _canonical(tmp_path / "sql", fake)
        assert {"leads", "accounts"} <= set(applied)
        monkeypatch.setattr(sqlmap, "compile_entry", lambda entry, unsafe: None)
        general = _canonical(tmp_path / "pandas", fake)
    finally:
        fake.stop()
    assert in_sql["rejected"] == general["rejected"]
    for table in ("leads", "accounts"):
        pd.testing.assert_frame_equal(in_sql[table], general[table])
    assert len(in_sql["leads"]) > 30
