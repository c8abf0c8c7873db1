"""`kaname plan new` from four numbers (seed 000's method) in a new workspace with no data, and
`kaname plan apply` keeping the targets and the assumptions one source."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kaname.cli.main import app
from kaname.formatting import NumberError, parse_number
from kaname.metrics.calendar import parse_period
from kaname.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = Workspace.init(tmp_path / "ws")
    ws.close()
    return ws.root


def new(root: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["plan", "new", "-w", str(root), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("text", "value"),
    [("500万", 5e6), ("1億", 1e8), ("1億2,000万", 1.2e8), ("2,000万", 2e7), ("20%", 0.2),
     ("¥11,765", 11765.0), ("１００万円", 1e6), ("0.25", 0.25), ("3.5万", 35000.0)],
)  # fmt: skip
def test_numbers_as_people_type_them(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "万", "500万x", ""])
def test_a_number_that_does_not_read_is_refused_in_both_languages(text: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text)
    assert "is not a number" in caught.value.message("en")
    assert "数値ではありません" in caught.value.message("ja")


def test_the_seed_example_from_four_numbers_saves_in_an_empty_workspace(root: Path) -> None:
    """¥1億 at 500万, 商談化率 20%, 受注率 25%, ¥2,000万 → 20 受注, 80 商談, 400 leads a year;
    CPA ¥5万; CAC ¥100万 — saved as a plan version although the workspace has no data."""
    out = new(
        root,
        *("--kgi", "1億", "--deal-size", "500万", "--rate", "sql=0.2", "--rate", "win=25%"),
        *("--budget", "2,000万", "--mix", "webinar=40%,paid_ads=60%", "--ltv", "300万"),
        "--apply",
    )
    assert out["volumes"] == {"revenue": 1e8, "deals": 20.0, "sqls": 80.0, "leads": 400.0}
    assert out["unit_costs"]["target_cpa"] == 50_000
    assert out["unit_costs"]["target_cac"] == 1_000_000
    assert out["unit_costs"]["ltv_cac"] == pytest.approx(3.0)
    assert out["defaulted_rates"] == [] and out["version"] == 1
    plan = out["plan"]
    assert plan["targets_from"] == "planner"
    assert plan["assumptions"]["stages"] == ["revenue", "deals", "sqls", "leads"]
    # the MQL and 案件 rates the team did not ask for are not in the plan
    assert plan["assumptions"]["mql_rate"] is None
    assert plan["assumptions"]["opportunity_rate"] is None
    kpis = {k["kpi"]: k for k in plan["kpis"]}
    assert math.fsum(kpis["leads"]["targets"].values()) == pytest.approx(400)
    assert math.fsum(kpis["sqls"]["targets"].values()) == pytest.approx(80)
    assert math.fsum(kpis["deals"]["targets"].values()) == pytest.approx(20)
    assert set(kpis["cpa"]["targets"].values()) == {50_000}
    assert set(kpis["cac"]["targets"].values()) == {1_000_000}
    assert math.fsum(kpis["leads"]["channels"]["webinar"].values()) == pytest.approx(160)
    assert math.fsum(kpis["leads"]["channels"]["paid_ads"].values()) == pytest.approx(240)
    # the saved version's targets are what the dashboard measures against
    ws = Workspace.open(root)
    try:
        april = parse_period("2026-04", ws.config.fiscal_year_start_month)
        assert ws.targets.lookup("cpa", april, ws.today()) == 50_000
        assert ws.targets.lookup("cac", april, ws.today()) == 1_000_000
        got = ws.targets.lookup("leads", april, ws.today(), "channel", "webinar")
        assert got == kpis["leads"]["channels"]["webinar"]["2026-04"]
        findings = ws.lint_plan(root / "plans" / "plan-fy2026.yaml")
        assert [f for f in findings if f.severity == "error"] == []
        assert {f.severity for f in findings if f.rule == "SMART-M"} == {"info"}
    finally:
        ws.close()


def test_seed_000_thirty_four_deals_a_month(root: Path) -> None:
    """34 商談/month at 20% → 170 leads/month; ¥200万/month → CPA ≈ ¥11,765 (seed 000)."""
    deals = 34 * 0.25 * 12  # 34 商談 a month at a 25% win rate, for a year
    out = new(
        root,
        *("--kgi", f"{deals * 1_000_000:.0f}", "--deal-size", "100万", "--budget", "2400万"),
    )
    assert out["volumes"]["sqls"] == pytest.approx(34 * 12)
    assert out["volumes"]["leads"] == pytest.approx(170 * 12)
    assert round(out["unit_costs"]["target_cpa"]) == 11_765
    assert sorted(out["defaulted_rates"]) == ["sql_rate", "win_rate"]  # the benchmarks, shown
    leads = next(k for k in out["plan"]["kpis"] if k["kpi"] == "leads")
    assert math.fsum(leads["targets"].values()) == pytest.approx(2040)


def test_stages_the_team_adds_need_their_rate(root: Path) -> None:
    result = runner.invoke(
        app,
        ["plan", "new", "-w", str(root), "--kgi", "1億", "--deal-size", "500万",
         "--budget", "2000万", "--stages", "revenue,deals,sqls,mqls,leads"],
    )  # fmt: skip
    assert result.exit_code == 2 and "MQL化率を入力してください" in result.output  # in Japanese
    out = new(
        root,
        *("--kgi", "1億", "--deal-size", "500万", "--budget", "2000万", "--rate", "mql=50%"),
    )
    assert out["volumes"]["mqls"] == 400 and out["volumes"]["leads"] == 800


def test_a_number_that_does_not_read_names_the_flag(root: Path) -> None:
    result = runner.invoke(
        app,
        ["plan", "new", "-w", str(root), "--kgi", "1億", "--deal-size", "500万円x",
         "--budget", "2000万"],
    )  # fmt: skip
    assert result.exit_code == 2 and "--deal-size" in result.output
    assert "数値ではありません" in result.output  # the workspace speaks Japanese


def test_apply_re_solves_and_never_overwrites_hand_edits_silently(root: Path) -> None:
    new(root, "--kgi", "1億", "--deal-size", "500万", "--budget", "2000万")
    path = root / "plans" / "plan-fy2026.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # change an assumption: the targets left in the file are now stale
    data["assumptions"]["average_deal_size"] = 2_500_000
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    refused = runner.invoke(app, ["plan", "apply", str(path), "-w", str(root)])
    assert refused.exit_code == 2
    assert "--resolve" in refused.output and "--keep-targets" in refused.output
    applied = runner.invoke(app, ["plan", "apply", str(path), "-w", str(root), "--resolve"])
    assert applied.exit_code == 0, applied.output
    assert "前提から逆算した目標" in applied.output  # the workspace speaks Japanese
    solved = yaml.safe_load(path.read_text(encoding="utf-8"))
    deals = next(k for k in solved["kpis"] if k["kpi"] == "deals")
    assert math.fsum(deals["targets"].values()) == pytest.approx(40)  # 1億 ÷ 250万
    # a hand edit is kept when the team chooses so, and the version says it is hand-edited
    deals["targets"]["2026-04"] = 9.0
    path.write_text(yaml.safe_dump(solved, allow_unicode=True), encoding="utf-8")
    kept = runner.invoke(app, ["plan", "apply", str(path), "-w", str(root), "--keep-targets"])
    assert kept.exit_code == 0, kept.output and "hand-edited" in kept.output
    ws = Workspace.open(root)
    try:
        april = parse_period("2026-04", ws.config.fiscal_year_start_month)
        assert ws.targets.lookup("deals", april, ws.today()) == 9.0
        assert ws.active_plan()[0].targets_from == "hand"  # type: ignore[index]
    finally:
        ws.close()


def test_whatif_reads_a_percent(root: Path) -> None:
    new(root, "--kgi", "1億", "--deal-size", "500万", "--budget", "2000万")
    path = str(root / "plans" / "plan-fy2026.yaml")
    runs = [
        runner.invoke(app, ["plan", "whatif", path, "-w", str(root), "--set", s, "--json"])
        for s in ("win_rate=30%", "win_rate=0.3")
    ]
    assert all(r.exit_code == 0 for r in runs), runs[0].output
    typed, plain = (json.loads(r.output) for r in runs)
    assert typed == plain and typed["changes"] == {"win_rate": 0.3}
