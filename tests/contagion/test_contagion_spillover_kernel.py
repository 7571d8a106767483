"""Diebold-Yilmaz connectedness kernels: the published DY2012 table, statsmodels' VAR fit and MA
representation, hand-computed measures, chunked and distributed rolling windows, exact messages."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.api import VAR
from statsmodels.tsa.vector_ar.var_model import VARProcess

from finstab.contagion import spillover as sp_mod
from finstab.contagion.spillover import (
    ConnectednessResult,
    RollingConnectedness,
    connectedness,
    connectedness_measures,
    fit_var,
    generalized_fevd,
    ma_coefficients,
    pairwise_net,
    rolling_connectedness,
    select_lags,
    var_design,
    var_is_stable,
)
from finstab.core.errors import DataError, InputError
from finstab.core.warnings import FinstabWarning


def simulate(phi: np.ndarray, sigma: np.ndarray, T: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(sigma)
    y = np.zeros((T, len(sigma)))
    for t in range(1, T):
        y[t] = phi @ y[t - 1] + chol @ rng.normal(size=len(sigma))
    return y


PHI3 = np.array([[0.4, 0.1, 0.0], [0.2, 0.3, 0.1], [0.0, 0.2, 0.5]])
SIG3 = np.array([[1.0, 0.5, 0.2], [0.5, 1.5, 0.3], [0.2, 0.3, 0.8]])


def frame3(T: int = 400, seed: int = 2) -> pd.DataFrame:
    return pd.DataFrame(simulate(PHI3, SIG3, T, seed), columns=["eq", "bond", "fx"],
                        index=pd.date_range("2021-01-04", periods=T, freq="D"))


def gfevd_loops(coefs: np.ndarray, sigma: np.ndarray, H: int) -> np.ndarray:
    """Pesaran-Shin generalized FEVD with explicit loops over h, i, j (rows normalised)."""
    p, k, _ = coefs.shape
    A = [np.eye(k)]
    for h in range(1, H):
        A.append(sum(coefs[lag - 1] @ A[h - lag] for lag in range(1, min(p, h) + 1)))
    theta = np.zeros((k, k))
    for i in range(k):
        den = sum(A[h][i] @ sigma @ A[h][i] for h in range(H))
        for j in range(k):
            theta[i, j] = sum((A[h][i] @ sigma[:, j]) ** 2 for h in range(H)) / sigma[j, j] / den
    return theta / theta.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------------- published figures


def test_diebold_yilmaz_2012_published_spillover_table(dy2012_path):
    """ConnectednessApproach's DY2012 vignette (Gabauer; VAR(4), H = 10, generalized FEVD) prints
    the whole table; every printed cell is matched to its two decimals."""
    dy = pd.read_csv(dy2012_path, index_col="date")
    res = connectedness(dy, lags=4, horizon=10)
    published = [[88.76, 7.29, 0.35, 3.61], [10.21, 81.45, 2.73, 5.61], [0.47, 3.70, 93.69, 2.14],
                 [5.69, 7.03, 1.55, 85.73]]
    np.testing.assert_allclose(res.pairwise.to_numpy(), published, atol=0.005 + 1e-9)
    np.testing.assert_allclose(res.from_others, [11.24, 18.55, 6.31, 14.27], atol=0.005 + 1e-9)
    np.testing.assert_allclose(res.to_others, [16.37, 18.01, 4.62, 11.36], atol=0.005 + 1e-9)
    np.testing.assert_allclose(res.net, [5.13, -0.54, -1.69, -2.90], atol=0.005 + 1e-9)
    assert round(res.tci, 2) == 12.59
    assert res.markets == ["SP500", "R_10Y", "DJUBSCOM", "USDX"] and res.n_obs == 2771
    assert res.lags == 4 and res.horizon == 10 and res.stable


# ---------------------------------------------------------------------------------- kernels


def test_fit_var_is_statsmodels_ols():
    y = simulate(PHI3, SIG3, 300, seed=5) + np.array([1.0, -2.0, 0.5])
    for p in (1, 3):
        c, coefs, sigma = fit_var(y, p)
        fit = VAR(y).fit(p, trend="c")
        np.testing.assert_allclose(c, fit.intercept, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(coefs, fit.coefs, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sigma, fit.sigma_u, rtol=1e-9)  # divided by T - p - (1 + k p)


def test_var_design_rows_and_columns():
    y = np.arange(12.0).reshape(6, 2)
    X, Z = var_design(y, 2)
    # t = 2 .. 5: [1, y_{t-1}, y_{t-2}]
    np.testing.assert_array_equal(X[0], [1, 2, 3, 0, 1])
    np.testing.assert_array_equal(X[-1], [1, 8, 9, 6, 7])
    np.testing.assert_array_equal(Z, y[2:])
    assert X.shape == (4, 5)


def test_ma_coefficients_match_statsmodels_with_batches():
    rng = np.random.default_rng(1)
    coefs = rng.normal(0, 0.3, (3, 2, 2))  # VAR(3) in 2 variables
    want = VARProcess(coefs, np.zeros(2), np.eye(2)).ma_rep(6)  # A_0 .. A_6
    np.testing.assert_allclose(ma_coefficients(coefs, 7), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ma_coefficients(coefs, 1), np.eye(2)[None])
    batch = np.stack([coefs, 2 * coefs, -coefs])
    out = ma_coefficients(batch, 5)
    assert out.shape == (3, 5, 2, 2)
    for b in range(3):
        np.testing.assert_allclose(out[b], VARProcess(batch[b], np.zeros(2), np.eye(2)).ma_rep(4), atol=1e-14)


def test_generalized_fevd_of_a_var2_against_loops():
    coefs = np.stack([PHI3, np.array([[0.1, 0.0, -0.1], [0.0, 0.05, 0.0], [0.1, 0.0, 0.1]])])
    for H in (1, 2, 7):
        np.testing.assert_allclose(generalized_fevd(coefs, SIG3, H), gfevd_loops(coefs, SIG3, H), rtol=1e-12)
    # batches of (coefs, sigma) are decomposed one by one
    batch = generalized_fevd(np.stack([coefs, coefs / 2]), np.stack([SIG3, np.eye(3) + 0.1]), 4)
    np.testing.assert_allclose(batch[1], gfevd_loops(coefs / 2, np.eye(3) + 0.1, 4), rtol=1e-12)
    # H = 1 unnormalised: only A_0 = I, theta_ij = sigma_ij^2 / (sigma_jj sigma_ii)
    raw = generalized_fevd(coefs, SIG3, 1, normalize=False)
    np.testing.assert_allclose(raw, SIG3**2 / np.outer(np.diag(SIG3), np.diag(SIG3)), rtol=1e-13)


def test_connectedness_measures_by_hand():
    theta = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.05, 0.15, 0.8]])
    m = connectedness_measures(theta)
    # from: row sums without the own share; to: column sums without it; TCI = sum(from) / k
    np.testing.assert_allclose(m["from"], [30, 40, 20])
    np.testing.assert_allclose(m["to"], [35, 35, 20])
    np.testing.assert_allclose(m["net"], [5, -5, 0], atol=1e-12)
    assert float(m["tci"]) == pytest.approx(30.0)
    both = connectedness_measures(np.stack([theta, np.eye(3)]))
    np.testing.assert_allclose(both["tci"], [30, 0])
    np.testing.assert_allclose(both["to"][0], [35, 35, 20])


def test_var_stability_by_eigenvalues():
    # spectral radius just below and just above 1, a nilpotent matrix with a huge norm (certified
    # only by its eigenvalues), and a matrix whose powers overflow
    cases = [np.array([[[0.999, 0.0], [0.0, 0.2]]]), np.array([[[1.001, 0.0], [0.0, 0.2]]]),
             np.array([[[0.0, 1e3], [0.0, 0.0]]]), np.array([[[0.5, 1e200], [0.0, 0.5]]]),
             np.array([[[0.0, 1e200], [1e200, 0.0]]]), np.array([[[0.3, 0.0], [0.0, -0.3]]])]
    got = var_is_stable(np.stack(cases))
    np.testing.assert_array_equal(got, [True, False, True, True, False, True])
    assert got.shape == (6,)
    # a VAR(2): companion roots of y_t = 0.5 y_{t-1} + 0.49 y_{t-2} (0.99..) and of 0.51 (1.0..)
    assert var_is_stable(np.array([[[0.5]], [[0.49]]])) and not var_is_stable(np.array([[[0.5]], [[0.51]]]))
    assert var_is_stable(np.zeros((2, 1, 3, 3))).shape == (2,)
    for squarings in (0, 1, 6):
        np.testing.assert_array_equal(var_is_stable(np.stack(cases), squarings=squarings), got)


# ---------------------------------------------------------------------------------- the static table


def test_connectedness_result_fields_and_provenance():
    df = frame3()
    res = connectedness(df, lags=2, horizon=6)
    fit = VAR(df.to_numpy()).fit(2, trend="c")
    want = 100 * gfevd_loops(fit.coefs, fit.sigma_u, 6)
    np.testing.assert_allclose(res.pairwise.to_numpy(), want, rtol=1e-9)
    assert res.pairwise.index.name == "market" and list(res.pairwise.index) == ["eq", "bond", "fx"]
    assert (res.to_others.name, res.from_others.name, res.net.name) == ("to_others", "from_others", "net")
    assert list(res.net.index) == ["eq", "bond", "fx"]
    assert (res.lags, res.horizon, res.n_obs, res.stable) == (2, 6, 400, True)
    assert res.provenance.method == "contagion/connectedness"
    assert res.provenance.parameters == {"lags": 2, "lags_requested": 2, "horizon": 6,
                                         "markets": ["eq", "bond", "fx"], "n_obs": 400}
    assert res.warnings == ()
    directional = res.directional()
    assert list(directional.columns) == ["market", "own", "to_others", "from_others", "net"]
    np.testing.assert_allclose(directional["own"], np.diag(want), rtol=1e-9)
    meta = res.tables()["connectedness"].set_index("key")["value"]
    assert meta["lags"] == 2 and meta["horizon"] == 6 and meta["n_obs"] == 400 and meta["stable"]
    assert meta["tci"] == pytest.approx(res.tci)
    assert list(res.tables()["pairwise"].columns) == ["market", "eq", "bond", "fx"]


def test_connectedness_summary_lines():
    res = connectedness(frame3(), lags=1, horizon=5)
    net = res.net.sort_values()
    en = res.with_lang("en").summary().splitlines()
    assert en[0] == "Spillover connectedness (Diebold-Yilmaz 2012, generalized FEVD): VAR(1), H = 5, T = 400"
    assert en[1] == f"total connectedness TCI = {res.tci:.2f} %"
    assert en[2].split() == ["eq", "bond", "fx", "from", "others"]
    assert en[-3].split()[:2] == ["to", "others"]
    assert float(en[-3].split()[-1]) == pytest.approx(res.tci, abs=0.006)
    assert en[-2] == (f"largest net transmitter: {net.index[-1]} ({net.iloc[-1]:+.2f}); "
                      f"largest net receiver: {net.index[0]} ({net.iloc[0]:+.2f})")
    assert en[-1] == res.footer()
    zh = res.summary().splitlines()
    assert zh[0] == "溢出效应（Diebold–Yilmaz 2012，广义方差分解）: VAR(1), H = 5, T = 400"
    assert zh[1] == f"总体关联度 TCI = {res.tci:.2f} %"
    assert zh[-2].startswith(f"最大净输出: {net.index[-1]} (") and f"; 最大净接收: {net.index[0]} (" in zh[-2]
    assert "接收溢出" in zh[2] and zh[-3].startswith("对外溢出")


def test_pairwise_net_by_hand():
    theta = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.05, 0.15, 0.8]])
    names = ["a", "b", "c"]
    m = connectedness_measures(theta)
    res = ConnectednessResult(pd.DataFrame(100 * theta, index=names, columns=names), float(m["tci"]),
                              pd.Series(m["to"], index=names), pd.Series(m["from"], index=names),
                              pd.Series(m["net"], index=names), 1, 10, 100)
    net = pairwise_net(res)
    # [i, j] = what j receives from i minus what i receives from j: a -> b: 30 - 20
    assert net.loc["a", "b"] == pytest.approx(10.0) and net.loc["b", "a"] == pytest.approx(-10.0)
    # a -> c: c receives 5 % from a, a receives 10 % from c; b -> c: 15 - 10
    assert net.loc["a", "c"] == pytest.approx(-5.0) and net.loc["b", "c"] == pytest.approx(5.0)
    assert list(net.index) == names and list(net.columns) == names


def test_unstable_fit_is_warned_with_the_lag_order():
    y = simulate(np.array([[1.03, 0.0], [0.02, 1.01]]), np.eye(2), 300, seed=6)
    with pytest.warns(FinstabWarning) as seen:
        res = connectedness(pd.DataFrame(y, columns=["x", "y"]), lags=1, horizon=5)
    assert str(seen[0].message) == ("the fitted VAR(1) is not stable (a companion root on or outside the unit "
                                    "circle); spillover shares of a non-stationary system depend strongly on "
                                    "the horizon")
    assert not res.stable and len(res.warnings) == 1


# ---------------------------------------------------------------------------------- lags and sizes


def test_select_lags_against_statsmodels_and_its_messages():
    y = simulate(PHI3, SIG3, 200, seed=9)
    df = pd.DataFrame(y, columns=["a", "b", "c"])
    sel = VAR(y).select_order(6, trend="c")
    for crit in ("aic", "bic", "hqic", "fpe"):
        ics = np.asarray(sel.ics[crit])
        assert select_lags(df, crit, max_lags=6) == int(np.argmin(ics[1:])) + 1
    default = VAR(y).select_order(None, trend="c")
    assert select_lags(y, "bic") == int(np.argmin(np.asarray(default.ics["bic"])[1:])) + 1
    assert connectedness(df, lags="BIC", horizon=3).lags == select_lags(df, "bic")
    with pytest.raises(InputError, match=re.escape("lags: 'aicc' is not one of 'aic', 'bic', 'hqic', 'fpe'")):
        select_lags(df, "aicc")
    with pytest.raises(InputError, match=re.escape("max_lags: 0; expected an integer >= 1")):
        select_lags(df, "aic", max_lags=0)
    with pytest.raises(DataError, match=r"^data: lag selection failed: maxlags is too large"):
        select_lags(y[:20], "aic", max_lags=15)


def test_order_zero_is_never_chosen():
    white = np.random.default_rng(0).normal(size=(600, 2))  # white noise: AIC and BIC prefer order 0
    assert VAR(white).select_order(4, trend="c").selected_orders["bic"] == 0
    assert select_lags(white, "bic", max_lags=4) == 1


def test_sample_size_boundary_and_message():
    y = simulate(PHI3[:2, :2], SIG3[:2, :2], 12, seed=3)
    df = pd.DataFrame(y, columns=["a", "b"])
    # VAR(1) in 2 markets: d = 3 regressors, so T - 1 rows must exceed 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FinstabWarning)  # a VAR on 5 rows need not be stable
        assert connectedness(df.iloc[:5], lags=1, horizon=2).n_obs == 5
        assert rolling_connectedness(df, window=8, lags=2).window == 8
    with pytest.raises(DataError, match=re.escape(
            "data: the sample of 4 rows is too short for a VAR(1) in 2 markets: need more than 4 rows")):
        connectedness(df.iloc[:4], lags=1, horizon=2)
    with pytest.raises(DataError, match=re.escape(
            "window: a window of 7 rows is too short for a VAR(2) in 2 markets: need more than 7 rows")):
        rolling_connectedness(df, window=7, lags=2)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"horizon": 0}, "horizon: 0; expected an integer >= 1"),
    ({"horizon": True}, "horizon: True; expected an integer >= 1"),
    ({"horizon": 2.0}, "horizon: 2.0; expected an integer >= 1"),
    ({"lags": 0}, "lags: 0; expected an integer >= 1"),
    ({"window": 1}, "window: 1; expected an integer >= 2"),
    ({"window": 401}, "window: window = 401 is longer than the 400 rows of data"),
])
def test_rolling_argument_messages(kwargs, message):
    with pytest.raises(InputError if "longer" not in message else DataError, match=f"^{re.escape(message)}$"):
        rolling_connectedness(frame3(), **{"window": 50, "lags": 1, **kwargs})


def test_integer_types_accepted():
    res = connectedness(frame3(), lags=np.int64(1), horizon=np.int32(3))
    assert res.lags == 1 and res.horizon == 3 and type(res.lags) is int


# ---------------------------------------------------------------------------------- panels


def test_panel_reading_rules():
    y = frame3(60)
    base = connectedness(y, lags=1, horizon=3)
    # a date column becomes the index, a source column (any case) is dropped, arrays get m0, m1, ...
    with_cols = y.reset_index(names="date").assign(Source="synthetic")
    res = connectedness(with_cols, lags=1, horizon=3)
    assert res.markets == ["eq", "bond", "fx"] and res.tci == pytest.approx(base.tci, rel=1e-12)
    arr = connectedness(y.to_numpy(), lags=1, horizon=3)
    assert arr.markets == ["m0", "m1", "m2"] and arr.tci == pytest.approx(base.tci, rel=1e-12)
    # a date column is kept as data when the frame already has an index of its own
    dated = y.assign(date=np.arange(60.0))
    assert connectedness(dated, lags=1, horizon=3).markets == ["eq", "bond", "fx", "date"]
    ints = connectedness(y.set_axis([1, 2, 3], axis=1), lags=1, horizon=3)
    assert ints.markets == ["1", "2", "3"]


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda y: y.to_numpy().tolist(), InputError,
     "data: expected a DataFrame (rows = dates, columns = markets), got list"),
    (lambda y: y.to_numpy()[:, 0], InputError,
     "data: expected a DataFrame (rows = dates, columns = markets), got ndarray"),
    (lambda y: y.set_axis(["a", "b", "a"], axis=1), DataError, "data: column 'a' appears twice"),
    (lambda y: y.set_axis([1, "1", "x"], axis=1), DataError, "data: column '1' appears twice"),
    (lambda y: y.assign(bond="x"), DataError, "data: column 'bond' is not numeric"),
    (lambda y: y[["fx"]], DataError, "data: connectedness needs at least 2 markets, got 1"),
    (lambda y: y.assign(source="s")[["eq", "source"]], DataError,
     "data: connectedness needs at least 2 markets, got 1"),
    (lambda y: y.assign(fx=np.where(np.arange(len(y)) == 3, np.inf, y["fx"])), DataError,
     "data: missing or non-finite value in column 'fx' at row 2021-01-07 00:00:00; drop or fill missing values "
     "first"),
])
def test_panel_messages(make, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        connectedness(make(frame3(30)), lags=1)


# ---------------------------------------------------------------------------------- rolling windows


def test_rolling_chunks_and_blocks_give_the_same_windows():
    values = frame3(180).to_numpy()
    theta, singular, stable = sp_mod._rolling_arrays(values, 30, 2, 4)
    assert theta.shape == (151, 3, 3) and not singular.any() and stable.all()
    for chunk in (1, 7, 150, 151):
        th, sg, st = sp_mod._rolling_arrays(values, 30, 2, 4, chunk=chunk)
        np.testing.assert_allclose(th, theta, rtol=1e-9)
        np.testing.assert_array_equal(sg, singular)
        np.testing.assert_array_equal(st, stable)
    part, _, _ = sp_mod._rolling_arrays(values, 30, 2, 4, chunk=7, first=14, last=40)
    assert part.shape == (26, 3, 3)
    np.testing.assert_allclose(part, theta[14:40], rtol=1e-9)
    tail, _, _ = sp_mod._rolling_arrays(values, 30, 2, 4, first=140)
    np.testing.assert_allclose(tail, theta[140:], rtol=1e-9)
    # the first and the last window against statsmodels fitted on those rows alone
    for w in (0, 150):
        fit = VAR(values[w:w + 30]).fit(2, trend="c")
        np.testing.assert_allclose(theta[w], gfevd_loops(fit.coefs, fit.sigma_u, 4), rtol=1e-8)


class SerialClient:
    """dask.distributed's ``map``/``gather`` done in this process; records the blocks it was given."""

    def __init__(self):
        self.calls = []

    def map(self, func, *iterables, pure=True):
        assert pure is False
        args = list(zip(*iterables, strict=True))
        self.calls.extend(args)
        return [func(*a) for a in args]

    def gather(self, futures):
        return futures


def test_rolling_on_a_client_splits_into_whole_chunks(monkeypatch):
    df = frame3(150)
    plain = rolling_connectedness(df, window=20, lags=1, horizon=4)
    monkeypatch.setattr(sp_mod, "CHUNK", 4)
    client = SerialClient()
    dist = rolling_connectedness(df, window=20, lags=1, horizon=4, client=client)
    pd.testing.assert_frame_equal(dist.frame, plain.frame, rtol=1e-9)
    # 131 windows in at most 16 blocks of whole chunks of 4: blocks of 12, the last one shorter
    firsts = [c[5] for c in client.calls]
    lasts = [c[6] for c in client.calls]
    assert firsts == list(range(0, 131, 12)) and lasts == [*range(12, 131, 12), 131]
    assert all(c[1:5] == (20, 1, 4, 4) for c in client.calls)


def test_rolling_frame_labels_and_provenance():
    df = frame3(90)
    roll = rolling_connectedness(df, window=60, lags=1, horizon=3)
    assert isinstance(roll, RollingConnectedness) and len(roll) == 31
    assert roll.index.name == "date" and roll.index[0] == df.index[59] and roll.index[-1] == df.index[-1]
    assert list(roll.columns) == ["tci", "net:eq", "net:bond", "net:fx", "to:eq", "to:bond", "to:fx",
                                  "from:eq", "from:bond", "from:fx", "stable"]
    assert roll.markets == ["eq", "bond", "fx"]
    fit = VAR(df.to_numpy()[30:90]).fit(1, trend="c")
    m = connectedness_measures(gfevd_loops(fit.coefs, fit.sigma_u, 3))
    last = roll.frame.iloc[-1]
    assert last["tci"] == pytest.approx(float(m["tci"]), rel=1e-9)
    np.testing.assert_allclose(last[["to:eq", "to:bond", "to:fx"]].to_numpy(float), m["to"], rtol=1e-9)
    np.testing.assert_allclose(last[["from:eq", "from:bond", "from:fx"]].to_numpy(float), m["from"], rtol=1e-9)
    np.testing.assert_allclose(last[["net:eq", "net:bond", "net:fx"]].to_numpy(float), m["net"], rtol=1e-9,
                               atol=1e-12)
    assert roll.provenance.method == "contagion/rolling_connectedness"
    assert roll.provenance.parameters == {"window": 60, "lags": 1, "lags_requested": 1, "horizon": 3,
                                          "markets": ["eq", "bond", "fx"]}
    assert (roll.window, roll.lags, roll.horizon) == (60, 1, 3)
    assert list(roll.tables()["rolling"].columns[:2]) == ["date", "tci"]
    assert roll["tci"] is not None and roll.loc[df.index[59], "stable"]
    with pytest.raises(AttributeError):
        roll._hidden  # noqa: B018
    with pytest.raises(AttributeError):
        roll.no_such_column  # noqa: B018


def test_rolling_summary_lines():
    df = frame3(90)
    roll = rolling_connectedness(df, window=60, lags=1, horizon=3).with_lang("en")
    tci = roll["tci"]
    lines = roll.summary().splitlines()
    assert lines[0] == ("Spillover connectedness (Diebold-Yilmaz 2012, generalized FEVD) — rolling windows: "
                        "31 x 60 rows, VAR(1), H = 3")
    assert lines[1] == (f"total connectedness TCI: last {tci.iloc[-1]:.2f} % (2021-04-03), "
                        f"max {tci.max():.2f} % ({tci.idxmax():%Y-%m-%d}), min {tci.min():.2f} %")
    assert lines[2] == roll.footer()
    zh = rolling_connectedness(df.reset_index(drop=True), window=60, lags=1, horizon=3)
    zl = zh.summary().splitlines()
    assert zl[0] == "溢出效应（Diebold–Yilmaz 2012，广义方差分解） — 滚动窗口: 31 x 60 rows, VAR(1), H = 3"
    assert zl[1].startswith(f"总体关联度 TCI: 最新 {zh['tci'].iloc[-1]:.2f} % (89), 最高 ")
    empty = RollingConnectedness(zh.frame.assign(tci=np.nan), 60, 1, 3)
    assert empty.with_lang("en").summary().splitlines()[1] == "total connectedness TCI: -"


def test_singular_and_unstable_windows_are_counted():
    rng = np.random.default_rng(4)
    y = np.zeros((200, 2))
    for t in range(1, 200):
        y[t] = 0.5 * y[t - 1] + rng.normal(size=2)
    y[50:130, 1] = 1.0
    with pytest.warns(FinstabWarning) as seen:
        roll = rolling_connectedness(pd.DataFrame(y, columns=["a", "b"]), window=40, lags=1, horizon=5)
    # window w uses rows w .. w + 39; its lagged regressor b is constant when rows w .. w + 38 lie in
    # 50 .. 129: w = 50 .. 91, 42 windows, the first ending at row 89
    empty = roll["tci"].isna().to_numpy()
    np.testing.assert_array_equal(np.flatnonzero(empty), np.arange(50, 92))
    unstable = [w for w in range(161) if not empty[w]
                and not VAR(y[w:w + 40]).fit(1, trend="c").is_stable()]
    np.testing.assert_array_equal(np.flatnonzero(~empty & ~roll["stable"].to_numpy()), unstable)
    messages = [str(w.message) for w in seen]
    assert messages[0] == ("42 window(s) have singular regressors (a constant series?) and are left empty, "
                           "first ending 89")
    assert messages[1] == (f"{len(unstable)} window(s) fit a VAR that is not stable (column 'stable' = False), "
                           f"first ending {unstable[0] + 39}")
    assert roll.warnings == tuple(f"FinstabWarning: {m}" for m in messages)


def test_rolling_lags_chosen_once_on_the_whole_sample():
    df = frame3(160)
    roll = rolling_connectedness(df, window=120, lags="hqic", horizon=3)
    assert roll.lags == select_lags(df, "hqic")
    assert roll.provenance.parameters["lags_requested"] == "hqic"


def test_rolling_result_forwards_public_names_only():
    roll = rolling_connectedness(frame3(70), window=60, lags=1, horizon=3)
    assert roll.shape == roll.frame.shape and roll.iloc[0]["tci"] == roll.frame.iloc[0]["tci"]
    # private names are never forwarded to the frame (pandas has _repr_html_, _mgr, ...)
    assert not hasattr(roll, "_repr_html_") and not hasattr(roll, "_mgr")
    with pytest.raises(AttributeError, match=r"^_mgr$"):
        roll._mgr  # noqa: B018
    # a half-built instance (as while unpickling) has no frame to forward to: AttributeError, no recursion
    bare = object.__new__(RollingConnectedness)
    with pytest.raises(AttributeError, match=r"^frame$"):
        bare.tci  # noqa: B018
    import pickle

    back = pickle.loads(pickle.dumps(roll))
    pd.testing.assert_frame_equal(back.frame, roll.frame)


def test_nullable_integer_panels_and_the_default_criterion():
    y = np.round(simulate(PHI3, SIG3, 200, seed=11) * 100)
    df = pd.DataFrame(y, columns=["a", "b", "c"])
    ints = df.astype("Int64")
    assert select_lags(ints, max_lags=5) == select_lags(df, "aic", max_lags=5) == select_lags(df, max_lags=5)
    np.testing.assert_allclose(connectedness(ints, lags=1, horizon=4).pairwise,
                               connectedness(df, lags=1, horizon=4).pairwise, rtol=1e-12)


def test_tables_name_their_index_columns_whatever_the_index_is_called():
    res = connectedness(frame3(80), lags=1, horizon=3)
    plain = ConnectednessResult(res.pairwise.rename_axis(None), res.tci, res.to_others, res.from_others, res.net,
                                1, 3, 80)
    assert list(plain.tables()["pairwise"].columns) == ["market", "eq", "bond", "fx"]
    roll = rolling_connectedness(frame3(80), window=60, lags=1, horizon=3)
    bare = RollingConnectedness(roll.frame.rename_axis(None), 60, 1, 3)
    assert list(bare.tables()["rolling"].columns[:2]) == ["date", "tci"]


def test_connectedness_summary_table_rows():
    res = connectedness(frame3(), lags=1, horizon=5).with_lang("en")
    lines = res.summary().splitlines()
    row = lines[4].split()  # after the header and the index name line
    p = res.pairwise.round(2)
    assert row[0] == "eq" and [float(v) for v in row[1:]] == [*p.loc["eq"].tolist(), round(res.from_others["eq"], 2)]
    assert all(len(v.split(".")[1]) <= 2 for v in row[1:])


def test_provenance_hashes_the_data():
    df = frame3(80)
    res = connectedness(df, lags=1, horizon=3)
    roll = rolling_connectedness(df, window=70, lags=1, horizon=3)
    assert list(res.provenance.input_hashes) == ["data"] and list(roll.provenance.input_hashes) == ["data"]
    assert res.provenance.input_hashes == roll.provenance.input_hashes
    assert connectedness(df * 2, lags=1, horizon=3).provenance.input_hashes != res.provenance.input_hashes


def test_rolling_windows_of_series_at_price_levels():
    """Levels of 1e4 (index points) next to returns: the running cross-products must not lose the
    digits statsmodels keeps when it fits each window on its own."""
    rng = np.random.default_rng(2)
    y = np.zeros((400, 3))
    for t in range(1, 400):
        y[t] = 0.5 * y[t - 1] + rng.normal(size=3)
    z = y + np.array([1e4, -1e4, 0.0])
    roll = rolling_connectedness(pd.DataFrame(z, columns=["a", "b", "c"]), window=50, lags=1, horizon=4)
    for w in (0, 175, 350):
        fit = VAR(z[w:w + 50]).fit(1, trend="c")
        m = connectedness_measures(gfevd_loops(fit.coefs, fit.sigma_u, 4))
        np.testing.assert_allclose(roll.frame.iloc[w][["from:a", "from:b", "from:c"]].to_numpy(float), m["from"],
                                   rtol=1e-10)


def test_nearly_constant_stretches_count_as_singular():
    """A series resting at a level with relative noise 1e-7 leaves its lagged regressor collinear
    with the constant (scaled pivot about 1e-7, squared 1e-14: singular); with relative noise 1e-4
    (pivot 1e-4, squared 1e-8) the windows are fitted as usual. Windows are computed in chunks of 5,
    so whole chunks are singular and later ones must still be filled."""
    rng = np.random.default_rng(8)
    T = 160
    y = np.zeros((T, 2))
    for t in range(1, T):
        y[t] = 0.4 * y[t - 1] + rng.normal(size=2)
    y[40:90, 0] = 50 * (1 + 1e-7 * rng.normal(size=50))
    y[100:150, 0] = 50 * (1 + 1e-4 * rng.normal(size=50))
    theta, singular, _ = sp_mod._rolling_arrays(y, 20, 1, 3, chunk=5)
    # window w uses rows w .. w + 19 and regressor rows w .. w + 18
    np.testing.assert_array_equal(np.flatnonzero(singular), np.arange(40, 72))
    assert np.isnan(theta[40:72]).all() and np.isfinite(theta[72:]).all() and np.isfinite(theta[:40]).all()
    fit = VAR(y[110:130]).fit(1, trend="c")
    np.testing.assert_allclose(theta[110], gfevd_loops(fit.coefs, fit.sigma_u, 3), rtol=1e-6)
    whole, whole_singular, _ = sp_mod._rolling_arrays(y, 20, 1, 3)
    np.testing.assert_array_equal(whole_singular, singular)
    np.testing.assert_allclose(whole[:30], theta[:30], rtol=1e-9)  # (the ill-conditioned ones need not agree)


def test_stability_of_unit_roots_and_integer_coefficients():
    import warnings

    # a random walk has its root on the unit circle: not stable, though ||C^m|| stays 1
    assert not var_is_stable(np.eye(2)[None])
    assert not var_is_stable(np.array([[[1.0, 0.0], [0.0, 0.5]]]))
    # integer coefficients are not squared in integer arithmetic (2^64 wraps to 0)
    assert not var_is_stable(np.array([[[2]]])) and var_is_stable(np.array([[[0]]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflowing powers are expected, not warned
        out = var_is_stable(np.array([[[[1e200]]], [[[0.5]]]]))
    assert out.tolist() == [False, True] and out.dtype == bool
    grid = var_is_stable(np.full((2, 3, 1, 2, 2), 0.1))
    assert grid.shape == (2, 3) and grid.all()


def test_defaults_and_small_horizons():
    df = frame3(230)
    res = connectedness(df)
    assert (res.lags, res.horizon) == (4, 10)
    fit = VAR(df.to_numpy()).fit(4, trend="c")
    np.testing.assert_allclose(res.pairwise.to_numpy(), 100 * gfevd_loops(fit.coefs, fit.sigma_u, 10), rtol=1e-9)
    assert connectedness(df, lags=1, horizon=1).horizon == 1
    with pytest.raises(InputError, match=r"^horizon: 0; expected an integer >= 1$"):
        connectedness(df, lags=1, horizon=0)
    roll = rolling_connectedness(df)
    assert (roll.window, roll.lags, roll.horizon, len(roll)) == (200, 4, 10, 31)
    assert len(rolling_connectedness(df, window=230, lags=1, horizon=2)) == 1
    m32 = connectedness_measures(np.array([[0.7, 0.3], [0.2, 0.8]], dtype=np.float32))
    assert m32["tci"].dtype == np.float64 and float(m32["tci"]) == pytest.approx(25.0, abs=1e-5)
