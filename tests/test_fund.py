import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from scipy import stats
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.core.errors import DataError, InputError
from finstab.core.io import read_table
from finstab.core.results import Result
from finstab.core.warnings import ConvergenceWarning
from finstab.fund import montecarlo
from finstab.fund.lognormal import (
    es_fund_size,
    jarque_bera,
    log_moments,
    shares,
    tiers,
    var_fund_size,
)
from finstab.fund.montecarlo import MonteCarloFund, low_rank_root, monte_carlo_fund
from finstab.fund.sectors import compile_cca
from finstab.pipelines import run_fund_sizing
from finstab.samples import sample_path


def test_var_closed_form():
    s0, mu, sigma = 100.0, 0.06, 0.25
    z = stats.norm.ppf(0.05)  # -1.6449
    expected = s0 * np.exp(mu)
    quantile = stats.lognorm(s=sigma, scale=s0 * np.exp(mu - sigma**2 / 2)).ppf(0.05)
    assert quantile == pytest.approx(s0 * np.exp(mu - sigma**2 / 2 + sigma * z))
    assert var_fund_size(s0, mu, sigma) == pytest.approx(expected - quantile, rel=1e-12)
    assert var_fund_size(s0, mu, 0.0) == pytest.approx(0.0, abs=1e-12)


def test_es_closed_form_against_numerical_integral():
    s0, mu, sigma = 50.0, 0.03, 0.3
    dist = stats.lognorm(s=sigma, scale=s0 * np.exp(mu - sigma**2 / 2))
    q = dist.ppf(0.05)
    tail_mean = dist.expect(lambda x: x, ub=q) / 0.05
    assert es_fund_size(s0, mu, sigma) == pytest.approx(s0 * np.exp(mu) - tail_mean, rel=1e-6)
    assert es_fund_size(s0, mu, sigma) > var_fund_size(s0, mu, sigma)


def test_log_moments():
    path = 100 * np.exp(np.cumsum([0, 0.1, 0.05, 0.15, 0.1]))
    mu, sigma = log_moments(path)
    changes = np.array([0.1, 0.05, 0.15, 0.1])
    assert sigma == pytest.approx(changes.std(ddof=1))
    assert mu == pytest.approx(changes.mean() + sigma**2 / 2)


def test_jarque_bera_equals_scipy():
    x = np.random.default_rng(3).normal(size=50)
    res = stats.jarque_bera(x)
    assert jarque_bera(x) == (pytest.approx(res.statistic), pytest.approx(res.pvalue))


@given(st.lists(st.sampled_from([1.0, 2.0, 3.0, 5.0]), min_size=3, max_size=40))
def test_tiers_stable_under_ties(values):
    t = tiers(values)
    for v in set(values):
        assert len(set(t[np.array(values) == v])) == 1
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(t[order]) >= 0)
    assert set(t) <= {1, 2, 3}


def test_tertiles_and_jenks():
    x = np.arange(1, 31, dtype=float)
    np.testing.assert_array_equal(np.bincount(tiers(x))[1:], [10, 10, 10])
    jenks = tiers(np.r_[np.ones(5), np.full(5, 10.0), np.full(5, 100.0)], method="jenks")
    np.testing.assert_array_equal(jenks, np.repeat([1, 2, 3], 5))


def test_shares_sum_to_one():
    np.testing.assert_allclose(shares([1, 3, 6]).sum(), 1)
    with pytest.raises(InputError):
        shares([0, 0])


def test_monte_carlo_converges_to_closed_form_with_perfect_correlation():
    s0 = np.array([100.0, 50.0, 30.0])
    mc = monte_carlo_fund(s0, 0.05, 0.2, np.ones((3, 3)), n_sims=400_000, seed=11)
    # perfectly correlated parts with equal drift and volatility: the total is lognormal
    assert mc.var_fund[0] == pytest.approx(var_fund_size(180.0, 0.05, 0.2), rel=0.01)
    assert mc.es_fund[0] == pytest.approx(es_fund_size(180.0, 0.05, 0.2), rel=0.01)
    assert mc.diversification_benefit[0] == pytest.approx(0.0, abs=0.01)


HAS_NUMBA = montecarlo._numba_totals() is not None
MC_ENGINES = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed"))]


def _rank11_problem(n_parts=30, seed=4):
    rng = np.random.default_rng(seed)
    corr = np.corrcoef(rng.normal(size=(12, n_parts)), rowvar=False)
    groups = np.vstack([np.ones(n_parts), np.arange(n_parts) % 3 == 0, np.arange(n_parts) < 10]).astype(float)
    return rng.uniform(10, 100, n_parts), rng.uniform(0.0, 0.08, n_parts), rng.uniform(0.05, 0.3, n_parts), \
        corr, groups


@pytest.mark.parametrize("engine", MC_ENGINES)
def test_monte_carlo_same_seed_same_result_any_chunking(engine):
    args = _rank11_problem()
    kw = {"groups": args[4], "n_sims": 20_000, "seed": 5, "engine": engine}
    a = monte_carlo_fund(*args[:4], chunk=5_000, **kw)
    for chunk in (1, 4_096, 7_000, 20_000, 1_000_000):
        b = monte_carlo_fund(*args[:4], chunk=chunk, **kw)
        for name in ("var_fund", "es_fund", "var_se", "es_se"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (0 < a.diversification_benefit[0] < 1) and a.converged.dtype == bool


@pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")
def test_monte_carlo_engines_agree():
    args = _rank11_problem()
    a = monte_carlo_fund(*args[:4], groups=args[4], n_sims=30_000, seed=9, engine="numba")
    b = monte_carlo_fund(*args[:4], groups=args[4], n_sims=30_000, seed=9, engine="numpy")
    for name in ("var_fund", "es_fund", "var_se", "es_se"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12)


def test_monte_carlo_on_dask_matches_local():
    distributed = pytest.importorskip("dask.distributed")
    args = _rank11_problem()
    kw = {"groups": args[4], "n_sims": 20_000, "chunk": 5_000, "seed": 5}
    local = monte_carlo_fund(*args[:4], **kw)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = monte_carlo_fund(*args[:4], client=client, **kw)
    for name in ("var_fund", "es_fund", "var_se", "es_se"):
        np.testing.assert_array_equal(getattr(local, name), getattr(remote, name))


def test_low_rank_root_factor_form():
    corr = _rank11_problem(n_parts=40)[3]
    root = low_rank_root(corr)
    assert root.shape == (40, 11)  # 12 annual changes: rank 11
    np.testing.assert_allclose(root @ root.T, corr, atol=1e-9)
    # a matrix that is not positive semi-definite: eigenvalues clipped instead
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    clipped = low_rank_root(bad)
    vals, vecs = np.linalg.eigh(bad)
    np.testing.assert_allclose(clipped @ clipped.T, (vecs * np.clip(vals, 0, None)) @ vecs.T, atol=1e-12)
    with pytest.raises(InputError, match="unit diagonal"):
        low_rank_root(np.array([[2.0, 0.0], [0.0, 1.0]]))


def test_tail_statistics_match_numpy_quantile():
    rng = np.random.default_rng(0)
    for n in (101, 1_000, 20_001):
        x = rng.lognormal(0, 0.5, n)
        q, q_se, tail_mean, tail_se = montecarlo._tail_stats(x.copy(), 0.05)
        assert q == pytest.approx(np.quantile(x, 0.05), rel=1e-14)
        assert tail_mean == pytest.approx(x[x <= q].mean(), rel=1e-12)
        tail = x[x <= q]
        assert tail_se == pytest.approx(np.sqrt((tail.var(ddof=1) + 0.95 * (tail.mean() - q) ** 2) / tail.size),
                                        rel=1e-9)
        half = np.sqrt(n * 0.05 * 0.95)
        lo, hi = np.sort(x)[[int(np.floor(n * 0.05 - half)), int(np.ceil(n * 0.05 + half))]]
        assert q_se == pytest.approx((hi - lo) / 2, rel=1e-12)
    ties = np.r_[np.zeros(10), np.ones(90)]
    assert montecarlo._tail_stats(ties.copy(), 0.05)[2] == 0.0


@pytest.mark.filterwarnings("ignore::finstab.core.warnings.ConvergenceWarning")
def test_standard_errors_match_the_spread_over_seeds():
    """The reported standard errors are close to the scatter of the funds over 40 seeds."""
    args = _rank11_problem(n_parts=12)
    runs = [monte_carlo_fund(*args[:4], n_sims=4_000, seed=s, engine="numpy") for s in range(40)]
    var = np.array([r.var_fund[0] for r in runs])
    es = np.array([r.es_fund[0] for r in runs])
    assert np.mean([r.var_se[0] for r in runs]) == pytest.approx(var.std(ddof=1), rel=0.4)
    assert np.mean([r.es_se[0] for r in runs]) == pytest.approx(es.std(ddof=1), rel=0.4)


def test_monte_carlo_result_protocol_and_warning():
    args = _rank11_problem()
    with pytest.warns(ConvergenceWarning, match="increase n_sims"):
        small = monte_carlo_fund(*args[:4], groups=args[4], group_names=["all", "thirds", "first ten"],
                                 n_sims=200, seed=1, rtol=0.001)
    assert isinstance(small, MonteCarloFund) and isinstance(small, Result) and small.kind == "monte_carlo"
    frame = small.to_frame()
    assert list(frame["group"]) == ["all", "thirds", "first ten"] and not frame["converged"].any()
    assert small.warnings and "ConvergenceWarning" in small.warnings[0]
    assert str(small) == small.summary() and "! ConvergenceWarning" in small.summary()
    assert small.provenance.method == "fund/monte_carlo" and small.provenance.parameters["rank"] == 11
    big = monte_carlo_fund(*args[:4], groups=args[4], n_sims=50_000, seed=1)
    assert big.to_frame()["converged"].all() and big.warnings == ()
    with pytest.raises(InputError, match="n_sims"):
        monte_carlo_fund(*args[:4], n_sims=50)
    with pytest.raises(InputError, match="engine"):
        monte_carlo_fund(*args[:4], engine="gpu")


@pytest.fixture(scope="module")
def sample_result():
    return run_fund_sizing(sample_path("cca"), mc_year=2020, n_sims=5_000)


def test_pipeline_shares_and_tiers(sample_result):
    y = sample_result.rows(2020)
    assert len(y) == 31 * 4
    np.testing.assert_allclose(y.groupby("province")["share_in_province"].sum(), 1)
    np.testing.assert_allclose(y.groupby("sector")["share_in_sector"].sum(), 1)
    assert set(y["tier"]) == {1, 2, 3}
    np.testing.assert_allclose(sample_result.province_ranking(2020)["share"].sum(), 1)
    row = y.iloc[0]
    s0, mu, sigma = row["market_value"], row["mu"], row["sigma"]
    quantile = stats.lognorm(s=sigma, scale=s0 * np.exp(mu - sigma**2 / 2)).ppf(0.05)  # independent S*
    assert row["fund"] == pytest.approx(s0 * np.exp(mu) - quantile, rel=1e-10)
    assert sample_result.provenance.synthetic
    assert sample_result.monte_carlo["group"].iloc[0] == "system"
    with pytest.raises(InputError, match="no fund sizes for 1999"):
        sample_result.rows(1999)


def test_compiler_uses_conventions():
    bs = read_table(sample_path("cca/balance_sheets.csv"))
    mk = read_table(sample_path("cca/market.csv"))
    cca = compile_cca(bs, mk)
    corp = bs[(bs["sector"] == "corporate") & (bs["year"] == 2015)].iloc[0]
    row = cca[(cca["sector"] == "corporate") & (cca["year"] == 2015) & (cca["province"] == corp["province"])]
    assert row["default_point"].iloc[0] == pytest.approx(
        corp["current_liabilities"] + 0.5 * corp["noncurrent_liabilities"])
    hh = bs[(bs["sector"] == "household") & (bs["year"] == 2015)].iloc[0]
    m = mk[mk["year"] == 2015].iloc[0]
    got = cca[(cca["sector"] == "household") & (cca["year"] == 2015) & (cca["province"] == hh["province"])]
    expected = hh["total_liabilities"] * ((1 + m["mortgage_rate"]) / (1 + m["household_discount_rate"])) \
        ** m["household_loan_term"]
    assert got["debt_value"].iloc[0] == pytest.approx(expected)
    fin = cca[cca["sector"] == "financial"]
    np.testing.assert_allclose(fin["market_value"], fin["asset_value"])
    assert cca["converged"].dtype == bool and cca["converged"].all()


def test_compiler_flags_unconverged_balance_sheets():
    """A corporate sector with equity 1e-13 of its liabilities cannot be solved to 1e-8: the row
    keeps converged=False and one warning names it."""
    bs = read_table(sample_path("cca/balance_sheets.csv"))
    mk = read_table(sample_path("cca/market.csv"))
    hit = (bs["sector"] == "corporate") & (bs["province"] == "GD") & (bs["year"] == 2015)
    bs.loc[hit, "market_cap"] = bs.loc[hit, "current_liabilities"] * 1e-13
    with pytest.warns(ConvergenceWarning, match=r"CCA: 1 of [\d,]+ Merton balance sheets did not converge.*"
                                                r"\(GD, 2015, corporate\)") as caught:
        cca = compile_cca(bs, mk)
    assert sum(issubclass(w.category, ConvergenceWarning) for w in caught) == 1
    bad = cca[~cca["converged"]]
    assert bad[["province", "year", "sector"]].values.tolist() == [["GD", 2015, "corporate"]]


def test_compiler_bad_input(tmp_path):
    bs = read_table(sample_path("cca/balance_sheets.csv"))
    mk = read_table(sample_path("cca/market.csv"))
    with pytest.raises(DataError, match="missing column 'deposits'"):
        compile_cca(bs.drop(columns="deposits"), mk)
    with pytest.raises(DataError, match=r"no market inputs for years \[2020\]"):
        compile_cca(bs, mk[mk["year"] < 2020])
    bad = bs.copy()
    bad.loc[(bad["sector"] == "financial") & (bad["province"] == "GD") & (bad["year"] == 2012), "deposits"] = -5
    with pytest.raises(InputError, match=r"entity '\(GD, 2012, financial\)'"):
        compile_cca(bad, mk)
    with pytest.raises(DataError, match="duplicate row"):
        compile_cca(pd.concat([bs, bs.iloc[[0]]]), mk)


def test_cli_fund_size(tmp_path):
    res = CliRunner().invoke(app, ["fund", "size", "--data", str(sample_path("cca")), "--year", "2020",
                                   "--out", str(tmp_path / "o"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "Sector allocation" in res.output and "Jarque-Bera" in res.output
    assert "Guangdong" in res.output and "recorded run" in res.output
    sheets = load_workbook(tmp_path / "o" / "results.xlsx").sheetnames
    assert {"provinces", "sectors", "tiers", "trends", "jarque_bera", "provenance"} <= set(sheets)
    res = CliRunner().invoke(app, ["fund", "size", "--data", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "nope" in res.output
