"""The demo company's parameters. Rates sit inside the benchmark ranges of the seed articles
(shared/seeds): MQL→SQL about 20%, SQL→opportunity about 50%, win rate about 25% (seed 003);
email open 20–30% and click 2–5%, webinar attendance and completion (seed 001); CPA by tactic
(seed 000: listing ads ¥5,000, SEO ¥3,750, trade show ¥6,667 per lead); CAC at most a third
of LTV (seed 000)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelProfile:
    id: str
    lead_share: float
    """Share of all leads the channel brings."""
    mql_rate: float
    sql_rate: float
    """MQL → SQL."""
    cpa: float
    """Cost per lead in yen."""
    cvr: float
    """Leads per website session from this channel."""


CHANNELS: tuple[ChannelProfile, ...] = (
    ChannelProfile("owned_media", 0.20, 0.30, 0.18, 3_750, 0.010),
    ChannelProfile("paid_ads", 0.18, 0.28, 0.17, 5_000, 0.015),
    ChannelProfile("webinar", 0.16, 0.45, 0.21, 4_500, 0.050),
    ChannelProfile("event", 0.14, 0.25, 0.19, 6_667, 0.080),
    ChannelProfile("content", 0.12, 0.35, 0.18, 4_000, 0.020),
    ChannelProfile("email", 0.06, 0.35, 0.20, 1_500, 0.030),
    ChannelProfile("social", 0.06, 0.20, 0.16, 4_000, 0.008),
    ChannelProfile("referral", 0.05, 0.60, 0.25, 8_000, 0.020),
    ChannelProfile("direct", 0.02, 0.40, 0.22, 0, 0.015),
    ChannelProfile("partner", 0.01, 0.50, 0.24, 12_000, 0.020),
)

LEADS_PER_SCALE = 100_000
MONTH_SEASONALITY = {  # Japanese fiscal year: March and September closes peak, August dips.
    1: 0.85,
    2: 1.00,
    3: 1.30,
    4: 0.95,
    5: 0.95,
    6: 1.00,
    7: 1.00,
    8: 0.70,
    9: 1.25,
    10: 1.05,
    11: 1.05,
    12: 0.90,
}
MONTHLY_GROWTH = 0.012
WEEKEND_WEIGHT = 0.2
HOLIDAY_WEIGHT = 0.25
NEW_YEAR_WEIGHT = 0.15
"""28 December – 4 January, when most Japanese companies close."""

SEGMENTS = ("enterprise", "mid_market", "smb")
SEGMENT_SHARE = (0.15, 0.35, 0.50)
DEAL_SIZE = {"enterprise": 9_600_000.0, "mid_market": 3_600_000.0, "smb": 1_200_000.0}
"""Median first-year contract value."""
SALES_CYCLE_DAYS = {"enterprise": 120.0, "mid_market": 75.0, "smb": 45.0}
MONTHLY_CHURN = {"enterprise": 0.005, "mid_market": 0.010, "smb": 0.020}

OPPORTUNITY_RATE = 0.50  # SQL → opportunity
WIN_RATE = 0.25
DAYS_TO_MQL = 10.0
DAYS_TO_SQL = 14.0
DAYS_TO_OPPORTUNITY = 7.0

EMAIL_DELIVERY = 0.97
EMAIL_OPEN = 0.25  # of delivered
EMAIL_CLICK_GIVEN_OPEN = 0.14  # ≈ 3.5% of delivered
EMAIL_FORM_GIVEN_CLICK = 0.08
EMAIL_EVERY_DAYS = 14
EMAIL_MAX_SENDS = 7
WEBINAR_ATTENDANCE = 0.16  # seed 001: 10–20% of registrants
WEBINAR_COMPLETION = 0.40  # seed 001: 30–50% of attendees
SURVEY_RESPONSE = 0.55
CALLS_PER_MQL = 3.0
CALL_CONNECT = 0.35
EVENT_VALID = 0.65
VISITS_PER_LEAD = 3.0
CTR = 0.025

INSIDE_SALES = tuple(f"IS-{i:02d}" for i in range(1, 9))
ACCOUNT_EXECUTIVES = tuple(f"AE-{i:02d}" for i in range(1, 7))
INDUSTRIES = (
    "製造業",
    "IT・通信",
    "金融",
    "不動産",
    "人材",
    "小売・流通",
    "医療・ヘルスケア",
    "建設",
)
PREFECTURES = ("東京都", "大阪府", "愛知県", "神奈川県", "福岡県", "北海道", "宮城県", "広島県")
