"""finstab.fund.montecarlo: the simulated totals rebuilt from the documented seeding, factor roots
checked as factorisations, tail statistics against numpy bit for bit, exact messages.

The module documents that scenario block b draws its normals from
``SeedSequence(seed).spawn(blocks)[b]`` in blocks of 4,096; the tests redraw them here and
compute each group total directly as sum_i g_i S_i exp((mu_i - sigma_i^2/2) T + sigma_i sqrt(T) Z_i).
"""

import numpy as np
import pytest
from scipy import stats

from finstab.core.errors import InputError
from finstab.core.warnings import ConvergenceWarning
from finstab.fund import montecarlo
from finstab.fund.montecarlo import MonteCarloFund, correlation_sqrt, low_rank_root, monte_carlo_fund

HAS_NUMBA = montecarlo._numba_totals() is not None
ENGINES = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed"))]


def message(excinfo) -> str:
    return str(excinfo.value)


def redrawn_normals(seed: int, n_sims: int, k: int) -> np.ndarray:
    """The n_sims x k standard normals of the documented seeding: 4,096 scenarios per block."""
    blocks = -(-n_sims // 4096)
    seqs = np.random.SeedSequence(seed).spawn(blocks)
    parts = [np.random.default_rng(seqs[b]).standard_normal((min(4096, n_sims - 4096 * b), k)) for b in range(blocks)]
    return np.concatenate(parts)


def tail_of(x: np.ndarray, alpha: float) -> tuple[float, float]:
    """numpy's linear quantile and the mean of the scenarios at or below it."""
    q = np.quantile(x, alpha)
    return q, x[x <= q].mean()


# ---------------------------------------------------------------- simulated funds, rebuilt


@pytest.mark.parametrize("engine", ENGINES)
def test_independent_parts_rebuilt_from_the_seeded_draws(engine):
    s0, mu, sigma = np.array([100.0, 40.0]), np.array([0.05, 0.02]), np.array([0.2, 0.35])
    t, alpha, n_sims, seed = 2.0, 0.01, 10_000, 3  # three blocks, the last one short
    res = monte_carlo_fund(s0, mu, sigma, np.eye(2), groups=[[1.0, 0.0], [1.0, 1.0]], group_names=["one", "both"],
                           T=t, alpha=alpha, n_sims=n_sims, seed=seed, engine=engine)
    z = redrawn_normals(seed, n_sims, 2)  # identity correlation: one normal per part
    parts = s0 * np.exp((mu - sigma**2 / 2) * t + sigma * np.sqrt(t) * z)
    expected = s0 * np.exp(mu * t)
    for g, total in enumerate([parts[:, 0], parts.sum(axis=1)]):
        q, tail_mean = tail_of(total, alpha)
        e = expected[0] if g == 0 else expected.sum()
        assert res.expected[g] == pytest.approx(e, rel=1e-14)
        assert res.var_fund[g] == pytest.approx(e - q, rel=1e-10)
        assert res.es_fund[g] == pytest.approx(e - tail_mean, rel=1e-10)
    closed = [stats.lognorm(s=v * np.sqrt(t), scale=s * np.exp((m - v * v / 2) * t)) for s, m, v in zip(
        s0, mu, sigma, strict=True)]
    stand_alone = [d.mean() - d.ppf(alpha) for d in closed]
    assert res.sum_of_parts[0] == pytest.approx(stand_alone[0], rel=1e-10)
    assert res.sum_of_parts[1] == pytest.approx(sum(stand_alone), rel=1e-10)
    assert res.group_names == ("one", "both") and (res.n_sims, res.alpha, res.seed) == (n_sims, alpha, seed)


@pytest.mark.parametrize("engine", ENGINES)
def test_perfectly_correlated_parts_draw_one_normal(engine):
    s0, sigma = np.array([30.0, 70.0, 5.0]), np.array([0.1, 0.25, 0.4])
    res = monte_carlo_fund(s0, 0.03, sigma, np.ones((3, 3)), n_sims=5_000, seed=11, engine=engine)
    assert res.provenance.parameters["rank"] == 1
    z = redrawn_normals(11, 5_000, 1)[:, 0]
    total = sum(s * np.exp(0.03 - v * v / 2 + v * z) for s, v in zip(s0, sigma, strict=True))
    q, tail_mean = tail_of(total, 0.05)
    assert res.var_fund[0] == pytest.approx(s0.sum() * np.exp(0.03) - q, rel=1e-10)
    assert res.es_fund[0] == pytest.approx(s0.sum() * np.exp(0.03) - tail_mean, rel=1e-10)
    assert res.group_names == ("group 0",)


def test_weighted_groups_and_defaults():
    s0, mu, sigma = np.array([10.0, 20.0]), np.array([0.0, 0.04]), np.array([0.3, 0.1])
    res = monte_carlo_fund(s0, mu, sigma, np.eye(2), groups=[[0.5, 2.0]], n_sims=4_096)
    z = redrawn_normals(0, 4_096, 2)
    total = 0.5 * 10.0 * np.exp(-0.045 + 0.3 * z[:, 0]) + 2.0 * 20.0 * np.exp(0.04 - 0.005 + 0.1 * z[:, 1])
    q, tail_mean = tail_of(total, 0.05)
    e = 0.5 * 10.0 + 2.0 * 20.0 * np.exp(0.04)
    assert res.expected[0] == pytest.approx(e, rel=1e-14)
    assert res.var_fund[0] == pytest.approx(e - q, rel=1e-10)
    assert res.es_fund[0] == pytest.approx(e - tail_mean, rel=1e-10)
    p = res.provenance.parameters
    assert p == {"n_sims": 4_096, "alpha": 0.05, "seed": 0, "T": 1.0, "rank": 2, "block": 4_096, "rtol": 0.02,
                 "engine": "numba" if HAS_NUMBA else "numpy"}
    assert sorted(res.provenance.input_hashes) == ["corr", "groups", "mu", "s0", "sigma"]
    assert res.provenance.method == "fund/monte_carlo" and res.rtol == 0.02


def test_a_fake_cluster_gets_seeded_tasks_and_gives_the_local_numbers():
    class Client:
        def __init__(self):
            self.tasks = []

        def map(self, fn, tasks, *, pure):
            assert pure is False
            self.tasks = list(tasks)
            return [fn(task) for task in tasks]

        def gather(self, futures):
            return futures

    args = (np.array([100.0, 40.0, 60.0]), 0.03, np.array([0.2, 0.3, 0.15]), np.eye(3))
    local = monte_carlo_fund(*args, n_sims=9_000, chunk=4_096, seed=2)
    client = Client()
    remote = monte_carlo_fund(*args, n_sims=9_000, chunk=4_096, seed=2, client=client)
    assert len(client.tasks) == 3 and [sum(t[1]) for t in client.tasks] == [4_096, 4_096, 808]
    assert {t[4] for t in client.tasks} == {"numba-serial" if HAS_NUMBA else "numpy"}
    np.testing.assert_allclose(remote.var_fund, local.var_fund, rtol=1e-12)
    np.testing.assert_allclose(remote.es_fund, local.es_fund, rtol=1e-12)
    one = Client()
    single = monte_carlo_fund(*args, n_sims=9_000, chunk=100_000, seed=2, client=one)
    assert len(one.tasks) == 1 and one.tasks[0][1] == [4_096, 4_096, 808]
    np.testing.assert_allclose(single.var_fund, local.var_fund, rtol=1e-12)
    z = redrawn_normals(2, 9_000, 3)
    total = (args[0] * np.exp(0.03 - args[2] ** 2 / 2 + args[2] * z)).sum(axis=1)
    assert local.var_fund[0] == pytest.approx(args[0].sum() * np.exp(0.03) - np.quantile(total, 0.05), rel=1e-10)


def test_simulate_chunk_writes_where_it_is_told():
    loadings = np.array([[0.2, 0.0], [0.0, 0.3]])
    weights = np.array([[1.0, 2.0]])
    seeds = np.random.SeedSequence(5).spawn(2)
    task = (seeds, [4_096, 100], loadings, weights, "numpy")
    fresh = montecarlo._simulate_chunk(task)
    z = np.concatenate([np.random.default_rng(seeds[0]).standard_normal((4_096, 2)),
                        np.random.default_rng(seeds[1]).standard_normal((100, 2))])
    want = np.exp(0.2 * z[:, 0]) + 2.0 * np.exp(0.3 * z[:, 1])
    assert fresh.shape == (1, 4_196)
    np.testing.assert_allclose(fresh[0], want, rtol=1e-14)
    out = np.full((1, 4_200), -1.0)
    montecarlo._simulate_chunk(task, out, 3)
    assert (out[0, :3] == -1).all() and (out[0, 4_199:] == -1).all()
    np.testing.assert_array_equal(out[0, 3:4_199], fresh[0])
    at_start = np.full((1, 4_196), -1.0)
    montecarlo._simulate_chunk(task, at_start)  # the default offset is the first column
    np.testing.assert_array_equal(at_start, fresh)
    if HAS_NUMBA:
        for kernel in ("numba", "numba-serial"):
            compiled = montecarlo._simulate_chunk((seeds, [4_096, 100], loadings, weights, kernel))
            np.testing.assert_allclose(compiled, fresh, rtol=1e-13)
            placed = np.full((1, 4_200), -1.0)
            montecarlo._simulate_chunk((seeds, [4_096, 100], loadings, weights, kernel), placed, 4)
            np.testing.assert_array_equal(placed[0, 4:4_200], compiled[0])
            assert (placed[0, :4] == -1).all()


@pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")
def test_threads_locally_one_thread_per_dask_task(monkeypatch):
    """The compiled totals run threaded locally and single-threaded inside dask tasks."""
    from types import SimpleNamespace

    real = montecarlo._numba_totals()
    used = []
    spy = SimpleNamespace(
        parallel_totals=lambda *a: used.append("parallel") or real.parallel_totals(*a),
        serial_totals=lambda *a: used.append("serial") or real.serial_totals(*a))
    monkeypatch.setattr(montecarlo, "_numba_totals", lambda: spy)
    seeds = np.random.SeedSequence(5).spawn(1)
    args = (seeds, [200], np.array([[0.2, 0.1]]), np.ones((1, 2)))
    a = montecarlo._simulate_chunk((*args, "numba"))
    b = montecarlo._simulate_chunk((*args, "numba-serial"))
    assert used == ["parallel", "serial"]
    np.testing.assert_array_equal(a, b)


def test_sparse_weights_by_part():
    w = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 0.0, 3.0, 4.0]])
    ptr, group, weight = montecarlo._sparse_by_part(w)
    assert ptr.tolist() == [0, 1, 1, 3, 4] and group.tolist() == [0, 0, 1, 1]
    assert weight.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert ptr.dtype == np.int64 and group.dtype == np.int64 and weight.flags["C_CONTIGUOUS"]
    ptr, group, weight = montecarlo._sparse_by_part(np.array([[0.0, 5.0, 0.0, 0.0]]))  # parts 3 and 4 in no group
    assert ptr.tolist() == [0, 0, 1, 1, 1] and group.tolist() == [0] and weight.tolist() == [5.0]


# ---------------------------------------------------------------- tail statistics


def test_quantile_is_numpys_linear_rule_bit_for_bit():
    # n = 11, alpha = 0.05: position 0.5 exactly, where numpy interpolates from the upper point
    x = np.array([0.7, 0.1, 3.0, 2.0, 5.0, 4.0, 9.0, 8.0, 7.0, 6.0, 1.1])
    q, _, tail_mean, _ = montecarlo._tail_stats(x.copy(), 0.05)
    assert q == np.quantile(x, 0.05) and q != 0.1 + (0.7 - 0.1) * 0.5
    assert tail_mean == 0.1
    for alpha, n in ((0.05, 31), (0.01, 250), (0.1, 1_003), (0.3, 77)):
        y = np.random.default_rng(n).lognormal(0, 1, n)
        got = montecarlo._tail_stats(y.copy(), alpha)
        assert got[0] == np.quantile(y, alpha)
        tail = np.sort(y)[: int(np.floor(alpha * (n - 1))) + 1]
        assert got[2] == pytest.approx(tail.mean(), rel=1e-13)
        half = np.sqrt(n * alpha * (1 - alpha))
        lo, hi = int(np.floor(alpha * (n - 1))), int(np.floor(alpha * (n - 1))) + 1
        l1 = min(max(int(np.floor(n * alpha - half)), 0), lo)
        u1 = max(min(int(np.ceil(n * alpha + half)), n - 1), hi)
        assert got[1] == pytest.approx((np.sort(y)[u1] - np.sort(y)[l1]) / 2, rel=1e-14)
        var = tail.var(ddof=1) + (1 - alpha) * (tail.mean() - got[0]) ** 2
        assert got[3] == pytest.approx(np.sqrt(var / tail.size), rel=1e-10)


def test_quantile_below_the_midpoint_and_tiny_samples():
    # seed 25, n 105, alpha 0.01: position 1.04, where numpy interpolates up from the lower point and
    # the other form of the same interpolation differs in the last bit
    x = np.random.default_rng(25).lognormal(0, 1, 105)
    assert montecarlo._tail_stats(x.copy(), 0.01)[0] == np.quantile(x, 0.01)
    for values, alpha in (([5.0, 2.0], 0.3), ([4.0, 1.0, 2.0], 0.4)):
        y = np.array(values)
        q, _, tail_mean, _ = montecarlo._tail_stats(y.copy(), alpha)
        assert q == np.quantile(y, alpha) and tail_mean == y[y <= q].mean()
    # three scenarios at alpha 0.4: the one-sigma order statistics are the first and the last
    assert montecarlo._tail_stats(np.array([4.0, 1.0, 2.0]), 0.4)[1] == (4.0 - 1.0) / 2


def test_ties_at_the_quantile_join_the_tail():
    # 100 scenarios, alpha 0.05: the quantile is 5, shared by 20 scenarios reaching past the upper order statistic
    x = np.concatenate([[1.0, 2.0, 3.0], np.full(20, 5.0), np.arange(6.0, 83.0)])
    rng = np.random.default_rng(0)
    q, q_se, tail_mean, tail_se = montecarlo._tail_stats(rng.permutation(x), 0.05)
    tail = x[x <= 5.0]
    assert q == 5.0 and tail.size == 23
    assert tail_mean == pytest.approx(tail.mean(), rel=1e-15)
    assert q_se == (np.sort(x)[8] - np.sort(x)[2]) / 2  # order statistics 2 and 8
    var = ((tail - tail.mean()) ** 2).sum() / 22 + 0.95 * (tail.mean() - 5.0) ** 2
    assert tail_se == pytest.approx(np.sqrt(var / 23), rel=1e-13)
    # ties that stop before the upper order statistic
    y = np.concatenate([[1.0, 2.0, 3.0, 4.0], np.full(3, 5.0), np.arange(6.0, 99.0)])
    q, _, tail_mean, tail_se = montecarlo._tail_stats(rng.permutation(y), 0.05)
    assert q == 5.0 and tail_mean == pytest.approx((1 + 2 + 3 + 4 + 15) / 7, rel=1e-15)
    t = y[y <= 5.0]
    assert tail_se == pytest.approx(np.sqrt((t.var(ddof=1) + 0.95 * (t.mean() - 5) ** 2) / 7), rel=1e-13)


def test_tail_of_a_single_scenario_below_the_quantile():
    x = np.arange(1.0, 101.0)  # alpha 0.01: position 0.99, the tail is one scenario
    q, q_se, tail_mean, tail_se = montecarlo._tail_stats(x.copy(), 0.01)
    assert q == pytest.approx(1.99, rel=1e-15) and tail_mean == 1.0
    assert tail_se == pytest.approx(np.sqrt(0.99 * 0.99**2 / 1), rel=1e-13)  # no variance term with one point
    assert q_se == (x[2] - x[0]) / 2


# ---------------------------------------------------------------- the result


def make_result(**kw) -> MonteCarloFund:
    base = dict(group_names=("a", "b", "c"), expected=np.array([110.0, 50.0, 60.0]),
                var_fund=np.array([10.0, 4.0, 8.0]), es_fund=np.array([12.0, 5.0, 9.0]),
                sum_of_parts=np.array([12.5, 4.0, 10.0]), n_sims=1_000, alpha=0.05, seed=3,
                var_se=np.array([0.2, 0.08, 0.2]), es_se=np.array([0.24, 0.1, 0.1]))
    return MonteCarloFund(**{**base, **kw})


def test_converged_at_exactly_rtol_and_diversification():
    res = make_result()  # var_se = 2 % of the fund exactly in a and b; es_se 2 % in a and b
    assert res.converged.tolist() == [True, True, False]
    np.testing.assert_allclose(res.diversification_benefit, [0.2, 0.0, 0.2], rtol=1e-15, atol=1e-15)
    assert make_result(rtol=0.05).converged.tolist() == [True, True, True]
    assert make_result(es_se=np.array([0.25, 0.1, 0.1])).converged.tolist() == [False, True, False]
    negative = make_result(var_fund=np.array([-10.0, 4.0, 8.0]), es_fund=np.array([-12.0, 5.0, 9.0]))
    assert negative.converged.tolist() == [True, True, False]
    zero = make_result(sum_of_parts=np.array([0.0, 4.0, 10.0]), var_fund=np.array([0.0, 4.0, 8.0]))
    assert np.isnan(zero.diversification_benefit[0])


def test_result_table_and_summaries():
    res = make_result()
    table = res.tables()["groups"]
    assert list(table.columns) == ["group", "expected", "var_fund", "es_fund", "sum_of_parts",
                                   "diversification_benefit", "var_se", "es_se", "converged"]
    assert table["group"].tolist() == ["a", "b", "c"] and table["converged"].tolist() == [True, True, False]
    assert table["es_se"].tolist() == [0.24, 0.1, 0.1]
    en = res.with_lang("en").summary().splitlines()
    assert en[0] == "Monte Carlo fund, 1,000 scenarios, alpha 0.05, seed 3"
    assert en[1].split() == ["group", "expected", "var_fund", "es_fund", "sum_of_parts",
                             "diversification_benefit", "converged"]
    zh = res.summary().splitlines()
    assert zh[0] == "蒙特卡洛基金规模：1,000 个情景，alpha 0.05，种子 3"
    # one row per group led by its name (no index), values to four decimals
    odd = make_result(var_fund=np.array([10.123456, 4.0, 8.0]))
    row = odd.with_lang("en").summary().splitlines()[2].split()
    assert row[:4] == ["a", "110.0", "10.1235", "12.0"] and row[-1] == "True"
    assert row[5] == f"{1 - 10.123456 / 12.5:.4f}"


# ---------------------------------------------------------------- roots of correlation matrices


def test_correlation_sqrt_keeps_or_drops_columns():
    c = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # rank 2
    full = correlation_sqrt(c)
    assert full.shape == (3, 3)
    np.testing.assert_allclose(full @ full.T, c, atol=1e-14)
    low = correlation_sqrt(c, rank_tol=1e-10)
    assert low.shape == (3, 2)
    np.testing.assert_allclose(low @ low.T, c, atol=1e-14)
    assert correlation_sqrt(c, rank_tol=0.6).shape == (3, 1)  # eigenvalues 2, 1, 0: keeps those above 1.2
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])  # one negative eigenvalue
    vals, vecs = np.linalg.eigh(bad)
    assert (vals < -0.5).sum() == 1
    clipped = correlation_sqrt(bad)
    assert clipped.shape == (3, 3) and np.abs(clipped[:, 0]).max() == 0.0
    np.testing.assert_allclose(clipped @ clipped.T, (vecs * np.clip(vals, 0, None)) @ vecs.T, atol=1e-14)


def test_pivoted_cholesky_picks_the_largest_remaining_variance():
    c = np.array([[1.0, 0.99, 0.1], [0.99, 1.0, 0.1], [0.1, 0.1, 1.0]])
    root = low_rank_root(c)
    np.testing.assert_allclose(root @ root.T, c, atol=1e-15)
    # pivots 0, then 2 (conditional variance 0.99 against 0.0199), then 1: triangular in that order
    np.testing.assert_array_equal(root[:, 0], c[:, 0])
    assert root[0, 1] == 0.0 and root[0, 2] == 0.0 and root[2, 2] == 0.0
    assert root[2, 1] == pytest.approx(np.sqrt(0.99), rel=1e-15)
    assert root[1, 2] > 0
    np.testing.assert_array_equal(low_rank_root(np.eye(4)), np.eye(4))
    ones = low_rank_root(np.ones((3, 3)))
    assert ones.shape == (3, 1) and ones[:, 0].tolist() == [1.0, 1.0, 1.0]


def test_low_rank_root_tolerance_and_fallback():
    c = np.array([[1.0, 0.9], [0.9, 1.0]])
    assert low_rank_root(c).shape == (2, 2)
    # remaining variance 0.19 below tol 0.5: one pivot cannot reproduce c, so eigenvalues
    # 1.9 and 0.1 decide and only 1.9 (above 0.5 x 1.9) is kept
    coarse = low_rank_root(c, tol=0.5)
    assert coarse.shape == (2, 1)
    np.testing.assert_allclose(np.abs(coarse[:, 0]), [np.sqrt(0.95), np.sqrt(0.95)], rtol=1e-14)
    # conditional variances just above the default 1e-10 are kept as a column
    eps = 1e-9
    near = np.array([[1.0, np.sqrt(1 - eps)], [np.sqrt(1 - eps), 1.0]])
    assert low_rank_root(near).shape == (2, 2)
    assert low_rank_root(near, tol=1e-8).shape == (2, 1)


@pytest.mark.parametrize(("corr", "text"), [
    (np.ones((2, 3)), "corr: correlation matrix must be square and symmetric"),
    (np.array([[1.0, 0.5], [0.501, 1.0]]), "corr: correlation matrix must be square and symmetric"),
    (np.array([[1.0, 1e-9], [0.0, 1.0]]), "corr: correlation matrix must be square and symmetric"),
    (np.array([[1.0, 0.0], [0.0, 1.0001]]), "corr: correlation matrix must have a unit diagonal"),
    (np.ones(3), "corr: expected a 2-d array, got shape (3,)"),
])
def test_correlation_checks(corr, text):
    for func in (low_rank_root, correlation_sqrt):
        with pytest.raises(InputError) as exc:
            func(corr)
        assert message(exc) == text


def test_correlation_checks_allow_rounding():
    c = np.array([[1.0 + 1e-9, 0.5], [0.5 + 1e-11, 1.0]])
    assert low_rank_root(c).shape == (2, 2)


# ---------------------------------------------------------------- messages and warnings


ARGS = (np.array([100.0, 50.0, 30.0]), 0.05, 0.2, np.eye(3))


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"corr": np.eye(2)}, "corr: corr is 2x2 for 3 parts"),
    ({"groups": np.ones((1, 2))}, "groups: groups has 2 columns for 3 parts"),
    ({"groups": np.ones(3)}, "groups: expected a 2-d array, got shape (3,)"),
    ({"group_names": ["a", "b"]}, "group_names: 2 names for 1 groups"),
    ({"n_sims": 99}, "n_sims: n_sims = 99; expected a whole number >= 100"),
    ({"n_sims": 1000.0}, "n_sims: n_sims = 1000.0; expected a whole number >= 100"),
    ({"n_sims": True}, "n_sims: n_sims = True; expected a whole number >= 100"),
    ({"chunk": 0}, "chunk: chunk = 0; expected a whole number >= 1"),
    ({"chunk": 2.5}, "chunk: chunk = 2.5; expected a whole number >= 1"),
    ({"chunk": True}, "chunk: chunk = True; expected a whole number >= 1"),
    ({"rtol": 0.0}, "rtol: rtol = 0.0; expected > 0"),
    ({"T": 0.0}, "T: T = 0.0; expected > 0"),
    ({"alpha": 0.5}, "alpha: alpha = 0.5; expected a tail probability in (0, 0.5)"),
    ({"engine": "gpu"}, "engine: 'gpu' is not one of 'auto', 'numba', 'numpy'"),
    ({"s0": np.array([1.0, 0.0, 1.0])}, "s0: index 1 has value 0; expected > 0"),
    ({"s0": np.ones((3, 1))}, "s0: expected a 1-d array, got shape (3, 1)"),
    ({"sigma": -0.1}, "sigma: index 0 has value -0.1; expected >= 0"),
    ({"mu": np.nan}, "mu: non-finite value at index ()"),
])
def test_bad_arguments_exact_messages(kwargs, text):
    args = dict(zip(("s0", "mu", "sigma", "corr"), ARGS, strict=True))
    args.update({k: v for k, v in kwargs.items() if k in args})
    rest = {k: v for k, v in kwargs.items() if k not in args}
    with pytest.raises(InputError) as exc:
        monte_carlo_fund(args["s0"], args["mu"], args["sigma"], args["corr"], **rest)
    assert message(exc) == text


def test_smallest_accepted_sizes():
    ok = monte_carlo_fund(*ARGS, n_sims=np.int64(100), chunk=np.int64(1), rtol=10.0)
    assert ok.n_sims == 100 and type(ok.n_sims) is int and ok.warnings == ()
    zero = monte_carlo_fund(ARGS[0], 0.05, 0.0, ARGS[3], n_sims=100, rtol=10.0)
    np.testing.assert_allclose(zero.var_fund, 0.0, atol=1e-12)
    np.testing.assert_allclose(zero.sum_of_parts, 0.0, atol=1e-12)


def test_without_numba(monkeypatch):
    monkeypatch.setattr(montecarlo, "_numba_totals", lambda: None)
    with pytest.raises(InputError) as exc:
        monte_carlo_fund(*ARGS, n_sims=200, engine="numba")
    assert message(exc) == "engine: engine 'numba' needs numba; pip install 'finstab[fast]'"
    auto = monte_carlo_fund(*ARGS, n_sims=200, rtol=10.0)
    assert auto.provenance.parameters["engine"] == "numpy"
    seeds = np.random.SeedSequence(0).spawn(1)
    with pytest.raises(InputError) as exc:
        montecarlo._simulate_chunk((seeds, [100], np.eye(2), np.ones((1, 2)), "numba-serial"))
    assert message(exc) == "engine: engine 'numba' needs numba on every worker; pip install 'finstab[fast]'"


def test_loose_groups_are_named_in_one_warning():
    s0 = np.arange(1.0, 8.0) * 10
    groups = np.eye(7)
    names = [f"g{i}" for i in range(7)]
    with pytest.warns(ConvergenceWarning) as caught:
        res = monte_carlo_fund(s0, 0.03, 0.3, np.eye(7), groups=groups, group_names=names, n_sims=300, rtol=0.01)
    text = ("Monte Carlo: 7 of 7 groups have a standard error above 1% of their fund with 300 scenarios: "
            "g0, g1, g2, g3, g4 and 2 more; increase n_sims")
    assert [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)] == [text]
    assert res.warnings == (f"ConvergenceWarning: {text}",)
    with pytest.warns(ConvergenceWarning, match=r"^Monte Carlo: 5 of 5 groups .*: g0, g1, g2, g3, g4; increase"):
        monte_carlo_fund(s0[:5], 0.03, 0.3, np.eye(5), groups=np.eye(5), group_names=names[:5], n_sims=300,
                         rtol=0.01)


def test_every_input_changes_its_own_hash():
    base = {"s0": np.array([10.0, 20.0]), "mu": np.array([0.0, 0.04]), "sigma": np.array([0.3, 0.1]),
            "corr": np.eye(2), "groups": [[1.0, 1.0]]}
    changed = {"s0": np.array([11.0, 20.0]), "mu": np.array([0.01, 0.04]), "sigma": np.array([0.3, 0.2]),
               "corr": np.array([[1.0, 0.5], [0.5, 1.0]]), "groups": [[1.0, 2.0]]}
    hashes = monte_carlo_fund(base["s0"], base["mu"], base["sigma"], base["corr"], groups=base["groups"],
                              n_sims=128).provenance.input_hashes
    for name, value in changed.items():
        args = {**base, name: value}
        other = monte_carlo_fund(args["s0"], args["mu"], args["sigma"], args["corr"], groups=args["groups"],
                                 n_sims=128).provenance.input_hashes
        assert [k for k in hashes if hashes[k] != other[k]] == [name]
