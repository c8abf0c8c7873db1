"""The layering contract (pyproject [tool.importlinter], docs/development.md) holds for the
package as it is, and it catches an upward import or a cycle the moment one is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, "-c", LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=src,
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy_of_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("layers") / "src"
    shutil.copytree(
        ROOT / "src" / "kaname", src / "kaname", ignore=shutil.ignore_patterns("__pycache__")
    )
    return src


def test_the_package_keeps_its_layers(copy_of_src: Path) -> None:
    result = _lint_imports(copy_of_src)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_contract(copy_of_src: Path) -> None:
    probe = copy_of_src / "kaname" / "metrics" / "upward_probe.py"
    probe.write_text("from kaname.dashboard.core import clean  # metrics reaching up\n")
    try:
        result = _lint_imports(copy_of_src)
    finally:
        probe.unlink()
    assert result.returncode != 0
    assert "kaname.metrics.upward_probe -> kaname.dashboard.core" in result.stdout


def test_a_cycle_inside_a_package_breaks_the_contract(copy_of_src: Path) -> None:
    a = copy_of_src / "kaname" / "act" / "probe_a.py"
    b = copy_of_src / "kaname" / "act" / "probe_b.py"
    a.write_text("from kaname.act import probe_b  # noqa\n")
    b.write_text("from kaname.act import probe_a  # noqa\n")
    try:
        result = _lint_imports(copy_of_src)
    finally:
        a.unlink()
        b.unlink()
    assert result.returncode != 0
    assert "No cycles are allowed in kaname.act" in result.stdout
