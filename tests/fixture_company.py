"""A tiny company whose every KPI in April 2025 is computed by hand (see EXPECTED_APRIL_2025).

It includes the seeds' worked examples (seed 000): listing ads ¥500,000 / 100 leads = CPA ¥5,000,
SEO ¥300,000 / 80 = ¥3,750, trade show ¥1,000,000 / 150 = ¥6,667; and 10 SQL of 51 MQL ≈ 19.6%.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kaname.store.warehouse import Warehouse

D = dt.datetime
APRIL = dt.date(2025, 4, 1)


def _leads() -> pd.DataFrame:
    rows = []
    channels = ["paid_ads"] * 100 + ["owned_media"] * 80 + ["event"] * 150
    for i, channel in enumerate(channels):
        created = D(2025, 4, 1 + i % 10)
        mql = created + dt.timedelta(days=10) if i < 51 else None
        sql = mql + dt.timedelta(days=10) if (i < 10 and mql) else None
        rows.append(
            {
                "lead_id": f"L{i:04d}",
                "account_id": f"A{i:04d}",
                "channel": channel,
                "campaign_id": f"C-{channel}",
                "segment": "smb" if i % 2 else "enterprise",
                "owner": "rep1",
                "score": 80 if i % 11 == 0 else 40,
                "created_at": created,
                "mql_at": mql,
                "sql_at": sql,
                "disqualified_at": created + dt.timedelta(days=3) if 300 <= i < 305 else None,
                "status": "open",
            }
        )
    return pd.DataFrame(rows)


def _opportunities() -> pd.DataFrame:
    base = {
        "type": "new_business",
        "segment": "enterprise",
        "owner": "ae1",
        "created_at": D(2025, 4, 22),
    }
    rows = [
        {
            "opportunity_id": "O1",
            "lead_id": "L0000",
            "channel": "paid_ads",
            "sourced_by": "marketing",
            "amount": 1_000_000.0,
            "closed_at": D(2025, 4, 29),
            "is_won": True,
        },
        {
            "opportunity_id": "O2",
            "lead_id": "L0001",
            "channel": "webinar",
            "sourced_by": "marketing",
            "amount": 2_000_000.0,
            "closed_at": D(2025, 4, 29),
            "is_won": True,
        },
        {
            "opportunity_id": "O3",
            "lead_id": "L0002",
            "channel": "webinar",
            "sourced_by": "sales",
            "amount": 3_000_000.0,
            "closed_at": D(2025, 4, 29),
            "is_won": True,
        },
        {
            "opportunity_id": "O4",
            "lead_id": "L0003",
            "channel": "webinar",
            "sourced_by": "marketing",
            "amount": 800_000.0,
            "closed_at": D(2025, 4, 28),
            "is_won": False,
        },
        {
            "opportunity_id": "O5",
            "lead_id": "L0004",
            "channel": "webinar",
            "sourced_by": "marketing",
            "amount": 500_000.0,
            "closed_at": None,
            "is_won": False,
        },
        {
            "opportunity_id": "O6",
            "lead_id": "L0005",
            "channel": "webinar",
            "sourced_by": "marketing",
            "amount": 1_500_000.0,
            "closed_at": None,
            "is_won": False,
        },
    ]
    frame = pd.DataFrame([{**base, **r} for r in rows])
    upsell = {
        "opportunity_id": "O7",
        "lead_id": None,
        "channel": "webinar",
        "sourced_by": "sales",
        "type": "upsell",
        "segment": "enterprise",
        "owner": "ae1",
        "created_at": D(2025, 4, 2),
        "closed_at": D(2025, 4, 9),
        "is_won": True,
        "amount": 600_000.0,
    }
    return pd.concat([frame, pd.DataFrame([upsell])], ignore_index=True)


def _touchpoints() -> pd.DataFrame:
    counts = [
        ("email_sent", "email", 1000),
        ("email_delivered", "email", 980),
        ("email_open", "email", 245),
        ("email_click", "email", 29),
        ("form_submit", "email", 3),
        ("form_submit", "owned_media", 7),
        ("download", "content", 20),
        ("webinar_registered", "webinar", 200),
        ("webinar_attended", "webinar", 30),
        ("webinar_completed", "webinar", 12),
        ("survey_response", "webinar", 9),
        ("call", "direct", 100),
        ("call_connected", "direct", 40),
        ("appointment", "direct", 8),
        ("event_visit", "event", 150),
        ("social_engagement", "social", 500),
    ]
    rows = []
    n = 0
    for kind, channel, count in counts:
        for i in range(count):
            n += 1
            rows.append(
                {
                    "touchpoint_id": f"T{n:05d}",
                    "lead_id": f"L{i % 330:04d}",
                    "occurred_at": D(2025, 4, 1 + i % 28, 10),
                    "type": kind,
                    "channel": channel,
                    "campaign_id": f"C-{channel}",
                    "owner": "rep1" if kind.startswith(("call", "app")) else None,
                    "duration_seconds": 180 if kind == "call_connected" else None,
                    "outcome": ("valid" if i < 90 else "invalid")
                    if kind == "event_visit"
                    else None,
                }
            )
    return pd.DataFrame(rows)


def _subscriptions() -> pd.DataFrame:
    old = dt.date(2024, 10, 1)
    rows = [
        ("S1", "A1", 100_000.0, old, dt.date(2025, 4, 10), "new", "upgrade"),
        ("S1b", "A1", 150_000.0, dt.date(2025, 4, 10), None, "upsell", None),
        ("S2", "A2", 200_000.0, old, None, "new", None),
        ("S3", "A3", 300_000.0, old, None, "new", None),
        ("S4", "A4", 400_000.0, old, dt.date(2025, 4, 15), "new", "churn"),
        ("S5", "A5", 50_000.0, dt.date(2025, 4, 20), None, "new", None),
    ]
    cols = [
        "subscription_id",
        "account_id",
        "mrr",
        "start_date",
        "end_date",
        "change",
        "end_reason",
    ]
    return pd.DataFrame(rows, columns=cols)


def load(wh: Warehouse) -> Warehouse:
    wh.ensure_schema()
    wh.append("leads", _leads())
    wh.append("opportunities", _opportunities())
    wh.append(
        "opportunity_stages",
        pd.DataFrame(
            {
                "opportunity_id": ["O1", "O2"],
                "stage": ["qualification", "qualification"],
                "entered_at": [D(2025, 4, 1), D(2025, 4, 2)],
                "exited_at": [D(2025, 4, 5), D(2025, 4, 8)],
            }
        ),
    )
    wh.append("touchpoints", _touchpoints())
    wh.append(
        "spend",
        pd.DataFrame(
            {
                "date": [dt.date(2025, 4, 3)] * 3,
                "channel": ["paid_ads", "owned_media", "event"],
                "campaign_id": ["C-paid_ads", "C-owned_media", "C-event"],
                "cost": [500_000.0, 300_000.0, 1_000_000.0],
                "impressions": [100_000, 0, 0],
                "clicks": [2_000, 0, 0],
            }
        ),
    )
    wh.append(
        "web_traffic",
        pd.DataFrame(
            {
                "date": [dt.date(2025, 4, 1), dt.date(2025, 4, 1)],
                "channel": ["owned_media", "paid_ads"],
                "sessions": [20_000, 13_000],
                "users": [15_000, 10_000],
                "new_users": [9_000, 8_000],
                "pageviews": [50_000, 20_000],
            }
        ),
    )
    wh.append(
        "campaigns",
        pd.DataFrame(
            {
                "campaign_id": ["K1", "K2", "K3"],
                "channel": ["owned_media", "content", "webinar"],
                "type": ["seo_article", "whitepaper", "webinar"],
                "start_date": [dt.date(2025, 4, 5), dt.date(2025, 4, 20), dt.date(2025, 4, 10)],
            }
        ),
    )
    wh.append("subscriptions", _subscriptions())
    wh.append(
        "nps_responses",
        pd.DataFrame(
            {
                "response_id": [f"R{i}" for i in range(10)],
                "account_id": ["A2"] * 10,
                "responded_at": [D(2025, 4, 15)] * 10,
                "score": [10, 9, 9, 10, 9, 8, 7, 8, 3, 6],
            }
        ),
    )
    return wh


SPEND = 1_800_000.0
LEADS = 330
MQLS = 51
DEALS = 3
REVENUE = 6_000_000.0
CAC = SPEND / DEALS
ARPA = 700_000 / 4
LTV = ARPA * 0.8 * 1 * 4 / 1

EXPECTED_APRIL_2025: dict[str, float] = {
    "sessions": 33_000,
    "users": 25_000,
    "organic_sessions": 20_000,
    "impressions": 100_000,
    "ad_clicks": 2_000,
    "ctr": 0.02,
    "cpc": 250,
    "social_engagements": 500,
    "content_published": 2,
    "leads": LEADS,
    "cvr": LEADS / 33_000,
    "cpa": SPEND / LEADS,
    "mqls": MQLS,
    "mql_rate": MQLS / LEADS,
    "cost_per_mql": SPEND / MQLS,
    "days_to_mql": 10,
    "avg_lead_score": (30 * 80 + 300 * 40) / LEADS,
    "hot_lead_share": 30 / LEADS,
    "email_delivery_rate": 0.98,
    "email_open_rate": 0.25,
    "email_click_rate": 29 / 980,
    "email_click_to_open_rate": 29 / 245,
    "email_conversion_rate": 3 / 29,
    "webinar_registrations": 200,
    "webinar_attendance_rate": 0.15,
    "webinar_completion_rate": 0.4,
    "survey_response_rate": 0.3,
    "event_visits": 150,
    "event_valid_lead_rate": 0.6,
    "calls": 100,
    "call_connect_rate": 0.4,
    "appointment_rate": 0.2,
    "avg_call_minutes": 3,
    "sqls": 10,
    "sql_rate": 10 / 51,
    "days_to_sql": 10,
    "opportunities": 6,
    "opportunity_rate": 0.6,
    "win_rate": 0.75,
    "lead_to_deal_rate": DEALS / LEADS,
    "deals": DEALS,
    "revenue": REVENUE,
    "average_deal_size": 2_000_000,
    "sales_cycle_days": 7,
    "stage_days": 5,
    "pipeline_value": 2_000_000,
    "cac": CAC,
    "roas": 1_000_000 / 500_000,
    "romi": (REVENUE - SPEND) / SPEND,
    "marketing_sourced_revenue_share": 0.5,
    "customers": 4,
    "mrr": 700_000,
    "logo_churn_rate": 0.25,
    "revenue_churn_rate": 0.4,
    "logo_retention_rate": 0.75,
    "nrr": 0.65,
    "upsell_rate": 0.25,
    "expansion_revenue": 600_000,
    "arpa": ARPA,
    "ltv": LTV,
    "ltv_cac": LTV / CAC,
    "cac_payback_months": CAC / (ARPA * 0.8),
    "nps": 30,
}
