"""Issue 14 §2: each CRM/SFA export of the corpus (tests/ingest/crm_corpus.py), imported with
only the suggested mapping plus at most its stage or won labels, gives the right won deals,
revenue and win rate in the KPI report."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from crm_corpus import EXPORTS, Export

from kaname.config import WorkspaceConfig
from kaname.workspace import Workspace

PERIOD = "FY2026-Q2"  # July–September 2026


@pytest.fixture
def export_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(language=request.param))
    yield ws
    ws.close()


@pytest.mark.parametrize(
    ("export", "export_ws"),
    [pytest.param(e, e.language, id=e.name) for e in EXPORTS],
    indirect=["export_ws"],
)
def test_export_counts_its_won_deals(export: Export, export_ws: Workspace, tmp_path: Path) -> None:
    path = export.write(tmp_path)
    suggestion = export_ws.ingest.suggest_mapping("opportunities", path)
    assert suggestion["missing_required"] == []
    if suggestion["encoding"] != "xlsx":
        assert suggestion["encoding"] == export.encoding
    mapping = {**suggestion["mapping"], "values": export.values}
    summary = export_ws.ingest.import_file("opportunities", path, mapping)
    assert summary["quarantined"] == 0, summary["issues"][:5]
    assert summary["inserted"] == summary["rows_read"] == 16
    if not export.has_type:
        assert any("new_business" in note for note in summary["notes"])
    period = export_ws.period(PERIOD)
    report = export_ws.kpi_report(["deals", "revenue", "win_rate"], period)
    got = dict(zip(report["kpi"], report["actual"], strict=True))
    want = export.expected(period.start, period.end)
    assert want["deals"]  # every export has deals won in the quarter
    assert got["deals"] == want["deals"]
    assert got["revenue"] == want["revenue"]
    assert math.isclose(got["win_rate"], want["win_rate"])
