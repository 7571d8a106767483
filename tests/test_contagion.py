import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.contagion import aggregate_network, debtrank, eisenberg_noe, furfine_cascade, rank_nodes
from finstab.contagion.network import read_network
from finstab.core.errors import DataError, InputError
from finstab.samples import sample_path

# Three banks, worked by hand (liabilities[i, j] = what i owes j)
L3 = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0.0]])
E3 = np.array([18.0, 18.0, 9.0])
EXT3 = np.array([17.0, 18.0, 8.0])


def picard(L, e, ext=None, steps=20_000):
    """Independent greatest fixed point: iterate p <- min(p-bar, e + Pi^T p) from p-bar."""
    ext = np.zeros(len(e)) if ext is None else ext
    pbar = L.sum(axis=1) + ext
    pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    p = pbar.copy()
    for _ in range(steps):
        p = np.minimum(pbar, np.maximum(e + pi.T @ p, 0))
    return p


def test_three_banks_by_hand():
    res = eisenberg_noe(L3, E3, external_liabilities=EXT3)
    # bank 0: 18 + 2 received < 21 owed -> pays 20; bank 1: 18 + 20*4/21 >= 21; bank 2: 9 + 3 >= 10
    np.testing.assert_allclose(res.payments, [20, 21, 10])
    np.testing.assert_array_equal(res.defaulted, [True, False, False])
    np.testing.assert_allclose(res.net_worth, [-1, 18 + 80 / 21 - 21, 2])
    np.testing.assert_allclose(res.external_paid, [20 * 17 / 21, 18, 8])


def test_ring_with_zero_external_assets():
    # a ring where nobody has outside money: the greatest clearing vector is full payment
    L = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0.0]])
    np.testing.assert_allclose(eisenberg_noe(L, np.zeros(3)).payments, [1, 1, 1])
    # one bank short by 0.5 with no other assets: the cycle carries the shortfall round
    res = eisenberg_noe(L, [0, 0, 0], external_liabilities=[0.5, 0, 0])
    np.testing.assert_allclose(res.payments, picard(L, np.zeros(3), np.array([0.5, 0, 0])), atol=1e-12)
    np.testing.assert_allclose(res.payments, 0, atol=1e-12)


@given(st.integers(2, 12), st.integers(0, 10_000))
@settings(max_examples=60, deadline=None)
def test_matches_independent_fixed_point_and_identities(n, seed):
    rng = np.random.default_rng(seed)
    L = rng.exponential(1, (n, n)) * (rng.random((n, n)) < 0.5)
    np.fill_diagonal(L, 0)
    e = rng.exponential(0.6, n)
    ext = rng.exponential(0.5, n)
    res = eisenberg_noe(L, e, external_liabilities=ext)
    np.testing.assert_allclose(res.payments, picard(L, e, ext), atol=1e-8)
    assert np.all(res.payments <= res.obligations + 1e-12)
    # what defaulted banks pay equals what they have
    pbar = L.sum(axis=1) + ext
    pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    have = e + pi.T @ res.payments
    np.testing.assert_allclose(res.payments[res.defaulted], have[res.defaulted], atol=1e-9)
    # money is conserved: interbank payments made = interbank payments received
    made = (res.payments * np.divide(L.sum(axis=1), pbar, out=np.zeros(n), where=pbar > 0)).sum()
    assert made == pytest.approx((pi.T @ res.payments).sum())


def test_sparse_equals_dense_and_bankruptcy_costs():
    rng = np.random.default_rng(0)
    L = rng.exponential(1, (30, 30)) * (rng.random((30, 30)) < 0.2)
    np.fill_diagonal(L, 0)
    e = rng.exponential(0.5, 30)
    dense = eisenberg_noe(L, e)
    sparse = eisenberg_noe(sp.csr_matrix(L), e)
    np.testing.assert_allclose(dense.payments, sparse.payments)
    rv = eisenberg_noe(L, e, alpha=0.5, beta=0.8)
    assert np.all(rv.payments <= dense.payments + 1e-12)
    assert rv.defaulted.sum() >= dense.defaulted.sum()


def test_senior_external_liabilities_paid_first():
    res = eisenberg_noe(L3, E3, external_liabilities=EXT3, seniority="senior")
    # bank 0 has 18 + receipts; pays its 17 external first, then only the rest to bank 1
    assert res.external_paid[0] == pytest.approx(17)
    assert res.payments[0] < 4


@pytest.mark.parametrize(("args", "message"), [
    (([[0, -1], [1, 0]], [1, 1]), "negative exposure"),
    (([[0, 1, 1], [1, 0, 1]], [1, 1]), "square"),
    ((L3, [1, 1]), r"length 2 for 3 nodes"),
    (([[1, 1], [1, 0]], [1, 1]), "diagonal"),
])
def test_bad_inputs(args, message):
    with pytest.raises(InputError, match=message):
        eisenberg_noe(*args)


X3 = L3.T  # exposures: what i lent to j
BUF3 = np.array([3.0, 2.0, 2.0])


def test_debtrank_by_hand():
    # W[i, j] = min(1, X[i, j] / E_i): W[1, 0] = 4/2 -> 1, W[2, 1] = 3/2 -> 1, W[0, 2] = 2/3
    res = debtrank(X3, BUF3, [1, 1, 1], [0, 0, 1])
    # bank 2 distressed -> bank 0 gets 2/3; bank 0 (2/3) -> bank 1 gets min(1, 2/3) ...
    np.testing.assert_allclose(res.distress, [2 / 3, 2 / 3, 1])
    assert res.debtrank == pytest.approx(4 / 9)
    # linear variant: increments keep propagating around the cycle until capped at 1
    lin = debtrank(X3, BUF3, [1, 1, 1], [0, 0, 1], variant="bardoscia2015")
    assert lin.total >= res.total - 1e-12
    assert np.all(lin.distress <= 1)


@given(st.floats(0, 1), st.floats(0, 1), st.integers(0, 1000))
@settings(max_examples=60, deadline=None)
def test_debtrank_bounded_and_monotone(a, b, seed):
    rng = np.random.default_rng(seed)
    X = rng.exponential(1, (8, 8)) * (rng.random((8, 8)) < 0.4)
    np.fill_diagonal(X, 0)
    buf = rng.uniform(0.5, 3, 8)
    lo, hi = sorted((a, b))
    for variant in ("battiston2012", "bardoscia2015"):
        r_lo = debtrank(X, buf, np.ones(8), np.full(8, lo) * (np.arange(8) < 3), variant)
        r_hi = debtrank(X, buf, np.ones(8), np.full(8, hi) * (np.arange(8) < 3), variant)
        assert np.all((r_hi.distress >= 0) & (r_hi.distress <= 1))
        assert 0 <= r_hi.total <= 1
        assert r_hi.total >= r_lo.total - 1e-12


def test_rank_nodes_equals_single_runs():
    ranking = rank_nodes(X3, BUF3, [1, 1, 1], batch=2).set_index("node")
    for k in range(3):
        shock = np.eye(3)[k]
        assert ranking.loc[k, "impact"] == pytest.approx(debtrank(X3, BUF3, [1, 1, 1], shock).debtrank)


def test_furfine_cascade():
    rounds_of, rounds = furfine_cascade(X3, BUF3, [2])
    # bank 0 lent 2 to bank 2 < buffer 3: survives; nobody else is exposed to 2
    np.testing.assert_array_equal(rounds_of, [-1, -1, 0])
    rounds_of, rounds = furfine_cascade(X3, [1.5, 2, 2], [2])
    np.testing.assert_array_equal(rounds_of, [1, 2, 0])
    assert rounds == [[2], [0], [1]]


def test_aggregate_network():
    agg = aggregate_network(X3, ["north", "north", "south"])
    assert agg.loc["north", "north"] == pytest.approx(X3[:2, :2].sum())
    assert agg.loc["south", "north"] == pytest.approx(X3[2, :2].sum())
    assert agg.to_numpy().sum() == pytest.approx(X3.sum())


def test_read_network_bad_rows(tmp_path):
    banks = sample_path("network/banks.csv")
    edges = tmp_path / "edges.csv"
    edges.write_text("lender,borrower,amount\nB000,B001,5\nB000,B999,3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"edges.csv row 3: borrower 'B999' is not in the bank table"):
        read_network(banks, edges)
    edges.write_text("lender,borrower,amount\nB000,B001,-5\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: exposure -5"):
        read_network(banks, edges)


def test_cli_contagion(tmp_path):
    res = CliRunner().invoke(app, ["contagion", "--shock", "0.2", "--region", "SH", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "ranking" in res.output and "SYNTHETIC" in res.output and "recorded run" in res.output
    assert (tmp_path / "region_matrix.csv").is_file()
    res = CliRunner().invoke(app, ["contagion", "--region", "XX"])
    assert res.exit_code == 2 and "region 'XX'" in res.output


def test_linear_debtrank_matches_published_asymptotic_state():
    """Bardoscia et al. (2015): in the stable regime (spectral radius of Lambda below 1 and no
    bank reaching full distress) the linear dynamics converge to h = (I - Lambda)^-1 h(1)."""
    rng = np.random.default_rng(7)
    X = rng.exponential(1, (12, 12)) * (rng.random((12, 12)) < 0.4)
    np.fill_diagonal(X, 0)
    buf = X.sum(axis=1) * 3 + 1  # Lambda = X / E with row sums below 1/3
    lam = X / buf[:, None]
    assert np.abs(np.linalg.eigvals(lam)).max() < 1
    h1 = np.full(12, 0.01)
    res = debtrank(X, buf, np.ones(12), h1, variant="bardoscia2015")
    np.testing.assert_allclose(res.distress, np.linalg.solve(np.eye(12) - lam, h1), rtol=1e-9)
