"""The README's Quickstart, run as written: every `$ kaname …` line of its console block, in a
temporary folder, each a separate `python -m kaname` process that must exit 0.

Two lines differ from the README: `kaname demo` builds a small company pinned to the suite's day
(`--scale 0.03 --as-of 2026-11-20 --no-serve`; at 0.01 October has no deal for `plan gap` to
split), and `kaname serve` is skipped because it runs until stopped (the web tests cover it)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import kaname

README = Path(__file__).parents[2] / "README.md"
DEMO = ["demo", "--scale", "0.03", "--as-of", "2026-11-20", "--no-serve"]


def quickstart_commands() -> list[str]:
    """The command of each `$ ` line of the Quickstart's console block, comments removed."""
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, "README.md's Quickstart has no console block"
    lines = [line[2:] for line in block.group(1).splitlines() if line.startswith("$ ")]
    return [re.sub(r"\s+#.*$", "", line).strip() for line in lines]


def test_the_quickstart_block_is_found() -> None:
    commands = quickstart_commands()
    assert commands[0].startswith("kaname demo") and "--no-serve" in commands[0]
    assert "kaname import leads leads.csv --dry-run" in commands


@pytest.mark.slow
def test_every_readme_quickstart_command_runs(tmp_path: Path) -> None:
    cwd = tmp_path
    # The subprocesses run this kaname even where PYTHONPATH is relative (it is, from the cwd).
    src = str(Path(kaname.__file__).parents[1])
    env = {**os.environ, "COLUMNS": "120", "PYTHONPATH": src}
    env.pop("KANAME_WORKSPACE", None)
    for command in quickstart_commands():
        words = shlex.split(command)
        if words[0] == "cd":
            cwd = cwd / words[1]
            continue
        assert words[0] == "kaname", command
        args = words[1:]
        if args[0] == "serve":
            continue  # blocks until stopped
        if args[0] == "demo":
            args = DEMO
        out = None
        if ">" in args:
            at = args.index(">")
            out, args = cwd / args[at + 1], args[:at]
        done = subprocess.run(
            [sys.executable, "-m", "kaname", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout.decode()}\n{done.stderr.decode()}"
        if out is not None:
            out.write_bytes(done.stdout)
