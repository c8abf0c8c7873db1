"""Read a YAML document into a pydantic model, with errors that name the file, the line and the
field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists read (a plan is a handful of levels deep); deeper
documents are refused before the recursive composer could overflow the stack."""


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise yaml.YAMLError when `text` nests collections deeper than `max_depth`; the event
    parser used here is iterative, so the check itself cannot recurse."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                mark = event.start_mark
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {max_depth} levels deep",
                    problem_mark=mark if isinstance(mark, yaml.Mark) else None,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def safe_load(text: str) -> object:
    """yaml.safe_load after `check_depth`."""
    check_depth(text)
    return yaml.safe_load(text)


def load_yaml_model(text: str, model: type[M], source: str, error: type[Exception]) -> M:
    """Parse `text` as `model`; raise `error` with '<source> line N: field: problem; ...'."""
    try:
        data = safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise error(f"{source} is not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"]) or "(top level)"
            line = _line(root, err["loc"])
            where = f"line {line}: " if line else ""
            problems.append(f"{where}{path}: {err['msg']}")
        raise error(f"{source}: {'; '.join(problems)}") from exc


def _line(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the YAML node at `loc` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            found = node.value[key]
        else:
            found = None
        if found is None:
            break
        node = found
        line = node.start_mark.line + 1
    return line
