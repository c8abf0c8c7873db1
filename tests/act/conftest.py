from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaname.demo import build_demo
from kaname.workspace import Workspace

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo company (as of 2026-11-20), built once; tests work on copies."""
    root = tmp_path_factory.mktemp("act-demo") / "demo"
    build_demo(root, scale=0.03, as_of=AS_OF).close()
    return root


@pytest.fixture
def demo_ws(demo_master: Path, tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "demo"
    shutil.copytree(demo_master, root)
    ws = Workspace.open(root)
    yield ws
    ws.close()
