from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kaname.demo import build_demo


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo company (as of 2026-11-20) shared by the read-only tests of a module."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20)).close()
    return root
