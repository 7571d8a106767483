"""Spillover connectedness of markets: Diebold & Yilmaz (2012), static and rolling.

A VAR(p) with an intercept is fitted by OLS to a T x k panel (returns or log volatilities).
Its moving-average matrices ``A_0 = I, A_h = sum_l Phi_l A_{h-l}`` give the H-step generalized
forecast-error variance decomposition (Koop, Pesaran & Potter 1996; Pesaran & Shin 1998)::

    theta_ij(H) = sigma_jj^-1 sum_{h=0}^{H-1} (e_i' A_h Sigma e_j)^2 / sum_{h=0}^{H-1} e_i' A_h Sigma A_h' e_i

The horizon H sums A_0 ... A_{H-1}. Rows are normalised to 1 (the generalized shares do not
add up to one on their own) and reported in percent: ``pairwise[i, j]`` is the share of i's
H-step forecast-error variance due to shocks in j. Then

* from_others_i = sum_{j != i} pairwise[i, j]  (what i receives),
* to_others_j   = sum_{i != j} pairwise[i, j]  (what j gives),
* net_i = to_others_i - from_others_i (positive: a net transmitter),
* TCI = sum_{i != j} pairwise[i, j] / k (percent).

Conventions settled on published data: with the rows normalised and the variables as shipped
(log range volatilities), VAR(4) and H = 10 on the Diebold-Yilmaz (2012) data give TCI 12.59 %,
the figure ConnectednessApproach's vignette prints; the residual covariance's degrees-of-freedom
scaling does not matter (theta is invariant to scaling Sigma).

A rolling window is ``window`` rows of the panel, labelled by its last date; each window
refits the VAR. The windows are computed together: cross-products come from running sums over
each chunk of rows and every window costs one small d x d solve (d = 1 + k p); no Python-level
refit per window.

References
----------
Diebold, F. X. & Yilmaz, K. (2012). Better to give than to receive: predictive directional
measurement of volatility spillovers. International Journal of Forecasting 28(1), 57-66.
Pesaran, M. H. & Shin, Y. (1998). Generalized impulse response analysis in linear
multivariate models. Economics Letters 58(1), 17-29.
Gabauer, D. ConnectednessApproach (R package), vignette.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.core.errors import DataError, InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.warnings import FinstabWarning, collect, warn

CRITERIA = ("aic", "bic", "hqic", "fpe")
#: windows computed per batch in :func:`rolling_connectedness` (bounds memory, not results)
CHUNK = 512
#: smallest pivot of a window's scaled cross-product matrix before it counts as singular
SINGULAR_PIVOT = 1e-10
#: repeated squarings of the companion matrix tried before its eigenvalues are computed
SQUARINGS = 6


# ----------------------------------------------------------------------------------------------
# kernels (arrays in, arrays out; leading batch dimensions allowed where noted)
# ----------------------------------------------------------------------------------------------
def ma_coefficients(coefs: np.ndarray, horizon: int) -> np.ndarray:
    """Moving-average matrices ``A_0 ... A_{H-1}`` of a VAR.

    Parameters
    ----------
    coefs
        ``(..., p, k, k)`` lag matrices ``Phi_1 ... Phi_p`` (as statsmodels' ``coefs``).
    horizon
        H, the number of matrices returned.

    Returns
    -------
    ``(..., H, k, k)`` array with ``A_0 = I`` and ``A_h = sum_{l=1}^{min(p,h)} Phi_l A_{h-l}``.

    Examples
    --------
    >>> ma_coefficients(np.array([[[0.5]]]), 3).ravel().tolist()
    [1.0, 0.5, 0.25]
    """
    coefs = np.asarray(coefs, dtype=float)
    *batch, p, k, _ = coefs.shape
    out = np.zeros((*batch, horizon, k, k))
    out[..., 0, :, :] = np.eye(k)
    for h in range(1, horizon):
        for lag in range(1, min(p, h) + 1):
            out[..., h, :, :] += coefs[..., lag - 1, :, :] @ out[..., h - lag, :, :]
    return out


def generalized_fevd(coefs: np.ndarray, sigma: np.ndarray, horizon: int, *, normalize: bool = True
                     ) -> np.ndarray:
    """Generalized forecast-error variance decomposition (Pesaran & Shin 1998) as fractions.

    Parameters
    ----------
    coefs
        ``(..., p, k, k)`` VAR lag matrices.
    sigma
        ``(..., k, k)`` residual covariance.
    horizon
        H: the decomposition sums ``A_0 ... A_{H-1}``.
    normalize
        Divide each row by its sum (Diebold & Yilmaz 2012). Without it the rows of a
        correlated system add up to more than one.

    Returns
    -------
    ``(..., k, k)``: ``[i, j]`` = share of i's H-step forecast-error variance due to shocks in j.

    Examples
    --------
    Two independent AR(1)s with correlated shocks (rho = 0.5): the unnormalised cross share is
    rho^2 for every horizon, 0.2 after normalising (rho^2 / (1 + rho^2)).

    >>> th = generalized_fevd(np.diag([0.3, 0.8])[None], np.array([[1, 0.5], [0.5, 1.0]]), 10)
    >>> np.round(th, 10).tolist()
    [[0.8, 0.2], [0.2, 0.8]]
    """
    sigma = np.asarray(sigma, dtype=float)
    A = ma_coefficients(coefs, horizon)  # (..., H, k, k)
    A_sig = A @ sigma[..., None, :, :]
    num = (A_sig**2).sum(axis=-3) / np.diagonal(sigma, axis1=-2, axis2=-1)[..., None, :]
    den = np.einsum("...hik,...hik->...i", A_sig, A)
    theta = num / den[..., :, None]
    if normalize:
        theta = theta / theta.sum(axis=-1, keepdims=True)
    return theta


def connectedness_measures(theta: np.ndarray) -> dict[str, np.ndarray]:
    """TCI, to, from and net (percent) from row-normalised shares ``(..., k, k)``.

    Examples
    --------
    >>> m = connectedness_measures(np.array([[0.8, 0.2], [0.1, 0.9]]))
    >>> float(m["tci"]), m["net"].round(6).tolist()
    (15.0, [-10.0, 10.0])
    """
    pct = 100.0 * np.asarray(theta, dtype=float)
    own = np.diagonal(pct, axis1=-2, axis2=-1)
    k = own.shape[-1]
    from_others = pct.sum(axis=-1) - own
    to_others = pct.sum(axis=-2) - own
    return {"tci": from_others.sum(axis=-1) / k, "to": to_others, "from": from_others,
            "net": to_others - from_others}


def var_design(values: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Regressors ``[1, y_{t-1}, ..., y_{t-p}]`` and targets ``y_t`` of a VAR(p), t = p ... T-1."""
    T, _ = values.shape
    cols = [np.ones((T - lags, 1))] + [values[lags - lag:T - lag] for lag in range(1, lags + 1)]
    return np.hstack(cols), values[lags:]


def fit_var(values: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS VAR(p) with an intercept.

    Returns
    -------
    intercept ``(k,)``, coefs ``(p, k, k)`` (``coefs[l-1][i, j]`` = effect of y_j at lag l on
    y_i) and the residual covariance ``(k, k)`` divided by T - p - (1 + k p) (as statsmodels).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.zeros((400, 1))
    >>> for t in range(1, 400):
    ...     y[t] = 0.5 * y[t - 1] + rng.normal()
    >>> c, coefs, s = fit_var(y, 1)
    >>> bool(abs(coefs[0, 0, 0] - 0.5) < 0.1)
    True
    """
    X, Z = var_design(values, lags)
    B, *_ = np.linalg.lstsq(X, Z, rcond=None)
    resid = Z - X @ B
    k = values.shape[1]
    coefs = B[1:].reshape(lags, k, k).transpose(0, 2, 1)
    sigma = resid.T @ resid / (X.shape[0] - X.shape[1])
    return B[0], coefs, sigma


def _companion(coefs: np.ndarray) -> np.ndarray:
    *batch, p, k, _ = coefs.shape
    comp = np.zeros((*batch, k * p, k * p))
    comp[..., :k, :] = np.concatenate([coefs[..., i, :, :] for i in range(p)], axis=-1)
    comp[..., k:, :-k] = np.eye(k * (p - 1))
    return comp


def var_is_stable(coefs: np.ndarray, squarings: int = SQUARINGS) -> np.ndarray:
    """Whether each VAR is stable (every companion eigenvalue inside the unit circle).

    Most windows are certified cheaply: ``||C^m||_inf < 1`` implies ``rho(C)^m < 1``, tried for
    m = 2, 4, ..., 2^squarings; the eigenvalues are computed only for the others.

    Examples
    --------
    >>> var_is_stable(np.array([[[[0.5]]], [[[1.01]]]])).tolist()
    [True, False]
    """
    coefs = np.asarray(coefs, dtype=float)
    *batch, p, k, _ = coefs.shape
    flat = coefs.reshape(-1, p, k, k)
    comp = _companion(flat)
    stable = np.zeros(len(flat), dtype=bool)
    todo = np.arange(len(flat))
    power = comp
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(squarings):
            power = power @ power
            norm = np.abs(power).sum(axis=-1).max(axis=-1)
            done = norm < 1
            stable[todo[done]] = True
            todo, power = todo[~done], power[~done & np.isfinite(norm)]
            if not todo.size or len(power) != len(todo):
                break
    if todo.size:
        stable[todo] = np.abs(np.linalg.eigvals(comp[todo])).max(axis=-1) < 1
    return stable.reshape(batch)


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------
def _panel(data: Any, name: str = "data") -> pd.DataFrame:
    """A numeric T x k frame: a ``date`` column becomes the index, ``source`` is dropped."""
    if isinstance(data, pd.DataFrame):
        df = data.copy()
    elif isinstance(data, np.ndarray) and data.ndim == 2:
        df = pd.DataFrame(data, columns=[f"m{j}" for j in range(data.shape[1])])
    else:
        raise InputError(f"expected a DataFrame (rows = dates, columns = markets), got {type(data).__name__}",
                         where=name)
    df = df.drop(columns=[c for c in df.columns if str(c).lower() == "source"])
    if "date" in df.columns and isinstance(df.index, pd.RangeIndex):
        df = df.set_index("date")
    df.columns = [str(c) for c in df.columns]
    if df.columns.duplicated().any():
        raise DataError(f"column {df.columns[df.columns.duplicated()][0]!r} appears twice", where=name)
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise DataError(f"column {col!r} is not numeric", where=name)
    if df.shape[1] < 2:
        raise DataError(f"connectedness needs at least 2 markets, got {df.shape[1]}", where=name)
    values = df.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"missing or non-finite value in column {df.columns[c]!r} at row {df.index[r]}; "
                        "drop or fill missing values first", where=name)
    return df


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InputError(f"{value!r}; expected an integer >= {low}", where=name)
    return int(value)


def select_lags(data: pd.DataFrame | np.ndarray, criterion: str = "aic", max_lags: int | None = None) -> int:
    """VAR lag order (>= 1) minimising an information criterion, by statsmodels.

    Parameters
    ----------
    data
        T x k panel.
    criterion
        ``"aic"``, ``"bic"``, ``"hqic"`` or ``"fpe"``.
    max_lags
        Largest order tried; default statsmodels' ``12 (T/100)^(1/4)``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> e = rng.normal(size=(600, 2))
    >>> y = np.zeros_like(e)
    >>> for t in range(2, 600):
    ...     y[t] = 0.5 * y[t - 2] + e[t]
    >>> select_lags(y, "bic", max_lags=6)
    2
    """
    from statsmodels.tsa.api import VAR

    if criterion not in CRITERIA:
        raise InputError(f"{criterion!r} is not one of {', '.join(map(repr, CRITERIA))}", where="lags")
    values = _panel(data).to_numpy(dtype=float)
    if max_lags is not None:
        max_lags = _check_int(max_lags, "max_lags", 1)
    try:
        order = VAR(values).select_order(max_lags, trend="c")
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise DataError(f"lag selection failed: {exc}", where="data") from None
    ics = np.asarray(order.ics[criterion])  # floats already
    return int(np.nanargmin(ics[1:]) + 1)  # order 0 is no VAR: choose among 1 .. max_lags


def _resolve_lags(lags: int | str, df: pd.DataFrame) -> int:
    if isinstance(lags, str):
        return select_lags(df, lags.lower())
    return _check_int(lags, "lags", 1)


def _check_size(n_rows: int, k: int, lags: int, what: str, where: str) -> None:
    d = 1 + k * lags
    if n_rows - lags <= d:
        raise DataError(f"{what} of {n_rows} rows is too short for a VAR({lags}) in {k} markets: "
                        f"need more than {lags + d} rows", where=where)


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------
_TXT = {
    "zh": {"title": "溢出效应（Diebold–Yilmaz 2012，广义方差分解）", "tci": "总体关联度 TCI",
           "to": "对外溢出", "from": "接收溢出", "net": "净溢出", "windows": "滚动窗口",
           "last": "最新", "max": "最高", "transmitter": "最大净输出", "receiver": "最大净接收"},
    "en": {"title": "Spillover connectedness (Diebold-Yilmaz 2012, generalized FEVD)",
           "tci": "total connectedness TCI", "to": "to others", "from": "from others", "net": "net",
           "windows": "rolling windows", "last": "last", "max": "max", "transmitter": "largest net transmitter",
           "receiver": "largest net receiver"},
}


@dataclass(frozen=True)
class ConnectednessResult(Result):
    """Static spillover table of a VAR fitted on the whole sample.

    ``pairwise`` (k x k, percent): row i, column j = share of i's H-step forecast-error variance
    due to shocks in j (rows sum to 100). ``to_others``, ``from_others``, ``net`` (Series by
    market, percent; net = to - from) and ``tci`` (percent).
    """

    kind: ClassVar[str] = "connectedness"
    pairwise: pd.DataFrame
    tci: float
    to_others: pd.Series
    from_others: pd.Series
    net: pd.Series
    lags: int
    horizon: int
    n_obs: int
    stable: bool = True

    @property
    def markets(self) -> list[str]:
        return list(self.pairwise.columns)

    def directional(self) -> pd.DataFrame:
        """One row per market: own share, to, from and net spillovers (percent)."""
        return pd.DataFrame({"market": self.markets, "own": np.diag(self.pairwise.to_numpy()),
                             "to_others": self.to_others.to_numpy(), "from_others": self.from_others.to_numpy(),
                             "net": self.net.to_numpy()})

    def tables(self) -> dict[str, pd.DataFrame]:
        meta = pd.DataFrame({"key": ["tci", "lags", "horizon", "n_obs", "stable"],
                             "value": [self.tci, self.lags, self.horizon, self.n_obs, self.stable]})
        return {"pairwise": self.pairwise.reset_index(names="market"), "directional": self.directional(),
                "connectedness": meta}

    def summary(self) -> str:
        t = _TXT[self.lang]
        net = self.net.sort_values()
        table = self.pairwise.copy()
        table[t["from"]] = self.from_others
        table.loc[t["to"]] = [*self.to_others, self.tci]
        lines = [f"{t['title']}: VAR({self.lags}), H = {self.horizon}, T = {self.n_obs}",
                 f"{t['tci']} = {self.tci:.2f} %",
                 table.round(2).to_string(),
                 f"{t['transmitter']}: {net.index[-1]} ({net.iloc[-1]:+.2f}); "
                 f"{t['receiver']}: {net.index[0]} ({net.iloc[0]:+.2f})",
                 self.footer()]
        return "\n".join(lines)


def _day(label: Any) -> str:
    return f"{label:%Y-%m-%d}" if isinstance(label, pd.Timestamp) else str(label)


@dataclass(frozen=True)
class RollingConnectedness(Result):
    """Rolling-window connectedness: ``frame`` indexed by each window's last date.

    Columns ``tci``, ``net:<market>``, ``to:<market>``, ``from:<market>`` (percent) and
    ``stable`` (False where the window's VAR has a companion root on or outside the unit circle).
    The result reads like that frame: ``roll["tci"]``, ``roll.index``, ``roll.loc[...]``.
    """

    kind: ClassVar[str] = "rolling_connectedness"
    frame: pd.DataFrame
    window: int
    lags: int
    horizon: int

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "frame":
            raise AttributeError(name)
        return getattr(self.frame, name)

    def __getitem__(self, key: Any) -> Any:
        return self.frame[key]

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def markets(self) -> list[str]:
        return [c.split(":", 1)[1] for c in self.frame.columns if c.startswith("net:")]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"rolling": self.frame.reset_index(names="date")}

    def summary(self) -> str:
        t = _TXT[self.lang]
        tci = self.frame["tci"].dropna()
        if tci.empty:
            body = f"{t['tci']}: -"
        else:
            body = (f"{t['tci']}: {t['last']} {tci.iloc[-1]:.2f} % ({_day(tci.index[-1])}), "
                    f"{t['max']} {tci.max():.2f} % ({_day(tci.idxmax())}), min {tci.min():.2f} %")
        return "\n".join([f"{t['title']} — {t['windows']}: {len(self.frame)} x {self.window} rows, "
                          f"VAR({self.lags}), H = {self.horizon}", body, self.footer()])


# ----------------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------------
def connectedness(data: pd.DataFrame, lags: int | str = 4, horizon: int = 10) -> ConnectednessResult:
    """Diebold-Yilmaz (2012) spillover table on the whole sample.

    Parameters
    ----------
    data
        T x k frame (returns or log volatilities), columns = market names, rows in time order.
        A ``date`` column becomes the index; a ``source`` column is kept for provenance only.
    lags
        VAR order p, or an information criterion (``"aic"``, ``"bic"``, ``"hqic"``, ``"fpe"``)
        evaluated by statsmodels for orders 1 ... 12 (T/100)^(1/4).
    horizon
        H: the forecast-error variance sums ``A_0 ... A_{H-1}``.

    Returns
    -------
    ConnectednessResult
        ``tci``, ``pairwise``, ``to_others``, ``from_others``, ``net`` (percent).

    Raises
    ------
    DataError
        Non-numeric or missing values, fewer than 2 markets, too few rows for the VAR.
    InputError
        A bad ``lags`` or ``horizon``.

    Examples
    --------
    >>> from finstab.samples.markets import market_returns
    >>> res = connectedness(market_returns().iloc[:400, :4], lags=1, horizon=10)
    >>> bool(0 < res.tci < 100), round(float(res.net.sum()), 10)
    (True, 0.0)
    """
    df = _panel(data)
    horizon = _check_int(horizon, "horizon", 1)
    with collect() as seen:
        p = _resolve_lags(lags, df)
        _check_size(len(df), df.shape[1], p, "the sample", "data")
        _, coefs, sigma = fit_var(df.to_numpy(dtype=float), p)
        stable = bool(var_is_stable(coefs))
        if not stable:
            warn(f"the fitted VAR({p}) is not stable (a companion root on or outside the unit circle); "
                 "spillover shares of a non-stationary system depend strongly on the horizon", FinstabWarning)
        theta = generalized_fevd(coefs, sigma, horizon)
    m = connectedness_measures(theta)
    names = list(df.columns)
    pct = pd.DataFrame(100 * theta, index=pd.Index(names, name="market"), columns=names)
    prov = Provenance.from_inputs("contagion/connectedness", inputs={"data": data},
                                  params={"lags": p, "lags_requested": lags, "horizon": horizon,
                                          "markets": names, "n_obs": len(df)})
    res = ConnectednessResult(pct, float(m["tci"]), pd.Series(m["to"], index=names, name="to_others"),
                              pd.Series(m["from"], index=names, name="from_others"),
                              pd.Series(m["net"], index=names, name="net"), p, horizon, len(df), stable,
                              provenance=prov)
    return res.with_warnings(seen)


def _window_cross_products(X: np.ndarray, Z: np.ndarray, m: int, start: int, stop: int
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X'X, X'Z and Z'Z of the row blocks [w, w + m) for w in [start, stop), by running sums."""
    rows = slice(start, stop - 1 + m)
    Xc, Zc = X[rows], Z[rows]
    sxx = _pad_cumsum(Xc[:, :, None] * Xc[:, None, :])
    sxz = _pad_cumsum(Xc[:, :, None] * Zc[:, None, :])
    szz = _pad_cumsum(Zc[:, :, None] * Zc[:, None, :])
    n = stop - start
    return sxx[m:m + n] - sxx[:n], sxz[m:m + n] - sxz[:n], szz[m:m + n] - szz[:n]


def _pad_cumsum(a: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((1, *a.shape[1:])), np.cumsum(a, axis=0)])


def _rolling_arrays(values: np.ndarray, window: int, lags: int, horizon: int, chunk: int = CHUNK,
                    first: int = 0, last: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-normalised theta ``(n_windows, k, k)``, a singular-window mask and a stable-VAR mask
    (of windows ``first .. last - 1`` only when given: ``first`` a multiple of ``chunk`` gives the same bits)."""
    T, k = values.shape
    # demean once: the intercept absorbs it, slopes and residuals are unchanged, and the
    # running sums below lose far fewer digits
    X, Z = var_design(values - values.mean(axis=0), lags)
    m, d = window - lags, X.shape[1]
    n_win = (T - window + 1 if last is None else last) - first
    theta = np.full((n_win, k, k), np.nan)
    singular = np.zeros(n_win, dtype=bool)
    stable = np.zeros(n_win, dtype=bool)
    for start in range(0, n_win, chunk):
        stop = min(start + chunk, n_win)
        xx, xz, zz = _window_cross_products(X, Z, m, first + start, first + stop)
        scale = 1.0 / np.sqrt(np.diagonal(xx, axis1=1, axis2=2))
        scaled = xx * scale[:, :, None] * scale[:, None, :]
        try:
            chol = np.linalg.cholesky(scaled)
        except np.linalg.LinAlgError:
            chol = np.zeros_like(scaled)
            for w in range(stop - start):
                try:
                    chol[w] = np.linalg.cholesky(scaled[w])
                except np.linalg.LinAlgError:
                    pass  # its factor stays zero, which fails the pivot test below
        # (a regressor that is zero throughout a window gives NaNs there, which fail it too)
        ok = np.diagonal(chol, axis1=1, axis2=2).min(axis=1) ** 2 > SINGULAR_PIVOT
        singular[start:stop] = ~ok
        idx = np.flatnonzero(ok)
        if not idx.size:
            continue
        B = np.linalg.solve(xx[idx], xz[idx])  # the one least-squares solve per window
        sigma = (zz[idx] - np.swapaxes(B, 1, 2) @ xz[idx]) / (m - d)
        sigma = sigma + np.swapaxes(sigma, 1, 2)  # twice the symmetric part: theta ignores the scale
        coefs = B[:, 1:, :].reshape(len(idx), lags, k, k).transpose(0, 1, 3, 2)
        theta[start + idx] = generalized_fevd(coefs, sigma, horizon)
        stable[start + idx] = var_is_stable(coefs)
    return theta, singular, stable


def _rolling_on(client: Any, values: np.ndarray, window: int, lags: int, horizon: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_rolling_arrays` in at most 16 contiguous blocks of whole chunks of windows, mapped on ``client``."""
    n_win = len(values) - window + 1
    per = CHUNK * -(-n_win // (CHUNK * 16))
    firsts = list(range(0, n_win, per))
    n = len(firsts)
    parts = client.gather(client.map(_rolling_arrays, [values] * n, [window] * n, [lags] * n, [horizon] * n,
                                     [CHUNK] * n, firsts, [min(a + per, n_win) for a in firsts], pure=False))
    return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))


def rolling_connectedness(data: pd.DataFrame, window: int = 200, lags: int | str = 4, horizon: int = 10,
                          *, client: Any = None) -> RollingConnectedness:
    """Connectedness of a VAR refitted on every window of ``window`` rows.

    Parameters
    ----------
    data
        T x k frame as for :func:`connectedness`; the index (or ``date`` column) labels windows.
    window
        Rows per window; a window is labelled by its last row.
    lags
        VAR order, or an information criterion chosen once on the whole sample.
    horizon
        H: sums ``A_0 ... A_{H-1}``.
    client
        Optional dask.distributed ``Client`` (anything with ``map`` and ``gather``): contiguous
        blocks of windows are computed on its workers, with the same bits as without.

    Returns
    -------
    RollingConnectedness
        Reads like a frame indexed by each window's last date with columns ``tci``,
        ``net:<market>``, ``to:<market>``, ``from:<market>`` (percent) and ``stable``.
        Windows whose regressors are singular (a constant series) hold NaN and are warned.

    Examples
    --------
    >>> from finstab.samples.markets import market_returns
    >>> roll = rolling_connectedness(market_returns().iloc[:300, :3], window=100, lags=1, horizon=5)
    >>> len(roll), list(roll.columns[:2])
    (201, ['tci', 'net:equity'])
    """
    df = _panel(data)
    horizon = _check_int(horizon, "horizon", 1)
    window = _check_int(window, "window", 2)
    if window > len(df):
        raise DataError(f"window = {window} is longer than the {len(df)} rows of data", where="window")
    with collect() as seen:
        p = _resolve_lags(lags, df)
        _check_size(window, df.shape[1], p, "a window", "window")
        values = df.to_numpy(dtype=float)
        theta, singular, stable = (_rolling_arrays(values, window, p, horizon) if client is None
                                   else _rolling_on(client, values, window, p, horizon))
        labels = df.index[window - 1:]
        if singular.any():
            warn(f"{int(singular.sum())} window(s) have singular regressors (a constant series?) and are "
                 f"left empty, first ending {_day(labels[np.argmax(singular)])}", FinstabWarning)
        unstable = ~singular & ~stable
        if unstable.any():
            warn(f"{int(unstable.sum())} window(s) fit a VAR that is not stable (column 'stable' = False), "
                 f"first ending {_day(labels[np.argmax(unstable)])}", FinstabWarning)
    m = connectedness_measures(theta)
    names = list(df.columns)
    cols: dict[str, np.ndarray] = {"tci": m["tci"]}
    for key in ("net", "to", "from"):
        cols.update({f"{key}:{name}": m[key][:, j] for j, name in enumerate(names)})
    cols["stable"] = stable
    frame = pd.DataFrame(cols, index=labels)
    frame.index.name = "date"
    prov = Provenance.from_inputs("contagion/rolling_connectedness", inputs={"data": data},
                                  params={"window": window, "lags": p, "lags_requested": lags,
                                          "horizon": horizon, "markets": names})
    return RollingConnectedness(frame, window, p, horizon, provenance=prov).with_warnings(seen)


def pairwise_net(result: ConnectednessResult) -> pd.DataFrame:
    """Net pairwise spillovers ``[i, j] = pairwise[j, i] - pairwise[i, j]`` (i's net push to j).

    Examples
    --------
    >>> from finstab.samples.markets import market_returns
    >>> net = pairwise_net(connectedness(market_returns().iloc[:400, :3], lags=1))
    >>> bool(np.allclose(net, -net.T))
    True
    """
    p = result.pairwise.to_numpy()
    return pd.DataFrame(p.T - p, index=result.pairwise.index, columns=result.pairwise.columns)

