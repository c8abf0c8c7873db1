"""The fake servers' payloads checked against the vendors' own Python SDKs (issue 5): HubSpot's
list and search responses deserialize into hubspot-api-client's models (client-side validation
on, every key the fake sends is a field of the model, every field the connector reads exists);
simple-salesforce's `query_all` pages the fake org through `nextRecordsUrl` to the same records
the connector gets; Marketo (no official Python SDK) answers in its documented envelope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from connector_fakes import FakeHubSpot, FakeMarketo, FakeSalesforce
from requests.adapters import HTTPAdapter

from kaname.ingest.connectors.http import HttpClient
from kaname.ingest.connectors.hubspot.source import OBJECTS, SINGULAR
from kaname.ingest.connectors.salesforce.configuration import SalesforceConfig
from kaname.ingest.connectors.salesforce.source import OBJECTS as SF_OBJECTS
from kaname.ingest.connectors.salesforce.source import object_stream

hubspot = pytest.importorskip("hubspot")
simple_salesforce = pytest.importorskip("simple_salesforce")

TOKEN = "pat-na1-sdk-check"


class _Body:
    """What the SDK's ApiClient.deserialize reads from a urllib3 response."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def _deserialize(module: str, body: bytes, model: str) -> Any:
    api = __import__(f"hubspot.crm.{module}", fromlist=["ApiClient"])
    return api.ApiClient().deserialize(_Body(body), model)


def _model_keys(model: Any) -> set[str]:
    return set(type(model).attribute_map.values())


def _check_keys(payload: dict[str, Any], model: Any, where: str) -> None:
    """Every key the fake sends is a field of the SDK model (recursively through nested
    models), so the fake invents nothing HubSpot does not send."""
    unknown = set(payload) - _model_keys(model)
    assert not unknown, f"{where}: {sorted(unknown)} not in {type(model).__name__}"
    for attr, key in type(model).attribute_map.items():
        value, sub = payload.get(key), getattr(model, attr)
        if isinstance(value, dict) and hasattr(sub, "attribute_map"):
            _check_keys(value, sub, f"{where}.{key}")
        if isinstance(value, list) and isinstance(sub, list):
            for i, (item, obj) in enumerate(zip(value, sub, strict=True)):
                if isinstance(item, dict) and hasattr(obj, "attribute_map"):
                    _check_keys(item, obj, f"{where}.{key}[{i}]")
        if isinstance(value, dict) and isinstance(sub, dict):
            for name, item in value.items():
                obj = sub[name]
                if isinstance(item, dict) and hasattr(obj, "attribute_map"):
                    _check_keys(item, obj, f"{where}.{key}.{name}")
                if isinstance(item, list):
                    for i, (one, o) in enumerate(zip(item, obj, strict=True)):
                        if isinstance(one, dict) and hasattr(o, "attribute_map"):
                            _check_keys(one, o, f"{where}.{key}.{name}[{i}]")


@pytest.fixture(scope="module")
def hs() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(TOKEN)
    fake.put("companies", "9001", name="株式会社アルファ", domain="alpha.example.jp")
    fake.put("companies", "9002", name="ベータ", domain="beta.example.jp")
    for i in range(1, 4):
        fake.put(
            "contacts",
            str(i),
            email=f"c{i}@alpha.example.jp",
            lifecyclestage="lead",
            hs_analytics_source="ORGANIC_SEARCH",
            associatedcompanyid="9001",
        )
    fake.put("deals", "501", dealname="導入", dealstage="appointmentscheduled", amount=1200000)
    fake.put("deals", "501", dealstage="closedwon")
    fake.associate("deals", "501", "companies", "9001")
    fake.associate("deals", "501", "contacts", "1")
    yield fake
    fake.stop()


def _get(fake: FakeHubSpot, path: str, **params: Any) -> bytes:
    response = httpx.get(
        fake.url + path, params=params, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.text
    return response.content


def _post(fake: FakeHubSpot, path: str, payload: dict[str, Any]) -> bytes:
    response = httpx.post(
        fake.url + path, json=payload, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("kind", ["contacts", "companies", "deals"])
def test_hubspot_list_pages_are_sdk_collection_responses(hs: FakeHubSpot, kind: str) -> None:
    """The list endpoint exactly as the connector calls it (first sync), page size 1 so that
    `paging.next` is present, deserialized into the SDK's list model with validation on."""
    from kaname.ingest.connectors.hubspot.source import _params

    spec = OBJECTS[kind]
    params = _params(spec, 1, archived=False)
    body = _get(hs, f"/crm/v3/objects/{kind}", **params)
    model = _deserialize(
        kind, body, "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging"
    )
    payload = json.loads(body)
    _check_keys(payload, model, kind)
    assert model.results, kind
    first = model.results[0]
    # What the connector's _record reads: id, properties, createdAt, updatedAt, archived,
    # associations.<type>.results[].id, propertiesWithHistory.<prop>[].value/timestamp.
    assert first.id and isinstance(first.properties, dict)
    assert first.created_at is not None and first.updated_at is not None
    assert first.archived is False
    assert spec["modified"] in first.properties
    if kind != "deals":
        assert model.paging is not None and model.paging.next.after  # more than one page
    if kind == "deals":
        [deal] = model.results
        assert {a.id for a in deal.associations["companies"].results} == {"9001"}
        assert {a.id for a in deal.associations["contacts"].results} == {"1"}
        history = deal.properties_with_history["dealstage"]
        assert [h.value for h in history] == ["closedwon", "appointmentscheduled"]
        assert all(h.timestamp is not None for h in history)
        assert set(SINGULAR) >= set(deal.associations)


@pytest.mark.parametrize("kind", ["contacts", "companies", "deals"])
def test_hubspot_search_pages_are_sdk_collection_responses(hs: FakeHubSpot, kind: str) -> None:
    """The search request the connector sends on incremental syncs, into the SDK's search
    response model (total, results, paging.next.after)."""
    spec = OBJECTS[kind]
    payload = {
        "filterGroups": [
            {"filters": [{"propertyName": spec["modified"], "operator": "GTE", "value": "0"}]}
        ],
        "sorts": [{"propertyName": spec["modified"], "direction": "ASCENDING"}],
        "properties": spec["properties"],
        "limit": 1,
    }
    body = _post(hs, f"/crm/v3/objects/{kind}/search", payload)
    model = _deserialize(kind, body, "CollectionResponseWithTotalSimplePublicObjectForwardPaging")
    _check_keys(json.loads(body), model, f"{kind} search")
    assert model.total == len(hs.objects[kind])
    assert len(model.results) == 1 and model.results[0].properties[spec["modified"]]
    if model.total > 1:
        assert model.paging.next.after == "1"


def test_hubspot_owners_page_is_an_sdk_collection_response(hs: FakeHubSpot) -> None:
    body = _get(hs, "/crm/v3/owners", limit=100)
    model = _deserialize("owners", body, "CollectionResponsePublicOwnerForwardPaging")
    _check_keys(json.loads(body), model, "owners")
    assert model.results[0].id == "101" and model.results[0].updated_at is not None


# --------------------------------------------------------------------------- Salesforce
class _HttpsToHttp(HTTPAdapter):
    """simple-salesforce builds every URL as https://{instance}/... (base_url, and
    `query_more` with nextRecordsUrl); the fake org speaks plain HTTP on 127.0.0.1, so this
    adapter, mounted on the session for that host only, sends those requests over HTTP."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        request.url = str(request.url).replace("https://", "http://", 1)
        return super().send(request, *args, **kwargs)


@pytest.fixture
def org() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(batch=2)
    for i in range(1, 6):
        fake.put("Lead", f"00Q{i}", Email=f"lead{i}@example.jp", LeadSource="Web", Status="Open")
    fake.delete("Lead", "00Q3")
    fake.valid_token = "00Dxx!sdk-check"
    yield fake
    fake.stop()


class _Bearer:
    def __init__(self, token: str) -> None:
        self.token = token

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self.token}"

    def refresh(self, client: httpx.Client) -> bool:
        return False


def test_simple_salesforce_query_all_pages_the_fake_org_like_the_connector(
    org: FakeSalesforce,
) -> None:
    host = org.url.split("://", 1)[1]
    session = requests.Session()
    session.mount(f"https://{host}", _HttpsToHttp())
    sf = simple_salesforce.Salesforce(
        instance_url=org.url, session_id=org.valid_token, session=session, version="60.0"
    )
    config = SalesforceConfig(
        instance_url=org.url, client_id="id", client_secret="secret", refresh_token="refresh"
    )
    client = HttpClient(org.url, _Bearer(org.valid_token))
    try:
        stream = object_stream("Lead", config, client)
        ours = [r for page in stream.fetch({}, True) for r in page.records]
    finally:
        client.close()
    fields = ["Id", "IsDeleted", "SystemModstamp", *SF_OBJECTS["Lead"]]
    soql = f"SELECT {', '.join(fields)} FROM Lead ORDER BY SystemModstamp ASC"
    before = org.count("/services/data/v60.0/query/")
    result = sf.query_all(soql, include_deleted=True)
    # 5 leads in batches of 2: queryAll, then two nextRecordsUrl pages followed by the SDK.
    assert org.count("/services/data/v60.0/query/") - before == 2
    assert result["done"] is True and result["totalSize"] == 5
    records = result["records"]
    for rec in records:
        assert set(rec["attributes"]) == {"type", "url"}
        assert rec["attributes"]["type"] == "Lead"
        assert rec["attributes"]["url"] == f"/services/data/v60.0/sobjects/Lead/{rec['Id']}"
    sdk = [{k: v for k, v in rec.items() if k != "attributes"} for rec in records]
    assert sdk == [dict(r.data) for r in ours]
    assert [r.id for r in ours] == [rec["Id"] for rec in records]
    assert [r.deleted for r in ours] == [rec["IsDeleted"] for rec in records]
    assert [r.id for r in ours if r.deleted] == ["00Q3"]


# --------------------------------------------------------------------------- Marketo
ENVELOPE = {"requestId", "success", "result", "moreResult", "nextPageToken", "errors", "warnings"}
"""Marketo's documented REST response envelope (developers.marketo.com, "Response Structure")."""


def _envelope(body: dict[str, Any]) -> None:
    assert set(body) <= ENVELOPE, set(body) - ENVELOPE
    assert isinstance(body["requestId"], str) and body["requestId"]
    assert isinstance(body["success"], bool)
    if "result" in body:
        assert isinstance(body["result"], list)
    if "moreResult" in body:
        assert isinstance(body["moreResult"], bool)
    if "nextPageToken" in body:
        assert isinstance(body["nextPageToken"], str)
    if not body["success"]:
        assert body["errors"]
    for error in body.get("errors", []):
        assert set(error) == {"code", "message"}
        assert isinstance(error["code"], str) and error["code"].isdigit()
        assert isinstance(error["message"], str)


def test_marketo_fake_answers_in_marketos_documented_envelope() -> None:
    fake = FakeMarketo("cid", "csecret")
    try:
        for i in range(1, 4):
            fake.put_lead(i, email=f"l{i}@example.jp")
        fake.act(1, 1, primaryAttributeValue="/pricing")
        fake.delete_lead(3)
        with httpx.Client(base_url=fake.url) as http:
            bad = http.get("/rest/v1/leads.json", params={"filterType": "id", "filterValues": "1"})
            _envelope(bad.json())
            assert bad.status_code == 200 and bad.json()["errors"][0]["code"] == "601"
            token = http.get(
                "/identity/oauth/token",
                params={
                    "grant_type": "client_credentials",
                    "client_id": "cid",
                    "client_secret": "csecret",
                },
            ).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            start = http.get(
                "/rest/v1/activities/pagingtoken.json",
                params={"sinceDatetime": "2025-01-01T00:00:00Z"},
            ).json()
            _envelope(start)
            page = start
            pages = 0
            while True:
                page = http.get(
                    "/rest/v1/activities/leadchanges.json",
                    params={"nextPageToken": page["nextPageToken"], "fields": "email"},
                ).json()
                _envelope(page)
                pages += 1
                if not page["moreResult"]:
                    break
            assert pages >= 2
            leads = http.get(
                "/rest/v1/leads.json",
                params={"filterType": "id", "filterValues": "1,2", "fields": "id,email"},
            ).json()
            _envelope(leads)
            assert [lead["id"] for lead in leads["result"]] == [1, 2]
            for path, params in [
                ("/rest/v1/activities.json", {"nextPageToken": "bad"}),
                ("/rest/asset/v1/programs.json", {"offset": 0}),
                ("/rest/v1/unknown.json", {}),
            ]:
                body = http.get(path, params=params).json()
                _envelope(body)
                assert body["success"] is False
    finally:
        fake.stop()
