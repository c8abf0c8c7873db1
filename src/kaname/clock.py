"""The one clock. Every "today" in Kaname (the current period, pacing, what counts as to-date,
which report is due) comes from `Clock.today()`: the workspace's pinned `as_of` when it is set,
else the real date. Record timestamps (created_at, audit log, sync state, cooldowns) are wall-clock
instants from `utcnow()`: they say when something happened, not which business day it is.

Tests pin the workspace clock (`as_of` in kaname.yaml, which `build_demo(as_of=...)` writes), so no
test depends on the day it runs. `KANAME_TODAY=YYYY-MM-DD` pins an unpinned workspace from the
environment: CI uses it to run the date-sensitive tests at the turns of the calendar.
"""

from __future__ import annotations

import datetime as dt
import os

ENV_TODAY = "KANAME_TODAY"


def utcnow() -> dt.datetime:
    """The current instant in UTC, naive (how the stores keep timestamps)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def real_today() -> dt.date:
    """Today's date from the environment pin (`KANAME_TODAY`), else the system clock."""
    pinned = os.environ.get(ENV_TODAY, "").strip()
    if pinned:
        try:
            return dt.date.fromisoformat(pinned)
        except ValueError as exc:
            raise ValueError(f"{ENV_TODAY} must be a date like 2026-04-01, not {pinned!r}") from exc
    return dt.date.today()


class Clock:
    """A workspace's business date: `as_of` when pinned, else today's date."""

    def __init__(self, as_of: dt.date | None = None) -> None:
        self.as_of = as_of

    @property
    def pinned(self) -> bool:
        return self.as_of is not None

    def today(self) -> dt.date:
        return self.as_of or real_today()
