"""Multi-touch attribution: rule models, Markov chains (exact removal effects) and Shapley values.

Input is a DataFrame of paths, one row per journey or per distinct path (see `normalise_paths`):

- `path`: the channels touched in order, as a sequence or a string "search > email".
- `conversions` (default 1 per row): conversions at the end of the path; `value` (default 0):
  their revenue; `nulls` (default: 1 where `conversions` is 0): journeys that did not convert.
- Optional per-touch and milestone columns used by some rule models: `days_before` (days from
  each touch to the conversion, for time decay), `lead_touch`, `opportunity_touch`,
  `close_touch` (index in the path of the touch that created the lead, the opportunity, and the
  last one before the deal closed). Absent milestones default to the last touch.

Every model returns one row per channel with `conversions` and `value` credited; the credits
always add up to the total conversions and value of the paths (the tests check it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from math import factorial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.sparse.linalg import splu

RULE_MODELS = (
    "first_touch",
    "last_touch",
    "lead_creation",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "j_shaped",
    "inverse_j",
    "custom",
)
DATA_DRIVEN_MODELS = ("markov", "shapley")
MODELS = RULE_MODELS + DATA_DRIVEN_MODELS

MODEL_NAMES = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "lead_creation": "Lead creation",
    "linear": "Linear",
    "time_decay": "Time decay",
    "u_shaped": "U-shaped (40/20/40)",
    "w_shaped": "W-shaped (30/30/30/10)",
    "full_path": "Full path (22.5×4/10)",
    "j_shaped": "J-shaped (20/20/60)",
    "inverse_j": "Inverse J (60/20/20)",
    "custom": "Custom position weights",
    "markov": "Markov chain",
    "shapley": "Shapley value",
}

# Anchor weights of the position-based models; what is left goes evenly to the other touches.
POSITION_WEIGHTS: dict[str, dict[str, float]] = {
    "first_touch": {"first": 1.0},
    "last_touch": {"last": 1.0},
    "lead_creation": {"lead": 1.0},
    "u_shaped": {"first": 0.4, "lead": 0.4},
    "w_shaped": {"first": 0.3, "lead": 0.3, "opportunity": 0.3},
    "full_path": {"first": 0.225, "lead": 0.225, "opportunity": 0.225, "close": 0.225},
    "j_shaped": {"first": 0.2, "last": 0.6},
    "inverse_j": {"first": 0.6, "last": 0.2},
}
ANCHORS = ("first", "last", "lead", "opportunity", "close")
MILESTONE_COLUMNS = {
    "lead": "lead_touch",
    "opportunity": "opportunity_touch",
    "close": "close_touch",
}


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
    return [str(p) for p in path]


def _path_key(path: Any) -> Any:
    """A hashable stand-in for a path (strings as they are, sequences as tuples)."""
    if isinstance(path, str) or path is None or (isinstance(path, float) and np.isnan(path)):
        return path
    return tuple(str(p) for p in path)


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


def _distinct_paths(column: pd.Series) -> _DistinctPaths:
    """Each journey's code into the distinct paths, and the distinct paths' channels.

    Journeys repeat the same paths (a million journeys over a dozen channels hold ~10^5 distinct
    ones); string paths are hashed and split by Arrow, without a Python call per journey.
    """
    if pd.api.types.infer_dtype(column, skipna=True) == "string":
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
    return _flatten(paths, path_lists=True)


def _flatten(paths: pd.DataFrame, *, path_lists: bool) -> Touches:
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


def _credit_frame(
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


def _milestone(touches: Touches, name: str) -> np.ndarray:
    """Per-touch index of the milestone touch of its journey (the last touch when absent)."""
    last = touches.length - 1
    if name == "first":
        return np.zeros_like(last)
    if name == "last":
        return last
    column = MILESTONE_COLUMNS[name]
    if column not in touches.frame.columns:
        return last
    raw = touches.frame[column].to_numpy(dtype="float64")
    per_journey = np.where(np.isnan(raw) | (raw < 0), -1, raw).astype(np.int64)
    index = per_journey[touches.journey]
    return np.where((index < 0) | (index > last), last, index)


def position_weights(touches: Touches, anchors: Mapping[str, float]) -> np.ndarray:
    """Per-touch weights of a position-based model; each journey's weights sum to 1.

    Anchors (first, last, lead, opportunity, close) get their weight (added up where they fall
    on the same touch); the remainder is split evenly over the other touches, or, when a path
    has no other touch, shared by its anchors in proportion to their weights.
    """
    unknown = set(anchors) - set(ANCHORS)
    if unknown:
        raise AttributionError(
            f"unknown position(s) {', '.join(sorted(unknown))}; use {', '.join(ANCHORS)}"
        )
    weights = {k: float(v) for k, v in anchors.items() if float(v) != 0}
    if any(v < 0 for v in weights.values()):
        raise AttributionError("position weights must not be negative")
    anchored = sum(weights.values())
    if anchored > 1 + 1e-9 or anchored <= 0:
        raise AttributionError(f"position weights must add up to (0, 1]; they add up to {anchored}")
    middle = max(0.0, 1.0 - anchored)
    anchor_w = np.zeros(len(touches.journey))
    is_anchor = np.zeros(len(touches.journey), dtype=bool)
    for name, w in weights.items():
        hit = touches.position == _milestone(touches, name)
        anchor_w += w * hit
        is_anchor |= hit
    others = np.bincount(touches.journey, weights=~is_anchor, minlength=touches.journeys)
    n_other = others[touches.journey]
    # Anchors of a journey with no other touch take the middle weight pro rata.
    anchor_sum = np.bincount(touches.journey, weights=anchor_w, minlength=touches.journeys)
    scale = np.where(n_other > 0, 1.0, 1.0 / np.maximum(anchor_sum[touches.journey], 1e-300))
    out = anchor_w * scale
    spread = np.where(n_other > 0, middle / np.maximum(n_other, 1), 0.0)
    return np.where(is_anchor, out, spread)


def time_decay_weights(touches: Touches, half_life_days: float) -> np.ndarray:
    if half_life_days <= 0:
        raise AttributionError("the half-life must be positive (days)")
    if "days_before" not in touches.frame.columns:
        raise AttributionError(
            "time decay needs `days_before`: for each touch, days from it to the conversion"
        )
    lists = touches.frame["days_before"].map(lambda v: list(v) if v is not None else [])
    if (lists.map(len).to_numpy() != touches.frame["path"].map(len).to_numpy()).any():
        raise AttributionError("`days_before` must have one number per touch of the path")
    days = np.fromiter((d for ds in lists for d in ds), dtype="float64", count=len(touches.journey))
    raw = np.power(0.5, np.clip(days, 0, None) / half_life_days)
    total = np.bincount(touches.journey, weights=raw, minlength=touches.journeys)
    return raw / total[touches.journey]


def _apply(touches: Touches, weights: np.ndarray) -> pd.DataFrame:
    n = len(touches.channels)
    conv = np.bincount(
        touches.channel, weights=weights * touches.conversions[touches.journey], minlength=n
    )
    value = np.bincount(
        touches.channel, weights=weights * touches.value[touches.journey], minlength=n
    )
    return _credit_frame(touches.channels, conv, value)


def rule_based(
    paths: pd.DataFrame | Touches,
    model: str,
    *,
    half_life_days: float = 7.0,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Credit conversions and value with a rule model (see RULE_MODELS)."""
    touches = paths if isinstance(paths, Touches) else flatten(paths)
    if model == "linear":
        w = 1.0 / touches.length
    elif model == "time_decay":
        w = time_decay_weights(touches, half_life_days)
    elif model == "custom":
        if not weights:
            raise AttributionError(
                "the custom model needs position weights, e.g. {'first': 0.5, 'last': 0.3}"
            )
        w = position_weights(touches, weights)
    elif model in POSITION_WEIGHTS:
        w = position_weights(touches, POSITION_WEIGHTS[model])
    else:
        raise AttributionError(f"unknown rule model {model!r}; use one of {', '.join(RULE_MODELS)}")
    return _apply(touches, w)


# ---------------------------------------------------------------------------- Markov chains
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
    if pd.api.types.infer_dtype(key, skipna=True) != "string":
        key = pd.Series(key.map(_path_key).to_numpy(dtype=object), dtype=object)
    codes, uniques = pd.factorize(key)
    missing = codes < 0  # kept as one empty path, so the usual checks apply to it
    m = len(uniques) + int(missing.any())
    codes = np.where(missing, m - 1, codes)
    return pd.DataFrame(
        {
            "path": pd.Series(uniques).reindex(range(m)),
            "conversions": np.bincount(codes, weights=conversions, minlength=m),
            "nulls": np.bincount(codes, weights=nulls, minlength=m),
            "value": np.bincount(codes, weights=value, minlength=m),
        }
    )


@dataclass(frozen=True)
class MarkovChain:
    """An absorbing Markov chain over states of the last `order` channels of a path."""

    order: int
    channels: tuple[str, ...]
    states: np.ndarray  # int64 state codes; index 0 is the start state
    transitions: sparse.csr_matrix  # transient → transient probabilities
    to_conversion: np.ndarray  # transient → conversion probability
    to_value: np.ndarray  # expected conversion value collected on leaving each state
    contains: np.ndarray  # bool [state, channel]: the state's history holds the channel

    def conversion_probability(self, removed: int | None = None) -> tuple[float, float]:
        """P(conversion) and expected value from the start, optionally with a channel removed
        (its states lead nowhere, i.e. to the null state)."""
        keep = np.ones(len(self.states), dtype=bool)
        if removed is not None:
            keep = ~self.contains[:, removed]
        index = np.flatnonzero(keep)
        q = self.transitions[index][:, index]
        system = (sparse.identity(len(index), format="csc") - q).tocsc()
        lu = splu(system)
        rhs = np.column_stack([self.to_conversion[index], self.to_value[index]])
        solved = lu.solve(rhs)
        return float(solved[0, 0]), float(solved[0, 1])


DENSE_LIMIT = 1 << 22  # state codes (or state pairs) below this are ranked with a dense table


def _rank(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of `codes` (all in [0, size)) and each code's index among them: what
    np.unique(return_inverse=True) gives, in linear time when `size` is small."""
    if size > DENSE_LIMIT:
        states, inverse = np.unique(codes, return_inverse=True)
        return states, inverse.ravel()
    present = np.zeros(size, dtype=bool)
    present[codes] = True
    index = np.cumsum(present) - 1
    return np.flatnonzero(present), index[codes]


def _markov_touches(paths: pd.DataFrame) -> Touches:
    """Touches of the distinct paths (journeys merged): all a Markov chain reads."""
    return _flatten(merge_same_paths(paths), path_lists=False)


def markov_chain(paths: pd.DataFrame | Touches, order: int = 1) -> MarkovChain:
    """Estimate the chain from paths: transition counts weighted by journeys (conversions+nulls)."""
    if order not in (1, 2, 3, 4):
        raise AttributionError("the Markov order must be 1, 2, 3 or 4")
    touches = paths if isinstance(paths, Touches) else _markov_touches(paths)
    n_channels = len(touches.channels)
    base = n_channels + 1
    if base**order >= 2**62:
        raise AttributionError("too many channels for this Markov order")
    # State code of each touch: the last `order` channels (0 = before the path started).
    code = np.zeros(len(touches.journey), dtype=np.int64)
    for lag in range(order):
        shifted = np.zeros_like(code)
        if lag:
            shifted[lag:] = touches.channel[:-lag] + 1
            shifted[touches.position < lag] = 0
        else:
            shifted = touches.channel + 1
        code += shifted * base**lag
    journeys = touches.conversions + touches.nulls
    weight = journeys[touches.journey]
    first = touches.position == 0
    last = touches.position == touches.length - 1
    # Transitions: start → first state; state_i → state_{i+1}.
    src = np.concatenate([np.zeros(int(first.sum()), dtype=np.int64), code[:-1][~first[1:]]])
    dst = np.concatenate([code[first], code[1:][~first[1:]]])
    w = np.concatenate([weight[first], weight[1:][~first[1:]]])
    states, inverse = _rank(np.concatenate([[0], src, dst, code[last]]), base**order)
    n = len(states)
    src_i = inverse[1 : 1 + len(src)]
    dst_i = inverse[1 + len(src) : 1 + len(src) + len(dst)]
    end_i = inverse[1 + len(src) + len(dst) :]
    end_j = touches.journey[last]
    conv_out = np.bincount(end_i, weights=touches.conversions[end_j], minlength=n)
    null_out = np.bincount(end_i, weights=touches.nulls[end_j], minlength=n)
    value_out = np.bincount(end_i, weights=touches.value[end_j], minlength=n)
    if n * n <= DENSE_LIMIT:  # few states: count transitions in a dense n × n table
        counts = np.bincount(src_i * n + dst_i, weights=w, minlength=n * n).reshape(n, n)
        moves = sparse.csr_matrix(counts)
    else:
        moves = sparse.coo_matrix((w, (src_i, dst_i)), shape=(n, n)).tocsr()
        moves.sum_duplicates()
    out = np.asarray(moves.sum(axis=1)).ravel() + conv_out + null_out
    safe = np.where(out > 0, out, 1.0)
    transitions = sparse.diags(1.0 / safe) @ moves
    digits = (states[:, None] // base ** np.arange(order)[None, :]) % base
    contains = np.zeros((n, n_channels), dtype=bool)
    for lag in range(order):
        held = digits[:, lag] > 0
        contains[np.flatnonzero(held), digits[held, lag] - 1] = True
    return MarkovChain(
        order=order,
        channels=touches.channels,
        states=states,
        transitions=transitions.tocsr(),
        to_conversion=conv_out / safe,
        to_value=value_out / safe,
        contains=contains,
    )


def removal_effects(paths: pd.DataFrame | Touches, order: int = 1) -> pd.DataFrame:
    """Per channel: the share of conversions (and value) lost if the channel were removed."""
    chain = markov_chain(paths, order)
    p_full, v_full = chain.conversion_probability()
    rows = []
    for index, channel in enumerate(chain.channels):
        p, v = chain.conversion_probability(index)
        rows.append(
            {
                "channel": channel,
                "removal_effect": 1 - p / p_full if p_full > 0 else 0.0,
                "value_removal_effect": 1 - v / v_full if v_full > 0 else 0.0,
                "conversion_probability_without": p,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["conversion_probability"] = p_full
    return out


def markov(paths: pd.DataFrame | Touches, order: int = 1) -> pd.DataFrame:
    """Data-driven credit from the removal effects of an order-k Markov chain, solved exactly."""
    touches = paths if isinstance(paths, Touches) else _markov_touches(paths)
    effects = removal_effects(touches, order)
    total_conv = float(touches.conversions.sum())
    total_value = float(touches.value.sum())
    conv = _normalise(effects["removal_effect"].to_numpy(), total_conv)
    value = _normalise(effects["value_removal_effect"].to_numpy(), total_value)
    out = _credit_frame(list(effects["channel"]), conv, value)
    out = out.merge(effects[["channel", "removal_effect"]], on="channel")
    return out


def _normalise(effects: np.ndarray, total: float) -> np.ndarray:
    s = effects.sum()
    if total == 0:
        return np.zeros_like(effects)
    if s <= 0:
        raise AttributionError("no channel has a positive removal effect; nothing converts")
    return effects / s * total


# ---------------------------------------------------------------------------- Shapley values
MAX_SHAPLEY_CHANNELS = 20


def shapley(paths: pd.DataFrame | Touches, worth: str = "conversions") -> pd.DataFrame:
    """Shapley values over channel sets (the order of touches is ignored).

    `worth` is the value of a coalition A of channels:
    - "conversions": the conversions (value) of journeys whose channels all lie in A;
    - "rate": the conversion rate (value per journey) of those journeys; the Shapley values are
      then scaled so they add up to the total conversions (value).
    """
    touches = paths if isinstance(paths, Touches) else flatten(paths)
    n = len(touches.channels)
    if n > MAX_SHAPLEY_CHANNELS:
        raise AttributionError(
            f"Shapley attribution enumerates 2^channels coalitions; {n} channels is too many "
            f"(at most {MAX_SHAPLEY_CHANNELS}); group channels first"
        )
    if worth not in ("conversions", "rate"):
        raise AttributionError("worth must be 'conversions' or 'rate'")
    masks = np.zeros(touches.journeys, dtype=np.int64)
    np.bitwise_or.at(masks, touches.journey, np.left_shift(1, touches.channel))
    size = 1 << n
    conv = np.bincount(masks, weights=touches.conversions, minlength=size)
    value = np.bincount(masks, weights=touches.value, minlength=size)
    count = np.bincount(masks, weights=touches.conversions + touches.nulls, minlength=size)
    # Sum over subsets (zeta transform): totals of journeys whose channel set lies in A.
    for bit in range(n):
        has = (np.arange(size) >> bit) & 1 == 1
        for arr in (conv, value, count):
            arr[has] += arr[~has]
    if worth == "rate":
        with np.errstate(invalid="ignore", divide="ignore"):
            conv_w = np.where(count > 0, conv / np.where(count > 0, count, 1), 0.0)
            value_w = np.where(count > 0, value / np.where(count > 0, count, 1), 0.0)
    else:
        conv_w, value_w = conv, value
    popcount = np.array([bin(m).count("1") for m in range(size)], dtype=np.int64)
    coef = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)])
    phi_c = np.zeros(n)
    phi_v = np.zeros(n)
    all_masks = np.arange(size)
    for i in range(n):
        without = all_masks[(all_masks >> i) & 1 == 0]
        c = coef[popcount[without]]
        phi_c[i] = np.sum(c * (conv_w[without | (1 << i)] - conv_w[without]))
        phi_v[i] = np.sum(c * (value_w[without | (1 << i)] - value_w[without]))
    total_conv = float(touches.conversions.sum())
    total_value = float(touches.value.sum())
    if worth == "rate":
        phi_c = phi_c / phi_c.sum() * total_conv if phi_c.sum() else np.zeros(n)
        phi_v = phi_v / phi_v.sum() * total_value if phi_v.sum() else np.zeros(n)
    return _credit_frame(touches.channels, phi_c, phi_v)


# ---------------------------------------------------------------------------- one entry point
def attribute(
    paths: pd.DataFrame,
    model: str = "linear",
    *,
    half_life_days: float = 7.0,
    weights: Mapping[str, float] | None = None,
    order: int = 1,
    worth: str = "conversions",
) -> pd.DataFrame:
    """Credit each channel with conversions and value under `model` (see MODELS).

    Returns columns channel, conversions, value, share (of conversions), largest first.
    """
    if model.startswith("markov_") and model[7:].isdigit():
        model, order = "markov", int(model[7:])
    if model == "markov":
        return markov(paths, order)  # merges journeys with the same path first
    touches = flatten(paths)
    if model == "shapley":
        return shapley(touches, worth)
    return rule_based(touches, model, half_life_days=half_life_days, weights=weights)


def compare(
    paths: pd.DataFrame,
    models: Sequence[str] = ("first_touch", "last_touch", "linear", "u_shaped", "markov"),
    **options: Any,
) -> pd.DataFrame:
    """Several models side by side: one row per model × channel (columns model, channel,
    conversions, value, share)."""
    frames = []
    for model in models:
        credit = attribute(paths, model, **options)
        frames.append(
            credit.assign(model=model)[["model", "channel", "conversions", "value", "share"]]
        )
    return pd.concat(frames, ignore_index=True)
