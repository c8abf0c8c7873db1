"""Benchmark: `kaname sync hubspot` (full) of N contacts from the local fake HubSpot against plain
paging of the same endpoint with httpx, in the same run. Prints the ratio (goal ≤ 1.5).

    python benchmarks/sync_hubspot.py --contacts 200000

The fake HubSpot runs in its own process, as the real one runs on another machine: in the
benchmark's process its request handling would compete for the interpreter lock with the client
being measured. `--in-process` runs it in a thread of this process instead (the earlier setup).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ingest" / "connectors"))

from connector_fakes import FakeHubSpot  # noqa: E402

from kaname.ingest.connectors.hubspot.source import OBJECTS  # noqa: E402
from kaname.workspace import Workspace  # noqa: E402

TOKEN = "pat-bench-token"


def plain_paging(url: str, page_size: int) -> int:
    """What a hand-written client does: page the list endpoint and decode every page."""
    rows = 0
    after = None
    props = ",".join(OBJECTS["contacts"]["properties"])
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        while True:
            params = {"limit": page_size, "properties": props, "archived": "false"}
            if after:
                params["after"] = after
            body = client.get("/crm/v3/objects/contacts", params=params).json()
            rows += len(body["results"])
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return rows


def filled_fake(contacts: int) -> FakeHubSpot:
    fake = FakeHubSpot(TOKEN)
    sources = ["ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "REFERRALS", "OFFLINE"]
    for i in range(contacts):
        fake.put(
            "contacts",
            str(i + 1),
            email=f"user{i}@example.jp",
            lifecyclestage="lead" if i % 5 else "marketingqualifiedlead",
            hs_analytics_source=sources[i % len(sources)],
            hs_lifecyclestage_lead_date="2025-04-01T00:30:00.000Z",
            associatedcompanyid=str(i % 5000),
        )
    return fake


def serve_fake(contacts: int, conn: mp.connection.Connection) -> None:
    """Child process: fill the fake, send its URL, serve until told to stop."""
    fake = filled_fake(contacts)
    conn.send(fake.url)
    conn.recv()
    fake.stop()


class _Remote:
    def __init__(self, contacts: int) -> None:
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=serve_fake, args=(contacts, child), daemon=True)
        self._proc.start()
        self.url: str = self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self._proc.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="Run the fake HubSpot in a thread of this process.",
    )
    args = parser.parse_args()
    os.environ.pop("KANAME_SECRET_KEY", None)
    fake: FakeHubSpot | _Remote = (
        filled_fake(args.contacts) if args.in_process else _Remote(args.contacts)
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace.init(Path(tmp) / "ws")
            ws.connectors.connect(
                "hubspot",
                {"access_token": TOKEN, "base_url": fake.url, "page_size": args.page_size},
                check=False,
            )
            start = time.perf_counter()
            reference_rows = plain_paging(fake.url, args.page_size)
            reference = time.perf_counter() - start
            start = time.perf_counter()
            [result] = ws.connectors.sync("hubspot", full=True)
            synced = time.perf_counter() - start
            leads = int(ws.warehouse.table("leads").count().execute())
            ws.close()
    finally:
        fake.stop()
    assert result.status == "ok", result.error
    print(f"contacts                     {args.contacts:,}")
    print(f"fake HubSpot                 {'in this process' if args.in_process else 'own process'}")
    print(f"plain httpx paging           {reference:.2f} s ({reference_rows:,} rows)")
    print(f"kaname sync hubspot --full   {synced:.2f} s ({leads:,} leads in the warehouse)")
    print(f"ratio sync ÷ paging          {synced / reference:.2f} (goal ≤ 1.5)")


if __name__ == "__main__":
    main()
