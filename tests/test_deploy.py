"""The deployment files (deploy/compose.yaml, deploy/Dockerfile, deploy/entrypoint.sh;
docs/deploy.md). Docker is not on the development machines, so the image is not built here:
these tests read the compose file and the Dockerfile, check that what they name exists and
agrees, and run the container's entry point with the compose file's own environment and
command line against the local PostgreSQL (only the database host, user and schema are
changed to the local ones, and the port to a free one on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, inspect

from pg_settings import PG_DB, PG_HOST, PG_USER

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SRC = ROOT / "src"
PASSWORD = "pw-for-the-test"
ADMIN = ("--role", "admin", "--password", "a-long-password-1!")
VARIABLE = re.compile(r"\$\{([A-Z_]+)(?:(:-|:\?)([^}]*))?\}")


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} (the forms the file uses)."""

    def one(m: re.Match[str]) -> str:
        name, how, arg = m[1], m[2], m[3]
        if env.get(name):
            return env[name]
        if how == ":-":
            return arg
        if how == ":?":
            raise KeyError(f"{name}: {arg}")
        return ""

    return VARIABLE.sub(one, value)


def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_the_compose_file_runs_kaname_on_postgresql() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "kaname"}
    db, app = services["db"], services["kaname"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    # the password has no default: compose refuses to start without one
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(db["environment"]["POSTGRES_PASSWORD"], {})
    env = {
        k: interpolate(v, {"POSTGRES_PASSWORD": PASSWORD}) for k, v in app["environment"].items()
    }
    assert env["KANAME_APP_DB_URL"].startswith("postgresql+psycopg://kaname:")
    assert env["KANAME_WAREHOUSE_URL"].startswith("postgres://kaname:")
    assert "schema=warehouse" in env["KANAME_WAREHOUSE_URL"]
    # the warehouse schema is made by the database's first start
    mounted = {v.split(":")[0]: v.split(":")[1] for v in db["volumes"] if v.startswith("./")}
    init = (COMPOSE.parent / "initdb.sql").read_text(encoding="utf-8")
    assert "CREATE SCHEMA IF NOT EXISTS warehouse AUTHORIZATION kaname" in init
    assert mounted["./initdb.sql"].startswith("/docker-entrypoint-initdb.d/")
    # published on this machine only (HTTPS proxy in front: docs/deploy.md)
    assert all(p.startswith("127.0.0.1:") for p in app["ports"])
    # several workers, so the stores must be the shared ones above
    assert app["command"][0] == "serve" and "--workers" in app["command"]


def test_the_image_is_built_from_what_the_repository_has() -> None:
    app = compose()["services"]["kaname"]
    context = (COMPOSE.parent / app["build"]["context"]).resolve()
    assert context == ROOT and (context / app["build"]["dockerfile"]).is_file()
    steps = dockerfile()
    for step in steps:
        if step.startswith("COPY "):
            for source in step.split()[1:-1]:
                assert (context / source).exists(), source
    cmd = next(s for s in steps if s.startswith("CMD "))
    assert json.loads(cmd[4:]) == app["command"]  # the image's default is the compose command
    entry = next(s for s in steps if s.startswith("ENTRYPOINT "))
    assert json.loads(entry[11:]) == ["kaname-entrypoint"]
    assert os.access(DEPLOY / "entrypoint.sh", os.X_OK)
    assert any(s.startswith("USER ") and "root" not in s for s in steps)  # not run as root
    env = next(s for s in steps if s.startswith("ENV KANAME_WORKSPACE="))
    assert env.split("=", 1)[1] == app["environment"]["KANAME_WORKSPACE"]


@pytest.fixture
def schemas() -> Iterator[tuple[str, str]]:
    import psycopg

    names = (f"kaname_deploy_{uuid.uuid4().hex[:8]}", f"kaname_deploy_wh_{uuid.uuid4().hex[:8]}")
    with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE SCHEMA "{name}"')
    yield names
    with psycopg.connect(host=PG_HOST, user=PG_USER, dbname=PG_DB, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.postgres
@pytest.mark.slow
def test_the_compose_command_serves_with_its_environment(
    tmp_path: Path, schemas: tuple[str, str]
) -> None:
    app_schema, warehouse_schema = schemas
    service = compose()["services"]["kaname"]
    given = {
        k: interpolate(v, {"POSTGRES_PASSWORD": PASSWORD})
        for k, v in service["environment"].items()
    }
    # the compose database, as the local test database
    there = f"kaname:{PASSWORD}@db:5432/kaname"
    here = f"{PG_USER}@{PG_HOST}:5432/{PG_DB}"
    assert there in given["KANAME_APP_DB_URL"] and there in given["KANAME_WAREHOUSE_URL"]
    app_url = given["KANAME_APP_DB_URL"].replace(there, here)
    app_url += f"?options=-csearch_path%3D{app_schema}"
    warehouse_url = given["KANAME_WAREHOUSE_URL"].replace(there, here)
    warehouse_url = warehouse_url.replace("schema=warehouse", f"schema={warehouse_schema}")
    workspace = tmp_path / given["KANAME_WORKSPACE"].lstrip("/")
    env = dict(os.environ)
    env.update(given)
    env.update(
        KANAME_APP_DB_URL=app_url,
        KANAME_WAREHOUSE_URL=warehouse_url,
        KANAME_WORKSPACE=str(workspace),
        PYTHONPATH=os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        COLUMNS="200",
    )
    port = _free_port()
    command = list(service["command"])
    command[command.index("--host") + 1] = "127.0.0.1"  # never listen beyond this machine here
    command[command.index("--port") + 1] = str(port)
    proc = subprocess.Popen(
        ["sh", str(DEPLOY / "entrypoint.sh"), *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    shown = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            shown.append(line)
            if "Ctrl+C" in line:
                break
        else:
            pytest.fail("the server did not start:\n" + "".join(shown))
        text = "".join(shown)
        assert "/setup" in text  # a new workspace: the first admin is made in the browser
        assert "2 プロセス" in text  # Japanese by default (KANAME_LANGUAGE), two workers
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert httpx.get(f"{url}/login", timeout=60).headers["location"] == "/setup"
        # the store URLs (and the password) stay in the environment, never in the file
        saved = (workspace / "kaname.yaml").read_text(encoding="utf-8")
        assert "_url" not in saved and PASSWORD not in saved and "language: ja" in saved
        engine = create_engine(app_url)
        tables = set(inspect(engine).get_table_names(schema=app_schema))
        assert {"users", "leases", "data_versions", "login_failures"} <= tables
        assert {"leads", "touchpoints"} <= set(inspect(engine).get_table_names(warehouse_schema))
        engine.dispose()
        # the first admin, as docs/deploy.md says: `docker compose exec kaname kaname users add`
        added = subprocess.run(
            ["sh", str(DEPLOY / "entrypoint.sh"), "users", "add", "admin", *ADMIN],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert added.returncode == 0, added.stdout + added.stderr
        assert httpx.get(f"{url}/login", timeout=60).status_code == 200
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
    assert not (workspace / ".kaname" / "server.json").exists()
