"""Delta-CoVaR, MES, LRMES and SRISK: Chan-Lau's published Delta-CoVaR, the exact quantile-regression
vertex against brute force and an independent LP, sample quantiles by R's type 7, exact messages."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from finstab.contagion import systemic
from finstab.contagion.systemic import (
    _check_vertex,
    _quantile_lp,
    delta_covar,
    lrmes_from_mes,
    mes,
    quantile_regression,
    srisk,
)
from finstab.core.errors import DataError, InputError
from finstab.core.warnings import DataQualityWarning

X9 = np.column_stack([np.ones(9), np.arange(1.0, 10.0)])
Y9 = 2 + 3 * X9[:, 1] + np.array([0.3, -0.5, 0.1, 2.0, -0.2, 0.4, -1.0, 0.6, -0.3])


def check_loss(y, X, b, q):
    r = y - X @ b
    return float(np.sum(r * (q - (r < 0))))


def lp_quantile(y, X, q):
    """min q u+ + (1 - q) u- s.t. X b + u+ - u- = y, by HiGHS' dual simplex (written here, not finstab's)."""
    n, p = X.shape
    A = sp.hstack([sp.csr_matrix(X), sp.identity(n), -sp.identity(n)])
    res = linprog(np.r_[np.zeros(p), np.full(n, q), np.full(n, 1 - q)], A_eq=A, b_eq=y,
                  bounds=[(None, None)] * p + [(0, None)] * (2 * n), method="highs-ds")
    assert res.status == 0
    return res.x[:p]


def type7(x, q):
    """R's default sample quantile: x_(h) interpolated at h = (n - 1) q (0-based)."""
    s = np.sort(x)
    h = (len(s) - 1) * q
    lo = int(np.floor(h))
    return s[lo] + (h - lo) * (s[min(lo + 1, len(s) - 1)] - s[lo])


# ---------------------------------------------------------------------------------- published figure


def test_chan_lau_2017_delta_covar(chanlau_path):
    """Chan-Lau (2017), "CoVaR in R": Delta-CoVaR(BNY -> WFG) = 0.06095791 at tau = 0.99 on the
    transformed one-year default probabilities log(p) / (1 - log(p))."""
    pd1 = pd.read_csv(chanlau_path, index_col="date")

    def transform(p):
        return np.log(p) / (1 - np.log(p))

    wfg, bny = transform(pd1["WFG_pd_1y"]), transform(pd1["BNY_pd_1y"])
    dc = delta_covar(wfg, bny.rename("BNY"), q=0.99)
    assert dc.loc["BNY", "delta_covar"] == pytest.approx(0.06095791, abs=5e-9)
    # its parts, each computed here: the tau = 0.99 regression and R's type-7 sample quantiles
    X = np.column_stack([np.ones(len(bny)), bny.to_numpy()])
    a, b = lp_quantile(wfg.to_numpy(), X, 0.99)
    vq, vm = type7(bny.to_numpy(), 0.99), type7(bny.to_numpy(), 0.5)
    row = dc.loc["BNY"]
    assert row["beta"] == pytest.approx(b, rel=1e-9)
    assert row["var_q"] == pytest.approx(vq, rel=1e-12) and row["var_median"] == pytest.approx(vm, rel=1e-12)
    assert row["covar"] == pytest.approx(a + b * vq, rel=1e-9)
    assert row["n_obs"] == len(pd1) and list(dc.index) == ["BNY"] and dc.index.name == "institution"


# ---------------------------------------------------------------------------------- quantile regression


@pytest.mark.parametrize("q", [0.2, 0.5, 0.8])
def test_vertex_certificate_is_exact(q):
    """Of the 36 lines through two of nine points, the certificate accepts exactly the optimal one."""
    best = min(check_loss(Y9, X9, np.linalg.solve(X9[list(c)], Y9[list(c)]), q)
               for c in itertools.combinations(range(9), 2))
    accepted = []
    for c in itertools.combinations(range(9), 2):
        beta = _check_vertex(Y9, X9, q, np.array(c))
        line = np.linalg.solve(X9[list(c)], Y9[list(c)])
        if beta is not None:
            accepted.append(c)
            np.testing.assert_allclose(beta, line, rtol=1e-12)
        assert (beta is not None) == (check_loss(Y9, X9, line, q) <= best + 1e-12)
    assert len(accepted) == 1
    np.testing.assert_allclose(_check_vertex(Y9, X9, q, np.array(accepted[0])), lp_quantile(Y9, X9, q), rtol=1e-9)


def test_vertex_certificate_refuses_degenerate_and_singular_bases():
    y = Y9.copy()
    y[[0, 5, 8]] = 2 + 3 * X9[[0, 5, 8], 1]  # points 0, 5 and 8 on one line
    assert _check_vertex(y, X9, 0.5, np.array([0, 5])) is None  # more rows on the line than the basis
    twice = np.vstack([X9, X9[:1]])
    assert _check_vertex(np.r_[Y9, 7.0], twice, 0.5, np.array([0, 9])) is None  # the same x twice: singular


def test_generic_data_need_no_lp(monkeypatch):
    """On data in general position the vertex next to statsmodels' IRLS start carries the certificate."""
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(300), rng.normal(size=(300, 2))])
    y = X @ [0.5, 1.0, -2.0] + rng.standard_t(3, 300)
    want = {q: lp_quantile(y, X, q) for q in (0.05, 0.5, 0.95)}

    def no_lp(*args):
        raise AssertionError("the LP fallback was used")

    monkeypatch.setattr(systemic, "_quantile_lp", no_lp)
    for q, w in want.items():
        np.testing.assert_allclose(quantile_regression(y, X, q), w, rtol=1e-9, atol=1e-12)


def test_degenerate_data_fall_back_to_the_lp():
    x = np.arange(1.0, 8.0)
    y = 2 + 3 * x + np.array([0, 0, 0, 100.0, 0, 0, 0])  # six points on one line
    X = np.column_stack([np.ones(7), x])
    calls = []
    real = systemic._quantile_lp

    def spy(*args):
        calls.append(args)
        return real(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(systemic, "_quantile_lp", spy)
        np.testing.assert_allclose(quantile_regression(y, X, 0.5), [2, 3], atol=1e-9)
    assert len(calls) == 1
    # rank-deficient regressors: no p independent rows, so the LP decides
    Xd = np.column_stack([np.ones(7), x, 2 * x])
    b = quantile_regression(y, Xd, 0.5)
    assert check_loss(y, Xd, b, 0.5) == pytest.approx(check_loss(y, X, np.array([2.0, 3.0]), 0.5), abs=1e-9)


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_quantile_lp_against_an_independent_lp(q):
    rng = np.random.default_rng(int(q * 10))
    X = np.column_stack([np.ones(60), rng.normal(size=60)])
    y = X @ [1.0, 2.0] + rng.standard_t(2, 60)
    ours = _quantile_lp(y, X, q)
    assert check_loss(y, X, ours, q) == pytest.approx(check_loss(y, X, lp_quantile(y, X, q), q), rel=1e-12)
    np.testing.assert_allclose(ours, lp_quantile(y, X, q), rtol=1e-8)


def test_quantile_lp_failure_is_reported(monkeypatch):
    import scipy.optimize

    class Failed:
        status, message, x = 4, "Numerical difficulties encountered", None

    monkeypatch.setattr(scipy.optimize, "linprog", lambda *a, **k: Failed())
    with pytest.raises(DataError, match=r"^data: quantile regression failed: Numerical difficulties encountered$"):
        _quantile_lp(Y9, X9, 0.5)


# ---------------------------------------------------------------------------------- Delta-CoVaR


def test_delta_covar_parts_without_state():
    rng = np.random.default_rng(11)
    n = 400
    bank = rng.standard_t(4, n) * 0.02
    other = rng.normal(0, 0.02, n)
    system = 0.4 * bank + 0.2 * other + rng.normal(0, 0.01, n)
    inst = np.column_stack([bank, other])
    dc = delta_covar(system, inst, q=0.05)
    assert list(dc.index) == ["institution0", "institution1"]
    assert list(dc.columns) == ["covar", "delta_covar", "beta", "var_q", "var_median", "n_obs"]
    for name, x in zip(dc.index, inst.T, strict=True):
        a, b = lp_quantile(system, np.column_stack([np.ones(n), x]), 0.05)
        vq, vm = type7(x, 0.05), type7(x, 0.5)
        row = dc.loc[name]
        assert row["beta"] == pytest.approx(b, rel=1e-8)
        assert row["covar"] == pytest.approx(a + b * vq, rel=1e-8)
        assert row["delta_covar"] == pytest.approx(b * (vq - vm), rel=1e-8)
        assert row["var_q"] == pytest.approx(vq) and row["var_median"] == pytest.approx(vm)
        assert row["n_obs"] == n
    single = delta_covar(pd.Series(system), pd.Series(bank))
    assert list(single.index) == ["institution"] and single.iloc[0]["beta"] == pytest.approx(dc.iloc[0]["beta"])


def test_delta_covar_state_medians_and_row_filter():
    rng = np.random.default_rng(12)
    n = 300
    state = rng.normal(size=(n, 1))
    bank = rng.normal(size=n) * (1 + 0.5 * np.abs(state[:, 0]))
    system = 0.5 * bank + 0.3 * state[:, 0] + rng.normal(size=n)
    bank_nan = bank.copy()
    bank_nan[:20] = np.nan
    state_df = pd.DataFrame({"vix": state[:, 0], "date": np.arange(n), "Source": "x"})  # date/source dropped
    dc = delta_covar(pd.Series(system, name="sys"), pd.Series(bank_nan, name="b"), q=0.1, state=state_df)
    keep = slice(20, None)
    M = np.column_stack([np.ones(n - 20), state[keep]])
    coef = lp_quantile(system[keep], np.column_stack([np.ones(n - 20), bank[keep], state[keep]]), 0.1)
    vq = M @ lp_quantile(bank[keep], M, 0.1)
    vm = M @ lp_quantile(bank[keep], M, 0.5)
    row = dc.loc["b"]
    assert row["n_obs"] == n - 20
    assert row["beta"] == pytest.approx(coef[1], rel=1e-7)
    assert row["var_q"] == pytest.approx(vq.mean(), rel=1e-7)
    assert row["var_median"] == pytest.approx(vm.mean(), rel=1e-7)
    assert row["delta_covar"] == pytest.approx(np.mean(coef[1] * (vq - vm)), rel=1e-7)
    assert row["covar"] == pytest.approx(np.mean(coef[0] + coef[1] * vq + state[keep, 0] * coef[2]), rel=1e-7)


def test_delta_covar_needs_five_rows_per_parameter():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=10), rng.normal(size=10)
    assert delta_covar(y, x).loc["institution", "n_obs"] == 10
    with pytest.raises(DataError, match=re.escape("institution_returns: 9 complete rows for 'institution'; "
                                                  "need at least 10")):
        delta_covar(y[:9], x[:9])
    state = rng.normal(size=(14, 1))
    with pytest.raises(DataError, match=re.escape("institution_returns: 14 complete rows for 'bank'; "
                                                  "need at least 15")):
        delta_covar(rng.normal(size=14), pd.Series(rng.normal(size=14), name="bank"), state=state)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"q": "a"}, InputError, "q: 'a' is not a number"),
    ({"q": None}, InputError, "q: None is not a number"),
    ({"q": 1}, InputError, "q: 1; expected a quantile in (0, 1)"),
    ({"q": 0.0}, InputError, "q: 0; expected a quantile in (0, 1)"),
    ({"system_returns": np.zeros((20, 2))}, InputError, "system_returns: expected one system series, got 2 columns"),
    ({"system_returns": np.zeros((20, 2, 2))}, InputError,
     "system_returns: expected a series or a table, got shape (20, 2, 2)"),
    ({"system_returns": pd.Series(["a"] * 20)}, DataError, "system_returns: column 'system' is not numeric"),
    ({"institution_returns": pd.DataFrame({"x": ["a"] * 20})}, DataError,
     "institution_returns: column 'x' is not numeric"),
    ({"system_returns": np.r_[np.zeros(19), np.inf]}, DataError, "system_returns: infinite value"),
    ({"institution_returns": np.zeros(21)}, InputError,
     "system_returns/institution_returns: inputs of different lengths {'system_returns': 20, "
     "'institution_returns': 21} and no dates to align them on"),
    ({"state": np.zeros(19)}, InputError,
     "system_returns/institution_returns/state: inputs of different lengths {'system_returns': 20, "
     "'institution_returns': 20, 'state': 19} and no dates to align them on"),
])
def test_delta_covar_messages(kwargs, error, message):
    args = {"system_returns": np.zeros(20), "institution_returns": np.zeros(20), **kwargs}
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        delta_covar(**args)


def test_inputs_align_on_dates():
    dates = pd.bdate_range("2022-01-03", periods=60)
    rng = np.random.default_rng(5)
    a = pd.Series(rng.normal(size=60), index=dates)
    b = pd.Series(rng.normal(size=60), index=dates, name="bank")
    # the system series starts 10 days later; the institution is given in reverse order
    dc = delta_covar(a.iloc[10:], b.iloc[::-1], q=0.5)
    ref = delta_covar(a.iloc[10:].to_numpy(), b.iloc[10:].rename(None).to_numpy(), q=0.5)
    assert dc.loc["bank", "n_obs"] == 50
    assert dc.loc["bank", "beta"] == pytest.approx(ref.iloc[0]["beta"], rel=1e-9)
    # a dated frame and a plain array of the same length pair up by position
    pos = delta_covar(a.to_numpy(), b, q=0.5)
    assert pos.loc["bank", "n_obs"] == 60
    with pytest.raises(DataError, match=r"^system_returns/institution_returns: the inputs share no dates$"):
        delta_covar(a, b.set_axis(pd.bdate_range("2030-01-01", periods=60)))


# ---------------------------------------------------------------------------------- MES, LRMES, SRISK


def test_mes_tail_by_quantile_and_threshold():
    m = pd.Series(np.linspace(-0.05, 0.05, 21))
    r = pd.DataFrame({"A": 2 * m, "B": -m + 0.001})
    r.loc[0, "A"] = np.nan  # missing values are skipped
    # the 5 % quantile of 21 equally spaced days is the lowest day + 0.05 * 20 steps: the first two days
    out = mes(m, r)
    assert out.name == "mes" and out.index.name == "institution" and list(out.index) == ["A", "B"]
    assert out["A"] == pytest.approx(-2 * -0.045) and out["B"] == pytest.approx(-(0.0475 + 0.001))
    assert mes(m, r, q=0.1)["B"] == pytest.approx(-(np.mean([0.05, 0.045, 0.04]) + 0.001))
    # a threshold replaces the quantile: days with the market at or below it
    assert mes(m, r, threshold=-0.04)["B"] == pytest.approx(-(0.045 + 0.001))
    assert mes(m, r, q=0.9, threshold=-0.05)["B"] == pytest.approx(-(0.05 + 0.001))
    with pytest.raises(DataError, match=r"^market_returns: no day with the market at or below -0.06$"):
        mes(m, r, threshold=-0.06)


def test_lrmes_factor():
    assert lrmes_from_mes(0.02) == pytest.approx(1 - np.exp(-18 * 0.02))
    # the default factor 18 turns a 40 % six-month market fall into ... (Acharya, Engle & Richardson 2012)
    assert lrmes_from_mes(np.log(2) / 18) == pytest.approx(0.5)
    assert lrmes_from_mes(0.02, factor=6.0) == pytest.approx(1 - np.exp(-0.12))


def test_srisk_alignment_and_shares():
    eq = pd.Series([100.0, 50.0, 80.0], index=["A", "B", "C"])
    debt = pd.Series([900.0, 1000.0, 200.0], index=["C", "A", "B"])  # another order: aligned by name
    sr = srisk(eq, debt, [0.4, 0.3, 0.55], k=0.08)
    assert list(sr.index) == ["A", "B", "C"] and sr.index.name == "institution"
    np.testing.assert_allclose(sr["srisk"], [24.8, -16.2, 38.88], rtol=1e-12)
    np.testing.assert_allclose(sr["debt"], [1000, 200, 900])
    assert list(sr.columns) == ["equity", "debt", "lrmes", "srisk", "srisk_share", "note"]
    # a scalar is broadcast to every institution; all in surplus: no shares
    flat = srisk([10.0, 20.0], 50.0, 0.1, k=0.1)
    np.testing.assert_allclose(flat["srisk"], [5 - 0.9 * 0.9 * 10, 5 - 0.9 * 0.9 * 20])
    np.testing.assert_allclose(flat["srisk_share"], [0, 0])
    assert list(flat.index) == [0, 1]
    # default k = 8 %
    assert srisk(10.0, 100.0, 0.5)["srisk"].iloc[0] == pytest.approx(8 - 0.92 * 0.5 * 10)
    zero = srisk([0.0], [0.0], [1.0])
    assert zero["srisk"].iloc[0] == 0 and zero["srisk_share"].iloc[0] == 0


def test_srisk_negative_lrmes_note_and_warning():
    with pytest.warns(DataQualityWarning) as seen:
        sr = srisk([10.0, 10.0, 10.0, 10.0], [100.0] * 4, [-0.1, 0.2, -0.3, 0.0])
    assert str(seen[0].message) == ("2 institution(s) have a negative LRMES; LRMES is a loss fraction, positive "
                                    "when equity falls (see the 'note' column)")
    assert sr["note"].tolist() == ["negative LRMES: equity would rise in a crisis (a return passed as a loss?)", "",
                                   "negative LRMES: equity would rise in a crisis (a return passed as a loss?)", ""]


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((["a"], [1.0], [0.1]), {}, "equity: expected numbers, got list"),
    (([1.0, 2.0], [1.0, 2.0, 3.0], [0.1]), {}, "equity: 2 values for 3 institutions"),
    (([1.0, 2.0, 3.0], [1.0, 2.0], [0.1]), {}, "debt: 2 values for 3 institutions"),
    (([1.0], [1.0], [0.1, 0.2]), {}, None),
    (([[1.0]], [1.0], [0.1]), {}, "equity: expected one value per institution, got shape (1, 1)"),
    (([1.0, np.nan], [1.0], [0.1]), {}, "equity: missing or non-finite value at position 1"),
    (([1.0], [1.0], [np.inf, 0.1]), {}, "lrmes: missing or non-finite value at position 0"),
    (([1.0], [-2.0, 1.0], [0.1]), {}, "debt: negative value -2"),
    (([3.0, -1.0], [1.0], [0.1]), {}, "equity: negative value -1"),
    (([1.0], [1.0], [0.5, 1.2]), {}, "lrmes: LRMES 1.2 > 1: it is a loss fraction (0.4 = equity falls 40 %)"),
    (([1.0], [1.0], [0.1]), {"k": "x"}, "k: 'x' is not a number"),
    (([1.0], [1.0], [0.1]), {"k": None}, "k: None is not a number"),
    (([1.0], [1.0], [0.1]), {"k": 1}, "k: 1; expected a capital ratio in (0, 1)"),
    (([1.0], [1.0], [0.1]), {"k": 0}, "k: 0; expected a capital ratio in (0, 1)"),
    ((pd.Series([1.0], index=["A"]), pd.Series([1.0], index=["B"]), [0.2]), {},
     "debt: institutions differ from those of the earlier arguments"),
])
def test_srisk_messages(args, kwargs, message):
    if message is None:  # one equity for two LRMES: broadcast, not an error
        assert len(srisk(*args, **kwargs)) == 2
        return
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        srisk(*args, **kwargs)


# ---------------------------------------------------------------------------------- input forms


def test_nullable_integers_with_gaps_are_read_as_floats():
    """pandas' nullable Int64 columns (what readers give for whole numbers with gaps): missing
    values become NaN and those rows are dropped, as for floats."""
    rng = np.random.default_rng(3)
    n = 60
    x = rng.integers(-50, 50, n)
    y = (x // 2 + rng.integers(-20, 20, n)).astype(float)
    sys_int = pd.Series(y.astype(int), dtype="Int64")
    sys_int.iloc[4] = pd.NA
    inst = pd.Series(x, dtype="Int64", name="bank")
    inst.iloc[7] = pd.NA
    state = pd.DataFrame({"s": pd.array(rng.integers(0, 5, n), dtype="Int64")})
    state.iloc[9, 0] = pd.NA
    dc = delta_covar(sys_int, inst, q=0.5, state=state)
    keep = np.ones(n, bool)
    keep[[4, 7, 9]] = False
    ref = delta_covar(y[keep], pd.Series(x[keep].astype(float), name="bank"), q=0.5,
                      state=state["s"].to_numpy(dtype=float)[keep])
    assert dc.loc["bank", "n_obs"] == n - 3
    np.testing.assert_allclose(dc.loc["bank"].to_numpy(float), ref.loc["bank"].to_numpy(float), rtol=1e-12)
    market = pd.Series([1, -3, 2, -5, pd.NA, -1], dtype="Int64")
    out = mes(market, pd.DataFrame({"A": [0.02, -0.04, 0.01, -0.06, 0.5, 0.0]}), threshold=-2)
    assert out["A"] == pytest.approx(0.05)


def test_a_missing_state_value_drops_only_its_row():
    rng = np.random.default_rng(4)
    n = 80
    state = rng.normal(size=(n, 2))
    state[10, 1] = np.nan
    x = rng.normal(size=n)
    y = 0.5 * x + state[:, 0] + rng.normal(size=n)
    dc = delta_covar(y, pd.Series(x, name="b"), q=0.5, state=state)
    assert dc.loc["b", "n_obs"] == n - 1


def test_default_names_of_unnamed_inputs():
    rng = np.random.default_rng(6)
    m = rng.normal(size=40)
    assert list(mes(m, rng.normal(size=40)).index) == ["institution"]
    assert list(mes(m, rng.normal(size=(40, 2))).index) == ["institution0", "institution1"]
    with pytest.raises(DataError, match=r"^market_returns: column 'market' is not numeric$"):
        mes(np.array(["a"] * 40), m)
    with pytest.raises(DataError, match=r"^institution_returns: column 'institution' is not numeric$"):
        mes(m, np.array(["a"] * 40))
    with pytest.raises(DataError, match=r"^state: column 'state' is not numeric$"):
        delta_covar(m, m, state=np.array(["a"] * 40))
    with pytest.raises(DataError, match=r"^state: column 'state0' is not numeric$"):
        delta_covar(m, m, state=np.column_stack([m, np.array(["a"] * 40)]).astype(object))
    with pytest.raises(InputError, match=r"^state: expected a series or a table, got shape \(40, 1, 1\)$"):
        delta_covar(m, m, state=np.zeros((40, 1, 1)))
    with pytest.raises(DataError, match=r"^market_returns: infinite value$"):
        mes(np.r_[m[:-1], -np.inf], m)


def test_srisk_input_forms():
    # integer Series are read as floats; equal indexes are kept, duplicate labels too
    sr = srisk(pd.Series([100, 50], index=["A", "A"]), pd.Series([1000, 200], index=["A", "A"]),
               pd.Series([0.4, 0.3], index=["A", "A"]))
    assert sr["equity"].dtype == float and sr["debt"].dtype == float
    np.testing.assert_allclose(sr["srisk"], [24.8, -16.2])
    assert list(sr.index) == ["A", "A"]
    with pytest.raises(InputError, match=r"^lrmes: expected numbers, got str$"):
        srisk([1.0], [1.0], "x")
    with pytest.raises(InputError, match=r"^lrmes: institutions differ from those of the earlier arguments$"):
        srisk(pd.Series([1.0], index=["A"]), [1.0], pd.Series([0.1], index=["B"]))
    with pytest.raises(InputError, match=r"^lrmes: expected one value per institution, got shape \(1, 1\)$"):
        srisk([1.0], [1.0], [[0.1]])


def test_srisk_zero_lrmes_and_small_shortfalls():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sr = srisk([10.0, 10.0], [100.0, 100.0], [0.0, 0.5])
    assert sr["note"].tolist() == ["", ""]
    # shortfalls summing to less than 1 still get their shares
    tiny = srisk([10.0, 10.0], [9.5, 8.5], [0.9, 0.9], k=0.1)
    pos = np.maximum(0.1 * np.array([9.5, 8.5]) - 0.9 * 0.1 * 10, 0)
    assert 0 < pos.sum() < 1
    np.testing.assert_allclose(tiny["srisk_share"], pos / pos.sum())
