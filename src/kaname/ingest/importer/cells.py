"""Helpers over a column of cell text: cleaned, trimmed, masks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def clean(arr: pa.Array) -> pa.Array:
    """NFKC (full-width digits and ¥ → half-width), trimmed, '' → null."""
    if pc.all(pc.string_is_ascii(arr)).as_py() is not True:
        arr = pc.utf8_normalize(arr, "NFKC")
    text = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)


def trimmed(arr: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)


def is_true(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False), dtype=bool)
