"""Plan editor services: the active plan as editable data, checks (lint + planner), what-if and
saving a new version with who and when."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kaname.dashboard.core import clean
from kaname.design.funnel import FunnelError
from kaname.design.lint import ltv_cac_findings
from kaname.design.plan import Plan, PlanError, dump_plan, load_plan
from kaname.design.planner import UNIT_COST_UNITS
from kaname.metrics.engine import MetricError

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore as Dashboard

ASSUMPTION_FIELDS = (
    "average_deal_size",
    "win_rate",
    "opportunity_rate",
    "sql_rate",
    "mql_rate",
    "cvr",
    "budget",
    "ltv",
    "arpa",
)
RATE_FIELDS = ("win_rate", "opportunity_rate", "sql_rate", "mql_rate", "cvr")


def plan_data(plan: Plan, language: str, catalog: Any) -> dict[str, Any]:
    """The plan as the editor shows it: KGI, assumptions, a KPI × period targets grid."""
    labels = sorted({label for k in plan.kpis for label in k.targets})
    return clean(
        {
            "name": plan.name,
            "description": plan.description,
            "kgi": plan.kgi.model_dump(),
            "kgi_name": catalog.get(plan.kgi.kpi).name(language),
            "assumptions": {f: getattr(plan.assumptions, f) for f in ASSUMPTION_FIELDS},
            "labels": labels,
            "kpis": [
                {
                    "kpi": k.kpi,
                    "name": catalog.get(k.kpi).name(language),
                    "unit": catalog.get(k.kpi).unit,
                    "level": k.level,
                    "department": k.department,
                    "owner": k.owner,
                    "targets": k.targets,
                }
                for k in plan.kpis
            ],
            "yaml": dump_plan(plan),
            "names": {k: catalog.get(k).name(language) for k in ASSUMPTION_FIELDS if k in catalog},
        }
    )


def edited_plan(base: Plan, form: Mapping[str, str]) -> Plan:
    """Apply the editor's fields (kgi_target, a__<assumption>, t__<kpi>__<period>) to a plan,
    or read the whole plan from its YAML (`source=yaml`)."""
    if form.get("source") == "yaml":
        return load_plan(form.get("yaml", ""), "the YAML editor")
    data = base.model_dump(mode="json")
    if form.get("kgi_target", "").strip():
        data["kgi"]["target"] = _number(form["kgi_target"], "KGI target")
    for name in ASSUMPTION_FIELDS:
        key = f"a__{name}"
        if key in form:
            raw = form[key].strip()
            data["assumptions"][name] = _number(raw, name) if raw else None
    for item in data["kpis"]:
        for label in list(item["targets"]) + [
            k.split("__", 2)[2] for k in form if k.startswith(f"t__{item['kpi']}__")
        ]:
            key = f"t__{item['kpi']}__{label}"
            if key not in form:
                continue
            raw = form[key].strip()
            if raw:
                item["targets"][label] = _number(raw, f"{item['kpi']} {label}")
            else:
                item["targets"].pop(label, None)
    return load_plan(dump_plan(Plan.model_validate(data)), "the plan editor")


def _number(raw: str, what: str) -> float:
    text = raw.replace(",", "").replace("%", "").strip()
    try:
        value = float(text)
    except ValueError as exc:
        raise PlanError(f"{what}: {raw!r} is not a number") from exc
    if raw.strip().endswith("%"):
        value /= 100
    return value


def check(dash: Dashboard, plan: Plan, language: str) -> dict[str, Any]:
    """Lint findings and the planner's solution for a plan that may not be saved yet."""
    ws = dash.ws
    with dash.lock:
        findings = [f.as_dict() for f in ws.lint_plan(plan)]
        try:
            solution: dict[str, Any] | None = _solution(ws.solve_plan(plan))
            problem = ""
        except (PlanError, FunnelError, MetricError) as exc:
            solution, problem = None, str(exc)
    if solution is not None:
        ratio = solution["unit_costs"].get("ltv_cac")
        findings += [f.as_dict() for f in ltv_cac_findings(ratio)]
    for item in findings:
        item["message"] = item.get(f"message_{language}", item.get("message_en", ""))
        item["hint"] = item.get(f"hint_{language}", item.get("hint_en", ""))
    return clean(
        {
            "findings": findings,
            "errors": sum(1 for f in findings if f.get("severity") == "error"),
            "warnings": sum(1 for f in findings if f.get("severity") == "warning"),
            "solution": solution,
            "problem": problem,
        }
    )


def _solution(solution: Any) -> dict[str, Any]:
    data = dataclasses.asdict(solution)
    return {
        "kgi_stage": data["kgi_stage"],
        "kgi_target": data["kgi_target"],
        "volumes": data["volumes"],
        "by_channel": data["by_channel"],
        "unit_costs": data["unit_costs"],
        "unit_cost_units": {k: UNIT_COST_UNITS.get(k, "currency") for k in data["unit_costs"]},
        "checks": data["checks"],
        "months": data["months"],
        "lead_time_source": data["lead_time_source"],
        "seasonality_source": data["seasonality_source"],
    }


def whatif(dash: Dashboard, plan: Plan, changes: Mapping[str, float]) -> dict[str, Any]:
    with dash.lock:
        solution, volumes = dash.ws.whatif_plan(plan, dict(changes))
    kgi = solution.kgi_stage
    return clean(
        {
            "kgi": kgi,
            "planned": solution.volumes[kgi],
            "whatif": volumes[kgi],
            "change": volumes[kgi] / solution.volumes[kgi] - 1 if solution.volumes[kgi] else None,
            "changes": dict(changes),
            "volumes": volumes,
            "planned_volumes": solution.volumes,
        }
    )


def save(dash: Dashboard, plan: Plan, username: str) -> dict[str, Any]:
    """A new plan version (targets versioned from today), the plan file rewritten, audited."""
    ws = dash.ws
    before = ws.active_plan()
    text = dump_plan(plan)
    with dash.lock:
        version, count = ws.apply_plan_object(plan, text, created_by=username)
    path = ws.root / "plans" / f"{plan.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    from kaname.auth.accounts import Accounts

    old = before[0].model_dump(mode="json") if before else {}
    new = plan.model_dump(mode="json")
    changed = sorted(k for k in new if old.get(k) != new.get(k))
    # the review decisions apply_plan_object carried into this version (who and when)
    carried = clean(ws.act.applied_review_decisions(plan.name).get(version.version, []))
    after = {k: new.get(k) for k in changed}
    if carried:
        after["review_decisions"] = {d["kpi"]: d["decision"] for d in carried}
    Accounts(ws.appdb).audit(
        username,
        "plan.save",
        f"{plan.name} v{version.version}",
        {k: old.get(k) for k in changed},
        after,
    )
    dash.invalidate()
    return {
        "plan": plan.name,
        "version": version.version,
        "targets": count,
        "changed": changed,
        "review_decisions": carried,
    }


def review_decisions(dash: Dashboard, plan: Plan) -> dict[str, Any]:
    """The quarterly review's decisions for the plan editor: `pending` (latest per KPI, not yet
    in a saved version; `by_kpi` for the targets grid; `retired_in_plan`: KPIs the review
    retires that the plan still has) and `applied` (version → decisions carried into it)."""
    act = dash.ws.act
    pending = clean(act.pending_review_decisions(plan.name))
    kpis = {k.kpi for k in plan.kpis}
    return {
        "pending": pending,
        "by_kpi": {d["kpi"]: d for d in pending},
        "retired_in_plan": sorted(
            d["kpi"] for d in pending if d["decision"] == "retire" and d["kpi"] in kpis
        ),
        "applied": {str(v): ds for v, ds in clean(act.applied_review_decisions(plan.name)).items()},
    }
