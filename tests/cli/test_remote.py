"""How the CLI decides what a running server runs, and which files cross (cli/remote.py); the
commands themselves beside a real server are in test_cli_with_server.py."""

from __future__ import annotations

import inspect
import io
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console

from kaname.cli import remote
from kaname.cli.main import app
from kaname.web.local import run_file


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    subs = getattr(command, "commands", None) or {}
    out = [(path, command)] if not subs or getattr(command, "invoke_without_command", 0) else []
    for name, sub in subs.items():
        out += _leaves(sub, (*path, name))
    return out


def test_every_file_parameter_of_a_forwarded_command_is_uploaded_or_sent_back() -> None:
    """A command run by the server reads and writes the server's files: a path parameter not
    classified as read or written would name a file the server cannot see."""
    unclassified = []
    for path, command in _leaves(typer.main.get_command(app)):
        if remote._is_local(list(path)):
            continue
        function = inspect.unwrap(command.callback)
        for name, param in inspect.signature(function).parameters.items():
            if name == "workspace" or "Path" not in str(param.annotation):
                continue
            if name not in remote.INPUT_PARAMS + remote.OUTPUT_PARAMS:
                unclassified.append((" ".join(path), name))
    assert not unclassified, f"add these to INPUT_PARAMS or OUTPUT_PARAMS: {unclassified}"


def test_files_are_replaced_by_placeholders_and_the_workspace_option_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("leads.csv").write_bytes("リードID\r\nL1\r\n".encode("cp932"))
    group = typer.main.get_command(app)
    args = ["import", "leads", "./leads.csv", "-w", "/somewhere", "--report=out/q.csv", "--json"]
    path, command, rest = remote._command(group, args)
    assert path == ["import"]
    params = command.make_context("kaname import", list(rest)).params
    sent, inputs, outputs, targets = remote._rewrite(rest, params)
    assert sent == ["leads", "kaname-local:in:0", "--report=kaname-local:out:0", "--json"]
    assert inputs == [("leads.csv", "リードID\r\nL1\r\n".encode("cp932"))]
    assert outputs == [{"name": "q.csv", "shown": "out/q.csv"}]
    assert targets == {"0": Path("out/q.csv")}


def test_without_a_live_server_every_command_runs_here(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".kaname").mkdir(parents=True)
    (root / "kaname.yaml").write_text("language: en\n", encoding="utf-8")
    assert remote.forward(["kpis", "-w", str(root)]) is None  # no run file
    run_file(root).write_text(
        json.dumps(
            {"pid": 2**22 + 12345, "host": "", "address": "127.0.0.1", "port": 1, "token": "t"}
        )
    )
    assert remote.forward(["runs", "-w", str(root)]) is None  # another host, not answering
    # commands that create or serve a workspace, ask at the terminal, or only print help
    for local in (["init", "x"], ["users", "list"], ["connect", "hubspot"], ["kpis", "--help"]):
        assert remote.forward([*local, "-w", str(root)]) is None


def test_messages_name_a_written_file_as_it_was_typed() -> None:
    console = Console(file=io.StringIO(), width=30, color_system=None)
    console.push_render_hook(remote._AsTyped({"/srv/ws/.kaname/uploads/cli-1/out0/q.csv": "q.csv"}))
    console.print("Wrote 3 lines to /srv/ws/.kaname/uploads/cli-1/out0/q.csv.")
    assert console.file.getvalue() == "Wrote 3 lines to q.csv.\n"  # type: ignore[attr-defined]
