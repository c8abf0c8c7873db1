"""Default Marketo → canonical mapping (edit per workspace in connectors/marketo.mapping.yaml).

Lead statuses and lead sources are free text in Marketo; the values below are common ones."""

from __future__ import annotations

from typing import Any

ACTIVITY_TOUCHPOINTS = {
    "1": "visit",
    "2": "form_submit",
    "6": "email_sent",
    "7": "email_delivered",
    "10": "email_open",
    "11": "email_click",
}
PROGRAM_STATUS_TOUCHPOINTS = {
    "Registered": "webinar_registered",
    "Attended": "webinar_attended",
    "Attended On-demand": "webinar_completed",
    "Visited Booth": "event_visit",
    "Visited": "event_visit",
    "Filled-out Form": "form_submit",
    "Downloaded": "download",
}

DEFAULT_MAPPING: dict[str, Any] = {
    "timezone": "Asia/Tokyo",
    # leadSource values and program channels.
    "channels": {
        "Website": "owned_media",
        "Web": "owned_media",
        "Organic Search": "owned_media",
        "Paid Search": "paid_ads",
        "Online Advertising": "paid_ads",
        "Paid Social": "paid_ads",
        "Social Media": "social",
        "Webinar": "webinar",
        "Tradeshow": "event",
        "Trade Show": "event",
        "Event": "event",
        "Email": "email",
        "Email Send": "email",
        "Nurture": "email",
        "Content": "content",
        "Content Syndication": "content",
        "Referral": "referral",
        "Partner": "partner",
        "Sales Generated": "direct",
    },
    "tables": [
        {
            "table": "campaigns",
            "from": "programs",
            "columns": {
                "campaign_id": "id",
                "name": "name",
                "channel": {"field": "channel", "channel": True},
                "type": {
                    "field": "channel",
                    "values": {
                        "Webinar": "webinar",
                        "Tradeshow": "trade_show",
                        "Email Send": "email_newsletter",
                        "Nurture": "email_newsletter",
                        "Content": "whitepaper",
                        "Online Advertising": "display_ads",
                        "Paid Search": "search_ads",
                    },
                    "default": None,
                },
                "start_date": "createdAt",
            },
        },
        {
            "table": "leads",
            "from": "leads",
            "columns": {
                "lead_id": "id",
                "email": "email",
                "account_id": "sfdcAccountId",
                "channel": {"field": ["leadSource", "originalSourceType"], "channel": True},
                "status": {
                    "field": "leadStatus",
                    "values": {
                        "MQL": "mql",
                        "Marketing Qualified": "mql",
                        "SQL": "sql",
                        "Sales Qualified": "sql",
                        "Sales Accepted": "sql",
                        "Disqualified": "disqualified",
                        "Junk": "disqualified",
                    },
                    "default": "open",
                },
                "created_at": "createdAt",
            },
        },
        {
            "table": "touchpoints",
            "from": "activities",
            "where": {"field": "activityTypeId", "in": [1, 2, 6, 7, 10, 11]},
            "columns": {
                "touchpoint_id": "id",
                "lead_id": "leadId",
                "occurred_at": "activityDate",
                "type": {"field": "activityTypeId", "values": ACTIVITY_TOUCHPOINTS},
                "channel": {
                    "field": "activityTypeId",
                    "values": {"6": "email", "7": "email", "10": "email", "11": "email"},
                    "default": None,
                    "channel": True,
                },
            },
        },
        {
            "table": "touchpoints",
            "from": "activities",
            "where": {"field": "attr.New Status", "in": list(PROGRAM_STATUS_TOUCHPOINTS)},
            "columns": {
                "touchpoint_id": "id",
                "lead_id": "leadId",
                "occurred_at": "activityDate",
                "type": {"field": "attr.New Status", "values": PROGRAM_STATUS_TOUCHPOINTS},
                "campaign_id": "primaryAttributeValueId",
            },
        },
    ],
}
