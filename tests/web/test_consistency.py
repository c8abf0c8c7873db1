"""One number per KPI, period, grain and filter on every surface.

Walks the JSON twins (executive, tree, funnel, channels, KPI page, trends, review) and the CLI
(`kaname kpis --json`) for several KPIs, periods, grains and filters, and fails on any value or
target that differs from the KPI report's, or on a gap table whose plan differs from the tree's
target.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kaname.auth.accounts import Accounts
from kaname.cli.main import app
from kaname.config import WorkspaceConfig
from kaname.demo import build_demo
from kaname.design.funnel import STAGE_RATIO_NAMES
from kaname.web.app import create_app
from kaname.workspace import Workspace
from pg_settings import PG_DB, PG_HOST, PG_USER
from web_helpers import PASSWORD, login

KPIS = (
    "revenue",
    "deals",
    "opportunities",
    "sqls",
    "mqls",
    "leads",
    "win_rate",
    "cpa",
    "cac",
    "average_deal_size",
    "sql_rate",
)
CASES = [
    ("", "month", ""),  # the current month, running on the pinned day
    ("2026-10", "month", ""),
    ("FY2026-Q2", "quarter", ""),
    ("", "week", ""),
    ("2026-10", "month", "webinar"),
    ("FY2026-Q2", "quarter", "email"),
]


@pytest.fixture(scope="module")
def pg_surfaces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Workspace]]:
    """The same demo company with its warehouse on PostgreSQL (a fresh schema), served."""
    import psycopg

    schema = f"kaname_consistency_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    root = tmp_path_factory.mktemp("pg-demo") / "demo"
    url = f"postgres://{PG_USER}@{PG_HOST}:5432/{PG_DB}?schema={schema}"
    Workspace.init(root, WorkspaceConfig(name="Kaname Demo 株式会社", warehouse_url=url)).close()
    ws = build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20))
    Accounts(ws.appdb).create_user("viewer", PASSWORD, role="viewer", department="executive")
    try:
        yield login(TestClient(create_app(ws)), "viewer"), ws
    finally:
        ws.close()
        with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=[pytest.mark.postgres])])
def surfaces(
    request: pytest.FixtureRequest, clients: dict[str, TestClient], web_ws: Workspace
) -> tuple[TestClient, Workspace]:
    if request.param == "duckdb":
        return clients["viewer"], web_ws
    return request.getfixturevalue("pg_surfaces")  # type: ignore[no-any-return]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def query(period: str, grain: str, channel: str) -> str:
    parts = [f"grain={grain}"]
    if period:
        parts.append(f"period={period}")
    if channel:
        parts.append(f"channel={channel}")
    return "&".join(parts)


@pytest.mark.parametrize(("period", "grain", "channel"), CASES)
def test_every_surface_shows_the_report_s_number(
    surfaces: tuple[TestClient, Workspace], period: str, grain: str, channel: str
) -> None:
    viewer, web_ws = surfaces
    q = query(period, grain, channel)
    chosen = web_ws.period(period or None, grain)
    filters = (("channel", channel),) if channel else ()
    reference = web_ws.kpi_report(list(KPIS), chosen, filters=filters).set_index("kpi")
    seen: list[tuple[str, str]] = []

    def check(surface: str, kpi: str, actual: Any, target: Any = ...) -> None:
        if kpi not in reference.index:
            return
        row = reference.loc[kpi]
        assert same(actual, row["actual"]), (surface, kpi, actual, row["actual"])
        if target is not ...:
            assert same(target, row["target"]), (surface, kpi, "target", target, row["target"])
        seen.append((surface, kpi))

    executive = viewer.get(f"/api/executive?{q}").json()
    for row in [executive["kgi"], *executive["kpis"]]:
        if row:
            check("executive", row["kpi"], row["actual"], row["target"])
    tree = viewer.get(f"/api/tree?{q}").json()
    for node in tree["nodes"]:
        check("tree", node["kpi"], node["actual"], node["target"])
    bottleneck = tree["bottleneck"]
    if bottleneck.get("available") and bottleneck["planned_source"] == "targets" and not channel:
        kgi = tree["nodes"][0]
        assert same(bottleneck["planned"], kgi["target"]), "gap table plan vs tree target"
        targets = {n["kpi"]: n["target"] for n in tree["nodes"]}
        for driver in bottleneck["drivers"]:  # planned rates are the tree's targets too
            name = driver["driver"]
            if name not in STAGE_RATIO_NAMES and targets.get(name) is not None:
                assert same(driver["planned"], targets[name]), ("gap plan vs tree", name)
    funnel = viewer.get(f"/api/funnel?{q}").json()
    for stage in funnel["stages"]:
        check("funnel", stage["stage"], stage["value"], stage["target"])
    for kpi in ("win_rate", "cpa", "revenue"):
        page = viewer.get(f"/api/kpi/{kpi}?{q}").json()["current"]
        check("kpi page", kpi, page["actual"], page["target"])
        trend = viewer.get(f"/api/trends?kpi={kpi}&{q}").json()
        point = next(p for p in trend["points"] if p["period"] == chosen.label)
        check("trends", kpi, point["actual"], point["target"])
    if not channel:
        rows = viewer.get(f"/api/channels?{q}").json()["rows"]
        for kpi in ("leads", "deals", "revenue"):
            total = sum(r[kpi] or 0 for r in rows)
            check("channel totals", kpi, total)
    assert {s for s, _ in seen} >= {"executive", "tree", "funnel", "kpi page", "trends"}


@pytest.mark.parametrize(("period", "grain"), [("2026-10", "month"), ("FY2026-Q2", "quarter")])
def test_the_cli_shows_the_report_s_number(
    web_ws: Workspace, period: str, grain: str, clients: dict[str, TestClient]
) -> None:
    # In this process, beside the open web workspace (a second process could not open the
    # warehouse while the first holds it; the CLI-beside-the-server path is tested elsewhere).
    result = CliRunner().invoke(
        app,
        ["kpis", "--json", "--period", period, "-w", str(web_ws.root)]
        + [a for k in KPIS for a in ("-k", k)],
    )
    assert result.exit_code == 0, result.output
    rows = {r["kpi"]: r for r in json.loads(result.stdout)}
    chosen = web_ws.period(period, grain)
    reference = web_ws.kpi_report(list(KPIS), chosen).set_index("kpi")
    executive = clients["viewer"].get(f"/api/executive?period={period}&grain={grain}").json()
    for kpi in KPIS:
        assert same(rows[kpi]["actual"], reference.loc[kpi, "actual"]), kpi
        assert same(rows[kpi]["target"], reference.loc[kpi, "target"]), kpi
    for row in [executive["kgi"], *executive["kpis"]]:
        assert same(rows[row["kpi"]]["actual"], row["actual"]), row["kpi"]


def test_the_review_shows_the_quarter_s_number(
    clients: dict[str, TestClient], web_ws: Workspace
) -> None:
    review = clients["viewer"].get("/api/review?period=FY2026-Q2").json()
    ids = [r["kpi"] for r in review["rows"]]
    reference = web_ws.kpi_report(ids, web_ws.period("FY2026-Q2", "quarter")).set_index("kpi")
    for row in review["rows"]:
        assert same(row["actual"], reference.loc[row["kpi"], "actual"]), row["kpi"]
        assert same(row["target"], reference.loc[row["kpi"], "target"]), row["kpi"]


@pytest.fixture(scope="module")
def four_numbers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    """A demo company that applied a plan built from four numbers with the CLI (seed 000's
    example: ¥1億 at 500万, 20% and 25%, ¥2,000万, two channels), served."""
    root = tmp_path_factory.mktemp("four-numbers") / "demo"
    build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20)).close()
    result = CliRunner().invoke(
        app,
        ["plan", "new", "-w", str(root), "--kgi", "1億", "--deal-size", "500万",
         "--rate", "sql=20%", "--rate", "win=25%", "--budget", "2,000万",
         "--mix", "webinar=40%,paid_ads=60%", "--ltv", "300万", "--apply"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ws = Workspace.open(root)
    Accounts(ws.appdb).create_user("viewer", PASSWORD, role="viewer", department="executive")
    try:
        yield login(TestClient(create_app(ws)), "viewer"), root
    finally:
        ws.close()


@pytest.mark.parametrize("month", ["2026-10", "2027-02"])
def test_a_plan_from_four_numbers_is_one_source(
    four_numbers: tuple[TestClient, Path], month: str
) -> None:
    """The plan editor's target CPA / CAC (the planner's solution) equal the targets grid and
    the executive page's targets; the executive page's leads target per channel is the grid's."""
    viewer, _ = four_numbers
    plans = viewer.get("/api/plans").json()
    assert plans["plan"]["targets_from"] == "planner"
    costs = plans["check"]["solution"]["unit_costs"]
    assert costs["target_cpa"] == 50_000 and costs["target_cac"] == 1_000_000
    grid = {k["kpi"]: k for k in plans["plan"]["kpis"]}
    executive = viewer.get(f"/api/executive?period={month}").json()
    shown = {r["kpi"]: r["target"] for r in [executive["kgi"], *executive["kpis"]] if r}
    for kpi, cost in (("cpa", "target_cpa"), ("cac", "target_cac")):
        assert same(grid[kpi]["targets"][month], costs[cost]), kpi
        assert same(shown[kpi], costs[cost]), kpi
    for kpi in ("leads", "deals"):
        assert same(shown[kpi], grid[kpi]["targets"][month]), kpi
    webinar = viewer.get(f"/api/executive?period={month}&channel=webinar").json()
    by_channel = {r["kpi"]: r["target"] for r in webinar["kpis"] if r}
    assert same(by_channel["leads"], grid["leads"]["channels"]["webinar"][month])
