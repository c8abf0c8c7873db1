"""The Act commands end to end on the demo workspace."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from kaname.cli.main import app
from kaname.workspace import Workspace

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_alerts_actions_report_review_and_abtest(demo_ws: Workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = str(demo_ws.root)
    config = yaml.safe_load((demo_ws.root / "kaname.yaml").read_text(encoding="utf-8"))
    config["channels"] = [{"type": "in_app", "name": "app"}]
    config["language"] = "en"  # the alerts and actions below read the English wording
    config["alerts"] = [{"type": "threshold", "id": "cpa-high", "kpi": "cpa", "above": 1}]
    (demo_ws.root / "kaname.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    dry = json.loads(run("alerts", "check", "--dry-run", "--json", "-w", root))
    assert len(dry["candidates"]) == 1 and dry["new"] == []
    assert "1 new" in run("alerts", "check", "-w", root)
    (alert,) = json.loads(run("alerts", "list", "--json", "-w", root))
    assert "acknowledged by sato" in run(
        "alerts", "ack", str(alert["id"]), "--by", "sato", "-w", root
    )
    assert "resolved by sato" in run(
        "alerts", "resolve", str(alert["id"]), "--by", "sato", "-w", root
    )

    added = json.loads(
        run(
            "actions",
            "add",
            "Webinar series",
            "-k",
            "leads",
            "--start",
            "2026-08-31",
            "--end",
            "2026-11-15",
            "--dimension",
            "channel=webinar",
            "--expected-lift",
            "15%",
            "--json",
            "-w",
            root,
        )
    )
    assert added["dimension_value"] == "webinar"
    assert added["expected_lift"] == 0.15  # typed as people write it
    run("actions", "update", str(added["id"]), "--status", "check", "-w", root)
    found = json.loads(run("actions", "search", "webinar", "--json", "-w", root))
    assert [a["id"] for a in found] == [added["id"]]
    listed = json.loads(run("actions", "list", "--status", "check", "--json", "-w", root))
    assert [a["title"] for a in listed] == ["Webinar series"]
    assert "leads (before_after" in run("actions", "effect", str(added["id"]), "-w", root)
    run("actions", "decide", str(added["id"]), "modify", "--learnings", "too few", "-w", root)
    assert "modify" in run("actions", "show", str(added["id"]), "-w", root)

    out = tmp_path / "report.xlsx"
    config["language"] = "ja"  # the report in the demo's own language
    (demo_ws.root / "kaname.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    run("report", "--period", "2026-10", "--format", "xlsx", "--out", str(out), "-w", root)
    assert load_workbook(io.BytesIO(out.read_bytes())).sheetnames[0] == "サマリー"
    html = tmp_path / "catalog.html"
    run("catalog", "export", "--format", "html", "--out", str(html), "-w", root)
    assert "win_rate" in html.read_text(encoding="utf-8")

    assert "2026年度 第2四半期" in run("review", "-w", root)  # the workspace is Japanese again
    decided = run("review", "decide", "cpa", "change", "-w", root).replace("\n", "")
    assert "リード獲得単価（CPA） → 見直し" in decided
    ab = run(
        "abtest",
        "--a-conversions",
        "100",
        "--a-visitors",
        "2000",
        "--b-conversions",
        "140",
        "--b-visitors",
        "2000",
    )
    assert "Significant" in ab
