"""Generate the demo company, table by table, as pyarrow chunks.

Everything is drawn from one `numpy.random.Generator` seeded by `seed`, in a fixed order, so the
same (scale, seed, as_of) gives the same data. Nothing happens after `as_of`: later lifecycle
events stay null, opportunities stay open, subscriptions stay active.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import holidays
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from kaname.clock import real_today
from kaname.ingest.synthetic import profile as P

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
DAY = 86_400
NAT = np.iinfo(np.int64).min  # marks "not happened" in second-resolution arrays

Chunk = tuple[str, pa.Table]


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


def _ids(prefix: str, numbers: npt.ArrayLike, width: int) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _ts(seconds: I64) -> pa.Array:
    """Epoch seconds to a timestamp array; NAT becomes null."""
    mask = seconds == NAT
    return pa.array(
        np.where(mask, 0, seconds).astype("datetime64[s]"), mask=mask, type=pa.timestamp("s")
    ).cast(pa.timestamp("us"))


def _dates(days: I64, mask: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), mask=mask, type=pa.date32())


def _take(values: tuple[str, ...], index: I64) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[index], type=pa.string())


@dataclass
class _Leads:
    n: int
    channel: I64
    campaign: I64
    account: I64
    segment: I64
    owner: I64
    created: I64
    mql: I64
    sql: I64
    disq: I64


class _Company:
    def __init__(self, scale: float, seed: int, as_of: dt.date, months: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.scale = scale
        self.as_of = as_of
        first = dt.date(as_of.year, as_of.month, 1)
        index = first.year * 12 + first.month - 1 - (months - 1)
        self.start = dt.date(index // 12, index % 12 + 1, 1)
        self.start_day = int(np.datetime64(self.start, "D").astype(np.int64))
        self.end_day = int(np.datetime64(as_of, "D").astype(np.int64))
        self.end_s = (self.end_day + 1) * DAY - 1  # last second of as_of
        self.days = np.arange(self.start_day, self.end_day + 1, dtype=np.int64)
        self.day_weight = self._day_weights()
        self.channels = P.CHANNELS
        self.channel_ids = tuple(c.id for c in P.CHANNELS)

    # ------------------------------------------------------------------ calendar
    def _day_weights(self) -> F64:
        dates = self.days.astype("datetime64[D]")
        months = (dates.astype("datetime64[M]").astype(np.int64) % 12) + 1
        weekday = (self.days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        jp = holidays.Japan(years=range(self.start.year, self.as_of.year + 1))
        hol = np.isin(dates, np.array(sorted(jp.keys()), dtype="datetime64[D]"))
        md = (months * 100) + (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        new_year = (md >= 1228) | (md <= 104)
        w = np.array([P.MONTH_SEASONALITY[int(m)] for m in range(1, 13)])[months - 1]
        w = w * np.where(weekday >= 5, P.WEEKEND_WEIGHT, 1.0)
        w = w * np.where(hol, P.HOLIDAY_WEIGHT, 1.0) * np.where(new_year, P.NEW_YEAR_WEIGHT, 1.0)
        month_no = (self.days - self.start_day) / 30.44
        return np.asarray(w * (1 + P.MONTHLY_GROWTH) ** month_no, dtype=np.float64)

    def _month_index(self, seconds_or_days: I64, seconds: bool = True) -> I64:
        days = seconds_or_days // DAY if seconds else seconds_or_days
        return np.asarray(
            days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
            - np.datetime64(self.start, "M").astype(np.int64),
            dtype=np.int64,
        )

    def _work_time(self, days: I64) -> I64:
        """A second within working hours (9:00–19:00) of each day."""
        return days * DAY + 9 * 3600 + self.rng.integers(0, 10 * 3600, len(days))

    # ------------------------------------------------------------------ campaigns
    def _campaigns(self) -> Chunk:
        months = int(self._month_index(np.array([self.end_day]), seconds=False)[0]) + 1
        per_month = {
            "owned_media": ("seo_article", 8),
            "content": ("whitepaper", 2),
            "webinar": ("webinar", 4),
            "event": ("trade_show", 2),
            "email": ("email_newsletter", 2),
            "social": ("social_post", 4),
        }
        always = {
            "paid_ads": ("search_ads", "display_ads", "social_ads"),
            "referral": ("referral_programme",),
            "partner": ("partner_programme",),
        }
        rows: dict[str, list[object]] = {
            k: [] for k in ("channel", "type", "start", "end", "budget", "name")
        }
        for m in range(months):
            month_start = np.datetime64(self.start, "M") + m
            first = int(month_start.astype("datetime64[D]").astype(np.int64))
            last = int((month_start + 1).astype("datetime64[D]").astype(np.int64)) - 1
            for channel, (kind, count) in per_month.items():
                offsets = np.sort(self.rng.integers(0, last - first + 1, count))
                for k, off in enumerate(offsets):
                    day = first + int(off)
                    weekday = (day + 3) % 7
                    if weekday >= 5:  # events and webinars run on weekdays
                        day -= weekday - 4
                    length = 2 if kind == "trade_show" else 0
                    rows["channel"].append(channel)
                    rows["type"].append(kind)
                    rows["start"].append(max(day, first))
                    rows["end"].append(max(day, first) + length)
                    rows["budget"].append(float(self.rng.integers(5, 60)) * 100_000)
                    label = str(month_start)
                    rows["name"].append(f"{label} {kind.replace('_', ' ')} #{k + 1}")
        for channel, kinds in always.items():
            for kind in kinds:
                rows["channel"].append(channel)
                rows["type"].append(kind)
                rows["start"].append(self.start_day)
                rows["end"].append(self.end_day + 365)
                rows["budget"].append(float(self.rng.integers(20, 80)) * 1_000_000)
                rows["name"].append(f"Always-on {kind.replace('_', ' ')}")
        n = len(rows["channel"])
        self.camp_channel = np.array(rows["channel"], dtype=object)
        self.camp_type = np.array(rows["type"], dtype=object)
        self.camp_start = np.array(rows["start"], dtype=np.int64)
        self.camp_end = np.array(rows["end"], dtype=np.int64)
        self.camp_ids = _ids("C", np.arange(1, n + 1), 4)
        table = pa.table(
            {
                "campaign_id": self.camp_ids,
                "name": pa.array(rows["name"], type=pa.string()),
                "channel": pa.array(rows["channel"], type=pa.string()),
                "type": pa.array(rows["type"], type=pa.string()),
                "start_date": _dates(self.camp_start),
                "end_date": _dates(self.camp_end),
                "budget": pa.array(rows["budget"], type=pa.float64()),
            }
        )
        return "campaigns", table

    def _campaigns_of(self, channel: str) -> I64:
        return np.flatnonzero(self.camp_channel == channel)

    # ------------------------------------------------------------------ leads
    def _draw_leads(self) -> _Leads:
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
        return _Leads(n, ch, cp, account, segment, owner, created, mql, sql, disq)

    def _campaign_for_day(self, camps: I64, days: I64) -> I64:
        """The latest campaign of the channel that started on or before each day."""
        starts = self.camp_start[camps]
        order = np.argsort(starts, kind="stable")
        pos = np.searchsorted(starts[order], days, side="right") - 1
        return np.asarray(camps[order][np.maximum(pos, 0)], dtype=np.int64)

    def _after(
        self, base: I64, happens: npt.NDArray[np.bool_], median_days: float, sigma: float
    ) -> I64:
        """Event times a lognormal delay after `base`; NAT where it does not (or not yet) happen."""
        delay = self.rng.lognormal(np.log(median_days), sigma, len(base)) * DAY
        at = base + delay.astype(np.int64)
        ok = happens & (base != NAT) & (at <= self.end_s)
        return np.where(ok, at, NAT)

    def _leads_table(self, L: _Leads, score: I64) -> Chunk:
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
                "lead_id": _ids("L", ids, 7),
                "account_id": _ids("A", L.account + 1, 6),
                "email": pc.binary_join_element_wise(_ids("user", ids, 7), "@example.co.jp", ""),
                "channel": _take(self.channel_ids, L.channel),
                "campaign_id": campaign,
                "segment": _take(P.SEGMENTS, L.segment),
                "owner": _take(P.INSIDE_SALES, L.owner),
                "score": pa.array(score, type=pa.int32()),
                "status": pa.array(status, type=pa.string()),
                "created_at": _ts(L.created),
                "mql_at": _ts(L.mql),
                "sql_at": _ts(L.sql),
                "disqualified_at": _ts(L.disq),
            }
        )
        return "leads", table

    # ------------------------------------------------------------------ opportunities
    def _opportunities(self, L: _Leads) -> tuple[Chunk, Chunk, dict[str, I64 | F64]]:
        rng = self.rng
        from_lead = np.flatnonzero((L.sql != NAT) & (rng.random(L.n) < P.OPPORTUNITY_RATE))
        created = self._after(
            L.sql[from_lead], np.ones(len(from_lead), bool), P.DAYS_TO_OPPORTUNITY, 0.6
        )
        keep = created != NAT
        lead, created = from_lead[keep], created[keep]
        seg = L.segment[lead]
        n = len(lead)
        win_p = P.WIN_RATE * np.array([0.85, 1.0, 1.1])[seg]
        won = rng.random(n) < win_p
        cycle = np.array([P.SALES_CYCLE_DAYS[s] for s in P.SEGMENTS])[seg]
        close = created + (rng.lognormal(np.log(cycle), 0.5) * DAY).astype(np.int64)
        weekday = (close // DAY + 3) % 7  # deals are signed on working days: weekends → Monday
        close = close + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0)) * DAY
        closed = close <= self.end_s
        amount = np.round(
            np.array([P.DEAL_SIZE[s] for s in P.SEGMENTS])[seg] * rng.lognormal(0, 0.35, n), -4
        )
        sourced = np.where(
            L.channel[lead] == self.channel_ids.index("partner"),
            2,
            rng.choice(3, size=n, p=(0.9, 0.1, 0.0)),
        )
        stages_reached = np.where(closed & won, 4, rng.integers(1, 5, n))
        # Open opportunities have reached a stage in proportion to the time elapsed.
        elapsed = np.clip((self.end_s - created) / np.maximum(close - created, 1), 0, 0.999)
        stages_reached = np.where(closed, stages_reached, 1 + (elapsed * 4).astype(np.int64))
        stage_names = ("qualification", "discovery", "proposal", "negotiation")
        stage = np.where(
            closed,
            np.where(won, "closed_won", "closed_lost"),
            np.array(stage_names, dtype=object)[stages_reached - 1],
        )
        opp = {
            "lead": lead,
            "created": created,
            "close": np.where(closed, close, NAT),
            "won": won & closed,
            "amount": amount,
            "segment": seg,
            "sourced": sourced,
            "owner": rng.integers(0, len(P.ACCOUNT_EXECUTIVES), n),
            "stages": stages_reached,
        }
        stage_chunk = self._stage_history(opp)
        ids = np.arange(1, n + 1)
        table = pa.table(
            {
                "opportunity_id": _ids("O", ids, 6),
                "account_id": _ids("A", L.account[lead] + 1, 6),
                "lead_id": _ids("L", lead + 1, 7),
                "name": pc.binary_join_element_wise("Deal ", _ids("", ids, 6), ""),
                "type": pa.array(np.full(n, "new_business", dtype=object), type=pa.string()),
                "channel": _take(self.channel_ids, L.channel[lead]),
                "campaign_id": pa.array(
                    np.asarray(self.camp_ids.to_pylist(), dtype=object)[
                        np.maximum(L.campaign[lead], 0)
                    ],
                    mask=L.campaign[lead] < 0,
                    type=pa.string(),
                ),
                "segment": _take(P.SEGMENTS, seg),
                "owner": _take(P.ACCOUNT_EXECUTIVES, opp["owner"]),
                "sourced_by": _take(("marketing", "sales", "partner"), sourced),
                "stage": pa.array(stage, type=pa.string()),
                "amount": pa.array(amount, type=pa.float64()),
                "created_at": _ts(created),
                "closed_at": _ts(opp["close"]),
                "is_won": pa.array(opp["won"], type=pa.bool_()),
            }
        )
        return ("opportunities", table), stage_chunk, opp

    def _stage_history(self, opp: dict[str, I64 | F64]) -> Chunk:
        created = np.asarray(opp["created"], dtype=np.int64)
        close = np.asarray(opp["close"], dtype=np.int64)
        reached = np.asarray(opp["stages"], dtype=np.int64)
        idx = np.repeat(np.arange(len(created)), reached)
        k = np.arange(len(idx)) - np.repeat(np.cumsum(reached) - reached, reached)
        total = np.where(close != NAT, close, self.end_s) - created
        share = np.array([0.2, 0.25, 0.3, 0.25])
        bounds = np.concatenate([[0.0], np.cumsum(share)])
        entered = created[idx] + (bounds[k] * total[idx]).astype(np.int64)
        exited = created[idx] + (bounds[k + 1] * total[idx]).astype(np.int64)
        last = k == reached[idx] - 1
        still_open = last & (close[idx] == NAT)
        exited = np.where(still_open, NAT, np.where(last, close[idx], exited))
        names = np.array(("qualification", "discovery", "proposal", "negotiation"), dtype=object)
        return "opportunity_stages", pa.table(
            {
                "opportunity_id": _ids("O", idx + 1, 6),
                "stage": pa.array(names[k], type=pa.string()),
                "entered_at": _ts(entered),
                "exited_at": _ts(exited),
            }
        )

    # ------------------------------------------------------------------ customers
    def _customers(self, L: _Leads, opp: dict[str, I64 | F64], n_opps: int) -> list[Chunk]:
        rng = self.rng
        won = np.flatnonzero(np.asarray(opp["won"], dtype=bool))
        close = np.asarray(opp["close"], dtype=np.int64)
        amount = np.asarray(opp["amount"], dtype=np.float64)
        lead = np.asarray(opp["lead"], dtype=np.int64)
        # Customers from deals won in the window, and customers who signed before it.
        new_acc = L.account[lead[won]]
        new_start = close[won] // DAY + 1
        new_mrr = amount[won] / 12
        new_seg = L.segment[lead[won]]
        n_old = round(P.LEADS_PER_SCALE * self.scale * 0.012)
        old_acc = self.n_accounts + np.arange(n_old)
        old_seg = rng.choice(3, size=n_old, p=P.SEGMENT_SHARE)
        old_start = self.start_day - rng.integers(30, 3 * 365, n_old)
        old_mrr = np.round(
            np.array([P.DEAL_SIZE[s] for s in P.SEGMENTS])[old_seg]
            * rng.lognormal(0, 0.35, n_old)
            / 12,
            -3,
        )
        acc = np.concatenate([new_acc, old_acc])
        seg = np.concatenate([new_seg, old_seg])
        start = np.concatenate([new_start, old_start])
        mrr = np.concatenate([new_mrr, old_mrr])
        n = len(acc)
        churn_p = np.array([P.MONTHLY_CHURN[s] for s in P.SEGMENTS])[seg]
        churn_day = start + (rng.geometric(churn_p) * 30.44).astype(np.int64)
        up_day = start + rng.integers(90, 540, n)
        x_day = start + rng.integers(180, 600, n)
        upsell = (rng.random(n) < 0.3) & (up_day < churn_day) & (up_day <= self.end_day)
        cross = (rng.random(n) < 0.15) & (x_day < churn_day) & (x_day <= self.end_day)
        churned = churn_day <= self.end_day
        # Old customers who had already left before the window are not in the data.
        present = churn_day > self.start_day - 1
        base_end = np.where(upsell, up_day, np.where(churned, churn_day, NAT))
        none = np.array(None, dtype=object)
        base_reason = np.where(upsell, "upgrade", np.where(churned, "churn", none))
        lines_acc = [acc, acc[upsell], acc[cross]]
        lines_mrr = [mrr, np.round(mrr[upsell] * 1.3, -2), np.round(mrr[cross] * 0.25, -2)]
        lines_start = [start, up_day[upsell], x_day[cross]]
        lines_end = [
            base_end,
            np.where(churned, churn_day, NAT)[upsell],
            np.where(churned, churn_day, NAT)[cross],
        ]
        lines_change = [
            np.full(n, "new", dtype=object),
            np.full(upsell.sum(), "upsell", object),
            np.full(cross.sum(), "cross_sell", object),
        ]
        lines_reason = [
            base_reason,
            np.where(churned[upsell], "churn", none),
            np.where(churned[cross], "churn", none),
        ]
        lines_keep = [present, present[upsell], present[cross]]
        keep = np.concatenate(lines_keep)
        end = np.concatenate(lines_end)[keep]
        sub_acc = np.concatenate(lines_acc)[keep]
        subs = pa.table(
            {
                "subscription_id": _ids("S", np.arange(1, keep.sum() + 1), 6),
                "account_id": _ids("A", sub_acc + 1, 6),
                "product": pa.array(
                    np.where(
                        np.concatenate(lines_change)[keep] == "cross_sell",
                        "Kaname Analytics",
                        "Kaname Platform",
                    ),
                    type=pa.string(),
                ),
                "mrr": pa.array(np.concatenate(lines_mrr)[keep], type=pa.float64()),
                "start_date": _dates(np.concatenate(lines_start)[keep]),
                "end_date": _dates(np.where(end == NAT, 0, end), mask=end == NAT),
                "change": pa.array(np.concatenate(lines_change)[keep], type=pa.string()),
                "end_reason": pa.array(np.concatenate(lines_reason)[keep], type=pa.string()),
            }
        )
        # Expansion opportunities: one won deal a month before each upsell / cross-sell line.
        exp_acc = np.concatenate([acc[upsell & present], acc[cross & present]])
        exp_day = np.concatenate([up_day[upsell & present], x_day[cross & present]])
        exp_amount = np.concatenate(
            [
                np.round(mrr[upsell & present] * 0.3 * 12, -4),
                np.round(mrr[cross & present] * 0.25 * 12, -4),
            ]
        )
        exp_type = np.concatenate(
            [
                np.full((upsell & present).sum(), "upsell", object),
                np.full((cross & present).sum(), "cross_sell", object),
            ]
        )
        exp_seg = np.concatenate([seg[upsell & present], seg[cross & present]])
        in_window = exp_day - 30 >= self.start_day
        m = len(exp_acc[in_window])
        exp_ids = np.arange(n_opps + 1, n_opps + m + 1)
        expansion = pa.table(
            {
                "opportunity_id": _ids("O", exp_ids, 6),
                "account_id": _ids("A", exp_acc[in_window] + 1, 6),
                "name": pc.binary_join_element_wise("Expansion ", _ids("", exp_ids, 6), ""),
                "type": pa.array(exp_type[in_window], type=pa.string()),
                "segment": _take(P.SEGMENTS, exp_seg[in_window]),
                "owner": _take(P.ACCOUNT_EXECUTIVES, rng.integers(0, len(P.ACCOUNT_EXECUTIVES), m)),
                "sourced_by": pa.array(np.full(m, "sales", object), type=pa.string()),
                "stage": pa.array(np.full(m, "closed_won", object), type=pa.string()),
                "amount": pa.array(exp_amount[in_window], type=pa.float64()),
                "created_at": _ts((exp_day[in_window] - 30) * DAY + 10 * 3600),
                "closed_at": _ts(exp_day[in_window] * DAY - DAY + 15 * 3600),
                "is_won": pa.array(np.ones(m, bool), type=pa.bool_()),
            }
        )
        nps = self._nps(acc[present], start[present], np.where(churned, churn_day, NAT)[present])
        return [("subscriptions", subs), ("opportunities", expansion), nps]

    def _nps(self, acc: I64, start: I64, end: I64) -> Chunk:
        rng = self.rng
        survey_days = [
            d
            for d in self.days
            if (
                d.astype("datetime64[D]").astype(object).month in (3, 6, 9, 12)
                and d.astype("datetime64[D]").astype(object).day == 15
            )
        ]
        scores_p = np.array([0.02, 0.02, 0.02, 0.03, 0.04, 0.05, 0.08, 0.16, 0.18, 0.2, 0.2])
        acc_all, when, score = [], [], []
        for day in survey_days:
            active = (start <= day) & ((end == NAT) | (end > day))
            answer = active & (rng.random(len(acc)) < 0.3)
            k = int(answer.sum())
            acc_all.append(acc[answer])
            when.append(day * DAY + rng.integers(9 * 3600, 18 * 3600, k))
            score.append(rng.choice(11, size=k, p=scores_p / scores_p.sum()))
        a = np.concatenate(acc_all) if acc_all else np.array([], np.int64)
        return "nps_responses", pa.table(
            {
                "response_id": _ids("R", np.arange(1, len(a) + 1), 6),
                "account_id": _ids("A", a + 1, 6),
                "responded_at": _ts(np.concatenate(when) if when else np.array([], np.int64)),
                "score": pa.array(np.concatenate(score) if score else [], type=pa.int32()),
            }
        )

    def _accounts(self, L: _Leads) -> Chunk:
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
                "account_id": _ids("A", np.arange(1, n + 1), 6),
                "name": pc.binary_join_element_wise(
                    "株式会社サンプル", _ids("", np.arange(1, n + 1), 6), ""
                ),
                "industry": _take(P.INDUSTRIES, rng.integers(0, len(P.INDUSTRIES), n)),
                "segment": _take(P.SEGMENTS, seg),
                "employees": pa.array(np.maximum(employees, 5).astype(np.int32), type=pa.int32()),
                "prefecture": _take(P.PREFECTURES, rng.integers(0, len(P.PREFECTURES), n)),
                "owner": _take(P.ACCOUNT_EXECUTIVES, rng.integers(0, len(P.ACCOUNT_EXECUTIVES), n)),
                "source_channel": _take(self.channel_ids, channel),
                "created_at": _ts(created),
            }
        )

    # ------------------------------------------------------------------ spend and traffic
    def _spend_and_traffic(self, L: _Leads) -> list[Chunk]:
        rng = self.rng
        day = L.created // DAY
        # Spend: every (day, campaign) with leads costs leads × CPA × noise.
        key = (day - self.start_day) * (len(self.camp_start) + 1) + (L.campaign + 1)
        uniq, counts = np.unique(key, return_counts=True)
        s_day = uniq // (len(self.camp_start) + 1) + self.start_day
        s_camp = uniq % (len(self.camp_start) + 1) - 1
        camp_channel = np.concatenate([[None], self.camp_channel])[s_camp + 1]
        cpa = {c.id: c.cpa for c in self.channels}
        cost = np.array([cpa.get(str(c), 0.0) for c in camp_channel]) * counts
        cost = np.round(cost * rng.lognormal(0, 0.25, len(cost)))
        paid = camp_channel == "paid_ads"
        clicks = np.where(paid, (counts / 0.015 * rng.lognormal(0, 0.1, len(counts))), 0)
        impressions = np.where(paid, clicks / (P.CTR * rng.lognormal(0, 0.15, len(counts))), 0)
        keep = (cost > 0) & (s_camp >= 0)
        camp_ids = np.asarray(self.camp_ids.to_pylist(), dtype=object)
        spend = pa.table(
            {
                "date": _dates(s_day[keep]),
                "channel": pa.array(camp_channel[keep], type=pa.string()),
                "campaign_id": pa.array(camp_ids[s_camp[keep]], type=pa.string()),
                "cost": pa.array(cost[keep], type=pa.float64()),
                "impressions": pa.array(impressions[keep].astype(np.int64), type=pa.int64()),
                "clicks": pa.array(clicks[keep].astype(np.int64), type=pa.int64()),
            }
        )
        # Web traffic: one row per day × channel, consistent with leads via each channel's CVR.
        n_ch = len(self.channel_ids)
        grid = np.zeros((len(self.days), n_ch))
        np.add.at(grid, (day - self.start_day, L.channel), 1)
        cvr = np.array([c.cvr for c in self.channels])
        expected = (grid + self.scale * self.day_weight[:, None] * 0.5) / cvr
        sessions = np.round(expected * rng.lognormal(0, 0.1, grid.shape)).astype(np.int64)
        users = np.round(sessions * 0.75).astype(np.int64)
        d_idx, c_idx = np.meshgrid(np.arange(len(self.days)), np.arange(n_ch), indexing="ij")
        traffic = pa.table(
            {
                "date": _dates(self.days[d_idx.ravel()]),
                "channel": _take(self.channel_ids, c_idx.ravel()),
                "sessions": pa.array(sessions.ravel(), type=pa.int64()),
                "users": pa.array(users.ravel(), type=pa.int64()),
                "new_users": pa.array(
                    np.round(users.ravel() * 0.6).astype(np.int64), type=pa.int64()
                ),
                "pageviews": pa.array(
                    np.round(sessions.ravel() * 2.5).astype(np.int64), type=pa.int64()
                ),
            }
        )
        return [("spend", spend), ("web_traffic", traffic)]

    # ------------------------------------------------------------------ touchpoints
    def _touchpoints(self, L: _Leads) -> Iterator[Chunk]:
        rng = self.rng
        self._tp_next = 1
        ch = {c: i for i, c in enumerate(self.channel_ids)}
        all_idx = np.arange(L.n)
        # Website visits around the lead's life.
        k = rng.poisson(P.VISITS_PER_LEAD, L.n)
        idx = np.repeat(all_idx, k)
        at = L.created[idx] + rng.integers(-30 * DAY, 60 * DAY, len(idx))
        visit_channel = np.where(
            rng.random(len(idx)) < 0.5,
            L.channel[idx],
            np.where(rng.random(len(idx)) < 0.6, ch["owned_media"], ch["direct"]),
        )
        yield self._tp(L, idx, at, "visit", visit_channel)
        # Conversion forms and downloads at creation.
        form_channels = [
            ch[c]
            for c in (
                "owned_media",
                "paid_ads",
                "content",
                "social",
                "direct",
                "referral",
                "partner",
            )
        ]
        idx = np.flatnonzero(np.isin(L.channel, form_channels))
        yield self._tp(L, idx, L.created[idx], "form_submit", L.channel[idx])
        idx = np.flatnonzero((L.channel == ch["content"]) | (rng.random(L.n) < 0.1))
        yield self._tp(
            L,
            idx,
            L.created[idx] + rng.integers(0, 20 * DAY, len(idx)),
            "download",
            np.full(len(idx), ch["content"]),
        )
        # Nurture e-mail every two weeks until disqualified.
        stop = np.where(L.disq != NAT, L.disq, self.end_s)
        sends = np.clip((stop - L.created) // (P.EMAIL_EVERY_DAYS * DAY), 0, P.EMAIL_MAX_SENDS)
        idx = np.repeat(all_idx, sends)
        j = np.arange(len(idx)) - np.repeat(np.cumsum(sends) - sends, sends)
        sent = L.created[idx] // DAY * DAY + (j + 1) * P.EMAIL_EVERY_DAYS * DAY + 10 * 3600
        email = np.full(len(idx), ch["email"])
        mail_camps = self._campaigns_of("email")
        camp = self._campaign_for_day(mail_camps, sent // DAY)
        yield self._tp(L, idx, sent, "email_sent", email, camp)
        delivered = rng.random(len(idx)) < P.EMAIL_DELIVERY
        yield self._tp(
            L,
            idx[delivered],
            sent[delivered] + 60,
            "email_delivered",
            email[delivered],
            camp[delivered],
        )
        opened = delivered & (rng.random(len(idx)) < P.EMAIL_OPEN)
        open_at = sent + rng.exponential(6 * 3600, len(idx)).astype(np.int64)
        yield self._tp(L, idx[opened], open_at[opened], "email_open", email[opened], camp[opened])
        clicked = opened & (rng.random(len(idx)) < P.EMAIL_CLICK_GIVEN_OPEN)
        yield self._tp(
            L, idx[clicked], open_at[clicked] + 30, "email_click", email[clicked], camp[clicked]
        )
        converted = clicked & (rng.random(len(idx)) < P.EMAIL_FORM_GIVEN_CLICK)
        yield self._tp(
            L,
            idx[converted],
            open_at[converted] + 300,
            "form_submit",
            email[converted],
            camp[converted],
        )
        # Webinars: webinar leads register when created; some other leads join a later webinar.
        web_camps = self._campaigns_of("webinar")
        others = np.flatnonzero((L.channel != ch["webinar"]) & (rng.random(L.n) < 0.08))
        reg_idx = np.concatenate([np.flatnonzero(L.channel == ch["webinar"]), others])
        reg_at = np.concatenate(
            [
                L.created[L.channel == ch["webinar"]],
                L.created[others] + rng.integers(DAY, 30 * DAY, len(others)),
            ]
        )
        starts = self.camp_start[web_camps]
        order = np.argsort(starts)
        pos = np.searchsorted(starts[order], reg_at // DAY, side="left")
        has = pos < len(order)
        reg_camp = np.where(has, web_camps[order][np.minimum(pos, len(order) - 1)], -1)
        reg_camp = np.where(
            L.channel[reg_idx] == ch["webinar"],
            np.concatenate(
                [L.campaign[L.channel == ch["webinar"]], reg_camp[len(reg_idx) - len(others) :]]
            ),
            reg_camp,
        )
        ok = (reg_camp >= 0) & (reg_at <= self.end_s)
        reg_idx, reg_at, reg_camp = reg_idx[ok], reg_at[ok], reg_camp[ok]
        web = np.full(len(reg_idx), ch["webinar"])
        yield self._tp(L, reg_idx, reg_at, "webinar_registered", web, reg_camp)
        held = self.camp_start[reg_camp] * DAY + 14 * 3600
        attended = (rng.random(len(reg_idx)) < P.WEBINAR_ATTENDANCE) & (held <= self.end_s)
        yield self._tp(
            L,
            reg_idx[attended],
            held[attended],
            "webinar_attended",
            web[attended],
            reg_camp[attended],
            duration=rng.integers(600, 3600, int(attended.sum())),
        )
        completed = attended & (rng.random(len(reg_idx)) < P.WEBINAR_COMPLETION)
        yield self._tp(
            L,
            reg_idx[completed],
            held[completed] + 3600,
            "webinar_completed",
            web[completed],
            reg_camp[completed],
        )
        survey = attended & (rng.random(len(reg_idx)) < P.SURVEY_RESPONSE)
        yield self._tp(
            L,
            reg_idx[survey],
            held[survey] + 3700,
            "survey_response",
            web[survey],
            reg_camp[survey],
        )
        # Inside sales calls MQLs; SQLs come from booked appointments.
        is_mql = np.flatnonzero(L.mql != NAT)
        k = rng.poisson(P.CALLS_PER_MQL, len(is_mql))
        idx = np.repeat(is_mql, k)
        call_at = L.mql[idx] + rng.integers(3600, 14 * DAY, len(idx))
        ok = call_at <= self.end_s
        idx, call_at = idx[ok], call_at[ok]
        direct = np.full(len(idx), ch["direct"])
        yield self._tp(L, idx, call_at, "call", direct, owner=L.owner[idx])
        conn = rng.random(len(idx)) < P.CALL_CONNECT
        yield self._tp(
            L,
            idx[conn],
            call_at[conn] + 20,
            "call_connected",
            direct[conn],
            owner=L.owner[idx[conn]],
            duration=rng.lognormal(np.log(220), 0.5, int(conn.sum())).astype(np.int64),
        )
        sql_idx = np.flatnonzero(L.sql != NAT)
        yield self._tp(
            L,
            sql_idx,
            L.sql[sql_idx],
            "appointment",
            np.full(len(sql_idx), ch["direct"]),
            owner=L.owner[sql_idx],
        )
        # Event booth visits (badge scans) for event leads.
        idx = np.flatnonzero(L.channel == ch["event"])
        valid = rng.random(len(idx)) < P.EVENT_VALID
        yield self._tp(
            L,
            idx,
            L.created[idx],
            "event_visit",
            L.channel[idx],
            L.campaign[idx],
            outcome=np.where(valid, "valid", "invalid"),
        )
        # Ad clicks before paid leads convert; social engagement of social leads.
        idx = np.flatnonzero(L.channel == ch["paid_ads"])
        k = 1 + rng.poisson(1.0, len(idx))
        idx = np.repeat(idx, k)
        yield self._tp(
            L,
            idx,
            L.created[idx] - rng.integers(0, 7 * DAY, len(idx)),
            "ad_click",
            L.channel[idx],
            L.campaign[idx],
        )
        idx = np.repeat(all_idx, rng.poisson(0.6, L.n))
        yield self._tp(
            L,
            idx,
            L.created[idx] + rng.integers(-20 * DAY, 90 * DAY, len(idx)),
            "social_engagement",
            np.full(len(idx), ch["social"]),
        )

    def _tp(
        self,
        L: _Leads,
        idx: I64,
        at: I64,
        kind: str,
        channel: I64,
        campaign: I64 | None = None,
        owner: I64 | None = None,
        duration: I64 | None = None,
        outcome: npt.NDArray[np.object_] | None = None,
    ) -> Chunk:
        ok = (at >= self.start_day * DAY) & (at <= self.end_s)
        n = int(ok.sum())
        ids = np.arange(self._tp_next, self._tp_next + n)
        self._tp_next += n
        camp_ids = np.concatenate([[None], np.asarray(self.camp_ids.to_pylist(), dtype=object)])
        columns: dict[str, pa.Array] = {
            "touchpoint_id": _ids("T", ids, 9),
            "lead_id": _ids("L", idx[ok] + 1, 7),
            "account_id": _ids("A", L.account[idx[ok]] + 1, 6),
            "occurred_at": _ts(at[ok]),
            "type": pa.array(np.full(n, kind, dtype=object), type=pa.string()),
            "channel": _take(self.channel_ids, channel[ok]),
            "campaign_id": pa.array(
                camp_ids[(campaign[ok] + 1) if campaign is not None else (L.campaign[idx[ok]] + 1)],
                type=pa.string(),
            ),
        }
        if owner is not None:
            columns["owner"] = _take(P.INSIDE_SALES, owner[ok])
        if duration is not None:
            columns["duration_seconds"] = pa.array(duration[ok], type=pa.int32())
        if outcome is not None:
            columns["outcome"] = pa.array(outcome[ok], type=pa.string())
        return "touchpoints", pa.table(columns)

    # ------------------------------------------------------------------ orchestration
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
