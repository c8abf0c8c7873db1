"""Plan editor services: the active plan as editable data, checks (lint + planner), what-if and
saving a new version with who and when."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kaname.canonical.channels import normalise_channel
from kaname.dashboard.core import clean
from kaname.design.funnel import FunnelError
from kaname.design.lint import ltv_cac_findings
from kaname.design.plan import NUMBER_FIELDS, Plan, PlanError, dump_plan, load_plan
from kaname.design.planner import UNIT_COST_UNITS
from kaname.formatting import NumberError, format_entry, parse_number
from kaname.metrics.engine import MetricError

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore as Dashboard

ASSUMPTION_FIELDS = NUMBER_FIELDS
"""The plan's assumptions the editor shows, in order."""
RATE_FIELDS = ("win_rate", "opportunity_rate", "sql_rate", "mql_rate", "cvr")
ASSUMPTION_UNITS = {
    **dict.fromkeys(RATE_FIELDS, "ratio"),
    **dict.fromkeys(("average_deal_size", "budget", "ltv", "arpa"), "currency"),
}


def plan_data(plan: Plan, language: str, catalog: Any) -> dict[str, Any]:
    """The plan as the editor shows it: KGI, assumptions, a KPI × period targets grid, each
    number also as it shows in its input (`entries`: 1,000,000 / 25%)."""
    labels = sorted({label for k in plan.kpis for label in k.targets})
    kgi_unit = catalog.get(plan.kgi.kpi).unit
    return clean(
        {
            "name": plan.name,
            "description": plan.description,
            "kgi": plan.kgi.model_dump(),
            "kgi_entry": format_entry(plan.kgi.target, kgi_unit),
            "kgi_name": catalog.get(plan.kgi.kpi).name(language),
            "targets_from": plan.targets_from,
            "stages": list(plan.assumptions.stages),
            "assumptions": {f: getattr(plan.assumptions, f) for f in ASSUMPTION_FIELDS},
            "assumption_entries": {
                f: format_entry(getattr(plan.assumptions, f), ASSUMPTION_UNITS[f])
                for f in ASSUMPTION_FIELDS
            },
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
                    "entries": {
                        lb: format_entry(v, catalog.get(k.kpi).unit) for lb, v in k.targets.items()
                    },
                    "channels": k.channels,
                }
                for k in plan.kpis
            ],
            "yaml": dump_plan(plan),
            "names": {k: catalog.get(k).name(language) for k in ASSUMPTION_FIELDS if k in catalog},
        }
    )


def edited_plan(base: Plan, form: Mapping[str, str], catalog: Any = None) -> Plan:
    """Apply the editor's fields (kgi_target, a__<assumption>, t__<kpi>__<period>) to a plan,
    or read the whole plan from its YAML (`source=yaml`). Numbers as people type them (500万,
    1,000, 25%); a field left as it was shown keeps its exact value."""
    if form.get("source") == "yaml":
        return load_plan(form.get("yaml", ""), "the YAML editor")
    data = base.model_dump(mode="json")
    kgi_unit = catalog.get(base.kgi.kpi).unit if catalog is not None else "count"
    raw_kgi = form.get("kgi_target", "").strip()
    if raw_kgi and raw_kgi != format_entry(base.kgi.target, kgi_unit):
        data["kgi"]["target"] = _number(raw_kgi, "KGI target")
    for name in ASSUMPTION_FIELDS:
        key = f"a__{name}"
        if key in form:
            raw = form[key].strip()
            before = getattr(base.assumptions, name)
            if raw and raw == format_entry(before, ASSUMPTION_UNITS[name]):
                continue
            data["assumptions"][name] = _number(raw, name) if raw else None
    for item in data["kpis"]:
        unit = catalog.get(item["kpi"]).unit if catalog is not None else "count"
        for label in list(item["targets"]) + [
            k.split("__", 2)[2] for k in form if k.startswith(f"t__{item['kpi']}__")
        ]:
            key = f"t__{item['kpi']}__{label}"
            if key not in form:
                continue
            raw = form[key].strip()
            before = item["targets"].get(label)
            if raw and before is not None and raw == format_entry(before, unit):
                continue
            if raw:
                item["targets"][label] = _number(raw, f"{item['kpi']} {label}")
            else:
                item["targets"].pop(label, None)
    return load_plan(dump_plan(Plan.model_validate(data)), "the plan editor")


def hand_edits(base: Plan, plan: Plan) -> list[str]:
    """`kpi period` of every target the editor changed by hand (not by re-solving)."""
    before = {k.kpi: k.targets for k in base.kpis}
    out = []
    for item in plan.kpis:
        old = before.get(item.kpi, {})
        for label in sorted({*old, *item.targets}):
            if old.get(label) != item.targets.get(label):
                out.append(f"{item.kpi} {label}")
    return out


def edited(dash: Dashboard, base: Plan, form: Mapping[str, str]) -> tuple[Plan, str]:
    """The plan the editor's fields make, and where its targets come from: `solved` (the
    planner's solution of the edited KGI and assumptions: a plan whose targets come from the
    planner is re-solved on every change, and any plan when the user asks with resolve=1),
    `hand` (targets edited by hand: kept, never overwritten without resolve=1), `stale` (the
    KGI or an assumption of a hand-written plan changed, its targets did not), or `as_is`."""
    ws = dash.ws
    plan = edited_plan(base, form, ws.catalog)
    if form.get("source") == "yaml":
        return plan, plan.targets_from
    edits = hand_edits(base, plan)
    wants = form.get("resolve") == "1"
    if wants or (plan.targets_from == "planner" and not edits):
        with dash.lock:
            try:
                return ws.solved_plan(plan), "solved"
            except FunnelError as exc:
                raise PlanError(str(exc)) from exc
    if edits and plan.targets_from == "planner":
        return plan.model_copy(update={"targets_from": "hand"}), "hand"
    moved = plan.kgi != base.kgi or plan.assumptions != base.assumptions
    return plan, "stale" if moved and plan.targets_from == "hand" else "as_is"


def target_changes(base: Plan, plan: Plan, catalog: Any, language: str) -> list[dict[str, Any]]:
    """Per KPI, the targets a change moved: the year's total before and after, and the months
    that changed (the grid of what changed)."""
    before = {k.kpi: k.targets for k in base.kpis}
    out = []
    for item in plan.kpis:
        old = before.get(item.kpi, {})
        changed = [
            lb
            for lb in sorted({*old, *item.targets})
            if abs((old.get(lb) or 0.0) - (item.targets.get(lb) or 0.0))
            > 1e-9 * max(1.0, abs(old.get(lb) or 0.0))
        ]
        if not changed:
            continue
        kpi = catalog.get(item.kpi)
        out.append(
            {
                "kpi": item.kpi,
                "name": kpi.name(language),
                "unit": kpi.unit,
                "additive": kpi.kind == "quantity" and kpi.unit in ("count", "currency"),
                "before": math.fsum(old.values()),
                "after": math.fsum(item.targets.values()),
                "months": {lb: [old.get(lb), item.targets.get(lb)] for lb in changed},
            }
        )
    return clean(out)


def targets_grid(plan: Plan, catalog: Any, language: str) -> dict[str, Any]:
    """The plan's targets as a grid: a row per KPI (and per channel under it), a column per
    month, and the year's total where the KPI adds up."""
    labels = sorted({label for k in plan.kpis for label in k.targets})
    rows = []
    for item in plan.kpis:
        kpi = catalog.get(item.kpi)
        additive = kpi.unit in ("count", "currency") and kpi.kind == "quantity"
        rows.append(
            {
                "kpi": item.kpi,
                "name": kpi.name(language),
                "unit": kpi.unit,
                "channel": "",
                "cells": [item.targets.get(lb) for lb in labels],
                "total": math.fsum(item.targets.values()) if additive else None,
            }
        )
        rows[-1]["texts"] = _counts(rows[-1])
        for channel, values in item.channels.items():
            rows.append(
                {
                    "kpi": item.kpi,
                    "name": kpi.name(language),
                    "unit": kpi.unit,
                    "channel": channel,
                    "cells": [values.get(lb) for lb in labels],
                    "total": math.fsum(values.values()) if additive else None,
                }
            )
            rows[-1]["texts"] = _counts(rows[-1])
    return clean({"labels": labels, "rows": rows})


def _counts(row: dict[str, Any]) -> list[str] | None:
    """Counts to 0.1 (1.7 deals a month), so that the months visibly add up to the year."""
    if row["unit"] != "count":
        return None
    row["total_text"] = format_entry(row["total"], "count") if row["total"] is not None else ""
    return [format_entry(v, "count") if v is not None else "—" for v in row["cells"]]


class EntryError(PlanError):
    """A field that does not read as a number, said in both languages."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.ja = ja


def error_text(exc: Exception, language: str) -> str:
    """The error in the page's language where it has both."""
    ja = getattr(exc, "ja", None)
    return ja if language == "ja" and ja else str(exc)


def _number(raw: str, what: str, what_ja: str = "") -> float:
    try:
        return parse_number(raw)
    except NumberError as exc:
        raise EntryError(f"{what}: {exc.en}", f"{what_ja or what}: {exc.ja}") from exc


WIZARD_FIELDS = ("kgi", "deal_size", "budget", "ltv")
OPTIONAL_STAGES = ("opportunities", "mqls")


def wizard_form(ws: Any, language: str) -> dict[str, Any]:
    """The wizard's fields with their defaults: the seeds' simple model (leads → 商談 20% →
    受注 25%), every rate shown and editable, the optional stages off."""
    from kaname.design.quickplan import SIMPLE_STAGES, benchmark_rates

    bench = benchmark_rates(ws.catalog)
    return {
        "values": {f: "" for f in WIZARD_FIELDS} | {"mix": ""},
        "stages": list(SIMPLE_STAGES),
        "rates": {n: format_entry(bench.get(n), "ratio") for n in RATE_FIELDS[:4]},
        "benchmarks": {n: format_entry(bench.get(n), "ratio") for n in RATE_FIELDS[:4]},
        "names": {n: ws.catalog.get(n).name(language) for n in RATE_FIELDS[:4]},
        "stage_of_rate": {
            "win_rate": "deals",
            "opportunity_rate": "opportunities",
            "sql_rate": "sqls",
            "mql_rate": "mqls",
        },
    }


def wizard_inputs(form: Mapping[str, str]) -> Any:
    """QuickInputs from the wizard's fields (numbers as people type them)."""
    from kaname.design.funnel import STANDARD_STAGES, link_rates
    from kaname.design.quickplan import SIMPLE_STAGES, QuickInputs

    names_ja = {
        "kgi": "KGI（年間売上）",
        "deal_size": "平均受注単価",
        "budget": "予算",
        "ltv": "LTV",
    }
    values: dict[str, float | None] = {}
    for field in WIZARD_FIELDS:
        raw = form.get(field, "").strip()
        if not raw:
            if field != "ltv":
                raise EntryError(f"{field}: enter a number", f"{names_ja[field]}を入力してください")
            values[field] = None
            continue
        values[field] = _number(raw, field, names_ja[field])
    stages = [*SIMPLE_STAGES, *(s for s in OPTIONAL_STAGES if form.get(f"stage_{s}") == "1")]
    ordered = [s for s in STANDARD_STAGES if s in stages]
    rates = {}
    for name in link_rates(ordered)[1:]:
        raw = form.get(f"r__{name}", "").strip()
        if raw:
            rates[name] = _number(raw, name)
    mix = {}
    for part in form.get("mix", "").replace("、", ",").split(","):
        if not part.strip():
            continue
        channel, sep, share = part.partition("=")
        if not sep or not channel.strip():
            raise EntryError(
                f"channel mix: write channel=share, e.g. webinar=40%, not {part.strip()!r}",
                "チャネル配分は「チャネル=割合」で入力してください"
                f"（例: ウェビナー=40%）: {part.strip()}",
            )
        name = channel.strip()
        mix[normalise_channel(name) or name] = _number(share, f"channel mix {name}")
    return QuickInputs(
        kgi=values["kgi"] or 0.0,
        deal_size=values["deal_size"] or 0.0,
        budget=values["budget"] or 0.0,
        rates=rates,
        stages=tuple(ordered),
        channel_mix=mix,
        ltv=values["ltv"],
    )


def wizard_preview(dash: Dashboard, form: Mapping[str, str], language: str) -> dict[str, Any]:
    """The plan the wizard's numbers make, solved: its targets grid, unit costs and lint."""
    inputs = wizard_inputs(form)
    with dash.lock:
        try:
            plan = dash.ws.plan_from_numbers(inputs)
        except FunnelError as exc:
            raise PlanError(str(exc)) from exc
    return {
        "plan": plan,
        "check": check(dash, plan, language),
        "grid": targets_grid(plan, dash.ws.catalog, language),
    }


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


def save(
    dash: Dashboard, plan: Plan, username: str, audit: tuple[str, Any, Any] | None = None
) -> dict[str, Any]:
    """A new plan version (targets versioned from today), the plan file rewritten, audited
    (`audit`: the action and the values before and after to log instead of the plan's changed
    keys, e.g. a target changed from a KPI card)."""
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
    if audit is not None:
        Accounts(ws.appdb).audit(
            username, audit[0], f"{plan.name} v{version.version}", audit[1], audit[2]
        )
    else:
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
