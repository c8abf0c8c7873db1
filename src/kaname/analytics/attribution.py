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
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

from kaname.analytics.markov import MarkovChain, markov, markov_chain, removal_effects
from kaname.analytics.paths import (
    AttributionError,
    Touches,
    credit_frame,
    flatten,
    flatten_paths,
    merge_same_paths,
    normalise_paths,
)

__all__ = [
    "AttributionError",
    "MarkovChain",
    "Touches",
    "flatten",
    "flatten_paths",
    "markov",
    "markov_chain",
    "merge_same_paths",
    "normalise_paths",
    "removal_effects",
]

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


def needs_milestones(model: str, weights: Mapping[str, float] | None = None) -> bool:
    """True when the model reads the lead, opportunity or close touch of each journey (so its
    input cannot be merged to distinct paths alone)."""
    anchors = (weights or {}) if model == "custom" else POSITION_WEIGHTS.get(model, {})
    return any(name in MILESTONE_COLUMNS for name in anchors)


def check_half_life(half_life_days: float) -> None:
    if not half_life_days > 0:
        raise AttributionError("the half-life must be positive (days)")


def time_decay_weights(touches: Touches, half_life_days: float) -> np.ndarray:
    check_half_life(half_life_days)
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
    return credit_frame(touches.channels, conv, value)


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
    return credit_frame(touches.channels, phi_c, phi_v)


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
    # Only time decay reads the paths themselves (to check `days_before` against them).
    touches = flatten_paths(paths, path_lists=model == "time_decay")
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
