"""The everyday commands after the first day speak the Japanese workspace's language (issue 14):
mapping, quarantine, score, merges, connect, actions, alerts, report and catalog files, plan
explain / gap / solve and the review name things as users do, never by English words or ids; an
English workspace hears the same commands in English."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from ja_text import leaks

from kaname.canonical.tables import TABLES_BY_NAME
from kaname.cli.main import app

runner = CliRunner()


def run(root: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "-w", str(root)], env={"COLUMNS": "250"})
    assert result.exit_code == code, result.output
    return result.output.replace(str(root), "")


def wide() -> list[tuple[object, int]]:
    from kaname.cli import render

    consoles = [c.current() for c in (render.console, render.err_console)]
    saved = [(c, c.width) for c in consoles]
    for c in consoles:
        c.width = 250
    return saved


def everyday(root: Path, language: str) -> dict[str, str]:
    """Each everyday command's output, run in order on the demo workspace in `language`."""
    config = yaml.safe_load((root / "kaname.yaml").read_text(encoding="utf-8"))
    config["language"] = language
    config["alerts"] = [{"type": "threshold", "id": "cpa-high", "kpi": "cpa", "above": 1}]
    (root / "kaname.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    saved = wide()
    try:
        out: dict[str, str] = {}
        run(root, "samples")
        run(root, "import", "leads", str(root / "leads.csv"))
        out["mapping suggest"] = run(
            root, "mapping", "suggest", "opportunities", str(root / "opportunities.csv"),
            "--save", "sfa", "--out", str(root / "m.yaml"),
        )  # fmt: skip
        out["mapping list"] = run(root, "mapping", "list")
        bad = root / "bad.csv"
        bad.write_text("リードID,メールアドレス,作成日\nX-1,a@example.jp,notadate\n", "utf-8")
        run(root, "import", "leads", str(bad))
        runs = json.loads(run(root, "runs", "--json"))
        run_id = str(next(r["run_id"] for r in runs if r.get("file") == "bad.csv"))
        out["quarantine"] = run(root, "quarantine", run_id)
        out["quarantine csv"] = run(root, "quarantine", run_id, "--out", str(root / "q.csv"))
        out["score"] = run(root, "score")
        out["merge"] = run(root, "quality", "merge", "leads", "L-0001", "L-0002")
        out["merges"] = run(root, "quality", "merges")
        out["connect"] = run(root, "connect", "hubspot", "--set", "access_token=t", "--no-check")
        add = ["actions", "add", "ウェビナー週2回", "-k", "mqls", "--start", "2026-11-01"]
        add += ["--dimension", "channel=webinar", "--expected-lift", "10%"]
        out["actions add"] = run(root, *add, "--hypothesis", "回数を増やす")
        out["actions update"] = run(root, "actions", "update", "1", "--status", "check")
        decide = ["actions", "decide", "1", "standardise", "--learnings", "効果あり"]
        out["actions decide"] = run(root, *decide)
        out["actions show"] = run(root, "actions", "show", "1")
        out["actions search"] = run(root, "actions", "search", "ウェビナー")
        out["actions effect"] = run(root, "actions", "effect", "1")
        out["alerts check"] = run(root, "alerts", "check")
        (alert,) = json.loads(run(root, "alerts", "list", "--json"))
        out["alerts ack"] = run(root, "alerts", "ack", str(alert["id"]), "--by", "佐藤")
        out["alerts resolve"] = run(root, "alerts", "resolve", str(alert["id"]), "--by", "佐藤")
        out["report"] = run(root, "report", "-o", str(root / "r.html"))
        out["catalog export"] = run(
            root, "catalog", "export", "-o", str(root / "c.xlsx"), "-f", "xlsx"
        )
        plan = str(next((root / "plans").glob("*.yaml")))
        out["plan explain"] = run(root, "plan", "explain", plan)
        out["plan gap"] = run(root, "plan", "gap", plan, "--period", "2026-10")
        out["plan solve"] = run(root, "plan", "solve", plan)
        out["review"] = run(root, "review")
        return out
    finally:
        for console, width in saved:
            console.width = width  # type: ignore[attr-defined]


# What the user typed or named: tables, KPI ids and channels given as arguments, the mapping's
# and plan's names, the rule id of kaname.yaml, the lead keys merged, the workspace's own
# people and the files written.
TYPED = set(TABLES_BY_NAME) | {
    "sfa", "demo-fy2026", "cpa-high", "L-0001", "L-0002", "mqls", "webinar", "channel", "hubspot",
    "sync", "standardise", "m", "q", "r", "c", "bad", "samples", "access_token", "t",
}  # fmt: skip


def sample_words(root: Path) -> set[str]:
    """The Latin words in the sample files' cells: the user's own data (ids, stage values)."""
    words: set[str] = set()
    for path in root.glob("*.csv"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp932")
        words |= set(re.findall(r"[A-Za-z][\w-]*", text))
    return words


@pytest.fixture(scope="module")
def ja(demo_dir: Path) -> dict[str, str]:
    out = everyday(demo_dir, "ja")
    TYPED.update(sample_words(demo_dir))
    return out


COMMANDS = [
    "mapping suggest", "mapping list", "quarantine", "quarantine csv", "score", "merge", "merges",
    "connect", "actions add", "actions update", "actions decide", "actions show",
    "actions search", "actions effect", "alerts check", "alerts ack", "alerts resolve", "report",
    "catalog export", "plan explain", "plan gap", "plan solve", "review",
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_each_everyday_command_speaks_japanese(ja: dict[str, str], command: str) -> None:
    found = leaks(ja[command], TYPED)
    assert not found, (command, sorted(found), ja[command])


def test_the_japanese_wording(ja: dict[str, str]) -> None:
    assert "opportunities.csv → 商談" in ja["mapping suggest"]
    assert "商談作成日" in ja["mapping suggest"] and "created_at" not in ja["mapping suggest"]
    assert "として保存しました" in ja["mapping suggest"]
    assert "隔離したセル" in ja["quarantine"] and "作成日" in ja["quarantine"]
    assert "行を書き出しました" in ja["quarantine csv"]
    assert "をスコアリングしました" in ja["score"]
    assert "に統合しました" in ja["merge"] and "リード" in ja["merges"]
    assert "HubSpot に接続しました" in ja["connect"] and "kaname sync hubspot" in ja["connect"]
    assert "KPI: MQL数 (チャネル = ウェビナー)" in ja["actions add"]
    assert "期待する改善: +10%" in ja["actions add"] and "仮説: 回数を増やす" in ja["actions add"]
    assert "(評価)" in ja["actions update"]
    assert "標準化" in ja["actions decide"] and "学び: 効果あり" in ja["actions show"]
    assert "前後比較、週単位" in ja["actions effect"]
    assert "対応中にしました（佐藤）" in ja["alerts ack"]
    assert "解決済みにしました（佐藤）" in ja["alerts resolve"]
    assert "を書き出しました（" in ja["report"] and "バイト" in ja["catalog export"]
    assert "2026年11月" in ja["plan explain"] and "受注数" in ja["plan explain"]
    assert re.search(r"新規受注金額 2026年10月: 計画比 [+−]", ja["plan gap"])
    assert "計画のKGIは" in "".join(ja["plan gap"].split())
    assert "meets" not in ja["plan solve"] and "guideline" not in ja["plan solve"]
    assert "順調だった月" in ja["review"] and "相関は影響の" in "".join(ja["review"].split())


def test_an_english_workspace_hears_english(tmp_path: Path) -> None:
    import datetime as dt

    from kaname.demo import build_demo

    root = tmp_path / "demo"
    build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20)).close()
    en = everyday(root, "en")
    assert "opportunities.csv → opportunities" in en["mapping suggest"]
    assert "opened date" in en["mapping suggest"]
    assert "Scored " in en["score"] and "new MQLs at threshold" in en["score"]
    assert "Connected HubSpot; credentials stored encrypted." in en["connect"]
    assert "KPIs: MQLs" in en["actions add"] or "KPIs: " in en["actions add"]
    assert "Expected lift: +10%" in en["actions add"]
    assert "Alert 1 acknowledged by 佐藤." in en["alerts ack"]
    assert "Wrote " in en["report"] and " bytes)." in en["report"]
    assert "revenue" in en["plan explain"]  # English keeps the ids the commands take
    assert "Top bottleneck" in en["plan gap"] or "Every rate meets" in en["plan gap"]
    for command in ("score", "connect", "alerts resolve", "report", "catalog export", "merge"):
        assert not re.search(r"[ぁ-んァ-ン]", en[command].replace("佐藤", "")), en[command]
