"""App-DB tables of the Act stage: alerts and their history, deliveries, PDCA actions, KPI review
decisions and the scheduler's last runs (migrations 0003_act, 0006_act_decided_by)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kaname.clock import utcnow
from kaname.store.base import Base

ALERT_STATES = ("open", "acknowledged", "resolved")
ACTION_STATUSES = ("plan", "do", "check", "act")
ACTION_DECISIONS = ("standardise", "expand", "modify", "stop")
REVIEW_DECISIONS = ("keep", "change", "retire")


class Alert(Base):
    """One alert: a rule fired for a KPI × period (× dimension value). Re-firing while it is open
    updates `last_seen_at` and `occurrences` instead of adding a row (deduplication)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    dedup_key: Mapped[str] = mapped_column(String(300), index=True)
    kpi_id: Mapped[str] = mapped_column(String(100), default="")
    dimension: Mapped[str] = mapped_column(String(50), default="")
    dimension_value: Mapped[str] = mapped_column(String(200), default="")
    period: Mapped[str] = mapped_column(String(30), default="")
    severity: Mapped[str] = mapped_column(String(20), default="warning")
    title: Mapped[str] = mapped_column(String(300))
    message_en: Mapped[str] = mapped_column(Text, default="")
    message_ja: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: the numbers behind the alert and the planner's explanation of the gap."""
    status: Mapped[str] = mapped_column(String(20), default="open")
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    acknowledged_by: Mapped[str] = mapped_column(String(200), default="")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_by: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class Delivery(Base):
    """One message to one channel (an alert or a report), with every attempt's outcome."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), nullable=True)
    subject: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(100))
    channel_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending, sent or failed (every retry used up)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Action(Base):
    """A PDCA action: a hypothesis tried on some KPIs, its status, and after review a decision."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    kpis: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of KPI ids."""
    dimension: Mapped[str] = mapped_column(String(50), default="")
    dimension_value: Mapped[str] = mapped_column(String(200), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    expected_lift: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Relative lift the team expects on the linked KPIs (0.1 = +10%)."""
    status: Mapped[str] = mapped_column(String(10), default="plan")
    decision: Mapped[str] = mapped_column(String(20), default="")
    learnings: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    """Who recorded the decision (migration 0006)."""
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class KpiReviewDecision(Base):
    """A quarterly review's decision on one KPI of a plan, for the plan's next version."""

    __tablename__ = "kpi_review_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_name: Mapped[str] = mapped_column(String(200), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    """The version reviewed; the decision applies to the next one."""
    period: Mapped[str] = mapped_column(String(30))
    kpi_id: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="cli")
    applied_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The plan version the decision was carried into when it was saved (migration 0006)."""
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    applied_by: Mapped[str] = mapped_column(String(200), default="")


class ScheduledRun(Base):
    """When a scheduled job (alert check, weekly/monthly report) last ran."""

    __tablename__ = "scheduled_runs"
    job: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_run_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_status: Mapped[str] = mapped_column(String(20), default="ok")
    message: Mapped[str] = mapped_column(Text, default="")
