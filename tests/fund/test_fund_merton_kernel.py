"""finstab.fund.merton against independent solutions, Black-Scholes closed forms and exact messages.

References are computed here without the kernel: nested scipy brentq solves of the two
Merton equations, the Black-Scholes put and d1/d2 from the reported (A, sigma_A), the
Mills-ratio form of tiny puts (scipy erfcx), and the messages the module documents.
"""

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import erfcx, log_ndtr, ndtr

from finstab.core.errors import InputError
from finstab.core.warnings import ConvergenceWarning
from finstab.fund import merton
from finstab.fund.merton import merton_solve


def message(excinfo) -> str:
    return str(excinfo.value)


def call_z(rel: float, h: float) -> float:
    """z = ln(A/K') solving the call equation e^z N(d1) - N(d2) = J/K' for h = sigma_A sqrt(T)."""
    f = lambda z: np.exp(z) * ndtr(z / h + h / 2) - ndtr(z / h - h / 2) - rel  # noqa: E731
    return brentq(f, np.log(rel), np.log1p(rel), xtol=1e-15, rtol=1e-15, maxiter=500)


def merton_root(rel: float, sj: float, sqt: float) -> tuple[float, float]:
    """(z, ln sigma_A) solving both equations, by nested brentq (the volatility equation over y)."""
    def g(y):
        h = np.exp(y) * sqt
        z = call_z(rel, h)
        return log_ndtr(z / h + h / 2) + y + z - np.log(sj * rel)

    lo = np.log(sj * rel / (1 + rel))
    hi = lo + 1.0
    while g(hi) < 0:
        hi += 1.0
    y = brentq(g, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=500)
    return call_z(rel, np.exp(y) * sqt), y


def black_scholes(a, s, k, r, t):
    """d1, d2, the put on the assets and N(-d2) from (A, sigma_A)."""
    d1 = (np.log(a / k) + (r + s * s / 2) * t) / (s * np.sqrt(t))
    d2 = d1 - s * np.sqrt(t)
    kp = k * np.exp(-r * t)
    return d1, d2, kp * ndtr(-d2) - a * ndtr(-d1), ndtr(-d2)


# ---------------------------------------------------------------- the solution


# equity, equity vol, default point, r, T: moderate, levered, long horizon, negative rate, far out of the money
CASES = [(3.0, 0.8, 10.0, 0.05, 1.0), (50.0, 0.3, 400.0, 0.02, 2.5), (1.0, 1.2, 3.0, 0.04, 7.0),
         (20.0, 0.5, 30.0, -0.01, 0.5), (1.0, 2.6527, 64616.6, 0.05, 6.36)]


@pytest.mark.parametrize("engine", ["numpy", "auto"])
def test_solution_matches_a_nested_scalar_solve(engine):
    j, sj, k, r, t = (np.array(c) for c in zip(*CASES, strict=True))
    res = merton_solve(j, sj, k, r, t, engine=engine)
    assert res.converged.all() and res.warnings == ()
    for i, (ji, sji, ki, ri, ti) in enumerate(CASES):
        kp = ki * np.exp(-ri * ti)
        z, y = merton_root(ji / kp, sji, np.sqrt(ti))
        assert res.asset_value[i] == pytest.approx(kp * np.exp(z), rel=1e-11)
        assert res.asset_vol[i] == pytest.approx(np.exp(y), rel=1e-11)
        assert res.residual[i] < 1e-12


def test_derived_values_are_the_black_scholes_quantities():
    j, sj, k, r, t = (np.array(c) for c in zip(*CASES, strict=True))  # the last one via the fallback
    res = merton_solve(j, sj, k, r, t)
    d1, d2, put, pd_rn = black_scholes(res.asset_value, res.asset_vol, k, r, t)
    np.testing.assert_allclose(res.d1, d1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.d2, d2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.distance_to_default, d2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.default_probability, pd_rn, rtol=1e-11)
    np.testing.assert_allclose(res.implicit_put, put, rtol=1e-10)
    np.testing.assert_allclose(res.debt_value, res.asset_value - j, rtol=1e-12)
    kp = k * np.exp(-r * t)
    np.testing.assert_allclose(res.credit_spread, -np.log(res.debt_value / kp) / t, rtol=1e-10)
    # inputs are reported as given, one entry per entity
    for name, given in (("equity", j), ("equity_vol", sj), ("default_point", k), ("r", r), ("T", t)):
        np.testing.assert_array_equal(getattr(res, name), given)


def test_spread_of_a_heavily_indebted_entity():
    """Put above half the discounted debt (q > 1/2): the spread from D = K' e^{-sT} directly."""
    res = merton_solve(1.0, 3.0, 500.0, 0.03, 2.0)
    kp = 500.0 * np.exp(-0.06)
    assert res.converged[0] and res.implicit_put[0] > 0.5 * kp
    _, _, put, _ = black_scholes(res.asset_value, res.asset_vol, 500.0, 0.03, 2.0)
    assert res.implicit_put[0] == pytest.approx(put[0], rel=1e-10)
    assert res.credit_spread[0] == pytest.approx(-np.log((kp - put[0]) / kp) / 2.0, rel=1e-10)
    assert res.credit_spread[0] == pytest.approx(-np.log(res.debt_value[0] / kp) / 2.0, rel=1e-12)


def mills_put(d1, d2):
    """P / K' = phi(d2) (R(d2) - R(d1)), R(x) = sqrt(pi/2) erfcx(x / sqrt 2): no cancellation."""
    mills = lambda x: np.sqrt(np.pi / 2) * erfcx(x / np.sqrt(2))  # noqa: E731
    return np.exp(-0.5 * d2 * d2) / np.sqrt(2 * np.pi) * (mills(d2) - mills(d1))


def test_tiny_puts_and_their_spreads():
    """Low leverage: puts far below 1e-8 K' (spread q (1 + q/2) / T) and near the 1e-8 switch."""
    k = np.array([1.0, 20.0, 60.0, 70.0])
    res = merton_solve(100.0, 0.25, k, 0.02, 1.5)
    assert res.converged.all()
    kp = k * np.exp(-0.03)
    q = mills_put(res.d1, res.d2)
    assert q.min() < 1e-8 < q.max() < 0.5
    np.testing.assert_allclose(res.implicit_put, kp * q, rtol=1e-9)
    np.testing.assert_allclose(res.credit_spread, -np.log1p(-q) / 1.5, rtol=1e-9)


def test_small_asset_volatility_put_by_the_integral():
    """h = sigma_A sqrt(T) < 1e-2 with -5 < d2: Gauss-Legendre integral of the Mills ratio."""
    j = np.array([10.0, 10.0, 10.0])
    k = np.array([9.0, 9.5, 9.9])
    res = merton_solve(j, [0.004, 0.006, 0.05], k, 0.01, 2.0)
    h = res.asset_vol * np.sqrt(2.0)
    assert (h < merton.SMALL_H).sum() == 2 and (res.d2 > -5).all()
    kp = k * np.exp(-0.02)
    np.testing.assert_allclose(res.implicit_put, kp * mills_put(res.d1, res.d2), rtol=1e-8)
    np.testing.assert_allclose(res.credit_spread, -np.log1p(-mills_put(res.d1, res.d2)) / 2.0, rtol=1e-8)


def test_small_volatility_puts_near_the_money():
    """h < 1e-2 with 0 < d2 < 5: the Gauss-Legendre integral against the Mills-ratio difference."""
    j = np.array([1.0, 1.0, 0.5, 2.0])
    res = merton_solve(j, [0.5, 0.3, 1.0, 0.25], 100.0, 0.01, 1.0)
    assert (res.asset_vol < merton.SMALL_H).all() and (res.d2 > 0.4).all() and (res.d2 < 5).all()
    kp = 100.0 * np.exp(-0.01)
    np.testing.assert_allclose(res.implicit_put, kp * mills_put(res.d1, res.d2), rtol=1e-11)
    np.testing.assert_allclose(res.credit_spread, -np.log1p(-mills_put(res.d1, res.d2)), rtol=1e-11)


def test_put_beyond_the_tail_is_zero():
    res = merton_solve(100.0, 0.1, [1e-3, 5.0], 0.0, 1.0)
    assert res.d2[0] > merton.TAIL_D2 > res.d2[1]
    assert res.implicit_put[0] == 0.0 and res.credit_spread[0] == 0.0
    assert res.implicit_put[1] == pytest.approx(5.0 * mills_put(res.d1[1], res.d2[1]), rel=1e-9)
    assert res.debt_value[0] == pytest.approx(1e-3, rel=1e-15)


def test_real_world_distance_to_default():
    j, sj, k, r, t = (np.array(c) for c in zip(*CASES[:4], strict=True))
    drift = np.array([0.08, 0.01, 0.12, -0.02])
    res = merton_solve(j, sj, k, r, t, drift=drift)
    a, s = res.asset_value, res.asset_vol
    dd = (np.log(a / k) + (drift - s * s / 2) * t) / (s * np.sqrt(t))
    np.testing.assert_allclose(res.distance_to_default, dd, rtol=1e-12)
    np.testing.assert_allclose(res.default_probability, ndtr(-dd), rtol=1e-11)
    # the balance sheet itself does not depend on the drift
    rn = merton_solve(j, sj, k, r, t)
    np.testing.assert_array_equal(res.asset_value, rn.asset_value)
    np.testing.assert_array_equal(res.d2, rn.d2)
    assert res.provenance.parameters["real_world"] is True and rn.provenance.parameters["real_world"] is False
    assert "drift" in res.provenance.input_hashes and "drift" not in rn.provenance.input_hashes
    other = merton_solve(j, sj, k, r, t, drift=drift + 0.01)
    assert other.provenance.data_hash != res.provenance.data_hash  # the drift is an input
    # a scalar drift is broadcast over the entities
    one = merton_solve(j, sj, k, r, t, drift=0.05)
    np.testing.assert_allclose(one.distance_to_default,
                               (np.log(a / k) + (0.05 - s * s / 2) * t) / (s * np.sqrt(t)), rtol=1e-12)


def test_broadcasting_and_provenance():
    res = merton_solve([[3.0], [5.0]], [0.8, 0.4], 10.0, 0.05)
    assert res.equity.tolist() == [3.0, 3.0, 5.0, 5.0] and res.equity_vol.tolist() == [0.8, 0.4, 0.8, 0.4]
    assert res.T.tolist() == [1.0] * 4 and res.default_point.tolist() == [10.0] * 4
    p = res.provenance
    assert p.method == "fund/merton"
    assert p.parameters == {"engine": "numpy", "tolerance": 1e-8, "real_world": False}
    assert sorted(p.input_hashes) == ["T", "default_point", "equity", "equity_vol", "r"]
    assert res.asset_value[0] == pytest.approx(12.3954, abs=5e-5)  # Hull's example, as a 2 x 2 grid


# ---------------------------------------------------------------- engines


def test_engine_choice_by_size():
    n = merton.NUMBA_MIN
    big = merton_solve(np.full(n, 3.0), 0.8, 10.0, 0.05)
    small = merton_solve(np.full(n - 1, 3.0), 0.8, 10.0, 0.05)
    expected = "numba" if merton._numba_solver() is not None else "numpy"
    assert big.provenance.parameters["engine"] == expected
    assert small.provenance.parameters["engine"] == "numpy"
    np.testing.assert_allclose(big.asset_value[:3], small.asset_value[:3], rtol=1e-12)
    assert merton_solve(3.0, 0.8, 10.0, 0.05, engine="numpy").provenance.parameters["engine"] == "numpy"


@pytest.mark.skipif(merton._numba_solver() is None, reason="numba not installed")
def test_numba_engine_on_request():
    res = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, engine="numba")
    assert res.provenance.parameters["engine"] == "numba"
    ref = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, engine="numpy")
    np.testing.assert_allclose(res.asset_value, ref.asset_value, rtol=1e-12)
    np.testing.assert_allclose(res.implicit_put, ref.implicit_put, rtol=1e-10)


def test_without_numba(monkeypatch):
    monkeypatch.setattr(merton, "_numba_solver", lambda: None)
    with pytest.raises(InputError) as exc:
        merton_solve(3.0, 0.8, 10.0, 0.05, engine="numba")
    assert message(exc) == "engine: engine 'numba' needs numba; pip install 'finstab[fast]'"
    res = merton_solve(np.full(merton.NUMBA_MIN, 3.0), 0.8, 10.0, 0.05, engine="auto")
    assert res.provenance.parameters["engine"] == "numpy" and res.converged.all()


# ---------------------------------------------------------------- messages


def test_bad_inputs_exact_messages():
    with pytest.raises(InputError) as exc:
        merton_solve([1.0, 2.0], [0.1, 0.2, 0.3], 5.0, 0.03)
    assert message(exc) == ("equity: inputs do not broadcast together: equity (2,), equity_vol (3,), "
                            "default_point (), r (), T ()")
    with pytest.raises(InputError) as exc:
        merton_solve([1.0, 2.0], 0.2, 5.0, 0.03, labels=["a", "b", "c"])
    assert message(exc) == "labels: 3 labels for 2 entities"
    for kwargs, text in ((dict(equity=[1.0, 0.0]), "equity: index 1 has value 0; expected > 0"),
                         (dict(equity_vol=[0.2, -0.1]), "equity_vol: index 1 has value -0.1; expected > 0"),
                         (dict(default_point=[5.0, 0.0]), "default_point: index 1 has value 0; expected > 0"),
                         (dict(T=[1.0, 0.0]), "T: index 1 has value 0; expected > 0")):
        args = {"equity": [1.0, 2.0], "equity_vol": 0.2, "default_point": 5.0, "r": 0.03, "T": 1.0, **kwargs}
        with pytest.raises(InputError) as exc:
            merton_solve(args["equity"], args["equity_vol"], args["default_point"], args["r"], args["T"])
        assert message(exc) == text
    with pytest.raises(InputError) as exc:
        merton_solve([1.0, 2.0], [0.2, 0.3], [5.0, -1.0], 0.03, labels=["bank A", "bank B"])
    assert message(exc) == "default_point: entity 'bank B' has value -1; expected > 0"
    with pytest.raises(InputError) as exc:
        merton_solve(1.0, 0.2, 5.0, np.inf)
    assert message(exc) == "r: non-finite value at index ()"
    with pytest.raises(InputError) as exc:
        merton_solve(1.0, 0.2, 5.0, 0.03, drift=np.nan)
    assert message(exc) == "drift: non-finite value at index ()"
    with pytest.raises(InputError) as exc:
        merton_solve(1.0, 0.2, 5.0, 0.03, engine="gpu")
    assert message(exc) == "engine: 'gpu' is not one of 'auto', 'numba', 'numpy'"
    # a negative rate is allowed
    assert merton_solve(1.0, 0.2, 5.0, -0.01).converged[0]


def test_flag_messages_count_every_reason():
    status = np.array([0, 1, 3, 5, 2, 4, 3, 3, 0], dtype=np.int8)
    got = merton._flag_messages(status, list("abcdefghi"))
    assert got == ["Merton: 6 of 9 entities not converged (3 with relative residual >= 1e-08; 1 too "
                   "ill-conditioned to verify the residual in double precision; 1 with a negative implicit "
                   "put beyond rounding; 1 with a non-finite derived value): c, d, e, f, g and 1 more; "
                   "marked converged=False"]
    assert merton._flag_messages(np.array([0, 1, 0], dtype=np.int8), None) == []
    assert merton._flag_messages(np.array([0, 1, 4], dtype=np.int8), None) == [
        "Merton: 1 of 3 entities not converged (1 with a non-finite derived value): index 2; marked converged=False"]
    five = merton._flag_messages(np.array([2] * 5, dtype=np.int8), None)
    assert five == ["Merton: 5 of 5 entities not converged (5 with a negative implicit put beyond rounding): "
                    "index 0, index 1, index 2, index 3, index 4; marked converged=False"]
    many = merton._flag_messages(np.array([0] * 10 + [5] * 1200, dtype=np.int8), None)
    assert many == ["Merton: 1,200 of 1,210 entities not converged (1,200 too ill-conditioned to verify the "
                    "residual in double precision): index 10, index 11, index 12, index 13, index 14 and "
                    "1,195 more; marked converged=False"]


def test_unconverged_entities_warn_once_and_are_marked():
    with pytest.warns(ConvergenceWarning) as caught:
        res = merton_solve([1.0, 1.0, 1.0], 0.3, [2.0, 1e12, 3.0], 0.03, labels=["x", "y", "z"])
    assert [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)] == [
        "Merton: 1 of 3 entities not converged (1 with relative residual >= 1e-08): y; marked converged=False"]
    assert res.converged.tolist() == [True, False, True]
    assert res.warnings == ("ConvergenceWarning: Merton: 1 of 3 entities not converged (1 with relative "
                            "residual >= 1e-08): y; marked converged=False",)
    assert res.residual[1] >= merton.CONVERGED and res.labels == ("x", "y", "z")


# ---------------------------------------------------------------- the result


def test_result_tables_and_summaries():
    res = merton_solve([3.0, 5.0], [0.8, 0.4], [10.0, 4.0], 0.05, labels=["a", "b"])
    frame = res.tables()["entities"]
    assert list(frame.columns) == ["entity", *merton.MertonResult._COLUMNS]
    assert frame["entity"].tolist() == ["a", "b"] and frame["asset_vol"].tolist() == res.asset_vol.tolist()
    assert list(merton_solve(3.0, 0.8, 10.0, 0.05).tables()["entities"].columns) == list(
        merton.MertonResult._COLUMNS)
    worst = f"{res.residual.max():.1e}"
    zh = f"Merton 或有权益分析：2 个主体，2 个收敛（相对残差 < 1e-08），最大残差 {worst}"
    assert res.summary().splitlines()[0] == zh
    en = res.with_lang("en").summary().splitlines()
    assert en[0] == f"Merton CCA: 2 entities, 2 converged (relative residual < 1e-08), max residual {worst}"
    assert en[1].split() == ["asset_value", "asset_vol", "debt_value", "distance_to_default",
                             "default_probability", "implicit_put", "credit_spread"]
    assert en[3].split()[:2] == ["mean", f"{res.asset_value.mean():.4f}"]


def test_summary_counts_with_separators_and_no_entities():
    j = np.ones(1_001)
    k = np.full(1_001, 2.0)
    k[0] = 1e12
    with pytest.warns(ConvergenceWarning):
        res = merton_solve(j, 0.3, k, 0.03)
    worst = f"{res.residual.max():.1e}"
    assert res.with_lang("en").summary().splitlines()[0] == (
        f"Merton CCA: 1,001 entities, 1,000 converged (relative residual < 1e-08), max residual {worst}")
    empty = merton_solve([], [], [], 0.03)
    assert empty.with_lang("en").summary().splitlines()[0] == (
        "Merton CCA: 0 entities, 0 converged (relative residual < 1e-08), max residual 0.0e+00")


# ---------------------------------------------------------------- the numpy engine's parts


def test_inner_call_solve_against_brentq():
    rel = np.array([1e-6, 0.01, 0.5, 3.0, 1e3, 2e-5])
    h = np.array([0.05, 0.3, 1.0, 3.0, 7.0, 6.6])
    z = merton._inner_z(rel, h)
    for i in range(rel.size):
        assert z[i] == pytest.approx(call_z(rel[i], h[i]), rel=0, abs=1e-13 * (1 + abs(z[i])))


def test_volatility_equation_of_the_fallback():
    rel, sj, sqt = np.array([0.3, 2.0]), np.array([0.8, 0.5]), np.array([1.0, 0.7])
    y = np.array([-1.2, -0.4])
    g, z = merton._outer_g(y, rel, sj, sqt)
    for i in range(2):
        h = np.exp(y[i]) * sqt[i]
        zi = call_z(rel[i], h)
        assert z[i] == pytest.approx(zi, abs=1e-13)
        want = np.log(ndtr(zi / h + h / 2) * np.exp(y[i]) * np.exp(zi) / (sj[i] * rel[i]))
        assert g[i] == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(("rel", "sj", "sqt"), [
    (0.3, 0.8, 1.0), (2.0, 0.5, 0.5), (1e-3, 1.5, 2.0), (1e-5, 3.0, 3.0),
    (np.exp(0.05 * 6.36) / 64616.6, 2.6527, np.sqrt(6.36)), (5.0, 0.05, 1.0)])
def test_fallback_brackets_the_root(rel, sj, sqt):
    z, y = merton._fallback(np.array([rel]), np.array([sj]), np.array([sqt]))
    zr, yr = merton_root(rel, sj, sqt)
    assert z[0] == pytest.approx(zr, rel=0, abs=1e-12 * (1 + abs(zr)))
    assert y[0] == pytest.approx(yr, rel=0, abs=1e-12 * (1 + abs(yr)))


def test_fallback_on_many_entities_at_once():
    rng = np.random.default_rng(5)
    rel = 10.0 ** rng.uniform(-5, 2, 12)
    sj = rng.uniform(0.1, 3.0, 12)
    sqt = np.sqrt(rng.uniform(0.2, 9.0, 12))
    z, y = merton._fallback(rel, sj, sqt)
    for i in range(12):
        zr, yr = merton_root(rel[i], sj[i], sqt[i])
        assert (z[i], y[i]) == (pytest.approx(zr, abs=1e-11 * (1 + abs(zr))), pytest.approx(yr, abs=1e-11))


def test_newton_alone_reaches_the_target_or_says_it_stalled():
    """From A = J + K', sigma_A = sigma_J J / A: well-posed entities reach 1e-14; the far out of the
    money one stalls (the fallback then takes over)."""
    j, sj, k, r, t = (np.array(c) for c in zip(*CASES, strict=True))
    kp = k * np.exp(-r * t)
    rel = j / kp
    out = merton._newton(np.log1p(rel), np.log(sj * rel / (1 + rel)), kp, 1 / j, 1 / (j * sj), np.sqrt(t))
    reached, norm = out[-1], out[11]
    assert reached.tolist() == [True, True, True, True, False]
    assert (norm[:4] <= 1e-14).all()
    for i in range(4):
        z, y = merton_root(rel[i], sj[i], np.sqrt(t[i]))
        assert out[0][i] == pytest.approx(z, abs=1e-12) and out[1][i] == pytest.approx(y, abs=1e-12)
        assert out[2][i] == pytest.approx(kp[i] * np.exp(z), rel=1e-12)
        assert out[3][i] == pytest.approx(np.exp(y), rel=1e-12)


def test_newton_from_the_root_stays_there():
    z, y = merton_root(0.3, 0.8, 1.0)
    out = merton._newton(np.array([z]), np.array([y]), np.array([1.0]), np.array([1 / 0.3]),
                         np.array([1 / 0.24]), np.array([1.0]))
    assert out[-1][0] and out[11][0] <= 1e-14
    assert out[0][0] == pytest.approx(z, abs=1e-14) and out[1][0] == pytest.approx(y, abs=1e-14)


def test_outputs_clip_rounding_negative_puts_and_flag_the_rest():
    """A computed q = N(-d2) - u N(-d1) below zero: clipped when within 1e-12 N(-d2), flagged beyond."""
    m2 = np.array([0.2, 0.2, 0.2, 0.2])
    u = np.array([2.0, 2.0, 2.0, 2.0])
    m1 = (m2 + np.array([0.0, 1e-14, 1e-9, 1e-12])) / u  # q = 0, -1e-14 (rounding), -1e-9 and -1e-12 (not)
    d1 = np.full(4, 0.5)
    kp = np.ones(4)
    a = u * kp
    args = (np.log(u), a, np.full(4, 0.5), d1, ndtr(d1), 1 - m2, m1, m2, np.zeros(4), kp, np.ones(4), np.ones(4))
    out = merton._outputs_numpy(*args)
    status, put = out[-1], out[6]
    assert status.tolist() == [0, merton.CLIPPED, merton.FLAGGED, merton.FLAGGED]  # 1e-12 > 1e-12 x 0.2
    assert put[1] == 0.0 and put[2] == pytest.approx(-1e-9, rel=1e-5)
    converged = merton_solve(3.0, 0.8, 10.0, 0.05)
    assert converged.converged[0]


def test_outputs_mark_unsolved_nonfinite_and_ill_conditioned():
    res = merton_solve(3.0, 0.8, 10.0, 0.05)
    a, s, d1 = res.asset_value, res.asset_vol, res.d1
    kp = np.array([10.0 * np.exp(-0.05)])
    base = dict(z=np.log(a / kp), a=a, s=s, d1=d1, n1=ndtr(d1), n2=ndtr(d1 - s), m1=ndtr(-d1), m2=ndtr(s - d1),
                norm=np.array([1e-15]), kp=kp, ij=np.array([1 / 3.0]), t=np.array([1.0]))
    assert merton._outputs_numpy(**base)[-1].tolist() == [0]
    assert merton._outputs_numpy(**{**base, "norm": np.array([2e-8])})[-1].tolist() == [merton.UNSOLVED]
    assert merton._outputs_numpy(**{**base, "norm": np.array([np.nan])})[-1].tolist() == [merton.UNSOLVED]
    assert merton._outputs_numpy(**{**base, "a": np.array([np.inf])})[-1].tolist() == [merton.NONFINITE]
    # huge leverage with tiny sigma_A: the residual cannot be verified in double precision
    tiny = dict(base, s=np.array([1e-9]), z=np.array([-30.0]), d1=np.array([-5.0]), n1=ndtr(np.array([-5.0])))
    assert merton._outputs_numpy(**tiny)[-1].tolist() == [merton.ILLCOND]


def test_third_order_steps_save_evaluations(monkeypatch):
    """The module documents about one evaluation of both equations per entity saved by Chebyshev's
    third-order correction. On this sample plain Newton steps need 6.9 evaluations per entity
    (start included); the corrected steps need 4.9."""
    count = [0]
    plain = merton._residual

    def counted(z, *args):
        count[0] += np.size(z)
        return plain(z, *args)

    monkeypatch.setattr(merton, "_residual", counted)
    rng = np.random.default_rng(7)
    n = 1_000
    j = 10 ** rng.uniform(-1, 3, n)
    res = merton_solve(j, rng.uniform(0.05, 1.5, n), j * 10 ** rng.uniform(-1, 2, n), rng.uniform(0.0, 0.08, n),
                       rng.uniform(0.25, 5, n), engine="numpy")
    assert res.converged.all() and res.residual.max() < 1e-13
    assert count[0] / n < 5.0


def test_inner_solve_is_newton_not_bisection(monkeypatch):
    """Safeguarded Newton on the call equation: at most 17 iterations on these cases, where
    bisection of the bracket [ln(J/K'), ln(1 + J/K')] to rounding would take about 50."""
    calls = [0]

    def counted(x):
        calls[0] += 1
        return ndtr(x)

    monkeypatch.setattr(merton, "ndtr", counted)
    rel = np.array([1e-6, 0.01, 0.5, 3.0, 1e3, 2e-5])
    h = np.array([0.05, 0.3, 1.0, 3.0, 7.0, 6.6])
    for i in range(rel.size):
        calls[0] = 0
        z = merton._inner_z(rel[i:i + 1], h[i:i + 1])
        assert calls[0] // 2 <= 20, (rel[i], h[i], calls[0] // 2)  # two normal cdfs per iteration
        assert z[0] == pytest.approx(call_z(rel[i], h[i]), abs=1e-13 * (1 + abs(z[0])))


def test_fallback_is_regula_falsi_not_bisection(monkeypatch):
    """Illinois regula falsi on the volatility equation: at most 17 evaluations on these cases
    (bisection to rounding would take about 50); 11 on average over a random dozen."""
    sizes = []
    plain = merton._outer_g

    def counted(y, *args):
        sizes.append(np.size(y))
        return plain(y, *args)

    monkeypatch.setattr(merton, "_outer_g", counted)
    cases = [(0.3, 0.8, 1.0), (2.0, 0.5, 0.5), (1e-3, 1.5, 2.0), (1e-5, 3.0, 3.0),
             (np.exp(0.05 * 6.36) / 64616.6, 2.6527, np.sqrt(6.36)), (5.0, 0.05, 1.0)]
    for case in cases:
        sizes.clear()
        merton._fallback(*(np.array([v]) for v in case))
        assert len(sizes) <= 20, (case, len(sizes))
    rng = np.random.default_rng(5)
    rel, sj, sqt = 10.0 ** rng.uniform(-5, 2, 12), rng.uniform(0.1, 3.0, 12), np.sqrt(rng.uniform(0.2, 9.0, 12))
    sizes.clear()
    merton._fallback(rel, sj, sqt)
    assert sum(sizes) / 12 <= 12.0


def test_absurd_inputs_are_flagged_without_floating_point_warnings():
    """Equity 1e-300 of its debt at a -500 % rate, or debt 1e-300 over a million years: the entities
    are marked unconverged (a residual that cannot be met, an infinite spread), and the only
    warning is finstab's ConvergenceWarning, not numpy's divide, overflow or invalid warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match=r"2 of 2 entities not converged \(1 with relative residual "
                                                     r">= 1e-08; 1 with a non-finite derived value\)"):
            res = merton_solve([1e-300, 1e-100], [1e-6, 1.0], [1.0, 1e-300], [-5.0, 0.0], [1e-12, 1e6],
                               engine="numpy")
    assert res.converged.tolist() == [False, False]
    assert res.credit_spread[1] == np.inf


@pytest.mark.skipif(merton._numba_solver() is None, reason="numba not installed")
def test_numba_engine_flags_and_names_unsolvable_entities():
    with pytest.warns(ConvergenceWarning) as caught:
        res = merton_solve([1.0, 1.0], [0.3, 0.3], [2.0, 1e12], 0.03, labels=["a", "b"], engine="numba")
    assert [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)] == [
        "Merton: 1 of 2 entities not converged (1 with relative residual >= 1e-08): b; marked converged=False"]
    assert res.converged.tolist() == [True, False]


def _fallback_on(g, monkeypatch, rel=3.0, sj=0.5):
    """The fallback's bracketing on a volatility equation ``g`` of our own (z = 2y): the root it
    returns and every y it evaluated."""
    seen = []

    def outer(y, *_):
        seen.append(float(y[0]))
        return g(y), 2.0 * y

    monkeypatch.setattr(merton, "_outer_g", outer)
    z, y = merton._fallback(np.array([rel]), np.array([sj]), np.array([1.0]))
    return float(z[0]), float(y[0]), seen


def test_fallback_starts_at_its_documented_bracket_and_grows_it_in_steps_of_two(monkeypatch):
    lo, hi = np.log(0.5 * 3.0 / 4.0), np.log(0.5) + 1.0  # sigma_J J / A at A = J + K'; e sigma_J
    root = hi + 3.0  # above the first upper end: the bracket grows by 2 twice
    z, y, seen = _fallback_on(lambda v: np.expm1(3.0 * (v - root)), monkeypatch)
    assert seen[:4] == [lo, hi, hi + 2.0, hi + 4.0]
    assert y == pytest.approx(root, abs=1e-14) and z == 2.0 * y
    # Illinois: a convex equation keeps the upper end; plain regula falsi would take about 250 steps
    assert len(seen) <= 20


def test_fallback_halves_the_kept_lower_end_too(monkeypatch):
    root = 0.2  # inside the first bracket; concave, so the lower end is the one kept
    z, y, seen = _fallback_on(lambda v: -np.expm1(-3.0 * (v - root)), monkeypatch)
    assert y == pytest.approx(root, abs=1e-14) and z == 2.0 * y
    assert len(seen) <= 20  # plain regula falsi: about 170


def test_fallback_takes_a_root_at_its_lower_start(monkeypatch):
    lo = np.log(0.5 * 3.0 / 4.0)
    z, y, seen = _fallback_on(lambda v: v - lo, monkeypatch)
    assert (y, z) == (lo, 2.0 * lo) and len(seen) == 2
