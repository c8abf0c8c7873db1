"""The Act service behind `Workspace.act`: one object the CLI and the web pages call. Every
method returns plain data (dicts, lists, pydantic models, bytes) ready to render or serialise."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from kaname.act import actions, alerts, effect, review
from kaname.act.actions import ActionIn
from kaname.clock import utcnow

if TYPE_CHECKING:
    from kaname.act.reports import PlanGap
    from kaname.context import WorkspaceContext


class ActService:
    def __init__(
        self,
        ws: WorkspaceContext,
        lint_plan: review.PlanLinter,
        plan_gap: PlanGap | None = None,
    ) -> None:
        self.ws = ws
        self.lint_plan = lint_plan
        """Lints a plan file against this workspace's data (Workspace.lint_plan)."""
        self.plan_gap = plan_gap
        """The applied plan's gap split for a period label (Workspace.active_plan_gap)."""

    # ------------------------------------------------------------------ alerts
    def check_alerts(
        self, dry_run: bool = False, rules: list[str] | None = None, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        """Evaluate the alert rules of kaname.yaml (see alerts.check for the result's keys)."""
        return alerts.check(self.ws, now or utcnow(), dry_run, rules)

    def alerts(
        self, status: str | None = None, kpi: str | None = None, rule: str | None = None
    ) -> list[dict[str, Any]]:
        return alerts.list_alerts(self.ws, status, kpi, rule)

    def acknowledge_alert(self, alert_id: int, by: str, note: str = "") -> dict[str, Any]:
        return alerts.set_state(self.ws, alert_id, "acknowledged", by, note)

    def resolve_alert(self, alert_id: int, by: str, note: str = "") -> dict[str, Any]:
        return alerts.set_state(self.ws, alert_id, "resolved", by, note)

    def deliveries(self, alert_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Delivery attempts, newest first (failed ones included)."""
        from sqlalchemy import select

        from kaname.act.notifiers import delivery_dict
        from kaname.store.act_models import Delivery

        stmt = select(Delivery.id).order_by(Delivery.id.desc()).limit(limit)
        if alert_id is not None:
            stmt = stmt.where(Delivery.alert_id == alert_id)
        with self.ws.appdb.session() as session:
            ids = list(session.execute(stmt).scalars())
        return [delivery_dict(self.ws.appdb, i) for i in ids]

    def anomaly_false_alarm_rate(self, kpis: list[str], threshold: float = 3.5) -> dict[str, Any]:
        from kaname.act.anomaly import anomaly_false_alarm_rate

        return anomaly_false_alarm_rate(self.ws, kpis, threshold)

    # ------------------------------------------------------------------ actions
    def add_action(self, data: ActionIn | dict[str, Any], by: str = "cli") -> dict[str, Any]:
        return actions.add(self.ws, ActionIn.model_validate(data), by)

    def action(self, action_id: int) -> dict[str, Any]:
        return actions.get(self.ws, action_id)

    def update_action(self, action_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        return actions.update(self.ws, action_id, changes)

    def decide_action(
        self, action_id: int, decision: str, learnings: str = "", by: str = "cli"
    ) -> dict[str, Any]:
        return actions.decide(self.ws, action_id, decision, learnings, by)

    def actions(
        self,
        status: str | None = None,
        kpi: str | None = None,
        query: str | None = None,
        active_on: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        return actions.list_actions(self.ws, status, kpi, active_on, query)

    def annotations(self, kpi: str) -> list[dict[str, Any]]:
        """Actions linked to a KPI, for trend-chart annotations."""
        return actions.kpi_annotations(self.ws, kpi)

    def measure_action(
        self,
        action_id: int,
        kpi: str | None = None,
        grain: str = "week",
        compare_to: str | None = None,
        level: float = 0.95,
    ) -> dict[str, Any]:
        return actions.measure(self.ws, action_id, kpi, grain, compare_to, level=level)

    # ------------------------------------------------------------------ experiments
    @staticmethod
    def ab_test(
        conversions_a: int,
        visitors_a: int,
        conversions_b: int,
        visitors_b: int,
        level: float = 0.95,
        power: float = 0.8,
        mde: float | None = None,
        daily_visitors: float | None = None,
    ) -> effect.ABResult:
        return effect.ab_test(
            conversions_a, visitors_a, conversions_b, visitors_b, level, power, mde, daily_visitors
        )

    # ------------------------------------------------------------------ reports
    def report_data(self, period: str | None = None, language: str | None = None) -> dict[str, Any]:
        """The report's content as data (headline, changes, off track, actions, tables)."""
        from kaname.act.reports import build_report

        return build_report(
            self.ws, self.ws.period(period), language or self.ws.config.language, self.plan_gap
        )

    def report(
        self, period: str | None = None, fmt: str = "html", language: str | None = None
    ) -> bytes:
        """The report rendered as html, pdf or xlsx bytes."""
        from kaname.act.reports import render

        return render(self.report_data(period, language), fmt)

    def catalog_document(self, fmt: str = "pdf", language: str | None = None) -> bytes:
        """The KPI definitions document as html, pdf or xlsx bytes."""
        from kaname.act.reports import catalog_document

        return catalog_document(self.ws, fmt, language or self.ws.config.language)

    def run_scheduled(self, now: dt.datetime | None = None) -> dict[str, Any]:
        from kaname.act.schedule import run_scheduled

        return run_scheduled(self.ws, now, self.plan_gap)

    # ------------------------------------------------------------------ KPI review
    def review(self, plan: str | None = None, period: str | None = None) -> dict[str, Any]:
        return review.build_review(self.ws, self.lint_plan, plan, period)

    def record_review_decision(
        self,
        plan: str,
        kpi: str,
        decision: str,
        note: str = "",
        by: str = "cli",
        period: str | None = None,
    ) -> dict[str, Any]:
        return review.record_decision(self.ws, plan, kpi, decision, note, by, period)

    def review_decisions(self, plan: str | None = None) -> list[dict[str, Any]]:
        return review.decisions(self.ws, plan)

    def pending_review_decisions(self, plan: str) -> list[dict[str, Any]]:
        """Review decisions not yet carried into a new version of the plan (latest per KPI)."""
        return review.pending_decisions(self.ws, plan)

    def applied_review_decisions(self, plan: str) -> dict[int, list[dict[str, Any]]]:
        """Plan version → the review decisions carried into it."""
        return review.applied_decisions(self.ws, plan)
