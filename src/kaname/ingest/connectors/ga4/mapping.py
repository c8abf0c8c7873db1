"""Default GA4 → canonical mapping (edit per workspace in connectors/ga4.mapping.yaml).

GA4's default channel groups onto the channel vocabulary; groups that land on the same channel
(Paid Search, Display, Paid Social ... → paid_ads) are summed per day (`aggregate: sum`)."""

from __future__ import annotations

from typing import Any

CHANNEL_GROUPS = {
    "Direct": "direct",
    "Organic Search": "owned_media",
    "Organic Shopping": "owned_media",
    "Paid Search": "paid_ads",
    "Paid Shopping": "paid_ads",
    "Paid Social": "paid_ads",
    "Paid Video": "paid_ads",
    "Paid Other": "paid_ads",
    "Display": "paid_ads",
    "Cross-network": "paid_ads",
    "Audio": "paid_ads",
    "Email": "email",
    "SMS": "email",
    "Mobile Push Notifications": "email",
    "Referral": "referral",
    "Affiliates": "partner",
    "Organic Social": "social",
    "Organic Video": "social",
    "Unassigned": "direct",
    "(other)": "direct",
}

DEFAULT_MAPPING: dict[str, Any] = {
    "timezone": "Asia/Tokyo",
    "channels": CHANNEL_GROUPS,
    "tables": [
        {
            "table": "web_traffic",
            "from": "traffic",
            "aggregate": "sum",
            "columns": {
                "date": "date",
                "channel": {"field": "sessionDefaultChannelGroup", "channel": True},
                "sessions": "sessions",
                "users": "totalUsers",
                "new_users": "newUsers",
                "pageviews": "screenPageViews",
            },
        }
    ],
}
