"""Market-based systemic-risk measures: Delta-CoVaR, MES, LRMES and SRISK.

Sign conventions (a known trap: libraries differ, so finstab states each one)
---------------------------------------------------------------------------
* :func:`delta_covar` keeps the sign and units of the data. For returns and a lower-tail
  quantile (``q = 0.05``) CoVaR is a return quantile, usually negative, and a *negative*
  Delta-CoVaR means the system's tail return is worse when the institution is in distress
  (Adrian & Brunnermeier report it this way; some libraries flip it to a positive loss).
  For risk series where high values are bad (default probabilities, spreads) use an upper
  quantile (``q = 0.99``): a *positive* Delta-CoVaR then means more systemic stress.
* :func:`mes` is a *loss*: MES_i = -E[R_i | R_m in its lower tail], positive when the
  institution loses when the market does (V-Lab and Acharya et al. report it this way).
* LRMES is a *loss fraction* in [0, 1] (0.4 = equity falls 40 % in a crisis), not a return.
* :func:`srisk` = k D - (1 - k)(1 - LRMES) E: *positive = capital shortfall*, negative =
  surplus; it is not floored at 0 (Brownlees & Engle floor only the aggregate, sum of max(SRISK, 0)).

References
----------
Adrian, T. & Brunnermeier, M. K. (2016). CoVaR. American Economic Review 106(7), 1705-1741.
Acharya, V., Pedersen, L., Philippon, T. & Richardson, M. (2017). Measuring systemic risk.
Review of Financial Studies 30(1), 2-47.
Acharya, V., Engle, R. & Richardson, M. (2012). Capital shortfall: a new approach to ranking
and regulating systemic risks. American Economic Review 102(3), 59-64.
Brownlees, C. & Engle, R. F. (2017). SRISK: a conditional capital shortfall measure of
systemic risk. Review of Financial Studies 30(1), 48-79.
Chan-Lau, J. A. (2017). CoVaR in R: a quick tutorial. IMF / NUS-RMI (github jchanlauimf/Systemic-Risk).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from finstab.core.errors import DataError, InputError
from finstab.core.warnings import DataQualityWarning, warn

#: LRMES ~ 1 - exp(-18 MES): a 40 % six-month market fall (Acharya, Engle & Richardson 2012)
LRMES_FACTOR = 18.0


# ----------------------------------------------------------------------------------------------
# quantile regression: statsmodels' QuantReg, then the exact vertex it converges to
# ----------------------------------------------------------------------------------------------
def _check_vertex(y: np.ndarray, X: np.ndarray, q: float, basis: np.ndarray) -> np.ndarray | None:
    """The coefficients through the ``basis`` rows if they solve the quantile regression exactly.

    Optimality (Koenker 2005, sec. 6.2): with residuals r of the other rows, some
    d in [q - 1, q]^p solves X_B' d = -sum_{i not in B} x_i psi_q(r_i).
    """
    XB = X[basis]
    try:
        beta = np.linalg.solve(XB, y[basis])
        r = y - X @ beta
        others = np.ones(len(y), dtype=bool)
        others[basis] = False
        scale = np.abs(y).max() + 1.0
        if np.any(np.abs(r[others]) <= 1e-12 * scale):
            return None  # degenerate: more rows on the hyperplane than the basis
        psi = np.where(r[others] < 0, q - 1.0, q)
        d = np.linalg.solve(XB.T, -(X[others].T @ psi))
    except np.linalg.LinAlgError:
        return None
    tol = 1e-9
    return beta if np.all((d >= q - 1 - tol) & (d <= q + tol)) else None


def quantile_regression(y: np.ndarray, X: np.ndarray, q: float) -> np.ndarray:
    """Coefficients of the q-th quantile regression of ``y`` on ``X`` (include a constant yourself).

    statsmodels' ``QuantReg`` (iteratively reweighted least squares) finds the neighbourhood
    of the optimum; the exact solution is the vertex through the p rows it fits best, accepted
    only with its optimality certificate. When no certificate holds (degenerate data) the
    linear programme is solved exactly by HiGHS. The exact solution is what R's ``quantreg::rq``
    (simplex) reports, so published figures are reproduced to their printed digits.

    Examples
    --------
    >>> x = np.arange(1.0, 8.0)
    >>> y = 2 + 3 * x + np.array([0, 0, 0, 100.0, 0, 0, 0])  # one outlier: the median line ignores it
    >>> quantile_regression(y, np.column_stack([np.ones(7), x]), 0.5).round(6).tolist()
    [2.0, 3.0]
    """
    import warnings

    from statsmodels.regression.quantile_regression import QuantReg

    p = X.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IRLS convergence and max-iteration notices: the vertex decides
        start = QuantReg(y, X).fit(q=q, max_iter=5000, p_tol=1e-10).params
    order = np.argsort(np.abs(y - X @ start), kind="stable")
    chosen: list[int] = []
    for i in order:  # the p best-fitted rows that are linearly independent
        trial = [*chosen, int(i)]
        if np.linalg.matrix_rank(X[trial]) == len(trial):
            chosen = trial
        if len(chosen) == p:
            break
    if len(chosen) == p:
        beta = _check_vertex(y, X, q, np.array(chosen))
        if beta is not None:
            return beta
    return _quantile_lp(y, X, q)


def _quantile_lp(y: np.ndarray, X: np.ndarray, q: float) -> np.ndarray:
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n, p = X.shape
    cost = np.r_[np.zeros(p), np.full(n, q), np.full(n, 1 - q)]
    A = sp.hstack([sp.csr_matrix(X), sp.identity(n), -sp.identity(n)])
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)
    res = linprog(cost, A_eq=A, b_eq=y, bounds=bounds, method="highs")
    if res.status != 0:
        raise DataError(f"quantile regression failed: {res.message}", where="data")
    return res.x[:p]


# ----------------------------------------------------------------------------------------------
# input alignment
# ----------------------------------------------------------------------------------------------
def _frame(x: Any, name: str, default: str) -> pd.DataFrame:
    if isinstance(x, pd.DataFrame):
        df = x.drop(columns=[c for c in x.columns if str(c).lower() in ("source", "date")])
    elif isinstance(x, pd.Series):
        df = x.to_frame(default if x.name is None else x.name)
    else:
        arr = np.asarray(x)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise InputError(f"expected a series or a table, got shape {arr.shape}", where=name)
        df = pd.DataFrame(arr, columns=[default] if arr.shape[1] == 1 else [f"{default}{j}" for j in
                                                                          range(arr.shape[1])])
    df.columns = [str(c) for c in df.columns]
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise DataError(f"column {col!r} is not numeric", where=name)
    if np.isinf(df.to_numpy(dtype=float)).any():
        raise DataError("infinite value", where=name)
    return df


def _align(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Inner-join on the index when every input has a meaningful index; else require equal lengths."""
    lengths = {k: len(v) for k, v in frames.items()}
    ranges = [isinstance(v.index, pd.RangeIndex) for v in frames.values()]
    if any(ranges):
        if len(set(lengths.values())) > 1:
            raise InputError(f"inputs of different lengths {lengths} and no dates to align them on",
                             where="/".join(frames))
        return {k: v.reset_index(drop=True) for k, v in frames.items()}
    common = None
    for v in frames.values():
        common = v.index if common is None else common.intersection(v.index)  # in the first input's order
    if common is None or len(common) == 0:
        raise DataError("the inputs share no dates", where="/".join(frames))
    return {k: v.loc[common] for k, v in frames.items()}


# ----------------------------------------------------------------------------------------------
# Delta-CoVaR
# ----------------------------------------------------------------------------------------------
def delta_covar(system_returns: Any, institution_returns: Any, q: float = 0.05, state: Any = None
                ) -> pd.DataFrame:
    """CoVaR and Delta-CoVaR of each institution by quantile regression (Adrian & Brunnermeier 2016).

    For institution i, the q-quantile regression of the system on the institution (and the
    state variables M) gives X_sys = alpha + beta X_i (+ gamma' M). Then

    * without ``state``: VaR_q(i) and VaR_50(i) are the sample quantiles of X_i (linear
      interpolation, R's type 7), CoVaR = alpha + beta VaR_q(i) and
      Delta-CoVaR = beta (VaR_q(i) - VaR_50(i));
    * with ``state``: VaR_{q,t}(i), VaR_{50,t}(i) are quantile regressions of X_i on M,
      CoVaR_t = alpha + beta VaR_{q,t}(i) + gamma' M_t, Delta-CoVaR_t = beta (VaR_{q,t}(i) -
      VaR_{50,t}(i)); the table reports their time averages.

    Parameters
    ----------
    system_returns
        The system's series (Series, one-column frame or array).
    institution_returns
        One column per institution (frame), or one series.
    q
        The distress quantile: 0.05 (lower tail) for returns; 0.95 or 0.99 for series where
        high values are bad (default probabilities, spreads). Signs follow the data (module notes).
    state
        State variables M aligned with the rows (pass lagged values, M_{t-1}, as Adrian &
        Brunnermeier do), or ``None``.

    Returns
    -------
    pandas.DataFrame
        Indexed by institution: ``covar``, ``delta_covar``, ``beta``, ``var_q``, ``var_median``
        and ``n_obs`` (rows used: those where the system, the institution and the state are all present).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bank = rng.standard_t(5, 2000) * 0.02
    >>> system = 0.5 * bank + rng.normal(0, 0.01, 2000)
    >>> dc = delta_covar(system, pd.Series(bank, name="bank"), q=0.05)
    >>> bool(dc.loc["bank", "delta_covar"] < 0), list(dc.columns[:2])
    (True, ['covar', 'delta_covar'])
    """
    try:
        q = float(q)
    except (TypeError, ValueError):
        raise InputError(f"{q!r} is not a number", where="q") from None
    if not 0 < q < 1:
        raise InputError(f"{q:g}; expected a quantile in (0, 1)", where="q")
    frames = {"system_returns": _frame(system_returns, "system_returns", "system"),
              "institution_returns": _frame(institution_returns, "institution_returns", "institution")}
    if frames["system_returns"].shape[1] != 1:
        raise InputError(f"expected one system series, got {frames['system_returns'].shape[1]} columns",
                         where="system_returns")
    if state is not None:
        frames["state"] = _frame(state, "state", "state")
    frames = _align(frames)
    y_all = frames["system_returns"].iloc[:, 0].to_numpy(dtype=float)
    M_all = frames["state"].to_numpy(dtype=float) if state is not None else np.empty((len(y_all), 0))
    rows = []
    for name, col in frames["institution_returns"].items():
        x_all = col.to_numpy(dtype=float)
        ok = np.isfinite(y_all) & np.isfinite(x_all) & np.isfinite(M_all).all(axis=1)
        y, x, M = y_all[ok], x_all[ok], M_all[ok]
        n_par = 2 + M.shape[1]
        if ok.sum() < 5 * n_par:
            raise DataError(f"{int(ok.sum())} complete rows for {name!r}; need at least {5 * n_par}",
                            where="institution_returns")
        ones = np.ones((len(y), 1))
        coef = quantile_regression(y, np.hstack([ones, x[:, None], M]), q)
        alpha, beta, gamma = coef[0], coef[1], coef[2:]
        if M.shape[1]:
            XM = np.hstack([ones, M])
            var_q = XM @ quantile_regression(x, XM, q)
            var_med = XM @ quantile_regression(x, XM, 0.5)
            covar = alpha + beta * var_q + M @ gamma
        else:
            var_q, var_med = np.quantile(x, q), np.quantile(x, 0.5)
            covar = alpha + beta * var_q
        rows.append({"institution": name, "covar": float(np.mean(covar)),
                     "delta_covar": float(np.mean(beta * (var_q - var_med))), "beta": float(beta),
                     "var_q": float(np.mean(var_q)), "var_median": float(np.mean(var_med)), "n_obs": int(ok.sum())})
    return pd.DataFrame(rows).set_index("institution")


# ----------------------------------------------------------------------------------------------
# MES, LRMES, SRISK
# ----------------------------------------------------------------------------------------------
def mes(market_returns: Any, institution_returns: Any, q: float = 0.05, threshold: float | None = None
        ) -> pd.Series:
    """Marginal expected shortfall as a positive loss: MES_i = -mean(R_i | R_m in its tail).

    Parameters
    ----------
    market_returns, institution_returns
        Market series and one column per institution (aligned on dates when both carry them).
    q
        The tail is the days with R_m at or below its q-quantile (Acharya et al. 2017: 5 %)...
    threshold
        ... or, when given, the days with R_m <= ``threshold`` (V-Lab: -0.02).

    Examples
    --------
    >>> m = pd.Series([0.01, -0.03, 0.02, -0.05, 0.0])
    >>> r = pd.DataFrame({"A": [0.02, -0.04, 0.01, -0.06, 0.0]})
    >>> mes(m, r, threshold=-0.02).round(6).tolist()
    [0.05]
    """
    frames = _align({"market_returns": _frame(market_returns, "market_returns", "market"),
                     "institution_returns": _frame(institution_returns, "institution_returns", "institution")})
    m = frames["market_returns"].iloc[:, 0].to_numpy(dtype=float)
    cut = np.nanquantile(m, q) if threshold is None else float(threshold)
    tail = m <= cut
    if tail.sum() < 1:
        raise DataError(f"no day with the market at or below {cut:g}", where="market_returns")
    out = -frames["institution_returns"][tail].mean(skipna=True)
    out.name = "mes"
    out.index.name = "institution"
    return out


def lrmes_from_mes(mes_values: Any, factor: float = LRMES_FACTOR) -> Any:
    """Long-run MES from daily MES: LRMES = 1 - exp(-factor x MES) (Acharya, Engle & Richardson 2012).

    ``mes_values`` are positive losses (0.02 = the firm loses 2 % on a market tail day).

    Examples
    --------
    >>> round(float(lrmes_from_mes(0.02)), 6)
    0.302324
    """
    return 1.0 - np.exp(-factor * mes_values)


def _vector(x: Any, name: str, index: pd.Index | None) -> tuple[np.ndarray, pd.Index | None]:
    if isinstance(x, pd.Series):
        if index is not None and not x.index.equals(index):
            if set(x.index) != set(index):
                raise InputError("institutions differ from those of the earlier arguments", where=name)
            x = x.loc[index]
        return x.to_numpy(dtype=float), x.index  # equal to ``index`` when one was given
    try:
        arr = np.atleast_1d(np.asarray(x, dtype=float))
    except (TypeError, ValueError):
        raise InputError(f"expected numbers, got {type(x).__name__}", where=name) from None
    if arr.ndim != 1:
        raise InputError(f"expected one value per institution, got shape {arr.shape}", where=name)
    return arr, index


def srisk(equity: Any, debt: Any, lrmes: Any, k: float = 0.08) -> pd.DataFrame:
    """SRISK (Brownlees & Engle 2017): k D - (1 - k)(1 - LRMES) E per institution.

    Parameters
    ----------
    equity
        Market value of equity E (>= 0), a Series by institution or an array.
    debt
        Book value of debt D (>= 0).
    lrmes
        Long-run MES as a loss fraction (<= 1; 0.4 = equity falls 40 %), e.g. from :func:`lrmes_from_mes`.
    k
        Prudential capital ratio (8 % in Brownlees & Engle; V-Lab uses 5.5 % in Europe).

    Returns
    -------
    pandas.DataFrame
        By institution: ``equity``, ``debt``, ``lrmes``, ``srisk`` (positive = capital shortfall,
        not floored), ``srisk_share`` (share of the aggregate sum of max(SRISK, 0); 0 for a
        surplus) and ``note`` (why a number deserves a look, else empty).

    Raises
    ------
    InputError
        Negative equity or debt, LRMES above 1, k outside (0, 1), mismatched lengths.

    Examples
    --------
    >>> sr = srisk([100.0, 50.0], [1000.0, 200.0], [0.4, 0.3], k=0.08)
    >>> sr["srisk"].round(6).tolist()  # 80 - 0.92 * 0.6 * 100; 16 - 0.92 * 0.7 * 50
    [24.8, -16.2]
    """
    try:
        k = float(k)
    except (TypeError, ValueError):
        raise InputError(f"{k!r} is not a number", where="k") from None
    if not 0 < k < 1:
        raise InputError(f"{k:g}; expected a capital ratio in (0, 1)", where="k")
    E, index = _vector(equity, "equity", None)
    D, index = _vector(debt, "debt", index)
    LR, index = _vector(lrmes, "lrmes", index)
    n = max(len(E), len(D), len(LR))
    E, D, LR = (np.broadcast_to(v, n) if len(v) == 1 else v for v in (E, D, LR))
    for name, v in (("equity", E), ("debt", D), ("lrmes", LR)):
        if len(v) != n:
            raise InputError(f"{len(v)} values for {n} institutions", where=name)
        if not np.all(np.isfinite(v)):
            raise InputError(f"missing or non-finite value at position {int(np.argmin(np.isfinite(v)))}", where=name)
    for name, v in (("equity", E), ("debt", D)):
        if np.any(v < 0):
            raise InputError(f"negative value {v[np.argmin(v)]:g}", where=name)
    if np.any(LR > 1):
        raise InputError(f"LRMES {LR.max():g} > 1: it is a loss fraction (0.4 = equity falls 40 %)", where="lrmes")
    labels = list(index) if index is not None and len(index) == n else list(range(n))
    note = np.where(LR < 0, "negative LRMES: equity would rise in a crisis (a return passed as a loss?)", "")
    if (LR < 0).any():
        warn(f"{int((LR < 0).sum())} institution(s) have a negative LRMES; LRMES is a loss fraction, "
             "positive when equity falls (see the 'note' column)", DataQualityWarning)
    value = k * D - (1 - k) * (1 - LR) * E
    pos = np.maximum(value, 0.0)
    share = pos / pos.sum() if pos.sum() > 0 else np.zeros(n)
    out = pd.DataFrame({"equity": E, "debt": D, "lrmes": LR, "srisk": value, "srisk_share": share, "note": note},
                       index=pd.Index(labels, name="institution"))
    return out
