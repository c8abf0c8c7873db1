"""Find English words and internal ids in the visible text of a Japanese page, export or table."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Names people use as they are in Japanese B2B marketing: brands, products, file formats and
# the acronyms of the trade. Anything else in Latin letters on a Japanese page is a leak.
ALLOWED = {
    # the product and its command line
    "kaname",
    "kpi",
    "kgi",
    "ksf",
    "pdca",
    "api",
    "url",
    "id",
    "csv",
    "tsv",
    "xlsx",
    "pdf",
    "excel",
    "json",
    "yaml",
    "html",
    "utf",
    "sjis",
    "euc",
    "jp",
    "cp",
    # sources and tools
    "hubspot",
    "salesforce",
    "marketo",
    "ga",
    "google",
    "analytics",
    "ads",
    "meta",
    "facebook",
    "linkedin",
    "sansan",
    "slack",
    "teams",
    "microsoft",
    "webhook",
    "smtp",
    "oauth",
    "bigquery",
    "snowflake",
    "postgresql",
    "duckdb",
    "sqlite",
    "saas",
    "seo",
    "sns",
    "crm",
    "sfa",
    "ma",
    # the trade's acronyms
    "cpa",
    "cac",
    "ltv",
    "roas",
    "roi",
    "sql",
    "mql",
    "sal",
    "nps",
    "mrr",
    "arr",
    "cpc",
    "ctr",
    "cvr",
    "cpm",
    "bant",
    "abm",
    "b2b",
    "nrr",
    "grr",
    "rfm",
    "clv",
    "bg",
    "nbd",
    "markov",
    "shapley",
    "ets",
    "smart",
    "fy",
    "q",
    "h",
    "jpy",
    "ok",
    "ng",
    "n",
    "r",
    "p",
    "vs",
    "x",
    "ab",
    "a",
    "b",
    "c",
    "d",
    "e",
    "m",
    "k",
    "db",
    "ip",
    "oss",
    "ui",
}

# Acronyms Japanese marketers write in Latin letters, exactly as written (IS is インサイドセールス,
# not the English "is"); JST is the time zone every time is shown in.
ACRONYMS = {"IS", "CS", "CV", "ARPA", "ROMI", "JST", "UTC", "Web", "Shift_JIS", "UTF-8", "GA4"}

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
# Literal syntax a person types or looks up, not prose: `commands` and `keys:` in backticks,
# docs/act.md paths, the period syntax of inputs (FY2026-Q2), dimension=value filters,
# command-line flags (--wide) and the ETS(A,Ad,A) notation of a forecast model.
_LITERAL = re.compile(
    r"`[^`]*`|\b[\w./-]+\.(?:md|ya?ml|csv|xlsx)\b|\bFY\d{4}(?:-[QHW]\d+)?\b"
    r"|\b\w+=\w+\b|ETS\([^)]*\)|(?<![\w-])--[a-z][\w-]*"
)


class _Visible(HTMLParser):
    """Text a person sees or hears: text nodes and title/placeholder/alt/aria-label values,
    without script, style, code (command names) and hidden template rows."""

    SKIP = frozenset({"script", "style", "code", "pre", "template", "kbd", "samp", "textarea"})
    ATTRS = ("title", "placeholder", "alt", "aria-label", "value")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        a = dict(attrs)
        for name in self.ATTRS:
            if name == "value" and not (tag == "input" and a.get("type") in ("submit", "button")):
                continue
            if a.get(name):
                self.parts.append(str(a[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Visible()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def leaks(text: str, extra_allowed: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    """The Latin-letter words in `text` that are neither allowed names nor units."""
    out = set()
    for word in _WORD.findall(_LITERAL.sub(" ", text)):
        if len(word) == 1 or word.lower() in ALLOWED or word in ACRONYMS | set(extra_allowed):
            continue
        out.add(word)
    return out
