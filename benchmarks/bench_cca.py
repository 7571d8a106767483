"""Merton solver throughput, and Monte Carlo cost per million scenarios.

1. merton_solve on 1,000,000 entities against a per-entity scipy.optimize.fsolve loop on
   300 of them (same equations, scipy.stats.norm), both timed in this run.
2. monte_carlo_fund on 124 correlated parts: time per million scenarios against drawing
   the same standard normals alone.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import fsolve
from scipy.stats import norm

from finstab.fund.lognormal import monte_carlo_fund
from finstab.fund.merton import merton_solve

N, N_BASE = 1_000_000, 300


def inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    j = rng.lognormal(0, 1, n)
    return j, rng.uniform(0.05, 1.5, n), j * rng.lognormal(1, 1, n), rng.uniform(0, 0.08, n)


def fsolve_loop(j, sj, d, r):
    for k in range(len(j)):
        def f(v, k=k):
            a, s = v
            d1 = (np.log(a / d[k]) + r[k] + s * s / 2) / s
            return [a * norm.cdf(d1) - d[k] * np.exp(-r[k]) * norm.cdf(d1 - s) - j[k],
                    norm.cdf(d1) * s * a - sj[k] * j[k]]
        a0 = j[k] + d[k]
        fsolve(f, [a0, sj[k] * j[k] / a0])


def main() -> None:
    j, sj, d, r = inputs(N)
    t0 = time.perf_counter()
    res = merton_solve(j, sj, d, r, 1.0)
    fast = (time.perf_counter() - t0) / N
    t0 = time.perf_counter()
    fsolve_loop(j[:N_BASE], sj[:N_BASE], d[:N_BASE], r[:N_BASE])
    base = (time.perf_counter() - t0) / N_BASE
    print(f"merton_solve: {N:,} entities, {res.converged.mean():.4%} converged, "
          f"max residual {res.residual.max():.1e}")
    print(f"  vectorised : {1 / fast:12,.0f} entities/s")
    print(f"  fsolve loop: {1 / base:12,.0f} entities/s")
    print(f"  ratio      : {base / fast:12,.0f}x  (aim: >= 1000x)")

    n_parts, sims = 124, 200_000
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, n_parts))
    corr = np.corrcoef(x, rowvar=False)
    t0 = time.perf_counter()
    monte_carlo_fund(rng.uniform(1e3, 1e5, n_parts), 0.08, rng.uniform(0.01, 0.2, n_parts), corr,
                     groups=np.ones((36, n_parts)), n_sims=sims, chunk=20_000, seed=2)
    mc = (time.perf_counter() - t0) / sims * 1e6
    t0 = time.perf_counter()
    gen = np.random.default_rng(3)
    for _ in range(sims // 20_000):
        gen.standard_normal((20_000, n_parts))
    draws = (time.perf_counter() - t0) / sims * 1e6
    print(f"monte_carlo_fund: {n_parts} parts, 36 groups")
    print(f"  per million scenarios: {mc:6.2f} s; normals alone {draws:6.2f} s; ratio {mc / draws:4.1f}x")


if __name__ == "__main__":
    main()
