"""The FastAPI application: every route needs a login except the login/setup pages, static
files and the health check; roles and CSRF are enforced here, on the server."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import quote

import plotly
import swagger_ui
from fastapi import Depends, FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaname.auth.accounts import AccountError, Accounts
from kaname.dashboard import Dashboard, FilterError
from kaname.dashboard.connect import clean_uploads
from kaname.dashboard.warm import Warmer
from kaname.design.plan import PlanError
from kaname.metrics.calendar import PeriodError
from kaname.metrics.catalog import CatalogError
from kaname.metrics.engine import MetricError
from kaname.store import versions
from kaname.web.hardening import BodyLimit, BodyTooLarge, same_origin, security_headers, size_text
from kaname.web.i18n import pick_language, translator
from kaname.web.local import LOCAL_PREFIX, NotLocal, local_caller
from kaname.web.local import refuse as refuse_local
from kaname.web.local import router as local_router
from kaname.web.notes import explain
from kaname.web.period_error import filter_error_page
from kaname.web.render import render
from kaname.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    UNSAFE,
    Caller,
    CsrfFailed,
    Forbidden,
    LoginThrottle,
    NotSignedIn,
    wants_json,
)
from kaname.workspace import Workspace

log = logging.getLogger("kaname.web")
STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SWAGGER_UI = Path(swagger_ui.__file__).parent / "static"
"""Swagger UI as the swagger-ui-py package ships it (no CDN: /api/docs works offline)."""
VENDOR_FILES = {
    "plotly.min.js": PLOTLY_JS,
    "swagger-ui-bundle.js": SWAGGER_UI / "swagger-ui-bundle.js",
    "swagger-ui.css": SWAGGER_UI / "swagger-ui.css",
}
FIRST_LOGIN_PATHS = ("/account", "/account/password", "/logout")
"""All a user whose one-time password must still be changed may reach (pages and API alike)."""
PUBLIC_PATHS = ("/login", "/setup", "/health", "/favicon.ico")
PUBLIC_PREFIXES = ("/static/",)
USER_ERRORS = (MetricError, PlanError, CatalogError, AccountError)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


async def csrf_protect(request: Request) -> None:
    """State-changing requests from a browser must carry the CSRF token of their session (or,
    before signing in, of the login form). API-token requests carry no cookies and need none."""
    if request.method not in UNSAFE:
        return
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is not None and caller.via in ("token", "local"):
        return
    if not same_origin(request):
        raise CsrfFailed()
    expected = caller.csrf if caller else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            sent = str(form.get(CSRF_FIELD, ""))
    if not expected or not sent or sent != expected:
        raise CsrfFailed()


def create_app(ws: Workspace, secure_cookies: bool = False, shared: bool = False) -> FastAPI:
    """The web app. `shared`: one of several server workers (`kaname serve --workers`), which
    reads the app DB's version counters at every request, so a write through another worker
    shows at once and a sign-out there signs out here too (store/versions.py)."""
    app = FastAPI(
        title="Kaname",
        description="B2B marketing KPI management: every dashboard page has a JSON twin under "
        "/api/. Authenticate with a personal API token: `Authorization: Bearer kn_...`.",
        version=_version(),
        dependencies=[Depends(csrf_protect)],
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.ws = ws
    app.state.dashboard = Dashboard(ws)
    app.state.warmer = None  # start_warming() sets it (kaname serve)
    app.state.accounts = Accounts(ws.appdb)
    app.state.throttle = LoginThrottle(ws.appdb)
    app.state.secure_cookies = secure_cookies
    app.state.shared = shared
    clean_uploads(app.state.dashboard)

    app.add_middleware(
        BodyLimit,
        upload_bytes=lambda: int(ws.config.max_upload_mb * 1024 * 1024),
        refuse=_too_large,
    )
    app.add_middleware(AuthMiddleware, ws=ws, secure=secure_cookies)

    @app.exception_handler(NotSignedIn)
    async def _signed_out(request: Request, exc: NotSignedIn) -> Response:
        return _not_signed_in(request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        _ = translator(request.state.language)
        message = _("Your role cannot do this; ask an admin for the {role} role.", role=exc.needed)
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=403)
        return render(request, "error.html", {"message": message, "code": 403}, 403)

    @app.exception_handler(NotLocal)
    async def _not_local(request: Request, exc: NotLocal) -> Response:
        return refuse_local(request)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        _ = translator(request.state.language)
        message = _("The form expired or came from another site. Reload the page and try again.")
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=403)
        return render(request, "error.html", {"message": message, "code": 403}, 403)

    async def _user_error(request: Request, exc: Exception) -> Response:
        _ = translator(request.state.language)
        message = _("This cannot be shown: {reason}", reason=explain(str(exc), _))
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return render(request, "error.html", {"message": message, "code": 400}, 400)

    for error in USER_ERRORS:
        app.add_exception_handler(error, _user_error)

    async def _period_error(request: Request, exc: Exception) -> Response:
        """A period or filter in the URL that cannot be read: the page frame with the message in
        the user's language inside it, and the filter bar to correct it (not the error page)."""
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return filter_error_page(request, exc)

    app.add_exception_handler(PeriodError, _period_error)
    app.add_exception_handler(FilterError, _period_error)

    async def _too_large_error(request: Request, exc: Exception) -> Response:
        return _too_large(request, exc)

    app.add_exception_handler(BodyTooLarge, _too_large_error)

    async def _malformed(request: Request, exc: Exception) -> Response:
        """A number past 64 bits (an id), or a document nested too deeply to read."""
        _ = translator(request.state.language)
        if isinstance(exc, OverflowError):
            message = _("A number in the request is too large.")
        else:
            message = _("The request is nested too deeply to read.")
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=400)
        return render(request, "error.html", {"message": message, "code": 400}, 400)

    app.add_exception_handler(OverflowError, _malformed)
    app.add_exception_handler(RecursionError, _malformed)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("error on %s %s", request.method, request.url.path)
        _ = translator(getattr(request.state, "language", "ja"))
        message = _("Something went wrong on the server. The error is in the server log.")
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=500)
        return render(request, "error.html", {"message": message, "code": 500}, 500)

    def vendor_route(name: str, path: Path) -> None:
        kind = "text/css" if name.endswith(".css") else "text/javascript"

        def serve() -> FileResponse:
            """A file that ships inside a Python package (no CDN: works offline)."""
            headers = {"Cache-Control": "public, max-age=86400"}
            return FileResponse(path, media_type=kind, headers=headers)

        app.add_api_route(f"/static/vendor/{name}", serve, include_in_schema=False)

    for name, path in VENDOR_FILES.items():
        vendor_route(name, path)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI from the swagger-ui-py package, started by static/api-docs.js."""
        return HTMLResponse(DOCS_PAGE)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    from kaname.web.routes import (
        account,
        act,
        alerts,
        analysis,
        board_tiles,
        boards,
        connect,
        exports,
        pages,
        plans,
        records,
        settings,
    )

    # board_tiles before boards: its /boards/add must not be read as /boards/{board_id}
    for module in (
        account,
        act,
        alerts,
        analysis,
        board_tiles,
        boards,
        connect,
        exports,
        pages,
        plans,
        records,
        settings,
    ):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(local_router)
    return app


def start_warming(app: FastAPI) -> Warmer:
    """Warm the heavy pages now and after every change of the data, in a background thread
    (dashboard/warm.py). `kaname serve` calls it once it has taken the warehouse."""
    from kaname.web.routes.pages import warm_figures

    dash = app.state.dashboard
    warmer = Warmer(
        dash, prepare=lambda: _prepare(app), extra=lambda lang: warm_figures(dash, lang)
    )
    app.state.warmer = warmer
    warmer.start()
    return warmer


def _prepare(app: FastAPI) -> None:
    """What the first request of a fresh server pays once: compiling the templates, loading the
    chart library and the connectors."""
    from kaname.dashboard.connect import sources
    from kaname.web import charts
    from kaname.web.render import env

    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    charts.gauge(0.5, "on_track", "")
    sources(app.state.dashboard)


class ApiError(BaseModel):
    """Every refused API request: what went wrong, in the caller's language."""

    error: str


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ApiError, "description": "Bad request: a bad filter, id or document"},
    401: {"model": ApiError, "description": "No or bad API token or session"},
    403: {"model": ApiError, "description": "The role does not allow this, or CSRF failed"},
    413: {"model": ApiError, "description": "The request body is over its route's limit"},
}
DOCS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Kaname API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


def _too_large(request: Request, exc: Exception) -> Response:
    limit = exc.limit if isinstance(exc, BodyTooLarge) else 0
    _ = translator(getattr(request.state, "language", "ja"))
    message = _("The request is too large: at most {size}.", size=size_text(limit))
    if wants_json(request) or getattr(request.state, "caller", None) is None:
        return JSONResponse({"error": message}, status_code=413, headers={"Connection": "close"})
    return render(request, "error.html", {"message": message, "code": 413}, 413)


CALLER_SECONDS = 5.0
"""How long a session or token lookup is reused (any account change forgets it at once)."""


class AuthMiddleware:
    """Who is asking, for every request: a session cookie or an API token, looked up off the
    event loop. Anonymous requests reach only the public paths; first-login users must change
    their password first. Adds the security headers. (A plain ASGI middleware: cheaper than
    Starlette's BaseHTTPMiddleware on every request.)"""

    def __init__(self, app: ASGIApp, ws: Workspace, secure: bool = False) -> None:
        self.app = app
        self.ws = ws
        self.secure = secure
        self._seen: dict[tuple[str, int, int], tuple[float, Caller | None]] = {}

    async def _lookup(
        self, accounts: Accounts, kind: str, token: str, shared_version: int = 0
    ) -> Caller | None:
        """The caller of a session or token, remembered for a few seconds (and forgotten at
        once when users, sessions or tokens change, here or, for several workers, in any
        worker: `shared_version`), so a page view costs no session query."""
        key = (kind + token, accounts.generation, shared_version)
        hit = self._seen.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < CALLER_SECONDS:
            return hit[1]
        caller: Caller | None = None
        if kind == "token:":
            user = await run_in_threadpool(accounts.token_user, token)
            caller = Caller(user, "token") if user is not None else None
        else:
            found = await run_in_threadpool(accounts.session_user, token)
            caller = Caller(found[0], "session", found[1]) if found is not None else None
        if len(self._seen) > 5000:
            self._seen.clear()
        self._seen[key] = (now, caller)
        return caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        accounts: Accounts = request.app.state.accounts
        shared_version = 0
        if request.app.state.shared and not request.url.path.startswith("/static/"):
            shared_version = await run_in_threadpool(_follow_other_workers, request.app)
        caller = None
        auth = request.headers.get("authorization", "")
        if request.url.path.startswith(LOCAL_PREFIX):
            caller = local_caller(request)  # the local CLI's token, not a user's (web/local.py)
        elif auth.lower().startswith("bearer "):
            caller = await self._lookup(accounts, "token:", auth[7:].strip(), shared_version)
        else:
            token = request.cookies.get(SESSION_COOKIE)
            if token:
                caller = await self._lookup(accounts, "session:", token, shared_version)
        request.state.caller = caller
        request.state.language = pick_language(
            caller.user.language if caller else None,
            request.query_params.get("lang") if caller is None else None,
            request.cookies.get("kaname_lang"),
            self.ws.config.language,
        )
        path = request.url.path
        response: Response | None = None
        if caller is None and not is_public(path):
            response = _not_signed_in(request)
        elif (
            caller is not None
            and caller.user.must_change_password
            and path not in FIRST_LOGIN_PATHS
            and not is_public(path)
        ):
            response = _change_password_first(request)
        send = _with_headers(send, security_headers(path, self.secure))
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _follow_other_workers(app: FastAPI) -> int:
    """One small query a request (several workers only): forget cached pages when another
    worker wrote; returns the accounts version, which keys the cached sign-ins."""
    seen = versions.current(app.state.ws.appdb)
    app.state.dashboard.follow(seen.get(versions.PAGES, 0))
    return seen.get(versions.ACCOUNTS, 0)


def _change_password_first(request: Request) -> Response:
    """A one-time password opens the password form and nothing else, API included."""
    if wants_json(request):
        _ = translator(request.state.language)
        message = _("Change your one-time password on /account before anything else.")
        return JSONResponse({"error": message}, status_code=403)
    if request.headers.get("HX-Request"):
        return Response(status_code=403, headers={"HX-Redirect": "/account?first=1"})
    return RedirectResponse("/account?first=1", status_code=303)


def _with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [
                (k, v) for k, v in headers if k not in names
            ]
        await send(message)

    return wrapped


def _not_signed_in(request: Request) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"error": "sign in first: send `Authorization: Bearer <API token>` or log in"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _version() -> str:
    from kaname import __version__

    return __version__
