"""Stability-fund sizing by lognormal value-at-risk (CCA paper); Monte Carlo in ``montecarlo``.

For a value S that is lognormal over horizon T, ln S_T ~ N(ln S_0 + (mu - sigma^2/2) T,
sigma^2 T): E(S) = S_0 e^{mu T}, S* = S_0 exp((mu - sigma^2/2) T + sigma sqrt(T) z_alpha),
and the fund is the unexpected loss E(S) - S*.
"""

from __future__ import annotations

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
            return tiers(x, n)  # quantile tiers
        import jenkspy

        breaks = np.asarray(jenkspy.jenks_breaks(x, n_classes=n))
        # n - 1 inner breaks: searchsorted gives 0..n-1, so the tier is 1..n without clipping; its
        # default side ("left") puts a value equal to a break in the lower class
        return np.searchsorted(breaks[1:-1], x) + 1
    raise InputError(f"unknown method {method!r}; expected 'quantile' or 'jenks'", where="method")


def shares(values: Any) -> np.ndarray:
    """Proportional allocation p_i = x_i / sum_j x_j."""
    x = check_positive(as_float_array(values, "values", ndim=1), "values", strict=False)
    total = x.sum()
    if total <= 0:
        raise InputError("all values are zero; shares undefined", where="values")
    return x / total


_MOVED = ("MonteCarloFund", "monte_carlo_fund", "correlation_sqrt")


def __getattr__(name: str) -> Any:
    """The Monte Carlo lives in :mod:`finstab.fund.montecarlo`; its old names still import from here."""
    if name in _MOVED:
        from finstab.fund import montecarlo

        return getattr(montecarlo, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
