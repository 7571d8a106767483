"""Eisenberg-Noe and DebtRank on 10,000 banks with 1,000,000 exposures (sparse), against a
dense numpy Picard iteration / dense DebtRank loop on a 2,000-bank network, same run."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from finstab.contagion import debtrank, eisenberg_noe

N, NNZ, N_BASE = 10_000, 1_000_000, 2_000


def network(n: int, nnz: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, n, nnz), rng.integers(0, n, nnz)
    keep = rows != cols
    L = sp.csr_matrix((rng.exponential(1.0, keep.sum()), (rows[keep], cols[keep])), shape=(n, n))
    owed = np.asarray(L.sum(axis=1)).ravel()
    e = owed * rng.uniform(0.0, 1.2, n)  # some banks cannot pay from outside assets alone
    return L, e, owed * 0.1


def dense_picard(L: np.ndarray, e: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    pbar = L.sum(axis=1)
    pi = L / np.where(pbar > 0, pbar, 1)[:, None]
    p = pbar.copy()
    while True:
        new = np.minimum(pbar, e + pi.T @ p)
        if np.abs(new - p).max() < tol:
            return new
        p = new


def dense_debtrank(W: np.ndarray, h: np.ndarray) -> np.ndarray:
    active, inactive = h > 0, np.zeros(len(h), bool)
    while active.any():
        h = np.minimum(1, h + W @ np.where(active, h, 0))
        inactive |= active
        active = (h > 0) & ~inactive
    return h


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    L, e, buf = network(N, NNZ)
    res, t_en = timed(eisenberg_noe, L, e)
    shock = np.zeros(N)
    shock[:50] = 1.0
    dr, t_dr = timed(debtrank, L.T, buf, np.ones(N), shock)
    Lb, eb, bufb = network(N_BASE, NNZ // 25, seed=1)
    dense = Lb.toarray()
    (p_dense, t_base_en) = timed(dense_picard, dense, eb)
    np.testing.assert_allclose(eisenberg_noe(Lb, eb).payments, p_dense, rtol=1e-6, atol=1e-6)
    W = np.minimum(dense.T / bufb[:, None], 1.0)
    hb = np.zeros(N_BASE)
    hb[:10] = 1.0
    _, t_base_dr = timed(dense_debtrank, W, hb)
    _, t_small_en = timed(eisenberg_noe, Lb, eb)
    _, t_small_dr = timed(debtrank, Lb.T, bufb, np.ones(N_BASE), hb)
    print(f"sparse network: {N:,} banks, {L.nnz:,} exposures")
    print(f"  eisenberg_noe : {t_en:6.3f} s ({int(res.defaulted.sum())} defaults, {res.rounds} rounds)  aim < 1 s")
    print(f"  debtrank      : {t_dr:6.3f} s (induced {dr.debtrank:.4f}, {dr.rounds} rounds)  aim < 1 s")
    print(f"dense baseline on {N_BASE:,} banks:")
    print(f"  Picard dense  : {t_base_en:6.3f} s, finstab {t_small_en:6.3f} s, ratio {t_base_en / t_small_en:5.1f}x")
    print(f"  DebtRank dense: {t_base_dr:6.3f} s, finstab {t_small_dr:6.3f} s, ratio {t_base_dr / t_small_dr:5.1f}x")


if __name__ == "__main__":
    main()
