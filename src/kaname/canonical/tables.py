"""Column-by-column definition of the canonical warehouse tables (documented in docs/data-model.md).

Every connector and importer writes these tables; every metric reads them. The `_loaded_at`
column records when a row was last written, which is how `kaname refresh` finds the periods
new data touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    """Ibis type name: string, int32, int64, float64, boolean, date, timestamp."""
    doc: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def schema(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


LOADED_AT = Column("_loaded_at", "timestamp", "When Kaname last wrote this row (UTC).", False)

LEAD_STATUSES = ("open", "mql", "sql", "disqualified")
SEGMENTS = ("enterprise", "mid_market", "smb")
OPPORTUNITY_TYPES = ("new_business", "upsell", "cross_sell")
OPPORTUNITY_STAGES = ("qualification", "discovery", "proposal", "negotiation")
SOURCED_BY = ("marketing", "sales", "partner")
TOUCHPOINT_TYPES = (
    "visit",
    "form_submit",
    "download",
    "email_sent",
    "email_delivered",
    "email_open",
    "email_click",
    "webinar_registered",
    "webinar_attended",
    "webinar_completed",
    "survey_response",
    "call",
    "call_connected",
    "appointment",
    "event_visit",
    "ad_click",
    "social_engagement",
)

ACCOUNTS = Table(
    "accounts",
    "Companies: prospects and customers (one row per company).",
    ("account_id",),
    (
        Column("account_id", "string", "Source-stable company id.", False),
        Column("name", "string", "Company name."),
        Column("industry", "string", "Industry (free text or the source's picklist)."),
        Column("segment", "string", f"Size segment: {', '.join(SEGMENTS)}."),
        Column("employees", "int32", "Number of employees."),
        Column("prefecture", "string", "Head-office prefecture or region."),
        Column("owner", "string", "Account owner (sales rep)."),
        Column("source_channel", "string", "Channel that first brought the company in."),
        Column("created_at", "timestamp", "When the company was first recorded."),
        LOADED_AT,
    ),
)

LEADS = Table(
    "leads",
    "People, one row per lead/contact, with lifecycle timestamps (null = stage not reached).",
    ("lead_id",),
    (
        Column("lead_id", "string", "Source-stable person id.", False),
        Column("account_id", "string", "Company the person works for (accounts.account_id)."),
        Column("email", "string", "Work e-mail address."),
        Column("channel", "string", "Source channel of the lead (controlled vocabulary)."),
        Column("campaign_id", "string", "Campaign that created the lead (campaigns.campaign_id)."),
        Column("segment", "string", "Segment of the lead's company when the lead was created."),
        Column("owner", "string", "Inside-sales rep who works the lead."),
        Column("score", "int32", "Lead score 0–100 (behaviour + fit)."),
        Column("status", "string", f"Current status: {', '.join(LEAD_STATUSES)}."),
        Column(
            "created_at", "timestamp", "When the lead was created (became a known lead).", False
        ),
        Column("mql_at", "timestamp", "When marketing qualified the lead (MQL)."),
        Column("sql_at", "timestamp", "When sales accepted the lead (SQL / 商談化)."),
        Column("disqualified_at", "timestamp", "When the lead was disqualified."),
        LOADED_AT,
    ),
)

TOUCHPOINTS = Table(
    "touchpoints",
    "Every interaction of a lead or account with the company (one row per event).",
    ("touchpoint_id",),
    (
        Column("touchpoint_id", "string", "Source-stable event id.", False),
        Column("lead_id", "string", "Person who interacted (null for anonymous events)."),
        Column("account_id", "string", "Company of the person."),
        Column("occurred_at", "timestamp", "When it happened.", False),
        Column("type", "string", f"Interaction type: {', '.join(TOUCHPOINT_TYPES)}.", False),
        Column("channel", "string", "Channel of the interaction (controlled vocabulary)."),
        Column("campaign_id", "string", "Campaign the interaction belongs to."),
        Column("owner", "string", "Rep who made the call or meeting (calls and appointments)."),
        Column(
            "duration_seconds", "int32", "Talk time of a connected call; viewing time of a webinar."
        ),
        Column("outcome", "string", "Result where the type has one: event_visit valid/invalid."),
        LOADED_AT,
    ),
)

CAMPAIGNS = Table(
    "campaigns",
    "Marketing campaigns and programmes (one row per campaign).",
    ("campaign_id",),
    (
        Column("campaign_id", "string", "Source-stable campaign id.", False),
        Column("name", "string", "Campaign name."),
        Column("channel", "string", "Channel of the campaign (controlled vocabulary)."),
        Column(
            "type",
            "string",
            "Kind of campaign: search_ads, display_ads, seo_article, webinar, trade_show, "
            "email_newsletter, social_post, whitepaper, referral_programme, partner_programme.",
        ),
        Column("start_date", "date", "First day of the campaign (publication date for content)."),
        Column("end_date", "date", "Last day of the campaign."),
        Column("budget", "float64", "Planned budget in the workspace currency."),
        LOADED_AT,
    ),
)

SPEND = Table(
    "spend",
    "Marketing cost by day × channel × campaign, with ad delivery counts where the source has"
    " them.",
    ("date", "channel", "campaign_id"),
    (
        Column("date", "date", "Day the cost was incurred.", False),
        Column("channel", "string", "Channel (controlled vocabulary).", False),
        Column("campaign_id", "string", "Campaign ('' when the cost has no campaign).", False),
        Column("cost", "float64", "Cost in the workspace currency (tax excluded)."),
        Column("impressions", "int64", "Ad impressions (paid channels)."),
        Column("clicks", "int64", "Ad clicks (paid channels)."),
        LOADED_AT,
    ),
)

WEB_TRAFFIC = Table(
    "web_traffic",
    "Website traffic by day × channel (from web analytics such as GA4).",
    ("date", "channel"),
    (
        Column("date", "date", "Day.", False),
        Column("channel", "string", "Traffic channel (controlled vocabulary).", False),
        Column("sessions", "int64", "Sessions."),
        Column("users", "int64", "Active users."),
        Column("new_users", "int64", "First-time users."),
        Column("pageviews", "int64", "Page views."),
        LOADED_AT,
    ),
)

OPPORTUNITIES = Table(
    "opportunities",
    "Deals in the sales pipeline (one row per opportunity; stage changes in opportunity_stages).",
    ("opportunity_id",),
    (
        Column("opportunity_id", "string", "Source-stable opportunity id.", False),
        Column("account_id", "string", "Company (accounts.account_id)."),
        Column("lead_id", "string", "Lead the opportunity came from, when known."),
        Column("name", "string", "Opportunity name."),
        Column("type", "string", f"Business type: {', '.join(OPPORTUNITY_TYPES)}."),
        Column("channel", "string", "Source channel (the originating lead's channel)."),
        Column("campaign_id", "string", "Source campaign."),
        Column("segment", "string", "Segment of the company."),
        Column("owner", "string", "Sales rep who owns the deal."),
        Column("sourced_by", "string", f"Who sourced it: {', '.join(SOURCED_BY)}."),
        Column("stage", "string", "Current stage (open stages, or closed_won / closed_lost)."),
        Column("amount", "float64", "Deal value in the workspace currency (first-year contract)."),
        Column("created_at", "timestamp", "When the opportunity was created (案件化).", False),
        Column("closed_at", "timestamp", "When it was won or lost (null while open)."),
        Column("is_won", "boolean", "True when closed won; false when lost or open."),
        LOADED_AT,
    ),
)

OPPORTUNITY_STAGES_TABLE = Table(
    "opportunity_stages",
    "Stage history of opportunities: one row per stage an opportunity entered.",
    ("opportunity_id", "stage"),
    (
        Column("opportunity_id", "string", "Opportunity (opportunities.opportunity_id).", False),
        Column("stage", "string", f"Stage: {', '.join(OPPORTUNITY_STAGES)}.", False),
        Column("entered_at", "timestamp", "When the opportunity entered the stage.", False),
        Column("exited_at", "timestamp", "When it left the stage (null while in it)."),
        LOADED_AT,
    ),
)

SUBSCRIPTIONS = Table(
    "subscriptions",
    "Recurring revenue lines: one row per subscription line; a change of plan ends one line and "
    "starts another.",
    ("subscription_id",),
    (
        Column("subscription_id", "string", "Source-stable subscription line id.", False),
        Column("account_id", "string", "Customer (accounts.account_id).", False),
        Column("product", "string", "Product or plan."),
        Column("mrr", "float64", "Monthly recurring revenue of the line."),
        Column("start_date", "date", "First day the line is billed.", False),
        Column("end_date", "date", "Day after the last billed day (null while active)."),
        Column("change", "string", "Why the line started: new, upsell, cross_sell."),
        Column("end_reason", "string", "Why it ended: churn, upgrade (replaced by a larger line)."),
        LOADED_AT,
    ),
)

NPS_RESPONSES = Table(
    "nps_responses",
    "Net Promoter Score survey answers (one row per response).",
    ("response_id",),
    (
        Column("response_id", "string", "Source-stable response id.", False),
        Column("account_id", "string", "Customer who answered."),
        Column("responded_at", "timestamp", "When the answer was given.", False),
        Column("score", "int32", "Likelihood to recommend, 0–10.", False),
        LOADED_AT,
    ),
)

TABLES: tuple[Table, ...] = (
    ACCOUNTS,
    LEADS,
    TOUCHPOINTS,
    CAMPAIGNS,
    SPEND,
    WEB_TRAFFIC,
    OPPORTUNITIES,
    OPPORTUNITY_STAGES_TABLE,
    SUBSCRIPTIONS,
    NPS_RESPONSES,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
