"""What several server processes share through the app DB (store/leases.py, versions.py,
throttle.py), each process with its own connection to the same database, as two workers have."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaname.store import leases, throttle, versions
from kaname.store.appdb import AppDB


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[AppDB, AppDB]]:
    url = f"sqlite:///{tmp_path / 'kaname.db'}"
    first, second = AppDB(url), AppDB(url)
    first.upgrade()
    yield first, second
    first.dispose()
    second.dispose()


def test_one_holder_at_a_time_and_a_dead_holder_is_replaced(two: tuple[AppDB, AppDB]) -> None:
    a, b = two
    assert leases.take(a, "scheduler", "host:1:x", 60)
    assert not leases.take(b, "scheduler", "host:2:y", 60)  # a holds it
    assert leases.take(a, "scheduler", "host:1:x", 60)  # a renews it
    assert leases.holder(b, "scheduler") == "host:1:x"
    # a process known to be gone loses its lease at once
    assert leases.take(b, "scheduler", "host:2:y", 60, dead="host:1:x")
    assert leases.holder(a, "scheduler") == "host:2:y"
    assert not leases.take(a, "scheduler", "host:1:x", 60)
    # a lease that ran out is free for anyone
    with b.session() as s:
        row = s.get(leases.Lease, "scheduler")
        assert row is not None
        row.expires_at = dt.datetime(2000, 1, 1)
    assert leases.holder(a, "scheduler") is None
    assert leases.take(a, "scheduler", "host:1:x", 60)
    # a holder that stops gives the lease up
    leases.release(a, "scheduler", "host:1:x")
    assert leases.take(b, "scheduler", "host:2:y", 60)


def test_versions_count_every_change_from_any_process(two: tuple[AppDB, AppDB]) -> None:
    a, b = two
    assert versions.current(a) == {}
    assert versions.bump(a, versions.PAGES) == 1
    assert versions.bump(b, versions.PAGES) == 2
    assert versions.bump(b, versions.ACCOUNTS) == 1
    assert versions.current(a) == {versions.PAGES: 2, versions.ACCOUNTS: 1}


def test_failed_logins_count_across_processes(two: tuple[AppDB, AppDB]) -> None:
    a, b = two
    keys = ("user:boss@ip:10.0.0.1", "ip:10.0.0.1")
    for i in range(4):
        throttle.record_failure(a if i % 2 else b, keys, 5, 900, 900)
        assert throttle.locked_for(a, keys) == 0
    throttle.record_failure(b, keys, 5, 900, 900)  # the fifth, wherever it happens, locks
    assert 890 < throttle.locked_for(a, keys) <= 900
    assert throttle.locked_for(a, ("ip:10.0.0.2",)) == 0  # other addresses may try
    throttle.clear(a, keys)
    assert throttle.locked_for(b, keys) == 0
    # failures older than the window are forgotten
    for _ in range(4):
        throttle.record_failure(a, keys, 5, 900, 900)
    with a.session() as s:
        for row in s.query(throttle.LoginFailure):
            row.at = row.at - dt.timedelta(hours=1)
    throttle.record_failure(a, keys, 5, 900, 900)
    assert throttle.locked_for(b, keys) == 0
