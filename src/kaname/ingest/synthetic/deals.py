"""The funnel after SQL: opportunities and their stage history, customers' subscriptions,
expansion deals and NPS answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaname.ingest.synthetic import profile as P
from kaname.ingest.synthetic.base import (
    DAY,
    F64,
    I64,
    NAT,
    Chunk,
    CompanyBase,
    Leads,
    date_array,
    id_array,
    take,
    ts_array,
)


class DealsMixin(CompanyBase):
    """Opportunities from SQLs, their stages, the customers they make and those customers' NPS."""

    # ------------------------------------------------------------------ opportunities
    def _opportunities(self, L: Leads) -> tuple[Chunk, Chunk, dict[str, I64 | F64]]:
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
                "opportunity_id": id_array("O", ids, 6),
                "account_id": id_array("A", L.account[lead] + 1, 6),
                "lead_id": id_array("L", lead + 1, 7),
                "name": pc.binary_join_element_wise("Deal ", id_array("", ids, 6), ""),
                "type": pa.array(np.full(n, "new_business", dtype=object), type=pa.string()),
                "channel": take(self.channel_ids, L.channel[lead]),
                "campaign_id": pa.array(
                    np.asarray(self.camp_ids.to_pylist(), dtype=object)[
                        np.maximum(L.campaign[lead], 0)
                    ],
                    mask=L.campaign[lead] < 0,
                    type=pa.string(),
                ),
                "segment": take(P.SEGMENTS, seg),
                "owner": take(P.ACCOUNT_EXECUTIVES, opp["owner"]),
                "sourced_by": take(("marketing", "sales", "partner"), sourced),
                "stage": pa.array(stage, type=pa.string()),
                "amount": pa.array(amount, type=pa.float64()),
                "created_at": ts_array(created),
                "closed_at": ts_array(opp["close"]),
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
                "opportunity_id": id_array("O", idx + 1, 6),
                "stage": pa.array(names[k], type=pa.string()),
                "entered_at": ts_array(entered),
                "exited_at": ts_array(exited),
            }
        )

    # ------------------------------------------------------------------ customers
    def _customers(self, L: Leads, opp: dict[str, I64 | F64], n_opps: int) -> list[Chunk]:
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
                "subscription_id": id_array("S", np.arange(1, keep.sum() + 1), 6),
                "account_id": id_array("A", sub_acc + 1, 6),
                "product": pa.array(
                    np.where(
                        np.concatenate(lines_change)[keep] == "cross_sell",
                        "Kaname Analytics",
                        "Kaname Platform",
                    ),
                    type=pa.string(),
                ),
                "mrr": pa.array(np.concatenate(lines_mrr)[keep], type=pa.float64()),
                "start_date": date_array(np.concatenate(lines_start)[keep]),
                "end_date": date_array(np.where(end == NAT, 0, end), mask=end == NAT),
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
                "opportunity_id": id_array("O", exp_ids, 6),
                "account_id": id_array("A", exp_acc[in_window] + 1, 6),
                "name": pc.binary_join_element_wise("Expansion ", id_array("", exp_ids, 6), ""),
                "type": pa.array(exp_type[in_window], type=pa.string()),
                "segment": take(P.SEGMENTS, exp_seg[in_window]),
                "owner": take(P.ACCOUNT_EXECUTIVES, rng.integers(0, len(P.ACCOUNT_EXECUTIVES), m)),
                "sourced_by": pa.array(np.full(m, "sales", object), type=pa.string()),
                "stage": pa.array(np.full(m, "closed_won", object), type=pa.string()),
                "amount": pa.array(exp_amount[in_window], type=pa.float64()),
                "created_at": ts_array((exp_day[in_window] - 30) * DAY + 10 * 3600),
                "closed_at": ts_array(exp_day[in_window] * DAY - DAY + 15 * 3600),
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
                "response_id": id_array("R", np.arange(1, len(a) + 1), 6),
                "account_id": id_array("A", a + 1, 6),
                "responded_at": ts_array(np.concatenate(when) if when else np.array([], np.int64)),
                "score": pa.array(np.concatenate(score) if score else [], type=pa.int32()),
            }
        )
