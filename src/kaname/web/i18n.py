"""UI translations: English message ids, Japanese catalogs in Babel's .po format.

Every `.po` file under `locales/<lang>/LC_MESSAGES/` is read and merged, so each feature can keep
its own catalog. `make messages` extracts the ids from the code and templates into them;
tests/web/test_i18n.py fails when an id has no Japanese translation. The connect form translates
text it gets at run time (a setting's name is its label's id, its docstring its help's id; see
connect.po), which extraction cannot see: the test lists those from the connectors themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("ja", "en")
BABEL_LOCALE = {"ja": "ja_JP", "en": "en_US"}

Translator = Callable[..., str]


@lru_cache(maxsize=8)
def catalog(language: str) -> dict[str, str]:
    """msgid → translated text for one language (empty for English, the source language)."""
    folder = LOCALES / language / "LC_MESSAGES"
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=BABEL_LOCALE.get(language, language)):
                if message.id and message.string and not message.fuzzy:
                    found[str(message.id)] = str(message.string)
    return found


def translator(language: str) -> Translator:
    """A `_` function: `_("Leads")`, `_("{n} rows", n=3)` with str.format placeholders."""
    table = catalog(language) if language != "en" else {}

    def _(text: str, **values: object) -> str:
        out = table.get(text, text)
        return out.format(**values) if values else out

    return _


def pick_language(*candidates: str | None) -> str:
    """The first candidate that is a supported language ('ja' for 'ja-JP,ja;q=0.9', ...)."""
    for cand in candidates:
        if not cand:
            continue
        for part in cand.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return "ja"
