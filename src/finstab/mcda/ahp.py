"""Analytic Hierarchy Process: priority weights, consistency, incomplete matrices, group judgment.

References
----------
Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
Saaty, T. L. (2005). *Theory and Applications of the Analytic Network Process*. RWS Publications, p. 31.
Donegan, H. A., & Dodd, F. J. (1991). A note on Saaty's random indexes. *Mathematical and
Computer Modelling* 15(10), 135-137.
Alonso, J. A., & Lamata, M. T. (2006). Consistency in the analytic hierarchy process:
a new approach. *Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems* 14(4).
Harker, P. T. (1987). Incomplete pairwise comparisons in the analytic hierarchy process.
*Mathematical Modelling* 9(11), 837-848.
Bozóki, S., Fülöp, J., & Rónyai, L. (2010). On optimal completion of incomplete pairwise
comparison matrices. *Mathematical and Computer Modelling* 52(1-2), 318-333.
Forman, E., & Peniwati, K. (1998). Aggregating individual judgments and priorities with the
analytic hierarchy process. *European Journal of Operational Research* 108(1), 165-169.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array, check_option, check_positive, check_square
from finstab.core.warnings import ConvergenceWarning, warn

#: Random consistency index tables, indexed by n - 1 (n = 1..15).
RI_TABLES: dict[str, tuple[float, ...]] = {
    # Saaty (1980), the table most Chinese regional-risk papers cite.
    "saaty1980": (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                  1.51, 1.48, 1.56, 1.57, 1.59),
    # The extended table printed in many Chinese AHP textbooks (n = 11..15 differ).
    "saaty_extended": (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                       1.52, 1.54, 1.56, 1.58, 1.59),
    # Saaty (2005), Theory and Applications of the ANP, p. 31 (also used by AHPy's 'saaty').
    "saaty2005": (0, 0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49,
                  1.52, 1.54, 1.56, 1.58, 1.59),
    # Donegan & Dodd (1991), Math. Comput. Modelling 15(10) 135-137, n = 3..15
    # (their table continues to n = 100; values as tabulated by AHPy, P. Griffith).
    "donegan_dodd": (0, 0, 0.4914, 0.8286, 1.0591, 1.1797, 1.2519, 1.3171, 1.3733, 1.4055,
                     1.4213, 1.4497, 1.4643, 1.4822, 1.4969),
    # Alonso & Lamata (2006), 500,000 simulated matrices per n.
    "alonso_lamata2006": (0, 0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056, 1.4499,
                          1.4854, 1.5141, 1.5365, 1.5551, 1.5713, 1.5838),
}

#: Weighting methods of :func:`ahp_weights`.
METHODS = ("eigen", "geometric")
#: Completion methods for incomplete matrices (see :func:`complete_pairwise`).
COMPLETIONS = ("harker", "llsm", "lambda_max")

#: Saaty's 1-9 scale and its reciprocals, used to suggest repaired judgments.
SAATY_SCALE = np.array([1 / k for k in range(9, 1, -1)] + list(range(1, 10)), dtype=float)

CR_LIMIT = 0.10
RECIPROCAL_TOLERANCE = 0.02
#: Gradient norm (in log judgments) below which a lambda_max completion counts as optimal,
#: and the iteration cap of its quasi-Newton solver.
COMPLETION_GTOL = 1e-9
COMPLETION_MAXITER = 500


@dataclass(frozen=True)
class Repair:
    """The judgment pair most responsible for inconsistency and a suggested value.

    Examples
    --------
    >>> Repair(0, 3, 0.5, 9.0, 0.0126).describe(["A", "B", "C", "D"])
    'judgment (A, D) = 0.5 is the most inconsistent; 9 would give CR = 0.0126'
    """

    i: int
    j: int
    current: float
    suggested: float
    cr_after: float

    def describe(self, labels: Sequence[str] | None = None) -> str:
        """One sentence naming the pair, its value, the suggestion and the CR it would give."""
        a = labels[self.i] if labels else f"#{self.i + 1}"
        b = labels[self.j] if labels else f"#{self.j + 1}"
        return (f"judgment ({a}, {b}) = {self.current:.4g} is the most inconsistent; "
                f"{self.suggested:.4g} would give CR = {self.cr_after:.4f}")


@dataclass(frozen=True)
class AHPResult:
    """Priority weights and consistency of one pairwise-comparison matrix.

    ``matrix`` is the matrix the weights come from; for an incomplete input it is the
    completed matrix, ``completed`` lists the (i, j) pairs (i < j) that were missing and
    ``completion`` names the method that filled them.

    Examples
    --------
    >>> res = ahp_weights([[1, 9], [1/9, 1]])
    >>> res.n, res.consistent, res.repair() is None
    (2, True, True)
    >>> res.to_frame(["a", "b"])["weight"].round(2).tolist()
    [0.9, 0.1]
    >>> print(res.summary(["a", "b"]))
    AHP (eigen, RI table saaty1980), n = 2
      a: 0.9000
      b: 0.1000
      lambda_max = 2.0000, CI = 0.0000, RI = 0.00, CR = 0.0000 (consistent)
    """

    matrix: np.ndarray
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    method: str
    completed: tuple[tuple[int, int], ...] = ()
    completion: str | None = None

    @property
    def n(self) -> int:
        return len(self.weights)

    @property
    def consistent(self) -> bool:
        """Saaty's rule: CR < 0.10; matrices of order 1 or 2 are always consistent."""
        return self.n <= 2 or self.cr < CR_LIMIT

    def repair(self) -> Repair | None:
        """The judgment that contributes most to inconsistency (None when n <= 2 or when the
        matrix is exactly consistent)."""
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
        if self.completed:
            names = labels if labels is not None else [f"#{k + 1}" for k in range(self.n)]
            pairs = ", ".join(f"({names[i]}, {names[j]}) = {self.matrix[i, j]:.4g}" for i, j in self.completed)
            lines.append(f"  {len(self.completed)} missing judgment(s) completed by {self.completion}: {pairs}")
        rep = self.repair()
        if rep is not None:
            lines.append("  " + rep.describe(labels))
        return "\n".join(lines)


def check_pairwise(matrix: object, name: str = "matrix") -> np.ndarray:
    """Validate a complete pairwise-comparison matrix: square, positive, unit diagonal, reciprocal.

    Parameters
    ----------
    matrix
        Square array, ``a[i, j]`` = importance of i over j.
    name
        Label used in error messages.

    Returns
    -------
    numpy.ndarray
        The matrix with its lower triangle rebuilt as the reciprocal of the upper one, so
        rounding in user files (0.333 for 1/3) does not perturb the weights.

    Examples
    --------
    >>> float(check_pairwise([[1, 3], [0.333, 1]])[1, 0]) == 1 / 3
    True
    """
    a = check_square(as_float_array(matrix, name), name)
    check_positive(a.ravel(), name)
    check_scale(a, name)
    _check_diagonal(a, name)
    off = np.abs(a * a.T - 1.0)
    if np.any(off > RECIPROCAL_TOLERANCE):
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        raise InputError(
            f"not reciprocal: a[{i + 1},{j + 1}] = {a[i, j]:.4g} but a[{j + 1},{i + 1}] = "
            f"{a[j, i]:.4g}; expected a[j,i] = 1/a[i,j] = {1 / a[i, j]:.4g}", where=name)
    upper = np.triu(a, 1)
    return upper + np.tril(1.0 / a.T, -1) + np.eye(len(a))


#: the largest judgment accepted: Saaty's scale ends at 9; measured ratio scales rarely pass 1,000
MAX_JUDGMENT = 1_000.0


def check_scale(a: np.ndarray, name: str) -> None:
    """Refuse judgments no comparison scale produces (e.g. 1e308 typed by mistake)."""
    present = a[np.isfinite(a)]
    big = present[(present > MAX_JUDGMENT) | (present < 1 / MAX_JUDGMENT)]
    if big.size:
        raise InputError(f"judgment {big[0]:.4g} is off any comparison scale: Saaty's runs from 1/9 to 9, "
                         f"finstab accepts 1/{MAX_JUDGMENT:,.0f} to {MAX_JUDGMENT:,.0f}", where=name)


def _check_diagonal(a: np.ndarray, name: str) -> None:
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=RECIPROCAL_TOLERANCE):
        k = int(np.argmax(np.abs(np.diag(a) - 1)))
        raise InputError(f"diagonal entry ({k + 1}, {k + 1}) is {a[k, k]:.4g}; expected 1", where=name)


def random_index(n: int, table: str = "saaty1980") -> float:
    """Random consistency index for a matrix of order ``n`` from a named table.

    Parameters
    ----------
    n
        Order of the matrix (1..15).
    table
        A key of :data:`RI_TABLES`: ``"saaty1980"``, ``"saaty_extended"``, ``"saaty2005"``,
        ``"donegan_dodd"`` or ``"alonso_lamata2006"``.

    Examples
    --------
    >>> random_index(3), random_index(3, "saaty2005"), random_index(3, "donegan_dodd")
    (0.58, 0.52, 0.4914)
    """
    check_option(table, tuple(RI_TABLES), "ri_table")
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
    ri = random_index(n, table)
    if n <= 2:
        return 0.0, 0.0, ri
    ci = max((lam - n) / (n - 1), 0.0)
    return ci, ci / ri, ri


def ahp_weights(matrix: object, method: str = "eigen", ri_table: str = "saaty1980",
                name: str = "matrix", completion: str | None = None) -> AHPResult:
    """Priority weights of a pairwise-comparison matrix with Saaty's consistency check.

    Parameters
    ----------
    matrix
        Square positive reciprocal matrix, ``a[i, j]`` = importance of i over j (1-9 scale).
        Missing judgments may be NaN when ``completion`` is given.
    method
        ``"eigen"`` (principal eigenvector, Saaty) or ``"geometric"`` (row geometric mean).
    ri_table
        Name of the random-index table (see :data:`RI_TABLES`).
    name
        Label used in error messages (for example a YAML path).
    completion
        How missing judgments are filled (see :func:`complete_pairwise`); ``None`` (default)
        rejects an incomplete matrix. CR of a completed matrix uses RI of its full order.

    Returns
    -------
    AHPResult
        Weights summing to 1, lambda_max, CI, CR and the RI table used.

    Examples
    --------
    >>> res = ahp_weights([[1, 2, 4], [1/2, 1, 2], [1/4, 1/2, 1]])
    >>> [round(float(w), 4) for w in res.weights], round(res.cr, 6)
    ([0.5714, 0.2857, 0.1429], 0.0)
    """
    check_option(method, METHODS, "method")
    check_option(ri_table, tuple(RI_TABLES), "ri_table")
    completed: tuple[tuple[int, int], ...] = ()
    if completion is not None:
        check_option(completion, COMPLETIONS, "completion")
        raw = _as_partial(matrix, name)
        completed = tuple((int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(np.isnan(raw), 1)), strict=True))
        a = complete_pairwise(raw, completion, name) if completed else raw
    else:
        raw = _as_partial(matrix, name)
        missing = np.argwhere(np.triu(np.isnan(raw), 1))
        if len(missing):
            pairs = ", ".join(f"({i + 1}, {j + 1})" for i, j in missing[:5])
            raise InputError(f"{len(missing)} judgment(s) missing: {pairs}; fill them or pass "
                             f"completion={COMPLETIONS}", where=name)
        a = raw  # validated and its lower triangle rebuilt by _as_partial
    w, lam = _METHODS[method](a)
    ci, cr, ri = _consistency(len(a), lam, ri_table)
    return AHPResult(a, w, lam, ci, cr, ri, ri_table, method, completed,
                     completion if completed else None)


# --------------------------------------------------------------------------------------------
# Incomplete pairwise matrices
# --------------------------------------------------------------------------------------------

def _as_partial(matrix: object, name: str) -> np.ndarray:
    """A square matrix with NaN for missing judgments; reciprocals filled where one side is given."""
    try:
        a = np.array(matrix, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"expected numbers or NaN, got {type(matrix).__name__}", where=name) from exc
    check_square(a, name)
    if np.any(np.isinf(a)):
        raise InputError("infinite judgment", where=name)
    known = ~np.isnan(a)
    check_positive(a[known], name)
    check_scale(a, name)
    if np.any(~known.diagonal()):
        k = int(np.flatnonzero(~known.diagonal())[0])
        raise InputError(f"diagonal entry ({k + 1}, {k + 1}) is missing; expected 1", where=name)
    _check_diagonal(a, name)
    one_sided = known & ~known.T
    a = np.where(one_sided.T, 1.0 / a.T, a)
    both = ~np.isnan(a)
    off = np.where(both, np.abs(a * a.T - 1.0), 0.0)
    if np.any(off > RECIPROCAL_TOLERANCE):
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        raise InputError(f"not reciprocal: a[{i + 1},{j + 1}] = {a[i, j]:.4g} but a[{j + 1},{i + 1}] = "
                         f"{a[j, i]:.4g}", where=name)
    upper = np.triu(a, 1)
    return upper + np.tril(1.0 / a.T, -1) + np.eye(len(a))


def _components(known: np.ndarray) -> list[list[int]]:
    """Connected components of the comparison graph (an edge per known judgment)."""
    seen = np.zeros(len(known), dtype=bool)
    comps: list[list[int]] = []
    for start in range(len(known)):
        if seen[start]:
            continue
        stack, members = [start], []
        seen[start] = True
        while stack:
            v = stack.pop()
            members.append(v)
            for u in np.flatnonzero(known[v] & ~seen):
                seen[u] = True
                stack.append(int(u))
        comps.append(sorted(members))
    return comps


def _llsm_weights(a: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Logarithmic least squares over the known judgments: L y = r with the graph Laplacian L
    and r_i = sum_j ln a_ij over known j; y_1 = 0 pins the free constant (connected graph)."""
    adj = known & ~np.eye(len(a), dtype=bool)
    lap = np.diag(adj.sum(axis=1)) - adj
    r = np.log(np.where(adj, a, 1.0)).sum(axis=1)
    y = np.zeros(len(a))
    y[1:] = np.linalg.solve(lap[1:, 1:], r[1:])
    return np.exp(y)  # unnormalised: only the ratios w_i / w_j are used


def _harker_weights(a: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Harker (1987): zero for a missing judgment, 1 + (missing in the row) on the diagonal."""
    c = np.where(known, a, 0.0) + np.diag((~known).sum(axis=1))
    return _principal_eigen(c)[0]


def _perron(a: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Perron root, right vector w and left vector v scaled so that v . w = 1."""
    w, lam = _principal_eigen(a)
    v = _principal_eigen(a.T)[0]
    return lam, w, v / (v @ w)


def _fill(a: np.ndarray, pairs: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``a`` with the judgments at ``pairs`` (i < j) set to exp(t) and their reciprocals."""
    m = a.copy()
    m[pairs[:, 0], pairs[:, 1]] = np.exp(t)
    m[pairs[:, 1], pairs[:, 0]] = np.exp(-t)
    return m


def _lambda_max_and_gradient(t: np.ndarray, a: np.ndarray, pairs: np.ndarray) -> tuple[float, np.ndarray]:
    """lambda_max of the completion and its gradient in the log judgments t.

    Perturbation of a simple Perron root: d lambda / d a_kl = v_k w_l with v . w = 1, so
    d lambda / d ln x = v_i w_j x - v_j w_i / x for x at (i, j) and 1/x at (j, i).
    """
    lam, w, v = _perron(_fill(a, pairs, t))
    i, j = pairs[:, 0], pairs[:, 1]
    x = np.exp(t)
    return lam, v[i] * w[j] * x - v[j] * w[i] / x


def _lambda_max_completion(a: np.ndarray, pairs: np.ndarray, name: str) -> np.ndarray:
    """Bozóki, Fülöp & Rónyai (2010): minimise lambda_max over the log missing judgments.

    lambda_max is a convex function of the logarithms of the missing entries (their Theorem 2),
    so a quasi-Newton method finds the unique optimum of a connected comparison graph.
    """
    options = {"gtol": COMPLETION_GTOL, "maxiter": COMPLETION_MAXITER}
    res = minimize(_lambda_max_and_gradient, np.zeros(len(pairs)), args=(a, pairs),
                   jac=True, method="BFGS", options=options)
    gnorm = float(np.max(np.abs(_lambda_max_and_gradient(res.x, a, pairs)[1])))
    if gnorm > 1e3 * COMPLETION_GTOL:
        warn(f"{name}: lambda_max completion stopped with gradient {gnorm:.2e} after {res.nit} "
             "iterations; the completed judgments may not be optimal", ConvergenceWarning)
    return _fill(a, pairs, res.x)


def complete_pairwise(matrix: object, method: str = "lambda_max", name: str = "matrix") -> np.ndarray:
    """Fill the missing judgments of an incomplete pairwise-comparison matrix.

    Parameters
    ----------
    matrix
        Square matrix with NaN where a judgment is missing. A judgment given on one side only
        (``a[i, j]`` without ``a[j, i]``) is completed by its reciprocal. The graph whose edges
        are the known judgments must be connected, otherwise the weights are not determined
        (Bozóki et al. 2010, Theorems 3 and 5).
    method
        ``"lambda_max"``: the completion minimising the Perron eigenvalue, i.e. the most
        consistent one (Bozóki, Fülöp & Rónyai 2010), solved by BFGS in log judgments;
        ``"harker"``: Harker's (1987) eigenvector method, missing a_ij = w_i / w_j where w
        is the principal eigenvector of A with zeros for missing entries and 1 + m_i on the
        diagonal (m_i missing judgments in row i); ``"llsm"``: logarithmic least squares over
        the known judgments (Bozóki et al. 2010, section 4), missing a_ij = w_i / w_j.
    name
        Label used in error messages.

    Returns
    -------
    numpy.ndarray
        The completed positive reciprocal matrix. Its principal eigenvector equals Harker's
        weights for ``"harker"``; its row geometric mean equals the LLSM weights for ``"llsm"``.

    Examples
    --------
    Bozóki et al. (2010), Example 3: one missing judgment; the lambda_max-optimal value is
    printed there as 0.7302965066047 (to the 6 digits their algorithm guarantees).

    >>> nan = float("nan")
    >>> u = [[1, 1, 5, 2], [1, 1, 3, 4], [1/5, 1/3, 1, nan], [1/2, 1/4, nan, 1]]
    >>> round(float(complete_pairwise(u)[2, 3]), 6)
    0.730297
    """
    check_option(method, COMPLETIONS, "method")
    a = _as_partial(matrix, name)
    known = ~np.isnan(a)
    if known.all():
        return a
    comps = _components(known)
    if len(comps) > 1:
        groups = "; ".join("{" + ", ".join(f"#{k + 1}" for k in c) + "}" for c in comps)
        raise InputError(f"the known judgments split the items into {len(comps)} unconnected groups "
                         f"({groups}); compare at least one pair across groups", where=name)
    pairs = np.argwhere(np.triu(~known))
    if method == "lambda_max":
        return _lambda_max_completion(a, pairs, name)
    w = _harker_weights(a, known) if method == "harker" else _llsm_weights(a, known)
    return np.where(known, a, w[:, None] / w[None, :])


# --------------------------------------------------------------------------------------------
# Group decisions
# --------------------------------------------------------------------------------------------

def _expert_weights(weights: Sequence[float] | None, k: int) -> np.ndarray:
    if weights is None:
        return np.full(k, 1.0 / k)
    wts = check_positive(as_float_array(weights, "weights", ndim=1), "weights")
    if len(wts) != k:
        raise InputError(f"{len(wts)} weights for {k} matrices", where="weights")
    return wts / wts.sum()


def _stack_experts(matrices: Sequence[object]) -> np.ndarray:
    if len(matrices) == 0:
        raise InputError("need at least one matrix", where="matrices")
    checked = [check_pairwise(m, f"matrices[{k}]") for k, m in enumerate(matrices)]
    for k, a in enumerate(checked):
        if a.shape != checked[0].shape:
            raise InputError(f"order {len(a)} differs from matrices[0] (order {len(checked[0])})",
                             where=f"matrices[{k}]")
    return np.stack(checked)


def group_judgments(matrices: Sequence[object], weights: Sequence[float] | None = None
                    ) -> np.ndarray:
    """AIJ: aggregate experts' judgments by the weighted geometric mean (keeps reciprocity).

    Aggregation of individual judgments (Forman & Peniwati 1998) treats the group as one
    decision maker: a_ij = prod_k a_ij^(k) ^ lambda_k. Take its weights with :func:`ahp_weights`.

    Parameters
    ----------
    matrices
        One complete pairwise matrix per expert, all of the same order.
    weights
        Expert weights (normalised to sum 1); equal when omitted.

    Examples
    --------
    >>> float(group_judgments([[[1, 4], [1/4, 1]], [[1, 1], [1, 1]]])[0, 1])
    2.0
    """
    stack = _stack_experts(matrices)
    wts = _expert_weights(weights, len(stack))
    return np.exp(np.tensordot(wts, np.log(stack), axes=1))


def group_priorities(matrices: Sequence[object], weights: Sequence[float] | None = None,
                     method: str = "eigen") -> np.ndarray:
    """AIP: aggregate experts' priority vectors by the weighted geometric mean, then normalise.

    Aggregation of individual priorities (Forman & Peniwati 1998) treats the experts as
    separate decision makers: each matrix gives its own weights w^(k), and the group weight
    is prod_k (w_i^(k)) ^ lambda_k / sum_j prod_k (w_j^(k)) ^ lambda_k. With the geometric
    weighting method AIP and AIJ coincide (Barzilai & Golany 1994); with the eigenvector
    they differ unless the matrices are consistent.

    Parameters
    ----------
    matrices
        One complete pairwise matrix per expert, all of the same order.
    weights
        Expert weights (normalised to sum 1); equal when omitted.
    method
        Weighting method for each expert (``"eigen"`` or ``"geometric"``).

    Examples
    --------
    >>> w = group_priorities([[[1, 4], [1/4, 1]], [[1, 1], [1, 1]]])
    >>> [round(float(x), 4) for x in w]
    [0.6667, 0.3333]
    """
    check_option(method, METHODS, "method")
    pri = np.stack([_METHODS[method](a)[0] for a in _stack_experts(matrices)])
    g = np.exp(_expert_weights(weights, len(pri)) @ np.log(pri))
    return g / g.sum()


# --------------------------------------------------------------------------------------------
# Repair hints and presets
# --------------------------------------------------------------------------------------------

def _nearest_scale(x: float) -> float:
    return float(SAATY_SCALE[np.argmin(np.abs(np.log(SAATY_SCALE) - np.log(x)))])


def _worst_judgment(res: AHPResult) -> Repair | None:
    """The pair with the largest |ln(a_ij w_j / w_i)|, and the scale value minimising CR."""
    a, w = res.matrix, res.weights
    dev = np.triu(np.abs(np.log(a * w[None, :] / w[:, None])), 1)
    if dev.max() <= 1e-12:  # exactly consistent (every matrix of order 1 or 2 is): nothing to repair
        return None
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
    """A pairwise matrix on Saaty's scale approximating given priorities (for presets and tests).

    Examples
    --------
    >>> matrix_from_priorities([0.6, 0.3, 0.1])[0].tolist()
    [1.0, 2.0, 6.0]
    """
    p = check_positive(as_float_array(priorities, "priorities", ndim=1), "priorities")
    ratio = p[:, None] / p[None, :]
    return np.vectorize(_nearest_scale)(ratio)
