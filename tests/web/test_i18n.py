"""Every UI string has a Japanese translation; periods, money and dates read as users say them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.extract import extract_from_dir

from kaname.web.display import format_value, period_name, when
from kaname.web.i18n import catalog, pick_language, translator

WEB = Path(__file__).resolve().parents[2] / "src" / "kaname" / "web"


def ui_strings() -> set[str]:
    found = extract_from_dir(
        str(WEB),
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
        keywords={"_": None},
    )
    out = set()
    for _file, _line, message, _comments, _context in found:
        out.add(message if isinstance(message, str) else message[0])
    return out


def connector_form_strings() -> set[str]:
    """What the Sources page translates at run time, so extraction cannot see it: each
    connector's description and each setting's name (its label) and docstring (its help)."""
    from kaname.ingest.connectors import SOURCES, get_connector
    from kaname.ingest.connectors.service import config_fields

    out = set()
    for source in SOURCES:
        connector = get_connector(source)
        out.add(" ".join(connector.doc.split()))
        for f in config_fields(connector.config_model):
            out.update({f["name"], f["help"]})
    return out


def test_every_ui_string_has_a_japanese_translation() -> None:
    strings = ui_strings()
    assert len(strings) > 150  # the extraction found the templates and the code
    strings |= connector_form_strings()
    missing = sorted(s for s in strings if s not in catalog("ja"))
    assert not missing, f"add Japanese translations (make messages) for: {missing}"


def test_translations_keep_their_placeholders() -> None:
    import re

    for msgid, text in catalog("ja").items():
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", text)), msgid


def test_translator_formats_in_each_language() -> None:
    assert translator("ja")("as of {date}", date="2026/11/20") == "2026/11/20 時点"
    assert translator("en")("as of {date}", date="Nov 20, 2026") == "as of Nov 20, 2026"


def test_language_negotiation() -> None:
    assert pick_language("", None, "en") == "en"
    assert pick_language("en-US,en;q=0.9") == "en"
    assert pick_language("fr", "ja-JP") == "ja"


def test_fiscal_periods_read_as_people_say_them() -> None:
    assert period_name("FY2025-Q1", "en") == "FY2025 Q1 (Apr–Jun)"
    assert period_name("FY2025-Q1", "ja") == "2025年度 第1四半期（4月〜6月）"
    assert period_name("FY2025-H2", "ja") == "2025年度 下期（10月〜3月）"
    assert period_name("FY2025-Q1", "en", fy_start_month=1) == "FY2025 Q1 (Jan–Mar)"
    assert period_name("2026-11", "ja") == "2026年11月"


def test_money_and_dates_follow_the_language() -> None:
    assert format_value(123_456_789, "currency", "JPY", "ja") == "1.23億円"
    assert format_value(12_650_000, "currency", "JPY", "ja") == "1,265.0万円"
    assert format_value(12_650_000, "currency", "JPY", "en") == "¥12,650,000"
    assert when(dt.date(2026, 4, 1), "ja") == "2026/04/01"
    assert when("2026-04-01", "en") == "Apr 1, 2026"


def test_engine_explanations_read_in_japanese() -> None:
    from kaname.web.notes import explain

    _ = translator("ja")
    # a base measure has no catalog name: it reads "the denominator", never its id
    assert explain("closed_opportunities is 0, so the ratio is undefined", _) == (
        "分母 が 0 のため、比率を計算できません"
    )
    assert explain(
        "deals is 0 in 2026-11, so the funnel's rates are undefined and the gap cannot be split",
        _,
    ).startswith("2026-11 は deals が 0 のため")
    assert explain("something new", _) == "something new"  # unknown forms pass through
    assert explain("leads is 0, so the ratio is undefined", translator("en")) == (
        "leads is 0, so the ratio is undefined"
    )
