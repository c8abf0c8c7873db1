"""Issue 14 §2: dimensions from the user's own data (product, region …) on the pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient

from kaname.auth.accounts import Accounts
from kaname.config import WorkspaceConfig
from kaname.web.app import create_app
from kaname.workspace import Workspace
from web_helpers import PASSWORD, login

HEADER = ["商談ID", "フェーズ", "受注金額", "商談開始日", "受注日", "商品"]
ROWS = [
    ["O1", "受注", "120万円", "2026/8/1", "2026/9/5", "Cloud"],
    ["O2", "失注", "30万円", "2026/8/2", "2026/9/6", "Cloud"],
    ["O3", "成約", "80万円", "2026/8/3", "2026/9/20", "On-prem"],
    ["O4", "見送り", "50万円", "2026/8/4", "2026/9/21", "Cloud"],
    ["O5", "提案中", "70万円", "2026/8/5", "2026/9/25", ""],
]


def test_user_dimensions_filter_and_split_the_pages(tmp_path: Path) -> None:
    """The product and region of an import appear as page filters and KPI-page breakdowns."""
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(language="ja"))
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *ROWS])
    (tmp_path / "o.csv").write_bytes(out.getvalue().encode("cp932"))
    ws.ingest.import_file("opportunities", tmp_path / "o.csv")
    Accounts(ws.appdb).create_user("boss", PASSWORD, role="admin")
    client = login(TestClient(create_app(ws)), "boss")
    page = client.get("/kpi/deals?period=2026-09").text
    assert 'name="d_product"' in page and ">商品<" in page.replace("\n", "")
    detail = client.get("/api/kpi/deals?period=2026-09").json()
    assert {r["dimension_value"]: r["actual"] for r in detail["breakdown"]["product"]} == {
        "Cloud": 1.0,
        "On-prem": 1.0,
    }
    cloud = client.get("/api/kpi/deals?period=2026-09&d_product=Cloud").json()["current"]
    assert cloud["actual"] == 1.0
    executive = client.get("/executive?period=2026-09&d_product=On-prem")
    assert executive.status_code == 200 and 'value="On-prem" selected' in executive.text
    ws.close()
