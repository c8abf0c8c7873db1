"""Fuzz the importer with 320 seeded odd files (tests/ingest/fuzz_files.py): no crash, counts
that reconcile with every row loaded or quarantined by its spreadsheet row number, and the
values the generator says each file holds.

Set KANAME_FUZZ_SEED to try other files; a failure names the file and what went wrong.
"""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import pytest
from fuzz_files import TABLES, Case, generate, write_all

from kaname.config import WorkspaceConfig
from kaname.ingest.importer.load import report_csv
from kaname.ingest.importer.mapping import MappingError
from kaname.ingest.importer.readers import ReadError
from kaname.spreadsheet import FORMULA_STARTS, neutralise
from kaname.workspace import Workspace

FILES = 320
SEED = int(os.environ.get("KANAME_FUZZ_SEED", "15"))


def _check(ws: Workspace, case: Case, path: Path) -> list[str]:
    """What is wrong with importing `case` (empty when all is right)."""
    mapping = {"table": case.table, "columns": case.mapping} if case.mapping else None
    try:
        summary = ws.ingest.import_file(
            case.table, path, mapping=mapping, sheet=case.sheet, score=False
        )
    except (ReadError, MappingError) as exc:  # what the CLI shows as one line, exit 2
        if case.error is None:
            return [f"refused: {exc}"]
        text = str(exc)
        return [] if case.error in text and "\n" not in text else [f"wrong error: {text}"]
    except Exception as exc:  # a crash: what the fuzz test is for
        return [f"crash: {type(exc).__name__}: {exc}"]
    if case.error is not None:
        return [f"imported, expected an error with {case.error!r}"]
    problems = []
    if not summary["reconciles"]:
        problems.append("counts do not reconcile")
    counts = (summary["rows_read"], summary["blank_rows"], summary["inserted"])
    if counts != (case.rows_read, case.blank_rows, len(case.loaded)):
        problems.append(f"rows read, blank, inserted {counts}")
    found: dict[int, set[str]] = {}
    for issue in summary["issues"]:
        found.setdefault(issue["row"], set()).add(issue["column"])
    if found != case.quarantined:
        problems.append(f"quarantined {found}, expected {case.quarantined}")
    problems += _values(ws, case)
    problems += _report_is_inert(summary["issues"])
    return problems


def _values(ws: Workspace, case: Case) -> list[str]:
    key = TABLES[case.table][0]
    t = ws.warehouse.table(case.table)
    prefix = next(iter(case.loaded), "").rsplit("-", 1)[0] + "-"
    frame = t.filter(t[key].startswith(prefix)).execute() if case.loaded else None
    got = {} if frame is None else {r[key]: r for r in frame.to_dict("records")}
    if set(got) != set(case.loaded):
        return [f"loaded keys {sorted(got)}, expected {sorted(case.loaded)}"]
    wrong = []
    for k, want in case.loaded.items():
        for column, value in want.items():
            stored = got[k][column]
            stored = stored.to_pydatetime() if hasattr(stored, "to_pydatetime") else stored
            if stored != value:
                wrong.append(f"{k}.{column} = {stored!r}, expected {value!r}")
    return wrong


def _report_is_inert(issues: list[dict]) -> list[str]:
    """The quarantine CSV has no cell a spreadsheet would run."""
    text = report_csv(issues).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    live = [c for c in cells if c.startswith(FORMULA_STARTS) and neutralise(c) != c]
    return [f"formula cells in the report: {live}"] if live else []


@pytest.mark.slow
def test_fuzzed_files_import_or_fail_cleanly(tmp_path: Path) -> None:
    cases = generate(SEED, FILES)
    folder = tmp_path / "files"
    folder.mkdir()
    paths = write_all(cases, folder)
    ws = Workspace.init(tmp_path / "ws", WorkspaceConfig(language="en"))
    started = time.perf_counter()
    try:
        failures = {}
        for case, path in zip(cases, paths, strict=True):
            problems = _check(ws, case, path)
            if problems:
                failures[case.name] = problems
    finally:
        ws.close()
    elapsed = time.perf_counter() - started
    assert not failures, f"seed {SEED}: {len(failures)} of {FILES} files wrong: {failures}"
    errors = sum(1 for c in cases if c.error)
    assert errors and errors < FILES / 2  # both kinds of file were tried
    print(f"{FILES} fuzzed files (seed {SEED}, {errors} refused) in {elapsed:.1f} s")
