"""Docs that cannot drift: generated references are current, every command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaname.cli.docs_gen import DOCS
from kaname.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(DOCS))
def test_generated_docs_are_current(name: str) -> None:
    current = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert current == DOCS[name](), f"docs/{name} is stale: run `make docs`"


def test_every_cli_command_is_in_the_cli_reference() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    names += [g.name or "" for g in app.registered_groups]
    for name in names:
        assert f"kaname {name}" in text, f"`kaname {name}` is not documented in docs/cli.md"
