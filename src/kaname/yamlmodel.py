"""Read a YAML document into a pydantic model, with errors that name the file and the field."""

from __future__ import annotations

from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(text: str, model: type[M], source: str, error: type[Exception]) -> M:
    """Parse `text` as `model`; raise `error` with '<source>: field: problem; ...' on failure."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source} is not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise error(f"{source}: {problems}") from exc
