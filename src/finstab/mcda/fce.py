"""Fuzzy comprehensive evaluation (FCE): memberships, composition operators, scores.

B = A o R composes indicator weights A (k,) with the membership matrix R (k x m grades).
Operators (Zadeh's notation, as in Chinese FCE textbooks):

* ``weighted_average``  M(., +):  b_j = min(1, sum_i a_i r_ij)   (default; linear)
* ``min_max``           M(^, v):  b_j = max_i min(a_i, r_ij)
* ``product_max``       M(., v):  b_j = max_i a_i r_ij
* ``min_bounded_sum``   M(^, +):  b_j = min(1, sum_i min(a_i, r_ij))

The three non-additive operators do not keep sum(B) = 1, so B is normalised before it
is scored (score = B . v); ``FCEResult.raw`` keeps the un-normalised vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array, check_option

OPERATORS = ("weighted_average", "min_max", "product_max", "min_bounded_sum")
SHAPES = ("trapezoidal", "triangular")
ROW_SUM_TOLERANCE = 1e-6


#: Membership-function shapes of :func:`membership_from_values`.
SHAPES = ("trapezoidal", "triangular")


def _check_operator(operator: str) -> None:
    check_option(operator, OPERATORS, "operator")


def compose(weights: np.ndarray, membership: np.ndarray, operator: str = "weighted_average"
            ) -> np.ndarray:
    """Raw composition A o R, vectorised over leading axes of ``membership`` (..., k, m).

    Parameters
    ----------
    weights
        Indicator weights A (k,).
    membership
        Membership matrices (..., k, m).
    operator
        One of :data:`OPERATORS`.

    Returns
    -------
    numpy.ndarray
        B (..., m), not normalised.

    Examples
    --------
    >>> a = np.array([0.2, 0.3, 0.5])
    >>> r = np.array([[0.5, 0.3, 0.2, 0.0], [0.3, 0.4, 0.2, 0.1], [0.1, 0.3, 0.4, 0.2]])
    >>> [round(float(x), 4) for x in compose(a, r)]
    [0.24, 0.33, 0.3, 0.13]
    >>> [round(float(x), 4) for x in compose(a, r, "min_max")]
    [0.3, 0.3, 0.4, 0.2]
    """
    _check_operator(operator)
    a = weights[:, None]
    if operator == "weighted_average":
        return np.minimum(1.0, np.einsum("i,...ij->...j", weights, membership))
    if operator == "min_max":
        return np.minimum(a, membership).max(axis=-2)
    if operator == "product_max":
        return (a * membership).max(axis=-2)
    return np.minimum(1.0, np.minimum(a, membership).sum(axis=-2))


def normalise_rows(b: np.ndarray) -> np.ndarray:
    """Scale the last axis to sum 1 (all-zero rows stay zero).

    Examples
    --------
    >>> normalise_rows(np.array([[1.0, 3.0], [0.0, 0.0]])).tolist()
    [[0.25, 0.75], [0.0, 0.0]]
    """
    total = b.sum(axis=-1, keepdims=True)
    return np.divide(b, total, out=np.zeros_like(b), where=total > 0)


@dataclass(frozen=True)
class FCEResult:
    """One fuzzy evaluation: membership vector B, score B.v, grades.

    Examples
    --------
    >>> res = fuzzy_evaluate([1], [[0.291, 0.564, 0.145, 0.0]], [87.5, 62.5, 37.5, 12.5])
    >>> for part in res.summary(["safe", "basic", "low", "high"]).split("; "):
    ...     print(part)
    B = (safe 0.291, basic 0.564, low 0.145, high 0.000)
    score = 66.15
    grade by score: basic
    maximum membership: basic [weighted_average]
    """

    membership: np.ndarray
    raw: np.ndarray
    grade_scores: np.ndarray
    score: float
    grade: int
    max_membership_grade: int
    operator: str

    def summary(self, grade_names: Sequence[str] | None = None) -> str:
        names = list(grade_names) if grade_names else [f"g{k}" for k in range(len(self.membership))]
        b = ", ".join(f"{n} {x:.3f}" for n, x in zip(names, self.membership, strict=True))
        return (f"B = ({b}); score = {self.score:.2f}; grade by score: {names[self.grade]}; "
                f"maximum membership: {names[self.max_membership_grade]} [{self.operator}]")


def check_membership(r: object, name: str = "membership", labels: Sequence[str] | None = None
                     ) -> np.ndarray:
    """Validate a membership matrix: entries in [0, 1], each row summing to 1.

    Parameters
    ----------
    r
        Memberships (k, m) or (m,) for one row.
    name
        Label used in error messages.
    labels
        Row names used in error messages.

    Examples
    --------
    >>> check_membership([0.3, 0.5, 0.2, 0.0]).shape
    (1, 4)
    """
    m = as_float_array(r, name)
    if m.ndim == 1:
        m = m[None, :]
    if np.any(m < 0) or np.any(m > 1):
        raise InputError("memberships must lie in [0, 1]", where=name)
    sums = m.sum(axis=-1)
    bad = np.flatnonzero(np.abs(sums.ravel() - 1) > ROW_SUM_TOLERANCE)
    if bad.size:
        k = int(bad[0])
        who = labels[k] if labels is not None and k < len(labels) else f"row {k}"
        raise InputError(f"memberships of {who} sum to {sums.ravel()[k]:.6g}; expected 1", where=name)
    return m


def grade_of_score(score: float, grade_scores: np.ndarray) -> int:
    """Index of the grade whose interval holds ``score``; intervals are halfway between the
    representative scores (for v = 87.5, 62.5, 37.5, 12.5: [75,100], [50,75), [25,50), [0,25)).

    Examples
    --------
    >>> v = np.array([87.5, 62.5, 37.5, 12.5])
    >>> grade_of_score(75.0, v), grade_of_score(74.99, v), grade_of_score(24.9, v)
    (0, 1, 3)
    """
    v = np.asarray(grade_scores, dtype=float)
    order = np.argsort(v)
    mids = (v[order][1:] + v[order][:-1]) / 2
    return int(order[np.searchsorted(mids, score, side="right")])


def fuzzy_evaluate(weights: object, membership: object, grade_scores: object,
                   operator: str = "weighted_average") -> FCEResult:
    """Fuzzy comprehensive evaluation of one layer.

    Parameters
    ----------
    weights
        Indicator weights A (k,), normalised to sum 1.
    membership
        Membership matrix R (k x m); each row sums to 1.
    grade_scores
        Representative score of each grade, v (m,), e.g. (87.5, 62.5, 37.5, 12.5).
    operator
        One of :data:`OPERATORS`.

    Returns
    -------
    FCEResult
        Normalised B, raw B, score B . v, the grade of the score and the maximum-membership grade.

    Examples
    --------
    The Guangxi paper's regional-economy layer, B2 = (0.291, 0.564, 0.145, 0), scores 66.15:

    >>> res = fuzzy_evaluate([1], [[0.291, 0.564, 0.145, 0.0]], [87.5, 62.5, 37.5, 12.5])
    >>> round(res.score, 2), res.grade
    (66.15, 1)
    """
    _check_operator(operator)
    a = as_float_array(weights, "weights", ndim=1)
    if np.any(a < 0) or a.sum() <= 0:
        raise InputError("weights must be non-negative with a positive sum", where="weights")
    a = a / a.sum()
    r = check_membership(membership)
    v = as_float_array(grade_scores, "grade_scores", ndim=1)
    if r.shape != (len(a), len(v)):
        raise InputError(f"membership has shape {r.shape}; expected ({len(a)}, {len(v)}) "
                         "(indicators x grades)", where="membership")
    raw = compose(a, r, operator)
    b = normalise_rows(raw)
    score = float(b @ v)
    return FCEResult(b, raw, v, score, grade_of_score(score, v), int(np.argmax(b)), operator)


def membership_from_votes(counts: object, n_experts: int | None = None,
                          labels: Sequence[str] | None = None) -> np.ndarray:
    """Share of experts putting each indicator (row) in each grade (column).

    Parameters
    ----------
    counts
        Votes (indicators x grades), non-negative whole numbers.
    n_experts
        Expected number of votes per row; the first row's total when omitted.
    labels
        Row names used in error messages.

    Examples
    --------
    >>> membership_from_votes([[3, 5, 2, 0]], n_experts=10).tolist()
    [[0.3, 0.5, 0.2, 0.0]]
    """
    c = as_float_array(counts, "counts", ndim=2)
    names = labels if labels is not None else [f"row {k}" for k in range(len(c))]
    for k, row in enumerate(c):
        if np.any(row < 0) or np.any(row != np.round(row)):
            raise InputError(f"vote counts must be non-negative whole numbers, got {row.tolist()}",
                             where=f"votes of {names[k]}")
    totals = c.sum(axis=1)
    expected = n_experts if n_experts is not None else int(totals[0])
    for k, t in enumerate(totals):
        if t != expected:
            raise InputError(f"votes add up to {int(t)}; expected {expected} experts",
                             where=f"votes of {names[k]}")
    if expected <= 0:
        raise InputError("no votes", where="counts")
    return c / expected


def _membership_nodes(edges: np.ndarray, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """Abscissae and grade indices at which membership is exactly one grade."""
    lo, hi = edges[:-1], edges[1:]
    if shape == "triangular":
        return (lo + hi) / 2, np.arange(len(lo))
    q = (hi - lo) / 4
    xs = np.column_stack([lo + q, hi - q]).ravel()
    return xs, np.repeat(np.arange(len(lo)), 2)


def membership_from_values(values: object, intervals: object, shape: str = "trapezoidal"
                           ) -> np.ndarray:
    """Memberships of indicator values in grades defined by warning intervals.

    Parameters
    ----------
    values
        (n,) or (n, k) values; column i belongs to indicator i.
    intervals
        (k, m + 1) grade edges in value space for m grades, strictly monotone per row
        (increasing or decreasing). Grade g spans ``edges[g]..edges[g+1]``.
    shape
        ``"trapezoidal"``: full membership in the middle half of each interval, linear
        transitions across the edges; ``"triangular"``: peaks at interval midpoints.

    Returns
    -------
    numpy.ndarray
        (n, k, m) memberships; every row sums to 1 (a partition of unity).

    Examples
    --------
    >>> membership_from_values([12.5, 50.0], [[0, 25, 50, 75, 100]])[:, 0].tolist()
    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0]]
    """
    check_option(shape, SHAPES, "shape")
    e = as_float_array(intervals, "intervals", ndim=2)
    x = np.asarray(values, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    if x.shape[1] != e.shape[0]:
        raise InputError(f"{x.shape[1]} value columns for {e.shape[0]} indicators", where="values")
    m = e.shape[1] - 1
    out = np.zeros((x.shape[0], e.shape[0], m))
    for i, edges in enumerate(e):
        d = np.diff(edges)
        if not (np.all(d > 0) or np.all(d < 0)):
            raise InputError(f"edges {edges.tolist()} must be strictly monotone", where=f"intervals[{i}]")
        xs, grades = _membership_nodes(edges if d[0] > 0 else edges[::-1], shape)
        if d[0] < 0:
            grades = (m - 1) - grades
        for g in range(m):
            out[:, i, g] = np.interp(x[:, i], xs, (grades == g).astype(float))
    return out
