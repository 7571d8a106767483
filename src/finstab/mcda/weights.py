"""Objective weights from a panel (entropy, CRITIC) and their blend with AHP weights.

References
----------
Shannon entropy weighting: e.g. Zou, Yun & Sun (2006), J. Environmental Sciences 18(5).
CRITIC: Diakoulaki, Mavrotas & Papayannakis (1995), Computers & Operations Research 22(7).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array


def _directional_minmax(x: np.ndarray, directions: Sequence[int] | None) -> np.ndarray:
    """Min-max scale each column to [0, 1]; columns with direction -1 are reversed."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    z = (x - lo) / span
    if directions is not None:
        d = np.asarray(directions)
        if d.shape != (x.shape[1],) or not np.all(np.isin(d, (-1, 1))):
            raise InputError(f"expected {x.shape[1]} entries of +1 or -1", where="directions")
        z = np.where(d < 0, 1.0 - z, z)
    return np.where(hi > lo, z, 0.0)


def _check_panel(data: object) -> np.ndarray:
    x = as_float_array(data, "data", ndim=2)
    if x.shape[0] < 2:
        raise InputError(f"need at least 2 observations, got {x.shape[0]}", where="data")
    return x


def _normalise(raw: np.ndarray, what: str) -> np.ndarray:
    total = raw.sum()
    if total <= 0:
        raise InputError(f"every indicator is constant; {what} weights are undefined", where="data")
    return raw / total


def entropy_weights(data: object, directions: Sequence[int] | None = None) -> np.ndarray:
    """Entropy-method weights: indicators that vary more across observations weigh more.

    Parameters
    ----------
    data
        Observations x indicators.
    directions
        +1 (bigger is better) or -1 per indicator; all +1 when omitted.
    """
    x = _check_panel(data)
    z = _directional_minmax(x, directions)
    col = z.sum(axis=0)
    p = np.divide(z, col, out=np.zeros_like(z), where=col > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = np.where(col > 0, -plogp.sum(axis=0) / np.log(x.shape[0]), 1.0)
    return _normalise(1.0 - e, "entropy")


def critic_weights(data: object, directions: Sequence[int] | None = None) -> np.ndarray:
    """CRITIC weights: contrast (standard deviation) times conflict (1 - correlation)."""
    x = _check_panel(data)
    z = _directional_minmax(x, directions)
    sd = z.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.nan_to_num(np.corrcoef(z, rowvar=False), nan=0.0)
    r = np.atleast_2d(r)
    return _normalise(sd * (1.0 - r).sum(axis=0), "CRITIC")


def combine_weights(subjective: object, objective: object, alpha: float = 0.5,
                    method: str = "linear") -> np.ndarray:
    """Blend subjective (AHP) and objective weights: the "subjective-objective unity".

    Parameters
    ----------
    subjective, objective
        Weight vectors of equal length.
    alpha
        Share of the subjective weights in ``[0, 1]`` (linear method).
    method
        ``"linear"``: ``alpha*s + (1-alpha)*o``; ``"multiplicative"``: ``s*o / sum(s*o)``.
    """
    s = as_float_array(subjective, "subjective", ndim=1)
    o = as_float_array(objective, "objective", ndim=1)
    if s.shape != o.shape:
        raise InputError(f"lengths differ: {len(s)} subjective vs {len(o)} objective",
                         where="objective")
    if np.any(s < 0) or np.any(o < 0):
        raise InputError("weights must be non-negative", where="subjective/objective")
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha = {alpha}; expected a value in [0, 1]", where="alpha")
    s, o = s / s.sum(), o / o.sum()
    if method == "linear":
        return alpha * s + (1.0 - alpha) * o
    if method == "multiplicative":
        return _normalise(s * o, "multiplicative")
    raise InputError(f"unknown method {method!r}; choose 'linear' or 'multiplicative'",
                     where="method")
