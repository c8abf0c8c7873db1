"""Alert pages (issue 7) and their JSON twins: the alert history with acknowledge/resolve, the
rules in effect and their editor (form and YAML), **Check now**. Reading is for every role;
alert states and checks need the editor role, rules the admin role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response

from kaname.dashboard import Dashboard, alert_rules
from kaname.dashboard import act as service
from kaname.web.deps import current_language
from kaname.web.i18n import Translator
from kaname.web.render import render
from kaname.web.routes.act import (
    Admin,
    Dash,
    Editor,
    Fields,
    Gettext,
    Who,
    _back,
    _form,
    _names,
    history,
)

router = APIRouter()


# ---------------------------------------------------------------------- alerts
def option_labels(_: Translator) -> dict[str, str]:
    """Labels of the rule fields in the rule form."""
    return {
        "threshold": _("Threshold"),
        "method": _("Forecast method"),
        "tolerance": _("Tolerance"),
        "above": _("Above"),
        "below": _("Below"),
        "current": _("Check the current period"),
        "compare": _("Compare with"),
        "min_change": _("Minimum change"),
        "direction": _("Direction"),
        "source": _("Source"),
        "hours": _("Hours"),
        "checker": _("Checker"),
        "level": _("Level"),
        "max_findings": _("Maximum findings"),
    }


def rule_type_names(_: Translator) -> dict[str, str]:
    return {
        "target_miss": _("Target miss at pace"),
        "forecast_miss": _("Forecast miss"),
        "threshold": _("Threshold"),
        "change": _("% change"),
        "anomaly": _("Anomaly"),
        "freshness": _("Data freshness"),
        "quality": _("Data quality"),
    }


def problem_text(problem: alert_rules.RuleProblem, _: Translator) -> str:
    """A validation problem in the user's language (pydantic's English for unusual ones)."""
    p = problem.params
    texts = {
        "missing": lambda: _("is required"),
        "extra_forbidden": lambda: _("is not an option of this rule type"),
        "union_tag_invalid": lambda: _("unknown rule type; use one of {types}", **p),
        "union_tag_not_found": lambda: _("the rule type is missing; use one of {types}", **p),
        "greater_than": lambda: _("must be greater than {gt}", **p),
        "greater_than_equal": lambda: _("must be at least {ge}", **p),
        "less_than": lambda: _("must be less than {lt}", **p),
        "less_than_equal": lambda: _("must be at most {le}", **p),
        "float_parsing": lambda: _("must be a number"),
        "float_type": lambda: _("must be a number"),
        "int_parsing": lambda: _("must be a whole number"),
        "int_from_float": lambda: _("must be a whole number"),
        "bool_parsing": lambda: _("must be true or false"),
        "literal_error": lambda: _("must be one of {expected}", **p),
        "enum": lambda: _("must be one of {expected}", **p),
        "string_pattern_mismatch": lambda: _("use only letters, digits, _ . and -"),
        "string_type": lambda: _("must be text"),
        "list_type": lambda: _("must be a list"),
        "dict_type": lambda: _("each rule must be a mapping of fields"),
        "yaml": lambda: _("not valid YAML (line {line})", **p),
        "not_a_list": lambda: _("write the rules as a list under alerts:"),
        "duplicate_id": lambda: _("two rules are named {id}; names must be unique", **p),
        "kpi_required": lambda: _("a KPI is required for this rule type"),
        "unknown_kpi": lambda: _("KPI {kpi} is not in the catalog", **p),
        "bad_dimension": lambda: _(
            "{kpi} cannot be split by {dimension}; it allows {allowed}", **p
        ),
        "value_without_dimension": lambda: _("a dimension value needs a dimension"),
        "unknown_channel": lambda: _("unknown channel {channels}; channels are {known}", **p),
        "threshold_bound": lambda: _("give above or below (or both)"),
        "no_rule": lambda: _("no rule {id}", **p),
    }
    try:
        text = texts[problem.code]() if problem.code in texts else problem.message
    except KeyError:  # a parameter pydantic did not give
        text = problem.message
    where = " · ".join(x for x in (problem.rule, problem.field) if x)
    return f"{where}: {text}" if where else text


def _alerts_page(
    request: Request,
    dash: Dashboard,
    _: Translator,
    status: str = "",
    kpi: str = "",
    checked: str = "",
    rule: str = "",
    rule_type: str = "",
    saved: str = "",
    problems: list[str] | None = None,
    rule_form: dict[str, Any] | None = None,
    yaml_text: str | None = None,
    code: int = 200,
) -> Response:
    data = service.alerts(dash, status, kpi)
    editor_data = alert_rules.rules(dash)
    editing = next((r for r in editor_data["rules"] if r["id"] == rule), None) if rule else None
    form = rule_form if rule_form is not None else dict(editing or {})
    if rule_type in alert_rules.RULE_TYPES:
        form["type"] = rule_type
    chosen = form.get("type") if form.get("type") in alert_rules.RULE_TYPES else "target_miss"
    form["type"] = chosen
    context = {
        "data": data,
        "checked": checked,
        "history": {a["id"]: history(dash, f"alert:{a['id']}") for a in data["alerts"][:50]},
        "rules_editor": editor_data,
        "rule_form": form,
        "rule_options": alert_rules.option_fields(str(chosen)),
        "editing": rule if (editing or rule_form is not None) else "",
        "saved": saved,
        "problems": problems or [],
        "yaml_text": editor_data["yaml"] if yaml_text is None else yaml_text,
        "kpi_choices": service.kpi_choices(dash, current_language(request)),
        "option_labels": option_labels(_),
        "rule_type_names": rule_type_names(_),
        **_names(_),
    }
    return render(request, "alerts.html", context, code, partial="_alerts.html")


@router.get("/alerts", include_in_schema=False)
def alerts_page(
    request: Request,
    who: Who,
    dash: Dash,
    _: Gettext,
    status: str = "",
    kpi: str = "",
    checked: str = "",
    rule: str = "",
    rule_type: str = "",
    saved: str = "",
) -> Response:
    return _alerts_page(request, dash, _, status, kpi, checked, rule, rule_type, saved)


@router.post("/alerts/rules", include_in_schema=False)
async def alert_rule_form(request: Request, who: Admin, dash: Dash, _: Gettext) -> Response:
    """Add a rule, or replace the one named in `original_id` (the form of the alerts page)."""
    form = await _form(request)
    rule = alert_rules.rule_from_form(form)
    try:
        alert_rules.upsert(dash, rule, who.user.username, str(form.get("original_id", "")))
    except alert_rules.RulesError as exc:
        problems = [problem_text(p, _) for p in exc.problems]
        keep = {**form, **rule, "original_id": form.get("original_id", "")}
        return _alerts_page(
            request,
            dash,
            _,
            problems=problems,
            rule_form=keep,
            rule=str(keep["original_id"]),
            code=400,
        )
    return _back(request, f"/alerts?saved={rule.get('id', '')}#rules")


@router.post("/alerts/rules/yaml", include_in_schema=False)
async def alert_rules_yaml_form(request: Request, who: Admin, dash: Dash, _: Gettext) -> Response:
    """Replace every rule with the YAML editor's `alerts:` list."""
    form = await _form(request)
    text = str(form.get("yaml", ""))
    try:
        alert_rules.save(dash, alert_rules.parse_yaml(text), who.user.username)
    except alert_rules.RulesError as exc:
        problems = [problem_text(p, _) for p in exc.problems]
        return _alerts_page(request, dash, _, problems=problems, yaml_text=text, code=400)
    return _back(request, "/alerts?saved=yaml#rules")


@router.post("/alerts/rules/{rule_id}/delete", include_in_schema=False)
async def alert_rule_delete_form(
    request: Request, rule_id: str, who: Admin, dash: Dash, _: Gettext
) -> Response:
    try:
        alert_rules.delete(dash, rule_id, who.user.username)
    except alert_rules.RulesError as exc:
        problems = [problem_text(p, _) for p in exc.problems]
        return _alerts_page(request, dash, _, problems=problems, code=400)
    return _back(request, "/alerts?saved=deleted#rules")


@router.get("/api/alerts/rules", tags=["act"])
def alert_rules_json(who: Who, dash: Dash) -> dict[str, Any]:
    """The alert rules of kaname.yaml (defaults left out), as YAML too, and each rule type's
    options with their defaults."""
    return alert_rules.rules(dash)


@router.post("/api/alerts/rules", tags=["act"], response_model=None)
def alert_rules_save_json(
    who: Admin, dash: Dash, _: Gettext, fields: Fields
) -> dict[str, Any] | JSONResponse:
    """Change the alert rules (admin), saved to kaname.yaml and audited: {"rules": [...]} or
    {"yaml": "alerts: ..."} replaces them all; {"rule": {...}, "replace": "old-id"?} adds or
    replaces one; {"delete": "id"} removes one. A 400 lists `problems` in the user's language."""
    try:
        return alert_rules.from_json(dash, fields, who.user.username)
    except alert_rules.RulesError as exc:
        return JSONResponse(
            {
                "error": str(exc),
                "problems": [
                    {
                        "rule": p.rule,
                        "field": p.field,
                        "code": p.code,
                        "message": p.message,
                        "text": problem_text(p, _),
                    }
                    for p in exc.problems
                ],
            },
            status_code=400,
        )


@router.post("/alerts/check", include_in_schema=False)
def alerts_check_form(request: Request, who: Editor, dash: Dash) -> Response:
    result = service.check_alerts(dash, who.user.username)
    summary = f"{len(result['new'])}-{len(result['repeated'])}-{len(result['resolved'])}"
    return _back(request, f"/alerts?checked={summary}")


@router.post("/alerts/{alert_id}/acknowledge", include_in_schema=False)
async def alert_ack_form(request: Request, alert_id: int, who: Editor, dash: Dash) -> Response:
    form = await _form(request)
    service.set_alert_state(
        dash, alert_id, "acknowledged", who.user.username, str(form.get("note", ""))
    )
    return _back(request, "/alerts")


@router.post("/alerts/{alert_id}/resolve", include_in_schema=False)
async def alert_resolve_form(request: Request, alert_id: int, who: Editor, dash: Dash) -> Response:
    form = await _form(request)
    service.set_alert_state(
        dash, alert_id, "resolved", who.user.username, str(form.get("note", ""))
    )
    return _back(request, "/alerts")


@router.get("/api/alerts", tags=["act"])
def alerts_json(who: Who, dash: Dash, status: str = "", kpi: str = "") -> dict[str, Any]:
    """Alert history (status: open, acknowledged, resolved or live), each alert's delivery
    attempts (`deliveries`: alert id → status, attempts, last error, channel), rules, channels."""
    return service.alerts(dash, status, kpi)


@router.post("/api/alerts/check", tags=["act"])
def alerts_check_json(who: Editor, dash: Dash, dry_run: bool = False) -> dict[str, Any]:
    """Evaluate every rule now (editor); `dry_run` stores and sends nothing."""
    return service.check_alerts(dash, who.user.username, dry_run)


@router.post("/api/alerts/{alert_id}/acknowledge", tags=["act"])
def alert_ack_json(
    alert_id: int, who: Editor, dash: Dash, fields: Annotated[dict[str, Any] | None, Body()] = None
) -> Any:
    """Acknowledge an alert (editor), with an optional {"note": ...}."""
    note = str((fields or {}).get("note", ""))
    return service.set_alert_state(dash, alert_id, "acknowledged", who.user.username, note)


@router.post("/api/alerts/{alert_id}/resolve", tags=["act"])
def alert_resolve_json(
    alert_id: int, who: Editor, dash: Dash, fields: Annotated[dict[str, Any] | None, Body()] = None
) -> Any:
    """Resolve an alert (editor), with an optional {"note": ...}."""
    note = str((fields or {}).get("note", ""))
    return service.set_alert_state(dash, alert_id, "resolved", who.user.username, note)
