"""Why a source's settings were refused, said in each language: which setting is wrong and what
to enter. Common pydantic errors (missing, not a number, unknown setting) and the connectors'
own checks read from ingest/messages.py; any other message is pydantic's, kept as it is."""

from __future__ import annotations

from typing import Any

import pydantic

from kaname.ingest.connectors.base import ConnectorError, SourceConfig
from kaname.ingest.messages import MESSAGES, message

_BY_TYPE = {
    "missing": "c_required",
    "int_parsing": "c_not_integer",
    "int_type": "c_not_integer",
    "int_from_float": "c_not_integer",
    "float_parsing": "c_not_number",
    "float_type": "c_not_number",
    "bool_parsing": "c_not_boolean",
    "bool_type": "c_not_boolean",
    "string_type": "c_not_text",
    "extra_forbidden": "c_unknown_setting",
}
"""pydantic error types → message keys; a connector's own check raises its key as the type."""


def _problem(error: Any, model: type[SourceConfig], language: str) -> str:
    kind = str(error["type"])
    key = _BY_TYPE.get(kind) or (kind if kind.startswith("c_") and kind in MESSAGES else "")
    if key:
        text = message(key, language, fields=", ".join(model.model_fields))
    elif kind == "value_error" and error.get("ctx", {}).get("error") is not None:
        text = str(error["ctx"]["error"])  # the check's own words, without "Value error, "
    else:
        text = str(error["msg"])
    field = ".".join(str(part) for part in error["loc"])
    return message("c_setting", language, field=field, problem=text) if field else text


def settings_error(
    title: str, exc: pydantic.ValidationError, model: type[SourceConfig], language: str
) -> ConnectorError:
    """The ConnectorError for settings `model` refused: every problem, in `language` (and the
    other languages in `texts`)."""
    texts = {}
    for lang, joiner in (("en", "; "), ("ja", " / ")):
        problems = joiner.join(_problem(e, model, lang) for e in exc.errors())
        texts[lang] = message("c_settings_invalid", lang, title=title, problems=problems)
    return ConnectorError(texts.get(language, texts["en"]), texts=texts)
