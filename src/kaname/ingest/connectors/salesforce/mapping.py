"""Default Salesforce → canonical mapping (edit per workspace in
connectors/salesforce.mapping.yaml). Stage and status values are Salesforce's defaults."""

from __future__ import annotations

from typing import Any

OPEN_STAGES = {
    "Prospecting": "qualification",
    "Qualification": "qualification",
    "Needs Analysis": "discovery",
    "Value Proposition": "discovery",
    "Id. Decision Makers": "discovery",
    "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal",
    "Negotiation/Review": "negotiation",
}
STAGES = {**OPEN_STAGES, "Closed Won": "closed_won", "Closed Lost": "closed_lost"}

DEFAULT_MAPPING: dict[str, Any] = {
    "timezone": "Asia/Tokyo",
    # LeadSource, AccountSource and Campaign Type picklist values.
    "channels": {
        "Web": "owned_media",
        "Advertisement": "paid_ads",
        "Banner Ads": "paid_ads",
        "Webinar": "webinar",
        "Seminar / Conference": "event",
        "Trade Show": "event",
        "Email": "email",
        "Direct Mail": "email",
        "Employee Referral": "referral",
        "External Referral": "referral",
        "Partner": "partner",
        "Partner Referral": "partner",
        "Phone Inquiry": "direct",
        "Purchased List": "content",
        "Public Relations": "content",
        "Other": "direct",
    },
    "tables": [
        {
            "table": "accounts",
            "from": "account",
            "columns": {
                "account_id": "Id",
                "name": "Name",
                "industry": "Industry",
                "employees": "NumberOfEmployees",
                "prefecture": "BillingState",
                "owner": "OwnerId",
                "source_channel": {"field": "AccountSource", "channel": True},
                "created_at": "CreatedDate",
            },
        },
        {
            "table": "leads",
            "from": "lead",
            "columns": {
                "lead_id": "Id",
                "account_id": "ConvertedAccountId",
                "email": "Email",
                "channel": {"field": "LeadSource", "channel": True},
                "owner": "OwnerId",
                "status": {
                    "field": "Status",
                    "values": {
                        "Open - Not Contacted": "open",
                        "Working - Contacted": "mql",
                        "Closed - Converted": "sql",
                        "Closed - Not Converted": "disqualified",
                    },
                    "default": "open",
                },
                "created_at": "CreatedDate",
                "sql_at": {"field": "ConvertedDate", "if": "IsConverted"},
            },
        },
        {
            "table": "campaigns",
            "from": "campaign",
            "columns": {
                "campaign_id": "Id",
                "name": "Name",
                "channel": {"field": "Type", "channel": True},
                "type": {
                    "field": "Type",
                    "values": {
                        "Webinar": "webinar",
                        "Trade Show": "trade_show",
                        "Email": "email_newsletter",
                        "Advertisement": "search_ads",
                        "Banner Ads": "display_ads",
                        "Partners": "partner_programme",
                        "Referral Program": "referral_programme",
                    },
                },
                "start_date": "StartDate",
                "end_date": "EndDate",
                "budget": "BudgetedCost",
            },
        },
        {
            "table": "opportunities",
            "from": "opportunity",
            "columns": {
                "opportunity_id": "Id",
                "account_id": "AccountId",
                "name": "Name",
                "type": {
                    "field": "Type",
                    "values": {"New Business": "new_business", "Existing Business": "upsell"},
                    "default": "new_business",
                },
                "channel": {"field": "LeadSource", "channel": True},
                "campaign_id": "CampaignId",
                "owner": "OwnerId",
                "stage": {"field": "StageName", "values": STAGES},
                "amount": "Amount",
                "created_at": "CreatedDate",
                "closed_at": {"field": "CloseDate", "if": "IsClosed"},
                "is_won": "IsWon",
            },
        },
        {
            "table": "opportunity_stages",
            "from": "opportunityhistory",
            "where": {"field": "StageName", "in": list(OPEN_STAGES)},
            "columns": {
                "opportunity_id": "OpportunityId",
                "stage": {"field": "StageName", "values": OPEN_STAGES},
                "entered_at": "CreatedDate",
            },
        },
        {
            "table": "touchpoints",
            "from": "campaignmember",
            "columns": {
                "touchpoint_id": "Id",
                "lead_id": {"field": ["LeadId", "ContactId"]},
                "occurred_at": {"field": ["FirstRespondedDate", "CreatedDate"]},
                "type": {
                    "field": "Status",
                    "values": {
                        "Sent": "email_sent",
                        "Responded": "form_submit",
                        "Registered": "webinar_registered",
                        "Attended": "webinar_attended",
                    },
                    "default": "form_submit",
                },
                "campaign_id": "CampaignId",
            },
        },
        {
            "table": "touchpoints",
            "from": "task",
            "where": {"field": "TaskSubtype", "in": ["Call"]},
            "columns": {
                "touchpoint_id": "Id",
                "lead_id": "WhoId",
                "occurred_at": {"field": ["ActivityDate", "CreatedDate"]},
                "type": {"const": "call"},
                "owner": "OwnerId",
                "duration_seconds": "CallDurationInSeconds",
                "outcome": "CallDisposition",
            },
        },
        {
            "table": "touchpoints",
            "from": "event",
            "columns": {
                "touchpoint_id": "Id",
                "lead_id": "WhoId",
                "occurred_at": {"field": ["StartDateTime", "CreatedDate"]},
                "type": {"const": "appointment"},
                "owner": "OwnerId",
            },
        },
    ],
}
