"""The engine's and planner's explanations (why a value is missing, why a gap cannot be split),
which are English text, read in the user's language: the common forms are recognised and
translated; anything else is shown as it is."""

from __future__ import annotations

import re
from collections.abc import Callable

from kaname.web.i18n import Translator

Names = Callable[[str], str]
"""A KPI or measure id → its name in the user's language (the id when it has none)."""
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], Translator, Names], str]]


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


def _ids(text: str, names: Names) -> str:
    """ "deals, sqls" → "受注数、SQL数" (ids named, joined as the language writes lists)."""
    return "、".join(names(part.strip()) for part in text.split(","))


def _denominator(text: str, _: Translator, names: Names) -> str:
    """The KPIs a ratio divides by, by name; a base measure (no catalog name) as "the
    denominator" rather than its id."""
    parts = [part.strip() for part in text.split(",")]
    if any(names(part) == part for part in parts) and _("the denominator") != "the denominator":
        return _("the denominator")
    return "、".join(names(part) for part in parts)


def _tables(text: str, _: Translator) -> str:
    known = table_names(_)
    return "、".join(known.get(part.strip(), part.strip()) for part in text.split(","))


RULES: list[Rule] = [
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
            stages=_ids(m["stages"], n),
            period=m["period"],
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


def explain(text: str | None, _: Translator, names: Names = str) -> str:
    """`text` in the user's language when it is one of the known forms, ids named by `names`."""
    if not text:
        return ""
    for pattern, render in RULES:
        match = pattern.match(text.strip())
        if match:
            return render(match, _, names)
    return text
