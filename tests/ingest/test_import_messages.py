"""Import errors a user meets before any row is read (no such file, a broken mapping) read in
the workspace's language and say how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaname.ingest.importer.mapping import MappingError
from kaname.workspace import Workspace


def said(ws: Workspace, en: str, ja: str) -> str:
    return ja if ws.config.language == "ja" else en


def test_a_missing_file(lang_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "展示会リスト.csv"
    with pytest.raises(FileNotFoundError) as missing:
        lang_ws.ingest.import_file("leads", path)
    assert str(missing.value) == said(
        lang_ws,
        f"no file at {path}; check the path (relative paths start in the current folder)",
        f"{path} にファイルがありません。パスを確認してください（相対パスは現在のフォルダーから）",
    )
    with pytest.raises(
        FileNotFoundError, match=said(lang_ws, "no file at", "ファイルがありません")
    ):
        lang_ws.ingest.read_mapping(tmp_path / "mapping.yaml")


def test_a_mapping_file_that_is_not_a_mapping(lang_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("table: leads\ncolumns: [a, b]\n", encoding="utf-8")
    with pytest.raises(MappingError) as broken:
        lang_ws.ingest.read_mapping(path)
    text = str(broken.value)
    assert text.startswith(
        said(lang_ws, f"{path}: not a valid mapping (", f"{path}: マッピングとして読めません（")
    )
    assert text.endswith(
        said(
            lang_ws,
            "); it needs table: and columns: {header: column}",
            "）。table: と columns: {見出し: 列} が必要です",
        )
    )
