"""`kaname serve --workers N` refuses stores that only one process may use, and says why in the
workspace's language (the multi-process server itself: tests/cli/test_serve_workers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kaname.cli.main import app
from kaname.config import WorkspaceConfig, write_config

PG = "postgres://postgres@127.0.0.1:5432/test?schema=nowhere"


def _workspace(root: Path, **settings: str) -> Path:
    root.mkdir()
    write_config(root, WorkspaceConfig(**settings))  # type: ignore[arg-type]
    return root


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_embedded_duckdb_warehouse_is_refused(tmp_path: Path, language: str) -> None:
    root = _workspace(tmp_path / "ws", language=language)
    done = CliRunner().invoke(app, ["serve", "-w", str(root), "--workers", "2"])
    assert done.exit_code == 2
    text = " ".join(done.output.split())
    if language == "ja":
        flat = "".join(text.split())  # Rich wraps Japanese anywhere
        assert "組み込みのDuckDBファイル" in flat and "1プロセスだけ" in flat
        assert "needs" not in text
    else:
        assert "needs a server warehouse" in text and "embedded DuckDB file" in text
    assert "warehouse.duckdb" in "".join(text.split())  # the path, however Rich wraps it
    assert not (root / ".kaname" / "server.json").exists()  # nothing started


def test_a_sqlite_app_db_is_refused(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", language="en", warehouse_url=PG)
    done = CliRunner().invoke(app, ["serve", "-w", str(root), "--workers", "3"])
    assert done.exit_code == 2
    text = " ".join(done.output.split())
    assert "--workers 3 needs the app DB on PostgreSQL" in text
    assert "kaname.db" in "".join(text.split())


def test_store_urls_from_the_environment_are_used_and_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container passes its database URLs (with passwords) in the environment."""
    from kaname.config import load_config

    root = _workspace(tmp_path / "ws", language="en")
    monkeypatch.setenv("KANAME_WAREHOUSE_URL", PG)
    monkeypatch.setenv("KANAME_APP_DB_URL", "postgresql+psycopg://kaname:secret@db/kaname")
    config = load_config(root)
    assert config.warehouse_url == PG and config.app_db_url.endswith("secret@db/kaname")
    write_config(root, config.model_copy(update={"name": "Renamed"}))
    saved = yaml.safe_load((root / "kaname.yaml").read_text(encoding="utf-8"))
    assert saved["name"] == "Renamed" and "secret" not in str(saved)
    assert saved["warehouse_url"] == "duckdb:///warehouse.duckdb"
