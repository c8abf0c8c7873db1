"""Base measures: the aggregates over canonical tables that every KPI formula is built from.

Two kinds:
- `EventMeasure`: a count or sum of rows placed in a period by one timestamp column (additive, so
  pacing can project it by run-rate). Lead and opportunity measures also have a *cohort* view, which
  places each row by the creation date of its lead instead.
- `SnapshotMeasure`: a state at the period's boundaries (MRR, customers, open pipeline), computed
  from a period spine; not additive, so a projection keeps the value as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import ibis.expr.types as ir

from kaname.metrics.buckets import days_between

Where = Callable[[ir.Table], ir.BooleanValue]
Value = Callable[[ir.Table], ir.NumericValue]

LEAD_DIMS = {
    "channel": "channel",
    "campaign": "campaign_id",
    "segment": "segment",
    "owner": "owner",
}
OPP_DIMS = dict(LEAD_DIMS)
TOUCH_DIMS = {"channel": "channel", "campaign": "campaign_id", "owner": "owner"}
SPEND_DIMS = {"channel": "channel", "campaign": "campaign_id"}
TRAFFIC_DIMS = {"channel": "channel"}

PAID_CHANNELS = ("paid_ads",)


@dataclass(frozen=True)
class EventMeasure:
    id: str
    table: str
    time: str
    """Column that places a row in a period (period view)."""
    doc: str
    agg: Literal["count", "sum"] = "count"
    value: Value | None = None
    """Expression summed when agg is 'sum'."""
    where: Where | None = None
    dims: dict[str, str] = field(default_factory=dict)
    cohort: bool = False
    """True when the row belongs to a lead, so a cohort view (by lead creation) exists."""
    unit: str = "count"

    additive = True


@dataclass(frozen=True)
class SnapshotMeasure:
    id: str
    family: Literal["subscriptions", "pipeline"]
    doc: str
    dims: dict[str, str] = field(default_factory=dict)
    unit: str = "count"

    additive = False
    cohort = False


Measure = EventMeasure | SnapshotMeasure


def is_new_business(t: ir.Table) -> ir.BooleanValue:
    """New business: the type says so, or says nothing (CRMs default an opportunity to new
    business, and attribution follows the same rule)."""
    return t.type.isnull() | (t.type == "new_business")


def _won_nb(t: ir.Table) -> ir.BooleanValue:
    return t.is_won & is_new_business(t)


def _touch(kind: str) -> Where:
    return lambda t: t.type == kind


def _ev(id: str, table: str, time: str, doc: str, **kw: object) -> EventMeasure:
    dims = {
        "leads": LEAD_DIMS,
        "opportunities": OPP_DIMS,
        "touchpoints": TOUCH_DIMS,
        "spend": SPEND_DIMS,
        "web_traffic": TRAFFIC_DIMS,
    }.get(table, {})
    kw.setdefault("dims", dims)
    kw.setdefault("cohort", table in ("leads", "opportunities"))
    return EventMeasure(id, table, time, doc, **kw)  # type: ignore[arg-type]


EVENT_MEASURES: tuple[EventMeasure, ...] = (
    # Leads and their lifecycle
    _ev("leads", "leads", "created_at", "Leads created."),
    _ev("mqls", "leads", "mql_at", "Leads that became MQL."),
    _ev("sqls", "leads", "sql_at", "Leads that became SQL (accepted by sales, 商談化)."),
    _ev("disqualified_leads", "leads", "disqualified_at", "Leads disqualified."),
    _ev(
        "hot_leads",
        "leads",
        "created_at",
        "Leads created with a score of 70 or more.",
        where=lambda t: t.score >= 70,
    ),
    _ev(
        "lead_score_total",
        "leads",
        "created_at",
        "Sum of the scores of leads created.",
        agg="sum",
        value=lambda t: t.score.cast("float64"),
        unit="points",
    ),
    _ev(
        "days_to_mql_total",
        "leads",
        "mql_at",
        "Days from lead creation to MQL, summed over MQLs.",
        agg="sum",
        value=lambda t: days_between(t.mql_at, t.created_at),
        unit="days",
    ),
    _ev(
        "days_to_sql_total",
        "leads",
        "sql_at",
        "Days from MQL to SQL, summed over SQLs.",
        agg="sum",
        value=lambda t: days_between(t.sql_at, t.mql_at),
        unit="days",
    ),
    # Opportunities and deals (new business unless named otherwise)
    _ev(
        "opportunities",
        "opportunities",
        "created_at",
        "New-business opportunities created.",
        where=is_new_business,
    ),
    _ev(
        "deals",
        "opportunities",
        "closed_at",
        "New-business deals won (new customers).",
        where=_won_nb,
    ),
    _ev(
        "closed_opportunities",
        "opportunities",
        "closed_at",
        "New-business opportunities closed, won or lost.",
        where=is_new_business,
    ),
    _ev(
        "revenue",
        "opportunities",
        "closed_at",
        "Amount of new-business deals won.",
        agg="sum",
        value=lambda t: t.amount,
        where=_won_nb,
        unit="currency",
    ),
    _ev(
        "marketing_sourced_revenue",
        "opportunities",
        "closed_at",
        "Won new-business amount from marketing-sourced opportunities.",
        agg="sum",
        value=lambda t: t.amount,
        where=lambda t: _won_nb(t) & (t.sourced_by == "marketing"),
        unit="currency",
    ),
    _ev(
        "paid_revenue",
        "opportunities",
        "closed_at",
        "Won new-business amount whose source channel is paid advertising.",
        agg="sum",
        value=lambda t: t.amount,
        where=lambda t: _won_nb(t) & t.channel.isin(PAID_CHANNELS),
        unit="currency",
    ),
    _ev(
        "sales_cycle_days_total",
        "opportunities",
        "closed_at",
        "Days from opportunity creation to win, summed over deals won.",
        agg="sum",
        value=lambda t: days_between(t.closed_at, t.created_at),
        where=_won_nb,
        unit="days",
    ),
    _ev(
        "expansion_deals",
        "opportunities",
        "closed_at",
        "Upsell and cross-sell deals won.",
        where=lambda t: t.is_won & t.type.isin(("upsell", "cross_sell")),
        cohort=False,
    ),
    _ev(
        "expansion_revenue",
        "opportunities",
        "closed_at",
        "Amount of upsell/cross-sell deals won.",
        agg="sum",
        value=lambda t: t.amount,
        where=lambda t: t.is_won & t.type.isin(("upsell", "cross_sell")),
        cohort=False,
        unit="currency",
    ),
    # Stage history
    _ev(
        "stage_exits",
        "opportunity_stages",
        "exited_at",
        "Opportunities that left a stage.",
        dims={"stage": "stage"},
        cohort=False,
    ),
    _ev(
        "stage_days_total",
        "opportunity_stages",
        "exited_at",
        "Days spent in a stage, summed over opportunities that left it.",
        agg="sum",
        value=lambda t: days_between(t.exited_at, t.entered_at),
        dims={"stage": "stage"},
        cohort=False,
        unit="days",
    ),
    # Web traffic
    _ev(
        "sessions",
        "web_traffic",
        "date",
        "Website sessions.",
        agg="sum",
        value=lambda t: t.sessions,
    ),
    _ev(
        "users",
        "web_traffic",
        "date",
        "Website users (summed per day).",
        agg="sum",
        value=lambda t: t.users,
    ),
    _ev(
        "new_users",
        "web_traffic",
        "date",
        "First-time website users.",
        agg="sum",
        value=lambda t: t.new_users,
    ),
    _ev("pageviews", "web_traffic", "date", "Page views.", agg="sum", value=lambda t: t.pageviews),
    _ev(
        "organic_sessions",
        "web_traffic",
        "date",
        "Sessions from owned media / organic search.",
        agg="sum",
        value=lambda t: t.sessions,
        where=lambda t: t.channel == "owned_media",
    ),
    # Spend and ad delivery
    _ev(
        "spend",
        "spend",
        "date",
        "Marketing cost.",
        agg="sum",
        value=lambda t: t.cost,
        unit="currency",
    ),
    _ev(
        "ad_spend",
        "spend",
        "date",
        "Cost of paid advertising.",
        agg="sum",
        value=lambda t: t.cost,
        where=lambda t: t.channel.isin(PAID_CHANNELS),
        unit="currency",
    ),
    _ev(
        "impressions", "spend", "date", "Ad impressions.", agg="sum", value=lambda t: t.impressions
    ),
    _ev("ad_clicks", "spend", "date", "Ad clicks.", agg="sum", value=lambda t: t.clicks),
    # Campaigns
    _ev(
        "content_published",
        "campaigns",
        "start_date",
        "Content pieces published (SEO articles and white papers).",
        where=lambda t: t.type.isin(("seo_article", "whitepaper")),
        dims={"channel": "channel"},
        cohort=False,
    ),
    # Touchpoints
    _ev(
        "form_submits",
        "touchpoints",
        "occurred_at",
        "Form submissions.",
        where=_touch("form_submit"),
    ),
    _ev("downloads", "touchpoints", "occurred_at", "Content downloads.", where=_touch("download")),
    _ev("emails_sent", "touchpoints", "occurred_at", "E-mails sent.", where=_touch("email_sent")),
    _ev(
        "emails_delivered",
        "touchpoints",
        "occurred_at",
        "E-mails delivered.",
        where=_touch("email_delivered"),
    ),
    _ev(
        "email_opens",
        "touchpoints",
        "occurred_at",
        "E-mails opened (unique per send).",
        where=_touch("email_open"),
    ),
    _ev(
        "email_clicks",
        "touchpoints",
        "occurred_at",
        "E-mails clicked (unique per send).",
        where=_touch("email_click"),
    ),
    _ev(
        "email_conversions",
        "touchpoints",
        "occurred_at",
        "Form submissions from e-mail.",
        where=lambda t: (t.type == "form_submit") & (t.channel == "email"),
    ),
    _ev(
        "webinar_registrations",
        "touchpoints",
        "occurred_at",
        "Webinar registrations.",
        where=_touch("webinar_registered"),
    ),
    _ev(
        "webinar_attendees",
        "touchpoints",
        "occurred_at",
        "Webinar attendees.",
        where=_touch("webinar_attended"),
    ),
    _ev(
        "webinar_completions",
        "touchpoints",
        "occurred_at",
        "Attendees who watched to the end.",
        where=_touch("webinar_completed"),
    ),
    _ev(
        "survey_responses",
        "touchpoints",
        "occurred_at",
        "Post-webinar/event survey answers.",
        where=_touch("survey_response"),
    ),
    _ev("calls", "touchpoints", "occurred_at", "Outbound calls made.", where=_touch("call")),
    _ev(
        "calls_connected",
        "touchpoints",
        "occurred_at",
        "Calls that reached the person.",
        where=_touch("call_connected"),
    ),
    _ev(
        "appointments",
        "touchpoints",
        "occurred_at",
        "Meetings booked (アポイント).",
        where=_touch("appointment"),
    ),
    _ev(
        "call_seconds_total",
        "touchpoints",
        "occurred_at",
        "Talk time of connected calls.",
        agg="sum",
        value=lambda t: t.duration_seconds.cast("float64"),
        where=_touch("call_connected"),
        unit="seconds",
    ),
    _ev(
        "event_visits",
        "touchpoints",
        "occurred_at",
        "Booth visits / badge scans at events.",
        where=_touch("event_visit"),
    ),
    _ev(
        "event_valid_leads",
        "touchpoints",
        "occurred_at",
        "Event visits judged valid leads.",
        where=lambda t: (t.type == "event_visit") & (t.outcome == "valid"),
    ),
    _ev(
        "social_engagements",
        "touchpoints",
        "occurred_at",
        "Likes, shares and comments.",
        where=_touch("social_engagement"),
    ),
    # NPS
    _ev("nps_responses", "nps_responses", "responded_at", "NPS survey responses."),
    _ev(
        "nps_promoters",
        "nps_responses",
        "responded_at",
        "Responses scoring 9–10.",
        where=lambda t: t.score >= 9,
    ),
    _ev(
        "nps_detractors",
        "nps_responses",
        "responded_at",
        "Responses scoring 0–6.",
        where=lambda t: t.score <= 6,
    ),
)

SUB_DIMS = {"segment": "segment"}

SNAPSHOT_MEASURES: tuple[SnapshotMeasure, ...] = (
    SnapshotMeasure(
        "customers_start", "subscriptions", "Paying customers at the period start.", SUB_DIMS
    ),
    SnapshotMeasure(
        "customers_end", "subscriptions", "Paying customers at the period end.", SUB_DIMS
    ),
    SnapshotMeasure(
        "churned_customers",
        "subscriptions",
        "Customers paying at the start and no longer at the end.",
        SUB_DIMS,
    ),
    SnapshotMeasure(
        "expanded_customers",
        "subscriptions",
        "Customers paying at the start who added an upsell or cross-sell line.",
        SUB_DIMS,
    ),
    SnapshotMeasure("mrr_start", "subscriptions", "MRR at the period start.", SUB_DIMS, "currency"),
    SnapshotMeasure("mrr_end", "subscriptions", "MRR at the period end.", SUB_DIMS, "currency"),
    SnapshotMeasure(
        "retained_mrr",
        "subscriptions",
        "MRR at the end from customers who paid at the start (with expansion).",
        SUB_DIMS,
        "currency",
    ),
    SnapshotMeasure(
        "churned_mrr",
        "subscriptions",
        "MRR at the start of customers who left during the period.",
        SUB_DIMS,
        "currency",
    ),
    SnapshotMeasure(
        "new_mrr", "subscriptions", "MRR of new customers' lines started.", SUB_DIMS, "currency"
    ),
    SnapshotMeasure(
        "pipeline_value",
        "pipeline",
        "Amount of open new-business opportunities at the period end.",
        {"channel": "channel", "segment": "segment", "owner": "owner"},
        "currency",
    ),
    SnapshotMeasure(
        "open_opportunities",
        "pipeline",
        "Open new-business opportunities at the period end.",
        {"channel": "channel", "segment": "segment", "owner": "owner"},
    ),
)

PARAMETERS = {
    "gross_margin": "Gross margin from the workspace settings (0–1).",
    "months": "Length of the period in months (a week is 7/30.44).",
}

MEASURES: dict[str, Measure] = {m.id: m for m in EVENT_MEASURES}
MEASURES.update({m.id: m for m in SNAPSHOT_MEASURES})
