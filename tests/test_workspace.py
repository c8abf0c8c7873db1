from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from fixture_company import load
from kaname.config import ConfigError, WorkspaceConfig
from kaname.context import WorkspaceError
from kaname.design.plan import PlanError
from kaname.metrics.calendar import Grain, parse_period
from kaname.metrics.catalog import CatalogError, Kpi
from kaname.metrics.refresh import RefreshPlan, read_values
from kaname.workspace import Workspace

PLAN = """
name: fy2025
kgi: {kpi: revenue, target: 80000000, period: FY2025}
kpis:
  - kpi: leads
    owner: マーケティング部長
    targets: {"2025-04": 300, "2025-05": 350, "2025-06": 400}
  - kpi: cpa
    targets: {"2025-04": 6000}
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=dt.date(2025, 4, 30)))
    load(workspace.warehouse)
    return workspace


def test_init_creates_config_and_both_stores(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "new")
    assert (ws.root / "kaname.yaml").exists()
    assert (ws.root / "warehouse.duckdb").exists()
    assert (ws.root / "kaname.db").exists()
    reopened = Workspace.open(ws.root)
    assert reopened.config.fiscal_year_start_month == 4
    assert reopened.config.currency == "JPY"
    with pytest.raises(WorkspaceError, match="already a Kaname workspace"):
        Workspace.init(ws.root)


def test_open_outside_a_workspace_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kaname init"):
        Workspace.open(tmp_path)


def test_bad_config_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "kaname.yaml").write_text("fiscal_year_start_month: 13\n")
    with pytest.raises(ConfigError, match="fiscal_year_start_month"):
        Workspace.open(tmp_path)


def test_duckdb_memory_limit_and_spill_folder_apply_to_the_warehouse(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "new")
    settings = "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    limit, folder = ws.warehouse.con.con.execute(settings).fetchone()
    assert limit == "953.6 MiB"  # the default, 1GB
    assert folder == str(ws.root / "warehouse.duckdb.tmp")  # DuckDB's own, inside the workspace
    background = "SELECT current_setting('allocator_background_threads')"
    assert ws.warehouse.con.con.execute(background).fetchone()[0] is True
    ws.close()
    config = WorkspaceConfig(duckdb_memory_limit="512MB", duckdb_temp_directory="spill")
    ws = Workspace(tmp_path / "new", config)
    limit, folder = ws.warehouse.con.con.execute(settings).fetchone()
    assert (limit, folder) == ("488.2 MiB", str(ws.root / "spill"))
    ws.close()
    ws = Workspace(tmp_path / "new", WorkspaceConfig(duckdb_memory_limit="auto"))
    limit = ws.warehouse.con.con.execute(settings).fetchone()[0]
    assert limit != "953.6 MiB"  # DuckDB's default: 80% of the machine's memory
    ws.close()


def test_a_memory_limit_that_is_not_a_size_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kaname.yaml").write_text("duckdb_memory_limit: 80%\n")
    with pytest.raises(ConfigError, match=r"duckdb_memory_limit.*1GB"):
        Workspace.open(tmp_path)
    assert WorkspaceConfig(duckdb_memory_limit=" 1.5 GiB ").duckdb_memory_limit == "1.5 GiB"
    assert "memory_limit" not in WorkspaceConfig(duckdb_memory_limit="AUTO").duckdb_settings()


def test_report_with_targets_achievement_and_status(ws: Workspace, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    version, count = ws.apply_plan(plan, effective_from=dt.date(2025, 4, 1))
    assert (version.version, count) == (1, 5)
    report = ws.kpi_report(["leads", "cpa"], parse_period("2025-04")).set_index("kpi")
    assert report.loc["leads", "actual"] == 330
    assert report.loc["leads", "target"] == 300
    assert report.loc["leads", "achievement"] == pytest.approx(1.1)
    assert report.loc["leads", "status"] == "on_track"
    # CPA ¥1,800,000 / 330 ≈ ¥5,455 against a ¥6,000 target: lower is better, so on track.
    assert report.loc["cpa", "status"] == "on_track"
    assert report.loc["cpa", "achievement"] == pytest.approx(6000 / (1_800_000 / 330))


def test_quarter_target_rolls_up_monthly_targets(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    ws.apply_plan(tmp_path / "plan.yaml", effective_from=dt.date(2025, 4, 1))
    report = ws.kpi_report(["leads"], parse_period("FY2025-Q1")).set_index("kpi")
    assert report.loc["leads", "target"] == 1050


def test_targets_are_versioned_by_effective_date(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    ws.apply_plan(tmp_path / "plan.yaml", effective_from=dt.date(2025, 3, 1))
    (tmp_path / "plan.yaml").write_text(PLAN.replace('"2025-04": 300', '"2025-04": 500'))
    version, _ = ws.apply_plan(tmp_path / "plan.yaml", effective_from=dt.date(2025, 4, 20))
    assert version.version == 2
    april = parse_period("2025-04")
    assert ws.targets.lookup("leads", april, dt.date(2025, 4, 10)) == 300
    assert ws.targets.lookup("leads", april, dt.date(2025, 4, 25)) == 500
    assert [t.value for t in ws.targets.history("leads") if t.period_start == april.start] == [
        300,
        500,
    ]


def test_pacing_projects_the_current_month(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "p", WorkspaceConfig(as_of=dt.date(2025, 4, 15)))
    load(ws.warehouse)
    report = ws.kpi_report(["leads", "cpa"], parse_period("2025-04")).set_index("kpi")
    # Leads were created 1–10 April: all 330 are in by the 15th. April 2025 has 21 business days
    # (29 April is a holiday); 1–15 April holds 11 of them.
    assert report.loc["leads", "actual"] == 330
    assert report.loc["leads", "projection"] == pytest.approx(330 * 21 / 11)
    # A ratio of two additive measures keeps its value when both are projected.
    assert report.loc["cpa", "projection"] == pytest.approx(report.loc["cpa", "actual"])
    assert report.loc["leads", "status"] == "no_target"


def test_bad_plan_is_rejected_with_the_reason(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(PLAN.replace("kpi: cpa", "kpi: cpaa"))
    with pytest.raises(PlanError, match="'cpaa' is not in the catalog"):
        ws.apply_plan(bad)
    bad.write_text(PLAN.replace('"2025-05"', '"FY2025-Q2"'))
    with pytest.raises(PlanError, match="is a quarter, but the KPI's grain is month"):
        ws.apply_plan(bad)


def test_custom_kpi_round_trip(ws: Workspace) -> None:
    kpi = Kpi(
        id="deals_per_call",
        name_ja="架電あたり受注",
        name_en="Deals per call",
        definition_en="Deals won per call made.",
        definition_ja="架電1件あたりの受注数。",
        formula="deals / calls",
        unit="ratio",
        direction="higher",
        phase="deal",
        type="lagging",
    )
    ws.add_custom_kpi(kpi)
    reopened = Workspace.open(ws.root)
    assert "deals_per_call" in reopened.catalog
    report = reopened.kpi_report(["deals_per_call"], parse_period("2025-04")).set_index("kpi")
    assert report.loc["deals_per_call", "actual"] == pytest.approx(3 / 100)
    with pytest.raises(CatalogError, match="unknown measure 'call'"):
        ws.add_custom_kpi(kpi.model_copy(update={"id": "bad", "formula": "deals / call"}))
    reopened.remove_custom_kpi("deals_per_call")
    assert "deals_per_call" not in Workspace.open(ws.root).catalog


def test_refresh_full_then_incremental(ws: Workspace) -> None:
    plan = RefreshPlan(grains=(Grain.MONTH,), dimensions=(None, "channel"), views=("period",))
    first = ws.refresh(full=True, plan=plan)
    assert first.rows > 0
    values = read_values(ws.warehouse.con, "leads", Grain.MONTH)
    assert values.loc[values["period_start"] == dt.date(2025, 4, 1), "value"].iloc[0] == 330
    nothing = ws.refresh(plan=plan)
    assert nothing.jobs == 0
    import pandas as pd

    ws.warehouse.append(
        "leads",
        pd.DataFrame(
            {
                "lead_id": ["NEW"],
                "channel": "paid_ads",
                "created_at": [dt.datetime(2025, 4, 20)],
            }
        ),
    )
    again = ws.refresh(plan=plan)
    assert again.mode == "incremental" and again.from_date == dt.date(2025, 4, 20)
    values = read_values(ws.warehouse.con, "leads", Grain.MONTH)
    april = values[values["period_start"] == dt.date(2025, 4, 1)]
    assert list(april["value"]) == [331]
    by_channel = read_values(ws.warehouse.con, "leads", Grain.MONTH, dimension="channel")
    paid = by_channel[(by_channel["dimension_value"] == "paid_ads")]
    assert paid["value"].sum() == 101
    assert not math.isnan(float(paid["value"].iloc[0]))


def test_benchmarks_can_be_overridden_per_workspace(ws: Workspace) -> None:
    assert ws.catalog.get("win_rate").benchmark.low == 0.25  # type: ignore[union-attr]
    (ws.root / "benchmarks.yaml").write_text(
        "win_rate: {low: 0.3, high: 0.4, source: our FY2025 average}\n", encoding="utf-8"
    )
    reopened = Workspace.open(ws.root)
    bench = reopened.catalog.get("win_rate").benchmark
    assert bench is not None and (bench.low, bench.source) == (0.3, "our FY2025 average")
    (ws.root / "benchmarks.yaml").write_text("win_rte: {low: 0.3}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="Did you mean win_rate"):
        _ = Workspace.open(ws.root).catalog
    (ws.root / "benchmarks.yaml").write_text("win_rate: 0.3\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="one entry per KPI"):
        _ = Workspace.open(ws.root).catalog
