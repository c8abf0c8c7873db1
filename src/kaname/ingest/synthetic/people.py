"""The demo company's people: leads with their lifecycle, and the accounts they work for."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaname.ingest.synthetic import profile as P
from kaname.ingest.synthetic.base import (
    DAY,
    I64,
    NAT,
    Chunk,
    CompanyBase,
    Leads,
    id_array,
    take,
    ts_array,
)


class PeopleMixin(CompanyBase):
    """Leads drawn by channel and campaign with their MQL/SQL/disqualified times, and accounts."""

    # ------------------------------------------------------------------ leads
    def _draw_leads(self) -> Leads:
        rng = self.rng
        n_total = round(P.LEADS_PER_SCALE * self.scale * len(self.days) / 730)
        shares = np.array([c.lead_share for c in self.channels])
        per_channel = rng.multinomial(n_total, shares / shares.sum())
        channel, campaign, day = [], [], []
        p_day = self.day_weight / self.day_weight.sum()
        for c_index, (c, count) in enumerate(zip(self.channels, per_channel, strict=True)):
            camps = self._campaigns_of(c.id)
            if c.id in ("event", "webinar"):
                # Leads arrive on event days, or register in the two weeks before a webinar.
                starts = self.camp_start[camps]
                weights = np.array(
                    [
                        self.day_weight[min(max(s - self.start_day, 0), len(self.days) - 1)]
                        for s in starts
                    ]
                )
                pick = rng.choice(len(camps), size=count, p=weights / weights.sum())
                if c.id == "event":
                    d = self.camp_start[camps][pick] + rng.integers(0, 3, count)
                else:
                    d = self.camp_start[camps][pick] - rng.integers(1, 15, count)
                keep = (d >= self.start_day) & (d <= self.end_day)
                pick, d = pick[keep], d[keep]
                campaign.append(camps[pick])
            else:
                d = self.days[rng.choice(len(self.days), size=count, p=p_day)]
                if c.id == "direct":
                    campaign.append(np.full(len(d), -1))
                elif c.id in ("paid_ads", "referral", "partner"):
                    campaign.append(camps[rng.integers(0, len(camps), len(d))])
                else:
                    campaign.append(self._campaign_for_day(camps, d))
            channel.append(np.full(len(d), c_index))
            day.append(d)
        ch = np.concatenate(channel)
        order = np.lexsort((ch, np.concatenate(day)))
        ch = ch[order]
        cp = np.concatenate(campaign)[order]
        created = self._work_time(np.concatenate(day)[order])
        n = len(ch)
        n_accounts = max(1, n // 3)
        self.n_accounts = n_accounts
        self.account_segment = rng.choice(3, size=n_accounts, p=P.SEGMENT_SHARE)
        account = rng.integers(0, n_accounts, n)
        segment = self.account_segment[account]
        owner = rng.integers(0, len(P.INSIDE_SALES), n)

        months = (created - self.start_day * DAY) / (30.44 * DAY)
        trend = 1 + 0.004 * months  # nurturing improves over time
        seg_factor = np.array([0.9, 1.0, 1.05])[segment]
        mql_p = np.array([c.mql_rate for c in self.channels])[ch] * trend * seg_factor
        sql_p = np.array([c.sql_rate for c in self.channels])[ch] * seg_factor
        mql = self._after(created, rng.random(n) < np.clip(mql_p, 0, 0.95), P.DAYS_TO_MQL, 0.8)
        sql = self._after(mql, (mql != NAT) & (rng.random(n) < sql_p), P.DAYS_TO_SQL, 0.7)
        disq_pick = (mql == NAT) & (rng.random(n) < 0.3)
        disq = self._after(created, disq_pick, 15.0, 0.6)
        return Leads(n, ch, cp, account, segment, owner, created, mql, sql, disq)

    def _leads_table(self, L: Leads, score: I64) -> Chunk:
        status = np.where(
            L.disq != NAT,
            "disqualified",
            np.where(L.sql != NAT, "sql", np.where(L.mql != NAT, "mql", "open")),
        )
        ids = np.arange(1, L.n + 1)
        campaign = pa.array(
            np.asarray(self.camp_ids.to_pylist(), dtype=object)[np.maximum(L.campaign, 0)],
            type=pa.string(),
        )
        campaign = pc.if_else(pa.array(L.campaign < 0), pa.scalar(None, pa.string()), campaign)
        table = pa.table(
            {
                "lead_id": id_array("L", ids, 7),
                "account_id": id_array("A", L.account + 1, 6),
                "email": pc.binary_join_element_wise(
                    id_array("user", ids, 7), "@example.co.jp", ""
                ),
                "channel": take(self.channel_ids, L.channel),
                "campaign_id": campaign,
                "segment": take(P.SEGMENTS, L.segment),
                "owner": take(P.INSIDE_SALES, L.owner),
                "score": pa.array(score, type=pa.int32()),
                "status": pa.array(status, type=pa.string()),
                "created_at": ts_array(L.created),
                "mql_at": ts_array(L.mql),
                "sql_at": ts_array(L.sql),
                "disqualified_at": ts_array(L.disq),
            }
        )
        return "leads", table

    def _accounts(self, L: Leads) -> Chunk:
        rng = self.rng
        n_old = round(P.LEADS_PER_SCALE * self.scale * 0.012)
        n = self.n_accounts + n_old
        seg = np.concatenate([self.account_segment, rng.choice(3, size=n_old, p=P.SEGMENT_SHARE)])
        first_lead = np.full(self.n_accounts, NAT, dtype=np.int64)
        first_channel = np.zeros(self.n_accounts, dtype=np.int64)
        order = np.argsort(L.created, kind="stable")[::-1]
        first_lead[L.account[order]] = L.created[order]
        first_channel[L.account[order]] = L.channel[order]
        created = np.concatenate(
            [
                np.where(first_lead == NAT, self.start_day * DAY, first_lead),
                (self.start_day - rng.integers(400, 1500, n_old)) * DAY,
            ]
        )
        channel = np.concatenate([first_channel, rng.integers(0, len(self.channel_ids), n_old)])
        employees = np.array([3000, 300, 30])[seg] * rng.lognormal(0, 0.6, n)
        return "accounts", pa.table(
            {
                "account_id": id_array("A", np.arange(1, n + 1), 6),
                "name": pc.binary_join_element_wise(
                    "株式会社サンプル", id_array("", np.arange(1, n + 1), 6), ""
                ),
                "industry": take(P.INDUSTRIES, rng.integers(0, len(P.INDUSTRIES), n)),
                "segment": take(P.SEGMENTS, seg),
                "employees": pa.array(np.maximum(employees, 5).astype(np.int32), type=pa.int32()),
                "prefecture": take(P.PREFECTURES, rng.integers(0, len(P.PREFECTURES), n)),
                "owner": take(P.ACCOUNT_EXECUTIVES, rng.integers(0, len(P.ACCOUNT_EXECUTIVES), n)),
                "source_channel": take(self.channel_ids, channel),
                "created_at": ts_array(created),
            }
        )
