"""Synthetic indicator values that hit chosen scores, by inverting each indicator's cuts."""

from __future__ import annotations

import numpy as np

from finstab.monitor.systems.schema import Indicator, IndicatorSystem


def invert_score(indicator: Indicator, target: np.ndarray, scores: tuple[float, ...],
                 rng: np.random.Generator) -> np.ndarray:
    """Values whose threshold score equals ``target`` (moderate: a random side of the band)."""
    s = np.asarray(scores, dtype=float)
    if indicator.type == "moderate":
        low = np.interp(target, s, indicator.cuts)
        high = np.interp(target, s, indicator.high_cuts[::-1])  # the high side falls from 100 to 0
        return np.where(rng.random(target.shape) < 0.5, low, high)
    return np.interp(target, s, indicator.cuts)  # works for rising and falling cuts


def synthetic_wide_panel(system: IndicatorSystem, n_regions: int, n_periods: int,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random scores in (2, 98) for every cell, inverted to values: (values, target scores)."""
    rng = np.random.default_rng(seed)
    inds = system.tree.indicators
    target = rng.uniform(2, 98, size=(n_regions * n_periods, len(inds)))
    values = np.column_stack([invert_score(ind, target[:, k], tuple(system.scores), rng)
                              for k, ind in enumerate(inds)])
    return values, target
