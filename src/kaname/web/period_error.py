"""A period or filter in the URL that cannot be read, shown inside the page frame."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from kaname.dashboard.filters import FilterError, Filters
from kaname.metrics.calendar import PeriodError
from kaname.web.i18n import translator
from kaname.web.picker import PICKER_FIELDS
from kaname.web.render import render


def filter_error_page(request: Request, exc: Exception) -> HTMLResponse:
    """The page frame with why the period (or another filter) in the URL cannot be read, in the
    user's language, and the filter bar holding what was typed, to correct it. HTMX requests get
    200 so that the page part is swapped in; others 400."""
    _ = translator(request.state.language)
    params = request.query_params
    typed = (params.get("period") or "").strip()
    if isinstance(exc, FilterError) and not exc.field:
        # raised with its own message in the user's language (e.g. an unknown download)
        filters = Filters(period=typed)
        message = str(exc)
    elif isinstance(exc, FilterError):
        filters = Filters(period=typed)
        field = exc.field
        message = _(
            "The address has a {name} this page cannot read: {value}. Choose one in the filter "
            "bar.",
            name=_(FIELD_NAMES.get(field, "filter")),
            value=params.get(field, ""),
        )
    else:
        ws = request.app.state.ws
        try:
            filters = Filters.parse(params, lambda text, grain: ws.period(text or None, grain))
        except FilterError:
            filters = Filters(period=typed)
        message = _("The period “{period}” cannot be read.", period=filters.period or typed)
    context = {
        "filters_obj": filters,
        "message": message,
        "forms": _(PERIOD_FORMS_TEXT),
        "is_period": isinstance(exc, PeriodError),
        "show_form": request.method == "GET",
        "kept": [(k, v) for k, v in params.multi_items() if k not in PICKER_FIELDS and v],
    }
    status = 200 if request.headers.get("HX-Request") else 400
    return render(request, "period_error.html", context, status, partial="_period_error.html")


FIELD_NAMES = {"grain": "grain", "view": "view", "compare": "comparison", "filter": "filter"}
PERIOD_FORMS_TEXT = (
    "Write a period like Nov 2026, 2026-11, FY2026 Q2, FY2026 H1, FY2026, FY2026 week 14, "
    "2026-11-03 or a range 2026-10-01..2026-11-15; or this month, last month, this quarter, last "
    "quarter, this fiscal year, last fiscal year, last 30 days."
)
