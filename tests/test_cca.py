import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import fsolve
from scipy.special import ndtr

from finstab.core.errors import InputError
from finstab.fund.merton import merton_solve


def test_hull_textbook_example():
    # Hull, Options, Futures and Other Derivatives: E=3, sigma_E=80 %, D=10, r=5 %, T=1
    res = merton_solve(3.0, 0.80, 10.0, 0.05, 1.0)
    assert res.asset_value[0] == pytest.approx(12.40, abs=0.005)
    assert res.asset_vol[0] == pytest.approx(0.2123, abs=0.00005)
    assert res.default_probability[0] == pytest.approx(0.127, abs=0.0005)
    assert res.debt_value[0] == pytest.approx(9.40, abs=0.005)
    riskfree = 10 * np.exp(-0.05)
    assert (riskfree - res.debt_value[0]) / riskfree == pytest.approx(0.012, abs=0.0005)
    assert res.converged.all()


def _equations(res):
    a, s, d, r, t = res.asset_value, res.asset_vol, res.default_point, res.r, res.T
    d1 = (np.log(a / d) + (r + s * s / 2) * t) / (s * np.sqrt(t))
    d2 = d1 - s * np.sqrt(t)
    e1 = (a * ndtr(d1) - d * np.exp(-r * t) * ndtr(d2) - res.equity) / res.equity
    e2 = (ndtr(d1) * s * a - res.equity_vol * res.equity) / (res.equity_vol * res.equity)
    return e1, e2


def test_residuals_on_many_random_cases():
    rng = np.random.default_rng(42)
    n = 20_000
    j = rng.lognormal(0, 1.5, n)
    res = merton_solve(j, rng.uniform(0.03, 2.0, n), j * rng.lognormal(0, 1.5, n),
                       rng.uniform(-0.01, 0.1, n), rng.uniform(0.1, 10, n))
    e1, e2 = _equations(res)
    assert res.converged.all()
    assert np.abs(e1).max() < 1e-10 and np.abs(e2).max() < 1e-10


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


def test_identities_and_real_world_pd():
    res = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, 1.0, drift=0.10)
    np.testing.assert_allclose(res.debt_value, res.asset_value - res.equity)
    np.testing.assert_allclose(res.implicit_put, res.default_point * np.exp(-0.05) - res.debt_value)
    assert np.all(res.credit_spread > 0)
    # higher drift than r lowers the real-world PD below the risk-neutral one
    rn = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, 1.0)
    assert np.all(res.default_probability < rn.default_probability)
    assert res.to_frame().shape[0] == 2


def test_bad_inputs_name_entity():
    with pytest.raises(InputError, match=r"default_point: entity 'bank B' has value -1"):
        merton_solve([1, 2], [0.2, 0.3], [5, -1], 0.03, labels=["bank A", "bank B"])
    with pytest.raises(InputError, match="equity_vol"):
        merton_solve(1, 0, 5, 0.03)
    with pytest.raises(InputError, match="non-finite"):
        merton_solve(np.nan, 0.2, 5, 0.03)
