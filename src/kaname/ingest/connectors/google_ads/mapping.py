"""Default Google Ads → canonical mapping (edit per workspace in
connectors/google_ads.mapping.yaml): cost by date × campaign into `spend` (channel paid_ads) and
the campaigns into `campaigns`."""

from __future__ import annotations

from typing import Any

CAMPAIGN_TYPES = {
    "SEARCH": "search_ads",
    "PERFORMANCE_MAX": "search_ads",
    "SHOPPING": "search_ads",
    "DISPLAY": "display_ads",
    "VIDEO": "display_ads",
    "DEMAND_GEN": "display_ads",
    "DISCOVERY": "display_ads",
}

DEFAULT_MAPPING: dict[str, Any] = {
    "timezone": "Asia/Tokyo",
    "channels": {},
    "tables": [
        {
            "table": "campaigns",
            "from": "campaign_days",
            "columns": {
                "campaign_id": "campaign_id",
                "name": "campaign_name",
                "channel": {"const": "paid_ads"},
                "type": {
                    "field": "channel_type",
                    "values": CAMPAIGN_TYPES,
                    "default": "search_ads",
                },
            },
        },
        {
            "table": "spend",
            "from": "campaign_days",
            "columns": {
                "date": "date",
                "channel": {"const": "paid_ads"},
                "campaign_id": "campaign_id",
                "cost": "cost",
                "impressions": "impressions",
                "clicks": "clicks",
            },
        },
    ],
}
