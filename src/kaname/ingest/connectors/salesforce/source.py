"""Salesforce streams: one SOQL query per object through `queryAll` (deleted rows included, with
IsDeleted), ordered by SystemModstamp and paged with `nextRecordsUrl`.

The cursor is the newest SystemModstamp stored, saved after each flushed batch; query locators
expire, so a resumed sync queries again from the cursor rather than from a saved locator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from kaname.ingest.connectors.base import Page, RawRecord, Stream
from kaname.ingest.connectors.http import HttpClient
from kaname.ingest.connectors.mapping import parse_timestamp
from kaname.ingest.connectors.salesforce.configuration import SalesforceConfig

OBJECTS: dict[str, list[str]] = {
    "Account": [
        "Name",
        "Industry",
        "NumberOfEmployees",
        "BillingState",
        "OwnerId",
        "AccountSource",
        "CreatedDate",
    ],
    "Lead": [
        "Email",
        "Company",
        "LeadSource",
        "Status",
        "OwnerId",
        "IsConverted",
        "ConvertedDate",
        "ConvertedAccountId",
        "ConvertedContactId",
        "CreatedDate",
    ],
    "Contact": ["Email", "AccountId", "LeadSource", "OwnerId", "CreatedDate"],
    "Campaign": [
        "Name",
        "Type",
        "Status",
        "StartDate",
        "EndDate",
        "BudgetedCost",
        "ActualCost",
        "CreatedDate",
    ],
    "CampaignMember": [
        "CampaignId",
        "LeadId",
        "ContactId",
        "Status",
        "HasResponded",
        "FirstRespondedDate",
        "CreatedDate",
    ],
    "Opportunity": [
        "AccountId",
        "Name",
        "Type",
        "LeadSource",
        "CampaignId",
        "OwnerId",
        "StageName",
        "Amount",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "CreatedDate",
    ],
    "OpportunityHistory": ["OpportunityId", "StageName", "Amount", "CloseDate", "CreatedDate"],
    "Task": [
        "WhoId",
        "WhatId",
        "OwnerId",
        "Subject",
        "TaskSubtype",
        "Status",
        "CallDurationInSeconds",
        "CallDisposition",
        "ActivityDate",
        "CreatedDate",
    ],
    "Event": [
        "WhoId",
        "WhatId",
        "OwnerId",
        "Subject",
        "StartDateTime",
        "DurationInMinutes",
        "CreatedDate",
    ],
}


def _soql_time(stamp: dt.datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def object_stream(obj: str, config: SalesforceConfig, client: HttpClient) -> Stream:
    fields = ["Id", "IsDeleted", "SystemModstamp", *OBJECTS[obj]]
    base = f"/services/data/{config.api_version}"

    def fetch(state: dict[str, Any], full: bool) -> Iterator[Page]:
        cursor = (
            None if full or not state.get("cursor") else dt.datetime.fromisoformat(state["cursor"])
        )
        soql = f"SELECT {', '.join(fields)} FROM {obj}"
        if cursor is not None:
            soql += f" WHERE SystemModstamp >= {_soql_time(cursor)}"
        soql += " ORDER BY SystemModstamp ASC"
        high = cursor
        body = client.request_json("GET", f"{base}/queryAll", params={"q": soql})
        while True:
            records = []
            for rec in body.get("records", []):
                data = {k: v for k, v in rec.items() if k != "attributes"}
                stamp = parse_timestamp(rec.get("SystemModstamp"), dt.UTC)
                if stamp and (high is None or stamp > high):
                    high = stamp
                records.append(RawRecord(str(rec["Id"]), stamp, data, bool(rec.get("IsDeleted"))))
            yield Page(records, {"cursor": high.isoformat()} if high else {})
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            body = client.request_json("GET", urlsplit(next_url).path)

    return Stream(obj.lower(), fetch)


def streams(config: SalesforceConfig, client: HttpClient) -> list[Stream]:
    return [object_stream(obj, config, client) for obj in OBJECTS]
