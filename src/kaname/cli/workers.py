"""`kaname serve --workers N`: several server processes on one port (uvicorn's own process
manager, which restarts a worker that dies).

Several workers need stores that several processes may share: the app DB on PostgreSQL and a
server warehouse (PostgreSQL, Spark…), never an embedded DuckDB file (one process alone may
write it) or a SQLite app DB (every sign-in would lock the file). `refusal()` says why in the
workspace's language. What one process used to keep in memory is shared through the app DB:
sessions (always there), failed sign-ins and login locks (store/throttle.py), the scheduler
lease (store/leases.py: one worker runs the scheduled work) and the version counters that make
every worker forget cached pages and sign-ins after a write (store/versions.py).

The main process writes the run file of the CLI beside the server (web/local.py) before it
starts the workers; each worker reads the local token from it, so the CLI may reach any worker.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kaname.cli.words import word
from kaname.config import WorkspaceConfig
from kaname.context import WorkspaceError
from kaname.store.warehouse import duckdb_path

ENV = "KANAME_SERVE_WORKER"
"""How the main process tells the workers what to serve (JSON: root, secure_cookies,
schedule); the local token is read from the run file, never passed in the environment."""


class WorkersRefused(WorkspaceError):
    """--workers above 1 on stores that only one process may use."""

    def __init__(self, english: str, japanese: str) -> None:
        super().__init__(english)
        self.ja = japanese


def refusal(config: WorkspaceConfig, root: Path, workers: int) -> WorkersRefused | None:
    """Why this workspace cannot be served by `workers` processes (None when it can)."""
    if workers <= 1:
        return None
    path = duckdb_path(config.warehouse_url, root)
    if path is not None:
        return _refused(
            "--workers {n} needs a server warehouse, but this workspace's warehouse is the "
            "embedded DuckDB file {path}: only one process may write it. Serve with one worker, "
            "or move the warehouse to PostgreSQL first (docs/deploy.md).",
            n=workers,
            path=path,
        )
    if config.app_db_url.startswith("sqlite"):
        return _refused(
            "--workers {n} needs the app DB on PostgreSQL, but this workspace's app DB is the "
            "SQLite file {path}: every sign-in and page write of every worker would lock that "
            "one file. Serve with one worker, or set app_db_url to PostgreSQL (docs/deploy.md).",
            n=workers,
            path=config.app_db_url.removeprefix("sqlite:///"),
        )
    return None


def _refused(text: str, **values: Any) -> WorkersRefused:
    return WorkersRefused(word(text, "en", **values), word(text, "ja", **values))


def settings(root: Path, secure_cookies: bool, schedule: bool) -> str:
    return json.dumps({"root": str(root), "secure_cookies": secure_cookies, "schedule": schedule})


def build_app(
    ws: Any, secure_cookies: bool, schedule: bool, shared: bool = False
) -> tuple[Any, Any]:
    """The web app of one server process, with the CLI runner and its scheduler (not started).
    `shared`: one of several workers (cli/workers.py)."""
    from kaname.cli.remote import runner
    from kaname.web.app import create_app
    from kaname.web.scheduler import Scheduler

    app = create_app(ws, secure_cookies=secure_cookies, shared=shared)
    app.state.local_cli = runner(ws)
    scheduler = Scheduler(ws, app.state.dashboard) if schedule else None
    return app, scheduler


def create_worker_app() -> Any:
    """One worker's application (uvicorn's app factory, called in each worker process). It is
    loaded as `kaname.cli.main:create_worker_app`, so every command is registered for the CLI
    runner first."""
    import atexit

    from kaname.web.local import run_file
    from kaname.workspace import Workspace

    given = json.loads(os.environ[ENV])
    ws = Workspace.open(Path(given["root"]))
    app, scheduler = build_app(
        ws, bool(given["secure_cookies"]), bool(given["schedule"]), shared=True
    )
    served = json.loads(run_file(ws.root).read_text(encoding="utf-8"))
    app.state.local_token = served["token"]
    app.state.server_pid = int(served["pid"])
    if scheduler is not None:
        scheduler.start()
        # Give the lease up when the worker stops, so another takes the scheduled work at once.
        app.router.add_event_handler("shutdown", scheduler.stop)
        atexit.register(scheduler.stop)
    return app
