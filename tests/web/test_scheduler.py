"""The server's scheduled work and the annotations that PDCA actions put on trend charts."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from kaname.dashboard import Dashboard
from kaname.dashboard.pages import chart_annotations
from kaname.web.scheduler import Scheduler
from kaname.workspace import Workspace


def test_a_tick_with_nothing_due_loads_nothing(web_ws: Workspace) -> None:
    done = Scheduler(web_ws, Dashboard(web_ws)).tick(dt.datetime(2026, 11, 20, 9))
    assert done["synced"] == [] and done["refreshed"] is False
    assert done["act"] is not None and done["act"]["errors"] == []


def test_actions_annotate_the_trend_of_their_kpi(
    clients: dict[str, TestClient],
    app,
    web_ws: Workspace,  # type: ignore[no-untyped-def]
) -> None:
    web_ws.act.add_action(
        {
            "title": "Webinar series on cost cutting",
            "kpis": ["webinar_registrations"],
            "dimension": "channel",
            "dimension_value": "webinar",
            "start_date": "2026-09-07",
        },
        by="editor",
    )
    app.state.dashboard.invalidate()
    data = clients["viewer"].get("/api/trends?kpi=webinar_registrations&periods=6").json()
    notes = [a for a in data["annotations"] if a["kind"] == "action"]
    assert [(a["period"], a["text"]) for a in notes] == [
        ("2026-09", "Webinar series on cost cutting（チャネル: ウェビナー）")
    ]  # the channel by its name, not channel=webinar (issue 16 §5)
    english = chart_annotations(
        app.state.dashboard, "webinar_registrations", dt.date(2026, 9, 1), dt.date(2026, 10, 1),
        language="en",
    )  # fmt: skip
    assert [a["text"] for a in english if a["kind"] == "action"] == [
        "Webinar series on cost cutting (channel: Webinar)"
    ]
    other = clients["viewer"].get("/api/trends?kpi=leads&periods=6").json()
    assert not [a for a in other["annotations"] if a["kind"] == "action"]
