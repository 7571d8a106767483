"""Eisenberg-Noe clearing and DebtRank against plain sparse iterations, in the same run.

Baselines are what a careful engineer would write with scipy.sparse: a Picard iteration
``p <- min(pbar, e + Pi^T p)`` from ``pbar`` stopped at the same tolerance finstab uses, and
Battiston's DebtRank loop with one full sparse product per round. Both start from the same
inputs as finstab (the liability or exposure matrix and the vectors), so the set-up of
``Pi`` or ``W`` is timed on both sides.

DebtRank: 0.5 % of banks default; both variants; goal finstab / loop <= 1.1 (finstab also
validates its inputs; rounds where few banks pass distress on touch only their columns).

Networks: (a) 10,000 banks, 1,000,000 exposures, about 2,000 banks in default; (b) 50,000
banks, 5,000,000 exposures, about 10,000 in default (clearing time should grow linearly).
(c) 10,000 banks all short of external assets, with 1 % of their obligations owed to external
creditors: Picard converges slowly and the exact fictitious-default step pays off.
Clearing goal: finstab time / plain Picard time <= 1; time per exposure (b) / (a) <= 1.5.

Run: ``PYTHONPATH=src python benchmarks/bench_contagion.py [--quick]``.
"""

from __future__ import annotations

import sys

import numpy as np
import scipy.sparse as sp
from common import best_of, report

from finstab.contagion import debtrank, eisenberg_noe

TOL = 1e-12  # relative tolerance of both iterations (times the largest amount in the network)


def network(n: int, nnz: int, seed: int = 0, cover: float = 0.4) -> tuple[sp.csr_matrix, np.ndarray]:
    """Random liabilities (about nnz / n creditors per bank) and external assets covering a
    uniform share in [0, ``cover``] of each bank's obligations: about a fifth of the banks default."""
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, n, nnz), rng.integers(0, n, nnz)
    keep = rows != cols
    L = sp.csr_matrix((rng.exponential(1.0, keep.sum()), (rows[keep], cols[keep])), shape=(n, n))
    owed = L @ np.ones(n)
    return L, owed * rng.uniform(0.0, cover, n)


def plain_picard(L: sp.csr_matrix, e: np.ndarray, ext: np.ndarray | None = None, tol: float = TOL
                 ) -> tuple[np.ndarray, int]:
    pbar = np.asarray(L.sum(axis=1)).ravel() + (0.0 if ext is None else ext)
    pi_t = (sp.diags(np.divide(1.0, pbar, out=np.zeros_like(pbar), where=pbar > 0)) @ L).T.tocsr()
    atol = tol * max(pbar.max(), e.max())
    p, k = pbar.copy(), 0
    while True:
        k += 1
        new = np.minimum(pbar, e + pi_t @ p)
        if np.abs(new - p).max() <= atol:
            return new, k
        p = new


def plain_debtrank(X: sp.csr_matrix, buf: np.ndarray, v: np.ndarray, h: np.ndarray, variant: str) -> float:
    """Both DebtRank variants with one full sparse product per round."""
    W = (sp.diags(1.0 / buf) @ X).tocsr()
    h0 = h
    if variant == "battiston2012":
        W.data = np.minimum(W.data, 1.0)
        active, inactive = h > 0, np.zeros(len(h), bool)
        while active.any():
            h = np.minimum(1.0, h + W @ np.where(active, h, 0.0))
            inactive |= active
            active = (h > 0) & ~inactive
    else:
        prev = np.zeros_like(h)
        while True:
            h, prev = np.minimum(1.0, h + W @ (h - prev)), h
            if np.abs(h - prev).max() <= 1e-12:
                break
    return float(v @ (h - h0)) / float(v.sum())


def clearing_case(label: str, L: sp.csr_matrix, e: np.ndarray, ext: np.ndarray | None, repeat: int) -> float:
    n = L.shape[0]
    # the answers agree before anything is timed
    res = eisenberg_noe(L, e, external_liabilities=ext, tol=TOL)
    p, iters = plain_picard(L, e, ext)
    gap = float(np.abs(res.payments - p).max() / res.obligations.max())
    assert gap < 1e-8, gap  # Picard's own error when it converges slowly
    t_fs = best_of(lambda: eisenberg_noe(L, e, external_liabilities=ext, tol=TOL), repeat)
    t_pic = best_of(lambda: plain_picard(L, e, ext), repeat)
    print(f"{label}: {n:,} banks, {L.nnz:,} exposures, {int(res.defaulted.sum()):,} defaults; "
          f"finstab {t_fs:.3f} s ({res.rounds} rounds), plain Picard {t_pic:.3f} s ({iters} iterations), "
          f"largest gap {gap:.1e} of the largest obligation")
    report("contagion", f"clearing {label}: finstab time / plain sparse Picard time", t_fs / t_pic, 1.0,
           higher_is_better=False, baseline=f"scipy.sparse Picard from pbar, same tolerance {TOL:g}",
           banks=n, exposures=int(L.nnz), defaults=int(res.defaulted.sum()), finstab_s=t_fs, picard_s=t_pic)
    return t_fs


def debtrank_case(label: str, n: int, nnz: int, repeat: int) -> None:
    L, e = network(n, nnz, seed=1)
    X = L.T.tocsr()  # exposures: what each bank lent
    lent = X @ np.ones(n)
    v = e + lent  # economic value: total assets
    shock = np.zeros(n)
    shock[np.random.default_rng(2).choice(n, max(n // 200, 1), replace=False)] = 1.0
    # equity half of interbank lending (Battiston) and twice it (linear variant, no blow-up)
    for variant, cover in (("battiston2012", 0.5), ("bardoscia2015", 2.0)):
        buf = cover * lent + 1.0
        dr = debtrank(X, buf, v, shock, variant)
        assert abs(dr.debtrank - plain_debtrank(X, buf, v, shock, variant)) < 1e-9
        t_fs = best_of(lambda buf=buf, variant=variant: debtrank(X, buf, v, shock, variant), repeat)
        t_base = best_of(lambda buf=buf, variant=variant: plain_debtrank(X, buf, v, shock, variant), repeat)
        print(f"{label}: DebtRank {variant} induced {dr.debtrank:.4f} in {dr.rounds} rounds; "
              f"finstab {t_fs:.3f} s, plain loop {t_base:.3f} s")
        report("contagion", f"debtrank {variant} {label}: finstab time / plain sparse loop time", t_fs / t_base,
               1.1, higher_is_better=False, baseline="scipy.sparse loop, one full product per round",
               banks=n, exposures=int(X.nnz), finstab_s=t_fs, loop_s=t_base)


def main() -> None:
    quick = "--quick" in sys.argv
    L, e = network(10_000, 1_000_000)
    t_a = clearing_case("(a) 10k banks", L, e, None, 1 if quick else 3)
    nnz_a = L.nnz
    # everybody short, 1 % of obligations to external creditors: Picard alone converges slowly
    owed = L @ np.ones(L.shape[0])
    clearing_case("(c) 10k banks, all short", L, owed * np.random.default_rng(3).uniform(0, 0.02, L.shape[0]),
                  owed * 0.01, 1 if quick else 3)
    debtrank_case("(a) 10k banks", 10_000, 1_000_000, 1 if quick else 5)
    if not quick:
        L, e = network(50_000, 5_000_000)
        t_b = clearing_case("(b) 50k banks", L, e, None, 2)
        report("contagion", "clearing time per exposure, (b) 50k banks / (a) 10k banks", (t_b / L.nnz) / (t_a / nnz_a),
               1.5, higher_is_better=False, baseline="linear scaling = 1")
        debtrank_case("(b) 50k banks", 50_000, 5_000_000, 3)


if __name__ == "__main__":
    main()
