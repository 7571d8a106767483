"""Compiled group totals for the Monte Carlo: no BLAS threads, one fixed summation order.

Imported only when numba is installed. Each scenario is computed by the same scalar code
whatever the thread count, so the parallel and serial variants give bitwise the same totals.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, set_parallel_chunksize

SUB = 256  # scenarios per unit of parallel work


# compiled where it is defined (a decorated function): mutation testing leaves it alone instead of
# wrapping it in Python that numba cannot compile
@njit(cache=True, parallel=True)
def _parallel_totals(z, loadings, ptr, group, weight, out, offset):
    """out[:, offset + s] = sum_i W[:, i] exp((z[s] @ loadings)[i]) for every scenario s.

    ``ptr``/``group``/``weight``: the nonzero weights of each part (CSR by part).
    """
    m, rank = z.shape
    n = loadings.shape[1]
    n_groups = out.shape[0]
    for b in prange((m + SUB - 1) // SUB):
        e = np.empty(n)
        acc = np.empty(n_groups)
        for s in range(b * SUB, min(m, (b + 1) * SUB)):
            for i in range(n):
                e[i] = 0.0
            for k in range(rank):
                zk = z[s, k]
                for i in range(n):
                    e[i] += zk * loadings[k, i]
            for g in range(n_groups):
                acc[g] = 0.0
            for i in range(n):
                v = math.exp(e[i])
                for p in range(ptr[i], ptr[i + 1]):
                    acc[group[p]] += weight[p] * v
            for g in range(n_groups):
                out[g, offset + s] = acc[g]


def parallel_totals(*args) -> None:
    """The parallel variant, threads taking units of work as they finish (dynamic schedule)."""
    old = set_parallel_chunksize(4)
    try:
        _parallel_totals(*args)
    finally:
        set_parallel_chunksize(old)


# inside dask tasks (threads of one process): no nested thread pools. Not cached: numba's
# cache key ignores the parallel flag, so the two variants must not share cache files.
serial_totals = njit(_parallel_totals.py_func)
