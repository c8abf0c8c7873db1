"""kaname import, mapping, quarantine, quality and score through the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from kaname.cli.main import app
from kaname.config import WorkspaceConfig
from kaname.workspace import Workspace

runner = CliRunner()
CSV = (
    "リードID,メールアドレス,流入経路,作成日\r\n"
    "L1,a@x.jp,展示会,2025/4/1\r\n"
    "L2,oops,謎,2025/4/2\r\n"
)


def _workspace(tmp_path: Path) -> tuple[str, Path]:
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(as_of=dt.date(2025, 4, 30), language="en"))
    ws.close()
    path = tmp_path / "leads.csv"
    path.write_bytes(CSV.encode("cp932"))
    return str(ws.root), path


def test_mapping_import_quarantine_quality_and_score(tmp_path: Path) -> None:
    ws, path = _workspace(tmp_path)
    out = tmp_path / "m.yaml"
    result = runner.invoke(
        app, ["mapping", "suggest", "leads", str(path), "-w", ws, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "メールアドレス: email" in out.read_text(encoding="utf-8")
    result = runner.invoke(
        app, ["import", "leads", str(path), "-m", str(out), "-w", ws, "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["dry_run"] is True
    report = tmp_path / "q.csv"
    result = runner.invoke(app, ["import", "leads", str(path), "-w", ws, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output and "not an e-mail address" in result.output
    assert report.read_bytes().startswith(b"\xef\xbb\xbfrow,column,value,reason")
    run_id = Workspace.open(Path(ws)).ingest.import_runs()[0]["run_id"]
    result = runner.invoke(app, ["quarantine", str(run_id), "-w", ws, "--json"])
    assert {r["column"] for r in json.loads(result.output)} == {"email", "channel"}
    result = runner.invoke(app, ["quality", "-w", ws, "--json"])
    assert result.exit_code == 0, result.output
    assert "empty_opportunities" in {f["id"] for f in json.loads(result.output)["findings"]}
    result = runner.invoke(app, ["score", "-w", ws, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["scored"] == 1


def test_import_errors_exit_2_with_the_fix(tmp_path: Path) -> None:
    ws, path = _workspace(tmp_path)
    result = runner.invoke(app, ["import", "nope", str(path), "-w", ws])
    assert result.exit_code == 2
    assert "unknown table" in result.output
    result = runner.invoke(app, ["quality", "merge", "leads", "L1", "L9", "-w", ws])
    assert result.exit_code == 2 and "no row with key" in result.output


def test_odd_files_exit_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    ws, _ = _workspace(tmp_path)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04broken")
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("lead_id,会社名\nL1,佐藤\n".encode() + "L2,佐藤\n".encode("cp932"))
    cases = {
        str(folder): "is a folder",
        str(broken): "not a readable Excel workbook",
        str(mixed): "line 3 is not",
    }
    for path, said in cases.items():
        for args in (["import", "leads", path], ["mapping", "suggest", "leads", path]):
            result = runner.invoke(app, [*args, "-w", ws])
            assert result.exit_code == 2, result.output
            text = " ".join(result.output.split())  # Rich wraps long lines
            assert said in text and "Traceback" not in text
            assert isinstance(result.exception, SystemExit)  # typer.Exit(2), nothing raised
