"""The first day on the command line in a Japanese workspace (issue 14, part 4): init, samples,
import (and its dry run), refresh, quality, plan new/apply/solve (and lint's table), sync and the
alerts/actions lists speak Japanese, money reads in 億/万; an English workspace still hears the
same commands in English."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from ja_text import leaks

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.cli.main import app

runner = CliRunner()
PLAN = ["--kgi", "1億", "--deal-size", "500万", "--rate", "sql=20%", "--rate", "win=25%"]


def kaname(root: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(root)], env={"COLUMNS": "250"})
    assert result.exit_code in (0, 1), result.output  # plan lint exits 1 on errors
    return result.output.replace(str(root), "")  # the folder's path is the user's own


def first_day(tmp_path: Path, language: str) -> dict[str, str]:
    """The output of each command of the first day, run in order in a new workspace, on a wide
    console (the consoles exist before the test, so COLUMNS alone would not widen them)."""
    from kaname.cli import render

    consoles = [c.current() for c in (render.console, render.err_console)]
    widths = [c.width for c in consoles]
    for c in consoles:
        c.width = 250
    try:
        return _first_day(tmp_path, language)
    finally:
        for c, width in zip(consoles, widths, strict=True):
            c.width = width


def _first_day(tmp_path: Path, language: str) -> dict[str, str]:
    root = tmp_path / "ws"
    init = runner.invoke(app, ["init", str(root), "--language", language], env={"COLUMNS": "250"})
    assert init.exit_code == 0, init.output
    out = {"init": init.output.replace(str(root), "")}
    out["samples"] = kaname(root, "samples")
    out["dry-run"] = kaname(root, "import", "leads", str(root / "leads.csv"), "--dry-run")
    for table in ("leads", "opportunities", "spend"):
        out[f"import {table}"] = kaname(root, "import", table, str(root / f"{table}.csv"))
    out["refresh"] = kaname(root, "refresh")
    out["refresh again"] = kaname(root, "refresh")
    out["quality"] = kaname(root, "quality")
    out["plan new"] = kaname(root, "plan", "new", *PLAN, "--budget", "2000万", "--apply")
    plan = str(root / "plans" / "plan-fy2026.yaml")
    out["plan apply"] = kaname(root, "plan", "apply", plan)
    out["plan lint"] = kaname(root, "plan", "lint", plan)
    out["plan solve"] = kaname(root, "plan", "solve", plan)
    out["sync"] = kaname(root, "sync")  # no source connected yet
    out["alerts check"] = kaname(root, "alerts", "check")
    out["alerts list"] = kaname(root, "alerts", "list")
    out["actions list"] = kaname(root, "actions", "list")
    out["kpis"] = kaname(root, "kpis").splitlines()[0]
    return out


@pytest.fixture(scope="module")
def ja(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return first_day(tmp_path_factory.mktemp("ja"), "ja")


# Names the user typed or will type: the tables of `kaname import TABLE`, the plan's name (its
# file's), and the lint rules.
TYPED = set(TABLES_BY_NAME) | {"plan-fy2026", "SMART-A", "SMART-M", "SMART-R", "SMART-T", "SMART-S"}


@pytest.mark.parametrize(
    "command", ["init", "samples", "dry-run", "import leads", "import opportunities",
                "import spend", "refresh", "refresh again", "quality", "plan new", "plan apply",
                "plan solve", "sync", "alerts check", "alerts list", "actions list", "kpis"],
)  # fmt: skip
def test_each_first_day_command_speaks_japanese(ja: dict[str, str], command: str) -> None:
    found = leaks(ja[command], TYPED)
    assert not found, (command, sorted(found), ja[command])


def test_the_japanese_words_and_money(ja: dict[str, str]) -> None:
    assert "ワークスペース" in ja["init"] and "を作成しました" in ja["init"]
    assert "書き出しました。" in ja["samples"]
    assert "試行のみ" in ja["dry-run"] and "読み込んだ行" in ja["dry-run"]
    assert "leads.csv をリードに取り込みました（Shift_JIS）、実行 1。" in ja["import leads"]
    assert "リードスコアを更新しました" in ja["import leads"]
    assert "KPI の値" in ja["refresh"]
    assert "前回の更新から変わったデータはありません" in ja["refresh again"]
    assert "データ品質" in ja["quality"] and "重要度" in ja["quality"]
    assert "例:" in ja["quality"] and "e.g." not in ja["quality"]
    assert "1.00億円" in ja["plan new"] and "100,000,000" not in ja["plan new"]
    assert "目標 CPA 5万円" in ja["plan new"] or "目標 CPA 50,000円" in ja["plan new"]
    assert "第1版として保存しました" in ja["plan new"]
    assert "前提から逆算した目標" in ja["plan apply"]
    assert "指摘" in ja["plan lint"] and "severity" not in ja["plan lint"]
    assert "新規受注金額 1.00億円 に必要な件数" in " ".join(ja["plan solve"].split())  # a title
    # folds at the table's width
    assert "目標 CAC: 100.0万円" in ja["plan solve"]
    assert "接続したデータソースがありません" in ja["sync"]
    assert "新規 0 件、継続中 0 件" in ja["alerts check"]
    assert "重要度" in ja["alerts list"] and "判断" in ja["actions list"]
    assert "期間ビュー" in ja["kpis"]


def test_an_english_workspace_still_hears_english(tmp_path: Path) -> None:
    en = first_day(tmp_path, "en")
    assert "Created workspace  (warehouse: duckdb)." in en["init"]
    assert "Next: load data with `kaname samples`" in en["init"]
    assert "/leads.csv: written. Try `kaname import leads leads.csv --dry-run`." in en["samples"]
    assert "Would import leads.csv into leads (cp932)." in en["dry-run"]
    assert "Imported leads.csv into leads (cp932), run 1." in en["import leads"]
    assert "rows read" in en["import leads"] and "quarantined" in en["import leads"]
    assert "Lead scores updated: 8 changed" in en["import leads"]
    assert "Full refresh: " in en["refresh"] and "KPI values." in en["refresh"]
    assert "Nothing changed since the last refresh." in en["refresh again"]
    assert "Data quality" in en["quality"] and "e.g." in en["quality"]
    assert "Rates: " in en["plan new"] and "Per year: " in en["plan new"]
    assert "KGI revenue 100,000,000 in FY2026, 7 KPIs. Saved as version 1." in en["plan new"]
    assert "solved from the assumptions" in en["plan apply"]
    assert "severity" in en["plan lint"] and "findings" in en["plan lint"]
    assert "│ deals " in en["plan lint"]  # the KPI column keeps the ids an English user types
    assert "Required volumes for revenue = 100,000,000" in " ".join(en["plan solve"].split())
    assert "target_cac: ¥1,000,000" in en["plan solve"]
    assert "No source is connected; run `kaname connect SOURCE`." in en["sync"]
    assert "0 new, 0 still open, 0 in cooldown" in en["alerts check"]
    assert "severity" in en["alerts list"] and "decision" in en["actions list"]
    assert "period view" in en["kpis"]
