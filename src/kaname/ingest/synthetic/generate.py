"""Generate the demo company, table by table, as pyarrow chunks.

Everything is drawn from one `numpy.random.Generator` seeded by `seed`, in a fixed order, so the
same (scale, seed, as_of) gives the same data. Nothing happens after `as_of`: later lifecycle
events stay null, opportunities stay open, subscriptions stay active.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from kaname.clock import real_today
from kaname.ingest.synthetic import profile as P
from kaname.ingest.synthetic.base import NAT, Chunk
from kaname.ingest.synthetic.deals import DealsMixin
from kaname.ingest.synthetic.marketing import MarketingMixin
from kaname.ingest.synthetic.people import PeopleMixin
from kaname.ingest.synthetic.touchpoints import TouchpointsMixin


def estimate_rows(scale: float) -> dict[str, int]:
    """Approximate rows per table (for progress bars)."""
    n = int(P.LEADS_PER_SCALE * scale)
    return {
        "leads": n,
        "touchpoints": 20 * n,
        "accounts": n // 3,
        "opportunities": n // 50,
        "spend": 9_000,
        "web_traffic": 7_300,
    }


def generate(
    scale: float = 1.0, seed: int = 42, as_of: dt.date | None = None, months: int = 24
) -> Iterator[Chunk]:
    """Yield (canonical table, chunk) pairs for the demo company."""
    yield from _Company(scale, seed, as_of or real_today(), months).chunks()


class _Company(MarketingMixin, PeopleMixin, DealsMixin, TouchpointsMixin):
    """The company, drawn part by part from one generator in a fixed order."""

    def chunks(self) -> Iterator[Chunk]:
        yield self._campaigns()
        leads = self._draw_leads()
        progressed = (leads.mql != NAT).astype(np.float64) + (leads.sql != NAT)
        score = np.clip(self.rng.normal(30 + 25 * progressed, 12), 0, 100).astype(np.int32)
        yield self._leads_table(leads, score)
        yield self._accounts(leads)
        opps, stages, opp = self._opportunities(leads)
        yield opps
        yield stages
        yield from self._customers(leads, opp, opps[1].num_rows)
        yield from self._spend_and_traffic(leads)
        yield from self._touchpoints(leads)
