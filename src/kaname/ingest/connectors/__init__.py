"""Connectors: one folder per source (configuration, source, mapping), the same shape each."""

from __future__ import annotations

import importlib

from kaname.ingest.connectors.base import Connector, ConnectorError

SOURCES = ("hubspot", "salesforce", "marketo", "ga4", "google_ads", "meta_ads")
"""Every connector Kaname ships, in the order they sync."""


def get_connector(name: str) -> Connector:
    """The connector called `name`; ConnectorError lists the valid names."""
    if name not in SOURCES:
        raise ConnectorError.of("c_unknown_source", "en", name=name, sources=", ".join(SOURCES))
    module = importlib.import_module(f"kaname.ingest.connectors.{name}")
    connector: Connector = module.CONNECTOR
    return connector
