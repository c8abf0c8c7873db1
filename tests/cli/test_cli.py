from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixture_company import load
from kaname.cli.main import app
from kaname.config import WorkspaceConfig
from kaname.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=dt.date(2025, 4, 30), language="en"))
    load(ws.warehouse)
    ws.close()
    return ws.root


def test_init_then_catalog(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "new"), "--fiscal-year-start", "1"])
    assert result.exit_code == 0, result.output
    assert "fiscal_year_start_month: 1" in (tmp_path / "new" / "kaname.yaml").read_text()
    result = runner.invoke(app, ["catalog", "--json", "-w", str(tmp_path / "new")])
    kpis = json.loads(result.output)
    assert len(kpis) >= 45
    assert {
        "id",
        "name_ja",
        "name_en",
        "formula",
        "unit",
        "direction",
        "phase",
        "type",
        "frequency",
        "dimensions",
    } <= set(kpis[0])


def test_kpis_json_rows(ws_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["kpis", "-w", str(ws_dir), "--period", "2025-04", "--json", "-k", "cpa", "-k", "sql_rate"],
    )
    assert result.exit_code == 0, result.output
    rows = {r["kpi"]: r for r in json.loads(result.output)}
    assert {"kpi", "period", "actual", "target", "achievement", "projection", "status"} <= set(
        rows["cpa"]
    )
    assert rows["sql_rate"]["actual"] == pytest.approx(10 / 51)
    assert rows["cpa"]["status"] == "no_target"


@pytest.mark.parametrize(
    ("typed", "label"),
    [("2025年4月", "2025-04"), ("2025年度 第1四半期", "FY2025-Q1"), ("FY2025 Q1", "FY2025-Q1")],
)
def test_kpis_take_periods_as_people_write_them(ws_dir: Path, typed: str, label: str) -> None:
    result = runner.invoke(
        app, ["kpis", "-w", str(ws_dir), "--period", typed, "--json", "-k", "cpa"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["period"] == label


def test_kpis_by_dimension_and_cohort(ws_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "kpis",
            "-w",
            str(ws_dir),
            "--period",
            "2025-04",
            "--json",
            "-k",
            "cpa",
            "--dimension",
            "channel",
        ],
    )
    cpa = {r["dimension_value"]: r["actual"] for r in json.loads(result.output)}
    assert cpa["paid_ads"] == 5000 and cpa["owned_media"] == 3750
    result = runner.invoke(
        app,
        ["kpis", "-w", str(ws_dir), "--period", "FY2025-Q1", "--view", "cohort", "-k", "sql_rate"],
    )
    assert result.exit_code == 0, result.output
    assert "cohort view" in result.output


def test_kpis_table_renders_in_the_terminal(ws_dir: Path) -> None:
    result = runner.invoke(
        app, ["kpis", "-w", str(ws_dir), "--period", "2025-04", "-k", "revenue", "-k", "cpa"]
    )
    assert result.exit_code == 0, result.output
    assert "New revenue" in result.output and "¥6,000,000" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "someday"], "cannot read period"),
        (["--period", "2030-01", "-k", "leads", "--json"], None),
        (["-k", "cpaa"], "Did you mean cpa"),
        (["--view", "cohort", "-k", "cpa"], "no KPI can be shown"),
        (["--view", "sideways"], "'sideways' is not one of 'period', 'cohort'"),
    ],
)
def test_bad_input_gets_a_clear_error(ws_dir: Path, args: list[str], message: str | None) -> None:
    result = runner.invoke(app, ["kpis", "-w", str(ws_dir), *args])
    if message is None:  # an empty period is not an error: the row says why it has no value
        row = json.loads(result.output)[0]
        assert row["actual"] is None and "no data for 2030-01" in row["note"]
        assert row["status"] == "no_target"
        return
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())  # Rich boxes unwrapped


def test_not_a_workspace(tmp_path: Path) -> None:
    result = runner.invoke(app, ["kpis", "-w", str(tmp_path)])
    assert result.exit_code == 2
    assert "kaname init" in result.output


def test_custom_kpi_from_the_cli(ws_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "catalog",
            "add",
            "deals_per_call",
            "--formula",
            "deals / calls",
            "--name-en",
            "Deals per call",
            "-w",
            str(ws_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["kpis", "-w", str(ws_dir), "--period", "2025-04", "--json", "-k", "deals_per_call"]
    )
    assert json.loads(result.output)[0]["actual"] == pytest.approx(0.03)
    result = runner.invoke(
        app,
        [
            "catalog",
            "add",
            "evil",
            "--formula",
            "__import__('os')",
            "--name-en",
            "x",
            "-w",
            str(ws_dir),
        ],
    )
    assert result.exit_code == 2 and "not allowed" in " ".join(result.output.split())


def test_plan_apply_and_refresh(ws_dir: Path, tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text(
        "name: p\nkgi: {kpi: revenue, target: 1000, period: FY2025}\n"
        'kpis:\n  - kpi: leads\n    targets: {"2025-04": 400}\n'
    )
    result = runner.invoke(
        app, ["plan", "apply", str(plan), "-w", str(ws_dir), "--effective-from", "2025-04-01"]
    )
    assert result.exit_code == 0, result.output
    assert "version 1: 2 targets" in result.output
    result = runner.invoke(
        app, ["kpis", "-w", str(ws_dir), "--period", "2025-04", "--json", "-k", "leads"]
    )
    row = json.loads(result.output)[0]
    assert row["target"] == 400 and row["status"] == "off_track"
    result = runner.invoke(app, ["refresh", "-w", str(ws_dir)])
    assert result.exit_code == 0, result.output
    assert "Full refresh" in result.output


def test_demo_builds_a_workspace_with_a_plan_and_prints_the_executive_view(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = runner.invoke(
        app,
        ["demo", "--dir", str(target), "--scale", "0.02", "--as-of", "2026-03-20", "--no-serve"],
    )
    assert result.exit_code == 0, result.output
    assert "2026年3月 (2026-03-20 時点)" in result.output  # the demo company speaks Japanese
    assert "ワークスペース: " in result.output and "Workspace:" not in result.output
    assert (target / "plans" / "demo-fy2025.yaml").exists()
    rows = json.loads(runner.invoke(app, ["kpis", "-w", str(target), "--json"]).output)
    by_kpi = {r["kpi"]: r for r in rows}
    assert len(by_kpi) >= 45
    for kpi in ("revenue", "deals", "win_rate", "leads", "cpa", "cac", "nrr"):
        assert by_kpi[kpi]["target"] is not None, kpi
        row = by_kpi[kpi]
        # A tiny company can have no deal yet this month: CAC then has no value, and says why.
        assert row["status"] in ("on_track", "at_risk", "off_track") or (
            row["status"] == "no_data" and "is 0" in row["note"]
        ), kpi
    assert by_kpi["leads"]["projection"] > by_kpi["leads"]["actual"]  # mid-month pacing
