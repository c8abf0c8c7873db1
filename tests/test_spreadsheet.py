"""kaname.spreadsheet.neutralise: exported cells open as text, never as formulas."""

from __future__ import annotations

import datetime as dt

import pytest

from kaname.spreadsheet import neutralise, neutralise_row


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+81-3-1234", "'+81-3-1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+3.5", "+3.5"),
        ("-1,200", "-1,200"),
        ("-1e5", "-1e5"),
        ("株式会社=", "株式会社="),
        ("", ""),
        ("a@x.jp", "a@x.jp"),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(value: str, written: str) -> None:
    assert neutralise(value) == written


def test_other_values_are_left_alone() -> None:
    day = dt.date(2025, 4, 1)
    assert neutralise_row([None, -5, 1.5, day, "=1"]) == [None, -5, 1.5, day, "'=1"]
