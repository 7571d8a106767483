"""DebtRank kernels worked round by round by hand (Battiston et al. 2012; Bardoscia et al. 2015),
node rankings against single runs, the impact matrix's column products, exact messages and texts."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest
import scipy.sparse as sp

from finstab.contagion.debtrank import DebtRankResult, debtrank, rank_nodes
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.warnings import ConvergenceWarning

# X[i, j] = what i lent to j: bank 0 lent 2 to bank 2, bank 1 lent 4 to bank 0, bank 2 lent 3 to bank 1
dr_mod = importlib.import_module("finstab.contagion.debtrank")  # the package exports a function of that name

X3 = np.array([[0, 0, 2], [4, 0, 0], [0, 3, 0.0]])
BUF3 = np.array([3.0, 2.0, 2.0])


def test_battiston_rounds_by_hand():
    """Round 1: bank 2 (h = 1) hits bank 0 by W[0, 2] = 2/3; round 2: bank 0 passes 2/3 on to bank 1
    (W[1, 0] = min(1, 4/2) = 1); round 3: bank 1 passes 2/3 to bank 2, already inactive. 3 rounds."""
    res = debtrank(X3, BUF3, [1, 2, 1], [0, 0, 1])
    np.testing.assert_allclose(res.distress, [2 / 3, 2 / 3, 1])
    assert res.rounds == 3 and res.converged and res.variant == "battiston2012"
    # weights 1, 2, 1 -> 0.25, 0.5, 0.25; induced 0.25 * 2/3 + 0.5 * 2/3, total adds 0.25 * 1
    assert res.debtrank == pytest.approx(0.5) and res.total == pytest.approx(0.75)
    np.testing.assert_allclose(res.weights, [0.25, 0.5, 0.25])
    np.testing.assert_array_equal(res.initial, [0, 0, 1])
    # a partial shock: bank 2 at 0.3 gives bank 0 0.2 and bank 0 gives bank 1 0.2; in round 3 bank 1
    # passes 0.2 back to bank 2, which is inactive (it passes nothing on again) but still receives:
    # h_i(t) = min(1, h_i(t-1) + sum over distressed j of W_ij h_j(t-1)) for every i (Battiston 2012)
    part = debtrank(X3, BUF3, [1, 1, 1], [0, 0, 0.3])
    np.testing.assert_allclose(part.distress, [0.2, 0.2, 0.5])
    assert part.rounds == 3
    assert part.debtrank == pytest.approx((0.2 + 0.2 + 0.2) / 3) and part.total == pytest.approx(0.9 / 3)


def test_bardoscia_rounds_by_hand():
    """h(t+1) = min(1, h(t) + W (h(t) - h(t-1))), W uncapped: round 1 bank 0 gets 2/3; round 2 bank 1
    gets 2 * 2/3, capped at 1; round 3 bank 2 would get 1.5 but is at 1: no change, 3 rounds."""
    res = debtrank(X3, BUF3, [1, 1, 1], [0, 0, 1], "bardoscia2015")
    np.testing.assert_allclose(res.distress, [2 / 3, 1, 1])
    assert res.rounds == 3 and res.converged and res.variant == "bardoscia2015"
    # with ten times the equity the cycle 2 -> 0 -> 1 -> 2 multiplies increments by 2/30 * 2/10 * 1.5/10
    # = 0.002: nobody reaches 1 and the increments vanish at h = (I - W)^-1 h(1) (Bardoscia 2015)
    small = debtrank(X3, BUF3 * 10, [1, 1, 1], [0, 0, 0.1], "bardoscia2015")
    lam = X3 / (BUF3 * 10)[:, None]
    np.testing.assert_allclose(small.distress, np.linalg.solve(np.eye(3) - lam, [0, 0, 0.1]), rtol=1e-10)


def test_zero_shock_does_nothing():
    for variant in ("battiston2012", "bardoscia2015"):
        res = debtrank(X3, BUF3, [1, 1, 1], np.zeros(3), variant)
        np.testing.assert_array_equal(res.distress, 0)
        assert res.debtrank == 0 and res.total == 0
    assert debtrank(X3, BUF3, [1, 1, 1], np.zeros(3)).rounds == 0
    assert debtrank(X3, BUF3, [1, 1, 1], np.zeros(3), "bardoscia2015").rounds == 1


def test_linear_cap_counts_rounds_and_warns_exactly():
    with pytest.warns(ConvergenceWarning) as seen:
        res = debtrank(X3, BUF3 * 10, [1, 1, 1], [0, 0, 0.5], variant="bardoscia2015", max_rounds=3)
    assert str(seen[0].message) == "DebtRank (bardoscia2015) stopped after 3 rounds with distress still rising"
    assert res.rounds == 3 and not res.converged
    assert res.warnings == ("ConvergenceWarning: DebtRank (bardoscia2015) stopped after 3 rounds with distress "
                            "still rising",)
    # after 3 rounds: 0.5 -> bank 0 gets 1/30; -> bank 1 1/30 * 4/20; the third round reaches bank 2
    lam = X3 / (BUF3 * 10)[:, None]
    h, prev = np.array([0, 0, 0.5]), np.zeros(3)
    for _ in range(3):
        h, prev = np.minimum(1, h + lam @ (h - prev)), h
    np.testing.assert_allclose(res.distress, h)
    # enough rounds: converged, no warning
    ok = debtrank(X3, BUF3 * 10, [1, 1, 1], [0, 0, 0.5], variant="bardoscia2015", max_rounds=200)
    assert ok.converged and ok.warnings == () and ok.rounds < 200


def test_impact_capped_only_in_battiston():
    # bank 0 lent 10 against equity 2: W = 5, capped at 1 in Battiston's variant
    X = np.array([[0, 10.0], [0, 0]])
    assert debtrank(X, [2, 1], [1, 1], [0, 0.1]).distress[0] == pytest.approx(0.1)
    assert debtrank(X, [2, 1], [1, 1], [0, 0.1], "bardoscia2015").distress[0] == pytest.approx(0.5)
    assert debtrank(X, [2, 1], [1, 1], [0, 0.3], "bardoscia2015").distress[0] == 1.0


def test_layouts_agree_and_csc_is_used_as_given():
    rng = np.random.default_rng(2)
    X = rng.exponential(1, (30, 30)) * (rng.random((30, 30)) < 0.1)
    np.fill_diagonal(X, 0)
    buf = rng.uniform(1, 4, 30)
    h0 = np.zeros(30)
    h0[[3, 17]] = [1.0, 0.4]
    want = debtrank(X, buf, np.ones(30), h0, "bardoscia2015").distress
    for layout in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        np.testing.assert_allclose(debtrank(layout(X), buf, np.ones(30), h0, "bardoscia2015").distress, want,
                                   rtol=1e-12)
    W = dr_mod._Impact(sp.csc_matrix(X), buf, "bardoscia2015")
    assert W.W.format == "csc" and W.cols is W.W
    np.testing.assert_allclose(W.W.toarray(), X / buf[:, None], rtol=1e-15)
    Wr = dr_mod._Impact(sp.csr_matrix(X), buf, "battiston2012")
    assert Wr.W.format == "csr" and Wr.cols is None
    np.testing.assert_allclose(Wr.W.toarray(), np.minimum(X / buf[:, None], 1), rtol=1e-15)


def test_column_products_and_the_switch_to_a_column_layout():
    """Products with few distressed columns use those columns only; a row-major input gets its
    column layout made once, on the third such product (ski rental after two)."""
    rng = np.random.default_rng(4)
    X = rng.exponential(1, (8, 8)) * (rng.random((8, 8)) < 0.5)
    np.fill_diagonal(X, 0)
    buf = rng.uniform(1, 3, 8)
    W = dr_mod._Impact(sp.csr_matrix(X), buf, "bardoscia2015")
    dense = X / buf[:, None]
    x = np.zeros(8)
    x[[1, 5]] = [0.5, 0.25]  # 2 of 8 columns: a quarter, not more than SPARSE_SHARE
    for k in (1, 2):
        np.testing.assert_allclose(W @ x, dense @ x, rtol=1e-14)
        assert W.sparse_rounds == k and W.cols is None
    np.testing.assert_allclose(W @ x, dense @ x, rtol=1e-14)
    assert W.sparse_rounds == 3 and W.cols is not None and W.cols.format == "csc"
    np.testing.assert_allclose(W.cols.toarray(), dense, rtol=1e-15)
    # batches of shock columns go through the column layout by their distressed rows
    Y = np.zeros((8, 3))
    Y[1, 0], Y[5, 2] = 1.0, 0.5
    np.testing.assert_allclose(W @ Y, dense @ Y, rtol=1e-14)
    # a busy vector (3 of 8 columns) uses the full product and counts nothing
    busy = dr_mod._Impact(sp.csr_matrix(X), buf, "bardoscia2015")
    y = np.zeros(8)
    y[[0, 1, 2]] = 1.0
    np.testing.assert_allclose(busy @ y, dense @ y, rtol=1e-14)
    assert busy.sparse_rounds == 0
    # a batch of shock columns (n, k): rows with any distress count
    Y = np.zeros((8, 3))
    Y[1, 0], Y[5, 2] = 1.0, 0.5
    np.testing.assert_allclose(busy @ Y, dense @ Y, rtol=1e-14)
    assert busy.sparse_rounds == 1
    # nothing distressed: zeros of the same shape, no product
    np.testing.assert_array_equal(busy @ np.zeros((8, 3)), np.zeros((8, 3)))
    np.testing.assert_array_equal(busy @ np.zeros(8), np.zeros(8))
    assert busy.sparse_rounds == 1


# ---------------------------------------------------------------------------------- rankings


def test_rank_nodes_by_hand_and_batches():
    # impacts: node alone defaulting; vulnerability: mean distress over the other nodes' defaults
    singles = [debtrank(X3, BUF3, [1, 2, 1], np.eye(3)[k]) for k in range(3)]
    impact = [s.debtrank for s in singles]
    vuln = [np.mean([singles[k].distress[i] for k in range(3) if k != i]) for i in range(3)]
    for batch in (1, 2, 3, 256):
        r = rank_nodes(X3, BUF3, [1, 2, 1], batch=batch)
        assert list(r.columns) == ["node", "impact", "vulnerability", "impact_rank"]
        r = r.set_index("node").sort_index()
        np.testing.assert_allclose(r["impact"], impact, rtol=1e-12)
        np.testing.assert_allclose(r["vulnerability"], vuln, rtol=1e-12)
    ranking = rank_nodes(X3, BUF3, [1, 2, 1], labels=["A", "B", "C"])
    assert ranking["impact"].is_monotonic_decreasing and ranking["impact_rank"].tolist() == [1, 2, 3]
    assert ranking["node"].tolist() == [["A", "B", "C"][i] for i in np.argsort(impact)[::-1]]
    lin = rank_nodes(X3, BUF3, [1, 2, 1], variant="bardoscia2015").set_index("node").sort_index()
    np.testing.assert_allclose(lin["impact"], [debtrank(X3, BUF3, [1, 2, 1], np.eye(3)[k], "bardoscia2015").debtrank
                                               for k in range(3)], rtol=1e-12)


def test_rank_nodes_two_nodes_and_ties():
    # two banks lending 1 to each other against equity 2: each default costs the other 1/2
    X = np.array([[0, 1.0], [1.0, 0]])
    r = rank_nodes(X, [2.0, 2.0], [1.0, 1.0])
    np.testing.assert_allclose(r["impact"], [0.25, 0.25])
    np.testing.assert_allclose(r["vulnerability"], [0.5, 0.5])  # one other node: divided by 1
    assert r["impact_rank"].tolist() == [1, 1] and r["node"].tolist() == [0, 1]
    one = rank_nodes(np.zeros((1, 1)), [1.0], [1.0])
    assert one["impact"].tolist() == [0.0] and one["vulnerability"].tolist() == [0.0]


def test_rank_nodes_cap_warns_with_batch_count():
    # banks 0 and 1 pass increments back and forth; the defaults of banks 2 and 3 (both borrowers of
    # bank 0) start that cycle, the defaults of 0 and 1 do not (a bank at full distress takes no more)
    cycle = np.array([[0, 1, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0.0]])
    with pytest.warns(ConvergenceWarning) as seen:
        rank_nodes(cycle, [10] * 4, [1] * 4, variant="bardoscia2015", max_rounds=3, batch=1)
    assert str(seen[0].message) == ("DebtRank ranking (bardoscia2015): 2 batch(es) stopped after 3 rounds with "
                                    "distress still rising")
    with pytest.warns(ConvergenceWarning, match=r"^DebtRank ranking \(bardoscia2015\): 1 batch\(es\) stopped "
                      r"after 4 rounds"):
        rank_nodes(cycle, [10] * 4, [1] * 4, variant="bardoscia2015", max_rounds=4)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"batch": 0}, "batch: 0; expected a positive whole number"),
    ({"batch": 2.0}, "batch: 2.0; expected a positive whole number"),
    ({"variant": "linear"}, "variant: 'linear' is not one of 'battiston2012', 'bardoscia2015'"),
    ({"labels": ["a", "b"]}, "labels: 2 labels for 3 nodes"),
    ({"weights": [1, 1]}, "weights: length 2 for 3 nodes"),
])
def test_rank_nodes_messages(kwargs, message):
    args = {"exposures": X3, "buffers": BUF3, "weights": [1, 1, 1], **kwargs}
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        rank_nodes(**args)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"buffers": [1, 0, 1]}, "buffers: node 1 has a non-positive buffer (equity)"),
    ({"buffers": [1, 1]}, "buffers: length 2 for 3 nodes"),
    ({"weights": [0, 0, 0]}, "weights: weights (economic values) must have a positive, finite sum; got all zeros"),
    ({"weights": [1e308, 1e308, 1]}, "weights: weights sum to inf; expected a positive, finite sum"),
    ({"shock": [0, 1.5, 0.2]}, "shock: distress 1.5 at node 1; expected values in [0, 1]"),
    ({"shock": [0, 0, -0.1]}, "shock: negative value at node 2"),
    ({"shock": [0, 1]}, "shock: length 2 for 3 nodes"),
    ({"variant": "furfine"}, "variant: 'furfine' is not one of 'battiston2012', 'bardoscia2015'"),
    ({"exposures": [[0, -1], [1, 0]], "buffers": [1, 1], "weights": [1, 1], "shock": [0, 1]},
     "exposures: negative exposure -1 at (0, 1)"),
])
def test_debtrank_messages(kwargs, message):
    args = {"exposures": X3, "buffers": BUF3, "weights": [1, 1, 1], "shock": [0, 0, 1], **kwargs}
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        debtrank(**args)


def test_full_distress_is_allowed_and_weights_normalised():
    res = debtrank(X3, BUF3, [2, 2, 4], [1, 1, 1])
    np.testing.assert_array_equal(res.distress, 1)
    assert res.debtrank == 0 and res.total == 1.0
    np.testing.assert_allclose(res.weights, [0.25, 0.25, 0.5])
    # a scalar shock is broadcast to every node
    np.testing.assert_array_equal(debtrank(X3, BUF3, [1, 1, 1], 0.0).initial, [0, 0, 0])


# ---------------------------------------------------------------------------------- the result


def test_result_tables_config_and_summary_text():
    res = debtrank(X3, BUF3, [1, 2, 1], [0, 0, 1], labels=["A", "B", "C"])
    t = res.tables()["distress"]
    assert list(t.columns) == ["node", "initial", "distress", "induced", "weight"]
    np.testing.assert_allclose(t["induced"], [2 / 3, 2 / 3, 0])
    np.testing.assert_allclose(t["weight"], [0.25, 0.5, 0.25])
    assert res.config() == {"variant": "battiston2012", "debtrank": res.debtrank, "total": res.total, "rounds": 3,
                            "converged": True}
    assert res.with_lang("en").summary().splitlines()[0] == ("DebtRank (battiston2012): induced 0.5000, total "
                                                             "0.7500, 1 nodes fully distressed, 3 rounds")
    assert res.summary().splitlines()[0] == ("DebtRank（battiston2012）：新增困境 0.5000，总困境 0.7500，"
                                             "1 家完全违约，3 轮")
    assert res.summary().endswith(res.footer())
    stuck = DebtRankResult(res.distress, res.initial, 0.5, 0.75, 7, "bardoscia2015", converged=False)
    assert stuck.with_lang("en").summary().splitlines()[0].endswith("7 rounds; NOT converged")
    assert stuck.summary().splitlines()[0].endswith("7 轮；未收敛")
    assert stuck.node_ids == [0, 1, 2]
    assert stuck.tables()["distress"]["weight"].isna().all()


def test_from_tables_round_trip_and_defaults():
    prov = Provenance.from_inputs("debtrank", inputs={"x": X3}, params={})
    res = debtrank(X3, BUF3, [1, 2, 1], [0, 0, 1], "bardoscia2015", labels=["A", "B", "C"], provenance=prov)
    assert res.provenance is prov
    back = DebtRankResult.from_tables(res.tables(), res.config(), provenance=prov, warnings=("w",))
    np.testing.assert_array_equal(back.distress, res.distress)
    np.testing.assert_array_equal(back.initial, res.initial)
    np.testing.assert_array_equal(back.weights, res.weights)
    assert (back.debtrank, back.total, back.rounds, back.variant, back.nodes, back.converged) == (
        res.debtrank, res.total, res.rounds, "bardoscia2015", ("A", "B", "C"), True)
    assert back.provenance is prov and back.warnings == ("w",)
    # rounds and converged default when missing; all-NaN weights come back as None
    bare = DebtRankResult.from_tables(DebtRankResult(res.distress, res.initial, 0.1, 0.2, 2, "x").tables(),
                                      {"variant": "battiston2012", "debtrank": 0.1, "total": 0.2},
                                      provenance=prov)
    assert bare.rounds == 0 and bare.converged is True and bare.weights is None and bare.nodes == (0, 1, 2)
    stuck = DebtRankResult.from_tables(res.tables(), {**res.config(), "converged": False}, provenance=prov)
    assert stuck.converged is False


def test_stored_integer_columns_come_back_as_floats():
    res = debtrank(X3, BUF3, [1, 1, 1], [0, 0, 1])
    t = res.tables()["distress"].assign(initial=[0, 0, 1], distress=[1, 1, 1], weight=[1, 0, 0])
    back = DebtRankResult.from_tables({"distress": t}, res.config(), provenance=res.provenance)
    assert back.initial.dtype == float and back.distress.dtype == float and back.weights.dtype == float
    bare = DebtRankResult(res.distress, res.initial, 0.1, 0.2, 2, "battiston2012")
    assert bare.tables()["distress"]["weight"].dtype == float


def test_rank_ties_share_the_best_rank_and_the_index_is_renumbered():
    # three lenders with the same exposure to one borrower: each of them alone causes nothing, the
    # borrower's default distresses all three; the three tied nodes share rank 2
    X = np.array([[0, 0, 0, 1.0], [0, 0, 0, 1.0], [0, 0, 0, 1.0], [0, 0, 0, 0]])
    r = rank_nodes(X, [2.0, 2.0, 2.0, 2.0], [1, 1, 1, 1])
    assert r["node"].tolist()[0] == 3 and sorted(r["node"].tolist()[1:]) == [0, 1, 2]
    assert r["impact_rank"].tolist() == [1, 2, 2, 2] and r["impact_rank"].dtype.kind == "i"
    assert list(r.index) == [0, 1, 2, 3]
    np.testing.assert_allclose(r["impact"], [3 * 0.5 / 4, 0, 0, 0])
