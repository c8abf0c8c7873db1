"""Connect: getting data into the canonical tables (the demo company today; importers and
connectors next)."""
