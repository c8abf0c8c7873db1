"""Drill-down: /records lists the records behind a number (a KPI card, a channel cell, a funnel
stage) with the page's period and filters; /api/records is its JSON twin. The list is
paginated and sortable and downloads as CSV/xlsx through /export/records.csv|.xlsx."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kaname.dashboard import Dashboard, FilterError, Filters
from kaname.dashboard.records import PAGE_SIZES, Ask, RecordsError, records
from kaname.spreadsheet import Table
from kaname.web.deps import dashboard, filters, gettext, language, viewer
from kaname.web.drill import coded_values, column_names, measure_name, role_names
from kaname.web.i18n import BABEL_LOCALE, Translator
from kaname.web.render import channel_label, dimension_label, render, segment_label, value_label
from kaname.web.security import Caller

router = APIRouter()

Who = Annotated[Caller, Depends(viewer)]
Dash = Annotated[Dashboard, Depends(dashboard)]
Flt = Annotated[Filters, Depends(filters)]
Lang = Annotated[str, Depends(language)]
Gettext = Annotated[Translator, Depends(gettext)]

LIST_PARAMS = ("kpi", "measure", "sort", "order", "page", "size", "back")
"""The list's own parameters (beside the page filters)."""


def ask_of(params: Mapping[str, str], _: Translator) -> Ask:
    """The list asked for by a URL's query (kpi or measure, sort, order, page, size)."""

    def whole(name: str, default: int) -> int:
        raw = (params.get(name) or "").strip()
        if not raw:
            return default
        if not raw.isdigit() or len(raw) > 9:
            raise FilterError(_("The page number and the rows per page must be whole numbers."))
        return int(raw)

    return Ask(
        kpi=(params.get("kpi") or "").strip(),
        measure=(params.get("measure") or "").strip(),
        sort=(params.get("sort") or "").strip(),
        order="asc" if params.get("order") == "asc" else "desc",
        page=whole("page", 1),
        size=whole("size", 50),
    )


def load(dash: Dashboard, ask: Ask, f: Filters, lang: str, _: Translator) -> dict[str, Any]:
    """The list's data; what cannot be listed becomes a message in the reader's language."""
    try:
        return records(dash, ask, f, lang)
    except RecordsError as exc:
        raise FilterError(explain(exc, dash, lang, _)) from exc


def explain(exc: RecordsError, dash: Dashboard, lang: str, _: Translator) -> str:
    catalog = dash.ws.catalog
    if exc.reason == "unknown_kpi":
        return _("There is no KPI {kpi}.", kpi=exc.name)
    if exc.reason == "not_records":
        return _(
            "{kpi} is not a count or sum of records that can be listed (a score, or a formula "
            "over several ratios), so it has no drill-down.",
            kpi=catalog.get(exc.name).name(lang),
        )
    if exc.reason == "filter":
        return _(
            "These records cannot be filtered by {dimension}: remove that filter to list them.",
            dimension=dimension_label(exc.name, _),
        )
    return _("Choose a number on a dashboard page to see the records behind it.")


def safe_back(raw: str) -> str:
    """The page the list came from: a path on this site only (never //host or a scheme)."""
    raw = (raw or "").strip()
    if not raw.startswith("/") or raw.startswith(("//", "/\\")) or any(c in raw for c in "\r\n"):
        return ""
    return raw


def default_back(ask: Ask, f: Filters) -> str:
    query = f.query()
    path = f"/kpi/{ask.kpi}" if ask.kpi else "/channels"
    return f"{path}?{query}" if query else path


def cell_text(column: str, value: Any, language: str, _: Translator) -> Any:
    """A text field's value as the list shows it: channel and segment names through the
    existing naming, coded values in words, yes/no for booleans; other values unchanged."""
    if value is None or value == "":
        return value
    if column == "channel":
        return channel_label(str(value), language)
    if column == "segment":
        return segment_label(str(value), _)
    if column == "is_won":
        return _("Yes") if value else _("No")
    return coded_values(_).get(column, {}).get(str(value), value)


def cell_display(kind: str, column: str, value: Any, lang: str, ws: Any, _: Translator) -> str:
    """A field as the page shows it: times as the warehouse holds them (local business time, the
    time that places the record in a period), money in 円/万円, names for codes."""
    from kaname.web import display

    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "datetime":  # local business time already (docs/data-model.md): no zone shift
        moment = dt.datetime.fromisoformat(str(value))
        pattern = "yyyy/MM/dd HH:mm" if lang == "ja" else "MMM d, yyyy HH:mm"
        return format_datetime(moment, pattern, locale=BABEL_LOCALE.get(lang, "en_US"))
    if kind == "date":
        return display.when(str(value)[:10], lang)
    if kind == "money":
        return display.format_value(value, "currency", ws.config.currency, lang)
    if kind == "int":
        return display.number(value)
    return str(cell_text(column, value, lang, _))


def cell_export(kind: str, column: str, value: Any, lang: str, ws: Any, _: Translator) -> Any:
    """A field as a spreadsheet cell: numbers stay numbers, times as ISO text (local business
    time, as the warehouse holds them)."""
    if value is None or value == "":
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M:%S")
    if kind == "date":
        return str(value)[:10]
    if kind in ("money", "int"):
        return value
    return cell_text(column, value, lang, _)


def view_model(data: dict[str, Any], lang: str, ws: Any, _: Translator) -> dict[str, Any]:
    """Headers, rows and measure names of the data, in the reader's language."""
    names = column_names(_)
    roles = role_names(_)
    value_unit = "currency" if data["unit"] == "currency" else data["unit"]
    headers = [
        {"key": c["key"], "label": names.get(c["key"], c["key"]), "kind": c["kind"]}
        for c in data["columns"]
    ]
    rows = []
    for r in data["rows"]:
        rows.append(
            {
                "cells": [
                    {
                        "key": c["key"],
                        "kind": c["kind"],
                        "text": cell_display(
                            c["kind"], c["key"], r["cells"][c["key"]], lang, ws, _
                        ),
                        "link": r["links"].get(c["key"]),
                    }
                    for c in data["columns"]
                ],
                "value": r["value"],
            }
        )
    measures = [
        {
            **m,
            "name": measure_name(m["measure"], ws.catalog, lang, _),
            "role_name": roles.get(m["role"], ""),
        }
        for m in data["measures"]
    ]
    return {
        "headers": headers,
        "rows": rows,
        "measures": measures,
        "measure_name": measure_name(data["measure"], ws.catalog, lang, _),
        "value_unit": value_unit,
    }


def filter_words(f: Filters, lang: str, _: Translator) -> list[str]:
    """The filters in words: チャネル: ウェビナー …"""
    return [f"{dimension_label(d, _)}: {value_label(d, v, lang)}" for d, v in f.pairs()]


@router.get("/records", include_in_schema=False)
def records_page(
    request: Request, who: Who, dash: Dash, f: Flt, lang: Lang, _: Gettext
) -> Response:
    ask = ask_of(request.query_params, _)
    if not ask.kpi and not ask.measure:  # nothing chosen yet: say where the lists start
        return render(request, "records.html", {"data": None, "filters_obj": f})
    data = load(dash, ask, f, lang, _)
    ws = request.app.state.ws
    params = {k: v for k, v in request.query_params.items() if k in LIST_PARAMS and v}
    back = safe_back(params.get("back", "")) or default_back(ask, f)
    params["back"] = back

    def link(**changes: Any) -> str:
        """This list's address with list parameters changed (the filters kept)."""
        kept = {k: v for k, v in params.items() if k not in changes}
        kept.update({k: str(v) for k, v in changes.items() if v not in ("", None)})
        query = "&".join(p for p in (f.query(), urlencode(kept)) if p)
        return f"/records?{query}"

    context = {
        "data": data,
        "vm": view_model(data, lang, ws, _),
        "filters_obj": f,
        "options": dash.options(),
        "user_options": dash.user_options(),
        "back": back,
        "link": link,
        "filter_words": filter_words(f, lang, _),
        "page_sizes": PAGE_SIZES,
        "extra_params": [
            (k, v)
            for k, v in params.items()
            if k in ("kpi", "measure", "back", "sort", "order", "size")
        ],
    }
    key = (request.url.path, str(request.url.query))
    return render(request, "records.html", context, partial="_records.html", cache_key=key)


@router.get("/api/records", tags=["pages"])
def records_json(
    request: Request, who: Who, dash: Dash, f: Flt, lang: Lang, _: Gettext
) -> Response:
    """The records behind a number: `kpi=` (a ratio's numerator or denominator with `measure=`)
    or `measure=` alone, with the page's filters (period, grain, channel, campaign, segment,
    view, d_<name>); `sort=` a field, `order=` asc|desc, `page=`, `size=` (25, 50, 100, 200).
    `measures` gives each measure's engine value with the count and total of its records."""
    ask = ask_of(request.query_params, _)
    data = load(dash, ask, f, lang, _)
    body = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    return Response(body, media_type="application/json")


EXPORT_KINDS = {"money": "money", "int": "int"}
"""Spreadsheet kinds of the list's fields (the rest are text: names, times, words)."""


def records_table(dash: Dashboard, query: Mapping[str, str], lang: str, _: Translator) -> Table:
    """The whole list (every page, in its order) as a downloadable table: the fields in the
    reader's language, and the amount each record adds when the number is a sum."""
    from kaname.dashboard.records import all_rows

    ws = dash.ws
    ask = ask_of(query, _)
    f = Filters.parse(query)
    try:
        data = all_rows(dash, ask, f)
    except RecordsError as exc:
        raise FilterError(explain(exc, dash, lang, _)) from exc
    names = column_names(_)
    columns = data["columns"]
    headers = [names.get(c["key"], c["key"]) for c in columns]
    kinds = [EXPORT_KINDS.get(c["kind"], "text") for c in columns]
    rows = [
        [cell_export(c["kind"], c["key"], r["cells"][c["key"]], lang, ws, _) for c in columns]
        for r in data["rows"]
    ]
    title = measure_name(data["measure"], ws.catalog, lang, _)
    return Table("records", title, headers, kinds, rows)
