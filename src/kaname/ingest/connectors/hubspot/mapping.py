"""Default HubSpot → canonical mapping (edit per workspace in connectors/hubspot.mapping.yaml)."""

from __future__ import annotations

from typing import Any

LIFECYCLE_STATUS = {
    "subscriber": "open",
    "lead": "open",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "sql",
    "customer": "sql",
    "evangelist": "sql",
    "other": "disqualified",
}

DEAL_STAGES = {
    "appointmentscheduled": "qualification",
    "qualifiedtobuy": "discovery",
    "presentationscheduled": "proposal",
    "decisionmakerboughtin": "proposal",
    "contractsent": "negotiation",
    "closedwon": "closed_won",
    "closedlost": "closed_lost",
}

DEFAULT_MAPPING: dict[str, Any] = {
    "timezone": "Asia/Tokyo",
    # hs_analytics_source ("Original source") values.
    "channels": {
        "ORGANIC_SEARCH": "owned_media",
        "PAID_SEARCH": "paid_ads",
        "PAID_SOCIAL": "paid_ads",
        "SOCIAL_MEDIA": "social",
        "EMAIL_MARKETING": "email",
        "REFERRALS": "referral",
        "DIRECT_TRAFFIC": "direct",
        "OTHER_CAMPAIGNS": "content",
        "OFFLINE": "event",
        "AI_REFERRALS": "referral",
    },
    "tables": [
        {
            "table": "accounts",
            "from": "companies",
            "columns": {
                "account_id": "id",
                "name": "name",
                "industry": "industry",
                "employees": "numberofemployees",
                "prefecture": "state",
                "owner": "hubspot_owner_id",
                "source_channel": {"field": "hs_analytics_source", "channel": True},
                "created_at": {"field": ["createdate", "createdAt"]},
            },
        },
        {
            "table": "leads",
            "from": "contacts",
            "columns": {
                "lead_id": "id",
                "account_id": "associatedcompanyid",
                "email": "email",
                "channel": {"field": "hs_analytics_source", "channel": True},
                "owner": "hubspot_owner_id",
                "status": {
                    "field": "lifecyclestage",
                    "values": LIFECYCLE_STATUS,
                    "default": "open",
                },
                "created_at": {"field": ["hs_lifecyclestage_lead_date", "createdate", "createdAt"]},
                "mql_at": "hs_lifecyclestage_marketingqualifiedlead_date",
                "sql_at": "hs_lifecyclestage_salesqualifiedlead_date",
                "disqualified_at": "hs_lifecyclestage_other_date",
            },
        },
        {
            "table": "opportunities",
            "from": "deals",
            "columns": {
                "opportunity_id": "id",
                "account_id": "associated_company_id",
                "lead_id": "associated_contact_id",
                "name": "dealname",
                "type": {
                    "field": "dealtype",
                    "values": {"newbusiness": "new_business", "existingbusiness": "upsell"},
                    "default": "new_business",
                },
                "channel": {"field": "hs_analytics_source", "channel": True},
                "owner": "hubspot_owner_id",
                "stage": {"field": "dealstage", "values": DEAL_STAGES},
                "amount": "amount",
                "created_at": {"field": ["createdate", "createdAt"]},
                "closed_at": {"field": "closedate"},
                "is_won": {"field": "hs_is_closed_won", "default": False},
            },
        },
        {
            "table": "opportunity_stages",
            "from": "deals",
            "explode": "dealstage_history",
            "where": {
                "field": "item.value",
                "in": [
                    "appointmentscheduled",
                    "qualifiedtobuy",
                    "presentationscheduled",
                    "decisionmakerboughtin",
                    "contractsent",
                ],
            },
            "columns": {
                "opportunity_id": "id",
                "stage": {"field": "item.value", "values": DEAL_STAGES},
                "entered_at": "item.timestamp",
            },
        },
        {
            "table": "touchpoints",
            "from": "email_events",
            "where": {"field": "type", "in": ["SENT", "DELIVERED", "OPEN", "CLICK"]},
            "columns": {
                "touchpoint_id": {"field": "id"},
                "lead_id": {
                    "field": "recipient",
                    "lookup": {"table": "leads", "by": "email", "take": "lead_id"},
                },
                "occurred_at": "created",
                "type": {
                    "field": "type",
                    "values": {
                        "SENT": "email_sent",
                        "DELIVERED": "email_delivered",
                        "OPEN": "email_open",
                        "CLICK": "email_click",
                    },
                },
                "channel": {"const": "email"},
                "campaign_id": "emailCampaignId",
            },
        },
    ],
}
