"""The whole product on another warehouse: a demo workspace moved from DuckDB to PostgreSQL and to
PySpark (local mode) with `kaname warehouse copy --switch`, then the same commands (refresh, kpis,
attribution with every model, cohorts, rfm, ltv, forecast, plan gap, report) and the same
dashboard pages give the numbers the DuckDB workspace gives.

One small demo (scale 0.01: about 1,000 leads and 18,000 touchpoints) and one Spark session for
the module keep the run short."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kaname.analytics.attribution import MODEL_NAMES
from kaname.auth.accounts import Accounts
from kaname.canonical.tables import TABLES
from kaname.cli.main import app
from kaname.config import load_config
from kaname.demo import build_demo
from kaname.store.warehouse import spark_settings
from kaname.web.app import create_app
from kaname.workspace import Workspace
from pg_settings import PG_DB, PG_HOST, PG_USER

DAY = dt.date(2026, 11, 20)
PASSWORD = "correct horse battery"
runner = CliRunner()


def cli(root: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert result.exit_code == 0, result.output
    return result.output


def cli_json(root: Path, *args: str) -> Any:
    return json.loads(cli(root, *args, "--json"))


_DUCK: dict[tuple[str, ...], Any] = {}


def duck_json(duck: Path, *args: str) -> Any:
    """The DuckDB workspace's answer, computed once for both engines."""
    key = (str(duck), *args)
    if key not in _DUCK:
        _DUCK[key] = cli_json(duck, *args)
    return _DUCK[key]


def same(got: Any, expected: Any, where: str = "") -> None:
    """Equal JSON, numbers within float tolerance (engines sum in different orders)."""
    if isinstance(expected, float) or (isinstance(expected, int) and isinstance(got, float)):
        if isinstance(expected, float) and math.isnan(expected):
            assert isinstance(got, float) and math.isnan(got), where
        else:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), where
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(expected), where
        for key in expected:
            same(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), where
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            same(a, b, f"{where}[{i}]")
    else:
        assert got == expected, where


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DuckDB workspace every other engine is compared with, refreshed."""
    root = tmp_path_factory.mktemp("engines") / "duckdb"
    ws = build_demo(root, scale=0.01, as_of=DAY)
    Accounts(ws.appdb).create_user("admin", PASSWORD, role="admin", department="executive")
    ws.close()
    cli(root, "refresh", "--full")
    return root


@dataclass
class Moved:
    """A copy of the DuckDB workspace whose warehouse was moved to another engine."""

    engine: str
    url: str
    root: Path
    copies: list[dict[str, Any]] = field(default_factory=list)


def _spark_session(home: Path) -> Any:
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName("kaname-tests")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home}")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("pyspark", marks=[pytest.mark.spark, pytest.mark.slow]),
    ],
)
def moved(
    request: pytest.FixtureRequest, duck: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Moved]:
    """The DuckDB workspace copied folder and all, then its warehouse copied to the engine
    twice (the second run with --switch), then refreshed there."""
    import psycopg

    home = tmp_path_factory.mktemp(request.param)
    root = home / "workspace"
    shutil.copytree(duck, root)
    session = None
    # unique per run: each pytest-xdist worker has its own tmp folder named postgres0 too
    schema = f"kaname_engines_{uuid.uuid4().hex[:12]}"
    if request.param == "postgres":
        url = f"postgres://{PG_USER}@{PG_HOST}:5432/{PG_DB}?schema={schema}"
        with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
    else:
        session = _spark_session(home)
        url = "pyspark://"  # the session this process runs
    out = Moved(request.param, url, root)
    out.copies.append(cli_json(root, "warehouse", "copy", "--to", url))
    out.copies.append(cli_json(root, "warehouse", "copy", "--to", url, "--switch"))
    cli(root, "refresh", "--full")
    yield out
    if session is not None:
        session.stop()
    else:
        with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ---------------------------------------------------------------------------- the move
def test_copy_reconciles_every_table_and_a_second_copy_replaces(moved: Moved) -> None:
    first, second = moved.copies
    names = [t["table"] for t in first["tables"]]
    assert names[: len(TABLES)] == [t.name for t in TABLES]
    assert "kpi_values" not in names  # computed again by `kaname refresh` on the engine
    assert all(t["reconciled"] for t in first["tables"] + second["tables"])
    assert [t["target_rows"] for t in second["tables"]] == [
        t["source_rows"] for t in first["tables"]
    ]  # copied again: replaced, not appended
    assert sum(t["source_rows"] for t in first["tables"]) > 25_000
    assert not first["switched"] and second["switched"]
    assert load_config(moved.root).warehouse_url == moved.url
    ws = Workspace.open(moved.root)
    try:
        assert ws.warehouse.backend == moved.engine
    finally:
        ws.close()


def test_copying_to_its_own_warehouse_is_refused(moved: Moved) -> None:
    result = runner.invoke(app, ["warehouse", "copy", "--to", moved.url, "-w", str(moved.root)])
    assert result.exit_code == 2
    assert "own warehouse" in result.output


# ---------------------------------------------------------------------------- the commands
KEY = ["kpi", "grain", "view", "period_start", "dimension", "dimension_value"]


def _kpi_values(root: Path) -> pd.DataFrame:
    ws = Workspace.open(root)
    try:
        frame = ws.warehouse.con.table("kpi_values").drop("computed_at").to_pandas()
    finally:
        ws.close()
    frame["period_start"] = frame["period_start"].astype(str)
    return frame.sort_values(KEY).reset_index(drop=True)


def test_refresh_materialises_the_same_kpi_values(moved: Moved, duck: Path) -> None:
    got, expected = _kpi_values(moved.root), _kpi_values(duck)
    assert len(got) == len(expected) > 1000
    pd.testing.assert_frame_equal(got[[*KEY, "note"]], expected[[*KEY, "note"]])
    assert got["value"].to_numpy() == pytest.approx(
        expected["value"].to_numpy(), rel=1e-9, abs=1e-9, nan_ok=True
    )


@pytest.mark.parametrize(
    "args",
    [
        ("kpis", "--period", "2026-10"),
        ("kpis", "--period", "FY2025", "--dimension", "channel"),
        ("kpis", "--period", "2026-09", "--view", "cohort"),
    ],
    ids=["month", "year-by-channel", "cohort"],
)
def test_kpis(moved: Moved, duck: Path, args: tuple[str, ...]) -> None:
    expected = duck_json(duck, *args)
    assert len(expected) > 10
    same(cli_json(moved.root, *args), expected)


ATTRIBUTION = [
    ("attribution", *(a for m in MODEL_NAMES if m != "custom" for a in ("-m", m))),
    ("attribution", "-m", "custom", "--weight", "first=0.3", "--weight", "close=0.3"),
    ("attribution", "-m", "markov", "-m", "linear", "--level", "account", "--order", "2"),
    ("attribution", "-m", "w_shaped", "--conversion", "opportunity", "--period", "FY2025"),
    ("attribution", "-m", "time_decay", "--half-life", "30", "--returns"),
]


@pytest.mark.parametrize(
    "args", ATTRIBUTION, ids=["every-model", "custom", "account", "opportunity", "returns"]
)
def test_attribution(moved: Moved, duck: Path, args: tuple[str, ...]) -> None:
    expected = duck_json(duck, *args)
    assert expected
    same(cli_json(moved.root, *args), expected)


ANALYSES = [
    ("cohorts",),
    ("cohorts", "leads", "--stage", "deal"),
    ("cohorts", "customers", "--measure", "revenue_retention"),
    ("rfm",),
    ("rfm", "--by", "rfm_segment", "--since", "2026-05-01", "--customers"),
    ("ltv",),
    ("forecast", "revenue"),
    ("plan", "gap", "{root}/plans/demo-fy2026.yaml", "--period", "FY2026-Q2"),
]


@pytest.mark.parametrize("args", ANALYSES, ids=lambda a: "-".join(a).replace("{root}/", "")[:30])
def test_analyses(moved: Moved, duck: Path, args: tuple[str, ...]) -> None:
    expected = duck_json(duck, *(a.format(root=duck) for a in args))
    assert expected
    same(cli_json(moved.root, *(a.format(root=moved.root) for a in args)), expected)


def test_report(moved: Moved, duck: Path, tmp_path: Path) -> None:
    def report(root: Path, name: str) -> str:
        out = tmp_path / name
        cli(root, "report", "--period", "2026-10", "--out", str(out))
        return out.read_text(encoding="utf-8")

    if ("report",) not in _DUCK:
        _DUCK["report",] = report(duck, "duck.html")
    expected = _DUCK["report",]
    got = report(moved.root, f"{moved.engine}.html")
    assert "売上" in expected
    assert got == expected


# ---------------------------------------------------------------------------- the pages
PAGES = [
    ("/executive", "/api/executive"),
    ("/funnel", "/api/funnel"),
    ("/channels", "/api/channels"),
    ("/attribution", "/api/attribution"),
    ("/attribution?model=markov&level=account", "/api/attribution?model=markov&level=account"),
    ("/cohorts", "/api/cohorts"),
    ("/customers", "/api/customers"),
    ("/kpi/revenue", "/api/kpi/revenue"),
    ("/tree", "/api/tree"),
    ("/plans", "/api/plans"),
    ("/trends", "/api/trends"),
]


def _client(root: Path) -> Iterator[TestClient]:
    ws = Workspace.open(root)
    client = TestClient(create_app(ws))
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    signed_in = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token[1], "next": "/"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    yield client
    ws.close()


@pytest.fixture(scope="module")
def duck_client(duck: Path) -> Iterator[TestClient]:
    yield from _client(duck)


@pytest.fixture(scope="module")
def moved_client(moved: Moved) -> Iterator[TestClient]:
    yield from _client(moved.root)


def _numbers(html: str) -> list[str]:
    """The figures a page shows (its text without tags, tokens and times of day)."""
    text = re.sub(r"<[^>]+>", " ", html)
    return re.findall(r"[-+]?[\d,]+(?:\.\d+)?[%万億]?", text)


_PAGES: dict[str, tuple[Any, list[str]]] = {}


@pytest.mark.parametrize(("page", "api"), PAGES, ids=[p for p, _ in PAGES])
def test_pages(moved_client: TestClient, duck_client: TestClient, page: str, api: str) -> None:
    if api not in _PAGES:  # the DuckDB workspace's pages, fetched once for both engines
        expected, expected_page = duck_client.get(api), duck_client.get(page)
        assert expected.status_code == 200 and expected_page.status_code == 200
        _PAGES[api] = (expected.json(), _numbers(expected_page.text))
    got = moved_client.get(api)
    assert got.status_code == 200, got.text
    same(got.json(), _PAGES[api][0])
    shown = moved_client.get(page)
    assert shown.status_code == 200
    assert _numbers(shown.text) == _PAGES[api][1]


def test_spark_urls_name_a_local_warehouse_or_the_running_session(tmp_path: Path) -> None:
    assert spark_settings("pyspark://") == {}
    assert spark_settings("pyspark://?spark.driver.memory=8g") == {"spark.driver.memory": "8g"}
    local = spark_settings("pyspark:///spark-warehouse?master=local[4]", tmp_path)
    folder = tmp_path.resolve() / "spark-warehouse"
    assert local["master"] == "local[4]"
    assert local["spark.sql.warehouse.dir"] == str(folder)
    assert local["spark.sql.catalogImplementation"] == "hive"
    assert str(folder / "metastore_db") in local["javax.jdo.option.ConnectionURL"]
    assert spark_settings("pyspark:////data/wh")["spark.sql.warehouse.dir"] == "/data/wh"


@pytest.mark.spark
@pytest.mark.slow
def test_a_local_spark_warehouse_persists_between_commands(duck: Path, tmp_path: Path) -> None:
    """`pyspark:///spark-warehouse`: Kaname starts its own Spark in each command, with the tables
    and their Hive catalog in the workspace; what one command copies, the next one reads."""
    import subprocess
    import sys

    root = tmp_path / "workspace"
    shutil.copytree(duck, root)

    def kaname(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "kaname", *args, "-w", str(root)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    url = "pyspark:///spark-warehouse?spark.sql.shuffle.partitions=2&spark.ui.enabled=false"
    copied = json.loads(kaname("warehouse", "copy", "--to", url, "--switch", "--json"))
    assert (root / "spark-warehouse" / "metastore_db").is_dir()
    assert copied  # the per-table counts, reconciled
    args = ("kpis", "--period", "2026-10")
    same(json.loads(kaname(*args, "--json")), duck_json(duck, *args))  # another process
