"""The dashboard's tables as spreadsheets: each page's data (the same service call as its JSON
twin, for the same filters) turned into `Table`s with headers in the reader's language, channel
and KPI names rather than ids, and values as numbers. kaname.spreadsheet writes them as CSV
(UTF-8 with BOM) or xlsx."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kaname.analytics.service import DEFAULT_COMPARE
from kaname.dashboard import Dashboard, FilterError, Filters
from kaname.dashboard import analysis as an
from kaname.spreadsheet import Table
from kaname.web.i18n import Translator
from kaname.web.render import channel_label, period_ended, status_label
from kaname.web.routes.analysis import before_date, model_names, segment_names, stage_names

KINDS = {"currency": "money", "ratio": "ratio", "count": "int", "multiple": "multiple"}


def kind(unit: str | None) -> str:
    """The spreadsheet kind of a KPI unit (money, ratio, int, multiple; number otherwise)."""
    return KINDS.get(unit or "", "number")


@dataclass
class Request:
    """What an export needs: the page's filters and query, the reader's language."""

    dash: Dashboard
    query: Mapping[str, str]
    models: list[str]
    lang: str
    _: Translator

    @property
    def filters(self) -> Filters:
        return Filters.parse(self.query)

    def int_param(self, name: str, default: int) -> int:
        raw = self.query.get(name) or ""
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise FilterError(f"{name} must be a whole number") from exc


Builder = Callable[[Request], list[Table]]


# ---------------------------------------------------------------------- KPI cards
def _kpi_table(
    key: str, title: str, rows: list[dict[str, Any]], _: Translator, ws: Any = None
) -> Table:
    """KPI cards as rows; with the workspace `ws`, off track reads missed (未達) for a period that
    has ended and projected to miss (未達見込み) for one that runs, as on the page."""
    headers = [
        _("KPI"),
        _("Actual"),
        _("Target"),
        _("Achievement"),
        _("Projection"),
        _("Previous year"),
        _("Status"),
    ]
    out, kinds = [], []
    for r in rows:
        k = kind(r.get("unit"))
        out.append(
            [
                r["name"],
                r.get("actual"),
                r.get("target"),
                r.get("achievement"),
                r.get("projection"),
                r.get("previous_year"),
                status_label(r.get("status"), _, period_ended(ws, r.get("period")) if ws else None),
            ]
        )
        kinds.append(["text", k, k, "ratio", k, k, "text"])
    base = ["text", "number", "number", "ratio", "number", "number", "text"]
    return Table(key, title, headers, base, out, kinds)


def executive(req: Request) -> list[Table]:
    _ = req._
    data = req.dash.executive(req.filters, req.lang)
    cards = ([data["kgi"]] if data["kgi"] else []) + data["kpis"]
    tables = [_kpi_table("kpis", _("Organisation KPIs"), cards, _, req.dash.ws)]
    last = data.get("last_complete")
    if last:
        title = _("Last complete period: {period}", period=last["period"])
        tables.append(_kpi_table("last_complete", title, last["kpis"], _, req.dash.ws))
    return tables


def department(name: str) -> Builder:
    def build(req: Request) -> list[Table]:
        data = req.dash.department(name, req.filters, req.lang)
        return [_kpi_table("kpis", req._("KPIs"), data["kpis"], req._, req.dash.ws)]

    return build


# ---------------------------------------------------------------------- channels
def channels(req: Request) -> list[Table]:
    _ = req._
    model = req.query.get("model") or None
    data = req.dash.channels(req.filters, req.lang, model)
    sort = req.query.get("sort") or ""
    key = sort if sort in data["columns"] else ("attributed_revenue" if model else "revenue")
    rows = sorted(data["rows"], key=lambda r: (r.get(key) is None, -(r.get(key) or 0)))
    columns = data["columns"]
    headers = [_("Channel")] + [
        data["names"].get(c) or (_("Spend") if c == "spend" else _("Share of revenue"))
        for c in columns
    ]
    kinds = ["text"] + [kind(data["units"].get(c)) for c in columns]
    body = [[channel_label(r["channel"], req.lang)] + [r.get(c) for c in columns] for r in rows]
    return [Table("channels", _("Channels"), headers, kinds, body)]


# ---------------------------------------------------------------------- funnel
def funnel(req: Request) -> list[Table]:
    _ = req._
    data = req.dash.funnel(req.filters, req.lang)
    stages = Table(
        "stages",
        _("Funnel"),
        [
            _("Stage"),
            _("Count"),
            _("Target"),
            _("Conversion from the previous stage"),
            _("Drop-off"),
        ],
        ["text", "int", "int", "ratio", "ratio"],
        [
            [s["name"], s["value"], s["target"], s["conversion"], s["drop_off"]]
            for s in data["stages"]
        ],
    )
    times = Table(
        "lead_times",
        _("Median lead time per stage"),
        [_("From"), _("To"), _("Median days"), _("Count")],
        ["text", "text", "number", "int"],
        [[t["from_name"], t["to_name"], t["median_days"], t["n"]] for t in data["lead_times"]],
    )
    names = [s["name"] for s in data["stages"]]
    by_channel = Table(
        "by_channel",
        _("By channel"),
        [_("Channel"), *names],
        ["text"] + ["int"] * len(names),
        [
            [channel_label(c["channel"], req.lang)] + [s["value"] for s in c["stages"]]
            for c in data["by_channel"]
        ],
    )
    return [stages, times, by_channel]


# ---------------------------------------------------------------------- KPI tree
def tree(req: Request) -> list[Table]:
    _ = req._
    data = req.dash.tree(req.filters, req.lang)
    b = data.get("bottleneck") or {}
    headers = [_("Driver"), _("Planned"), _("Actual"), _("Effect on the KGI")]
    rows, kinds = [], []
    for d in b.get("drivers", []) if b.get("available") else []:
        k = kind(d.get("unit"))
        rows.append([d["name"], d["planned"], d["actual"], d["effect"]])
        kinds.append(["text", k, k, kind(b.get("kgi_unit"))])
    base = ["text", "number", "number", kind(b.get("kgi_unit"))]
    return [Table("gap", _("Where the gap comes from"), headers, base, rows, kinds)]


# ---------------------------------------------------------------------- analyse
def attribution(req: Request) -> list[Table]:
    _ = req._
    q = req.query
    data = an.attribution(
        req.dash,
        req.models or DEFAULT_COMPARE,
        q.get("level") or "lead",
        q.get("period") or "",
        q.get("conversion") or "deal",
    )
    names = model_names(_)
    rows = []
    for m in data["models"]:
        credit = data["credit"].get(m["model"], {})
        for c in data["channels"]:
            cell = credit.get(c) or {}
            rows.append(
                [
                    names.get(m["model"], m["label"]),
                    channel_label(c, req.lang),
                    cell.get("conversions"),
                    cell.get("value"),
                    cell.get("share"),
                ]
            )
    return [
        Table(
            "credit",
            _("Attribution"),
            [_("Model"), _("Channel"), _("Conversions"), _("Revenue"), _("Share")],
            ["text", "text", "number", "money", "ratio"],
            rows,
        )
    ]


def _matrix(key: str, title: str, m: dict[str, Any], sizes: dict[str, int], _: Any) -> Table:
    cols = [str(c) for c in m["cols"]]
    headers = [_("Cohort"), _("Size"), *[_("Month {n}", n=c) for c in cols]]
    rows = [[r, sizes.get(r), *z] for r, z in zip(m["rows"], m["z"], strict=False)]
    return Table(key, title, headers, ["text", "int"] + ["ratio"] * len(cols), rows)


def cohorts(req: Request) -> list[Table]:
    _ = req._
    data = an.cohorts(req.dash, req.int_param("months", 12), req.int_param("customer_months", 24))
    stages = stage_names(_)
    stage = req.query.get("stage") or "sql"
    stage = stage if stage in stages else "sql"
    lead, customer = data["lead"], data["customer"]
    return [
        _matrix(
            "lead",
            _("Lead cohorts ({stage})", stage=stages[stage]),
            lead["stages"][stage],
            lead["cohort_sizes"],
            _,
        ),
        _matrix(
            "logo",
            _("Logo retention"),
            customer["logo_retention"],
            customer["cohort_sizes"],
            _,
        ),
        _matrix(
            "revenue",
            _("Revenue retention"),
            customer["revenue_retention"],
            customer["cohort_sizes"],
            _,
        ),
    ]


def customers(req: Request) -> list[Table]:
    _ = req._
    q = req.query
    data = an.customers(
        req.dash,
        before_date(q.get("before") or ""),
        req.int_param("q", 5),
        q.get("by") or "segment",
        q.get("period") or "",
    )
    names = segment_names(_)
    by = data["by"]
    segments = Table(
        "segments",
        _("RFM segments"),
        [
            _("Segment"),
            _("Customers"),
            _("Share"),
            _("Average days since last purchase"),
            _("Average purchases"),
            _("Average spend"),
            _("Share of revenue"),
        ],
        ["text", "int", "ratio", "number", "number", "money", "ratio"],
        [
            [
                names.get(s[by], s[by]),
                s["customers"],
                s["share"],
                s["avg_recency_days"],
                s["avg_frequency"],
                s["avg_monetary"],
                s["revenue_share"],
            ]
            for s in data["segments"]
        ],
    )
    movement = Table(
        "movement",
        _("Movement since {day}", day=data["before"]),
        [_("From"), _("To"), _("Customers")],
        ["text", "text", "int"],
        [
            [names.get(m["from"], m["from"]), names.get(m["to"], m["to"]), m["customers"]]
            for m in data["movement"]
        ],
    )
    return [segments, movement]


# ---------------------------------------------------------------------- drill-down
def records(req: Request) -> list[Table]:
    """The records behind a number (/records), every page of the list in its order."""
    from kaname.web.routes.records import records_table

    return [records_table(req.dash, req.query, req.lang, req._)]


PAGES: dict[str, Builder] = {
    "executive": executive,
    "channels": channels,
    "funnel": funnel,
    "tree": tree,
    "attribution": attribution,
    "cohorts": cohorts,
    "customers": customers,
    "records": records,
}
"""Exportable pages by the name in /export/{page}.csv; departments are /export/department/…"""
