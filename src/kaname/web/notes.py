"""The engine's and planner's explanations (why a value is missing, why a gap cannot be split),
which are English text, read in the user's language: the common forms are recognised and
translated; anything else is shown as it is."""

from __future__ import annotations

import re
from collections.abc import Callable

from kaname.web.i18n import Translator

Rule = tuple[re.Pattern[str], Callable[[re.Match[str], Translator], str]]

RULES: list[Rule] = [
    (
        re.compile(r"^(?P<what>.+) is 0, so the ratio is undefined$"),
        lambda m, _: _("{what} is 0, so the ratio is undefined", what=m["what"]),
    ),
    (
        re.compile(
            r"^no (?P<tables>.+) data loaded: import it \(kaname import\) or connect a source "
            r"\(kaname connect\)$"
        ),
        lambda m, _: _(
            "No {tables} data loaded: import it or connect a source.", tables=m["tables"]
        ),
    ),
    (
        re.compile(r"^the warehouse is empty: load data first \(kaname demo or kaname import\)$"),
        lambda m, _: _("The warehouse is empty: load data first (kaname demo or kaname import)."),
    ),
    (
        re.compile(
            r"^no data for (?P<period>\S+): the warehouse holds (?P<first>\S+) … (?P<last>\S+)$"
        ),
        lambda m, _: _(
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
        lambda m, _: _(
            "{stages} is 0 in {period}, so the funnel's rates are undefined and the gap cannot be "
            "split.",
            stages=m["stages"],
            period=m["period"],
        ),
    ),
    (
        re.compile(
            r"^(?P<period>\S+) is not inside the plan's KGI period (?P<kgi>\S+); pick a month, "
            r"quarter or half of it$"
        ),
        lambda m, _: _(
            "{period} is not inside the plan's KGI period {kgi}; pick a month, quarter or half "
            "of it.",
            period=m["period"],
            kgi=m["kgi"],
        ),
    ),
]


def explain(text: str | None, _: Translator) -> str:
    """`text` in the user's language when it is one of the known forms."""
    if not text:
        return ""
    for pattern, render in RULES:
        match = pattern.match(text.strip())
        if match:
            return render(match, _)
    return text
