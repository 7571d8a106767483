"""Delta-CoVaR (Chan-Lau's published figure, an exact LP solver), MES, LRMES and SRISK by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from finstab.contagion import delta_covar, lrmes_from_mes, mes, srisk
from finstab.contagion.systemic import quantile_regression
from finstab.core.errors import DataError, InputError
from finstab.core.warnings import DataQualityWarning


def shared_data() -> Path | None:
    """``shared/data`` beside the repository root (``/work/shared/data`` for ``/work/wt-x``)."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return path if path.is_dir() else None


def lp_quantile(y: np.ndarray, X: np.ndarray, q: float) -> np.ndarray:
    """Independent exact quantile regression: min q u+ + (1 - q) u- s.t. X b + u+ - u- = y (HiGHS)."""
    n, p = X.shape
    A = sp.hstack([sp.csr_matrix(X), sp.identity(n), -sp.identity(n)])
    res = linprog(np.r_[np.zeros(p), np.full(n, q), np.full(n, 1 - q)], A_eq=A, b_eq=y,
                  bounds=[(None, None)] * p + [(0, None)] * (2 * n), method="highs-ds")
    assert res.status == 0
    return res.x[:p]


def check_loss(y, X, b, q):
    r = y - X @ b
    return float(np.sum(r * (q - (r < 0))))


def test_chan_lau_published_delta_covar():
    data = shared_data()
    if data is None or not (data / "chanlau_pd_1y.csv").is_file():
        pytest.skip("shared/data/chanlau_pd_1y.csv is not available")
    pd1 = pd.read_csv(data / "chanlau_pd_1y.csv", index_col="date")

    def tutorial_transform(p):  # the tutorial's own transform of the PDs: log(p) / (1 - log(p))
        return np.log(p) / (1 - np.log(p))

    dc = delta_covar(tutorial_transform(pd1["WFG_pd_1y"]), tutorial_transform(pd1["BNY_pd_1y"]).rename("BNY"),
                     q=0.99)
    # Chan-Lau (2017), "CoVaR in R": DeltaCoVaR_BNY = 0.06095791 (rq at tau = 0.99, sample quantiles 99 % - 50 %)
    assert dc.loc["BNY", "delta_covar"] == pytest.approx(0.06095791, abs=5e-9)
    assert dc.loc["BNY", "n_obs"] == len(pd1)


@pytest.mark.parametrize("seed", range(6))
def test_quantile_regression_is_the_exact_lp_solution(seed):
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(30, 400)), int(rng.integers(1, 4))
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p))])
    y = X @ rng.normal(size=p + 1) + rng.standard_t(3, n) * (1 + np.abs(X[:, 1]))
    for q in (0.01, 0.05, 0.5, 0.9, 0.99):
        ours, exact = quantile_regression(y, X, q), lp_quantile(y, X, q)
        assert check_loss(y, X, ours, q) == pytest.approx(check_loss(y, X, exact, q), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(ours, exact, rtol=1e-7, atol=1e-9)


def test_delta_covar_formula_without_and_with_state():
    rng = np.random.default_rng(7)
    n = 1500
    dates = pd.bdate_range("2015-01-01", periods=n)
    state = pd.DataFrame({"vix": np.abs(rng.normal(20, 5, n)), "spread": rng.normal(1, 0.2, n)}, index=dates)
    bank = pd.Series(rng.standard_t(4, n) * 0.02 * (state["vix"] / 20), index=dates, name="bank")
    system = 0.6 * bank + rng.normal(0, 0.01, n) * (state["vix"] / 20)
    q = 0.05
    dc = delta_covar(system, bank, q=q)
    one = np.column_stack([np.ones(n), bank])
    a, b = lp_quantile(system.to_numpy(), one, q)
    var_q, var_50 = np.quantile(bank, q), np.quantile(bank, 0.5)
    assert dc.loc["bank", "beta"] == pytest.approx(b, rel=1e-7)
    assert dc.loc["bank", "delta_covar"] == pytest.approx(b * (var_q - var_50), rel=1e-7)
    assert dc.loc["bank", "covar"] == pytest.approx(a + b * var_q, rel=1e-7)
    assert dc.loc["bank", "delta_covar"] < 0  # returns, lower tail: distress worsens the system's tail
    # with state variables: every regression against the exact LP, then time averages
    dcs = delta_covar(system, bank, q=q, state=state)
    M = np.column_stack([np.ones(n), state.to_numpy()])
    coef = lp_quantile(system.to_numpy(), np.column_stack([one, state.to_numpy()]), q)
    vq = M @ lp_quantile(bank.to_numpy(), M, q)
    vm = M @ lp_quantile(bank.to_numpy(), M, 0.5)
    assert dcs.loc["bank", "delta_covar"] == pytest.approx(np.mean(coef[1] * (vq - vm)), rel=1e-6)
    assert dcs.loc["bank", "covar"] == pytest.approx(np.mean(coef[0] + coef[1] * vq + state.to_numpy() @ coef[2:]),
                                                     rel=1e-6)


def test_delta_covar_aligns_dates_and_drops_missing_rows():
    rng = np.random.default_rng(8)
    dates = pd.bdate_range("2020-01-01", periods=600)
    inst = pd.DataFrame({"A": rng.normal(size=600), "B": rng.normal(size=600)}, index=dates)
    inst.iloc[:100, 1] = np.nan  # B listed later
    system = pd.Series(inst["A"].fillna(0) * 0.5 + rng.normal(size=600), index=dates).iloc[50:]
    dc = delta_covar(system, inst, q=0.05)
    assert list(dc.index) == ["A", "B"] and list(dc.columns[:2]) == ["covar", "delta_covar"]
    assert dc.loc["A", "n_obs"] == 550 and dc.loc["B", "n_obs"] == 500
    pds = delta_covar(-system, -inst[["A"]], q=0.95)  # mirrored data, upper tail: same size, positive sign
    assert pds.loc["A", "delta_covar"] == pytest.approx(-dc.loc["A", "delta_covar"], rel=1e-6)
    with pytest.raises(InputError, match="q"):
        delta_covar(system, inst, q=1.5)
    with pytest.raises(InputError, match="lengths"):
        delta_covar(np.zeros(10), np.zeros(12))
    with pytest.raises(DataError, match="share no dates"):
        delta_covar(system, inst.set_axis(pd.bdate_range("2030-01-01", periods=600)))


def test_srisk_by_hand():
    sr = srisk(pd.Series([100.0, 50.0, 80.0], index=["A", "B", "C"]), [1000.0, 200.0, 900.0], [0.4, 0.3, 0.55],
               k=0.08)
    # k D - (1 - k)(1 - LRMES) E: 80 - 0.92 * 0.6 * 100 = 24.8; 16 - 0.92 * 0.7 * 50 = -16.2;
    # 72 - 0.92 * 0.45 * 80 = 38.88; the surplus of B is kept (not floored) and has no share
    np.testing.assert_allclose(sr["srisk"], [24.8, -16.2, 38.88], rtol=1e-12)
    np.testing.assert_allclose(sr["srisk_share"], [24.8 / 63.68, 0, 38.88 / 63.68], rtol=1e-12)
    assert list(sr.index) == ["A", "B", "C"] and (sr["note"] == "").all()
    # k = 5.5 % for a single institution given as scalars
    one = srisk(10.0, 100.0, 0.5, k=0.055)
    assert one["srisk"].iloc[0] == pytest.approx(5.5 - 0.945 * 0.5 * 10)
    with pytest.warns(DataQualityWarning, match="negative LRMES"):
        neg = srisk([10.0, 10.0], [100.0, 100.0], [-0.1, 0.2])
    assert neg["note"].iloc[0] != "" and neg["note"].iloc[1] == ""
    with pytest.raises(InputError, match="lrmes"):
        srisk([10.0], [100.0], [1.2])
    with pytest.raises(InputError, match="k"):
        srisk([10.0], [100.0], [0.2], k=8)
    with pytest.raises(InputError, match="equity"):
        srisk([-1.0], [100.0], [0.2])
    with pytest.raises(InputError, match="institutions"):
        srisk(pd.Series([1.0], index=["A"]), pd.Series([1.0], index=["B"]), [0.2])


def test_mes_and_lrmes_signs():
    m = pd.Series([0.01, -0.03, 0.02, -0.05, 0.0, -0.01])
    r = pd.DataFrame({"A": [0.02, -0.04, 0.01, -0.06, 0.0, 0.0], "hedge": [0.0, 0.03, 0.0, 0.01, 0.0, 0.0]})
    out = mes(m, r, threshold=-0.02)  # tail days: -0.03 and -0.05
    assert out["A"] == pytest.approx(0.05) and out["hedge"] == pytest.approx(-0.02)
    assert mes(m, r, q=0.1)["A"] == pytest.approx(0.06)  # 10 % quantile of 6 days is -0.04: only the -0.05 day
    assert lrmes_from_mes(0.02) == pytest.approx(1 - np.exp(-0.36))
    np.testing.assert_allclose(lrmes_from_mes(np.array([0.0, 0.05])), [0.0, 1 - np.exp(-0.9)])
    with pytest.raises(DataError, match="no day"):
        mes(m, r, threshold=-0.5)
