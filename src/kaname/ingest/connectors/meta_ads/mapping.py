"""Default Meta Ads → canonical mapping (edit per workspace in connectors/meta_ads.mapping.yaml):
spend by date × campaign into `spend` (channel paid_ads) and the campaigns into `campaigns`."""

from __future__ import annotations

from typing import Any

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
                "type": {"const": "display_ads"},
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
