"""Who runs a recorded job (a refresh, an import), and whether that process still lives.

A run row is written `running` when the job starts and finished (`ok`, `failed`) when it ends.
A process killed in between leaves `running` behind. Each run therefore records its owner:
the host, the process id and a token of the process's start (so a recycled pid is not taken
for the old process). A `running` row whose owner is gone from this host is stale: it is
marked `interrupted`, and the next run of its kind makes good what it left undone. A row
started on another host cannot be judged from here and stays `running` (docs/decisions.md).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

RUNNING, OK, FAILED, INTERRUPTED = "running", "ok", "failed", "interrupted"
UNFINISHED = (FAILED, INTERRUPTED)
"""A run that ended without doing all its work."""


class RunOwner:
    """Columns of a run table naming the process that runs it (a declarative mixin)."""

    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    process_token: Mapped[str] = mapped_column(String(64), default="")

    def claim(self) -> None:
        """Record the current process as this run's owner."""
        me = this_process()
        self.host, self.pid, self.process_token = me.host, me.pid, me.token


@dataclass(frozen=True)
class Process:
    host: str
    pid: int
    token: str


def _proc_stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first); None off Linux or
    when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return ""


def _token(pid: int | str) -> str:
    """The boot and start time of a process (Linux); '' where the platform does not say."""
    fields = _proc_stat(pid)
    return f"{_boot_id()}:{fields[19]}" if fields and len(fields) > 19 else ""


def this_process() -> Process:
    return Process(socket.gethostname(), os.getpid(), _token("self"))


def owner_alive(host: str, pid: int | None, token: str) -> bool | None:
    """True when the process that owns a run still runs, False when it is gone (or its pid now
    belongs to another process), None when this host cannot tell (another host; Windows)."""
    if pid is None:  # written before runs named their owner: nobody can still be running it
        return False
    if host != socket.gethostname() or os.name == "nt":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    fields = _proc_stat(pid)
    if fields is None:
        return not Path("/proc/self/stat").exists()  # Linux: gone since; elsewhere: alive
    if fields[0] in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    return not token or _token(pid) == token


def is_stale(run: Any) -> bool:
    """A `running` run whose process is known to be gone."""
    return bool(
        run.status == RUNNING and owner_alive(run.host, run.pid, run.process_token) is False
    )


def shown_status(run: Any) -> str:
    """The status to show: `interrupted` for a stale run not yet marked so."""
    return INTERRUPTED if is_stale(run) else str(run.status)


def mark_stale(session: Session, model: type[Any]) -> list[Any]:
    """Mark the stale `running` runs of `model` interrupted; the runs marked."""
    rows = session.execute(select(model).where(model.status == RUNNING)).scalars().all()
    stale = [run for run in rows if is_stale(run)]
    for run in stale:
        run.status = INTERRUPTED
    return stale


def recent_runs(
    session: Session, model: type[Any], limit: int, **fields: str
) -> list[dict[str, Any]]:
    """The newest `limit` runs of `model`, newest first, as dicts: run_id, status (as shown),
    message, started_at, finished_at, owner (pid@host) and each of `fields` (key = column)."""
    rows = session.execute(select(model).order_by(model.id.desc()).limit(limit)).scalars()
    return [
        {
            "run_id": r.id,
            **{key: getattr(r, column) for key, column in fields.items()},
            "status": shown_status(r),
            "message": r.message,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "owner": f"{r.pid}@{r.host}" if r.pid else "",
        }
        for r in rows
    ]
