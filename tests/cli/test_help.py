"""`kaname --help` by the loop, without `<bool>` on flags, in the workspace's language."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kaname.cli.loop import PANEL_OF
from kaname.cli.main import app

runner = CliRunner()


def test_every_command_has_a_loop_panel() -> None:
    names = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert names == set(PANEL_OF), names ^ set(PANEL_OF)


def test_help_is_grouped_by_the_loop_and_flags_show_no_bool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KANAME_WORKSPACE", raising=False)
    text = runner.invoke(app, ["--help"], env={"COLUMNS": "120"}).output
    order = [text.index(f"─ {panel} ") for panel in ("Design", "Connect", "Compute", "See", "Act")]
    assert order == sorted(order)
    kpis = runner.invoke(app, ["kpis", "--help"], env={"COLUMNS": "120"}).output
    assert "<bool>" not in kpis and "<period|cohort>" in kpis


def test_help_and_errors_follow_the_workspace_language(tmp_path: Path) -> None:
    (tmp_path / "kaname.yaml").write_text("language: ja\n", encoding="utf-8")
    env = {"COLUMNS": "120", "KANAME_WORKSPACE": str(tmp_path)}
    text = runner.invoke(app, ["--help"], env=env).output
    assert "設計（Design）" in text and "オプション" in text
    kpis = runner.invoke(app, ["kpis", "--help", "-w", str(tmp_path)], env=env).output
    assert "表の代わりに JSON を出力します。" in kpis
    env["KANAME_WORKSPACE"] = str(tmp_path / "elsewhere")
    english = runner.invoke(app, ["--help"], env=env).output
    assert "─ Design " in english and "オプション" not in english
