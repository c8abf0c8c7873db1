"""Settings (admin): users, roles, departments, fiscal-year start, currency, language; audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kaname.auth.accounts import AccountError, Accounts
from kaname.config import WorkspaceConfig, write_config
from kaname.dashboard import Dashboard
from kaname.store.web_models import DEPARTMENTS, ROLES
from kaname.web.deps import admin, dashboard, gettext
from kaname.web.i18n import Translator
from kaname.web.render import render
from kaname.web.routes.account import _translate_account
from kaname.web.security import Caller

router = APIRouter()
Admin = Annotated[Caller, Depends(admin)]
Dash = Annotated[Dashboard, Depends(dashboard)]
WORKSPACE_FIELDS = ("name", "fiscal_year_start_month", "currency", "language")


def _accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def _settings(request: Request, error: str = "", notice: str = "", status: int = 200) -> Response:
    ws = request.app.state.ws
    return render(
        request,
        "settings.html",
        {
            "users": _accounts(request).users(),
            "config": ws.config,
            "roles": ROLES,
            "departments": DEPARTMENTS,
            "audit": _accounts(request).audit_log(50),
            "tokens": _accounts(request).all_tokens(),
            "error": error,
            "notice": notice,
        },
        status,
    )


@router.get("/settings", include_in_schema=False)
def settings_page(request: Request, who: Admin) -> Response:
    return _settings(request)


def update_workspace(
    dash: Dashboard, accounts: Accounts, actor: str, fields: dict[str, Any]
) -> dict[str, Any]:
    ws = dash.ws
    before = {k: getattr(ws.config, k) for k in WORKSPACE_FIELDS}
    data = ws.config.model_dump()
    for key in WORKSPACE_FIELDS:
        if key in fields and str(fields[key]).strip() != "":
            data[key] = fields[key]
    config = WorkspaceConfig.model_validate(data)
    after = {k: getattr(config, k) for k in WORKSPACE_FIELDS}
    if after != before:
        write_config(ws.root, config)
        ws.config = config
        accounts.audit(actor, "settings.update", "kaname.yaml", before, after)
        dash.invalidate()
    return after


@router.post("/settings/workspace", include_in_schema=False)
async def workspace_form(
    request: Request, who: Admin, dash: Dash, _: Annotated[Translator, Depends(gettext)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        update_workspace(dash, _accounts(request), who.user.username, form)
    except ValueError as exc:
        return _settings(
            request, error=_("Settings not saved: {reason}", reason=str(exc)), status=400
        )
    return RedirectResponse("/settings?saved=1", status_code=303)


@router.post("/settings/users", include_in_schema=False)
async def create_user_form(
    request: Request, who: Admin, _: Annotated[Translator, Depends(gettext)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        _accounts(request).create_user(
            form.get("username", ""),
            form.get("password", ""),
            role=form.get("role", "viewer"),
            department=form.get("department", "executive"),
            display_name=form.get("display_name", ""),
            actor=who.user.username,
            must_change_password=True,
        )
    except AccountError as exc:
        return _settings(request, error=_translate_account(str(exc), _), status=400)
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/users/{username}", include_in_schema=False)
async def update_user_form(
    request: Request, username: str, who: Admin, _: Annotated[Translator, Depends(gettext)]
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        _accounts(request).update_user(
            username,
            who.user.username,
            role=form.get("role") or None,
            department=form.get("department") or None,
            active=form.get("active", "1") == "1",
        )
    except AccountError as exc:
        return _settings(request, error=_translate_account(str(exc), _), status=400)
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token_form(
    request: Request, token_id: int, who: Admin, _: Annotated[Translator, Depends(gettext)]
) -> Response:
    """Revoke any user's API token (admin)."""
    try:
        _accounts(request).revoke_token(who.user, token_id)
    except AccountError as exc:
        return _settings(request, error=_translate_account(str(exc), _), status=400)
    return RedirectResponse("/settings#tokens", status_code=303)


# ---------------------------------------------------------------------- JSON twins
@router.get("/api/settings", tags=["settings"])
def settings_json(request: Request, who: Admin) -> dict[str, Any]:
    """Workspace settings, users (without password hashes), roles and departments."""
    ws = request.app.state.ws
    return {
        "workspace": {k: getattr(ws.config, k) for k in WORKSPACE_FIELDS},
        "users": _accounts(request).users(),
        "roles": list(ROLES),
        "departments": list(DEPARTMENTS),
    }


@router.post("/api/settings", tags=["settings"])
def settings_update_json(
    request: Request, who: Admin, dash: Dash, fields: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Change name, fiscal_year_start_month, currency or language of the workspace."""
    try:
        return update_workspace(dash, _accounts(request), who.user.username, fields)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc


@router.post("/api/users", tags=["settings"])
def create_user_json(
    request: Request, who: Admin, fields: Annotated[dict[str, str], Body()]
) -> dict[str, Any]:
    """Create a user: username, password, role, department, display_name."""
    user = _accounts(request).create_user(
        fields.get("username", ""),
        fields.get("password", ""),
        role=fields.get("role", "viewer"),
        department=fields.get("department", "executive"),
        display_name=fields.get("display_name", ""),
        actor=who.user.username,
        must_change_password=True,
    )
    return {"username": user.username, "role": user.role, "department": user.department}


@router.get("/api/audit", tags=["settings"])
def audit_json(request: Request, who: Admin, limit: int = 200) -> list[dict[str, Any]]:
    """The audit log, newest first: who changed what, when, before and after."""
    return _accounts(request).audit_log(max(1, min(limit, 1000)))


@router.get("/api/tokens", tags=["settings"])
def tokens_json(request: Request, who: Admin) -> list[dict[str, Any]]:
    """Every user's API tokens (admin): id, owner, name, created_at, last_used_at."""
    return _accounts(request).all_tokens()


@router.post("/api/tokens/{token_id}/revoke", tags=["settings"])
def revoke_token_json(request: Request, token_id: int, who: Admin) -> dict[str, Any]:
    """Revoke any user's API token (admin); audited."""
    _accounts(request).revoke_token(who.user, token_id)
    return {"revoked": token_id}
