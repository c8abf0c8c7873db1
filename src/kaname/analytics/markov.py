"""Markov-chain attribution: exact removal effects of each channel on a chain of any order (1-4),
solved with sparse LU rather than simulated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.linalg import splu

from kaname.analytics.paths import (
    AttributionError,
    Touches,
    credit_frame,
    flatten_paths,
    merge_same_paths,
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
    return flatten_paths(merge_same_paths(paths), path_lists=False)


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
    conv = normalise_effects(effects["removal_effect"].to_numpy(), total_conv)
    value_effects = effects["value_removal_effect"].to_numpy()
    if total_value > 0 and not value_effects.sum() > 0:
        # Values so small (subnormal) that their removal effects underflow to 0: credit the value
        # as the conversions are credited, rather than refuse a model that has conversions.
        value_effects = effects["removal_effect"].to_numpy()
    value = normalise_effects(value_effects, total_value)
    out = credit_frame(list(effects["channel"]), conv, value)
    out = out.merge(effects[["channel", "removal_effect"]], on="channel")
    return out


def normalise_effects(effects: np.ndarray, total: float) -> np.ndarray:
    s = effects.sum()
    if total == 0:
        return np.zeros_like(effects)
    if s <= 0:
        raise AttributionError("no channel has a positive removal effect; nothing converts")
    return effects / s * total
