"""Where the PostgreSQL tests connect (the server on the development machines and CI)."""

from __future__ import annotations

import os

PG_HOST = os.environ.get("KANAME_TEST_PG_HOST", "127.0.0.1")
PG_USER = os.environ.get("KANAME_TEST_PG_USER", "postgres")
PG_DB = os.environ.get("KANAME_TEST_PG_DB", "test")
