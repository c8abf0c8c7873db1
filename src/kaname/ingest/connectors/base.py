"""What every connector is made of: a configuration model, streams of raw records, a mapping.

A connector folder (`hubspot/`, `salesforce/`, ...) has the same four files: `configuration.py`
(pydantic credentials and settings), `source.py` (the streams: how records are fetched and paged),
`mapping.py` (the default raw → canonical mapping) and `__init__.py` (the `CONNECTOR` object that
puts them together). A new source is a copy of a folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from kaname.ingest.connectors.columnar import ColumnarSpec
from kaname.ingest.connectors.http import HttpClient
from kaname.ingest.messages import both, message


class ConnectorError(Exception):
    """A source cannot be connected or synced; the message says what to do.

    `str(exc)` is the message in the workspace's language; `texts` holds it in each language
    when it is one of ours (ingest/messages.py), so the web can show it in the user's."""

    def __init__(self, *args: object, texts: Mapping[str, str] | None = None) -> None:
        super().__init__(*args)
        self.texts: dict[str, str] = dict(texts or {})

    @classmethod
    def of(cls, key: str, language: str, /, **values: Any) -> ConnectorError:
        """The error for message `key` (ingest/messages.py) in `language`, with both texts."""
        return cls(message(key, language, **values), texts=both(key, **values))

    def text(self, language: str) -> str:
        """The message in `language` when we wrote it in that language, else as raised."""
        return self.texts.get(language) or str(self)


class PermanentSourceError(ConnectorError):
    """The source refused the request for good (bad credentials, missing permission, bad query)."""


@dataclass(frozen=True)
class RawRecord:
    """One record as the source returned it, with the fields every raw table has."""

    id: str
    """Source key (HubSpot id, Salesforce Id, Marketo id, or a composite for reports)."""
    modified_at: dt.datetime | None
    """The source's last-modified time: the incremental cursor."""
    data: Mapping[str, Any]
    """The record, flattened to one level where the source nests its fields."""
    deleted: bool = False
    """True when the source reports the record archived, deleted or merged away."""


@dataclass(frozen=True)
class Sweep:
    """Ends a report window pulled again: the stream's raw rows dated within [first, last]
    (their `modified_at`: a report row's day) whose ids were not in the window are gone from the
    source, so they are marked deleted and their canonical rows removed."""

    first: dt.date
    last: dt.date
    seen: frozenset[str]
    """Ids of every row the window returned."""


@dataclass(frozen=True)
class Page:
    """Records fetched in one request, and the stream state to commit once they are stored."""

    records: list[RawRecord]
    state: dict[str, Any]
    """The whole stream state after this page (cursor, resume token); saved only after the data."""
    body: bytes | None = None
    """A columnar stream's page as the API sent it (JSON): its records are read from it in
    bulk by the writer (`Stream.columnar`) instead of one RawRecord each."""
    count: int = 0
    """Records in `body`."""
    commit: bool = False
    """Write what is buffered and save `state` now (a completed step worth keeping, such as an
    export window), however few records it holds."""
    sweep: Sweep | None = None
    """This page ends a report window: rows of the window not seen any more are removed."""


@dataclass(frozen=True)
class Stream:
    """One raw table of a source: `fetch(state, full)` yields pages from where the state says."""

    name: str
    """Raw table is `raw_<source>_<name>`."""
    fetch: Callable[..., Iterator[Page]]
    """fetch(state, full) — and fetch(state, full, bodies=True) for a columnar stream."""
    strings: bool = False
    """Every scalar field of its records is a string (HubSpot CRM properties): the mapping can
    run in SQL on the raw JSON (sqlmap)."""
    columnar: ColumnarSpec | None = None
    """How to read its records from page bodies in bulk; such a stream's `fetch` also takes
    `bodies=True`, and then yields `Page.body` instead of RawRecords (connectors/columnar.py)."""


class SourceConfig(BaseModel):
    """Base of each connector's settings; fields typed SecretStr are stored encrypted."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    base_url: str = ""
    """API root; empty means the vendor's production URL (tests point it at a local server)."""
    schedule_minutes: int = 60
    """How often the server syncs this source (0 = only on demand)."""


@dataclass(frozen=True)
class Connector:
    """A source Kaname can sync: its settings, its streams and its default mapping."""

    name: str
    title: str
    config_model: type[SourceConfig]
    default_url: str
    """The vendor's API root, used when the config's base_url is empty."""
    streams: Callable[[Any, HttpClient], list[Stream]]
    """Build the streams for a validated config and an HTTP client with the source's auth."""
    auth: Callable[[Any], Any]
    """Build the httpx auth (token, OAuth refresh) for a validated config."""
    default_mapping: dict[str, Any]
    """Raw → canonical mapping (mapping.py), overridable per workspace in YAML."""
    doc: str = ""
    is_auth_error: Callable[[Any], bool] | None = None
    """How the source says a token expired, when it is not HTTP 401."""
    status_of: Callable[[Any], int] | None = None
    """The HTTP status a response stands for, when the API reports errors in a 200 body
    (Marketo: 601/602 → 401, 606/615 → 429, 604/608/611/713 → 503)."""
