"""Analytic Hierarchy Process: priority weights, consistency, group judgment, repair hints.

References
----------
Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
Alonso, J. A., & Lamata, M. T. (2006). Consistency in the analytic hierarchy process:
a new approach. *Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems* 14(4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array, check_positive, check_square

#: Random consistency index tables, indexed by n - 1 (n = 1..15).
RI_TABLES: dict[str, tuple[float, ...]] = {
    # Saaty (1980), the table most Chinese regional-risk papers cite.
    "saaty1980": (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                  1.51, 1.48, 1.56, 1.57, 1.59),
    # The extended table printed in many Chinese AHP textbooks (n = 11..15 differ).
    "saaty_extended": (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                       1.52, 1.54, 1.56, 1.58, 1.59),
    # Alonso & Lamata (2006), 500,000 simulated matrices per n.
    "alonso_lamata2006": (0, 0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056, 1.4499,
                          1.4854, 1.5141, 1.5365, 1.5551, 1.5713, 1.5838),
}

#: Saaty's 1-9 scale and its reciprocals, used to suggest repaired judgments.
SAATY_SCALE = np.array([1 / k for k in range(9, 1, -1)] + list(range(1, 10)), dtype=float)

CR_LIMIT = 0.10
RECIPROCAL_TOLERANCE = 0.02


@dataclass(frozen=True)
class Repair:
    """The judgment pair most responsible for inconsistency and a suggested value."""

    i: int
    j: int
    current: float
    suggested: float
    cr_after: float

    def describe(self, labels: Sequence[str] | None = None) -> str:
        a = labels[self.i] if labels else f"#{self.i + 1}"
        b = labels[self.j] if labels else f"#{self.j + 1}"
        return (f"judgment ({a}, {b}) = {self.current:.4g} is the most inconsistent; "
                f"{self.suggested:.4g} would give CR = {self.cr_after:.4f}")


@dataclass(frozen=True)
class AHPResult:
    """Priority weights and consistency of one pairwise-comparison matrix."""

    matrix: np.ndarray
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    method: str

    @property
    def n(self) -> int:
        return len(self.weights)

    @property
    def consistent(self) -> bool:
        """Saaty's rule: CR < 0.10; matrices of order 1 or 2 are always consistent."""
        return self.n <= 2 or self.cr < CR_LIMIT

    def repair(self) -> Repair | None:
        """The judgment that contributes most to inconsistency (None when n <= 2)."""
        return _worst_judgment(self)

    def to_frame(self, labels: Sequence[str] | None = None) -> pd.DataFrame:
        idx = list(labels) if labels is not None else [f"#{k + 1}" for k in range(self.n)]
        return pd.DataFrame({"weight": self.weights}, index=pd.Index(idx, name="item"))

    def summary(self, labels: Sequence[str] | None = None) -> str:
        lines = [f"AHP ({self.method}, RI table {self.ri_table}), n = {self.n}"]
        lines += [f"  {name}: {w:.4f}" for name, w in self.to_frame(labels)["weight"].items()]
        lines.append(f"  lambda_max = {self.lambda_max:.4f}, CI = {self.ci:.4f}, "
                     f"RI = {self.ri:.2f}, CR = {self.cr:.4f} "
                     f"({'consistent' if self.consistent else 'NOT consistent: CR >= 0.10'})")
        rep = self.repair()
        if rep is not None:
            lines.append("  " + rep.describe(labels))
        return "\n".join(lines)


def check_pairwise(matrix: object, name: str = "matrix") -> np.ndarray:
    """Validate a pairwise-comparison matrix: square, positive, unit diagonal, reciprocal."""
    a = check_square(as_float_array(matrix, name), name)
    check_positive(a.ravel(), name)
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=RECIPROCAL_TOLERANCE):
        k = int(np.argmax(np.abs(np.diag(a) - 1)))
        raise InputError(f"diagonal entry ({k + 1}, {k + 1}) is {a[k, k]:.4g}; expected 1", where=name)
    off = np.abs(a * a.T - 1.0)
    if np.any(off > RECIPROCAL_TOLERANCE):
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        raise InputError(
            f"not reciprocal: a[{i + 1},{j + 1}] = {a[i, j]:.4g} but a[{j + 1},{i + 1}] = "
            f"{a[j, i]:.4g}; expected a[j,i] = 1/a[i,j] = {1 / a[i, j]:.4g}", where=name)
    # Rebuild the lower triangle from the upper one so rounding in user files (0.333) is exact.
    upper = np.triu(a, 1)
    return upper + np.tril(1.0 / a.T, -1) + np.eye(len(a))


def random_index(n: int, table: str = "saaty1980") -> float:
    """Random consistency index for a matrix of order ``n`` from a named table."""
    if table not in RI_TABLES:
        raise InputError(f"unknown RI table {table!r}; choose from {sorted(RI_TABLES)}",
                         where="ri_table")
    values = RI_TABLES[table]
    if not 1 <= n <= len(values):
        raise InputError(f"RI table {table!r} covers n = 1..{len(values)}, got n = {n}",
                         where="matrix")
    return float(values[n - 1])


def _principal_eigen(a: np.ndarray) -> tuple[np.ndarray, float]:
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    return w / w.sum(), float(vals[k].real)


def _row_geometric_mean(a: np.ndarray) -> tuple[np.ndarray, float]:
    g = np.exp(np.log(a).mean(axis=1))
    w = g / g.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


_METHODS = {"eigen": _principal_eigen, "geometric": _row_geometric_mean}


def _consistency(n: int, lam: float, table: str) -> tuple[float, float, float]:
    if n <= 2:
        return 0.0, 0.0, random_index(n, table)
    ci = max((lam - n) / (n - 1), 0.0)
    ri = random_index(n, table)
    return ci, ci / ri, ri


def ahp_weights(matrix: object, method: str = "eigen", ri_table: str = "saaty1980",
                name: str = "matrix") -> AHPResult:
    """Priority weights of a pairwise-comparison matrix with Saaty's consistency check.

    Parameters
    ----------
    matrix
        Square positive reciprocal matrix, ``a[i, j]`` = importance of i over j (1-9 scale).
    method
        ``"eigen"`` (principal eigenvector, Saaty) or ``"geometric"`` (row geometric mean).
    ri_table
        Name of the random-index table (see :data:`RI_TABLES`).
    name
        Label used in error messages (for example a YAML path).

    Returns
    -------
    AHPResult
        Weights summing to 1, lambda_max, CI, CR and the RI table used.
    """
    if method not in _METHODS:
        raise InputError(f"unknown method {method!r}; choose 'eigen' or 'geometric'", where="method")
    a = check_pairwise(matrix, name)
    w, lam = _METHODS[method](a)
    ci, cr, ri = _consistency(len(a), lam, ri_table)
    return AHPResult(a, w, lam, ci, cr, ri, ri_table, method)


def group_judgments(matrices: Sequence[object], weights: Sequence[float] | None = None
                    ) -> np.ndarray:
    """Aggregate several experts' matrices by the weighted geometric mean (keeps reciprocity).

    Parameters
    ----------
    matrices
        One pairwise matrix per expert, all of the same order.
    weights
        Expert weights (normalised to sum 1); equal when omitted.
    """
    if len(matrices) == 0:
        raise InputError("need at least one matrix", where="matrices")
    stack = np.stack([check_pairwise(m, f"matrices[{k}]") for k, m in enumerate(matrices)])
    if weights is None:
        wts = np.full(len(stack), 1.0 / len(stack))
    else:
        wts = check_positive(as_float_array(weights, "weights", ndim=1), "weights")
        if len(wts) != len(stack):
            raise InputError(f"{len(wts)} weights for {len(stack)} matrices", where="weights")
        wts = wts / wts.sum()
    return np.exp(np.tensordot(wts, np.log(stack), axes=1))


def _nearest_scale(x: float) -> float:
    return float(SAATY_SCALE[np.argmin(np.abs(np.log(SAATY_SCALE) - np.log(x)))])


def _worst_judgment(res: AHPResult) -> Repair | None:
    """The pair with the largest |ln(a_ij w_j / w_i)|, and the scale value minimising CR."""
    if res.n <= 2:
        return None
    a, w = res.matrix, res.weights
    dev = np.abs(np.log(a * w[None, :] / w[:, None]))
    dev[np.tril_indices(res.n)] = -1
    i, j = np.unravel_index(int(np.argmax(dev)), dev.shape)
    best: tuple[float, float] | None = None
    for value in SAATY_SCALE:
        trial = a.copy()
        trial[i, j], trial[j, i] = value, 1 / value
        cr = ahp_weights(trial, res.method, res.ri_table).cr
        if best is None or cr < best[1]:
            best = (float(value), cr)
    assert best is not None
    return Repair(int(i), int(j), float(a[i, j]), best[0], best[1])


def matrix_from_priorities(priorities: Sequence[float]) -> np.ndarray:
    """A pairwise matrix on Saaty's scale approximating given priorities (for presets/tests)."""
    p = check_positive(as_float_array(priorities, "priorities", ndim=1), "priorities")
    ratio = p[:, None] / p[None, :]
    return np.vectorize(_nearest_scale)(ratio)
