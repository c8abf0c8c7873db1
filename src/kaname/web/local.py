"""The CLI beside a running server: a run file, a local token and one route.

`kaname serve` owns the warehouse (shared/ARCHITECTURE.md), so a CLI command run meanwhile
would find it locked. Instead the server writes `.kaname/server.json` in the workspace when it
starts (its pid, port and a random token; mode 0600; removed when it stops) and takes CLI
commands on `POST /api/local/cli`: the CLI (cli/remote.py) sends its command line and the files
it reads, the server runs the same command in its own process under the warehouse lock, in a
job thread as it runs its syncs, and streams back what the command prints, its progress, the
files it wrote and its exit code.

The local token is not a user API token: it opens `/api/local/` only, from this machine only
(a loopback peer, or the server's own address, and no proxy headers), and acts as an admin
named `cli` (what the CLI always was). It is never printed or logged. This module is the server
side and the client side (`find_server`, `LocalServer.run`); the command runner itself is
injected by the CLI (`app.state.local_cli`), since web does not import cli.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import ipaddress
import json
import logging
import os
import queue
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile

from kaname.auth.accounts import Principal
from kaname.dashboard import Dashboard
from kaname.store.runs import owner_alive, this_process
from kaname.web.deps import dashboard
from kaname.web.i18n import translator
from kaname.web.security import Caller

log = logging.getLogger("kaname.web.local")

LOCAL_PREFIX = "/api/local/"
RUN_FILE = Path(".kaname") / "server.json"
PLACEHOLDER = re.compile(r"kaname-local:(in|out):(\d+)")
"""How the CLI marks a file argument: the server puts the path of the uploaded file (in) or of
the file the command is to write (out) in its place."""
FORWARDED_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
LOCAL_CLI_USER = "cli"

Emit = Callable[[dict[str, Any]], None]
CliRunner = Callable[[list[str], dict[str, Any], dict[str, str], Emit], int]
"""(argv, terminal, shown, emit) → exit code: runs one `kaname` command line in this process,
printing each path of `shown` (the server's copy of a file) as the CLI's user typed it."""


# ---------------------------------------------------------------------- the run file
def run_file(root: Path) -> Path:
    return root / RUN_FILE


def write_run_file(root: Path, host: str, port: int) -> str:
    """Record this server in the workspace; returns its new local token. The file is created
    readable by this user only, before any secret is written into it."""
    path = run_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    me = this_process()
    data = {
        "pid": me.pid,
        "host": me.host,
        "process_token": me.token,
        "address": connect_address(host),
        "port": port,
        "token": token,
    }
    temp = path.with_name(f".server.{me.pid}.json")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(temp, path)
    return token


def remove_run_file(root: Path, token: str) -> None:
    """Remove the run file if it is still this server's (another may have replaced it)."""
    path = run_file(root)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("token") == token:
            path.unlink()


def connect_address(host: str) -> str:
    """Where a CLI on this machine reaches a server listening on `host`."""
    if host in ("", "0.0.0.0", "localhost"):
        return "127.0.0.1"
    if host.strip("[]") == "::":
        return "::1"
    return host.strip("[]")


@dataclass(frozen=True)
class LocalServer:
    """A running `kaname serve` of a workspace, as its run file describes it."""

    address: str
    port: int
    token: str
    pid: int

    @property
    def url(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"http://{host}:{self.port}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def ping(self, timeout: float = 5.0) -> bool:
        try:
            answer = httpx.get(
                f"{self.url}{LOCAL_PREFIX}ping", headers=self.headers(), timeout=timeout
            )
        except httpx.HTTPError:
            return False
        return answer.status_code == 200 and answer.json().get("pid") == self.pid

    def run(
        self,
        argv: list[str],
        terminal: dict[str, Any],
        inputs: list[tuple[str, bytes]],
        outputs: list[dict[str, str]],
        on_event: Emit,
    ) -> None:
        """Send a command line and stream its events (out, err, progress, then exit) to
        `on_event`. Raises httpx.HTTPError when the server cannot be reached or refuses."""
        files = [("inputs", (name, data, "application/octet-stream")) for name, data in inputs]
        form = {
            "argv": json.dumps(argv),
            "terminal": json.dumps(terminal),
            "outputs": json.dumps(outputs),
        }
        timeout = httpx.Timeout(10.0, read=None)
        with httpx.stream(
            "POST",
            f"{self.url}{LOCAL_PREFIX}cli",
            headers=self.headers(),
            data=form,
            files=files or None,
            timeout=timeout,
        ) as answer:
            if answer.status_code != 200:
                answer.read()
                try:
                    message = answer.json().get("error", answer.text)
                except ValueError:
                    message = answer.text
                raise httpx.HTTPStatusError(message, request=answer.request, response=answer)
            for line in answer.iter_lines():
                if line.strip():
                    on_event(json.loads(line))


def find_server(root: Path, wait: float = 10.0) -> LocalServer | None:
    """The server running on this workspace, or None. A run file whose process is gone is
    removed; a live process that does not answer yet (starting) is waited for up to `wait`
    seconds."""
    import time

    path = run_file(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        server = LocalServer(
            str(data["address"]), int(data["port"]), str(data["token"]), int(data["pid"])
        )
        alive = owner_alive(str(data["host"]), server.pid, str(data.get("process_token", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if alive is False:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    deadline = time.monotonic() + wait
    while True:
        if server.ping():
            return server
        if alive is None or time.monotonic() > deadline:
            return None
        time.sleep(0.2)


# ---------------------------------------------------------------------- the server side
def local_principal(language: str) -> Principal:
    return Principal(0, LOCAL_CLI_USER, LOCAL_CLI_USER, "admin", "executive", language)


def local_caller(request: Request) -> Caller | None:
    """The caller of an /api/local/ request: the CLI when it sends this server's token."""
    expected: str | None = getattr(request.app.state, "local_token", None)
    auth = request.headers.get("authorization", "")
    if not expected or not auth.lower().startswith("bearer "):
        return None
    if not hmac.compare_digest(auth[7:].strip().encode(), expected.encode()):
        return None
    language = request.app.state.ws.config.language
    return Caller(local_principal(language), "local")


def from_this_machine(request: Request) -> bool:
    """A peer on this machine (loopback, or the server's own address) that came straight here,
    not through a proxy."""
    if any(request.headers.get(h) for h in FORWARDED_HEADERS):
        return False
    peer = request.client.host if request.client else ""
    server = request.scope.get("server") or ("", 0)
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return address.is_loopback or peer == server[0]


class NotLocal(Exception):
    """An /api/local/ request without the local token, or from another machine."""


async def local_cli(request: Request) -> Caller:
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None or caller.via != "local" or not from_this_machine(request):
        raise NotLocal()
    return caller


router = APIRouter(include_in_schema=False)
Local = Annotated[Caller, Depends(local_cli)]
Dash = Annotated[Dashboard, Depends(dashboard)]


def refuse(request: Request) -> Response:
    _ = translator(getattr(request.state, "language", "ja"))
    message = _("This route takes the CLI of this machine only.")
    return JSONResponse({"error": message}, status_code=403)


@router.get("/api/local/ping")
def ping(request: Request, who: Local) -> dict[str, Any]:
    """The pid of the run file: this process, or the main process of several workers."""
    return {"pid": getattr(request.app.state, "server_pid", None) or os.getpid()}


@router.post("/api/local/cli")
async def run_cli(request: Request, who: Local, dash: Dash) -> Response:
    runner: CliRunner | None = getattr(request.app.state, "local_cli", None)
    if runner is None:
        return refuse(request)
    form = await request.form()
    try:
        argv = [str(a) for a in json.loads(str(form.get("argv", "[]")))]
        terminal = dict(json.loads(str(form.get("terminal", "{}"))))
        outputs = [dict(o) for o in json.loads(str(form.get("outputs", "[]")))]
    except (ValueError, TypeError):
        return JSONResponse({"error": "argv, terminal and outputs must be JSON"}, 400)
    folder = dash.ws.root / ".kaname" / "uploads" / f"cli-{secrets.token_hex(8)}"
    inputs = [f for f in form.getlist("inputs") if isinstance(f, UploadFile)]
    paths: dict[str, Path] = {}
    for i, upload in enumerate(inputs):
        path = folder / f"in{i}" / _safe_name(upload.filename or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(await upload.read())
        paths[f"in:{i}"] = path
    for i, out in enumerate(outputs):
        path = folder / f"out{i}" / _safe_name(str(out.get("name", "")))
        path.parent.mkdir(parents=True, exist_ok=True)
        paths[f"out:{i}"] = path
    real = [PLACEHOLDER.sub(lambda m: str(paths.get(f"{m[1]}:{m[2]}", m[0])), a) for a in argv]
    shown = {str(paths[f"out:{i}"]): str(out.get("shown", "")) for i, out in enumerate(outputs)}
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()
    job = threading.Thread(
        target=_job,
        args=(request, dash, runner, real, terminal, shown, paths, folder, events),
        name="kaname-cli",
        daemon=True,
    )
    job.start()

    def stream() -> Iterator[str]:
        while (event := events.get()) is not None:
            yield json.dumps(event, ensure_ascii=False) + "\n"

    return StreamingResponse(stream(), media_type="application/x-ndjson")


def _job(
    request: Request,
    dash: Dashboard,
    runner: CliRunner,
    argv: list[str],
    terminal: dict[str, Any],
    shown: dict[str, str],
    paths: dict[str, Path],
    folder: Path,
    events: queue.Queue[dict[str, Any] | None],
) -> None:
    """Run one command under the warehouse lock, as the server runs its own jobs; then forget
    cached pages (the command may have written) and send the files it wrote."""

    def emit(event: dict[str, Any]) -> None:
        for key in ("out", "err"):
            if key in event:
                text = str(event[key])
                for real, original in shown.items():
                    text = text.replace(real, original)
                event = {**event, key: text}
        events.put(event)

    code = 1
    try:
        with dash.lock:
            code = runner(argv, terminal, shown, emit)
    except Exception:  # the command's own errors are its output; this is a bug: log it
        log.exception("CLI command in the server failed")
        _ = translator(dash.ws.config.language)
        emit({"err": _("Something went wrong on the server. The error is in the server log.")})
    finally:
        dash.invalidate()
        files = {
            key.removeprefix("out:"): base64.b64encode(path.read_bytes()).decode()
            for key, path in paths.items()
            if key.startswith("out:") and path.is_file()
        }
        with contextlib.suppress(Exception):
            request.app.state.accounts.audit(
                LOCAL_CLI_USER, "cli.run", _command_path(argv), None, {"exit": code}
            )
        shutil.rmtree(folder, ignore_errors=True)
        events.put({"exit": code, "files": files})
        events.put(None)


def _command_path(argv: list[str]) -> str:
    """The command's name words (`plan apply`), without its values (they may be secrets)."""
    words = []
    for arg in argv:
        if arg.startswith("-") or "/" in arg or "." in arg:
            break
        words.append(arg)
    return " ".join(words[:2])


def _safe_name(name: str) -> str:
    """A file's own name, without folders; `file` when nothing usable is left."""
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "file"
