"""The plan editor: edit targets and assumptions, run the planner and what-if in the page, see
lint findings before saving; saving writes a new plan version with who and when."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kaname.dashboard import Dashboard
from kaname.dashboard import plans as service
from kaname.design.plan import Plan, PlanError
from kaname.web.deps import dashboard, editor, gettext, language, viewer
from kaname.web.i18n import Translator
from kaname.web.render import render
from kaname.web.routes.act import decision_names
from kaname.web.security import Caller

router = APIRouter()
Who = Annotated[Caller, Depends(viewer)]
Editor = Annotated[Caller, Depends(editor)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]


def _active(dash: Dashboard) -> Plan:
    found = dash.plan()
    if found is None:
        raise PlanError(
            "no plan has been applied yet: write one with `kaname plan new --template b2b_saas` "
            "and apply it with `kaname plan apply FILE`"
        )
    return found[0]


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


@router.get("/plans", include_in_schema=False)
def editor_page(
    request: Request, who: Who, dash: Dash, lang: Lang, _: Gettext, saved: int = 0
) -> Response:
    found = dash.plan()
    wizard = service.cached_wizard_form(dash, lang)
    if found is None:
        return render(
            request,
            "plans.html",
            {"plan": None, "check": None, "versions": [], "wizard": wizard, "saved": saved},
        )
    plan = found[0]
    ws = dash.ws
    data = service.plan_data(plan, lang, ws.catalog)
    return render(
        request,
        "plans.html",
        {
            "plan": data,
            "version": found[1].version,
            "check": service.active_check(dash, plan, found[1].id, lang),
            "versions": ws.plan_versions(plan.name)[:20],
            "saved": saved,
            "review": service.review_decisions(dash, plan),
            "decision_names": decision_names(_),
            "rate_fields": service.RATE_FIELDS,
            "assumption_fields": service.ASSUMPTION_FIELDS,
            "wizard": wizard,
            "source": "as_is",
            "targets_from": plan.targets_from,
            "changes": [],
        },
    )


def _check_context(
    dash: Dashboard, form: dict[str, str], lang: str
) -> tuple[Plan | None, dict[str, Any]]:
    """The edited plan and what the check partial shows: lint and solution, where its targets
    come from (re-solved / hand-edited), and the targets the change moved."""
    try:
        base = _active(dash)
        plan, source = service.edited(dash, base, form)
        result = service.check(dash, plan, lang)
    except PlanError as exc:
        return None, {"check": None, "error": service.error_text(exc, lang)}
    return plan, {
        "check": result,
        "error": "",
        "source": source,
        "targets_from": plan.targets_from,
        "changes": service.target_changes(base, plan, dash.ws.catalog, lang),
    }


@router.post("/plans/check", include_in_schema=False)
async def check_partial(request: Request, who: Who, dash: Dash, lang: Lang) -> Response:
    _, context = _check_context(dash, await _form(request), lang)
    return render(request, "_plan_check.html", context)


@router.post("/plans/whatif", include_in_schema=False)
async def whatif_partial(request: Request, who: Who, dash: Dash, lang: Lang) -> Response:
    form = await _form(request)
    try:
        plan = service.edited_plan(_active(dash), form, dash.ws.catalog)
        changes = {
            k[3:]: service._number(v, k[3:])
            for k, v in form.items()
            if k.startswith("wi_") and v.strip()
        }
        result = service.whatif(dash, plan, changes)
        error = ""
    except PlanError as exc:
        result, error = None, service.error_text(exc, lang)
    return render(request, "_whatif.html", {"whatif": result, "error": error})


@router.post("/plans/save", include_in_schema=False)
async def save_form(request: Request, who: Editor, dash: Dash, lang: Lang) -> Response:
    plan, context = _check_context(dash, await _form(request), lang)
    if plan is None or context["check"]["errors"]:
        return render(request, "_plan_check.html", context, 400)
    saved = service.save(dash, plan, who.user.username)
    return _saved(request, saved["version"])


def _saved(request: Request, version: int) -> Response:
    if not request.headers.get("HX-Request"):
        return RedirectResponse(f"/plans?saved={version}", status_code=303)
    response = Response(status_code=204)
    response.headers["HX-Redirect"] = f"/plans?saved={version}"
    return response


@router.post("/plans/wizard/preview", include_in_schema=False)
async def wizard_preview(request: Request, who: Who, dash: Dash, lang: Lang) -> Response:
    """The plan the four numbers make, solved: targets grid, CPA, CAC, LTV:CAC, lint."""
    context: dict[str, Any]
    try:
        preview = service.wizard_preview(dash, await _form(request), lang)
        context = {"preview": preview, "error": ""}
    except PlanError as exc:
        context = {"preview": None, "error": service.error_text(exc, lang)}
    return render(request, "_plan_wizard.html", context, 200 if context["preview"] else 400)


@router.post("/plans/wizard", include_in_schema=False)
async def wizard_save(request: Request, who: Editor, dash: Dash, lang: Lang) -> Response:
    """Save the plan the four numbers make as a new plan version (editor role)."""
    try:
        preview = service.wizard_preview(dash, await _form(request), lang)
    except PlanError as exc:
        context = {"preview": None, "error": service.error_text(exc, lang)}
        return render(request, "_plan_wizard.html", context, 400)
    if preview["check"]["errors"]:
        return render(request, "_plan_wizard.html", {"preview": preview, "error": ""}, 400)
    saved = service.save(dash, preview["plan"], who.user.username)
    return _saved(request, saved["version"])


# ---------------------------------------------------------------------- JSON twins
@router.get("/api/plans", tags=["plans"])
def plan_json(who: Who, dash: Dash, lang: Lang) -> dict[str, Any]:
    """The active plan (KGI, assumptions, targets grid, YAML), its lint findings and solution,
    and its versions."""
    plan = _active(dash)
    found = dash.plan()
    assert found is not None
    return {
        "plan": service.plan_data(plan, lang, dash.ws.catalog),
        "version": found[1].version,
        "check": service.active_check(dash, plan, found[1].id, lang),
        "review_decisions": service.review_decisions(dash, plan),
        "versions": [
            {
                "version": v.version,
                "created_by": v.created_by,
                "created_at": v.created_at.isoformat(),
            }
            for v in dash.ws.plan_versions(plan.name)
        ],
    }


@router.post("/api/plans/check", tags=["plans"])
def check_json(
    who: Who, dash: Dash, lang: Lang, fields: Annotated[dict[str, str], Body()]
) -> dict[str, Any]:
    """Lint and solve the active plan with edits applied (same fields as the editor form:
    kgi_target, a__<assumption>, t__<kpi>__<period>, resolve=1 to re-solve the targets, or
    source=yaml with yaml). `source` says where the targets come from: `solved`, `hand`."""
    plan, context = _check_context(dash, fields, lang)
    if plan is None:
        raise PlanError(context["error"])
    return {
        **context["check"],
        "source": context["source"],
        "targets_from": plan.targets_from,
        "changes": context["changes"],
        "targets": service.targets_grid(plan, dash.ws.catalog, lang),
    }


@router.post("/api/plans/whatif", tags=["plans"])
def whatif_json(
    who: Who, dash: Dash, changes: Annotated[dict[str, float], Body()]
) -> dict[str, Any]:
    """The KGI when the plan's rates change, e.g. {"win_rate": 0.3}."""
    return service.whatif(dash, _active(dash), changes)


@router.post("/api/plans", tags=["plans"], response_model=None)
def save_json(
    who: Editor, dash: Dash, lang: Lang, fields: Annotated[dict[str, str], Body()]
) -> Response | dict[str, Any]:
    """Save the active plan with edits as a new version (editor role); refused with the lint
    errors when the plan has any."""
    from fastapi.responses import JSONResponse

    plan, context = _check_context(dash, fields, lang)
    if plan is None:
        return JSONResponse({"error": context["error"]}, 400)
    if context["check"]["errors"]:
        return JSONResponse({"error": "the plan has lint errors", "check": context["check"]}, 400)
    return {**service.save(dash, plan, who.user.username), "source": context["source"]}


def _wizard_json(preview: dict[str, Any]) -> dict[str, Any]:
    plan = preview["plan"]
    solution = preview["check"]["solution"] or {}
    return {
        "plan": plan.model_dump(mode="json"),
        "volumes": solution.get("volumes", {}),
        "unit_costs": solution.get("unit_costs", {}),
        "check": preview["check"],
        "targets": preview["grid"],
    }


@router.post("/api/plans/wizard", tags=["plans"])
def wizard_json(
    who: Who, dash: Dash, lang: Lang, fields: Annotated[dict[str, str], Body()]
) -> dict[str, Any]:
    """A plan from four numbers, solved but not saved (same fields as the wizard: kgi,
    deal_size, budget, ltv, r__<rate>, stage_opportunities / stage_mqls = 1, mix)."""
    return _wizard_json(service.wizard_preview(dash, fields, lang))


@router.post("/api/plans/new", tags=["plans"], response_model=None)
def wizard_save_json(
    who: Editor, dash: Dash, lang: Lang, fields: Annotated[dict[str, str], Body()]
) -> Response | dict[str, Any]:
    """Save a plan from four numbers as a new plan version (editor role)."""
    from fastapi.responses import JSONResponse

    preview = service.wizard_preview(dash, fields, lang)
    if preview["check"]["errors"]:
        return JSONResponse({"error": "the plan has lint errors", "check": preview["check"]}, 400)
    return {**_wizard_json(preview), **service.save(dash, preview["plan"], who.user.username)}
