"""A small synthetic company for the analytics inputs built on the warehouse (seeded, so the same
rows on every backend): journeys with ties in time, passive touches, touches without a channel,
open, lost, won and late-closing opportunities, second opportunities, non-new-business deals,
leads without an account, subscriptions that start, change and end."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kaname.store.warehouse import Warehouse

AS_OF = dt.date(2026, 3, 31)
CHANNELS = ["paid_ads", "owned_media", "event", "webinar", "email", "direct", None]
TYPES = ["visit", "form_submit", "email_open", "email_click", "email_sent", "email_delivered"]
BASE = dt.datetime(2025, 1, 1)


def _leads(rng: np.random.Generator, n: int) -> pd.DataFrame:
    created = [
        BASE + dt.timedelta(days=int(d), hours=int(h))
        for d, h in zip(rng.integers(0, 420, n), rng.integers(0, 24, n), strict=True)
    ]
    mql = [
        c + dt.timedelta(days=int(d)) if d < 40 else None
        for c, d in zip(created, rng.integers(0, 80, n), strict=True)
    ]
    sql = [
        m + dt.timedelta(days=int(d)) if m is not None and d < 30 else None
        for m, d in zip(mql, rng.integers(0, 60, n), strict=True)
    ]
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in range(n)],
            "account_id": [f"A{i % (n // 4):03d}" if i % 17 else None for i in range(n)],
            "channel": [CHANNELS[i % 6] for i in range(n)],
            "created_at": created,
            "mql_at": mql,
            "sql_at": sql,
            "status": "open",
        }
    )


def _touchpoints(rng: np.random.Generator, leads: pd.DataFrame) -> pd.DataFrame:
    rows = []
    n = 0
    for lead, account, created in leads[["lead_id", "account_id", "created_at"]].itertuples(
        index=False
    ):
        start = created - dt.timedelta(days=int(rng.integers(0, 30)))
        when = start
        for _ in range(int(rng.integers(0, 9))):
            if rng.random() > 0.25:  # a quarter of the touches share the previous one's time
                when = when + dt.timedelta(seconds=int(rng.integers(60, 40 * 86400)))
            n += 1
            rows.append(
                {
                    "touchpoint_id": f"T{int(rng.integers(0, 10**8)):08d}-{n}",
                    "lead_id": lead,
                    "account_id": account,
                    "occurred_at": when,
                    "type": TYPES[int(rng.integers(0, len(TYPES)))],
                    "channel": CHANNELS[int(rng.integers(0, len(CHANNELS)))],
                }
            )
    return pd.DataFrame(rows)


def _opportunities(rng: np.random.Generator, leads: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, (lead, account, created) in enumerate(
        leads[["lead_id", "account_id", "created_at"]].itertuples(index=False)
    ):
        if i % 3:
            continue
        for k in range(1 + (i % 7 == 0)):  # some leads have a second opportunity
            opened = created + dt.timedelta(days=int(rng.integers(-5, 200)), hours=k)
            outcome = rng.random()
            closed = opened + dt.timedelta(days=int(rng.integers(1, 160)))
            rows.append(
                {
                    "opportunity_id": f"O{i:04d}{k}",
                    "lead_id": lead,
                    "account_id": account,
                    "type": (None, "new_business", "upsell")[i % 3 if k else 1 + (i % 11 == 0)],
                    "amount": float(rng.integers(1, 50)) * 100_000.0 if i % 13 else None,
                    "created_at": opened,
                    "closed_at": closed if outcome < 0.8 else None,  # 20% still open
                    "is_won": bool(outcome < 0.5) if outcome < 0.8 else None,
                }
            )
    return pd.DataFrame(rows)


def _subscriptions(rng: np.random.Generator, accounts: list[str]) -> pd.DataFrame:
    rows = []
    for i, account in enumerate(accounts):
        start = (BASE + dt.timedelta(days=int(rng.integers(0, 400)))).date()
        end = start + dt.timedelta(days=int(rng.integers(30, 500))) if i % 3 == 0 else None
        rows.append((f"S{i}", account, float(rng.integers(1, 30)) * 10_000.0, start, end, "new"))
        if i % 4 == 1:  # an upsell line that starts later
            later = start + dt.timedelta(days=int(rng.integers(30, 200)))
            rows.append((f"S{i}b", account, 50_000.0, later, None, "upsell"))
    frame = pd.DataFrame(
        rows, columns=["subscription_id", "account_id", "mrr", "start_date", "end_date", "change"]
    )
    frame["end_reason"] = np.where(frame["end_date"].notna(), "churn", None)
    return frame


def load_journeys(wh: Warehouse, leads: int = 240, seed: int = 7) -> Warehouse:
    rng = np.random.default_rng(seed)
    lead_frame = _leads(rng, leads)
    wh.ensure_schema()
    wh.append("leads", lead_frame)
    wh.append("touchpoints", _touchpoints(rng, lead_frame))
    wh.append("opportunities", _opportunities(rng, lead_frame))
    accounts = sorted(a for a in lead_frame["account_id"].dropna().unique())
    wh.append("subscriptions", _subscriptions(rng, accounts))
    return wh
