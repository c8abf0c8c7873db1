"""Alert rules edited in the dashboard: read the `alerts:` section of kaname.yaml, add, replace or
delete one rule (from the page's form) or the whole list (from the YAML editor or JSON), validate
it against the rule union, the catalog and the configured channels, and write it back to
kaname.yaml keeping the file's other settings. Saves are audited and drop the page cache.

Validation problems are `RuleProblem`s with a code and parameters, so the pages can say them in
the user's language; `RulesError` (a 400 for the JSON API) carries them with an English message.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import TYPE_CHECKING, Any, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from kaname.config import update_config
from kaname.config.act import KPI_RULES, Rule
from kaname.dashboard.act import ActError, _audit
from kaname.dashboard.core import clean
from kaname.yamlmodel import safe_load

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore as Dashboard

COMMON_FIELDS = (
    "id",
    "type",
    "kpi",
    "dimension",
    "dimension_value",
    "grain",
    "severity",
    "channels",
    "cooldown_hours",
    "enabled",
)
RULES = TypeAdapter(list[Rule])


def rule_classes() -> dict[str, type[BaseModel]]:
    """type name → rule model (TargetMissRule, ...), in the union's order."""
    union = get_args(get_args(Rule)[0])
    return {cls.model_fields["type"].default: cls for cls in union}


RULE_TYPES = tuple(rule_classes())


@dataclasses.dataclass
class RuleProblem:
    """One validation problem: where (`rule` id or position, `field`), a `code` the pages
    translate with `params`, and the English `message`."""

    code: str
    message: str
    rule: str = ""
    field: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class RulesError(ActError):
    """The rules were not saved; `problems` says why, one entry per problem."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__(
            "alert rules not saved: "
            + "; ".join(
                f"{p.rule + ': ' if p.rule else ''}{p.field + ': ' if p.field else ''}{p.message}"
                for p in problems
            )
        )


def option_fields(rule_type: str) -> list[dict[str, Any]]:
    """The options of one rule type for the form: name, kind (number, text, choice, bool),
    choices and default."""
    cls = rule_classes().get(rule_type)
    if cls is None:
        return []
    out = []
    for name, info in cls.model_fields.items():
        if name in COMMON_FIELDS:
            continue
        kind, choices = _kind(info.annotation)
        out.append({"name": name, "kind": kind, "choices": choices, "default": info.default})
    return out


def _kind(annotation: Any) -> tuple[str, list[str]]:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if get_origin(annotation) is typing.Literal:
        return "choice", [str(a) for a in get_args(annotation)]
    if annotation is bool:
        return "bool", []
    if annotation in (int, float):
        return "number", []
    return "text", []


def _dump(rule: Any) -> dict[str, Any]:
    """A rule as kaname.yaml holds it: type and id first, defaults left out."""
    data = rule.model_dump(mode="json", exclude_defaults=True)
    data.pop("type", None)
    data.pop("id", None)
    return {"type": rule.type, "id": rule.id, **data}


def rules(dash: Dashboard) -> dict[str, Any]:
    """The rules in effect, the `alerts:` section as YAML, and each rule type's options."""
    current = [_dump(r) for r in dash.ws.config.alerts]
    return {
        "rules": current,
        "yaml": to_yaml(current),
        "types": {t: option_fields(t) for t in RULE_TYPES},
        "channels": [c.name for c in dash.ws.config.channels],
    }


def to_yaml(items: list[dict[str, Any]]) -> str:
    if not items:
        return "alerts: []\n"
    return yaml.safe_dump({"alerts": items}, sort_keys=False, allow_unicode=True)


def parse_yaml(text: str) -> list[Any]:
    """The rules of the YAML editor: `alerts:` with a list, or a bare list (empty = none)."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise RulesError(
            [RuleProblem("yaml", f"not valid YAML (line {line}): {exc}", params={"line": line})]
        ) from exc
    if isinstance(data, dict) and set(data) == {"alerts"}:
        data = data["alerts"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise RulesError([RuleProblem("not_a_list", "write the rules as a list under `alerts:`")])
    return data


def rule_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """A rule from the page's form: the common fields and the options of its type (`o__name`);
    empty fields are left out so their defaults apply."""
    rule_type = str(form.get("type", "")).strip()
    out: dict[str, Any] = {"type": rule_type}
    for key in ("id", "kpi", "dimension", "dimension_value", "grain", "severity"):
        value = str(form.get(key) or "").strip()
        if value:
            out[key] = value
    channels = [c.strip() for c in str(form.get("channels") or "").split(",") if c.strip()]
    if channels:
        out["channels"] = channels
    if str(form.get("cooldown_hours") or "").strip():
        out["cooldown_hours"] = str(form["cooldown_hours"]).strip()
    out["enabled"] = str(form.get("enabled", "1")) in ("1", "on", "true")
    for option in option_fields(rule_type):
        key = f"o__{option['name']}"
        if option["kind"] == "bool":
            if key in form:
                out[option["name"]] = str(form[key]) in ("1", "on", "true")
            continue
        value = str(form.get(key) or "").strip()
        if value:
            out[option["name"]] = value
    return out


def validate(dash: Dashboard, items: list[Any]) -> list[Any]:
    """The rules as models, or RulesError with every problem found."""
    names = [_name(item, i) for i, item in enumerate(items)]
    try:
        parsed = RULES.validate_python(items)
    except ValidationError as exc:
        raise RulesError([_problem(e, names) for e in exc.errors()]) from exc
    problems: list[RuleProblem] = []
    catalog = dash.ws.catalog
    channels = {c.name for c in dash.ws.config.channels}
    seen: set[str] = set()
    for rule in parsed:
        if rule.id in seen:
            problems.append(
                RuleProblem(
                    "duplicate_id",
                    f"two rules are named {rule.id}; names must be unique",
                    rule.id,
                    "id",
                    {"id": rule.id},
                )
            )
        seen.add(rule.id)
        if rule.type in KPI_RULES and not rule.kpi:
            problems.append(RuleProblem("kpi_required", "a KPI is required", rule.id, "kpi"))
        elif rule.kpi and rule.kpi not in catalog:
            problems.append(
                RuleProblem(
                    "unknown_kpi",
                    f"KPI {rule.kpi} is not in the catalog",
                    rule.id,
                    "kpi",
                    {"kpi": rule.kpi},
                )
            )
        elif rule.kpi and rule.dimension and rule.dimension not in catalog.dimensions_of(rule.kpi):
            allowed = ", ".join(catalog.dimensions_of(rule.kpi)) or "-"
            problems.append(
                RuleProblem(
                    "bad_dimension",
                    f"{rule.kpi} cannot be split by {rule.dimension}; it allows {allowed}",
                    rule.id,
                    "dimension",
                    {"kpi": rule.kpi, "dimension": rule.dimension, "allowed": allowed},
                )
            )
        if rule.dimension_value and not rule.dimension:
            problems.append(
                RuleProblem(
                    "value_without_dimension",
                    "a dimension value needs a dimension",
                    rule.id,
                    "dimension_value",
                )
            )
        missing = sorted(set(rule.channels or []) - channels)
        if missing:
            known = ", ".join(sorted(channels)) or "-"
            problems.append(
                RuleProblem(
                    "unknown_channel",
                    f"unknown channel {', '.join(missing)}; channels are {known}",
                    rule.id,
                    "channels",
                    {"channels": ", ".join(missing), "known": known},
                )
            )
        if rule.type == "threshold" and rule.above is None and rule.below is None:
            problems.append(
                RuleProblem("threshold_bound", "give above or below (or both)", rule.id, "above")
            )
    if problems:
        raise RulesError(problems)
    return list(parsed)


def _name(item: Any, index: int) -> str:
    if isinstance(item, dict) and item.get("id"):
        return str(item["id"])
    return f"#{index + 1}"


def _problem(error: Any, names: list[str]) -> RuleProblem:
    loc = list(error["loc"])
    rule = names[loc[0]] if loc and isinstance(loc[0], int) and loc[0] < len(names) else ""
    # the discriminated union puts the type name after the index: (0, 'target_miss', 'threshold')
    rest = [str(p) for p in loc[1:] if str(p) not in RULE_TYPES]
    field = ".".join(rest)
    ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    params = {str(k): v for k, v in ctx.items()}
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        field = "type"
        params = {"types": ", ".join(RULE_TYPES)}
    return RuleProblem(error["type"], str(error["msg"]), rule, field, params)


def save(dash: Dashboard, items: list[Any], by: str) -> dict[str, Any]:
    """Validate and write the whole `alerts:` list to kaname.yaml; audited; cache dropped."""
    parsed = validate(dash, items)
    ws = dash.ws
    with dash.lock:
        before = [_dump(r) for r in ws.config.alerts]
        after = [_dump(r) for r in parsed]
        try:
            ws.config = update_config(ws.root, {"alerts": after})
        except ValueError as exc:  # the whole file no longer validates (e.g. edited meanwhile)
            raise RulesError([RuleProblem("config", str(exc))]) from exc
        _audit(dash, by, "alerts.rules", "kaname.yaml:alerts", before, after)
        dash.invalidate(warehouse=False)
    return dict(clean(rules(dash)))


def upsert(dash: Dashboard, rule: dict[str, Any], by: str, replace: str = "") -> dict[str, Any]:
    """Add a rule, or replace the rule named `replace` (an edit may rename it) in place."""
    current = [_dump(r) for r in dash.ws.config.alerts]
    ids = [r["id"] for r in current]
    if replace and replace in ids:
        current[ids.index(replace)] = rule
    else:
        current.append(rule)
    return save(dash, current, by)


def delete(dash: Dashboard, rule_id: str, by: str) -> dict[str, Any]:
    current = [_dump(r) for r in dash.ws.config.alerts]
    if rule_id not in [r["id"] for r in current]:
        raise RulesError(
            [RuleProblem("no_rule", f"no rule {rule_id}", rule_id, params={"id": rule_id})]
        )
    return save(dash, [r for r in current if r["id"] != rule_id], by)


def from_json(dash: Dashboard, body: dict[str, Any], by: str) -> dict[str, Any]:
    """POST /api/alerts/rules: {"rules": [...]} or {"yaml": "..."} replaces every rule;
    {"rule": {...}, "replace": "old-id"?} adds or replaces one; {"delete": "id"} removes one."""
    if "rules" in body:
        if not isinstance(body["rules"], list):
            raise RulesError([RuleProblem("not_a_list", "rules must be a list")])
        return save(dash, body["rules"], by)
    if "yaml" in body:
        return save(dash, parse_yaml(str(body["yaml"])), by)
    if isinstance(body.get("rule"), dict):
        return upsert(dash, body["rule"], by, str(body.get("replace") or ""))
    if body.get("delete"):
        return delete(dash, str(body["delete"]), by)
    raise ActError('send {"rules": [...]}, {"yaml": "..."}, {"rule": {...}} or {"delete": "id"}')
