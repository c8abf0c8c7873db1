"""Marketing's side: campaigns, daily spend per campaign and web traffic per channel."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from kaname.ingest.synthetic import profile as P
from kaname.ingest.synthetic.base import (
    DAY,
    Chunk,
    CompanyBase,
    Leads,
    date_array,
    id_array,
    take,
)

KIND_NAMES = {
    "seo_article": "SEO記事",
    "whitepaper": "ホワイトペーパー",
    "webinar": "ウェビナー",
    "trade_show": "展示会",
    "email_newsletter": "メールマガジン",
    "social_post": "SNS投稿",
    "search_ads": "リスティング広告",
    "display_ads": "ディスプレイ広告",
    "social_ads": "SNS広告",
    "referral_programme": "紹介プログラム",
    "partner_programme": "パートナープログラム",
}
"""How the demo company (a Japanese one) names its campaigns: 2026年7月 展示会 #2."""


class MarketingMixin(CompanyBase):
    """Campaigns by month and channel; the spend and traffic that bring the leads."""

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
                    year, month = str(month_start).split("-")
                    label = f"{year}年{int(month)}月"
                    rows["name"].append(f"{label} {KIND_NAMES[kind]} #{k + 1}")
        for channel, kinds in always.items():
            for kind in kinds:
                rows["channel"].append(channel)
                rows["type"].append(kind)
                rows["start"].append(self.start_day)
                rows["end"].append(self.end_day + 365)
                rows["budget"].append(float(self.rng.integers(20, 80)) * 1_000_000)
                rows["name"].append(f"{KIND_NAMES[kind]}（通年）")
        n = len(rows["channel"])
        self.camp_channel = np.array(rows["channel"], dtype=object)
        self.camp_type = np.array(rows["type"], dtype=object)
        self.camp_start = np.array(rows["start"], dtype=np.int64)
        self.camp_end = np.array(rows["end"], dtype=np.int64)
        self.camp_ids = id_array("C", np.arange(1, n + 1), 4)
        table = pa.table(
            {
                "campaign_id": self.camp_ids,
                "name": pa.array(rows["name"], type=pa.string()),
                "channel": pa.array(rows["channel"], type=pa.string()),
                "type": pa.array(rows["type"], type=pa.string()),
                "start_date": date_array(self.camp_start),
                "end_date": date_array(self.camp_end),
                "budget": pa.array(rows["budget"], type=pa.float64()),
            }
        )
        return "campaigns", table

    # ------------------------------------------------------------------ spend and traffic
    def _spend_and_traffic(self, L: Leads) -> list[Chunk]:
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
                "date": date_array(s_day[keep]),
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
                "date": date_array(self.days[d_idx.ravel()]),
                "channel": take(self.channel_ids, c_idx.ravel()),
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
