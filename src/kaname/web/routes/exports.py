"""Table downloads: /export/{page}.csv and .xlsx with the page's own filters (issue 16).

`table=` picks one table of the page (the CSV is one table: the page's first without it);
the xlsx holds every table of the page, a sheet each, unless `table=` names one."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kaname.dashboard import Dashboard, FilterError
from kaname.spreadsheet import money_format, table_csv, tables_xlsx
from kaname.store.web_models import DEPARTMENTS
from kaname.web.deps import dashboard, gettext, language, viewer
from kaname.web.i18n import Translator
from kaname.web.routes import export_tables as exports
from kaname.web.security import Caller

router = APIRouter()

Who = Annotated[Caller, Depends(viewer)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(
    request: Request,
    dash: Dash,
    lang: str,
    _: Translator,
    name: str,
    fmt: str,
    build: exports.Builder,
) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise FilterError(_("Downloads are .csv or .xlsx files."))
    req = exports.Request(
        dash, request.query_params, request.query_params.getlist("model"), lang, _
    )
    tables = build(req)
    wanted = request.query_params.get("table") or ""
    if wanted:
        tables = [t for t in tables if t.key == wanted]
        if not tables:
            raise FilterError(_("This page has no table {table}.", table=wanted))
    period = request.query_params.get("period") or ""
    filename = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(p for p in (name, wanted, period) if p))
    if fmt == "csv":
        body, media = table_csv(tables[0]), "text/csv; charset=utf-8"
    else:
        money = money_format(request.app.state.ws.config.currency, lang)
        body, media = tables_xlsx(tables, money), XLSX
    disposition = f'attachment; filename="{filename}.{fmt}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/export/department/{name}.{fmt}", tags=["exports"])
def department_export(
    request: Request, name: str, fmt: str, who: Who, dash: Dash, lang: Lang, _: Gettext
) -> Response:
    """A department's KPI cards as CSV or xlsx, with the page's filters."""
    if name not in DEPARTMENTS or name == "executive":
        raise FilterError(_("There is no department {name}.", name=name))
    return _download(request, dash, lang, _, name, fmt, exports.department(name))


@router.get("/export/{page}.{fmt}", tags=["exports"])
def page_export(
    request: Request, page: str, fmt: str, who: Who, dash: Dash, lang: Lang, _: Gettext
) -> Response:
    """A page's tables (executive, channels, funnel, tree, attribution, cohorts, customers)
    as CSV (UTF-8 with BOM) or xlsx: the page's filters and parameters, headers in the
    user's language, values as numbers, formula-like text neutralised."""
    build = exports.PAGES.get(page)
    if build is None:
        raise FilterError(_("There is no table download for {page}.", page=page))
    return _download(request, dash, lang, _, page, fmt, build)
