"""kaname plan solve / whatif on the seeds' worked example (seed 003)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kaname.cli.main import app
from kaname.config import WorkspaceConfig
from kaname.workspace import Workspace

runner = CliRunner()
PLAN = """
name: seed003
kgi: {kpi: deals, target: 100, period: FY2026}
assumptions:
  win_rate: 0.25
  opportunity_rate: 0.5
  sql_rate: 0.2
  budget: 20000000
  ltv: 1500000
  channel_mix: {webinar: 0.5, event: 0.5}
  lead_times_days: {opportunity_to_deal: 60, sql_to_opportunity: 7, mql_to_sql: 14}
"""


@pytest.fixture
def plan(tmp_path: Path) -> tuple[Path, Path]:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(language="en"))  # English wording
    ws.close()
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    return ws.root, path


def test_solve_reverse_calculates_every_stage_by_month(plan: tuple[Path, Path]) -> None:
    root, path = plan
    result = runner.invoke(app, ["plan", "solve", str(path), "-w", str(root), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["volumes"] == pytest.approx(
        {"deals": 100, "opportunities": 400, "sqls": 800, "mqls": 4000}
    )
    assert out["by_channel"]["webinar"]["opportunities"] == pytest.approx(200)
    months = {m["label"]: m["volumes"] for m in out["months"]}
    # Deals close evenly over FY2026; opportunities must open two months earlier (60 days).
    assert months["2026-04"]["deals"] == pytest.approx(100 / 12)
    assert months["2026-02"]["opportunities"] == pytest.approx(400 / 12)
    assert months["2027-03"]["opportunities"] == 0
    assert sum(m["deals"] for m in months.values()) == pytest.approx(100)
    assert out["unit_costs"]["target_cac"] == pytest.approx(200_000)
    assert out["unit_costs"]["cost_per_mql"] == pytest.approx(5_000)
    assert out["checks"] == ["LTV:CAC 7.5 meets the 3:1 guideline (CAC ≤ LTV ÷ 3)"]
    assert out["seasonality_source"] == "even" and out["lead_time_source"] == "assumed"


def test_solve_renders_a_table(plan: tuple[Path, Path]) -> None:
    root, path = plan
    result = runner.invoke(app, ["plan", "solve", str(path), "-w", str(root)])
    assert result.exit_code == 0, result.output
    assert "Required volumes for deals" in result.output and "target_cac" in result.output


def test_whatif_holds_the_bottom_and_moves_the_kgi(plan: tuple[Path, Path]) -> None:
    root, path = plan
    result = runner.invoke(
        app, ["plan", "whatif", str(path), "-w", str(root), "--set", "win_rate=0.3", "--json"]
    )
    assert result.exit_code == 0, result.output
    stages = {r["stage"]: r for r in json.loads(result.output)["stages"]}
    assert stages["deals"]["whatif"] == pytest.approx(120)
    assert stages["mqls"]["whatif"] == pytest.approx(4000)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--set", "win_rte=0.3"), "the plan has no such rate"),
        (("--set", "win_rate"), "--set takes name=number"),
        (("--set", "win_rate=1.5"), "at most 1"),
    ],
)
def test_whatif_bad_input(plan: tuple[Path, Path], change: tuple[str, str], message: str) -> None:
    root, path = plan
    result = runner.invoke(app, ["plan", "whatif", str(path), "-w", str(root), *change])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_solve_bad_plan(plan: tuple[Path, Path]) -> None:
    root, path = plan
    path.write_text(PLAN.replace("win_rate: 0.25", "win_rate: 1.25"), encoding="utf-8")
    result = runner.invoke(app, ["plan", "solve", str(path), "-w", str(root)])
    assert result.exit_code == 2
    assert "assumptions.win_rate" in " ".join(result.output.split())


def test_gap_on_the_demo_splits_exactly(demo_dir: Path, tmp_path: Path) -> None:
    target = demo_dir
    plan = target / "plans" / "demo-fy2026.yaml"
    solved = runner.invoke(app, ["plan", "solve", str(plan), "-w", str(target), "--json"])
    assert solved.exit_code == 0, solved.output
    assert json.loads(solved.output)["lead_time_source"] == "measured"
    result = runner.invoke(
        app, ["plan", "gap", str(plan), "-w", str(target), "--period", "FY2026-H1", "--json"]
    )
    assert result.exit_code == 0, result.output
    gap = json.loads(result.output)
    assert sum(d["effect"] for d in gap["drivers"]) == pytest.approx(gap["gap"], rel=1e-9)
    assert gap["actual"] - gap["planned"] == pytest.approx(gap["gap"])
    assert {r["driver"] for r in gap["sensitivity"]} == {d["driver"] for d in gap["drivers"]}
    assert {r["driver"] for r in gap["sensitivity"]} == {d["driver"] for d in gap["drivers"]}
    outside = runner.invoke(
        app, ["plan", "gap", str(plan), "-w", str(target), "--period", "2025-10"]
    )
    assert outside.exit_code == 2 and "not inside the plan's KGI period" in outside.output


def test_explain_prints_the_tree_of_the_demo_plan(demo_dir: Path, tmp_path: Path) -> None:
    target = demo_dir
    plan = target / "plans" / "demo-fy2026.yaml"
    result = runner.invoke(app, ["plan", "explain", str(plan), "-w", str(target), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["depth"], r["kpi"]) for r in rows[:3]] == [
        (0, "revenue"),
        (1, "deals"),
        (2, "opportunities"),
    ]
    assert rows[0]["target"] is not None and rows[0]["relation"] == "product"
    text = runner.invoke(app, ["plan", "explain", str(plan), "-w", str(target)]).output
    flat = " ".join(text.split())
    assert "└─" in text and "新規受注金額 （= 受注数×平均受注単価）" in flat  # names, never ids
    assert "revenue" not in flat and "average_deal_size" not in flat


def test_lint_exit_codes(demo_dir: Path, tmp_path: Path) -> None:
    target = demo_dir
    plan = target / "plans" / "demo-fy2026.yaml"
    clean = runner.invoke(app, ["plan", "lint", str(plan), "-w", str(target), "--json"])
    assert clean.exit_code == 0, clean.output
    assert [f for f in json.loads(clean.output) if f["severity"] == "error"] == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nkgi: {kpi: revenue, target: 1, period: FY2026}\nkpis:\n  - {kpi: leads}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["plan", "lint", str(bad), "-w", str(target)])
    assert result.exit_code == 1
    assert "SMART-T" in result.output


def test_solve_with_channel_costs_and_payback(plan: tuple[Path, Path]) -> None:
    root, path = plan
    text = PLAN.replace(
        "  channel_mix: {webinar: 0.5, event: 0.5}\n",
        "  mql_rate: 0.4\n  arpa: 100000\n"
        "  channel_cpa: {paid_ads: 5000, owned_media: 3750, event: 6667}\n"
        "  channel_capacity: {owned_media: 4000, paid_ads: 4000}\n",
    )
    path.write_text(text, encoding="utf-8")
    out = json.loads(
        runner.invoke(app, ["plan", "solve", str(path), "-w", str(root), "--json"]).output
    )
    assert out["volumes"]["leads"] == pytest.approx(10_000)
    assert out["by_channel"]["owned_media"]["leads"] == pytest.approx(4_000)
    assert out["by_channel"]["event"]["leads"] == pytest.approx(2_000)
    assert out["by_channel"]["event"]["cost"] == pytest.approx(2_000 * 6_667)
    assert out["unit_costs"]["cac_payback_months"] == pytest.approx(200_000 / (100_000 * 0.8))
    assert any("exceeds the budget" in c for c in out["checks"])


def test_cac_payback_prints_in_months_not_yen(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from kaname.cli import render
    from kaname.design.planner import solve

    rates = {"win_rate": 0.25, "opportunity_rate": 0.5, "sql_rate": 0.2, "mql_rate": 0.3}
    solution = solve("deals", 100, rates, ["2026-04"], budget=1e8, ltv=3e6, arpa=2e5)
    console = Console(record=True, width=200)
    monkeypatch.setattr(render, "console", console)
    render.render_solution(solution, "JPY", "ja")
    lines = console.export_text().splitlines()
    line = next(x for x in lines if "回収" in x or x.startswith("cac_payback"))
    assert line.endswith("ヶ月") and "円" not in line
