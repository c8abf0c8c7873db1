"""HubSpot contacts and companies are read from their page bodies in bulk (columnar.py) into raw
tables with one column per field: the records are the ones the per-record path builds, pages that
do not fit the declared shape fall back to that path, a raw table an earlier version stored as
JSON is converted in place, and custom properties asked for in the settings are fetched, stored
and mapped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from connector_fakes import FakeHubSpot

from kaname.config import WorkspaceConfig
from kaname.ingest.connectors import columnar
from kaname.ingest.connectors.hubspot.mapping import DEFAULT_MAPPING
from kaname.ingest.connectors.hubspot.source import _record, columnar_spec
from kaname.ingest.connectors.load import read_raw
from kaname.workspace import Workspace

TOKEN = "pat-na1-columnar-token"


def _fake() -> FakeHubSpot:
    fake = FakeHubSpot(TOKEN)
    for i in range(1, 26):
        fake.put(
            "contacts",
            str(i),
            email=f"user{i}@example.jp",
            lifecyclestage="lead" if i % 3 else "marketingqualifiedlead",
            hs_analytics_source="PAID_SEARCH" if i % 2 else "ORGANIC_SEARCH",
            associatedcompanyid="11",
        )
    fake.put("companies", "11", name="株式会社アルファ", numberofemployees=120)
    return fake


def _sync(root: Path, fake: FakeHubSpot, full: bool = False) -> Workspace:
    ws = (
        Workspace.init(root, WorkspaceConfig(url_allow_list=["127.0.0.1"]))
        if not (root / "kaname.yaml").exists()
        else Workspace.open(root)
    )
    if "hubspot" not in ws.connectors.connected():
        ws.connectors.connect(
            "hubspot", {"access_token": TOKEN, "base_url": fake.url, "page_size": 10}, check=False
        )
    [result] = ws.connectors.sync("hubspot", full=full)
    assert result.status == "ok", result.error
    return ws


def _raw(ws: Workspace, table: str) -> dict[str, dict[str, Any]]:
    return {
        rid: data for batch in read_raw(ws.warehouse, table, None) for rid, _deleted, data in batch
    }


def _leads(ws: Workspace) -> list[dict[str, Any]]:
    frame = ws.warehouse.table("leads").execute().drop(columns=["_loaded_at"])
    return sorted(frame.to_dict("records"), key=lambda r: r["lead_id"])


def test_raw_table_has_a_column_per_field_and_the_per_record_data(tmp_path: Path) -> None:
    fake = _fake()
    try:
        ws = _sync(tmp_path / "ws", fake)
        columns = ws.warehouse.con.table("raw_hubspot_contacts").columns
        assert {"id", "modified_at", "deleted", "_loaded_at", "email", "lifecyclestage"} <= set(
            columns
        )
        assert "data" not in columns
        raw = _raw(ws, "raw_hubspot_contacts")
        assert len(raw) == 25
        # What the per-record path stores for the same object, field for field.
        spec = columnar_spec("contacts")
        assert spec is not None
        obj = fake._out("contacts", fake.objects["contacts"]["7"], list(spec.nested_fields))
        expected = _record(obj, "lastmodifieddate").data
        assert {k: v for k, v in raw["7"].items() if v is not None} == {
            k: v for k, v in expected.items() if v is not None
        }
        modified = ws.warehouse.con.con.execute(
            "SELECT modified_at FROM raw_hubspot_contacts WHERE id = '7'"
        ).fetchone()
        assert modified is not None and modified[0] == _record(obj, "lastmodifieddate").modified_at
        ws.close()
    finally:
        fake.stop()


def test_pages_that_do_not_fit_fall_back_to_one_record_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake()
    try:
        reference = _leads(_sync(tmp_path / "bulk", fake))
        calls: list[int] = []
        decode = columnar.decode_pages

        def counted(spec: columnar.ColumnarSpec, bodies: list[bytes]) -> list[Any]:
            calls.append(len(bodies))
            return decode(spec, bodies)

        monkeypatch.setattr(columnar, "decode_pages", counted)
        # A number where HubSpot sends strings: Arrow's reader refuses the declared shape.
        fake.objects["contacts"]["3"]["properties"]["hubspotscore"] = 42
        ws = _sync(tmp_path / "fallback", fake)
        assert calls, "the fallback was not used"
        assert _leads(ws) == reference
        assert _raw(ws, "raw_hubspot_contacts")["3"]["hubspotscore"] == "42"
        ws.close()
    finally:
        fake.stop()


def test_a_json_raw_table_is_converted_and_the_sync_goes_on(tmp_path: Path) -> None:
    fake = _fake()
    try:
        ws = _sync(tmp_path / "ws", fake)
        con = ws.warehouse.con.con
        # The layout of earlier versions: the flattened record as JSON in `data`.
        con.execute("DROP TABLE raw_hubspot_contacts")
        con.execute(
            "CREATE TABLE raw_hubspot_contacts (id VARCHAR, modified_at TIMESTAMP, "
            "deleted BOOLEAN, data VARCHAR, _loaded_at TIMESTAMP)"
        )
        old = {"id": "900", "email": "old@example.jp", "lifecyclestage": "lead", "archived": False}
        con.execute(
            "INSERT INTO raw_hubspot_contacts VALUES ('900', TIMESTAMP '2024-01-01', false, ?, "
            "TIMESTAMP '2024-01-01')",
            [json.dumps(old)],
        )
        fake.put("contacts", "4", lifecyclestage="salesqualifiedlead")
        ws.close()
        ws = _sync(tmp_path / "ws", fake)
        raw = _raw(ws, "raw_hubspot_contacts")
        assert raw["900"]["email"] == "old@example.jp" and raw["900"]["archived"] is False
        assert raw["4"]["lifecyclestage"] == "salesqualifiedlead"
        assert "data" not in ws.warehouse.con.table("raw_hubspot_contacts").columns
        ws.close()
    finally:
        fake.stop()


def test_read_pages_takes_bodies_with_line_breaks_and_unknown_fields() -> None:
    spec = columnar_spec("companies")
    assert spec is not None
    page = {
        "results": [
            {
                "id": "1",
                "properties": {"name": "改行\nあり", "hs_object_id": "1", "domain": None},
                "createdAt": "2025-04-01T00:00:00.000Z",
                "updatedAt": "2025-04-02T00:00:00.000Z",
                "archived": False,
                "propertiesWithHistory": {},
            }
        ],
        "paging": {"next": {"after": "1"}},
    }
    pretty = json.dumps(page, indent=2, ensure_ascii=False).encode()
    flat = columnar.read_pages(spec, [pretty, b'{"results": []}'])
    rows = flat.to_pylist()
    assert len(rows) == 1
    assert rows[0]["name"] == "改行\nあり" and rows[0]["updatedAt"] == "2025-04-02T00:00:00.000Z"
    assert "hs_object_id" not in rows[0]


def test_a_custom_property_is_fetched_stored_and_mapped(tmp_path: Path) -> None:
    fake = _fake()
    try:
        for i in range(1, 26):
            fake.put("contacts", str(i), size_band="大企業" if i % 2 else "中小企業")
        root = tmp_path / "ws"
        ws = Workspace.init(root, WorkspaceConfig(url_allow_list=["127.0.0.1"]))
        (root / "connectors").mkdir()
        # The default leads entry, with segment from the custom property.
        [leads] = [e for e in DEFAULT_MAPPING["tables"] if e["table"] == "leads"]
        entry = {
            **leads,
            "columns": {
                **leads["columns"],
                "segment": {
                    "field": "size_band",
                    "values": {"大企業": "enterprise", "中小企業": "smb"},
                },
            },
        }
        (root / "connectors" / "hubspot.mapping.yaml").write_text(
            yaml.safe_dump({"tables": [entry]}, allow_unicode=True), encoding="utf-8"
        )
        ws.connectors.connect(
            "hubspot",
            {
                "access_token": TOKEN,
                "base_url": fake.url,
                "page_size": 10,
                "contact_properties": "size_band, jobtitle",
            },
            check=False,
        )
        [result] = ws.connectors.sync("hubspot")
        assert result.status == "ok", result.error
        assert _raw(ws, "raw_hubspot_contacts")["1"]["size_band"] == "大企業"
        segments = {r["lead_id"]: r["segment"] for r in _leads(ws)}
        assert segments["1"] == "enterprise" and segments["2"] == "smb"
        ws.close()
    finally:
        fake.stop()
