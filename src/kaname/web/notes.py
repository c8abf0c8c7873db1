"""The engine's and planner's explanations (why a value is missing, why a gap cannot be split),
which are English text, read in the user's language: the common forms are recognised and
translated; anything else is shown as it is."""

from __future__ import annotations

import re
from collections.abc import Callable

from kaname.web.i18n import Translator

Names = Callable[[str], str]
"""A KPI or measure id → its name in the user's language (the id when it has none)."""
Periods = Callable[[str], str]
"""A period label (2026-12, FY2026-Q2) → its name in the user's language (2026年12月)."""


class Found:
    """A rule's match, read by group name; the periods it names come out named (2026年12月)."""

    PERIOD_GROUPS = frozenset({"period", "kgi"})

    def __init__(self, match: re.Match[str], periods: Periods | None) -> None:
        self.match = match
        self.periods = periods

    def __getitem__(self, group: str) -> str:
        value = self.match[group]
        if self.periods and group in self.PERIOD_GROUPS and value:
            return self.periods(value)
        return value


Rule = tuple[re.Pattern[str], Callable[[Found, Translator, Names], str]]


def table_names(_: Translator) -> dict[str, str]:
    """Canonical tables as users call them (the table name itself stays beside it)."""
    return {
        "accounts": _("Accounts"),
        "leads": _("Leads"),
        "touchpoints": _("Touchpoints"),
        "campaigns": _("Campaigns"),
        "spend": _("Spend"),
        "web_traffic": _("Web traffic"),
        "opportunities": _("Opportunities"),
        "subscriptions": _("Subscriptions"),
        "nps_responses": _("NPS responses"),
        "opportunity_stages": _("Opportunity stage history"),
    }


def column_names(_: Translator) -> dict[str, str]:
    """The canonical columns a note can blame, as users call them."""
    return {
        "created_at": _("created date"),
        "closed_at": _("close date"),
        "mql_at": _("MQL date"),
        "sql_at": _("SQL date"),
        "disqualified_at": _("disqualified date"),
        "occurred_at": _("date of the touch"),
        "responded_at": _("response date"),
        "date": _("date"),
        "entered_at": _("date the stage was entered"),
    }


def _column(name: str, _: Translator) -> str:
    return column_names(_).get(name, name)


def _ids(text: str, names: Names, _: Translator) -> str:
    """ "deals, sqls" → "受注数、SQL数" (ids named, joined as the language writes lists)."""
    return _(", ").join(names(part.strip()) for part in text.split(","))


def _denominator(text: str, _: Translator, names: Names) -> str:
    """The KPIs a ratio divides by, by name; a base measure (no catalog name) as "the
    denominator" rather than its id."""
    parts = [part.strip() for part in text.split(",")]
    if any(names(part) == part for part in parts) and _("the denominator") != "the denominator":
        return _("the denominator")
    return "、".join(names(part) for part in parts)


def _tables(text: str, _: Translator) -> str:
    """Tables named mid-sentence: 「リード」, or "leads" in English (not "Leads"; NPS stays)."""
    known = table_names(_)

    def mid_sentence(name: str) -> str:
        if _("Leads") == "Leads" and name[:2] != name[:2].upper():
            return name[0].lower() + name[1:]
        return name

    return _(", ").join(
        mid_sentence(known.get(part.strip(), part.strip())) for part in text.split(",")
    )


RULES: list[Rule] = [
    (
        re.compile(r"^no actuals for (?P<stages>[a-z_, ]+) in (?P<period>\S+): (?P<why>.+)$"),
        lambda m, _, n: _(
            "No actuals for {stages} in {period}: {why}",
            stages=_ids(m["stages"], n, _),
            period=m["period"],
            why=_("no data") if m["why"] == "no data" else explain(m["why"], _, n, m.periods),
        ),
    ),
    (
        re.compile(r"^(?P<what>.+) is 0, so the ratio is undefined$"),
        lambda m, _, n: _(
            "{what} is 0, so the ratio is undefined", what=_denominator(m["what"], _, n)
        ),
    ),
    (
        re.compile(
            r"^no (?P<tables>.+) data loaded: import it \(kaname import\) or connect a source "
            r"\(kaname connect\)$"
        ),
        lambda m, _, n: _(
            "No {tables} data loaded: import it or connect a source.",
            tables=_tables(m["tables"], _),
        ),
    ),
    (
        re.compile(r"^the warehouse is empty: load data first \(kaname demo or kaname import\)$"),
        lambda m, _, n: _(
            "The warehouse is empty: load data first (kaname demo or kaname import)."
        ),
    ),
    (
        re.compile(
            r"^no data for (?P<period>\S+): the warehouse holds (?P<first>\S+) … (?P<last>\S+)$"
        ),
        lambda m, _, n: _(
            "No data for {period}: the warehouse holds {first} … {last}.",
            period=m["period"],
            first=m["first"],
            last=m["last"],
        ),
    ),
    (
        re.compile(
            r"^(?P<stages>.+) is 0 in (?P<period>\S+), so the funnel's rates are undefined and "
            r"the gap cannot be split$"
        ),
        lambda m, _, n: _(
            "{stages} is 0 in {period}, so the funnel's rates are undefined and the gap cannot be "
            "split.",
            stages=_ids(m["stages"], n, _),
            period=m["period"],
        ),
    ),
    (
        re.compile(r"^(?P<n>[\d,]+) (?P<table>[a-z_]+) have no (?P<column>[a-z_]+)$"),
        lambda m, _, n: _(
            "{count} {table} have no {column}, so no period counts them.",
            count=m["n"],
            table=_tables(m["table"], _),
            column=_column(m["column"], _),
        ),
    ),
    (
        re.compile(
            r"^no (?P<table>[a-z_]+) in (?P<period>\S+): (?P=table) (?P<column>[a-z_]+) runs "
            r"(?P<first>\S+) … (?P<last>\S+)$"
        ),
        lambda m, _, n: _(
            "No {table} in {period}: their {column} runs from {first} to {last}.",
            table=_tables(m["table"], _),
            period=m["period"],
            column=_column(m["column"], _),
            first=m["first"],
            last=m["last"],
        ),
    ),
    (
        re.compile(r"^(?P<n>[\d,]+) opportunities in (?P<period>\S+) have no is_won$"),
        lambda m, _, n: _(
            "{count} opportunities in {period} are neither won nor lost: map the stage values "
            "that mean won and lost.",
            count=m["n"],
            period=m["period"],
        ),
    ),
    (
        re.compile(r"^none of the (?P<n>[\d,]+) opportunities in (?P<period>\S+) is won$"),
        lambda m, _, n: _(
            "None of the {count} opportunities in {period} is won.",
            count=m["n"],
            period=m["period"],
        ),
    ),
    (
        re.compile(
            r"^the (?P<n>[\d,]+) won opportunities in (?P<period>\S+) are not new business$"
        ),
        lambda m, _, n: _(
            "The {count} won opportunities in {period} are not new business (renewals, upsells "
            "and other types are not counted here).",
            count=m["n"],
            period=m["period"],
        ),
    ),
    (
        re.compile(
            r"^(?P<n>[\d,]+) (?P<table>[a-z_]+) in (?P<period>\S+), none counted as "
            r"(?P<measure>[a-z_]+)$"
        ),
        lambda m, _, n: _(
            "{count} {table} in {period}, but none counts as {measure}.",
            count=m["n"],
            table=_tables(m["table"], _),
            period=m["period"],
            measure=n(m["measure"]),
        ),
    ),
    (
        re.compile(
            r"^(?P<period>\S+) is not inside the plan's KGI period (?P<kgi>\S+); pick a month, "
            r"quarter or half of it$"
        ),
        lambda m, _, n: _(
            "{period} is not inside the plan's KGI period {kgi}; pick a month, quarter or half "
            "of it.",
            period=m["period"],
            kgi=m["kgi"],
        ),
    ),
]


# The planner's checks (design/planner.py), which the plan page shows under the solution.
RULES += [
    (
        re.compile(
            r"^the cheapest channel mix costs (?P<needed>[\d,.]+), which (?P<verdict>fits|exceeds) "
            r"the budget of (?P<budget>[\d,.]+)$"
        ),
        lambda m, _, n: (
            _(
                "The cheapest channel mix costs {needed}, which fits the budget of {budget}.",
                needed=m["needed"],
                budget=m["budget"],
            )
            if m["verdict"] == "fits"
            else _(
                "The cheapest channel mix costs {needed}, which exceeds the budget of {budget}.",
                needed=m["needed"],
                budget=m["budget"],
            )
        ),
    ),
    (
        re.compile(
            r"^CAC payback (?P<months>[\d.]+) months at ARPA (?P<arpa>[\d,.]+) and "
            r"(?P<margin>\d+%) gross margin$"
        ),
        lambda m, _, n: _(
            "CAC payback {months} months at ARPA {arpa} and {margin} gross margin.",
            months=m["months"],
            arpa=m["arpa"],
            margin=m["margin"],
        ),
    ),
    (
        re.compile(
            r"^LTV:CAC (?P<ratio>[\d.]+) is implausibly high \(over (?P<limit>\d+):1\): check the "
            r"LTV assumption and that CAC counts every acquisition cost$"
        ),
        lambda m, _, n: _(
            "LTV:CAC {ratio} is implausibly high (over {limit}:1): check the LTV assumption and "
            "that CAC counts every acquisition cost.",
            ratio=m["ratio"],
            limit=m["limit"],
        ),
    ),
    (
        re.compile(
            r"^LTV:CAC (?P<ratio>[\d.]+) (?P<verdict>meets|is below) the 3:1 guideline "
            r"\(CAC ≤ LTV ÷ 3\)$"
        ),
        lambda m, _, n: (
            _("LTV:CAC {ratio} meets the 3:1 guideline (CAC ≤ LTV ÷ 3).", ratio=m["ratio"])
            if m["verdict"] == "meets"
            else _("LTV:CAC {ratio} is below the 3:1 guideline (CAC ≤ LTV ÷ 3).", ratio=m["ratio"])
        ),
    ),
]


# Messages of the alert checks and the KPI review.
RULES += [
    (
        re.compile(r"^(?P<n>\d+) new alerts(?: \(by (?P<by>.+)\))?$"),
        lambda m, _, n: _("1 new alert") if m["n"] == "1" else _("{n} new alerts", n=m["n"]),
    ),
    (
        re.compile(r"^no applied plan(?: (?P<name>\S+))?; apply one with `kaname plan apply`$"),
        lambda m, _, n: _(
            "No plan is applied yet: apply one on the Plan page or with `kaname plan apply`."
        ),
    ),
]


def explain(
    text: str | None, _: Translator, names: Names = str, periods: Periods | None = None
) -> str:
    """`text` in the user's language when it is one of the known forms, ids named by `names`
    and periods by `periods` (left as labels without it)."""
    if not text:
        return ""
    for pattern, render in RULES:
        match = pattern.match(text.strip())
        if match:
            return render(Found(match, periods), _, names)
    return text
