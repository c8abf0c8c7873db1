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
    if found is None:
        return render(request, "plans.html", {"plan": None, "check": None, "versions": []})
    plan = found[0]
    ws = dash.ws
    data = service.plan_data(plan, lang, ws.catalog)
    return render(
        request,
        "plans.html",
        {
            "plan": data,
            "version": found[1].version,
            "check": service.check(dash, plan, lang),
            "versions": ws.plan_versions(plan.name)[:20],
            "saved": saved,
            "review": service.review_decisions(dash, plan),
            "decision_names": decision_names(_),
            "rate_fields": service.RATE_FIELDS,
            "assumption_fields": service.ASSUMPTION_FIELDS,
        },
    )


@router.post("/plans/check", include_in_schema=False)
async def check_partial(request: Request, who: Who, dash: Dash, lang: Lang) -> Response:
    form = await _form(request)
    try:
        plan = service.edited_plan(_active(dash), form)
        result = service.check(dash, plan, lang)
        error = ""
    except PlanError as exc:
        result, error = None, str(exc)
    return render(request, "_plan_check.html", {"check": result, "error": error})


@router.post("/plans/whatif", include_in_schema=False)
async def whatif_partial(request: Request, who: Who, dash: Dash) -> Response:
    form = await _form(request)
    try:
        plan = service.edited_plan(_active(dash), form)
        changes = {
            k[3:]: service._number(v, k[3:])
            for k, v in form.items()
            if k.startswith("wi_") and v.strip()
        }
        result = service.whatif(dash, plan, changes)
        error = ""
    except PlanError as exc:
        result, error = None, str(exc)
    return render(request, "_whatif.html", {"whatif": result, "error": error})


@router.post("/plans/save", include_in_schema=False)
async def save_form(request: Request, who: Editor, dash: Dash, lang: Lang) -> Response:
    form = await _form(request)
    try:
        plan = service.edited_plan(_active(dash), form)
        result = service.check(dash, plan, lang)
    except PlanError as exc:
        return render(request, "_plan_check.html", {"check": None, "error": str(exc)}, 400)
    if result["errors"]:
        return render(request, "_plan_check.html", {"check": result, "error": ""}, 400)
    saved = service.save(dash, plan, who.user.username)
    response = Response(status_code=204)
    response.headers["HX-Redirect"] = f"/plans?saved={saved['version']}"
    if not request.headers.get("HX-Request"):
        return RedirectResponse(f"/plans?saved={saved['version']}", status_code=303)
    return response


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
        "check": service.check(dash, plan, lang),
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
    kgi_target, a__<assumption>, t__<kpi>__<period>, or source=yaml with yaml)."""
    return service.check(dash, service.edited_plan(_active(dash), fields), lang)


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

    plan = service.edited_plan(_active(dash), fields)
    result = service.check(dash, plan, lang)
    if result["errors"]:
        return JSONResponse({"error": "the plan has lint errors", "check": result}, 400)
    return service.save(dash, plan, who.user.username)
