"""Templates: one Jinja environment, a context every page shares, HTMX partial rendering."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from kaname.canonical.labels import column_label
from kaname.dashboard import Filters
from kaname.design.lint import finding_text
from kaname.metrics.calendar import Grain, period_label
from kaname.web import charts, display
from kaname.web.drill import measure_name, records_link
from kaname.web.i18n import translator
from kaname.web.notes import explain, table_names
from kaname.web.picker import PICKER_FIELDS, period_picker

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship inside the package; no stat() per request
)


STATUS_CLASS = {
    "on_track": "ok",
    "at_risk": "warn",
    "off_track": "bad",
    "no_target": "none",
    "no_data": "none",
}


def status_label(status: str | None, _: Any, ended: bool | None = None) -> str:
    """A status in words. Off track is a projection while the period runs (未達見込み, "projected
    to miss") and a fact once it has ended (未達, "missed"); `ended` None: not known."""
    if status == "off_track" and ended is not None:
        return _("Missed") if ended else _("Projected to miss")
    return {
        "on_track": _("On track"),
        "at_risk": _("At risk"),
        "off_track": _("Off track"),
        "no_target": _("No target"),
        "no_data": _("No data"),
    }.get(status or "no_data", status or "")


def period_ended(ws: Any, label: str | None) -> bool | None:
    """Whether the period named `label` has ended by the workspace clock's today (its last day
    reached, as pacing counts it: the status is then final); None when it names no period."""
    if not label:
        return None
    from kaname.metrics.calendar import PeriodError

    try:
        period = ws.period(str(label))
    except (PeriodError, ValueError):
        return None
    return bool(period.last_day <= ws.today())


def dimension_label(dim: str, _: Any) -> str:
    return {
        "channel": _("Channel"),
        "campaign": _("Campaign"),
        "segment": _("Segment"),
        "owner": _("Owner"),
        "stage": _("Stage"),
        "product": _("Product"),
        "region": _("Region"),
        "industry": _("Industry"),
        "department": _("Department"),
    }.get(dim, dim)


def department_label(dept: str, _: Any) -> str:
    return {
        "executive": _("Executive"),
        "marketing": _("Marketing"),
        "inside_sales": _("Inside sales"),
        "sales": _("Sales"),
        "customer_success": _("Customer success"),
    }.get(dept, dept)


def role_label(role: str, _: Any) -> str:
    return {"viewer": _("Viewer"), "editor": _("Editor"), "admin": _("Admin")}.get(role, role)


def channel_label(channel: str, language: str) -> str:
    from kaname.canonical.channels import channel as lookup
    from kaname.metrics.engine import NONE_LABEL

    if channel == NONE_LABEL:  # leads whose source named no channel
        return translator(language)("Not set")
    try:
        found = lookup(channel)
    except KeyError:
        return channel
    return found.name_ja if language == "ja" else found.name_en


def segment_label(segment: str, _: Any) -> str:
    from kaname.metrics.engine import NONE_LABEL

    return {
        "enterprise": _("Enterprise"),
        "mid_market": _("Mid-market"),
        "smb": _("Small business"),
        NONE_LABEL: _("(not set)"),
    }.get(segment, segment)


def severity_label(severity: str, _: Any) -> str:
    return {
        "info": _("Info"),
        "warning": _("Warning"),
        "critical": _("Critical"),
        "error": _("Error"),
    }.get(severity, severity)


def value_label(
    dim: str, value: Any, language: str, campaigns: dict[str, str] | None = None
) -> str:
    """A dimension's value as people name it: a channel's or segment's name, never its id;
    a campaign's name from the campaigns table (`campaigns`: id → name; its id when it has
    none); "(not set)" for rows without one. Owners are names from the data."""
    from kaname.metrics.engine import NONE_LABEL

    text = "" if value is None else str(value)
    _ = translator(language)
    if dim == "campaign" and campaigns and text in campaigns:
        return campaigns[text]
    if dim == "channel":
        return channel_label(text, language)
    if dim == "segment":
        return segment_label(text, _)
    if dim == "department":
        return department_label(text, _)
    return _("(not set)") if text == NONE_LABEL else text


def audit_action_label(action: str, _: Any) -> str:
    """What an audit entry did, in words (the log keeps ids such as session.login)."""
    return {
        "session.login": _("Signed in"),
        "session.logout": _("Signed out"),
        "user.create": _("User created"),
        "user.update": _("User changed"),
        "user.password": _("Password changed"),
        "token.create": _("API token created"),
        "token.revoke": _("API token revoked"),
        "settings.update": _("Settings changed"),
        "action.create": _("Action recorded"),
        "action.update": _("Action changed"),
        "action.decide": _("Action decided"),
        "alert.acknowledge": _("Alert acknowledged"),
        "alert.resolve": _("Alert resolved"),
        "alerts.check": _("Alerts checked"),
        "alerts.rules": _("Alert rules changed"),
        "review.decide": _("KPI review decided"),
        "plan.save": _("Plan saved"),
        "target.update": _("Target changed"),
        "board.create": _("Board made"),
        "board.update": _("Board changed"),
        "board.reorder": _("Board tiles reordered"),
        "board.delete": _("Board deleted"),
        "import.run": _("File imported"),
        "import.mapping.save": _("Import mapping saved"),
        "quality.merge": _("Duplicates merged"),
        "source.connect": _("Source connected"),
        "source.disconnect": _("Source disconnected"),
        "source.sync": _("Source synced"),
    }.get(action, action)


def audit_target_label(
    target: str, _: Any, kpi_name: Callable[[str], str] = lambda kpi: kpi
) -> str:
    """An audit entry's target in words: "action:3" reads 改善アクション 3 in Japanese, and a
    plan's KPI ("plan:demo-fy2026:deals", a review decision) reads by the KPI's name."""
    kind, _sep, rest = target.partition(":")
    names = {"action": _("Action"), "alert": _("Alert"), "plan": _("Plan"), "board": _("Board")}
    names |= table_names(_)  # a merge's target: リード WEBT-1
    if rest and kind == "plan":
        plan, _sep, kpi = rest.partition(":")
        return f"{names[kind]} {plan}" + (f" · {kpi_name(kpi)}" if kpi else "")
    if rest and kind in names:
        return f"{names[kind]} {rest.replace(':', ' · ')}"
    if target == "alerts":
        return _("Alerts")
    if found := re.fullmatch(r"(.+) v(\d+)", target):  # a plan save: "demo-fy2026 v2"
        return _("{plan} version {version}", plan=found[1], version=found[2])
    table, arrow, rest = target.partition(" ← ")  # an import's target: "leads ← file.csv"
    return f"{names.get(table, table)}{arrow}{rest}"


def actor_label(actor: str, _: Any) -> str:
    return _("System") if actor == "system" else actor


def rule_label(rule: str, _: Any) -> str:
    """A lint rule by what it checks (the plan check keeps ids such as SMART-A)."""
    return {
        "SMART-S": _("SMART: specific"),
        "SMART-M": _("SMART: measurable"),
        "SMART-A": _("SMART: achievable"),
        "SMART-R": _("SMART: relevant"),
        "SMART-T": _("SMART: time-bound"),
        "LTV-CAC": "LTV:CAC",
        "balance-lead-lag": _("Leading and lagging balance"),
        "balance-quantity-quality": _("Quantity and quality balance"),
        "count-department": _("Department KPI count"),
        "count-organisation": _("Company KPI count"),
        "owner": _("Owner"),
    }.get(rule, rule)


# Where a Japanese heading may break: between a katakana word and a kanji word (マーケティング|
# 投資利益率, リード|獲得数) and before an opening bracket (リード獲得単価|（CPA）).
_WORD_EDGE = re.compile(
    r"(?<=[\u30a0-\u30ff])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[\u30a0-\u30ff])"
    r"|(?<=.)(?=（)"
)


@functools.lru_cache(maxsize=1024)
def word_breaks(text: str) -> Markup:
    """`text` with <wbr> where a Japanese heading may break; with `word-break: keep-all` in the
    CSS it breaks only there, never inside a word (issue 16 §6: 獲 / 得数)."""
    return Markup("<wbr>").join(_WORD_EDGE.split(text))  # join escapes each part


_FORMULA_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FORMULA_OPS = str.maketrans({"*": "×", "/": "÷"})


def formula_named(formula: str, name: Callable[[str], str]) -> str:
    """A KPI's formula as people read it: mqls / leads → MQL数 ÷ リード獲得数."""
    named = _FORMULA_ID.sub(lambda m: f"\x00{name(m[0])}\x00", formula)
    parts = named.split("\x00")  # names at odd positions keep their own * and /
    return "".join(p if i % 2 else p.translate(_FORMULA_OPS) for i, p in enumerate(parts))


def plain(value: float | None) -> str:
    """A number for an input field: no exponent, no trailing .0, at most 6 decimals."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def stage_names(ws: Any, language: str) -> dict[str, str]:
    from kaname.design.funnel import STANDARD_STAGES

    return {s: ws.catalog.get(s).name(language) for s in STANDARD_STAGES if s in ws.catalog}


def page_period(context: dict[str, Any]) -> str | None:
    """The period a page shows (its data's `period` label), which its statuses are about."""
    data = context.get("data")
    found = data.get("period") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    partial: str | None = None,
    cache_key: tuple[Any, ...] | None = None,
) -> HTMLResponse:
    """Render a page, or only its `_partial` when HTMX asks for it.

    With `cache_key`, the partial (the page body, which holds nothing about the user) is cached
    with the page data and only the frame around it is rendered per request."""
    state = request.state
    language = getattr(state, "language", "ja")
    _ = translator(language)
    ws = request.app.state.ws
    caller = getattr(state, "caller", None)
    filters = context.get("filters_obj") or Filters()
    ended = functools.lru_cache(maxsize=8)(lambda label: period_ended(ws, label))

    @functools.cache
    def campaigns() -> dict[str, str]:
        if getattr(state, "caller", None) is None:
            return {}
        from kaname.dashboard.names import campaign_names

        return campaign_names(request.app.state.dashboard)

    base = {
        "request": request,
        "_": _,
        "lang": language,
        "user": caller.user if caller else None,
        "csrf": caller.csrf if caller else getattr(state, "login_csrf", ""),
        "currency": ws.config.currency,
        "company": ws.config.name,
        "fy_start": ws.config.fiscal_year_start_month,
        "fmt": lambda v, unit: display.format_value(v, unit, ws.config.currency, language),
        "pct": display.format_percent,
        "plain": plain,
        "word_breaks": word_breaks,
        "period_from_start": lambda start, grain: display.period_name(
            period_label(
                dt.date.fromisoformat(str(start)[:10]), grain, ws.config.fiscal_year_start_month
            ),
            language,
            ws.config.fiscal_year_start_month,
        ),
        "formula_named": lambda formula: formula_named(
            formula, lambda m: measure_name(m, ws.catalog, language, _)
        ),
        "stage_names": stage_names(ws, language),
        "note": lambda text: explain(
            text,
            _,
            kpi_namer(ws, language),
            lambda label: display.period_name(label, language, ws.config.fiscal_year_start_month),
        ),
        "num": display.number,
        "when": lambda v: display.when(v, language, ws.config.timezone),
        "period_name": lambda label: display.period_name(
            label, language, ws.config.fiscal_year_start_month
        ),
        "status_label": lambda s, period=None: status_label(
            s, _, ended(period or page_period(context))
        ),
        "status_class": lambda s: STATUS_CLASS.get(s or "no_data", "none"),
        "dimension_label": lambda d: dimension_label(d, _),
        "department_label": lambda d: department_label(d, _),
        "role_label": lambda r: role_label(r, _),
        "channel_label": lambda c: channel_label(c, language),
        "segment_label": lambda s: segment_label(s, _),
        "severity_label": lambda s: severity_label(s, _),
        "value_label": lambda d, v: value_label(d, v, language, campaigns()),
        "audit_action_label": lambda a: audit_action_label(a, _),
        "rule_label": lambda r: rule_label(r, _),
        "finding_text": lambda m, k: finding_text(m or "", k, kpi_namer(ws, language)),
        "table_name": lambda t: table_names(_).get(t, t),
        "column_label": lambda t, c: column_label(t, c, language),
        "audit_target_label": lambda t: audit_target_label(t, _, kpi_namer(ws, language)),
        "kpi_name": kpi_namer(ws, language),
        "actor_label": lambda a: actor_label(a, _),
        "grain_name": lambda g: charts.grain_name(g, _),
        "chart_words": lambda: charts.chart_words(_),
        "grains": [
            g.value for g in (Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.HALF, Grain.YEAR)
        ],
        "filters": filters,
        "picker": lambda: period_picker(ws, filters, language, _),
        "path": request.url.path,
        # `using`: the filters the number was computed with when they are not the page's (a
        # board tile with its own period, or the board's saved filters).
        "records_url": lambda kpi="", measure="", using=None, **changes: records_link(
            ws.catalog, using or filters, _here(request, filters), kpi, measure, **changes
        ),
    }
    if caller is not None:
        dash = request.app.state.dashboard
        base["warehouse_empty"] = dash.warehouse_empty()
    base.update(context)
    if partial and cache_key is not None:
        dash = request.app.state.dashboard
        content = dash.cached(
            ("html", partial, language, *cache_key),
            lambda: env.get_template(partial).render(base),
        )
        if request.headers.get("HX-Request"):
            return _clean_url(request, filters, HTMLResponse(content, status_code=status_code))
        base["content_html"] = Markup(content)
    name = partial if (partial and request.headers.get("HX-Request")) else template
    html = env.get_template(name).render(base)
    return _clean_url(request, filters, HTMLResponse(html, status_code=status_code))


def _here(request: Request, filters: Filters) -> str:
    """This page's address with the filters it shows (not the period picker's fields), for a
    link that leads back to it."""
    kept = {k: v for k, v in request.query_params.items() if k not in PICKER_FIELDS}
    query = urlencode({**kept, **dict(parse_qsl(filters.query()))})
    return f"{request.url.path}?{query}" if query else request.url.path


def _clean_url(request: Request, filters: Filters, response: HTMLResponse) -> HTMLResponse:
    """After a period picker submit through HTMX, the address bar shows the chosen filters only
    (period=last_month, not the picker's fields), so the view can be shared."""
    if request.headers.get("HX-Request") and "shown" in request.query_params:
        kept = {k: v for k, v in request.query_params.items() if k not in PICKER_FIELDS}
        query = urlencode({**kept, **dict(parse_qsl(filters.query()))})
        response.headers["HX-Push-Url"] = (
            f"{request.url.path}?{query}" if query else request.url.path
        )
    return response


def kpi_namer(ws: Any, language: str) -> Callable[[str], str]:
    """A KPI or measure id → its catalog name in `language` (the id when it is not a KPI)."""
    catalog = ws.catalog
    return lambda kpi: catalog.get(kpi).name(language) if kpi in catalog else kpi
