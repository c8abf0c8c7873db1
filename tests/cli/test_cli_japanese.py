"""The CLI in a Japanese workspace on an 80-column terminal (issue 16, parts 5 and 9): tables
speak Japanese with no internal ids, names wrap instead of being cut, numbers and statuses are
never cut or wrapped, money reads in 万/億 and times in the workspace's time zone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from ja_text import leaks

from kaname.formatting import format_money, format_value

SRC = str(Path(__file__).resolve().parents[2] / "src")


def kaname(root: Path, *args: str) -> str:
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": SRC, "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-m", "kaname", *args, "-w", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def data_words(root: Path) -> set[str]:
    """The demo company's own names in Latin letters (its name, sales reps, campaigns)."""
    from kaname.workspace import Workspace

    ws = Workspace.open(root)
    try:
        words = set(re.findall(r"[A-Za-z][\w-]*", ws.config.name))
        con = ws.warehouse.con
        for table, column in (("leads", "owner"), ("opportunities", "owner")):
            got = con.table(table).select(column).distinct().to_pyarrow().column(0).to_pylist()
            words |= {str(v) for v in got if v}
        return words
    finally:
        ws.close()


def cells_text(text: str) -> str:
    """The text of a Rich table with each cell's folded lines joined again (a name folded at
    the column's edge continues on the next line), so a word is checked whole."""
    columns: dict[int, list[str]] = {}
    plain = []
    for line in text.splitlines():
        if not line.startswith(("│", "┃")):
            plain.append(line)
            continue
        for i, cell in enumerate(re.split(r"[│┃]", line)[1:-1]):
            content = cell[1:-1] if len(cell) >= 2 else cell
            parts = columns.setdefault(i, [])
            folded = bool(parts) and parts[-1].endswith("\x00")
            if folded:
                parts[-1] = parts[-1][:-1] + content.strip()
            else:
                parts.append(content.strip())
            if cell_len(content.rstrip()) == cell_len(content) and content.strip():
                parts[-1] += "\x00"  # filled to the edge: the cell goes on in the next line
    cells = [p.rstrip("\x00") for parts in columns.values() for p in parts]
    return "\n".join(plain + cells)


def fits(text: str) -> None:
    wide = [line for line in text.splitlines() if cell_len(line) > 80]
    assert not wide, wide[:3]
    assert "…" not in text  # nothing is cut short with an ellipsis


def test_kpis_at_80_columns(demo_dir: Path) -> None:
    out = kaname(demo_dir, "kpis")
    fits(out)
    assert "2026年11月 — 期間ビュー — 2026/11/20 時点" in out
    found = leaks(cells_text(out), data_words(demo_dir))
    assert not found, sorted(found)
    rows = json.loads(kaname(demo_dir, "kpis", "--json"))
    for r in rows:
        for key in ("actual", "target", "projection"):
            if r[key] is not None:
                assert format_value(r[key], r["unit"], "JPY", "ja") in out, (r["kpi"], key)
    statuses = {"順調", "注意", "未達", "目標なし", "データなし"}
    shown = [word for line in out.splitlines() for word in statuses if f"● {word}" in line]
    shown += [w for line in out.splitlines() for w in statuses if f"– {w}" in line]
    assert len(shown) == len(rows)  # one whole status a row, never wrapped onto two lines


def test_catalog_drops_columns_explicitly_and_wide_shows_them(demo_dir: Path) -> None:
    from kaname.metrics.catalog import builtin_catalog

    ids = {k.id for k in builtin_catalog()}
    out = kaname(demo_dir, "catalog")
    fits(out)
    assert "この幅では" in out and "--wide" in out and "計算式" in out.splitlines()[0]
    header = next(line for line in out.splitlines() if "名前" in line)
    assert "計算式" not in header
    found = leaks(cells_text(out), ids | {"ID"})  # the ID column: what the commands take
    assert not found, sorted(found)
    assert ids <= set(cells_text(out).split())  # ids are never folded nor cut
    wide = kaname(demo_dir, "catalog", "--wide")
    assert "この幅では" not in wide
    assert "計算式" in cells_text(wide) and "leads / sessions" in cells_text(wide)


def test_attribution_money_in_man_and_oku(demo_dir: Path) -> None:
    out = kaname(demo_dir, "attribution")
    fits(out)
    assert not leaks(cells_text(out)), sorted(leaks(cells_text(out)))
    rows = json.loads(kaname(demo_dir, "attribution", "--json"))
    for r in rows:
        assert format_money(r["value"], "JPY", "ja") in out
    assert not re.search(r"\d,\d{3},\d{3}\.\d\d", out)  # never 71,181,471.14
    compare = kaname(demo_dir, "attribution", "-m", "linear", "-m", "markov", "-m", "first_touch")
    fits(compare)
    assert not leaks(cells_text(compare)), sorted(leaks(cells_text(compare)))
    assert "マルコフ連鎖" in compare


def test_whatif_money_in_man_and_oku(demo_dir: Path) -> None:
    plan = next((demo_dir / "plans").glob("*.yaml"))
    out = kaname(demo_dir, "plan", "whatif", str(plan), "--set", "win_rate=0.3")
    fits(out)
    assert "新規受注金額" in out and "万円" in out
    assert not re.search(r"\d{3},\d{3}\.\d", out)  # never 191,164,500.0
    assert not leaks(cells_text(out)), sorted(leaks(cells_text(out)))


def test_runs_and_sources_in_japanese_and_local_time(demo_dir: Path) -> None:
    kaname(demo_dir, "refresh")
    runs = kaname(demo_dir, "runs")
    fits(runs)
    assert "JST" in runs and "UTC" not in runs
    assert not leaks(cells_text(runs)), sorted(leaks(cells_text(runs)))
    sources = kaname(demo_dir, "sources")
    fits(sources)
    assert "未接続" in sources
    assert not leaks(cells_text(sources)), sorted(leaks(cells_text(sources)))


@pytest.mark.parametrize("zone", ["Mars/Olympus", "JST+9"])
def test_an_unknown_time_zone_is_refused(tmp_path: Path, zone: str) -> None:
    from kaname.config import WorkspaceConfig

    with pytest.raises(ValueError, match="unknown time zone"):
        WorkspaceConfig(timezone=zone)
    assert WorkspaceConfig().timezone == "Asia/Tokyo"
