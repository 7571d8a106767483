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

from finstab.contagion._checks import check_matrix, check_vector
from finstab.core.errors import InputError

MAX_ROUNDS = 10_000


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
    L = check_matrix(liabilities, "liabilities")
    n = L.shape[0]
    e = check_vector(external_assets, n, "external_assets")
    ext = np.zeros(n) if external_liabilities is None else check_vector(external_liabilities, n, "external_liabilities")
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
