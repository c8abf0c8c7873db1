"""The funnel events: every touchpoint of every lead (visits, forms, e-mail, webinars, calls,
events, ads)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pyarrow as pa

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


class TouchpointsMixin(CompanyBase):
    """Every interaction of each lead, numbered in the order they are drawn."""

    # ------------------------------------------------------------------ touchpoints
    def _touchpoints(self, L: Leads) -> Iterator[Chunk]:
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
        L: Leads,
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
            "touchpoint_id": id_array("T", ids, 9),
            "lead_id": id_array("L", idx[ok] + 1, 7),
            "account_id": id_array("A", L.account[idx[ok]] + 1, 6),
            "occurred_at": ts_array(at[ok]),
            "type": pa.array(np.full(n, kind, dtype=object), type=pa.string()),
            "channel": take(self.channel_ids, channel[ok]),
            "campaign_id": pa.array(
                camp_ids[(campaign[ok] + 1) if campaign is not None else (L.campaign[idx[ok]] + 1)],
                type=pa.string(),
            ),
        }
        if owner is not None:
            columns["owner"] = take(P.INSIDE_SALES, owner[ok])
        if duration is not None:
            columns["duration_seconds"] = pa.array(duration[ok], type=pa.int32())
        if outcome is not None:
            columns["outcome"] = pa.array(outcome[ok], type=pa.string())
        return "touchpoints", pa.table(columns)
