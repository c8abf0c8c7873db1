"""Attribution paths: parsing channel paths ("search > email" or sequences), merging identical
ones, and flattening them into one array of touches that every attribution model reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class AttributionError(ValueError):
    """Paths or model options that cannot be attributed; the message says what to change."""


@dataclass(frozen=True)
class Touches:
    """Paths flattened to one entry per touch (numpy arrays), the form every model works on."""

    journey: np.ndarray  # int64: row of the journey
    position: np.ndarray  # int64: index of the touch in its path
    length: np.ndarray  # int64: length of the touch's path
    channel: np.ndarray  # int64: code into `channels`
    channels: tuple[str, ...]
    conversions: np.ndarray  # float64 per journey
    nulls: np.ndarray  # float64 per journey
    value: np.ndarray  # float64 per journey
    frame: pd.DataFrame  # the normalised journeys (for optional columns)

    @property
    def journeys(self) -> int:
        return len(self.conversions)


def _split(path: Any) -> list[str]:
    if isinstance(path, str):
        return [p.strip() for p in path.split(">") if p.strip()]
    if path is None or (isinstance(path, float) and np.isnan(path)):
        return []
    return list(map(str, path))


def _path_key(path: Any) -> Any:
    """A hashable stand-in for a path (strings as they are, sequences as tuples)."""
    if isinstance(path, str) or path is None or (isinstance(path, float) and np.isnan(path)):
        return path
    return tuple(map(str, path))


@dataclass(frozen=True)
class _DistinctPaths:
    codes: np.ndarray  # int64 per journey: index into the distinct paths
    lengths: np.ndarray  # int64 per distinct path
    tokens: pa.Array  # the distinct paths' channels end to end

    def lists(self) -> np.ndarray:
        """Each distinct path as a list of channels (object array)."""
        words = self.tokens.to_pylist()
        out = np.empty(len(self.lengths), dtype=object)
        ends, lengths = np.cumsum(self.lengths).tolist(), self.lengths.tolist()
        for i, (end, n) in enumerate(zip(ends, lengths, strict=True)):
            out[i] = words[end - n : end]
        return out


def _arrow_lists(column: pd.Series) -> pa.Array | None:
    """The column's Arrow list array when it is one (paths built on the warehouse), else None."""
    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_list(dtype.pyarrow_dtype) or pa.types.is_large_list(dtype.pyarrow_dtype)
    ):
        arrow = pa.array(column.array)  # an Arrow-backed column converts without a copy
        return arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
    return None


def _list_keys(lists: pa.Array) -> np.ndarray:
    """One hashable string per path of an Arrow list array (None for a missing path)."""
    separator = pa.scalar("\x1f", pa.large_string())
    joined = pc.binary_join(pc.cast(lists, pa.large_list(pa.large_string())), separator)
    return joined.to_numpy(zero_copy_only=False)


def _distinct_paths(column: pd.Series) -> _DistinctPaths:
    """Each journey's code into the distinct paths, and the distinct paths' channels.

    Journeys repeat the same paths (a million journeys over a dozen channels hold ~10^5 distinct
    ones); string paths are hashed and split by Arrow, without a Python call per journey, and
    Arrow list paths are read as they are.
    """
    lists = _arrow_lists(column)
    if lists is not None:
        codes, uniques = pd.factorize(_list_keys(lists))
        present = codes >= 0
        _, first = np.unique(codes[present], return_index=True)
        distinct = lists.take(pa.array(np.flatnonzero(present)[first]))
        tokens = pc.cast(pc.list_flatten(distinct), pa.large_string())
        lengths = pc.list_value_length(distinct).to_numpy(zero_copy_only=False).astype(np.int64)
    elif pd.api.types.infer_dtype(column, skipna=True) == "string":
        codes, uniques = pd.factorize(column)
        parts = pc.split_pattern(pa.array(uniques, type=pa.large_string()), ">")
        tokens = pc.utf8_trim_whitespace(pc.list_flatten(parts))
        keep = pc.greater(pc.utf8_length(tokens), 0)
        tokens = tokens.filter(keep)
        parent = pc.list_parent_indices(parts).filter(keep).to_numpy()
        lengths = np.bincount(parent, minlength=len(uniques)).astype(np.int64)
    else:
        keys = pd.Series(column.map(_path_key).to_numpy(dtype=object), dtype=object)
        codes, uniques = pd.factorize(keys)
        paths = [_split(u) for u in uniques]
        lengths = np.fromiter(map(len, paths), dtype=np.int64, count=len(paths))
        tokens = pa.array([c for p in paths for c in p], type=pa.large_string())
    if (codes < 0).any():  # missing paths: one more, empty, distinct path
        lengths = np.append(lengths, 0)
        codes = np.where(codes < 0, len(lengths) - 1, codes)
    return _DistinctPaths(codes.astype(np.int64), lengths, tokens)


def _normalise_with_codes(
    paths: pd.DataFrame, *, path_lists: bool = True
) -> tuple[pd.DataFrame, _DistinctPaths]:
    """`normalise_paths` plus each journey's code into the distinct paths (see `flatten`);
    without `path_lists` the `path` column is left as given."""
    if "path" not in paths.columns:
        raise AttributionError("paths need a `path` column (channels in order, or 'a > b > c')")
    frame = paths.copy()
    distinct = _distinct_paths(frame["path"])
    if path_lists:
        as_lists = distinct.lists()[distinct.codes]
        frame["path"] = pd.Series(as_lists, index=frame.index, dtype=object)
    if "conversions" not in frame.columns:
        frame["conversions"] = 1.0
    frame["conversions"] = frame["conversions"].fillna(0).astype("float64")
    if "nulls" not in frame.columns:
        frame["nulls"] = (frame["conversions"] <= 0).astype("float64")
    frame["nulls"] = frame["nulls"].fillna(0).astype("float64")
    if "value" not in frame.columns:
        frame["value"] = 0.0
    frame["value"] = frame["value"].fillna(0).astype("float64")
    if (frame[["conversions", "nulls"]] < 0).any().any():
        raise AttributionError("conversions and nulls must not be negative")
    lengths = distinct.lengths[distinct.codes]
    lost = frame.loc[lengths == 0, "conversions"].sum()
    if lost > 0:
        raise AttributionError(
            f"{lost:g} conversions have an empty path; give them a channel (e.g. 'direct')"
        )
    keep = lengths > 0
    codes = distinct.codes[keep]
    return frame.loc[keep].reset_index(drop=True), replace(distinct, codes=codes)


def normalise_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """Paths as lists with `conversions`, `nulls` and `value` filled in; empty paths dropped."""
    return _normalise_with_codes(paths)[0]


def _starts(lengths: np.ndarray) -> np.ndarray:
    return np.cumsum(lengths) - lengths


def flatten(paths: pd.DataFrame) -> Touches:
    """Normalise and flatten paths (vectorised; fine for millions of touches)."""
    return flatten_paths(paths, path_lists=True)


def flatten_paths(paths: pd.DataFrame, *, path_lists: bool) -> Touches:
    frame, distinct = _normalise_with_codes(paths, path_lists=path_lists)
    codes, path_lengths = distinct.codes, distinct.lengths
    uniques = pc.unique(distinct.tokens)
    uniques = uniques.take(pc.sort_indices(uniques))  # channel codes in sorted order
    token_codes = pc.index_in(distinct.tokens, value_set=uniques).to_numpy(zero_copy_only=False)
    lengths = path_lengths[codes]
    journey = np.repeat(np.arange(len(frame), dtype=np.int64), lengths)
    position = np.arange(len(journey), dtype=np.int64) - np.repeat(_starts(lengths), lengths)
    channel = token_codes[np.repeat(_starts(path_lengths)[codes], lengths) + position]
    return Touches(
        journey=journey,
        position=position,
        length=np.repeat(lengths, lengths),
        channel=channel.astype(np.int64),
        channels=tuple(uniques.to_pylist()),
        conversions=frame["conversions"].to_numpy(),
        nulls=frame["nulls"].to_numpy(),
        value=frame["value"].to_numpy(),
        frame=frame,
    )


def credit_frame(
    channels: Sequence[str], conversions: np.ndarray, value: np.ndarray
) -> pd.DataFrame:
    out = pd.DataFrame(
        {"channel": list(channels), "conversions": conversions, "value": value}
    ).astype({"channel": "object"})
    total = out["conversions"].sum()
    out["share"] = out["conversions"] / total if total else 0.0
    return out.sort_values(["conversions", "channel"], ascending=[False, True]).reset_index(
        drop=True
    )


def merge_same_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct path with its journeys' conversions, nulls and value added up: all a
    Markov chain needs from the paths, in far fewer rows (a million journeys over a dozen
    channels hold ~10^5 distinct paths). Other columns are dropped."""
    if "path" not in paths.columns:
        raise AttributionError("paths need a `path` column (channels in order, or 'a > b > c')")
    n = len(paths)

    def column(name: str, default: np.ndarray) -> np.ndarray:
        if name not in paths.columns:
            return default
        return paths[name].fillna(0).to_numpy(dtype="float64")

    conversions = column("conversions", np.ones(n))
    nulls = column("nulls", (conversions <= 0).astype("float64"))
    value = column("value", np.zeros(n))
    if (conversions < 0).any() or (nulls < 0).any():
        raise AttributionError("conversions and nulls must not be negative")
    key = paths["path"]
    lists = _arrow_lists(key)
    if lists is not None:
        key = pd.Series(_list_keys(lists), dtype=object)
    elif pd.api.types.infer_dtype(key, skipna=True) != "string":
        key = pd.Series(key.map(_path_key).to_numpy(dtype=object), dtype=object)
    codes, uniques = pd.factorize(key)
    missing = codes < 0  # kept as one empty path, so the usual checks apply to it
    m = len(uniques) + int(missing.any())
    path = pd.Series(uniques).reindex(range(m))
    if lists is not None:  # the distinct paths as the Arrow lists they came as
        _, first = np.unique(codes[~missing], return_index=True)
        taken = np.flatnonzero(~missing)[first].tolist() + [None] * int(missing.any())
        path = pd.Series(pd.arrays.ArrowExtensionArray(lists.take(pa.array(taken, pa.int64()))))
    codes = np.where(missing, m - 1, codes)
    return pd.DataFrame(
        {
            "path": path,
            "conversions": np.bincount(codes, weights=conversions, minlength=m),
            "nulls": np.bincount(codes, weights=nulls, minlength=m),
            "value": np.bincount(codes, weights=value, minlength=m),
        }
    )
