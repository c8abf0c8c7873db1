"""Drill-down in the web app: the link from a number to the records behind it, and the words of
the lists (field names, coded values such as statuses, stages and touch types, the names of
measures that are not KPIs) in the reader's language. Nothing here shows an id."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from kaname.dashboard.filters import Filters
from kaname.dashboard.records import drillable
from kaname.web.i18n import Translator


def records_link(
    catalog: Any, filters: Filters, back: str, kpi: str = "", measure: str = "", **changes: str
) -> str:
    """The address of the records behind a number: the KPI's (or the measure's) records with
    the page's filters, `changes` applied (channel=…, period=…), and the page to go back to;
    empty when the number is not made of records (NPS, LTV)."""
    if kpi and not drillable(catalog, kpi):
        return ""
    own = {"kpi": kpi, "measure": measure, "back": back}
    query = "&".join(
        p for p in (filters.query(**changes), urlencode({k: v for k, v in own.items() if v})) if p
    )
    return f"/records?{query}"


def column_names(_: Translator) -> dict[str, str]:
    return {
        "lead_id": _("Lead (CRM ID)"),
        "opportunity_id": _("Opportunity (CRM ID)"),
        "name": _("Opportunity name"),
        "account": _("Company"),
        "email": _("Email"),
        "status": _("Lead status"),
        "created_at": _("Created"),
        "mql_at": _("Became MQL"),
        "sql_at": _("Became SQL"),
        "disqualified_at": _("Disqualified (date)"),
        "closed_at": _("Closed"),
        "occurred_at": _("Occurred"),
        "date": _("Day"),
        "channel": _("Channel"),
        "campaign": _("Campaign"),
        "segment": _("Segment"),
        "owner": _("Owner"),
        "score": _("Lead score"),
        "amount": _("Amount"),
        "type": _("Type"),
        "stage": _("Stage"),
        "is_won": _("Won"),
        "sourced_by": _("Sourced by"),
        "cost": _("Cost"),
        "impressions": _("Impressions"),
        "clicks": _("Clicks"),
        "duration_seconds": _("Duration (seconds)"),
        "outcome": _("Outcome"),
        "sessions": _("Sessions"),
        "users": _("Users"),
        "new_users": _("New users"),
        "pageviews": _("Page views"),
        "mrr_start": _("MRR at the period start"),
        "mrr_end": _("MRR at the period end"),
    }


def coded_values(_: Translator) -> dict[str, dict[str, str]]:
    """Values from the canonical vocabularies (docs/data-model.md), per field."""
    return {
        "status": {
            "open": _("Open"),
            "mql": "MQL",
            "sql": "SQL",
            "disqualified": _("Disqualified"),
        },
        "type": {
            "new_business": _("New business"),
            "upsell": _("Upsell"),
            "cross_sell": _("Cross-sell"),
            "visit": _("Site visit"),
            "form_submit": _("Form submission"),
            "download": _("Download"),
            "email_sent": _("E-mail sent"),
            "email_delivered": _("E-mail delivered"),
            "email_open": _("E-mail opened"),
            "email_click": _("E-mail clicked"),
            "webinar_registered": _("Webinar registration"),
            "webinar_attended": _("Webinar attendance"),
            "webinar_completed": _("Webinar watched to the end"),
            "survey_response": _("Survey answer"),
            "call": _("Call"),
            "call_connected": _("Call connected"),
            "appointment": _("Appointment"),
            "event_visit": _("Event visit"),
            "ad_click": _("Ad click"),
            "social_engagement": _("Social engagement"),
        },
        "stage": {
            "qualification": _("Qualification"),
            "discovery": _("Discovery"),
            "proposal": _("Proposal"),
            "negotiation": _("Negotiation"),
            "closed_won": _("Closed won"),
            "closed_lost": _("Closed lost"),
        },
        "sourced_by": {
            "marketing": _("Marketing"),
            "sales": _("Sales"),
            "partner": _("Partner"),
        },
        "outcome": {"valid": _("Valid"), "invalid": _("Invalid")},
    }


def measure_names(_: Translator) -> dict[str, str]:
    """Measures that are not catalog KPIs (a KPI's measure of the same id takes its name)."""
    return {
        "disqualified_leads": _("Disqualified leads"),
        "hot_leads": _("Leads scoring 70 or more"),
        "lead_score_total": _("Lead scores (sum)"),
        "days_to_mql_total": _("Days to MQL (sum)"),
        "days_to_sql_total": _("Days from MQL to SQL (sum)"),
        "closed_opportunities": _("Opportunities closed (won or lost)"),
        "marketing_sourced_revenue": _("Revenue sourced by marketing"),
        "paid_revenue": _("Revenue from paid advertising"),
        "sales_cycle_days_total": _("Days from opportunity to win (sum)"),
        "expansion_deals": _("Upsell and cross-sell deals"),
        "new_users": _("New users"),
        "pageviews": _("Page views"),
        "spend": _("Spend"),
        "ad_spend": _("Advertising spend"),
        "form_submits": _("Form submissions"),
        "downloads": _("Downloads"),
        "emails_sent": _("E-mails sent"),
        "emails_delivered": _("E-mails delivered"),
        "email_opens": _("E-mails opened"),
        "email_clicks": _("E-mails clicked"),
        "email_conversions": _("Form submissions from e-mail"),
        "webinar_attendees": _("Webinar attendees"),
        "webinar_completions": _("Webinar attendees who watched to the end"),
        "survey_responses": _("Survey answers"),
        "calls_connected": _("Calls connected"),
        "appointments": _("Appointments"),
        "call_seconds_total": _("Talk time of connected calls (seconds)"),
        "event_valid_leads": _("Event visits judged valid"),
        "customers_start": _("Customers at the period start"),
        "customers_end": _("Customers at the period end"),
        "churned_customers": _("Customers who churned"),
        "expanded_customers": _("Customers who expanded (upsell or cross-sell)"),
        "mrr_start": _("MRR at the period start"),
        "mrr_end": _("MRR at the period end"),
        "retained_mrr": _("MRR kept from customers at the period start"),
        "churned_mrr": _("MRR lost to churn"),
        "new_mrr": _("MRR of new customers"),
        "open_opportunities": _("Open opportunities at the period end"),
        "stage_days_total": _("Days spent in stages (sum)"),
        "stage_exits": _("Stage exits"),
        "nps_promoters": _("NPS promoters"),
        "nps_detractors": _("NPS detractors"),
        "nps_responses": _("NPS answers"),
        "gross_margin": _("Gross margin"),
        "months": _("Months"),
    }


def role_names(_: Translator) -> dict[str, str]:
    return {"numerator": _("Numerator"), "denominator": _("Denominator"), "term": ""}


def measure_name(measure: str, catalog: Any, language: str, _: Translator) -> str:
    """A measure as people call it: its KPI's name when a KPI has its id."""
    if measure in catalog:
        return str(catalog.get(measure).name(language))
    return measure_names(_).get(measure, measure)
