"""Login, first-run setup, logout and the user's own account (language, password, API tokens)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kaname.auth.accounts import AccountError, Accounts
from kaname.web.deps import caller, gettext, viewer
from kaname.web.i18n import LANGUAGES, Translator
from kaname.web.render import render
from kaname.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Caller, client_key, login_csrf

router = APIRouter()


def _accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a login to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    token = login_csrf(request)
    response = render(request, "login.html", context, status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    if not _accounts(request).has_users():
        return RedirectResponse("/setup", status_code=303)
    return _login_page(request, {"next": _safe_next(next), "error": ""})


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    _: Annotated[Translator, Depends(gettext)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    throttle = request.app.state.throttle
    # A user name locks only from the address that failed (nobody can lock an admin out from
    # elsewhere); an address that fails across names locks on its own.
    address = client_key(request)
    keys = (f"user:{username.strip().lower()}@{address}", address)
    wait = throttle.retry_after(*keys)
    if wait:
        message = _(
            "Too many failed attempts. Try again in {minutes} minutes.", minutes=wait // 60 + 1
        )
        return _login_page(request, {"next": next, "error": message}, 429)
    user = _accounts(request).authenticate(username, password)
    if user is None:
        throttle.failed(*keys)
        return _login_page(request, {"next": next, "error": _("Wrong user name or password.")}, 401)
    throttle.succeeded(*keys)
    token, _csrf = _accounts(request).start_session(user)
    target = "/account?first=1" if user.must_change_password else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
        max_age=12 * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    _accounts(request).audit(user.username, "session.login", "", None, None)
    return response


@router.get("/setup", include_in_schema=False)
def setup_form(request: Request) -> Response:
    if _accounts(request).has_users():
        return RedirectResponse("/login", status_code=303)
    token = login_csrf(request)
    response = render(request, "setup.html", {"error": ""})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/setup", include_in_schema=False)
def setup(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    _: Annotated[Translator, Depends(gettext)],
    display_name: Annotated[str, Form()] = "",
) -> Response:
    """First run only: create the first admin."""
    accounts = _accounts(request)
    if accounts.has_users():
        return RedirectResponse("/login", status_code=303)
    try:
        accounts.create_user(
            username, password, role="admin", display_name=display_name, actor="setup"
        )
    except AccountError as exc:
        login_csrf(request)
        return render(request, "setup.html", {"error": _translate_account(str(exc), _)}, 400)
    return RedirectResponse("/login", status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        _accounts(request).end_session(token)
    _accounts(request).audit(who.user.username, "session.logout", "", None, None)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _translate_account(message: str, _: Translator) -> str:
    """Account errors come from the service in English; the common ones read in Japanese too."""
    known = {
        "a password needs at least 10 characters": _("A password needs at least 10 characters."),
        "a password has at most 1024 characters": _("A password has at most 1,024 characters."),
        "this password is too easy to guess; choose another": _(
            "This password is too easy to guess; choose another."
        ),
        "the new password must differ from the current one": _(
            "The new password must differ from the current one."
        ),
        "no such token of yours": _("No such token."),
        "a user name is 1–100 characters": _("A user name is 1–100 characters."),
        "the last active admin cannot be demoted or disabled": _(
            "The last active admin cannot be demoted or disabled."
        ),
    }
    if message.startswith("user ") and message.endswith(" exists"):
        return _("That user name is taken.")
    return known.get(message, message)


@router.get("/account", include_in_schema=False)
def account_page(
    request: Request, who: Annotated[Caller, Depends(viewer)], first: int = 0
) -> Response:
    tokens = _accounts(request).tokens(who.user)
    return render(
        request,
        "account.html",
        {
            "tokens": tokens,
            "new_token": "",
            "first": bool(first),
            "error": "",
            "languages": LANGUAGES,
        },
    )


@router.get("/api/account", tags=["account"])
def account_json(request: Request, who: Annotated[Caller, Depends(viewer)]) -> dict[str, Any]:
    """The caller: user name, role, department, language."""
    u = who.user
    return {
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "department": u.department,
        "language": u.language or request.state.language,
    }


@router.post("/account/language", include_in_schema=False)
def set_language(
    request: Request, who: Annotated[Caller, Depends(viewer)], language: Annotated[str, Form()]
) -> Response:
    if language not in LANGUAGES:
        language = ""
    _accounts(request).update_user(who.user.username, who.user.username, language=language)
    back = request.headers.get("referer", "/")
    response = RedirectResponse(_safe_next(_path_of(back)), status_code=303)
    return response


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@router.post("/account/password", include_in_schema=False)
def change_password(
    request: Request,
    who: Annotated[Caller, Depends(viewer)],
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    _: Annotated[Translator, Depends(gettext)],
) -> Response:
    accounts = _accounts(request)
    tokens = accounts.tokens(who.user)
    context = {"tokens": tokens, "new_token": "", "first": False, "languages": LANGUAGES}
    if accounts.authenticate(who.user.username, current) is None:
        return render(
            request, "account.html", {**context, "error": _("The current password is wrong.")}, 400
        )
    try:
        accounts.set_password(who.user.username, new, who.user.username)
    except AccountError as exc:
        return render(
            request, "account.html", {**context, "error": _translate_account(str(exc), _)}, 400
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/account/tokens", include_in_schema=False)
def create_token(
    request: Request, who: Annotated[Caller, Depends(viewer)], name: Annotated[str, Form()]
) -> Response:
    accounts = _accounts(request)
    token = accounts.create_token(who.user, name)
    return render(
        request,
        "account.html",
        {
            "tokens": accounts.tokens(who.user),
            "new_token": token,
            "first": False,
            "error": "",
            "languages": LANGUAGES,
        },
    )


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(
    request: Request, token_id: int, who: Annotated[Caller, Depends(viewer)]
) -> Response:
    _accounts(request).revoke_token(who.user, token_id)
    return RedirectResponse("/account", status_code=303)
