"""Stability-fund sizing by lognormal value-at-risk (CCA paper) and Monte Carlo.

For a value S that is lognormal over horizon T, ln S_T ~ N(ln S_0 + (mu - sigma^2/2) T,
sigma^2 T): E(S) = S_0 e^{mu T}, S* = S_0 exp((mu - sigma^2/2) T + sigma sqrt(T) z_alpha),
and the fund is the unexpected loss E(S) - S*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import ndtr, ndtri

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array, check_positive


def _check_alpha(alpha: float) -> float:
    if not 0 < alpha < 0.5:
        raise InputError(f"alpha = {alpha}; expected a tail probability in (0, 0.5)", where="alpha")
    return float(alpha)


def var_fund_size(s0: Any, mu: Any, sigma: Any, T: float = 1.0, alpha: float = 0.05) -> np.ndarray:
    """Fund = E(S) - S*, the lognormal unexpected loss at tail probability ``alpha``.

    Parameters
    ----------
    s0
        Current market value(s) (asset value of the financial sector, liability value of
        the others), > 0.
    mu, sigma
        Drift and volatility of ln S per year (sigma >= 0).
    T
        Horizon in years.
    alpha
        Tail probability (0.05: the 5 % quantile, z = -1.645).
    """
    s = check_positive(as_float_array(s0, "s0"), "s0")
    m = as_float_array(mu, "mu")
    v = check_positive(as_float_array(sigma, "sigma"), "sigma", strict=False)
    a = _check_alpha(alpha)
    expected = s * np.exp(m * T)
    quantile = s * np.exp((m - 0.5 * v * v) * T + v * np.sqrt(T) * ndtri(a))
    return expected - quantile


def es_fund_size(s0: Any, mu: Any, sigma: Any, T: float = 1.0, alpha: float = 0.05) -> np.ndarray:
    """Fund = E(S) - E[S | S <= S*], the expected-shortfall analogue (closed form)."""
    s = check_positive(as_float_array(s0, "s0"), "s0")
    m, v = as_float_array(mu, "mu"), as_float_array(sigma, "sigma")
    a = _check_alpha(alpha)
    expected = s * np.exp(m * T)
    return expected * (1.0 - ndtr(ndtri(a) - v * np.sqrt(T)) / a)


def log_moments(values: Any, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of a lognormal path from its log changes: sigma = sd(dlnS), mu = mean + sigma^2/2."""
    x = check_positive(as_float_array(values, "values"), "values")
    dl = np.diff(np.log(x), axis=axis)
    if dl.shape[axis] < 2:
        raise InputError("need at least three observations to estimate mu and sigma", where="values")
    sigma = dl.std(axis=axis, ddof=1)
    return dl.mean(axis=axis) + 0.5 * sigma**2, sigma


def jarque_bera(log_values: Any) -> tuple[float, float]:
    """Jarque-Bera statistic and p-value (scipy) of a series, e.g. log market values."""
    res = stats.jarque_bera(as_float_array(log_values, "log_values", ndim=1))
    return float(res.statistic), float(res.pvalue)


def tiers(values: Any, n: int = 3, method: str = "quantile") -> np.ndarray:
    """Tier 1..n by value (1 = smallest). Equal values always share a tier.

    ``quantile``: tier = 1 + floor(n (rank_min - 1) / N) — tertiles for n = 3;
    ``jenks``: Fisher-Jenks natural breaks (``jenkspy``).
    """
    x = as_float_array(values, "values", ndim=1)
    if method == "quantile":
        ranks = stats.rankdata(x, method="min")
        return 1 + np.floor(n * (ranks - 1) / len(x)).astype(int)
    if method == "jenks":
        if len(np.unique(x)) <= n:
            return tiers(x, n, "quantile")
        import jenkspy

        breaks = np.asarray(jenkspy.jenks_breaks(x, n_classes=n))
        return np.clip(np.searchsorted(breaks[1:-1], x, side="left") + 1, 1, n)
    raise InputError(f"unknown method {method!r}; expected 'quantile' or 'jenks'", where="method")


def shares(values: Any) -> np.ndarray:
    """Proportional allocation p_i = x_i / sum_j x_j."""
    x = check_positive(as_float_array(values, "values", ndim=1), "values", strict=False)
    total = x.sum()
    if total <= 0:
        raise InputError("all values are zero; shares undefined", where="values")
    return x / total


def correlation_sqrt(corr: Any) -> np.ndarray:
    """A matrix L with L L^T = corr, via eigenvalues clipped at zero (works when singular)."""
    c = as_float_array(corr, "corr", ndim=2)
    if c.shape[0] != c.shape[1] or not np.allclose(c, c.T, atol=1e-10):
        raise InputError("correlation matrix must be square and symmetric", where="corr")
    if not np.allclose(np.diag(c), 1.0, atol=1e-8):
        raise InputError("correlation matrix must have a unit diagonal", where="corr")
    vals, vecs = np.linalg.eigh(c)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


@dataclass(frozen=True)
class MonteCarloFund:
    """Simulated fund sizes for groups of parts (the whole system, sectors, provinces)."""

    group_names: tuple[str, ...]
    expected: np.ndarray
    var_fund: np.ndarray
    es_fund: np.ndarray
    sum_of_parts: np.ndarray
    n_sims: int
    alpha: float
    seed: int

    @property
    def diversification_benefit(self) -> np.ndarray:
        """1 - group fund / sum of its parts' stand-alone funds."""
        return 1.0 - self.var_fund / self.sum_of_parts

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"group": self.group_names, "expected": self.expected,
                             "var_fund": self.var_fund, "es_fund": self.es_fund,
                             "sum_of_parts": self.sum_of_parts,
                             "diversification_benefit": self.diversification_benefit})

    def summary(self) -> str:
        return (f"Monte Carlo fund, {self.n_sims:,} scenarios, alpha {self.alpha}, seed {self.seed}\n"
                f"{self.to_frame().round(4).to_string(index=False)}")


def _simulate_chunk(args: tuple) -> np.ndarray:
    """Group totals of one chunk of scenarios (kept top-level so dask can ship it)."""
    seed_seq, n, s0, drift, vol, root, groups = args
    rng = np.random.default_rng(seed_seq)
    z = rng.standard_normal((n, root.shape[1])) @ root.T
    return (s0 * np.exp(drift + vol * z)) @ groups.T


def monte_carlo_fund(s0: Any, mu: Any, sigma: Any, corr: Any, *, groups: Any = None,
                     group_names: Sequence[str] | None = None, T: float = 1.0, alpha: float = 0.05,
                     n_sims: int = 100_000, chunk: int = 10_000, seed: int = 0,
                     client: Any = None) -> MonteCarloFund:
    """Fund sizes of aggregates of correlated lognormal parts by simulation.

    Parameters
    ----------
    s0, mu, sigma
        Per part (n,): current value, drift and volatility of ln S.
    corr
        (n, n) correlation of the parts' log changes (may be singular).
    groups
        (g, n) 0/1 (or weight) matrix of aggregates; default: the whole system only.
    n_sims, chunk, seed
        Scenarios, scenarios per chunk (memory is O(chunk * n)), and the seed. Chunk ``k``
        draws from ``SeedSequence(seed).spawn(...)[k]``, so results do not depend on where
        chunks run.
    client
        Optional dask.distributed ``Client`` (anything with ``map`` and ``gather``).
    """
    s = check_positive(as_float_array(s0, "s0", ndim=1), "s0")
    m = np.broadcast_to(as_float_array(mu, "mu"), s.shape)
    v = np.broadcast_to(as_float_array(sigma, "sigma"), s.shape)
    root = correlation_sqrt(corr)
    if root.shape[0] != s.size:
        raise InputError(f"corr is {root.shape[0]}x{root.shape[0]} for {s.size} parts", where="corr")
    g = np.ones((1, s.size)) if groups is None else as_float_array(groups, "groups", ndim=2)
    if g.shape[1] != s.size:
        raise InputError(f"groups has {g.shape[1]} columns for {s.size} parts", where="groups")
    names = tuple(group_names) if group_names is not None else tuple(f"group {k}" for k in range(len(g)))
    if len(names) != len(g):
        raise InputError(f"{len(names)} names for {len(g)} groups", where="group_names")
    if n_sims < 100 or chunk < 1:
        raise InputError("n_sims must be >= 100 and chunk >= 1", where="n_sims/chunk")
    a = _check_alpha(alpha)
    sizes = [chunk] * (n_sims // chunk) + ([n_sims % chunk] if n_sims % chunk else [])
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    drift, vol = (m - 0.5 * v * v) * T, v * np.sqrt(T)
    tasks = [(sq, n, s, drift, vol, root, g) for sq, n in zip(seeds, sizes, strict=True)]
    chunks = ([_simulate_chunk(t) for t in tasks] if client is None
              else client.gather(client.map(_simulate_chunk, tasks, pure=False)))
    totals = np.vstack(chunks)
    expected = g @ (s * np.exp(m * T))  # exact, not simulated
    q = np.quantile(totals, a, axis=0)
    tail_mean = np.array([totals[totals[:, k] <= q[k], k].mean() for k in range(len(g))])
    parts = var_fund_size(s, m, v, T, a)
    return MonteCarloFund(names, expected, expected - q, expected - tail_mean, g @ parts,
                          int(n_sims), a, int(seed))
