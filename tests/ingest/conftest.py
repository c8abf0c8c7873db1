from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kaname.config import WorkspaceConfig
from kaname.workspace import Workspace


@pytest.fixture(params=["ja", "en"])
def lang_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh workspace in each language: import messages must read in both."""
    workspace = Workspace.init(tmp_path / "ws", WorkspaceConfig(language=request.param))
    yield workspace
    workspace.close()
