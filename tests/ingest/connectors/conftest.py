from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kaname.config import WorkspaceConfig
from kaname.ingest.connectors.http import RetryPolicy
from kaname.ingest.connectors.service import ConnectorService
from kaname.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A fresh workspace whose connector service retries fast (tests wait milliseconds); the
    fake APIs on 127.0.0.1 are on its url_allow_list."""
    monkeypatch.delenv("KANAME_SECRET_KEY", raising=False)
    workspace = Workspace.init(tmp_path / "ws", WorkspaceConfig(url_allow_list=["127.0.0.1"]))
    workspace.__dict__["connectors"] = ConnectorService(
        workspace, retry=RetryPolicy(attempts=4, backoff=0.001, max_wait=0.01)
    )
    yield workspace
    workspace.close()
