"""DebtRank (Battiston 2012; Bardoscia 2015) against hand cases, closed forms and a dense loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.contagion import DebtRankResult, debtrank, rank_nodes
from finstab.core.errors import InputError
from finstab.core.warnings import ConvergenceWarning
from finstab.store import Store

# X[i, j] = what i lent to j: bank 0 lent 2 to bank 2, bank 1 lent 4 to bank 0, bank 2 lent 3 to bank 1
X3 = np.array([[0, 0, 2], [4, 0, 0], [0, 3, 0.0]])
BUF3 = np.array([3.0, 2.0, 2.0])


def dense_debtrank(X, buf, h, variant, rounds=100_000):
    """Both variants written out with dense arrays, from the papers' update rules."""
    W = X / buf[:, None]
    if variant == "battiston2012":
        W = np.minimum(W, 1.0)
        active, inactive = h > 0, np.zeros(len(h), bool)
        while active.any():
            h = np.minimum(1.0, h + W @ np.where(active, h, 0.0))
            inactive |= active
            active = (h > 0) & ~inactive
        return h
    prev = np.zeros_like(h)
    for _ in range(rounds):
        h, prev = np.minimum(1.0, h + W @ (h - prev)), h
        if np.abs(h - prev).max() <= 1e-13:
            break
    return h


def test_debtrank_by_hand():
    # W[0, 2] = 2/3, W[1, 0] = min(1, 4/2) = 1, W[2, 1] = min(1, 3/2) = 1
    res = debtrank(X3, BUF3, [1, 1, 1], [0, 0, 1])
    # bank 2 distressed -> bank 0 gets 2/3; bank 0 (2/3) -> bank 1 gets 2/3; bank 2 is already inactive
    np.testing.assert_allclose(res.distress, [2 / 3, 2 / 3, 1])
    assert res.debtrank == pytest.approx(4 / 9) and res.total == pytest.approx(7 / 9)
    lin = debtrank(X3, BUF3, [1, 1, 1], [0, 0, 1], variant="bardoscia2015")
    # linear: bank 0 gets 2/3, passes 2 * 2/3 to bank 1 (capped at 1), whose increment of 1 would
    # raise bank 2 by 1.5 but bank 2 is already at 1: the increments stop there
    np.testing.assert_allclose(lin.distress, [2 / 3, 1, 1])


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


@given(st.integers(2, 40), st.integers(0, 2**32 - 1), st.sampled_from(("battiston2012", "bardoscia2015")),
       st.sampled_from((np.asarray, sp.csr_matrix, sp.csc_matrix)))
@settings(max_examples=100, deadline=None)
def test_matches_dense_loop(n, seed, variant, layout):
    """Few shocked banks in a sparse network exercise the column-restricted products."""
    rng = np.random.default_rng(seed)
    X = rng.exponential(1, (n, n)) * (rng.random((n, n)) < 0.15)
    np.fill_diagonal(X, 0)
    buf = rng.uniform(0.5, 6, n)
    h0 = np.where(rng.random(n) < 0.1, rng.uniform(0, 1, n), 0.0)
    v = rng.uniform(0, 1, n) + 0.01
    res = debtrank(layout(X), buf, v, h0, variant)
    want = dense_debtrank(X, buf, h0.copy(), variant)
    np.testing.assert_allclose(res.distress, want, atol=1e-10)
    assert res.debtrank == pytest.approx(float(v @ (want - h0) / v.sum()), abs=1e-10)


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
    # vulnerability: bank 0's mean induced distress over the shocks of banks 1 and 2
    single = [debtrank(X3, BUF3, [1, 1, 1], np.eye(3)[k]).distress[0] for k in (1, 2)]
    assert ranking.loc[0, "vulnerability"] == pytest.approx(np.mean(single))


@pytest.mark.parametrize("weights", [[0, 0, 0], np.zeros(3), [0.0, -0.0, 0.0]])
def test_all_zero_weights_are_refused(weights):
    with pytest.raises(InputError, match="weights"):
        rank_nodes(X3, BUF3, weights)
    with pytest.raises(InputError, match="weights"):
        debtrank(X3, BUF3, weights, [0, 0, 1])


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"variant": "furfine"}, "variant"), ({"shock": [0, 0, 1.5]}, "shock"), ({"buffers": [1, 0, 1]}, "buffers"),
    ({"weights": [1, np.nan, 1]}, "weights"), ({"labels": ["a"]}, "labels"),
])
def test_bad_inputs(kwargs, where):
    args = {"exposures": X3, "buffers": BUF3, "weights": [1, 1, 1], "shock": [0, 0, 1], **kwargs}
    with pytest.raises(InputError, match=where):
        debtrank(**args)


def test_linear_cap_warns_and_is_recorded():
    with pytest.warns(ConvergenceWarning, match="DebtRank"):
        res = debtrank(X3, BUF3 * 10, [1, 1, 1], [0, 0, 0.5], variant="bardoscia2015", max_rounds=3)
    assert not res.converged and res.warnings and "NOT converged" in res.with_lang("en").summary()
    # banks 0 and 1 pass increments back and forth (factor 0.01 a cycle) once bank 2 defaults
    cycle = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 0.0]])
    with pytest.warns(ConvergenceWarning, match="ranking"):
        rank_nodes(cycle, [10, 10, 10], [1, 1, 1], variant="bardoscia2015", max_rounds=3)


def test_result_protocol(tmp_path):
    res = debtrank(X3, BUF3, [1, 2, 1], [0, 0, 1], labels=["A", "B", "C"])
    assert isinstance(res, DebtRankResult) and res.kind == "debtrank"
    table = res.to_frame()
    assert list(table.columns[:4]) == ["node", "initial", "distress", "induced"]
    assert list(table["node"]) == ["A", "B", "C"]
    np.testing.assert_allclose(table["weight"], [0.25, 0.5, 0.25])
    assert str(res) == res.summary() and "新增困境" in res.summary() and "induced" in res.with_lang("en").summary()
    assert {p.name for p in res.write(tmp_path / "out")} >= {"distress.csv", "results.xlsx", "summary.txt"}
    store = Store(tmp_path / "runs.duckdb")
    back = store.load(store.save(res))
    assert isinstance(back, DebtRankResult) and back.debtrank == pytest.approx(res.debtrank)
    pd.testing.assert_frame_equal(back.to_frame(), table, check_dtype=False)
