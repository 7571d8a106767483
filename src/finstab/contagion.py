"""Contagion on exposure networks: Eisenberg-Noe clearing (with Rogers-Veraart costs),
DebtRank (Battiston 2012, Bardoscia 2015), the Furfine sequential-default cascade,
node rankings and aggregation of bank networks into region/sector matrices.

Conventions: ``liabilities[i, j]`` is what i owes j; ``exposures[i, j]`` is what i has lent
to j (i's asset on j), i.e. ``exposures = liabilities.T``. Dense arrays and scipy.sparse
matrices are both accepted.

References
----------
Eisenberg, L. & Noe, T. (2001). Systemic risk in financial systems. Management Science 47(2).
Rogers, L. C. G. & Veraart, L. A. M. (2013). Failure and rescue in an interbank network.
Management Science 59(4).
Battiston, S. et al. (2012). DebtRank: too central to fail? Scientific Reports 2, 541.
Bardoscia, M. et al. (2015). DebtRank: a microscopic foundation for shock propagation.
PLoS ONE 10(6).
Furfine, C. (2003). Interbank exposures: quantifying the risk of contagion. JMCB 35(1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from finstab.errors import InputError
from finstab.validate import as_float_array

MAX_ROUNDS = 10_000


def _matrix(m: Any, name: str) -> sp.csr_matrix:
    """Validated square, non-negative, finite CSR matrix with an empty diagonal."""
    mat = sp.csr_matrix(m, dtype=float) if sp.issparse(m) else sp.csr_matrix(as_float_array(m, name, ndim=2))
    if mat.shape[0] != mat.shape[1]:
        raise InputError(f"expected a square matrix, got shape {mat.shape}", where=name)
    if mat.nnz and not np.all(np.isfinite(mat.data)):
        raise InputError("non-finite entry", where=name)
    if mat.nnz and mat.data.min() < 0:
        coo = mat.tocoo()
        k = int(np.argmin(coo.data))
        raise InputError(f"negative exposure {coo.data[k]:g} at ({coo.row[k]}, {coo.col[k]})", where=name)
    if mat.diagonal().any():
        raise InputError("a bank cannot owe itself: the diagonal must be zero", where=name)
    return mat


def _vector(v: Any, n: int, name: str, *, nonneg: bool = True) -> np.ndarray:
    arr = np.full(n, float(as_float_array(v, name))) if np.ndim(v) == 0 else as_float_array(v, name, ndim=1)
    if arr.shape != (n,):
        raise InputError(f"length {arr.shape[0]} for {n} nodes", where=name)
    if nonneg and np.any(arr < 0):
        raise InputError(f"negative value at node {int(np.argmin(arr))}", where=name)
    return arr


@dataclass(frozen=True)
class ClearingResult:
    """Clearing payments and who defaulted."""

    payments: np.ndarray  # total payment of each node (interbank + external)
    obligations: np.ndarray  # total obligations p-bar
    defaulted: np.ndarray
    rounds: int
    net_worth: np.ndarray  # external assets + interbank receipts - obligations
    external_paid: np.ndarray

    @property
    def shortfall(self) -> np.ndarray:
        return self.obligations - self.payments

    def to_frame(self, labels: Sequence[Any] | None = None) -> pd.DataFrame:
        df = pd.DataFrame({"payments": self.payments, "obligations": self.obligations,
                           "defaulted": self.defaulted, "net_worth": self.net_worth,
                           "external_paid": self.external_paid})
        if labels is not None:
            df.insert(0, "node", list(labels))
        return df

    def summary(self) -> str:
        return (f"Eisenberg-Noe clearing: {int(self.defaulted.sum())} of {len(self.payments)} default, "
                f"shortfall {self.shortfall.sum():.4g}, {self.rounds} rounds")


def eisenberg_noe(liabilities: Any, external_assets: Any, *, external_liabilities: Any = None,
                  seniority: str = "pari_passu", alpha: float = 1.0, beta: float = 1.0) -> ClearingResult:
    """Greatest clearing vector by the fictitious-default algorithm.

    Parameters
    ----------
    liabilities
        (n, n) interbank liabilities, ``[i, j]`` = what i owes j.
    external_assets
        (n,) assets outside the network.
    external_liabilities
        (n,) obligations to creditors outside the network. ``seniority="pari_passu"``:
        they share pro rata with interbank creditors; ``"senior"``: they are paid first.
    alpha, beta
        Rogers-Veraart recovery on external assets and on interbank receipts of a
        defaulted bank (1, 1 = Eisenberg-Noe, no bankruptcy costs).
    """
    L = _matrix(liabilities, "liabilities")
    n = L.shape[0]
    e = _vector(external_assets, n, "external_assets")
    ext = np.zeros(n) if external_liabilities is None else _vector(external_liabilities, n, "external_liabilities")
    if seniority not in ("pari_passu", "senior"):
        raise InputError(f"{seniority!r}; expected 'pari_passu' or 'senior'", where="seniority")
    if not (0 < alpha <= 1 and 0 < beta <= 1):
        raise InputError("alpha and beta must lie in (0, 1]", where="alpha/beta")
    interbank = np.asarray(L.sum(axis=1)).ravel()
    if seniority == "pari_passu":
        pbar, cash = interbank + ext, e
    else:
        pbar, cash = interbank, e - ext
    inv = np.divide(1.0, pbar, out=np.zeros(n), where=pbar > 0)
    pi_t = (sp.diags(inv) @ L).T.tocsr()  # pi_t[j, i] = share of i's payment that goes to j
    p = pbar.copy()
    defaulted = np.zeros(n, dtype=bool)
    zero = np.zeros(n, dtype=bool)
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        value = cash + pi_t @ p
        new_default = value < pbar - 1e-12 * np.maximum(pbar, 1)
        if rounds > 1 and np.array_equal(new_default, defaulted):
            break
        defaulted = new_default | defaulted  # defaults only grow (monotone from p-bar)
        p, zero = _solve_defaulted(pi_t, cash, pbar, defaulted, zero, alpha, beta)
    receipts = pi_t @ p
    if seniority == "senior":
        ext_paid = np.minimum(ext, np.maximum(e + receipts, 0))
    else:
        ext_paid = p * np.divide(ext, pbar, out=np.zeros(n), where=pbar > 0)
    return ClearingResult(p, pbar, defaulted, rounds, e + receipts - interbank - ext, ext_paid)


def _solve_defaulted(pi_t, cash, pbar, defaulted, zero, alpha, beta):
    """Payments when ``defaulted`` nodes pay alpha*cash + beta*receipts (floored at 0)."""
    n = len(pbar)
    for _ in range(n + 1):
        d = np.flatnonzero(defaulted & ~zero)
        solvent = ~defaulted
        p = np.where(solvent, pbar, 0.0)
        if d.size:
            a_dd = pi_t[d][:, d]
            rhs = alpha * cash[d] + beta * (pi_t[d] @ p)
            p_d = spsolve((sp.identity(d.size, format="csc") - beta * a_dd).tocsc(), rhs)
            p[d] = np.atleast_1d(p_d)
        negative = defaulted & ~zero & (p < 0)
        if not negative.any():
            return np.clip(p, 0, pbar), zero
        zero = zero | negative
    raise RuntimeError("clearing did not settle")  # pragma: no cover - bounded by n


def furfine_cascade(exposures: Any, buffers: Any, initial: Sequence[int], lgd: float = 1.0
                    ) -> tuple[np.ndarray, list[list[int]]]:
    """Sequential defaults: a bank fails when LGD x exposures to failed banks >= its buffer.

    Returns the failure round of each node (-1 = survives, 0 = initial) and the rounds' lists.
    """
    X = _matrix(exposures, "exposures")
    n = X.shape[0]
    buf = _vector(buffers, n, "buffers")
    if not 0 <= lgd <= 1:
        raise InputError(f"lgd = {lgd}; expected a value in [0, 1]", where="lgd")
    failed_round = np.full(n, -1)
    failed_round[list(initial)] = 0
    rounds = [sorted(int(i) for i in initial)]
    while True:
        failed = (failed_round >= 0).astype(float)
        loss = lgd * (X @ failed)
        new = np.flatnonzero((failed_round < 0) & (loss >= buf))
        if new.size == 0:
            return failed_round, rounds
        failed_round[new] = len(rounds)
        rounds.append(new.tolist())


@dataclass(frozen=True)
class DebtRankResult:
    distress: np.ndarray  # final h
    initial: np.ndarray
    debtrank: float  # sum_i v_i (h_i(T) - h_i(1)): distress induced beyond the initial shock
    total: float  # sum_i v_i h_i(T)
    rounds: int
    variant: str

    def summary(self) -> str:
        return (f"DebtRank ({self.variant}): induced {self.debtrank:.4f}, total {self.total:.4f}, "
                f"{self.rounds} rounds")


VARIANTS = ("battiston2012", "bardoscia2015")


def _impact_matrix(exposures: Any, buffers: Any, variant: str) -> tuple[sp.csr_matrix, np.ndarray]:
    X = _matrix(exposures, "exposures")
    buf = _vector(buffers, X.shape[0], "buffers")
    if np.any(buf <= 0):
        raise InputError(f"node {int(np.argmin(buf))} has a non-positive buffer (equity)", where="buffers")
    W = sp.diags(1.0 / buf) @ X  # W[i, j] = exposure of i to j / equity of i
    if variant == "battiston2012":
        W = W.tocsr()
        W.data = np.minimum(W.data, 1.0)
    return W.tocsr(), buf


def _propagate(W: sp.csr_matrix, h0: np.ndarray, variant: str, tol: float = 1e-12):
    """Propagate distress for one or many shock columns (n,) or (n, k)."""
    h = h0.copy()
    if variant == "battiston2012":
        active = h > 0  # distressed this round
        inactive = np.zeros_like(active)
        rounds = 0
        while active.any() and rounds < MAX_ROUNDS:
            rounds += 1
            h = np.minimum(1.0, h + W @ np.where(active, h, 0.0))
            inactive |= active
            active = (h > 0) & ~inactive
        return h, rounds
    prev = np.zeros_like(h)
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        new = np.minimum(1.0, h + W @ (h - prev))
        prev, h = h, new
        if np.abs(h - prev).max() <= tol:
            break
    return h, rounds


def debtrank(exposures: Any, buffers: Any, weights: Any, shock: Any, variant: str = "battiston2012"
             ) -> DebtRankResult:
    """DebtRank of an initial distress ``shock`` (h_i(1) in [0, 1]).

    ``battiston2012``: impact W_ij = min(1, exposure_ij / equity_i); a distressed node
    propagates once, then becomes inactive. ``bardoscia2015``: the linear variant,
    Lambda_ij = exposure_ij / equity_i, every increment of distress propagates until
    it converges.
    """
    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; choose from {VARIANTS}", where="variant")
    W, _ = _impact_matrix(exposures, buffers, variant)
    n = W.shape[0]
    v = _vector(weights, n, "weights")
    if v.sum() <= 0:
        raise InputError("weights must have a positive sum", where="weights")
    v = v / v.sum()
    h0 = _vector(shock, n, "shock")
    if np.any(h0 > 1):
        raise InputError("shock must lie in [0, 1]", where="shock")
    h, rounds = _propagate(W, h0, variant)
    return DebtRankResult(h, h0, float(v @ (h - h0)), float(v @ h), rounds, variant)


def rank_nodes(exposures: Any, buffers: Any, weights: Any, *, variant: str = "battiston2012",
               labels: Sequence[Any] | None = None, batch: int = 256) -> pd.DataFrame:
    """Impact (DebtRank when the node alone defaults) and vulnerability (its mean distress
    over all single-node defaults) of every node, computed in batches of shock columns."""
    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; choose from {VARIANTS}", where="variant")
    W, _ = _impact_matrix(exposures, buffers, variant)
    n = W.shape[0]
    v = _vector(weights, n, "weights")
    v = v / v.sum()
    impact = np.empty(n)
    vuln = np.zeros(n)
    for start in range(0, n, batch):
        cols = np.arange(start, min(start + batch, n))
        h0 = np.zeros((n, cols.size))
        h0[cols, np.arange(cols.size)] = 1.0
        h, _ = _propagate(W, h0, variant)
        impact[cols] = v @ (h - h0)
        vuln += (h - h0).sum(axis=1)
    out = pd.DataFrame({"node": list(labels) if labels is not None else np.arange(n),
                        "impact": impact, "vulnerability": vuln / max(n - 1, 1)})
    out["impact_rank"] = out["impact"].rank(ascending=False, method="min").astype(int)
    return out.sort_values("impact", ascending=False, ignore_index=True)


def aggregate_network(matrix: Any, groups: Sequence[Any]) -> pd.DataFrame:
    """Sum a node-level matrix into a group-to-group matrix (regions, sectors, markets)."""
    M = _matrix(matrix, "matrix")
    g = pd.Categorical(list(groups))
    if len(g) != M.shape[0]:
        raise InputError(f"{len(g)} group labels for {M.shape[0]} nodes", where="groups")
    G = sp.csr_matrix((np.ones(len(g)), (np.arange(len(g)), g.codes)), shape=(len(g), len(g.categories)))
    agg = (G.T @ M @ G).toarray()
    return pd.DataFrame(agg, index=list(g.categories), columns=list(g.categories))
