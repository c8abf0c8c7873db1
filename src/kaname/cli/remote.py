"""The CLI beside a running `kaname serve`: commands go through the server.

The server owns the warehouse while it runs (shared/ARCHITECTURE.md). When a command would
open a workspace that a live server holds (its run file `.kaname/server.json`, web/local.py),
`forward()` sends the command line to the server instead of running it here: the files the
command reads are uploaded, the files it writes come back, and what it prints, its progress and
its exit code are this process's. On the server, `run_here()` runs the same command with the
server's open workspace, so both ways share every line of the command's code. Without a running
server nothing changes.

`LOCAL_COMMANDS` run here even beside a server: they create workspaces or serve them, print
what needs no workspace, or ask for secrets at the terminal and write only the app DB (users,
connector credentials), which SQLite and PostgreSQL share between processes
(docs/decisions.md).
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, ConsoleRenderable, RenderHook
from rich.text import Text

from kaname.cli.common import in_server, serving
from kaname.cli.loop import LoopGroup, tr
from kaname.cli.render import Routed, console, err_console, progress_bar, routed

LOCAL_COMMANDS = (
    ("init",),
    ("demo",),
    ("version",),
    ("samples",),
    ("serve",),
    ("bench",),
    ("users",),
    ("connect",),
    ("plan", "schema"),
)
INPUT_PARAMS = ("file", "mapping")
"""Path parameters whose files the command reads: uploaded to the server."""
OUTPUT_PARAMS = ("out", "report")
"""Path parameters of files the command writes: written here from what the server sends."""
HELP = ("--help",)


def _command(group: Any, args: Sequence[str]) -> tuple[list[str], Any, list[str]]:
    """The command's name words, the command and the arguments after its name."""
    path: list[str] = []
    command = group
    rest = list(args)
    while rest and hasattr(command, "commands") and rest[0] in command.commands:
        command = command.commands[rest[0]]
        path.append(rest.pop(0))
    return path, command, rest


def _is_local(path: list[str]) -> bool:
    return not path or any(tuple(path[: len(p)]) == p for p in LOCAL_COMMANDS)


def _workspace_root(params: dict[str, Any]) -> Path:
    import os

    chosen = params.get("workspace") or os.environ.get("KANAME_WORKSPACE") or "."
    return Path(chosen).resolve()


def _terminal() -> dict[str, Any]:
    """How this terminal shows output, so the server renders it as it would be shown here."""
    return {
        "width": console.width,
        "color_system": console.color_system,
        "is_terminal": console.is_terminal,
        "err_width": err_console.width,
        "err_color_system": err_console.color_system,
        "err_is_terminal": err_console.is_terminal,
        "encoding": console.encoding,
    }


def _rewrite(
    rest: list[str], params: dict[str, Any]
) -> tuple[list[str], list[tuple[str, bytes]], list[dict[str, str]], dict[str, Path]]:
    """The arguments with --workspace left out (the server names its own) and file paths
    replaced by placeholders; the files to upload, the files to get back and where they go."""
    args: list[str] = []
    skip = False
    for arg in rest:
        if skip:
            skip = False
            continue
        if arg in ("--workspace", "-w"):
            skip = True
            continue
        if arg.startswith("--workspace="):
            continue
        args.append(arg)
    inputs: list[tuple[str, bytes]] = []
    outputs: list[dict[str, str]] = []
    targets: dict[str, Path] = {}
    for name, value in params.items():
        if not isinstance(value, Path) or name not in INPUT_PARAMS + OUTPUT_PARAMS:
            continue
        if name in INPUT_PARAMS and not value.is_file():
            continue  # the command says the file is missing, as it does without a server
        found = _token_of(args, value)
        if found is None:  # given in a form not recognised (-mFILE): the server reads it as is
            continue
        i, option, typed = found
        if name in INPUT_PARAMS:
            placeholder = f"kaname-local:in:{len(inputs)}"
            inputs.append((value.name, value.read_bytes()))
        else:
            placeholder = f"kaname-local:out:{len(outputs)}"
            targets[str(len(outputs))] = value
            outputs.append({"name": value.name, "shown": typed})
        args[i] = option + placeholder
    return args, inputs, outputs, targets


def _token_of(args: list[str], value: Path) -> tuple[int, str, str] | None:
    """Where a path parameter's value is in the arguments: (index, `--option=` or '', the path
    as typed)."""
    for i, arg in enumerate(args):
        option, eq, tail = arg.partition("=")
        if not arg.startswith("-") and Path(arg) == value:
            return i, "", arg
        if eq and option.startswith("--") and tail and Path(tail) == value:
            return i, option + "=", tail
    return None


_app: list[typer.Typer] = []


def register(app: typer.Typer) -> None:
    """Send the commands of `app` to a running server when one holds their workspace."""
    _app[:] = [app]
    LoopGroup.beside_server = staticmethod(forward)


def forward(args: Sequence[str]) -> int | None:
    """Run the command in the server that holds its workspace; its exit code, or None when it
    is to run here (no server, a local command, help, arguments that do not parse, or this is
    the server itself)."""
    if in_server() or not _app:
        return None
    group = typer.main.get_command(_app[0])
    path, command, rest = _command(group, args)
    if _is_local(path) or any(a in HELP for a in args):
        return None
    if hasattr(command, "commands") and (
        not getattr(command, "invoke_without_command", False)
        or (rest and not rest[0].startswith("-"))
    ):  # a group's help, or a command name that does not exist: said here
        return None
    try:
        ctx = command.make_context(" ".join(["kaname", *path]), list(rest))
    except Exception:  # a usage error: shown here, as without a server
        return None
    params = dict(ctx.params)
    from kaname.web.local import find_server

    server = find_server(_workspace_root(params))
    if server is None:
        return None
    rest_args, inputs, outputs, targets = _rewrite(rest, params)
    return _run(server, [*path, *rest_args], inputs, outputs, targets)


def _run(
    server: Any,
    argv: list[str],
    inputs: list[tuple[str, bytes]],
    outputs: list[dict[str, str]],
    targets: dict[str, Path],
) -> int:
    import httpx

    result: dict[str, Any] = {"exit": 1, "files": {}}
    with ExitStack() as stack:
        bar: list[Any] = []

        def on_event(event: dict[str, Any]) -> None:
            if "out" in event:
                sys.stdout.write(event["out"])
                sys.stdout.flush()
            elif "err" in event:
                sys.stderr.write(event["err"])
                sys.stderr.flush()
            elif event.get("progress") == "start":
                bar.append(stack.enter_context(progress_bar(event["description"])))
            elif event.get("progress") == "update" and bar:
                bar[-1](event["label"], event["done"], event["total"])
            elif event.get("progress") == "end":
                stack.close()
                bar.clear()
            elif "exit" in event:
                result.update(event)

        try:
            server.run(argv, _terminal(), inputs, outputs, on_event)
        except BrokenPipeError:  # `| head`: quiet, as typer is without a server
            return 1
        except httpx.HTTPError as exc:
            stack.close()
            err_console.print(
                f"[bold red]{tr('Error:')}[/] "
                + tr(
                    "The running server (`kaname serve`) did not take the command: {error}"
                ).format(error=exc)
            )
            return 2
    for key, data in result["files"].items():
        target = targets.get(str(key))
        if target is not None:
            target.write_bytes(base64.b64decode(data))
    return int(result["exit"])


# ---------------------------------------------------------------------- in the server
class _Stream:
    """A file for Rich that sends each write to the CLI as an event."""

    def __init__(self, emit: Any, key: str, encoding: str) -> None:
        self.emit = emit
        self.key = key
        self.encoding = encoding  # Rich draws ASCII boxes where the terminal has no UTF-8

    def write(self, text: str) -> int:
        if text:
            self.emit({self.key: text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _AsTyped(RenderHook):
    """Texts name the files the command writes as the user typed them, not as the server's
    copies (before Rich wraps the lines, so the wrapping is the same as without a server)."""

    def __init__(self, shown: dict[str, str]) -> None:
        self.shown = {real: typed for real, typed in shown.items() if real}

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [self._swap(r) if isinstance(r, Text) else r for r in renderables]

    def _swap(self, text: Text) -> Text:
        for real, typed in self.shown.items():
            while (at := text.plain.find(real)) >= 0:
                text = text[:at] + Text(typed) + text[at + len(real) :]
        return text


def _console(emit: Any, terminal: dict[str, Any], prefix: str, key: str) -> Console:
    color = terminal.get(f"{prefix}color_system")
    return Console(
        file=_Stream(emit, key, str(terminal.get("encoding") or "utf-8")),  # type: ignore[arg-type]
        width=max(20, min(int(terminal.get(f"{prefix}width") or 80), 1000)),
        color_system=color if color in ("standard", "256", "truecolor", "windows") else None,
        force_terminal=bool(terminal.get(f"{prefix}is_terminal")),
        force_interactive=False,
        legacy_windows=False,
        stderr=key == "err",
    )


def runner(ws: Any) -> Any:
    """The server's CLI runner (web/local.py's CliRunner) for the workspace it serves."""

    def run_here(
        argv: list[str], terminal: dict[str, Any], shown: dict[str, str], emit: Any
    ) -> int:
        group = typer.main.get_command(_app[0])
        path, command, rest = _command(group, argv)
        if _is_local(path):  # the CLI runs these itself; never here
            emit({"err": f"{' '.join(path)}: not run by the server\n"})
            return 2
        if any(getattr(p, "name", "") == "workspace" for p in command.params):
            rest = ["--workspace", str(ws.root), *rest]
        out = _console(emit, terminal, "", "out")
        err = _console(emit, terminal, "err_", "err")
        for target in (out, err):
            target.push_render_hook(_AsTyped(shown))
        with routed(Routed(out, err, emit)), serving(ws):
            try:
                code = group.main(args=[*path, *rest], prog_name="kaname", standalone_mode=False)
            except typer.Abort:
                return 1
            except typer.exceptions.TyperException as exc:  # click's errors (bad parameter)
                describe = getattr(exc, "format_message", None)
                message = describe() if callable(describe) else str(exc)
                err.print(f"Error: {message}", markup=False, highlight=False)
                return int(getattr(exc, "exit_code", 1))
        return code if isinstance(code, int) else 0

    return run_here
