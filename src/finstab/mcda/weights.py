"""Objective weights from a panel (entropy, CRITIC) and their blend with AHP weights.

The blend (:func:`combine_weights`) is finstab's extension, not a method of the source papers:
the Zibo paper weights by AHP alone and calls AHP itself "主客观统一" (subjective-objective
unity); it never computes entropy or CRITIC weights.

References
----------
Hwang, C. L., & Yoon, K. (1981). *Multiple Attribute Decision Making*. Springer (entropy, sum form).
Shannon entropy weighting, min-max form: e.g. Zou, Yun & Sun (2006), J. Environmental Sciences 18(5).
Xu, X. (2004). A note on the subjective and objective integrated approach to determine attribute
weights. *European Journal of Operational Research* 156(2), 530-532.
Zavadskas, E. K., & Podvezko, V. (2016). Integrated determination of objective criteria weights
in MCDM. *Int. J. Information Technology & Decision Making* 15(2), 267-283.
CRITIC: Diakoulaki, Mavrotas & Papayannakis (1995), Computers & Operations Research 22(7).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import xlogy

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array, check_option


def _check_directions(directions: Sequence[int] | None, k: int) -> np.ndarray:
    if directions is None:
        return np.ones(k)
    d = np.asarray(directions)
    if d.shape != (k,) or not np.all(np.isin(d, (-1, 1))):
        raise InputError(f"expected {k} entries of +1 or -1", where="directions")
    return d


def _directional_minmax(x: np.ndarray, directions: Sequence[int] | None) -> np.ndarray:
    """Min-max scale each column to [0, 1]; columns with direction -1 are reversed; a constant
    column is all zero."""
    d = _check_directions(directions, x.shape[1])
    lo = x.min(axis=0)
    span = x.max(axis=0) - lo
    z = np.divide(x - lo, span, out=np.zeros_like(x), where=span > 0)
    return np.where((d < 0) & (span > 0), 1.0 - z, z)


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


#: Normalisations of :func:`entropy_weights`.
NORMALISATIONS = ("minmax", "sum")


def entropy_weights(data: object, directions: Sequence[int] | None = None,
                    normalisation: str = "minmax") -> np.ndarray:
    """Entropy-method weights: indicators that vary more across observations weigh more.

    With p_ij the share of observation i in column j, e_j = -sum_i p_ij ln p_ij / ln m
    (m observations), d_j = 1 - e_j and w_j = d_j / sum_k d_k.

    Parameters
    ----------
    data
        Observations x indicators.
    directions
        +1 (bigger is better) or -1 per indicator; all +1 when omitted. Used by the
        min-max form only: the sum form takes the raw values, whose entropy does not
        depend on the direction (Zavadskas & Podvezko 2016 print the same weights for
        cost and benefit columns).
    normalisation
        ``"minmax"`` (default, the form in most Chinese regional-risk papers): each column is
        min-max scaled to [0, 1] (reversed for direction -1), then p_ij = z_ij / sum_i z_ij.
        ``"sum"`` (Hwang & Yoon 1981, the textbook form outside China): p_ij = x_ij / sum_i x_ij
        on the raw, non-negative values.

    Returns
    -------
    numpy.ndarray
        Weights summing to 1; a constant column gets weight 0.

    Examples
    --------
    Xu (2004), *EJOR* 156(2) 530-532, prints the sum-form weights 0.4630, 0.3992, 0.1378, 0.0000:

    >>> x = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]
    >>> [round(float(w), 4) for w in entropy_weights(x, normalisation="sum")]
    [0.463, 0.3992, 0.1378, 0.0]
    """
    check_option(normalisation, NORMALISATIONS, "normalisation")
    x = _check_panel(data)
    if normalisation == "minmax":
        z = _directional_minmax(x, directions)
    else:
        _check_directions(directions, x.shape[1])
        if np.any(x < 0):
            i, j = np.argwhere(x < 0)[0]
            raise InputError(f"normalisation 'sum' needs non-negative values; row {i + 1}, column {j + 1} is "
                             f"{x[i, j]:g} (use 'minmax' or shift the column)", where="data")
        z = x
    col = z.sum(axis=0)
    p = np.divide(z, col, out=np.zeros_like(z), where=col > 0)
    e = np.where(col > 0, -xlogy(p, p).sum(axis=0) / np.log(x.shape[0]), 1.0)
    return _normalise(1.0 - e, "entropy")


def critic_weights(data: object, directions: Sequence[int] | None = None) -> np.ndarray:
    """CRITIC weights: contrast (standard deviation) times conflict (sum of 1 - correlation).

    Parameters
    ----------
    data
        Observations x indicators; each column is min-max scaled to [0, 1] first.
    directions
        +1 (bigger is better) or -1 per indicator; all +1 when omitted.

    Returns
    -------
    numpy.ndarray
        Weights summing to 1, w_j proportional to sd_j * sum_k (1 - r_jk).

    Examples
    --------
    Two perfectly correlated columns and an independent one:

    >>> x = [[0, 0, 1], [1, 2, 0], [2, 4, 1], [3, 6, 0]]
    >>> [round(float(w), 4) for w in critic_weights(x)]
    [0.2135, 0.2135, 0.5729]
    """
    x = _check_panel(data)
    z = _directional_minmax(x, directions)
    zc = z - z.mean(axis=0)
    norm = np.sqrt((zc * zc).sum(axis=0))  # proportional to the standard deviation (any ddof)
    scale = np.outer(norm, norm)
    r = np.divide(zc.T @ zc, scale, out=np.zeros_like(scale), where=scale > 0)  # 0 for a constant column
    return _normalise(norm * (1.0 - r).sum(axis=0), "CRITIC")


#: Blending rules of :func:`combine_weights`.
COMBINATIONS = ("linear", "multiplicative")


def combine_weights(subjective: object, objective: object, alpha: float = 0.5,
                    method: str = "linear") -> np.ndarray:
    """Blend subjective (AHP) and objective (entropy, CRITIC) weights.

    This is finstab's extension. The Zibo paper (seed 001) weights by AHP alone and uses
    "主客观统一" for AHP itself; it does not blend AHP with objective weights.

    Parameters
    ----------
    subjective, objective
        Non-negative weight vectors of equal length (each normalised to sum 1 first).
    alpha
        Share of the subjective weights in ``[0, 1]`` (linear method).
    method
        ``"linear"``: ``alpha*s + (1-alpha)*o``; ``"multiplicative"``: ``s*o / sum(s*o)``.

    Examples
    --------
    >>> [round(float(w), 4) for w in combine_weights([0.6, 0.4], [0.2, 0.8], alpha=0.5)]
    [0.4, 0.6]
    >>> [round(float(w), 4) for w in combine_weights([0.6, 0.4], [0.2, 0.8], method="multiplicative")]
    [0.2727, 0.7273]
    """
    check_option(method, COMBINATIONS, "method")
    s = as_float_array(subjective, "subjective", ndim=1)
    o = as_float_array(objective, "objective", ndim=1)
    if s.shape != o.shape:
        raise InputError(f"lengths differ: {len(s)} subjective vs {len(o)} objective",
                         where="objective")
    for what, v in (("subjective", s), ("objective", o)):
        if np.any(v < 0) or v.sum() <= 0:
            raise InputError("weights must be non-negative with a positive sum", where=what)
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha = {alpha}; expected a value in [0, 1]", where="alpha")
    s, o = s / s.sum(), o / o.sum()
    if method == "linear":
        return alpha * s + (1.0 - alpha) * o
    product = s * o
    if product.sum() <= 0:
        raise InputError("no indicator has both a subjective and an objective weight; the "
                         "multiplicative blend is undefined", where="objective")
    return product / product.sum()
