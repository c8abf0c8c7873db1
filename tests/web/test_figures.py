"""Figures that make sense (issue 12, parts 5 and 6): gauges, funnel percentages, the cohort
funnel, the forecast on the executive cards."""

from __future__ import annotations

import json

from kaname.web import charts


def test_gauge_shows_the_achievement_of_the_label() -> None:
    fig = json.loads(charts.gauge(1.55, "on_track", "MQLs"))
    indicator = fig["data"][0]
    assert indicator["value"] == 155.0  # was pinned at 150 beside a "155%" label
    low, high = indicator["gauge"]["axis"]["range"]
    assert low == 0 and high >= 155
    assert json.loads(charts.gauge(0.8, "at_risk", "x"))["data"][0]["gauge"]["axis"]["range"] == [
        0,
        150.0,
    ]


def test_no_target_no_gauge() -> None:
    assert charts.gauge(None, "no_target", "CAC") == ""  # was a 0% gauge
