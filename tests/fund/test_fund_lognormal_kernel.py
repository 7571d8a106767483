"""finstab.fund.lognormal against independent closed forms, brute force and exact messages.

Each reference is computed here without the kernel: quantiles and tail means of the
lognormal from scipy.stats.lognorm, Fisher-Jenks classes by enumerating every split,
tertiles and quartiles by hand.
"""

import itertools

import numpy as np
import pytest
from scipy import stats

from finstab.core.errors import InputError
from finstab.fund import lognormal, montecarlo
from finstab.fund.lognormal import es_fund_size, jarque_bera, log_moments, shares, tiers, var_fund_size


def lognormal_at_horizon(s0, mu, sigma, t):
    """S_T with ln S_T ~ N(ln S_0 + (mu - sigma^2/2) T, sigma^2 T), as scipy.stats.lognorm."""
    return stats.lognorm(s=sigma * np.sqrt(t), scale=s0 * np.exp((mu - 0.5 * sigma**2) * t))


def message(excinfo) -> str:
    return str(excinfo.value)


# ---------------------------------------------------------------- VaR and ES fund sizes


@pytest.mark.parametrize(("s0", "mu", "sigma", "t", "alpha"), [
    (100.0, 0.06, 0.25, 2.5, 0.01),
    (7.5, -0.02, 0.4, 0.5, 0.1),
    (1e4, 0.0, 0.05, 4.0, 0.3),
])
def test_var_fund_is_mean_minus_lognormal_quantile(s0, mu, sigma, t, alpha):
    dist = lognormal_at_horizon(s0, mu, sigma, t)
    assert dist.mean() == pytest.approx(s0 * np.exp(mu * t), rel=1e-12)  # E(S) = S0 e^{mu T}
    want = dist.mean() - dist.ppf(alpha)
    assert var_fund_size(s0, mu, sigma, T=t, alpha=alpha) == pytest.approx(want, rel=1e-10)
    assert var_fund_size(s0, mu, sigma, t, alpha) == pytest.approx(want, rel=1e-10)


def test_var_fund_defaults_are_one_year_at_five_percent():
    dist = lognormal_at_horizon(250.0, 0.04, 0.3, 1.0)
    assert var_fund_size(250.0, 0.04, 0.3) == pytest.approx(dist.mean() - dist.ppf(0.05), rel=1e-10)
    # z_0.05 = -1.6449: the fund of S0 = 1, mu = sigma^2 / 2 is 1 - exp(sigma z)
    assert var_fund_size(1.0, 0.02, 0.2) == pytest.approx(np.exp(0.02) - np.exp(0.2 * -1.6448536269514722),
                                                         rel=1e-12)


def test_var_fund_grows_with_volatility_and_shrinks_with_alpha():
    sig = np.array([0.0, 0.1, 0.2, 0.4])
    funds = var_fund_size(100.0, 0.03, sig)
    assert funds[0] == 0.0 and np.all(np.diff(funds) > 0)
    by_alpha = [float(var_fund_size(100.0, 0.03, 0.2, alpha=a)) for a in (0.01, 0.05, 0.2, 0.45)]
    assert np.all(np.diff(by_alpha) < 0)


def test_var_fund_broadcasts_and_scales_with_s0():
    s0 = np.array([1.0, 10.0, 1000.0])
    mu = np.array([0.0, 0.05, -0.05])
    funds = var_fund_size(s0, mu, 0.2)
    for i in range(3):
        assert funds[i] == pytest.approx(float(var_fund_size(1.0, mu[i], 0.2)) * s0[i], rel=1e-12)


@pytest.mark.parametrize(("s0", "mu", "sigma", "t", "alpha"), [
    (50.0, 0.03, 0.3, 2.0, 0.01),
    (3.0, -0.01, 0.15, 0.25, 0.2),
])
def test_es_fund_against_the_lognormal_tail_mean(s0, mu, sigma, t, alpha):
    dist = lognormal_at_horizon(s0, mu, sigma, t)
    q = dist.ppf(alpha)
    tail_mean = dist.expect(lambda x: x, ub=q) / alpha
    want = dist.mean() - tail_mean
    assert es_fund_size(s0, mu, sigma, T=t, alpha=alpha) == pytest.approx(want, rel=1e-7)
    assert es_fund_size(s0, mu, sigma, t, alpha) > var_fund_size(s0, mu, sigma, t, alpha)


def test_es_fund_defaults_and_zero_volatility():
    dist = lognormal_at_horizon(80.0, 0.05, 0.25, 1.0)
    tail_mean = dist.expect(lambda x: x, ub=dist.ppf(0.05)) / 0.05
    assert es_fund_size(80.0, 0.05, 0.25) == pytest.approx(dist.mean() - tail_mean, rel=1e-7)
    # closed form E (1 - N(z_a - sigma) / a) at sigma = 0 is exactly no fund
    assert es_fund_size(80.0, 0.05, 0.0) == pytest.approx(0.0, abs=1e-12)


def test_zero_volatility_is_allowed_negative_is_not():
    assert var_fund_size([5.0, 6.0], 0.01, [0.0, 0.0]).tolist() == [0.0, 0.0]
    with pytest.raises(InputError) as exc:
        var_fund_size(5.0, 0.01, -0.1)
    assert message(exc) == "sigma: index 0 has value -0.1; expected >= 0"
    with pytest.raises(InputError) as exc:
        var_fund_size([5.0, 0.0], 0.01, 0.1)
    assert message(exc) == "s0: index 1 has value 0; expected > 0"
    with pytest.raises(InputError) as exc:
        es_fund_size([5.0, -2.0], 0.01, 0.1)
    assert message(exc) == "s0: index 1 has value -2; expected > 0"


@pytest.mark.parametrize("func", [var_fund_size, es_fund_size])
def test_non_finite_inputs_name_the_argument(func):
    with pytest.raises(InputError) as exc:
        func(np.nan, 0.01, 0.1)
    assert message(exc) == "s0: non-finite value at index ()"
    with pytest.raises(InputError) as exc:
        func(1.0, [0.0, np.inf], 0.1)
    assert message(exc) == "mu: non-finite value at index (1,)"
    with pytest.raises(InputError) as exc:
        func(1.0, 0.0, np.nan)
    assert message(exc) == "sigma: non-finite value at index ()"


@pytest.mark.parametrize("alpha", [0.0, 0.5, -0.1, 0.7, 1.0])
def test_alpha_outside_the_open_interval_is_refused(alpha):
    for func in (var_fund_size, es_fund_size):
        with pytest.raises(InputError) as exc:
            func(1.0, 0.0, 0.1, alpha=alpha)
        assert message(exc) == f"alpha: alpha = {alpha}; expected a tail probability in (0, 0.5)"
        assert exc.value.where == "alpha"


def test_alpha_just_inside_the_interval_is_accepted():
    for alpha in (1e-9, 0.4999):
        dist = lognormal_at_horizon(1.0, 0.0, 0.1, 1.0)
        assert var_fund_size(1.0, 0.0, 0.1, alpha=alpha) == pytest.approx(dist.mean() - dist.ppf(alpha), rel=1e-9)
    assert lognormal._check_alpha(np.float32(0.25)) == 0.25 and type(lognormal._check_alpha(0.25)) is float


# ---------------------------------------------------------------- moments of a path


def test_log_moments_by_hand():
    changes = np.array([0.1, -0.05, 0.2])
    path = 40.0 * np.exp(np.concatenate([[0.0], np.cumsum(changes)]))
    mean = changes.sum() / 3
    sd = np.sqrt(((changes - mean) ** 2).sum() / 2)  # sample standard deviation
    mu, sigma = log_moments(path)
    assert sigma == pytest.approx(sd, rel=1e-12)
    assert mu == pytest.approx(mean + sd * sd / 2, rel=1e-12)


def test_log_moments_along_the_last_axis_by_default_and_any_axis():
    rows = np.array([[1.0, 2.0, 3.0, 5.0], [10.0, 9.0, 12.0, 11.0]])
    mu, sigma = log_moments(rows)
    assert mu.shape == (2,)
    for i in range(2):
        m1, s1 = log_moments(rows[i])
        assert (mu[i], sigma[i]) == (pytest.approx(m1, rel=1e-14), pytest.approx(s1, rel=1e-14))
    mu0, sigma0 = log_moments(rows.T, axis=0)
    np.testing.assert_allclose(mu0, mu, rtol=1e-14)
    np.testing.assert_allclose(sigma0, sigma, rtol=1e-14)


def test_log_moments_need_three_positive_observations():
    _, sigma = log_moments([1.0, 2.0, 3.0])  # three observations, two changes: enough
    assert sigma == pytest.approx(np.std(np.log([2.0, 1.5]), ddof=1))
    with pytest.raises(InputError) as exc:
        log_moments([1.0, 2.0])
    assert message(exc) == "values: need at least three observations to estimate mu and sigma"
    with pytest.raises(InputError) as exc:
        log_moments([1.0, 2.0, 0.0, 4.0])
    assert message(exc) == "values: index 2 has value 0; expected > 0"
    with pytest.raises(InputError) as exc:
        log_moments([1.0, np.nan, 2.0, 4.0])
    assert message(exc) == "values: non-finite value at index (1,)"


# ---------------------------------------------------------------- Jarque-Bera


def test_jarque_bera_by_the_textbook_formula():
    x = np.array([0.1, 0.4, -0.3, 1.2, 0.0, -0.8, 2.5, 0.3, -0.1, 0.6])
    n, d = x.size, x - x.mean()
    skew = (d**3).mean() / (d**2).mean() ** 1.5
    kurt = (d**4).mean() / (d**2).mean() ** 2
    jb = n / 6 * (skew**2 + (kurt - 3) ** 2 / 4)
    stat, p = jarque_bera(x)
    assert stat == pytest.approx(jb, rel=1e-12)
    assert p == pytest.approx(np.exp(-jb / 2), rel=1e-12)  # chi-square with 2 degrees of freedom
    assert type(stat) is float and type(p) is float


def test_jarque_bera_wants_one_series():
    with pytest.raises(InputError) as exc:
        jarque_bera(np.ones((2, 3)))
    assert message(exc) == "log_values: expected a 1-d array, got shape (2, 3)"


# ---------------------------------------------------------------- tiers


def test_quantile_tiers_by_hand():
    x = np.array([5.0, 1.0, 4.0, 2.0, 6.0, 3.0])
    got = tiers(x)
    np.testing.assert_array_equal(got, [3, 1, 2, 1, 3, 2])  # tertiles, 1 = smallest
    assert got.dtype.kind == "i"
    np.testing.assert_array_equal(tiers(x, 2), [2, 1, 2, 1, 2, 1])
    np.testing.assert_array_equal(tiers(np.arange(8.0), 4), [1, 1, 2, 2, 3, 3, 4, 4])
    np.testing.assert_array_equal(tiers(np.arange(10.0), n=5), np.repeat([1, 2, 3, 4, 5], 2))


def test_quantile_ties_take_the_lowest_rank():
    # min ranks 1, 2, 2, 2, 5, 6: 1 + floor(3 (r - 1) / 6) = 1, 1, 1, 1, 3, 3 (average ranks would give 2s)
    np.testing.assert_array_equal(tiers([1.0, 2.0, 2.0, 2.0, 5.0, 6.0]), [1, 1, 1, 1, 3, 3])
    np.testing.assert_array_equal(tiers([7.0, 7.0, 7.0]), [1, 1, 1])


def fisher_jenks_by_enumeration(x: np.ndarray, n: int) -> np.ndarray:
    """Class 1..n of each value: the contiguous split of sorted x with least within-class squares."""
    order = np.sort(x)
    best, cuts = np.inf, None
    for split in itertools.combinations(range(1, order.size), n - 1):
        parts = np.split(order, split)
        ss = sum(((p - p.mean()) ** 2).sum() for p in parts)
        if ss < best:
            best, cuts = ss, [p.max() for p in parts[:-1]]
    return 1 + np.sum(x[:, None] > np.array(cuts)[None, :], axis=1)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_jenks_tiers_are_the_optimal_split(n):
    x = np.array([3.0, 31.0, 1.0, 12.0, 2.0, 40.0, 10.0, 30.0, 11.0, 22.0])
    got = tiers(x, n, method="jenks")
    np.testing.assert_array_equal(got, fisher_jenks_by_enumeration(x, n))
    assert set(got) == set(range(1, n + 1))


def test_jenks_break_values_belong_to_the_lower_class():
    x = np.array([1.0, 1.0, 2.0, 10.0, 10.0, 11.0, 100.0, 100.0])
    np.testing.assert_array_equal(tiers(x, method="jenks"), [1, 1, 1, 2, 2, 2, 3, 3])


def test_jenks_with_no_more_distinct_values_than_tiers_uses_quantiles():
    x = np.array([1.0, 2.0, 2.0, 2.0, 2.0, 100.0])  # three distinct values for three tiers
    np.testing.assert_array_equal(tiers(x, method="jenks"), [1, 1, 1, 1, 1, 3])
    np.testing.assert_array_equal(tiers(x, 4, method="jenks"), [1, 1, 1, 1, 1, 4])


def test_tier_values_are_checked():
    with pytest.raises(InputError) as exc:
        tiers(np.ones((2, 2)))
    assert message(exc) == "values: expected a 1-d array, got shape (2, 2)"
    with pytest.raises(InputError) as exc:
        tiers([1.0, np.inf], method="jenks")
    assert message(exc) == "values: non-finite value at index (1,)"


def test_unknown_tier_method():
    with pytest.raises(InputError) as exc:
        tiers([1.0, 2.0, 3.0], method="kmeans")
    assert message(exc) == "method: unknown method 'kmeans'; expected 'quantile' or 'jenks'"


# ---------------------------------------------------------------- shares


def test_shares_allow_zero_and_refuse_negative_or_all_zero():
    np.testing.assert_allclose(shares([0.0, 1.0, 3.0]), [0.0, 0.25, 0.75], rtol=0, atol=0)
    np.testing.assert_allclose(shares([0.2, 0.3]), [0.4, 0.6], rtol=1e-15)  # a total below 1 is fine
    with pytest.raises(InputError) as exc:
        shares([1.0, -1.0])
    assert message(exc) == "values: index 1 has value -1; expected >= 0"
    with pytest.raises(InputError) as exc:
        shares([0.0, 0.0])
    assert message(exc) == "values: all values are zero; shares undefined"
    with pytest.raises(InputError) as exc:
        shares([[1.0, 2.0]])
    assert message(exc) == "values: expected a 1-d array, got shape (1, 2)"


# ---------------------------------------------------------------- moved names


def test_monte_carlo_names_still_import_from_lognormal():
    for name in ("MonteCarloFund", "monte_carlo_fund", "correlation_sqrt"):
        assert getattr(lognormal, name) is getattr(montecarlo, name)
    with pytest.raises(AttributeError) as exc:
        lognormal.low_rank_root  # noqa: B018 - not one of the moved names
    assert message(exc) == "module 'finstab.fund.lognormal' has no attribute 'low_rank_root'"
