"""Connect pages (issue 5) and their JSON twins: Sources (connect, sync with progress, history),
file import (upload, mapping, dry run, quarantine report) and data quality (findings, merges).

Credentials need the admin role, syncs, imports and merges the editor role; every state change is
audited. Secrets never come back: the service stores them encrypted and shows "***".
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from starlette.datastructures import UploadFile as StarletteUpload

from kaname.auth.accounts import Accounts
from kaname.dashboard import Dashboard
from kaname.dashboard import connect as service
from kaname.ingest.quality import MERGE_REASONS, finding_title
from kaname.web.deps import admin, current_language, dashboard, editor, gettext, language, viewer
from kaname.web.display import number
from kaname.web.i18n import Translator, translator
from kaname.web.notes import table_names
from kaname.web.render import render
from kaname.web.security import Caller

router = APIRouter()
Who = Annotated[Caller, Depends(viewer)]
Editor = Annotated[Caller, Depends(editor)]
Admin = Annotated[Caller, Depends(admin)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]
ERRORS = service.USER_ERRORS


def _audit(request: Request, who: Caller, action: str, target: str, after: Any) -> None:
    accounts: Accounts = request.app.state.accounts
    accounts.audit(who.user.username, action, target, None, after)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items()}


def _error(exc: Exception, lang: str = "") -> JSONResponse:
    """A 400 with the error in the caller's language when the service wrote it in each."""
    return JSONResponse({"error": _said(exc, lang)}, status_code=400)


def _said(exc: Exception, lang: str) -> str:
    if not lang:
        return str(exc)
    return service.error_text(exc, lang)


_CODE = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """Help and fix texts mark commands and setting names with backticks: show them as code."""
    return Markup(_CODE.sub(lambda m: f"<code>{m[1]}</code>", str(escape(text))))


def breakable(name: str) -> Markup:
    """A long table name (raw_hubspot_email_events) that may wrap after its underscores."""
    return Markup(escape(name).replace("_", Markup("_<wbr>")))


_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})[\d:.]*")


def example_cell(value: Any) -> str:
    """A finding's example value as people read it: a date without a midnight time, an amount
    without a trailing .0 and with thousands separators; IDs and text as they are."""
    if value is None:
        return ""
    if isinstance(value, float):
        return number(value, 0 if value.is_integer() else 2)
    text = str(value)
    stamp = _STAMP.fullmatch(text)
    if stamp:
        midnight = not text[11:].strip("0:.")
        return stamp[1] if midnight else f"{stamp[1]} {stamp[2]}"
    return text


def source_titles(dash: Dashboard) -> dict[str, str]:
    """source id → its product name (HubSpot, Google Ads...), for notices, progress and history."""
    return {a["source"]: a["title"] for a in dash.ws.connectors.available()}


def severity_names(_: Translator) -> dict[str, str]:
    return {"error": _("Error"), "warning": _("Warning"), "info": _("Info")}


def run_states(_: Translator) -> dict[str, str]:
    return {
        "ok": _("OK"),
        "failed": _("Failed"),
        "busy": _("Busy"),
        "running": _("Running"),
        "interrupted": _("Interrupted"),
    }


# ---------------------------------------------------------------------- sources
def _status(dash: Dashboard, _: Translator, polling: bool) -> dict[str, Any]:
    """What the sync progress partial shows: the jobs, their states and steps in words."""
    return {
        "jobs": service.jobs(dash),
        "states": run_states(_),
        "titles": source_titles(dash),
        "step": lambda job: progress_step(job, _),
        "polling": polling,
    }


def progress_step(job: dict[str, Any], _: Translator) -> str:
    """A running sync's step in the user's language. The service labels its steps
    "<source> <stream>", "<source> → canonical" and "refresh"."""
    label, source = job.get("label") or "", job.get("source", "")
    if not label:
        return _("Starting…")
    if label == "refresh":
        return _("Refreshing the KPIs…")
    if label == f"{source} → canonical":
        return _("Mapping into the canonical tables…")
    if label.startswith(f"{source} "):
        return _("Reading {stream}…", stream=label.removeprefix(f"{source} "))
    return label


def _sources_page(
    request: Request, dash: Dashboard, _: Translator, status: int = 200, **extra: Any
) -> Response:
    data = service.sources(dash)
    return render(
        request,
        "sources.html",
        {
            "data": data,
            **_status(dash, _, polling=False),
            "code_spans": code_spans,
            "breakable": breakable,
            **extra,
        },
        status,
        partial="_sources.html",
    )


@router.get("/sources", include_in_schema=False)
def sources_page(
    request: Request, who: Who, dash: Dash, _: Gettext, done: str = "", source: str = ""
) -> Response:
    title = source_titles(dash).get(source, source)
    notices = {
        "connected": _("{source} is connected.", source=title),
        "disconnected": _("{source} is disconnected; its data stays.", source=title),
        "started": _("The sync of {source} has started.", source=title),
    }
    return _sources_page(request, dash, _, notice=notices.get(done, ""))


@router.get("/sources/status", include_in_schema=False)
def sync_status(request: Request, who: Who, dash: Dash, _: Gettext, polling: int = 0) -> Response:
    """The sync progress partial, polled every second while a sync runs."""
    return render(
        request,
        "_sync_status.html",
        _status(dash, _, bool(polling)),
    )


@router.post("/sources/{source}/connect", include_in_schema=False)
async def connect_form(
    request: Request, source: str, who: Admin, dash: Dash, _: Gettext
) -> Response:
    form = await _form(request)
    check = form.get("check") == "1"
    try:
        result = service.connect(dash, source, form, check=check)
    except ERRORS as exc:
        error = _said(exc, current_language(request))
        return _sources_page(request, dash, _, 400, error=error, open_source=source)
    _audit(request, who, "source.connect", source, result["settings"])
    return RedirectResponse(f"/sources?done=connected&source={source}", status_code=303)


@router.post("/sources/{source}/disconnect", include_in_schema=False)
def disconnect_form(request: Request, source: str, who: Admin, dash: Dash, _: Gettext) -> Response:
    try:
        result = service.disconnect(dash, source)
    except ERRORS as exc:
        return _sources_page(request, dash, _, 400, error=_said(exc, current_language(request)))
    _audit(request, who, "source.disconnect", source, result)
    return RedirectResponse(f"/sources?done=disconnected&source={source}", status_code=303)


@router.post("/sources/{source}/sync", include_in_schema=False)
async def sync_form(request: Request, source: str, who: Editor, dash: Dash, _: Gettext) -> Response:
    form = await _form(request)
    full = form.get("full") == "1"
    try:
        job = service.start_sync(dash, source, full, who.user.username)
    except ERRORS as exc:
        error = _said(exc, current_language(request))
        if request.headers.get("HX-Request"):
            context = {**_status(dash, _, polling=False), "jobs": [], "sync_error": error}
            return render(request, "_sync_status.html", context, 400)
        return _sources_page(request, dash, _, 400, error=error)
    _audit(request, who, "source.sync", source, {"mode": job.to_dict()["mode"]})
    if request.headers.get("HX-Request"):
        return render(
            request,
            "_sync_status.html",
            _status(dash, _, polling=True),
        )
    return RedirectResponse(f"/sources?done=started&source={source}", status_code=303)


@router.get("/api/sources", tags=["connect"])
def sources_json(who: Who, dash: Dash) -> dict[str, Any]:
    """Every available source: connected, settings (secrets shown as ***), form fields, last run
    (status, rows per table, error), next due, rows per raw table, the running web sync; and the
    20 latest sync runs of all sources."""
    return service.sources(dash)


@router.get("/api/sources/status", tags=["connect"])
def sync_status_json(who: Who, dash: Dash) -> list[dict[str, Any]]:
    """Web syncs since the server started (latest per source): state running|ok|failed|busy,
    progress (label, done, total, percent), results."""
    return service.jobs(dash)


@router.get("/api/sources/{source}/history", tags=["connect"], response_model=None)
def history_json(who: Who, dash: Dash, lang: Lang, source: str, limit: int = 50) -> Any:
    """Sync runs of a source, newest first: mode, trigger, status, rows per table, error."""
    try:
        return service.history(dash, source, limit)
    except ERRORS as exc:
        return _error(exc, lang)


@router.post("/api/sources/{source}/connect", tags=["connect"], response_model=None)
def connect_json(
    request: Request,
    who: Admin,
    dash: Dash,
    lang: Lang,
    source: str,
    settings: Annotated[dict[str, Any], Body()],
    check: bool = True,
) -> Any:
    """Store a source's settings (admin; secrets encrypted at rest, never returned); with
    `check`, one request to the source first so bad credentials fail here."""
    try:
        result = service.connect(dash, source, settings, check=check)
    except ERRORS as exc:
        return _error(exc, lang)
    _audit(request, who, "source.connect", source, result["settings"])
    return result


@router.post("/api/sources/{source}/disconnect", tags=["connect"], response_model=None)
def disconnect_json(request: Request, who: Admin, dash: Dash, lang: Lang, source: str) -> Any:
    """Forget a source's credentials and sync state (admin); its data stays."""
    try:
        result = service.disconnect(dash, source)
    except ERRORS as exc:
        return _error(exc, lang)
    _audit(request, who, "source.disconnect", source, result)
    return result


@router.post("/api/sources/{source}/sync", tags=["connect"], response_model=None)
def sync_json(
    request: Request,
    who: Editor,
    dash: Dash,
    lang: Lang,
    source: str,
    full: bool = False,
    wait: bool = False,
) -> Any:
    """Start a sync (editor) in the background and return its job (poll /api/sources/status);
    with `wait`, return when it has ended with its results (status ok|failed|busy)."""
    try:
        if wait:
            job = service.sync_now(dash, source, full, who.user.username)
        else:
            job = service.start_sync(dash, source, full, who.user.username)
    except ERRORS as exc:
        return _error(exc, lang)
    data = job.to_dict()
    _audit(request, who, "source.sync", source, {"mode": data["mode"]})
    return JSONResponse(data, status_code=200 if wait else 202)


# ---------------------------------------------------------------------- import
def _import_page(request: Request, dash: Dashboard, status: int = 200, **extra: Any) -> Response:
    context = {
        "data": service.import_page(dash),
        "table_names": table_names(translator(current_language(request))),
        "suggestion": None,
        "summary": None,
        "error": "",
        "table": "",
        **extra,
    }
    return render(request, "import.html", context, status, partial="_import.html")


@router.get("/import", include_in_schema=False)
def import_page(request: Request, who: Editor, dash: Dash, table: str = "leads") -> Response:
    return _import_page(request, dash, table=table)


@router.post("/import/upload", include_in_schema=False)
async def upload_form(request: Request, who: Editor, dash: Dash) -> Response:
    form = await _form(request)
    table = str(form.get("table", ""))
    upload = form.get("file")
    try:
        if not isinstance(upload, StarletteUpload):
            raise service.ConnectError("w_choose_file")
        token = service.store_upload(dash, upload.filename or "", await upload.read())
        suggestion = service.suggest(dash, table, token)
    except ERRORS as exc:
        error = _said(exc, current_language(request))
        return _import_page(request, dash, 400, error=error, table=table)
    return _import_page(request, dash, suggestion=suggestion, table=table)


@router.post("/import/run", include_in_schema=False)
async def run_form(request: Request, who: Editor, dash: Dash, _: Gettext) -> Response:
    form = {k: str(v) for k, v in (await _form(request)).items()}
    table, upload = form.get("table", ""), form.get("upload", "")
    dry_run = form.get("action") != "import"
    suggestion = None
    try:
        suggestion = service.suggest(dash, table, upload)
        mapping = service.edited_mapping(suggestion, form)
        for row in suggestion["headers"]:
            row["column"] = mapping["columns"].get(row["header"])
        saved = None
        if form.get("save") == "1":
            saved = service.save_mapping(
                dash, mapping, form.get("save_name", ""), who.user.username
            )
            _audit(request, who, "import.mapping.save", saved["name"], mapping)
        path = service.upload_path(dash, upload)
        summary = service.run_import(dash, table, path, mapping, dry_run, who.user.username)
    except ERRORS as exc:
        error = _said(exc, current_language(request))
        return _import_page(request, dash, 400, error=error, table=table, suggestion=suggestion)
    if not dry_run:
        _audit(request, who, "import.run", f"{table} ← {summary['file']}", _counts(summary))
        service.drop_upload(dash, upload)
        suggestion = None
    return _import_page(
        request, dash, suggestion=suggestion, summary=summary, table=table, saved=saved
    )


def _counts(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("run_id", "rows_read", "inserted", "updated", "unchanged", "quarantined")
    return {k: summary.get(k) for k in keys}


@router.get("/import/runs/{run_id}/quarantine.csv", include_in_schema=False)
def quarantine_download(who: Editor, dash: Dash, lang: Lang, run_id: int) -> Response:
    """The quarantine report of a run: row, column, value, reason (UTF-8 with BOM for Excel;
    the header in the user's language)."""
    return Response(
        service.quarantine_csv(dash, run_id, lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="quarantine-{run_id}.csv"'},
    )


@router.get("/api/import", tags=["connect"])
def import_json(who: Editor, dash: Dash) -> dict[str, Any]:
    """Importable tables, recent imports (counts, status) and saved mappings (editor)."""
    return service.import_page(dash)


@router.get("/api/import/runs/{run_id}/quarantine", tags=["connect"])
def quarantine_json(who: Editor, dash: Dash, run_id: int) -> list[dict[str, Any]]:
    """The quarantine report of an import run: row, column, value, reason."""
    return service.quarantine(dash, run_id)


@router.post("/api/import/{table}/suggest", tags=["connect"], response_model=None)
async def suggest_json(
    who: Editor, dash: Dash, table: str, file: Annotated[UploadFile, File()]
) -> Any:
    """The column mapping Kaname suggests for a file (English and Japanese headers), or the
    saved one for the same headers: headers with column, confidence and samples; yaml."""
    try:
        token = service.store_upload(dash, file.filename or "", await file.read())
        try:
            return service.suggest(dash, table, token)
        finally:
            service.drop_upload(dash, token)
    except ERRORS as exc:
        return _error(exc)


@router.post("/api/import/{table}", tags=["connect"], response_model=None)
async def import_file_json(
    request: Request,
    who: Editor,
    dash: Dash,
    table: str,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
    mapping: Annotated[str, Form(description="mapping as JSON or YAML; default: suggested")] = "",
    save_mapping: Annotated[str, Form(description="save the mapping under this name")] = "",
) -> Any:
    """Import a CSV/XLSX file into a canonical table (editor): rows read = inserted + updated +
    unchanged + quarantined; `issues` is the quarantine report (row, column, value, reason)."""
    token = ""
    try:
        token = service.store_upload(dash, file.filename or "", await file.read())
        chosen = _parse_mapping(mapping) if mapping.strip() else None
        if save_mapping.strip():
            base = chosen or service.suggest(dash, table, token)["mapping"]
            saved = service.save_mapping(dash, base, save_mapping.strip(), who.user.username)
            _audit(request, who, "import.mapping.save", saved["name"], base)
        path = service.upload_path(dash, token)
        summary = service.run_import(dash, table, path, chosen, dry_run, who.user.username)
    except ERRORS as exc:
        return _error(exc)
    finally:
        if token:
            service.drop_upload(dash, token)
    if not dry_run:
        _audit(request, who, "import.run", f"{table} ← {summary['file']}", _counts(summary))
    return summary


def _parse_mapping(text: str) -> dict[str, Any]:
    import yaml

    from kaname.yamlmodel import safe_load

    try:
        found = safe_load(text)
    except yaml.YAMLError as exc:
        raise service.ConnectError("w_mapping_yaml", error=str(exc)) from None
    if not isinstance(found, dict):
        raise service.ConnectError("w_mapping_shape")
    return found


# ---------------------------------------------------------------------- quality
def _quality_page(
    request: Request, dash: Dashboard, lang: str, _: Translator, status: int = 200, **extra: Any
) -> Response:
    data = service.quality(dash)
    for finding in data["findings"]:
        finding["merge"] = service.merge_choices(finding)
    return render(
        request,
        "quality.html",
        {
            "data": data,
            "severities": severity_names(_),
            "table_names": table_names(_),
            "finding_titles": {key: finding_title(key, lang) for key in MERGE_REASONS},
            "code_spans": code_spans,
            "cell": example_cell,
            "error": "",
            "merged": None,
            **extra,
        },
        status,
        partial="_quality.html",
    )


@router.get("/quality", include_in_schema=False)
def quality_page(request: Request, who: Who, dash: Dash, lang: Lang, _: Gettext) -> Response:
    return _quality_page(request, dash, lang, _)


@router.post("/quality/merge", include_in_schema=False)
async def merge_form(request: Request, who: Editor, dash: Dash, lang: Lang, _: Gettext) -> Response:
    form = {k: str(v) for k, v in (await _form(request)).items()}
    others = form.get("others", "").replace("、", ",").split(",")
    try:
        result = service.merge(
            dash,
            form.get("table", ""),
            form.get("keep", ""),
            others,
            form.get("reason", ""),
            who.user.username,
        )
    except ERRORS as exc:
        return _quality_page(request, dash, lang, _, 400, error=_said(exc, lang))
    _audit(request, who, "quality.merge", f"{result['table']}:{result['kept']}", result)
    return _quality_page(request, dash, lang, _, merged=result)


@router.get("/api/quality", tags=["connect"])
def quality_json(who: Who, dash: Dash, stale_days: int = 7) -> dict[str, Any]:
    """Data-quality findings, most severe first: id, severity, table, count, title and fix (ja,
    en), examples; and the latest logged merges."""
    return service.quality(dash, stale_days)


@router.post("/api/quality/merge", tags=["connect"], response_model=None)
def merge_json(
    request: Request,
    who: Editor,
    dash: Dash,
    table: Annotated[str, Body()],
    keep: Annotated[str, Body()],
    others: Annotated[list[str], Body()],
    reason: Annotated[str, Body()] = "",
) -> Any:
    """Merge duplicate leads or accounts into `keep` (editor): empty fields filled from the
    others, references re-pointed, the others deleted; logged and audited."""
    try:
        result = service.merge(dash, table, keep, others, reason, who.user.username)
    except ERRORS as exc:
        return _error(exc)
    _audit(request, who, "quality.merge", f"{result['table']}:{result['kept']}", result)
    return result
