import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import fsolve
from scipy.special import erfcx, ndtr

from finstab.core.errors import InputError
from finstab.core.results import Result
from finstab.core.warnings import ConvergenceWarning
from finstab.fund import merton
from finstab.fund.merton import MertonResult, merton_solve

HAS_NUMBA = merton._numba_solver() is not None
ENGINES = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed"))]


def test_hull_textbook_example():
    # Hull, Options, Futures and Other Derivatives: E=3, sigma_E=80 %, D=10, r=5 %, T=1
    res = merton_solve(3.0, 0.80, 10.0, 0.05, 1.0)
    assert res.asset_value[0] == pytest.approx(12.40, abs=0.005)
    assert res.asset_vol[0] == pytest.approx(0.2123, abs=0.00005)
    assert res.default_probability[0] == pytest.approx(0.127, abs=0.0005)
    assert res.debt_value[0] == pytest.approx(9.40, abs=0.005)
    riskfree = 10 * np.exp(-0.05)
    assert (riskfree - res.debt_value[0]) / riskfree == pytest.approx(0.012, abs=0.0005)
    assert res.converged.all() and res.warnings == ()


@pytest.mark.parametrize("engine", ENGINES)
def test_hull_example_on_both_engines(engine):
    res = merton_solve([3.0] * 3, 0.80, 10.0, 0.05, 1.0, engine=engine)
    np.testing.assert_allclose(res.asset_value, 12.3954, atol=5e-5)
    np.testing.assert_allclose(res.asset_vol, 0.2123, atol=5e-5)


def independent_residuals(res):
    """Both equations recomputed from the reported A and sigma_A with scipy's ndtr."""
    a, s, d, r, t = res.asset_value, res.asset_vol, res.default_point, res.r, res.T
    d1 = (np.log(a / d) + (r + s * s / 2) * t) / (s * np.sqrt(t))
    d2 = d1 - s * np.sqrt(t)
    e1 = (a * ndtr(d1) - d * np.exp(-r * t) * ndtr(d2) - res.equity) / res.equity
    e2 = (ndtr(d1) * s * a - res.equity_vol * res.equity) / (res.equity_vol * res.equity)
    return np.maximum(np.abs(e1), np.abs(e2))


def test_residuals_on_many_random_cases():
    rng = np.random.default_rng(42)
    n = 20_000
    j = rng.lognormal(0, 1.5, n)
    res = merton_solve(j, rng.uniform(0.03, 2.0, n), j * rng.lognormal(0, 1.5, n),
                       rng.uniform(-0.01, 0.1, n), rng.uniform(0.1, 10, n))
    assert res.converged.all()
    assert independent_residuals(res).max() < 1e-10


@given(st.floats(0.01, 1e4), st.floats(0.05, 1.5), st.floats(0.01, 1000), st.floats(0.0, 0.08),
       st.floats(0.25, 5))
@settings(max_examples=100, deadline=None)
def test_matches_fsolve(j, sj, leverage, r, t):
    """Leverage D/J up to 1000 (far beyond any sector balance sheet)."""
    d = j * leverage
    res = merton_solve(j, sj, d, r, t)
    assert res.converged[0]

    def f(v):
        a, s = np.exp(v)
        d1 = (np.log(a / d) + (r + s * s / 2) * t) / (s * np.sqrt(t))
        return [(a * ndtr(d1) - d * np.exp(-r * t) * ndtr(d1 - s * np.sqrt(t)) - j) / j,
                (ndtr(d1) * s * a - sj * j) / (sj * j)]

    root = np.exp(fsolve(f, np.log([res.asset_value[0], res.asset_vol[0]]), xtol=1e-13))
    np.testing.assert_allclose([res.asset_value[0], res.asset_vol[0]], root, rtol=1e-7)


entity = st.tuples(
    st.floats(-3, 6),      # log10 equity
    st.floats(-7, 8),      # log10 leverage K / J
    st.floats(0.003, 4.0),  # equity volatility
    st.floats(-0.03, 0.2),  # rate
    st.floats(0.03, 30.0),  # horizon
)


@given(st.lists(entity, min_size=1, max_size=40), st.sampled_from(["numpy", "numba"] if HAS_NUMBA else ["numpy"]))
@settings(max_examples=150, deadline=None)
def test_every_entity_solved_or_flagged_with_sound_values(rows, engine):
    """Leverage 1e-7 .. 1e8: converged entities verify independently; put, spread, parity hold."""
    lj, lev, sj, r, t = (np.array(c) for c in zip(*rows, strict=True))
    j = 10.0**lj
    k = j * 10.0**lev
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = merton_solve(j, sj, k, r, t, engine=engine)
    ok = res.converged
    assert (independent_residuals(res)[ok] < 1e-8).all()
    assert (res.residual[ok] < 1e-8).all()
    assert np.isfinite(res.credit_spread[ok]).all() and (res.credit_spread[ok] >= 0).all()
    assert (res.implicit_put[ok] >= 0).all()
    assert np.isfinite(res.debt_value[ok]).all() and (res.debt_value[ok] > 0).all()
    kp = k * np.exp(-r * t)
    # put-call parity with the call = equity: J - P = A - K'
    parity = np.abs(j - res.implicit_put - (res.asset_value - kp))
    assert (parity[ok] <= 1e-8 * j[ok] + 1e-12 * np.maximum(res.asset_value, kp)[ok]).all()
    # the spread is the yield gap of the risky debt: D = K' exp(-spread T)
    np.testing.assert_allclose(res.debt_value[ok], kp[ok] * np.exp(-res.credit_spread[ok] * t[ok]), rtol=1e-9)
    flagged = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert bool(flagged) == (not ok.all())
    assert bool(res.warnings) == (not ok.all())


def test_low_leverage_put_and_spread_are_stable():
    """Where A - J and K' - D cancel: tiny puts against erfcx (scaled erfc) and an asymptote."""
    j = np.full(6, 100.0)
    k = np.array([1e-6, 1e-4, 1e-2, 1.0, 10.0, 50.0])
    res = merton_solve(j, 0.3, k, 0.02, 1.0)
    assert res.converged.all()
    kp = k * np.exp(-0.02)
    d1, d2 = res.d1, res.d2
    # P / K' = phi(d2) (R(d2) - R(d1)), Mills ratio R(x) = sqrt(pi/2) erfcx(x / sqrt 2)
    mills = lambda x: np.sqrt(np.pi / 2) * erfcx(x / np.sqrt(2))  # noqa: E731
    q = np.exp(-0.5 * d2 * d2) / np.sqrt(2 * np.pi) * (mills(d2) - mills(d1))
    ref = np.where(d2 > merton.TAIL_D2, 0.0, kp * q)
    np.testing.assert_allclose(res.implicit_put, ref, rtol=1e-9, atol=0)
    spread = -np.log1p(-q) / 1.0
    np.testing.assert_allclose(res.credit_spread, np.where(d2 > merton.TAIL_D2, 0.0, spread), rtol=1e-9, atol=0)
    # below 1e-16 of A the put is lost in A - J; the stable form still resolves it
    resolved = d2 <= merton.TAIL_D2
    assert (res.implicit_put[resolved] > 0).all() and (res.implicit_put[resolved] < 1e-16 * j[resolved]).any()


def test_tiny_asset_volatility_uses_the_integral():
    """sigma_A sqrt(T) < 1e-2: the put comes from the Gauss-Legendre integral; check it against
    the erfcx difference (still accurate for h >= 1e-3)."""
    j = np.full(4, 10.0)
    res = merton_solve(j, [0.004, 0.006, 0.02, 0.05], [5.0, 8.0, 9.0, 9.5], 0.01, 1.0)
    h = res.asset_vol
    assert (h < merton.SMALL_H).any() and (h > 1e-3).all()
    kp = res.default_point * np.exp(-0.01)
    d1, d2 = res.d1, res.d2
    mills = lambda x: np.sqrt(np.pi / 2) * erfcx(x / np.sqrt(2))  # noqa: E731
    ref = kp * np.exp(-0.5 * d2 * d2) / np.sqrt(2 * np.pi) * (mills(d2) - mills(d1))
    np.testing.assert_allclose(res.implicit_put, ref, rtol=1e-8)


@pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")
def test_numba_and_numpy_engines_agree():
    rng = np.random.default_rng(7)
    n = 30_000
    j = 10 ** rng.uniform(-2, 4, n)
    k = j * 10 ** rng.uniform(-4, 4, n)
    args = (j, rng.uniform(0.01, 2.5, n), k, rng.uniform(-0.02, 0.12, n), rng.uniform(0.1, 15, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = merton_solve(*args, engine="numba")
        b = merton_solve(*args, engine="numpy")
    assert a.provenance.parameters["engine"] == "numba" and b.provenance.parameters["engine"] == "numpy"
    np.testing.assert_array_equal(a.converged, b.converged)
    ok = a.converged
    for name in ("asset_value", "asset_vol", "debt_value"):
        np.testing.assert_allclose(getattr(a, name)[ok], getattr(b, name)[ok], rtol=1e-10, err_msg=name)
    for name in ("d1", "d2"):  # distances in standard deviations: absolute
        np.testing.assert_allclose(getattr(a, name)[ok], getattr(b, name)[ok], rtol=0, atol=1e-10, err_msg=name)
    kp = k * np.exp(-args[3] * args[4])
    # puts and spreads to 1e-10 of themselves, or to 1e-12 of the debt's scale: a put is
    # K' N(-d2) - A N(-d1), so its last bits are rounding of K', not of the put
    gap = np.abs(a.implicit_put - b.implicit_put)[ok]
    assert (gap <= 1e-10 * np.abs(b.implicit_put[ok]) + 1e-12 * kp[ok]).all()
    gap = np.abs(a.credit_spread - b.credit_spread)[ok]
    assert (gap <= 1e-10 * np.abs(b.credit_spread[ok]) + 1e-12 / args[4][ok]).all()
    gap = np.abs(a.default_probability - b.default_probability)[ok]
    assert (gap <= 1e-10 * b.default_probability[ok] + 1e-15).all()


def test_status_codes_agree_between_engines():
    if not HAS_NUMBA:
        pytest.skip("numba not installed")
    from finstab.fund import _merton_numba as kernel

    for name in ("CLIPPED", "FLAGGED", "UNSOLVED", "NONFINITE", "ILLCOND"):
        assert getattr(kernel, name) == getattr(merton, name)


def test_unsolvable_entity_is_flagged_and_named():
    """Leverage 1e12: the equity equation cannot be resolved to 1e-8 in double precision."""
    with pytest.warns(ConvergenceWarning, match=r"1 of 2 entities not converged.*bank B"):
        res = merton_solve([1.0, 1.0], [0.3, 0.3], [2.0, 1e12], 0.03, labels=["bank A", "bank B"])
    assert res.converged.tolist() == [True, False]
    assert len(res.warnings) == 1 and "bank B" in res.warnings[0]
    frame = res.to_frame()
    assert frame["converged"].tolist() == [True, False] and frame["entity"].tolist() == ["bank A", "bank B"]
    assert "! ConvergenceWarning" in res.summary()


@pytest.mark.parametrize("engine", ENGINES)
def test_far_out_of_the_money_equity_needs_the_fallback(engine):
    """A ~ 3e-5 K' with sigma_A sqrt(T) ~ 6.6: Newton from A = J + K' stalls; the bracketing
    fallback finds the root (checked independently)."""
    j, sj, lev, r, t = 1.0, 2.6527, 64616.6, 0.05, 6.36
    res = merton_solve(j, sj, j * lev, r, t, engine=engine)
    assert res.converged[0]
    assert res.asset_value[0] < 1e-3 * lev
    assert independent_residuals(res)[0] < 1e-10


def test_result_protocol():
    res = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, 1.0)
    assert isinstance(res, Result) and isinstance(res, MertonResult) and res.kind == "merton"
    tables = res.tables()
    assert list(tables) == ["entities"] and "converged" in tables["entities"].columns
    assert str(res) == res.summary() and "收敛" in res.summary()
    assert "converged" in res.with_lang("en").summary()
    assert res.provenance.method == "fund/merton"
    other = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.5], 0.05, 1.0)
    assert other.provenance.data_hash != res.provenance.data_hash
    assert isinstance(res.to_frame(), pd.DataFrame) and len(res.to_frame()) == 2


def test_identities_and_real_world_pd():
    res = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, 1.0, drift=0.10)
    np.testing.assert_allclose(res.debt_value, res.asset_value - res.equity, rtol=1e-12)
    np.testing.assert_allclose(res.implicit_put, res.default_point * np.exp(-0.05) - res.debt_value, rtol=1e-10)
    assert np.all(res.credit_spread > 0)
    # higher drift than r lowers the real-world PD below the risk-neutral one
    rn = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, 1.0)
    assert np.all(res.default_probability < rn.default_probability)
    expected = ndtr(-(np.log(res.asset_value / res.default_point) + (0.10 - res.asset_vol**2 / 2))
                    / res.asset_vol)
    np.testing.assert_allclose(res.default_probability, expected, rtol=1e-12)


def test_bad_inputs_name_entity():
    with pytest.raises(InputError, match=r"default_point: entity 'bank B' has value -1"):
        merton_solve([1, 2], [0.2, 0.3], [5, -1], 0.03, labels=["bank A", "bank B"])
    with pytest.raises(InputError, match="equity_vol"):
        merton_solve(1, 0, 5, 0.03)
    with pytest.raises(InputError, match="non-finite"):
        merton_solve(np.nan, 0.2, 5, 0.03)
    with pytest.raises(InputError, match="engine"):
        merton_solve(1, 0.2, 5, 0.03, engine="fortran")
    assert math.isfinite(merton_solve(1, 0.2, 5, 0.03).credit_spread[0])
