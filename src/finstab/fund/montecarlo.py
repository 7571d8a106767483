"""Monte Carlo fund sizing of aggregates of correlated lognormal parts.

Part i is worth S_i exp(m_i + v_i Z_i) at the horizon, with m_i = (mu_i - sigma_i^2/2) T,
v_i = sigma_i sqrt(T) and Z ~ N(0, C). With C = L L^T of rank k (L: n x k from the
pivoted Cholesky factor, conditional variances below 1e-10 dropped), Z = L E for k
standard normals E, so a scenario draws k normals, not n. A group total is

    sum_i g_i S_i e^{m_i} exp((v_i L_i) . E) = W exp(E B)        (W = g S e^m, B = (v L)^T)

so the per-scenario work is one k x n product, n exponentials (in place) and one n x g
product, done block by block in buffers that stay in cache; totals are kept group-major
so each group's quantile is taken on a contiguous row.

Reproducibility: scenarios come in blocks of 4,096; block b draws from
``SeedSequence(seed).spawn(blocks)[b]``. ``chunk`` only groups blocks into tasks, so the
result is the same for any ``chunk`` and for local or dask execution.

Engines: with numba installed the group totals run in a compiled loop over scenarios
(fixed summation order, no BLAS threads, which oversubscribe a busy machine); otherwise
as two BLAS products per block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import as_float_array, check_option, check_positive
from finstab.core.warnings import ConvergenceWarning, warn
from finstab.fund.lognormal import _check_alpha, var_fund_size

BLOCK = 4096  # scenarios per seeded block (the unit of reproducibility)
RANK_TOL = 1e-10  # conditional variances (eigenvalues) below this are dropped
SHOW = 5
ENGINES = ("auto", "numba", "numpy")


def _check_corr(corr: Any) -> np.ndarray:
    c = as_float_array(corr, "corr", ndim=2)
    if c.shape[0] != c.shape[1] or not np.allclose(c, c.T, atol=1e-10):
        raise InputError("correlation matrix must be square and symmetric", where="corr")
    if not np.allclose(np.diag(c), 1.0, atol=1e-8):
        raise InputError("correlation matrix must have a unit diagonal", where="corr")
    return c


def correlation_sqrt(corr: Any, *, rank_tol: float = 0.0) -> np.ndarray:
    """A matrix L with L L^T = corr, via eigenvalues clipped at zero (works when singular).

    Parameters
    ----------
    corr
        Symmetric correlation matrix with a unit diagonal.
    rank_tol
        Drop eigenvalues below ``rank_tol`` times the largest: L then has one column per
        kept eigenvalue (the factor form; 0 keeps every column).

    Examples
    --------
    >>> c = np.array([[1.0, 1.0], [1.0, 1.0]])
    >>> root = correlation_sqrt(c, rank_tol=1e-10)
    >>> root.shape, bool(np.allclose(root @ root.T, c))
    ((2, 1), True)
    """
    c = _check_corr(corr)
    vals, vecs = np.linalg.eigh(c)
    # a unit diagonal makes the largest eigenvalue at least 1 (the trace is n), so no guard against <= 0
    keep = vals > rank_tol * vals.max() if rank_tol > 0 else np.ones(vals.size, dtype=bool)
    return vecs[:, keep] * np.sqrt(np.clip(vals[keep], 0.0, None))


def low_rank_root(corr: Any, *, tol: float = RANK_TOL) -> np.ndarray:
    """An n x k factor L with L L^T = corr, k the numerical rank.

    Pivoted Cholesky, stopped when every remaining conditional variance is below ``tol``:
    O(n^2 k) element-wise work and no multithreaded LAPACK call (those thrash on a busy
    machine). When corr is not positive semi-definite to within 1e-8 (e.g. assembled from
    pairwise correlations) it falls back to :func:`correlation_sqrt` with negative
    eigenvalues clipped.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(12, 40))
    >>> c = np.corrcoef(x, rowvar=False)
    >>> root = low_rank_root(c)
    >>> root.shape, bool(np.abs(root @ root.T - c).max() < 1e-8)
    ((40, 11), True)
    """
    c = _check_corr(corr)
    n = c.shape[0]
    d = np.diag(c).copy()
    cols: list[np.ndarray] = []
    for _ in range(n):
        i = int(np.argmax(d))
        if d[i] <= tol:
            break
        col = c[:, i].copy()
        for prev in cols:
            col -= prev * prev[i]
        col /= np.sqrt(d[i])
        d -= col * col
        d[i] = 0.0
        cols.append(col)
    root = np.column_stack(cols) if cols else np.zeros((n, 0))
    if cols and np.abs(np.einsum("ik,jk->ij", root, root) - c).max() <= 1e-8:
        return root
    return correlation_sqrt(c, rank_tol=tol)


@dataclass(frozen=True)
class MonteCarloFund(Result):
    """Simulated fund sizes for groups of parts (the whole system, sectors, provinces).

    ``var_se`` and ``es_se`` are Monte Carlo standard errors of the two funds; a group is
    ``converged`` when both are within ``rtol`` of the fund.
    """

    kind: ClassVar[str] = "monte_carlo"

    group_names: tuple[str, ...]
    expected: np.ndarray
    var_fund: np.ndarray
    es_fund: np.ndarray
    sum_of_parts: np.ndarray
    n_sims: int
    alpha: float
    seed: int
    var_se: np.ndarray
    es_se: np.ndarray
    rtol: float = 0.02

    @property
    def diversification_benefit(self) -> np.ndarray:
        """1 - group fund / sum of its parts' stand-alone funds."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - self.var_fund / self.sum_of_parts

    @property
    def converged(self) -> np.ndarray:
        """Groups whose VaR and ES standard errors are within ``rtol`` of the funds."""
        return (self.var_se <= self.rtol * np.abs(self.var_fund)) & (self.es_se <= self.rtol * np.abs(self.es_fund))

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{"groups": one row per group}``."""
        return {"groups": pd.DataFrame({
            "group": list(self.group_names), "expected": self.expected, "var_fund": self.var_fund,
            "es_fund": self.es_fund, "sum_of_parts": self.sum_of_parts,
            "diversification_benefit": self.diversification_benefit, "var_se": self.var_se,
            "es_se": self.es_se, "converged": self.converged})}

    def summary(self) -> str:
        cols = ["group", "expected", "var_fund", "es_fund", "sum_of_parts", "diversification_benefit", "converged"]
        table = self.to_frame()[cols].round(4).to_string(index=False)
        if self.lang == "en":
            head = f"Monte Carlo fund, {self.n_sims:,} scenarios, alpha {self.alpha}, seed {self.seed}"
        else:
            head = f"蒙特卡洛基金规模：{self.n_sims:,} 个情景，alpha {self.alpha}，种子 {self.seed}"
        return f"{head}\n{table}\n{self.footer()}"


@cache
def _numba_totals():
    try:
        from finstab.fund import _montecarlo_numba
    except ImportError:
        return None
    return _montecarlo_numba


def _sparse_by_part(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of ``weights.T``: for part i, its groups and weights at ptr[i]:ptr[i + 1]."""
    part, group = np.nonzero(weights.T)
    ptr = np.zeros(weights.shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(part, minlength=weights.shape[1]), out=ptr[1:])
    return ptr, group.astype(np.int64), np.ascontiguousarray(weights.T[part, group])


def _simulate_chunk(args: tuple, out: np.ndarray | None = None, offset: int = 0) -> np.ndarray:
    """Group totals (groups x scenarios) of a run of blocks; top-level so dask can ship it.

    Writes into ``out[:, offset:]`` when given (the local path fills one array in place).
    """
    seeds, sizes, loadings, weights, engine = args
    k, n = loadings.shape
    if out is None:
        out, offset = np.empty((weights.shape[0], int(sum(sizes)))), 0
    if engine != "numpy":
        kernels = _numba_totals()
        if kernels is None:
            raise InputError("engine 'numba' needs numba on every worker; pip install 'finstab[fast]'",
                             where="engine")
        totals = kernels.parallel_totals if engine == "numba" else kernels.serial_totals
        z = np.empty((int(sum(sizes)), k))
        start = 0
        for b, seq in enumerate(seeds):
            m = sizes[b]
            np.random.default_rng(seq).standard_normal(out=z[start:start + m])
            start += m
        totals(z, loadings, *_sparse_by_part(weights), out, offset)
        return out
    z = np.empty((BLOCK, k))
    e = np.empty((BLOCK, n))
    tot = np.empty((weights.shape[0], BLOCK))
    start = offset
    for b, seq in enumerate(seeds):
        m = sizes[b]
        zb, eb, tb = z[:m], e[:m], tot[:, :m]
        np.random.default_rng(seq).standard_normal(out=zb)
        np.matmul(zb, loadings, out=eb)
        np.exp(eb, out=eb)
        np.matmul(weights, eb.T, out=tb)
        out[:, start:start + m] = tb
        start += m
    return out


def _tail_stats(row: np.ndarray, alpha: float) -> tuple[float, float, float, float]:
    """Quantile (numpy's linear rule), its standard error, tail mean and its standard error.

    ``row`` is partitioned in place. The quantile's standard error is half the distance
    between the order statistics at n alpha -/+ sqrt(n alpha (1 - alpha)) (the binomial
    one-sigma interval); the tail mean's is sqrt((Var(X | X <= q) + (1 - alpha) (ES - q)^2) / k)
    with k the tail size (the second term: the tail's own boundary is estimated).
    """
    n = row.size
    pos = alpha * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    spread = np.sqrt(n * alpha * (1 - alpha))
    l1 = min(max(int(np.floor(n * alpha - spread)), 0), lo)
    u1 = max(min(int(np.ceil(n * alpha + spread)), n - 1), hi)
    row.partition(u1)  # one pass over all scenarios, then only the lower tail
    row[:u1].partition(sorted({l1, lo, hi} - {u1}))
    a, b, frac = row[lo], row[hi], pos - lo
    q = b - (b - a) * (1 - frac) if frac >= 0.5 else a + (b - a) * frac
    tail = row[:lo + 1]
    extra = 0
    if b <= q:  # ties at the quantile belong to the tail
        extra = int(np.count_nonzero(row[lo + 1:u1 + 1] <= q))
        if row[u1] <= q:
            extra += int(np.count_nonzero(row[u1 + 1:] <= q))
    count = lo + 1 + extra
    mean = (float(tail.sum()) + extra * q) / count
    ss = float(np.sum((tail - mean) ** 2)) + extra * (q - mean) ** 2
    var = ss / max(count - 1, 1) + (1 - alpha) * (mean - q) ** 2
    return float(q), float(row[u1] - row[l1]) / 2, mean, float(np.sqrt(var / count))


def monte_carlo_fund(s0: Any, mu: Any, sigma: Any, corr: Any, *, groups: Any = None,
                     group_names: Sequence[str] | None = None, T: float = 1.0, alpha: float = 0.05,
                     n_sims: int = 100_000, chunk: int = 10_000, seed: int = 0,
                     client: Any = None, rtol: float = 0.02, engine: str = "auto") -> MonteCarloFund:
    """Fund sizes of aggregates of correlated lognormal parts by simulation.

    Parameters
    ----------
    s0, mu, sigma
        Per part (n,): current value, drift and volatility of ln S.
    corr
        (n, n) correlation of the parts' log changes (may be singular: only as many
        normals as its rank are drawn per scenario).
    groups
        (g, n) 0/1 (or weight) matrix of aggregates; default: the whole system only.
    group_names
        One name per group.
    T, alpha
        Horizon in years and tail probability.
    n_sims, chunk, seed
        Scenarios, scenarios per task (rounded up to whole blocks of 4,096) and the seed.
        The result depends on ``seed`` and ``n_sims`` only, not on ``chunk`` or ``client``.
    client
        Optional dask.distributed ``Client`` (anything with ``map`` and ``gather``).
    rtol
        A group is ``converged`` when the Monte Carlo standard errors of its VaR and ES
        funds are within ``rtol`` of them; others raise one ConvergenceWarning.
    engine
        ``"auto"`` (compiled group totals when numba is installed), ``"numba"`` or
        ``"numpy"`` (BLAS products). The engines agree to rounding, not bitwise; each is
        bitwise reproducible across chunkings and local or dask runs.

    Returns
    -------
    MonteCarloFund
        Per group: exact expected value, simulated VaR and ES funds with standard errors,
        the sum of the parts' stand-alone lognormal VaR funds and ``converged``.

    Examples
    --------
    Perfectly correlated parts with equal drift and volatility add up to one lognormal:

    >>> mc = monte_carlo_fund([100.0, 50.0], 0.05, 0.2, np.ones((2, 2)), n_sims=200_000, seed=1)
    >>> bool(abs(mc.var_fund[0] / var_fund_size(150.0, 0.05, 0.2) - 1) < 0.01)
    True
    """
    s = check_positive(as_float_array(s0, "s0", ndim=1), "s0")
    m = np.broadcast_to(as_float_array(mu, "mu"), s.shape)
    v = check_positive(np.broadcast_to(as_float_array(sigma, "sigma"), s.shape), "sigma", strict=False)
    root = low_rank_root(corr)
    if root.shape[0] != s.size:
        raise InputError(f"corr is {root.shape[0]}x{root.shape[0]} for {s.size} parts", where="corr")
    g = np.ones((1, s.size)) if groups is None else as_float_array(groups, "groups", ndim=2)
    if g.shape[1] != s.size:
        raise InputError(f"groups has {g.shape[1]} columns for {s.size} parts", where="groups")
    names = tuple(group_names) if group_names is not None else tuple(f"group {k}" for k in range(len(g)))
    if len(names) != len(g):
        raise InputError(f"{len(names)} names for {len(g)} groups", where="group_names")
    if isinstance(n_sims, bool) or not isinstance(n_sims, int | np.integer) or n_sims < 100:
        raise InputError(f"n_sims = {n_sims}; expected a whole number >= 100", where="n_sims")
    if isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1:
        raise InputError(f"chunk = {chunk}; expected a whole number >= 1", where="chunk")
    if not rtol > 0:
        raise InputError(f"rtol = {rtol}; expected > 0", where="rtol")
    if not T > 0:
        raise InputError(f"T = {T}; expected > 0", where="T")
    a = _check_alpha(alpha)
    n_sims = int(n_sims)

    drift, vol = (m - 0.5 * v * v) * T, v * np.sqrt(T)
    loadings = np.ascontiguousarray((root * vol[:, None]).T)  # (rank, n)
    weights = np.ascontiguousarray(g * (s * np.exp(drift)))  # (g, n)
    n_blocks = -(-n_sims // BLOCK)
    sizes = [BLOCK] * (n_blocks - 1) + [n_sims - BLOCK * (n_blocks - 1)]
    seeds = np.random.SeedSequence(seed).spawn(n_blocks)
    per_task = max(1, -(-int(chunk) // BLOCK))
    check_option(engine, ENGINES, "engine")
    use_numba = engine == "numba" or (engine == "auto" and _numba_totals() is not None)
    if engine == "numba" and _numba_totals() is None:
        raise InputError("engine 'numba' needs numba; pip install 'finstab[fast]'", where="engine")
    # on dask, numba runs single-threaded inside each task (the tasks are the parallelism)
    kernel = "numpy" if not use_numba else ("numba" if client is None else "numba-serial")
    tasks = [(seeds[i:i + per_task], sizes[i:i + per_task], loadings, weights, kernel)
             for i in range(0, n_blocks, per_task)]
    if client is None:
        totals = np.empty((g.shape[0], n_sims))
        for i, task in enumerate(tasks):
            _simulate_chunk(task, totals, i * per_task * BLOCK)
    else:
        parts = client.gather(client.map(_simulate_chunk, tasks, pure=False))
        totals = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    expected = g @ (s * np.exp(m * T))  # exact, not simulated
    stats = np.array([_tail_stats(row, a) for row in totals])  # rows are contiguous
    q, q_se, tail_mean, tail_se = stats.T
    prov = Provenance.from_inputs(
        "fund/monte_carlo", inputs={"s0": s, "mu": np.asarray(m), "sigma": np.asarray(v),
                                    "corr": as_float_array(corr, "corr"), "groups": g},
        params={"n_sims": n_sims, "alpha": a, "seed": int(seed), "T": float(T), "rank": int(root.shape[1]),
                "block": BLOCK, "rtol": float(rtol), "engine": "numba" if use_numba else "numpy"})
    result = MonteCarloFund(names, expected, expected - q, expected - tail_mean, g @ var_fund_size(s, m, v, T, a),
                            n_sims, a, int(seed), q_se, tail_se, float(rtol), provenance=prov)
    loose = np.flatnonzero(~result.converged)
    if loose.size:
        shown = ", ".join(names[i] for i in loose[:SHOW])
        more = f" and {loose.size - SHOW:,} more" if loose.size > SHOW else ""
        msg = (f"Monte Carlo: {loose.size:,} of {len(names):,} groups have a standard error above "
               f"{rtol:.0%} of their fund with {n_sims:,} scenarios: {shown}{more}; increase n_sims")
        warn(msg, ConvergenceWarning)
        result = result.with_warnings([f"ConvergenceWarning: {msg}"])
    return result
