"""Where the PostgreSQL tests connect (the server on the development machines and CI)."""

from __future__ import annotations

import os

PG_HOST = os.environ.get("KANAME_TEST_PG_HOST", "127.0.0.1")
PG_USER = os.environ.get("KANAME_TEST_PG_USER", "postgres")
PG_DB = os.environ.get("KANAME_TEST_PG_DB", "test")


def pg_urls(schema: str) -> dict[str, str]:
    """WorkspaceConfig settings putting both stores in `schema` of the test database."""
    return {
        "warehouse_url": f"postgres://{PG_USER}@{PG_HOST}:5432/{PG_DB}?schema={schema}",
        "app_db_url": (
            f"postgresql+psycopg://{PG_USER}@{PG_HOST}/{PG_DB}?options=-csearch_path%3D{schema}"
        ),
    }
