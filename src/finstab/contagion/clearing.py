"""Eisenberg-Noe clearing with Rogers-Veraart bankruptcy costs and senior external debt.

Conventions: ``liabilities[i, j]`` is what i owes j. Dense arrays and scipy.sparse matrices
are both accepted.

The clearing map
----------------
Write ``e`` for external assets, ``ext`` for external liabilities and ``r = Pi^T p`` for what
each bank receives from the others when they pay ``p``. ``Pi[i, j]`` is the share of i's
payment that goes to j.

* ``seniority="pari_passu"`` (Eisenberg & Noe 2001): external creditors rank equally with
  interbank creditors. ``p`` is each bank's total payment, ``pbar = L 1 + ext``,
  ``Pi = L / pbar`` row-wise (the rest of each row goes to external creditors) and
  ``p = min(pbar, e + Pi^T p)``.
* ``seniority="senior"``: external creditors are paid first. ``p`` is the interbank payment,
  ``pbar = L 1``, ``Pi = L / pbar`` and ``p = min(pbar, max(0, e - ext + Pi^T p))``.

A bank defaults when ``e + r < pbar + s`` (``s = ext`` if senior, else 0). With Rogers &
Veraart (2013) costs a defaulted bank realises only ``alpha e + beta r`` and pays
``max(0, alpha e + beta r - s)``; a solvent bank pays ``pbar`` in full. With ``alpha = beta = 1``
this is the Eisenberg-Noe map. Every variant is monotone, so the payments form a lattice and
:func:`eisenberg_noe` returns its greatest element, the *greatest clearing vector*.

Algorithm
---------
Picard iteration from ``pbar`` decreases monotonically to the greatest clearing vector (for
the Rogers-Veraart map too: it is monotone and continuous from above). Only defaulted banks
change their payment, so while they hold under a third of the entries each step updates
receipts from their rows alone; after that a step is exactly a plain sparse Picard step. When
Picard is slow and the default set has settled, a fictitious-default step solves the defaulted
block exactly: policy iteration for the zero floor, each linear solve by dense LU (small
blocks) or restarted GMRES warm-started at the current payments, never a sparse LU (its
fill-in made the old solver slow). The step is accepted only when it is certified to lie
between the greatest clearing vector and the current payments (unique solution: no closed
class of defaulted banks, residual within tolerance); otherwise Picard goes on, and its limit
is the greatest clearing vector whatever the network. GMRES stops as soon as it is projected
to save less than half of the Picard steps left, and failed attempts are capped at a tenth of
the Picard work, so clearing costs about a plain Picard iteration at worst and much less when
few banks default (see ``benchmarks/bench_contagion.py``).

References
----------
Eisenberg, L. & Noe, T. (2001). Systemic risk in financial systems. Management Science 47(2).
Rogers, L. C. G. & Veraart, L. A. M. (2013). Failure and rescue in an interbank network.
Management Science 59(4).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import LinearOperator, gmres

from finstab.contagion._checks import check_labels, check_matrix, check_vector
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import check_option
from finstab.core.warnings import ConvergenceWarning, collect, warn

MAX_ROUNDS = 10_000
SENIORITIES = ("pari_passu", "senior")
#: blocks up to this size are solved by dense LU; larger ones by GMRES
DENSE_BLOCK = 200
#: refine once the remaining Picard steps are estimated above this many
REFINE_AFTER = 30
#: cost of extracting the defaulted block, and of one GMRES iteration, in block products
EXTRACT_COST = 3
GMRES_COST = 2.5


@dataclass(frozen=True, eq=False)
class ClearingResult(Result):
    """Clearing payments of every bank and who defaulted.

    ``payments`` are total payments (pari passu) or interbank payments (senior external debt);
    ``obligations`` the matching nominal amounts ``pbar``. The main table, ``clearing``, has one
    row per bank keyed by ``node``.
    """

    kind: ClassVar[str] = "clearing"
    payments: np.ndarray
    obligations: np.ndarray
    defaulted: np.ndarray
    rounds: int
    net_worth: np.ndarray  # external assets + interbank receipts - all obligations
    external_paid: np.ndarray
    nodes: tuple[Any, ...] = ()
    seniority: str = "pari_passu"
    alpha: float = 1.0
    beta: float = 1.0
    converged: bool = True
    receipts: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def node_ids(self) -> list[Any]:
        """Node ids: ``nodes`` when given, else positions 0..n-1."""
        return list(self.nodes) if self.nodes else list(range(len(self.payments)))

    @property
    def shortfall(self) -> np.ndarray:
        """Unpaid part of each bank's obligations ``pbar - p``."""
        return self.obligations - self.payments

    def tables(self) -> dict[str, pd.DataFrame]:
        main = pd.DataFrame({"node": self.node_ids, "payment": self.payments, "obligation": self.obligations,
                             "shortfall": self.shortfall, "defaulted": self.defaulted,
                             "net_worth": self.net_worth, "external_paid": self.external_paid})
        if len(self.receipts) == len(self.payments):
            main.insert(4, "receipts", self.receipts)
        return {"clearing": main}

    def config(self) -> dict[str, Any]:
        return {"seniority": self.seniority, "alpha": self.alpha, "beta": self.beta, "rounds": self.rounds,
                "converged": self.converged}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> ClearingResult:
        t, c = tables["clearing"], dict(config or {})
        col = t.get("receipts")
        return cls(t["payment"].to_numpy(float), t["obligation"].to_numpy(float), t["defaulted"].to_numpy(bool),
                   int(c.get("rounds", 0)), t["net_worth"].to_numpy(float), t["external_paid"].to_numpy(float),
                   tuple(t["node"]), c.get("seniority", "pari_passu"), float(c.get("alpha", 1.0)),
                   float(c.get("beta", 1.0)), bool(c.get("converged", True)),
                   np.empty(0) if col is None else col.to_numpy(float), provenance=provenance, warnings=warnings)

    def summary(self) -> str:
        n, k = len(self.payments), int(self.defaulted.sum())
        costs = "" if (self.alpha, self.beta) == (1.0, 1.0) else f", alpha {self.alpha:g}, beta {self.beta:g}"
        if self.lang == "zh":
            sen = "外部债务优先" if self.seniority == "senior" else "外部债务同顺位"
            head = (f"Eisenberg-Noe 清算（{sen}{costs}）：{n} 家中 {k} 家违约，"
                    f"缺口合计 {self.shortfall.sum():.4g}，{self.rounds} 轮")
            if not self.converged:
                head += "；未收敛（支付为最大清算向量的上界）"
        else:
            sen = "senior external debt" if self.seniority == "senior" else "external debt pari passu"
            head = (f"Eisenberg-Noe clearing ({sen}{costs}): {k} of {n} default, "
                    f"shortfall {self.shortfall.sum():.4g}, {self.rounds} rounds")
            if not self.converged:
                head += "; NOT converged (payments are an upper bound of the greatest clearing vector)"
        return f"{head}\n{self.footer()}"


def eisenberg_noe(liabilities: Any, external_assets: Any, *, external_liabilities: Any = None,
                  seniority: str = "pari_passu", alpha: float = 1.0, beta: float = 1.0,
                  labels: Sequence[Any] | None = None, tol: float = 1e-12, max_rounds: int = MAX_ROUNDS,
                  provenance: Provenance | None = None) -> ClearingResult:
    """Greatest clearing vector of an interbank network.

    Parameters
    ----------
    liabilities
        (n, n) interbank liabilities, dense or scipy.sparse; ``[i, j]`` is what i owes j.
    external_assets
        (n,) assets outside the network (a scalar is broadcast).
    external_liabilities
        (n,) obligations to creditors outside the network (default none).
    seniority
        ``"pari_passu"``: external creditors share pro rata with interbank creditors,
        ``p = min(pbar, e + Pi^T p)`` with ``pbar = L 1 + ext`` and ``p`` the total payment.
        ``"senior"``: external creditors are paid first, ``p = min(pbar, max(0, e - ext + Pi^T p))``
        with ``pbar = L 1`` and ``p`` the interbank payment.
    alpha, beta
        Rogers-Veraart recovery rates in (0, 1] on external assets and on interbank receipts of a
        defaulted bank, which pays ``max(0, alpha e + beta r - s)`` (``s = ext`` if senior,
        else 0). ``alpha = beta = 1`` is Eisenberg-Noe (no bankruptcy costs).
    labels
        Node ids for the result's table (default 0..n-1).
    tol
        Relative tolerance (times the largest amount in the network) at which Picard steps
        stop; when they were slow, the final default set is then solved exactly.
    max_rounds
        Cap on Picard steps. When it is hit a :class:`~finstab.core.warnings.ConvergenceWarning`
        is issued, the result records it and ``converged`` is False; the payments are then an
        upper bound of the greatest clearing vector.
    provenance
        Provenance to attach (pipelines pass theirs).

    Returns
    -------
    ClearingResult
        Payments, obligations, default flags, net worth (``e + r - L 1 - ext``) and what
        external creditors receive: ``ext * p / pbar`` pari passu; ``ext`` for solvent banks
        and ``min(ext, alpha e + beta r)`` for defaulted ones when senior.

    Raises
    ------
    InputError
        Non-square, negative or non-finite liabilities, a non-zero diagonal, vectors of the
        wrong length, an unknown seniority or recovery rates outside (0, 1].

    Examples
    --------
    Bank 0 owes 4 to bank 1 and 17 outside; it has 18 outside and receives 2 from bank 2:

    >>> import numpy as np
    >>> L = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0.0]])
    >>> res = eisenberg_noe(L, [18, 18, 9], external_liabilities=[17, 18, 8])
    >>> res.payments.round(4).tolist(), res.defaulted.tolist()
    ([20.0, 21.0, 10.0], [True, False, False])

    With senior external debt, bank 0 pays its 17 outside first and only 3 to bank 1:

    >>> senior = eisenberg_noe(L, [18, 18, 9], external_liabilities=[17, 18, 8], seniority="senior")
    >>> senior.payments.round(4).tolist(), senior.external_paid.round(4).tolist()
    ([3.0, 3.0, 2.0], [17.0, 18.0, 8.0])

    Rogers-Veraart costs: a defaulted bank recovers half its outside assets (``alpha = 0.5``),
    so bank 0 pays only 0.5 * 18 + 2 = 11; bank 1 (18 + 11 * 4/21 < 21) defaults in turn and
    pays 0.5 * 18 + 11 * 4/21:

    >>> rv = eisenberg_noe(L, [18, 18, 9], external_liabilities=[17, 18, 8], alpha=0.5)
    >>> rv.payments.round(4).tolist(), rv.defaulted.tolist()
    ([11.0, 11.0952, 10.0], [True, True, False])
    """
    L = check_matrix(liabilities, "liabilities")
    n = L.shape[0]
    e = check_vector(external_assets, n, "external_assets")
    ext = np.zeros(n) if external_liabilities is None else check_vector(external_liabilities, n,
                                                                        "external_liabilities")
    check_option(seniority, SENIORITIES, "seniority")
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not (isinstance(value, numbers.Real) and 0 < value <= 1):
            raise InputError(f"{value}; expected a recovery rate in (0, 1]", where=name)
    if not (isinstance(tol, numbers.Real) and 0 < tol < 1):
        raise InputError(f"{tol}; expected a relative tolerance in (0, 1)", where="tol")
    if not (isinstance(max_rounds, numbers.Integral) and max_rounds >= 1):
        raise InputError(f"{max_rounds}; expected a positive whole number", where="max_rounds")
    nodes = check_labels(labels, n)
    interbank = L @ np.ones(n)
    senior = seniority == "senior"
    pbar = interbank if senior else interbank + ext
    s = ext if senior else np.zeros(n)
    inv = np.divide(1.0, pbar, out=np.zeros(n), where=pbar > 0)
    # pi[i, j] = share of i's payment that goes to j (row scaling on the stored entries)
    pi = sp.csr_matrix((L.data * np.repeat(inv, np.diff(L.indptr)), L.indices, L.indptr), shape=L.shape)
    with collect() as seen:
        p, receipts, defaulted, rounds, converged = _greatest_clearing(pi, e, s, pbar, float(alpha), float(beta),
                                                                       float(tol), max_rounds)
    if senior:
        realised = np.where(defaulted, alpha * e + beta * receipts, e + receipts)
        ext_paid = np.where(defaulted, np.clip(realised, 0, ext), ext)
    else:
        ext_paid = p * np.divide(ext, pbar, out=np.zeros(n), where=pbar > 0)
    return ClearingResult(p, pbar, defaulted, rounds, e + receipts - interbank - ext, ext_paid, nodes, seniority,
                          float(alpha), float(beta), converged, receipts,
                          provenance=provenance or Provenance.unrecorded(), warnings=tuple(seen))


# --------------------------------------------------------------------------------------------
# the solver


class _Receipts:
    """What every bank receives, ``Pi^T p``, kept up to date as the defaulted banks' payments fall.

    While the defaulted banks hold a small share of the entries, only their rows of ``Pi`` are
    used (the change of receipts is ``Pi_D^T delta``); past a third of the entries, receipts are
    recomputed in full, as a plain Picard step would (through the transpose's column layout,
    which costs no copy).
    """

    def __init__(self, pi: sp.csr_matrix, p: np.ndarray) -> None:
        self.pi = pi
        self.idx = np.empty(0, dtype=np.int64)  # defaulted banks, in the order they defaulted
        self.blocks: list[sp.csr_matrix] = []  # their rows of pi
        self.transposed: list[Any] = []  # CSC views of the blocks' transposes
        self.nnz = 0
        self.pi_t = pi.T  # CSC view of the transpose: full products without a copy
        self.full = False  # True once most entries are defaulted rows
        self.value = self.pi_t @ p

    def add(self, new: np.ndarray) -> None:
        self.idx = np.concatenate([self.idx, new])
        if self.full:
            return
        block = self.pi[new]
        self.nnz += block.nnz
        if self.nnz > self.pi.nnz // 3:
            self.full = True
            self.blocks, self.transposed = [], []
            return
        self.blocks.append(block)
        self.transposed.append(block.T)
        if len(self.blocks) > 4:
            self.rows()

    def rows(self) -> sp.csr_matrix:
        """``Pi[D]`` in the order of ``idx`` (only while the rows are kept)."""
        if len(self.blocks) > 1:
            self.blocks = [sp.vstack(self.blocks, format="csr")]
            self.transposed = [self.blocks[0].T]
        return self.blocks[0]

    def update(self, p: np.ndarray, delta: np.ndarray) -> None:
        """Receipts after payments changed by ``delta`` (zero outside the defaulted banks; ``p`` is new)."""
        if self.full:
            self.value = self.pi_t @ p
            return
        delta = delta[self.idx]
        start = 0
        for b, bt in zip(self.blocks, self.transposed, strict=True):
            self.value += bt @ delta[start:start + b.shape[0]]
            start += b.shape[0]

    def exact(self, p: np.ndarray) -> np.ndarray:
        """Receipts recomputed from scratch (no accumulated rounding)."""
        self.value = self.pi_t @ p
        return self.value


class _Block:
    """``B = beta Pi_DD^T`` on the defaulted banks ``D = rec.idx``: products, row sums, sub-blocks.

    While the receipts keep the defaulted rows, ``B`` is extracted from them (cheap); once they
    recompute receipts in full, products go through the full transpose with the other banks
    masked out, so nothing is extracted unless a small dense solve or the closed-class check
    needs it.
    """

    def __init__(self, rec: _Receipts, beta: float) -> None:
        self.rec, self.beta, self.d = rec, beta, rec.idx
        self.m = self.d.size
        self._explicit: Any = None
        if not rec.full:
            self._explicit = rec.rows()[:, self.d].T  # CSC: [a, b] = pi[d_b, d_a]
            if beta != 1.0:
                self._explicit = beta * self._explicit

    def explicit(self) -> Any:
        if self._explicit is None:
            self._explicit = self.rec.pi[self.d][:, self.d].T
            if self.beta != 1.0:
                self._explicit = self.beta * self._explicit
        return self._explicit

    def matvec(self, x: np.ndarray, j: np.ndarray | None = None) -> np.ndarray:
        """``B x`` (``x`` over D), or ``B_JJ x`` (``x`` over ``j``, a subset of positions in D)."""
        if self._explicit is not None:
            if j is None:
                return self._explicit @ x
            full = np.zeros(self.m)
            full[j] = x
            return (self._explicit @ full)[j]
        pt = self.rec.pi_t
        v = np.zeros_like(self.rec.value)
        v[self.d if j is None else self.d[j]] = x
        out = (pt @ v)[self.d if j is None else self.d[j]]
        return out if self.beta == 1.0 else self.beta * out

    def sub(self, j: np.ndarray) -> Any:
        """Explicit ``B_JJ`` (for small dense solves)."""
        b = self.explicit()
        return b if j.size == self.m else b[j][:, j]

    def kept_inside(self) -> np.ndarray:
        """Share of each defaulted bank's payment that stays in D, times beta."""
        if self._explicit is not None:
            return np.ones(self.m) @ self._explicit
        mask = np.zeros_like(self.rec.value)
        mask[self.d] = 1.0
        return self.beta * (self.rec.pi @ mask)[self.d]


def _greatest_clearing(pi: sp.csr_matrix, e: np.ndarray, s: np.ndarray, pbar: np.ndarray, alpha: float,
                       beta: float, tol: float, max_rounds: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """Greatest fixed point of p_i = pbar_i if solvent else max(0, alpha e_i + beta r_i - s_i).

    Every iterate is an upper bound of the greatest clearing vector that the clearing map does
    not increase: Picard steps keep that property, and a refinement is accepted only when it
    keeps it too (see :func:`_refine`). Work is counted in products with the defaulted block;
    refinements are tried while the failed ones cost under a tenth of the Picard work, backing off
    geometrically after each failure, and each only when projected to halve the Picard steps left.
    """
    n = len(pbar)
    p = pbar.copy()
    rec = _Receipts(pi, p)
    scale = max(float(pbar.max(initial=0.0)), float(e.max(initial=0.0)), float(s.max(initial=0.0)))
    if scale == 0:
        return p, rec.value, np.zeros(n, dtype=bool), 0, True
    atol = tol * scale
    eps = 1e-13 * scale  # rounding allowance at the solvency boundary
    base = alpha * e - s
    es, floor = e - s, pbar - eps
    plain = alpha == 1.0 and beta == 1.0  # then a defaulted bank pays max(0, assets)
    floored = bool(s.any())  # senior external debt: assets can be negative
    rounds, stable, refined_at, prev_step, seen_defaults = 0, 0, -1, math.inf, -1
    picard, wasted, next_try = 0, 0, 0
    converged = True

    def refine(budget: int) -> bool:
        nonlocal refined_at, rounds, wasted, next_try
        if rec.full:  # the default set is read off the receipts
            rec.idx = np.flatnonzero(es + rec.value < floor)
        d = rec.idx
        refined_at = d.size
        x, used = _refine(_Block(rec, beta), p[d], base[d] + beta * rec.value[d], eps, atol, budget)
        if x is None:
            wasted += used
            next_try = 2 * picard + used  # back off geometrically
            return False
        delta = np.zeros(n)
        delta[d] = x - p[d]
        p[d] = x
        rec.update(p, delta)
        rounds += 1
        return True

    # Preallocated work vectors and no masked operations (they cost ten times a plain pass):
    # defaulted banks get a floor of -inf (never "new" again), solvent ones a cap of +inf
    # (min(p, +inf) keeps their pbar). Once receipts are recomputed in full and there are no
    # costs, a step is exactly a plain Picard step, min(pbar, max(0, assets)), and the default
    # set is read off the receipts when needed.
    assets, value, target, delta = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    fresh = np.empty(n, dtype=bool)
    floor_now, cap = floor.copy(), np.full(n, np.inf)
    defaulted = np.zeros(n, dtype=bool)
    empty = np.empty(0, dtype=np.int64)
    while True:
        np.add(es, rec.value, out=assets)
        lean = plain and rec.full
        if lean:
            new = empty
            if floored:
                np.maximum(assets, 0.0, out=target)
                np.minimum(target, pbar, out=target)
            else:  # pari passu without costs: assets are never negative
                np.minimum(assets, pbar, out=target)
        else:
            np.less(assets, floor_now, out=fresh)
            new = np.flatnonzero(fresh) if fresh.any() else empty
            if new.size:
                defaulted[new] = True
                floor_now[new], cap[new] = -np.inf, 0.0
                rec.add(new)
                stable = 0
            else:
                stable += 1
            if rec.idx.size == 0:
                break
            if plain:
                np.maximum(assets, 0.0, out=target)
            else:
                np.multiply(rec.value, beta, out=value)
                value += base
                np.maximum(value, 0.0, out=target)
            target += cap
            np.minimum(target, p, out=target)
        np.subtract(target, p, out=delta)
        step = float(-delta.min())
        if step <= atol and new.size == 0:
            # Picard has stopped; when it was very slow its limit may still be far (error up to
            # step * ratio / (1 - ratio)): solve the default set exactly if that is affordable
            ratio = min(step / prev_step, 1.0) if 0 < prev_step < math.inf and (lean or stable >= 2) else 0.0
            slow = ratio >= 1 or step * ratio / (1 - ratio) > 1000 * atol
            if slow and (lean or refined_at != rec.idx.size) and wasted <= max(picard, 4 * REFINE_AFTER) // 10 \
                    and refine(4 * REFINE_AFTER):
                prev_step = math.inf
                continue  # the next pass checks the refined payments
            if step > 0:
                p, target = target, p
                rec.update(p, delta)
            if not lean and np.any(es + rec.exact(p) < floor_now):
                refined_at = -1  # rounding hid a default: go on
                continue
            break
        if rounds >= max_rounds:
            warn(f"Eisenberg-Noe clearing stopped after {max_rounds} rounds with payments still changing "
                 f"by up to {step:.3g}; the payments are an upper bound of the greatest clearing vector",
                 ConvergenceWarning)
            converged = False
            break
        p, target = target, p
        rec.update(p, delta)
        rounds += 1
        picard += 1
        if picard >= next_try and step > 0 and 0 < prev_step < math.inf \
                and wasted <= max(picard, 4 * REFINE_AFTER) // 10:
            ratio = min(step / prev_step, 1.0)
            remaining = math.inf if ratio >= 1 else math.log(atol / step) / math.log(ratio)
            if remaining > REFINE_AFTER:
                if lean:  # a settled default set: the same count two steps running
                    count = int(np.count_nonzero(assets < floor))
                    settled, seen_defaults = count == seen_defaults, count
                else:
                    settled = stable >= 2 and refined_at != rec.idx.size
                if settled:
                    refine(int(min(remaining / 2, 400)))  # worth it only if it halves the work left
        prev_step = step
    receipts = rec.exact(p)
    defaulted = es + receipts < floor
    if rec.full and plain and np.any(p[~defaulted] < pbar[~defaulted]):
        p[~defaulted] = pbar[~defaulted]  # solvent within rounding: pay in full
        receipts = rec.exact(p)
    return p, receipts, defaulted, rounds, converged


class _Abort(Exception):
    """A Krylov solve that would cost more than the Picard steps it should save."""


def _refine(B: _Block, q: np.ndarray, inflow: np.ndarray, eps: float, atol: float, budget: int
            ) -> tuple[np.ndarray | None, int]:
    """Exact payments of the defaulted block ``D`` (or None) and the block products spent.

    ``q`` are the current payments of ``D`` (an upper bound that the clearing map does not
    increase) and ``inflow`` is ``alpha e - s + beta r`` at ``q``. With solvent banks paying
    ``pbar``, the block solves ``x = max(0, c + B x)``. When ``B`` has spectral radius below 1
    the solution is unique, lies between the greatest clearing vector and ``q``, and policy
    iteration finds it in finitely many linear solves. A closed class of defaulted banks (all
    they owe is owed inside the class, ``beta = 1``) makes ``B`` singular; the refinement is
    then refused and Picard steps go on.
    """
    m = q.size
    c = inflow - B.matvec(q)  # what solvent banks pay in, at pbar
    used = 1 + (EXTRACT_COST if B._explicit is not None else 0)
    closed = B.kept_inside() >= 1 - 1e-12
    # Start from the current policy (the largest possible positive set): every later set lies
    # inside it. If it holds a closed class, start from below instead (every set then lies inside
    # the true positive set, which holds no closed class unless the network is degenerate).
    J = inflow > 0
    if closed[J].any() and _has_closed_class(B.explicit(), J):
        J = np.zeros(m, dtype=bool)
    for _ in range(m + 2):  # (at least two passes: value and x are always set)
        x = np.zeros(m)
        j = np.flatnonzero(J)
        if j.size:
            sol, k = _solve(B, j, c[j], q[j], atol, budget - used)
            used += k
            if sol is None:
                return None, used
            x[j] = sol
        value = c + B.matvec(x)
        used += 1
        flip = (J & (value < -eps)) | (~J & (value > eps))
        if not flip.any():
            break
        J = J ^ flip
    else:
        return None, used
    if closed[J].any() and _has_closed_class(B.explicit(), J):
        return None, used  # not unique: keep to Picard, whose limit is the greatest solution
    resid = np.abs(np.where(J, value, np.maximum(value, 0.0)) - x).max(initial=0.0)
    if not np.all(np.isfinite(x)) or x.min(initial=0.0) < -eps or np.any(x > q + eps) or resid > atol:
        return None, used
    return np.clip(x, 0.0, q), used


def _solve(B: _Block, j: np.ndarray, c: np.ndarray, x0: np.ndarray, atol: float, budget: int
           ) -> tuple[np.ndarray | None, int]:
    """Solve ``(I - B_JJ) x = c`` within ``budget`` block products; also return the products used.

    Small blocks use dense LU. Larger ones use restarted GMRES from ``x0``, which gives up as
    soon as the residual, at the rate seen so far, would not reach the tolerance within the
    budget, so a failed solve costs little.
    """
    m = c.size
    if m <= DENSE_BLOCK:
        try:
            x = np.linalg.solve(np.eye(m) - B.sub(j).toarray(), c)
        except np.linalg.LinAlgError:
            return None, 1
        return (x if np.all(np.isfinite(x)) else None), 1
    iters = int(budget / GMRES_COST)
    if iters < 1:
        return None, 0
    target = 0.1 * atol / max(float(np.linalg.norm(c)), 1e-300)  # relative residual to reach
    seen: list[float] = []

    def monitor(rel: float) -> None:
        seen.append(rel)
        k = len(seen)
        if k >= iters:
            raise _Abort
        if k % 5 == 0 and rel > target:
            # projected iterations at the rate seen so far; give up if that is beyond the budget
            if rel >= seen[0] or math.log(target / rel) / (math.log(rel / seen[0]) / (k - 1)) + k > iters:
                raise _Abort

    sub = None if j.size == B.m else j
    op = LinearOperator((m, m), matvec=lambda v: v - B.matvec(v, sub), dtype=float)
    try:
        x, _ = gmres(op, c, x0=x0, rtol=0.0, atol=0.1 * atol, restart=40, maxiter=iters // 40 + 1,
                     callback=monitor, callback_type="pr_norm")
    except _Abort:
        return None, math.ceil(GMRES_COST * len(seen))  # the work done, wasted
    used = math.ceil(GMRES_COST * len(seen)) + 1
    if not np.all(np.isfinite(x)) or np.abs(x - B.matvec(x, sub) - c).max(initial=0.0) > atol:
        return None, used
    return x, used


def _has_closed_class(B: Any, J: np.ndarray) -> bool:
    """True when the banks in ``J`` hold a strongly connected class paying only inside itself."""
    j = np.flatnonzero(J)
    sub = sp.csr_matrix(B[j][:, j].T)  # sub[a, b] = beta * pi[j_a, j_b]
    k, comp = connected_components(sub, connection="strong")  # directed (scipy's default)
    coo = sub.tocoo()
    inside = comp[coo.row] == comp[coo.col]
    kept = np.bincount(coo.row[inside], weights=coo.data[inside], minlength=j.size)
    leak = np.ones(k, dtype=bool)
    np.logical_and.at(leak, comp, kept >= 1 - 1e-12)  # every member keeps all its payments inside
    size = np.bincount(comp)  # every label 0 .. k-1 occurs
    return bool(np.any(leak & (size >= 2)))
