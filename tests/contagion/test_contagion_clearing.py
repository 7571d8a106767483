"""Eisenberg-Noe clearing against an independent Picard iteration, closed forms and hand cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.contagion import ClearingResult, eisenberg_noe
from finstab.contagion import clearing as clearing_module
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.warnings import ConvergenceWarning
from finstab.store import Store

SENIORITIES = ("pari_passu", "senior")
COSTS = ((1.0, 1.0), (0.6, 0.9), (1.0, 0.5), (0.3, 1.0))  # (alpha, beta); (1, 1) = Eisenberg-Noe


def reference(L, e, ext, seniority="pari_passu", alpha=1.0, beta=1.0, cap=400_000):
    """Plain Picard iteration from pbar, written from the definitions (Eisenberg & Noe 2001;
    Rogers & Veraart 2013): a solvent bank pays pbar, a defaulted one max(0, alpha e + beta r - s).
    Monotone from pbar, so its limit is the greatest clearing vector."""
    L, e, ext = np.asarray(L, float), np.asarray(e, float), np.asarray(ext, float)
    owed = L.sum(axis=1)
    pbar = owed if seniority == "senior" else owed + ext
    s = ext if seniority == "senior" else np.zeros_like(ext)
    share = np.zeros_like(L)
    np.divide(L, pbar[:, None], out=share, where=pbar[:, None] > 0)
    p = pbar.copy()
    scale = max(pbar.max(initial=0), e.max(initial=0), ext.max(initial=0), 1e-300)
    for _ in range(cap):
        r = share.T @ p
        new = np.where(e - s + r >= pbar, pbar, np.maximum(0.0, alpha * e + beta * r - s))
        if np.abs(new - p).max(initial=0) <= 1e-15 * scale:
            return new
        p = new
    return p


def clearing_map(L, e, ext, p, seniority, alpha=1.0, beta=1.0):
    """One application of the clearing map, for checking the fixed-point equation directly."""
    owed = L.sum(axis=1)
    pbar = owed if seniority == "senior" else owed + ext
    s = ext if seniority == "senior" else np.zeros_like(ext)
    share = np.zeros_like(L)
    np.divide(L, pbar[:, None], out=share, where=pbar[:, None] > 0)
    r = share.T @ p
    return np.where(e - s + r >= pbar, pbar, np.maximum(0.0, alpha * e + beta * r - s)), pbar, r


def random_network(seed: int, n: int):
    """Small networks of every kind: dense or sparse, cycles, banks owing nothing, zero external
    assets, heavy senior external debt."""
    rng = np.random.default_rng(seed)
    density = rng.choice([0.2, 0.5, 0.9])
    L = rng.exponential(rng.choice([1.0, 5.0]), (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(L, 0)
    e = rng.exponential(rng.choice([0.3, 1.0, 3.0]), n) * (rng.random(n) < rng.choice([0.7, 1.0]))
    ext = rng.exponential(rng.choice([0.5, 2.0, 5.0]), n) * (rng.random(n) < 0.8)
    return L, e, ext


def check_clearing(res, L, e, ext, seniority, alpha, beta):
    scale = max(res.obligations.max(initial=0), e.max(initial=0), ext.max(initial=0), 1.0)
    want = reference(L, e, ext, seniority, alpha, beta)
    np.testing.assert_allclose(res.payments, want, atol=1e-9 * scale, rtol=0)
    # the clearing conditions themselves: 0 <= p <= pbar and p = Phi(p)
    assert np.all(res.payments >= 0) and np.all(res.payments <= res.obligations)
    phi, pbar, r = clearing_map(L, e, ext, res.payments, seniority, alpha, beta)
    np.testing.assert_allclose(pbar, res.obligations)
    np.testing.assert_allclose(res.payments, phi, atol=1e-9 * scale, rtol=0)
    # a bank defaults exactly when what it has falls short of what it owes
    assets = e - (ext if seniority == "senior" else 0) + r
    assert np.all(assets[res.defaulted] < pbar[res.defaulted] + 1e-9 * scale)
    assert np.all(assets[~res.defaulted] >= pbar[~res.defaulted] - 1e-9 * scale)


# ---------------------------------------------------------------------------------- the bug


def test_issue_18_counterexample_senior():
    """Payments [0, 0, 14, 15] were returned where the greatest clearing vector is
    [1.77, 0, 14.61, 15]: bank 1 cannot pay (its senior external debt of 20 exceeds all it has),
    but bank 0 can still pay 1.77 out of its own assets, 10/29 of which reach bank 2."""
    L = np.array([[0, 19, 10, 0], [5, 0, 0, 0], [0, 0, 0, 20], [0, 0, 15, 0.0]])
    e, ext = np.array([2, 0, 1, 5.0]), np.array([0.23, 20, 2, 3])
    res = eisenberg_noe(L, e, external_liabilities=ext, seniority="senior")
    np.testing.assert_allclose(res.payments, [1.77, 0, 14 + 1.77 * 10 / 29, 15], atol=1e-12)
    np.testing.assert_array_equal(res.defaulted, [True, True, True, False])
    np.testing.assert_allclose(res.external_paid, [0.23, 1.77 * 19 / 29, 2, 3])  # bank 1 pays out what it gets
    check_clearing(res, L, e, ext, "senior", 1.0, 1.0)


def test_issue_18_nan_network_senior():
    """Two banks owing each other, both short after paying senior debt: the old solver gave NaN
    after 10,000 singular rounds; nothing is left for interbank creditors."""
    L = np.array([[0, 1.91], [1.76, 0]])
    e, ext = np.array([3.26, 1.17]), np.array([3.99, 5.47])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = eisenberg_noe(L, e, external_liabilities=ext, seniority="senior")
    np.testing.assert_array_equal(res.payments, [0, 0])
    assert res.converged and not res.warnings
    np.testing.assert_allclose(res.external_paid, [3.26, 1.17])


@pytest.mark.parametrize("seniority", SENIORITIES)
@pytest.mark.parametrize(("alpha", "beta"), COSTS)
def test_hundreds_of_seeded_networks(seniority, alpha, beta):
    for seed in range(250):
        n = 2 + seed % 11
        L, e, ext = random_network(seed, n)
        res = eisenberg_noe(L, e, external_liabilities=ext, seniority=seniority, alpha=alpha, beta=beta)
        check_clearing(res, L, e, ext, seniority, alpha, beta)


@given(st.integers(2, 14), st.integers(0, 2**32 - 1), st.sampled_from(SENIORITIES), st.sampled_from(COSTS))
@settings(max_examples=150, deadline=None)
def test_property_greatest_clearing_vector(n, seed, seniority, costs):
    L, e, ext = random_network(seed, n)
    res = eisenberg_noe(sp.csr_matrix(L), e, external_liabilities=ext, seniority=seniority, alpha=costs[0],
                        beta=costs[1])
    check_clearing(res, L, e, ext, seniority, *costs)


@pytest.mark.parametrize("seniority", SENIORITIES)
def test_large_blocks_through_gmres_and_the_full_product(monkeypatch, seniority):
    """Force the iterative block solve (GMRES) and early, affordable refinements on 300-bank networks."""
    monkeypatch.setattr(clearing_module, "DENSE_BLOCK", 0)
    monkeypatch.setattr(clearing_module, "REFINE_AFTER", 1)
    monkeypatch.setattr(clearing_module, "GMRES_COST", 0.01)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n = 300
        L = rng.exponential(1, (n, n)) * (rng.random((n, n)) < 0.05)
        np.fill_diagonal(L, 0)
        owed = L.sum(axis=1)
        e = owed * rng.uniform(0, 0.3 + 0.2 * seed, n)
        ext = owed * rng.uniform(0, 0.05, n)
        for alpha, beta in ((1.0, 1.0), (0.9, 0.95)):
            res = eisenberg_noe(L, e, external_liabilities=ext, seniority=seniority, alpha=alpha, beta=beta)
            check_clearing(res, L, e, ext, seniority, alpha, beta)


# ---------------------------------------------------------------------------------- closed forms


def test_slow_network_closed_form():
    """Given the default set D, the greatest clearing vector solves the linear system
    p_D = e_D + Pi_SD^T pbar_S + Pi_DD^T p_D (pari passu, no costs). Here almost nothing leaks to
    external creditors, so Picard alone converges slowly; the payments must still be exact."""
    rng = np.random.default_rng(3)
    n = 400
    L = rng.exponential(1, (n, n)) * (rng.random((n, n)) < 0.1)
    np.fill_diagonal(L, 0)
    owed = L.sum(axis=1)
    e, ext = owed * rng.uniform(0, 0.01, n), owed * 0.002
    res = eisenberg_noe(sp.csr_matrix(L), e, external_liabilities=ext)
    d, s = res.defaulted, ~res.defaulted
    assert d.sum() > n / 2
    pi = L / (owed + ext)[:, None]
    rhs = e[d] + pi[np.ix_(s, d)].T @ res.obligations[s]
    np.testing.assert_allclose(res.payments[d], np.linalg.solve(np.eye(d.sum()) - pi[np.ix_(d, d)].T, rhs),
                               rtol=1e-10)
    np.testing.assert_array_equal(res.payments[s], res.obligations[s])
    check_clearing(res, L, e, ext, "pari_passu", 1.0, 1.0)


def test_three_banks_by_hand():
    L = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0.0]])
    res = eisenberg_noe(L, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0])
    # bank 0: 18 + 2 received < 21 owed -> pays 20; bank 1: 18 + 20*4/21 >= 21; bank 2: 9 + 3 >= 10
    np.testing.assert_allclose(res.payments, [20, 21, 10])
    np.testing.assert_array_equal(res.defaulted, [True, False, False])
    np.testing.assert_allclose(res.net_worth, [-1, 18 + 80 / 21 - 21, 2])
    np.testing.assert_allclose(res.external_paid, [20 * 17 / 21, 18, 8])
    # senior: bank 0 pays its 17 outside first and 18 + 2 - 17 = 3 of the 4 it owes bank 1
    sen = eisenberg_noe(L, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0], seniority="senior")
    np.testing.assert_allclose(sen.payments, [3, 3, 2])
    np.testing.assert_allclose(sen.external_paid, [17, 18, 8])


def test_rogers_veraart_two_banks_by_hand():
    """Bank 0 owes 10 to bank 1 and holds 1 outside; bank 1 owes 8 to bank 0 and holds 0.5.
    Bank 0 defaults (1 + 8 < 10) and, with alpha = 0.5 and beta = 0.8, pays 0.5 + 0.8 * 8 = 6.9, which
    leaves bank 1 short (0.5 + 6.9 < 8). Both defaulted: p0 = 0.5 + 0.8 p1, p1 = 0.25 + 0.8 p0."""
    L = np.array([[0, 10.0], [8.0, 0]])
    res = eisenberg_noe(L, [1.0, 0.5], alpha=0.5, beta=0.8)
    p0 = (0.5 + 0.8 * 0.25) / (1 - 0.64)
    np.testing.assert_allclose(res.payments, [p0, 0.25 + 0.8 * p0])
    assert res.defaulted.all()
    # without costs bank 1 survives: p0 = 1 + 8 = 9, bank 1 has 0.5 + 9 >= 8
    np.testing.assert_allclose(eisenberg_noe(L, [1.0, 0.5]).payments, [9, 8])


def test_closed_rings_take_the_greatest_vector():
    ring = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0.0]])
    # nobody has outside money: p = 0 clears too, the greatest clearing vector is full payment
    np.testing.assert_allclose(eisenberg_noe(ring, np.zeros(3)).payments, [1, 1, 1])
    # one bank short by 0.5 and nothing outside: the shortfall goes round until nobody pays
    res = eisenberg_noe(ring, 0, external_liabilities=[0.5, 0, 0])
    np.testing.assert_allclose(res.payments, 0, atol=1e-12)
    two = np.array([[0, 1.0], [1.0, 0]])
    # every (t, t - 0.5), t in [0.5, 1], clears: the greatest is (1, 0.5)
    res = eisenberg_noe(two, [0.5, 0], external_liabilities=[0, 0.5], seniority="senior")
    np.testing.assert_allclose(res.payments, [1, 0.5])
    # the whole ring short, paying senior debt first: only 0 clears
    res = eisenberg_noe(two, [0, 0], external_liabilities=[0.5, 0], seniority="senior")
    np.testing.assert_allclose(res.payments, [0, 0])


def test_zero_external_assets_do_not_crash():
    L = np.array([[0, 2, 1], [1, 0, 0], [0, 3, 0.0]])
    for seniority in SENIORITIES:
        res = eisenberg_noe(L, np.zeros(3), external_liabilities=[1, 0, 2], seniority=seniority)
        check_clearing(res, L, np.zeros(3), np.array([1, 0, 2.0]), seniority, 1.0, 1.0)
    empty = eisenberg_noe(np.zeros((2, 2)), np.zeros(2))
    np.testing.assert_array_equal(empty.payments, [0, 0])
    assert not empty.defaulted.any()


def test_sparse_equals_dense_and_costs_lower_payments():
    rng = np.random.default_rng(0)
    L = rng.exponential(1, (30, 30)) * (rng.random((30, 30)) < 0.2)
    np.fill_diagonal(L, 0)
    e = rng.exponential(0.5, 30)
    dense = eisenberg_noe(L, e)
    np.testing.assert_allclose(eisenberg_noe(sp.csr_matrix(L), e).payments, dense.payments)
    rv = eisenberg_noe(L, e, alpha=0.5, beta=0.8)
    assert np.all(rv.payments <= dense.payments + 1e-12)
    assert rv.defaulted.sum() >= dense.defaulted.sum()


# ---------------------------------------------------------------------------------- caps, inputs, protocol


def test_hit_cap_warns_and_is_recorded():
    ring = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0.0]]) * 100
    with pytest.warns(ConvergenceWarning, match="upper bound"):
        res = eisenberg_noe(ring, 0, external_liabilities=[0.001, 0, 0], max_rounds=3)
    assert not res.converged and res.warnings and "ConvergenceWarning" in res.warnings[0]
    assert "NOT converged" in res.with_lang("en").summary() and "未收敛" in res.summary()
    full = eisenberg_noe(ring, 0, external_liabilities=[0.001, 0, 0])
    assert full.converged and np.all(res.payments >= full.payments)


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"seniority": "junior"}, "seniority"), ({"alpha": 0}, "alpha"), ({"beta": 1.5}, "beta"),
    ({"tol": 0}, "tol"), ({"max_rounds": 0}, "max_rounds"), ({"labels": ["a", "b"]}, "labels"),
    ({"labels": ["a", "a", "b"]}, "labels"), ({"external_liabilities": [1, -1, 0]}, "external_liabilities"),
])
def test_bad_options(kwargs, where):
    L = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0.0]])
    with pytest.raises(InputError, match=where):
        eisenberg_noe(L, [1, 1, 1], **kwargs)


@pytest.mark.parametrize(("args", "message"), [
    (([[0, -1], [1, 0]], [1, 1]), "negative exposure"),
    (([[0, 1, 1], [1, 0, 1]], [1, 1]), "square"),
    (([[0, 4, 0], [0, 0, 3], [2, 0, 0.0]], [1, 1]), r"length 2 for 3 nodes"),
    (([[1, 1], [1, 0]], [1, 1]), "diagonal"),
    (([[0, np.nan], [1, 0]], [1, 1]), "non-finite"),
])
def test_bad_inputs(args, message):
    with pytest.raises(InputError, match=message):
        eisenberg_noe(*args)


def test_result_protocol(tmp_path):
    L = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0.0]])
    prov = Provenance.from_inputs("clearing", inputs={"liabilities": L}, params={"seniority": "senior"})
    res = eisenberg_noe(L, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0], seniority="senior",
                        labels=["A", "B", "C"], provenance=prov)
    assert isinstance(res, ClearingResult) and res.kind == "clearing"
    table = res.to_frame()
    assert list(table["node"]) == ["A", "B", "C"]
    pd.testing.assert_frame_equal(table, res.tables()["clearing"])
    assert str(res) == res.summary() and "外部债务优先" in res.summary()
    assert "senior external debt" in res.with_lang("en").summary()
    pd.testing.assert_frame_equal(res.with_lang("en").to_frame(), table)
    paths = res.write(tmp_path / "out")
    assert {p.name for p in paths} >= {"clearing.csv", "results.xlsx", "summary.txt"}
    store = Store(tmp_path / "runs.duckdb")
    back = store.load(store.save(res, label="senior"))
    assert isinstance(back, ClearingResult) and back.seniority == "senior" and back.provenance == prov
    pd.testing.assert_frame_equal(back.to_frame(), table, check_dtype=False)
