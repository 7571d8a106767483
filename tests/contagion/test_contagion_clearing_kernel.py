"""Eisenberg-Noe / Rogers-Veraart clearing: two-bank closed forms, default chains round by round,
every solver path forced and checked against a plain Picard iteration and dense linear algebra
written here, the block kernels on their own, exact messages, texts and the stored round trip."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest
import scipy.sparse as sp

from finstab.contagion import ClearingResult, eisenberg_noe
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.warnings import ConvergenceWarning

cl = importlib.import_module("finstab.contagion.clearing")

L3 = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0.0]])


def picard(L, e, ext, seniority="pari_passu", alpha=1.0, beta=1.0, steps=2_000_000, count=False):
    """Greatest clearing vector by plain Picard iteration from pbar (Eisenberg & Noe 2001; Rogers &
    Veraart 2013): solvent banks pay pbar, defaulted ones max(0, alpha e + beta r - s). With
    ``count`` also the number of steps until the payments stop changing in floating point."""
    L, e, ext = np.asarray(L, float), np.asarray(e, float), np.asarray(ext, float)
    owed = L.sum(axis=1)
    pbar = owed if seniority == "senior" else owed + ext
    s = ext if seniority == "senior" else np.zeros_like(ext)
    share = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    p, taken = pbar.copy(), 0
    while taken < steps:
        r = share.T @ p
        new = np.where(e - s + r >= pbar, pbar, np.maximum(0.0, alpha * e + beta * r - s))
        if np.array_equal(new, p):
            break
        p, taken = new, taken + 1
    return (p, taken) if count else p


def random_network(seed, n, density=0.3, cash=1.0, debt=1.0):
    rng = np.random.default_rng(seed)
    L = rng.exponential(1.0, (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(L, 0)
    e = rng.exponential(cash, n)
    ext = rng.exponential(debt, n)
    return L, e, ext


# ---------------------------------------------------------------------------------- closed forms


def test_two_banks_both_default_pari_passu():
    """Bank 0 owes 6 to bank 1 and 4 outside, bank 1 owes 5 to bank 0 and 5 outside; they hold 1 and 2
    outside. Both default: p0 = 1 + p1/2 and p1 = 2 + 6 p0/10, so p0 = 2 / 0.7 and p1 = 2 + 1.2 / 0.7."""
    L = np.array([[0, 6.0], [5.0, 0]])
    res = eisenberg_noe(L, [1.0, 2.0], external_liabilities=[4.0, 5.0])
    p0 = 2 / 0.7
    np.testing.assert_allclose(res.payments, [p0, 2 + 0.6 * p0], rtol=1e-13)
    np.testing.assert_array_equal(res.defaulted, [True, True])
    np.testing.assert_allclose(res.obligations, [10, 10])
    np.testing.assert_allclose(res.receipts, [0.5 * res.payments[1], 0.6 * p0], rtol=1e-13)
    # net worth: external assets + receipts - interbank obligations - external obligations
    np.testing.assert_allclose(res.net_worth, [1 + res.receipts[0] - 6 - 4, 2 + res.receipts[1] - 5 - 5], rtol=1e-13)
    # outside creditors get their pro rata share of the payment
    np.testing.assert_allclose(res.external_paid, [0.4 * p0, 0.5 * res.payments[1]], rtol=1e-13)
    np.testing.assert_allclose(res.shortfall, 10 - res.payments, rtol=1e-13)


def test_two_banks_senior_and_rogers_veraart_by_hand():
    L = np.array([[0, 6.0], [5.0, 0]])
    # senior: bank 0 pays its 4 outside first: p0 = max(0, 1 - 4 + p1), bank 1: p1 = max(0, 2 - 5 + p0)
    # -> only p = 0 clears; outside creditors get what is there
    sen = eisenberg_noe(L, [5.0, 6.0], external_liabilities=[4.0, 5.0], seniority="senior")
    # bank 0: 5 - 4 + p1 with p1 <= 5; bank 1: 6 - 5 + p0: p0 = 1 + p1, p1 = 1 + p0 has no solution
    # below pbar, so the greatest vector pays in full where it can: p1 = 5 -> p0 = min(6, 6) = 6
    np.testing.assert_allclose(sen.payments, [6, 5])
    assert not sen.defaulted.any() and sen.external_paid.tolist() == [4.0, 5.0]
    short = eisenberg_noe(L, [2.0, 2.0], external_liabilities=[4.0, 5.0], seniority="senior")
    # p0 = max(0, -2 + p1), p1 = max(0, -3 + p0): only zero
    np.testing.assert_allclose(short.payments, [0, 0])
    np.testing.assert_allclose(short.external_paid, [2, 2])  # each pays out all it has
    np.testing.assert_allclose(short.net_worth, [2 - 6 - 4, 2 - 5 - 5])
    # senior with costs: p0 = 0.5 * 9 + 0.8 p1 - 4 if defaulted; bank 1 solvent with 9 + p0 * ... >= 5 + 5
    rv = eisenberg_noe(L, [9.0, 9.0], external_liabilities=[4.0, 5.0], seniority="senior", alpha=0.5, beta=0.8)
    # bank 0: 9 - 4 + 5 = 10 >= 6: solvent, pays 6; bank 1: 9 - 5 + 6 = 10 >= 5: solvent
    np.testing.assert_allclose(rv.payments, [6, 5])
    rv2 = eisenberg_noe(L, [3.0, 9.0], external_liabilities=[4.0, 5.0], seniority="senior", alpha=0.5, beta=0.8)
    # bank 0: 3 - 4 + 5 = 4 < 6 defaults and pays 0.5 * 3 + 0.8 * 5 - 4 = 1.5; bank 1: 9 - 5 + 1.5 >= 5
    np.testing.assert_allclose(rv2.payments, [1.5, 5])
    np.testing.assert_array_equal(rv2.defaulted, [True, False])
    # it realises 0.5 * 3 + 0.8 * 5 = 5.5 and its outside creditors get min(4, 5.5)
    np.testing.assert_allclose(rv2.external_paid, [4, 5])
    # bank 1 now holds 10: 10 - 5 + p0 >= 5 whatever bank 0 pays
    rv3 = eisenberg_noe(L, [1.0, 10.0], external_liabilities=[4.0, 5.0], seniority="senior", alpha=0.5, beta=0.8)
    # bank 0: 1 - 4 + 5 = 2 < 6; it realises 0.5 + 0.8 * 5 = 4.5, pays 0.5 to bank 1 and 4 outside
    np.testing.assert_allclose(rv3.payments, [0.5, 5])
    np.testing.assert_allclose(rv3.external_paid, [4, 5])
    rv4 = eisenberg_noe(L, [1.0, 10.0], external_liabilities=[6.0, 5.0], seniority="senior", alpha=0.5, beta=0.8)
    # now it realises 4.5 < 6: nothing for bank 1, 4.5 outside
    np.testing.assert_allclose(rv4.payments, [0, 5])
    np.testing.assert_allclose(rv4.external_paid, [4.5, 5])
    np.testing.assert_array_equal(rv4.defaulted, [True, False])


def test_beta_alone_scales_interbank_receipts():
    """Bank 0 holds 2 outside, owes 10 to bank 1 and receives bank 1's 4: 6 < 10. With beta = 0.5 it
    recovers 2 + 0.5 * 4 = 4; alpha = 0.5 alone gives 1 + 4 = 5."""
    L = np.array([[0, 10.0], [4.0, 0]])
    assert eisenberg_noe(L, [2.0, 10.0], beta=0.5).payments[0] == pytest.approx(4.0)
    assert eisenberg_noe(L, [2.0, 10.0], alpha=0.5).payments[0] == pytest.approx(5.0)
    assert eisenberg_noe(L, [2.0, 10.0]).payments[0] == pytest.approx(6.0)


def test_default_chain_clears_one_bank_per_round():
    """Bank i owes 1 to bank i + 1; bank 0 holds only 0.5. Each Picard round carries the shortfall one
    link further, so k links take k rounds and every bank of the chain pays 0.5."""
    for k in (1, 2, 5, 12):
        L = np.zeros((k + 1, k + 1))
        L[np.arange(k), np.arange(1, k + 1)] = 1.0
        res = eisenberg_noe(L, np.r_[0.5, np.zeros(k)])
        assert res.rounds == k and res.converged
        np.testing.assert_allclose(res.payments, np.r_[np.full(k, 0.5), 0.0])
        np.testing.assert_array_equal(res.defaulted, np.r_[np.ones(k, bool), False])
        np.testing.assert_allclose(res.net_worth, np.r_[-0.5, np.full(k - 1, -0.5), 0.5])


def test_solvent_network_takes_no_round():
    res = eisenberg_noe(L3, [100.0, 100.0, 100.0], external_liabilities=[1.0, 1.0, 1.0])
    assert res.rounds == 0 and not res.defaulted.any()
    np.testing.assert_allclose(res.payments, [5, 4, 3])
    empty = eisenberg_noe(np.zeros((3, 3)), 0.0)
    assert empty.rounds == 0 and empty.converged and empty.payments.tolist() == [0, 0, 0]
    np.testing.assert_array_equal(empty.receipts, [0, 0, 0])
    assert empty.defaulted.dtype == bool and empty.defaulted.shape == (3,)


# ---------------------------------------------------------------------------------- solver paths


SHAPES = [(6, 0.5, 0.3, 1.0), (15, 0.3, 0.5, 2.0), (30, 0.2, 1.0, 0.5), (40, 0.1, 0.2, 0.2), (25, 0.6, 0.1, 3.0),
          (8, 0.9, 0.05, 0.1)]
NETWORKS = [random_network(seed, *shape) for seed, shape in enumerate(SHAPES)]


@pytest.mark.parametrize("seniority", ["pari_passu", "senior"])
@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 1.0), (0.7, 0.9), (1.0, 0.6), (0.5, 1.0)])
def test_matches_picard_on_mixed_networks(seniority, alpha, beta):
    for L, e, ext in NETWORKS:
        res = eisenberg_noe(L, e, external_liabilities=ext, seniority=seniority, alpha=alpha, beta=beta)
        want = picard(L, e, ext, seniority, alpha, beta)
        np.testing.assert_allclose(res.payments, want, atol=1e-10 * max(want.max(), 1.0))
        owed = L.sum(axis=1)
        pbar = owed if seniority == "senior" else owed + ext
        np.testing.assert_allclose(res.obligations, pbar)
        r = (np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)).T @ res.payments
        np.testing.assert_allclose(res.receipts, r, atol=1e-10)
        assets = e - (ext if seniority == "senior" else 0) + r
        np.testing.assert_array_equal(res.defaulted, assets < pbar - 1e-9 * max(pbar.max(), 1.0))
        assert res.converged and res.warnings == ()


def slow_network(n=300, seed=3, leak=0.002, cash=0.01):
    """Almost nothing leaks out of the network: Picard steps shrink by a ratio close to 1."""
    rng = np.random.default_rng(seed)
    L = rng.exponential(1, (n, n)) * (rng.random((n, n)) < 0.1)
    np.fill_diagonal(L, 0)
    owed = L.sum(axis=1)
    return L, owed * rng.uniform(0, cash, n), owed * leak


def exact_default_block(L, e, ext, res):
    """Payments of the defaulted banks from their linear system, solvent banks paying pbar."""
    d, s = res.defaulted, ~res.defaulted
    pbar = L.sum(axis=1) + ext
    pi = L / pbar[:, None]
    rhs = e[d] + pi[np.ix_(s, d)].T @ pbar[s]
    return np.linalg.solve(np.eye(d.sum()) - pi[np.ix_(d, d)].T, rhs)


def test_slow_network_is_refined_exactly_and_quickly():
    L, e, ext = slow_network()
    res = eisenberg_noe(L, e, external_liabilities=ext)
    assert res.defaulted.sum() > 150
    np.testing.assert_allclose(res.payments[res.defaulted], exact_default_block(L, e, ext, res), rtol=1e-10)
    # a refinement is tried only when it is projected to save at least half of the Picard steps
    _, steps = picard(L, e, ext, count=True)
    assert steps > 500 and res.rounds < steps / 2


@pytest.mark.parametrize("seniority", ["pari_passu", "senior"])
def test_slow_network_through_gmres(monkeypatch, seniority):
    monkeypatch.setattr(cl, "DENSE_BLOCK", 0)
    L, e, ext = slow_network(n=250, seed=4)
    res = eisenberg_noe(L, e, external_liabilities=ext * (0.2 if seniority == "senior" else 1.0),
                        seniority=seniority)
    want, steps = picard(L, e, ext * (0.2 if seniority == "senior" else 1.0), seniority, count=True)
    np.testing.assert_allclose(res.payments, want, atol=1e-9 * want.max())
    assert res.rounds < steps / 2


def test_slow_network_with_costs(monkeypatch):
    L, e, ext = slow_network(n=200, seed=5, leak=0.001, cash=0.05)
    for dense in (200, 0):
        monkeypatch.setattr(cl, "DENSE_BLOCK", dense)
        res = eisenberg_noe(L, e, external_liabilities=ext, alpha=0.9, beta=0.999)
        want = picard(L, e, ext, "pari_passu", 0.9, 0.999)
        np.testing.assert_allclose(res.payments, want, atol=1e-9 * want.max())


def test_refinement_refused_on_a_closed_ring_keeps_the_greatest_vector():
    """A ring that pays only inside itself: every vector (t, t, t) with t <= 1 clears, the greatest
    is full payment; with one bank short outside the ring the only solution is zero."""
    n = 6
    ring = np.roll(np.eye(n), 1, axis=1)
    res = eisenberg_noe(ring, np.zeros(n))
    np.testing.assert_allclose(res.payments, 1)
    assert not res.defaulted.any()
    short = eisenberg_noe(ring * 10, np.zeros(n), external_liabilities=np.r_[0.1, np.zeros(n - 1)])
    np.testing.assert_allclose(short.payments, 0, atol=1e-9)
    assert short.converged and short.defaulted.all()
    # a closed sub-ring inside a larger defaulted set, with leaking banks around it
    L = np.zeros((5, 5))
    L[0, 1] = L[1, 0] = 1.0  # 0 and 1 owe each other and nothing else
    L[2, 3], L[3, 4], L[4, 2] = 2.0, 2.0, 2.0
    e, ext = np.array([0, 0, 0.5, 0.1, 0.0]), np.array([0, 0, 0.2, 0.3, 0.4])
    res = eisenberg_noe(L, e, external_liabilities=ext)
    np.testing.assert_allclose(res.payments, picard(L, e, ext), atol=1e-9)
    np.testing.assert_allclose(res.payments[:2], [1, 1])


def test_round_cap_warns_with_the_last_step():
    ring = np.roll(np.eye(3), 1, axis=1) * 100
    with pytest.warns(ConvergenceWarning) as seen:
        res = eisenberg_noe(ring, 0, external_liabilities=[0.001, 0, 0], max_rounds=2)
    message = str(seen[0].message)
    assert re.fullmatch(r"Eisenberg-Noe clearing stopped after 2 rounds with payments still changing by up to "
                        r"\S+; the payments are an upper bound of the greatest clearing vector", message)
    assert message.split("up to ")[1].startswith("0.001;")
    assert res.rounds == 2 and not res.converged
    assert res.warnings == (f"ConvergenceWarning: {message}",)
    # round 1: bank 0 gets 100 < 100.001 and pays 100; round 2: bank 1 gets 100 * 100 / 100.001
    np.testing.assert_allclose(res.payments, [100, 1e4 / 100.001, 100], rtol=1e-13)
    one = eisenberg_noe(np.array([[0, 1.0], [0, 0]]), [0.5, 0], max_rounds=1)
    assert one.converged and one.rounds == 1 and one.payments.tolist() == [0.5, 0.0]


def test_tolerance_is_relative_to_the_largest_amount():
    L, e, ext = NETWORKS[1]
    for scale in (1e-6, 1.0, 1e6):
        res = eisenberg_noe(L * scale, e * scale, external_liabilities=ext * scale)
        want = picard(L, e, ext) * scale
        np.testing.assert_allclose(res.payments, want, atol=1e-10 * want.max())
    # a loose tolerance stops early, above the greatest clearing vector and within the tolerance
    loose = eisenberg_noe(L, e, external_liabilities=ext, tol=1e-3)
    exact = picard(L, e, ext)
    assert np.all(loose.payments >= exact - 1e-12) and np.abs(loose.payments - exact).max() > 1e-9


# ---------------------------------------------------------------------------------- block kernels


def make_receipts(seed=0, n=30, density=0.2):
    L, e, ext = random_network(seed, n, density)
    pbar = L.sum(axis=1) + ext
    pi = sp.csr_matrix(L / pbar[:, None])
    return pi, pbar, e, ext


def test_receipts_track_partial_updates_and_switch_to_full_products():
    pi, pbar, _, _ = make_receipts()
    dense = pi.toarray()
    rec = cl._Receipts(pi, pbar.copy())
    np.testing.assert_allclose(rec.value, dense.T @ pbar)
    assert not rec.full and rec.idx.size == 0 and rec.nnz == 0
    p = pbar.copy()
    for k, new in enumerate([np.array([3]), np.array([7, 1]), np.array([0]), np.array([12]), np.array([5])]):
        rec.add(new)
        delta = np.zeros_like(p)
        delta[rec.idx] = -0.1 * p[rec.idx]
        p += delta
        rec.update(p, delta)
        np.testing.assert_allclose(rec.value, dense.T @ p, atol=1e-12)
        np.testing.assert_array_equal(rec.rows().toarray(), dense[rec.idx])
        assert rec.nnz == pi[rec.idx].nnz and not rec.full, k
    assert rec.idx.tolist() == [3, 7, 1, 0, 12, 5]
    # past a third of the entries receipts are recomputed in full
    rest = np.setdiff1d(np.arange(30), rec.idx)
    rec.add(rest[:15])
    assert rec.full and rec.blocks == [] and rec.transposed == []
    p *= 0.9
    rec.update(p, None)
    np.testing.assert_allclose(rec.value, dense.T @ p, atol=1e-12)
    rec.add(rest[15:])
    assert rec.idx.size == 30
    np.testing.assert_allclose(rec.exact(p * 0.5), dense.T @ (p * 0.5), atol=1e-12)
    np.testing.assert_allclose(rec.value, dense.T @ (p * 0.5), atol=1e-12)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("beta", [1.0, 0.7])
def test_block_products_match_dense_algebra(full, beta):
    pi, pbar, _, _ = make_receipts(seed=1)
    dense = pi.toarray()
    rec = cl._Receipts(pi, pbar.copy())
    d = np.array([4, 9, 2, 17, 11]) if not full else np.arange(0, 30, 2)
    rec.add(d)
    if full:
        rec.full = True
    B = cl._Block(rec, beta)
    want = beta * dense[np.ix_(d, d)].T
    assert B.m == d.size
    np.testing.assert_allclose(B.explicit().toarray(), want, atol=1e-15)
    x = np.linspace(1, 2, d.size)
    np.testing.assert_allclose(B.matvec(x), want @ x, atol=1e-13)
    j = np.array([0, 2, 3])
    np.testing.assert_allclose(B.matvec(x[j], j), want[np.ix_(j, j)] @ x[j], atol=1e-13)
    np.testing.assert_allclose(B.sub(j).toarray(), want[np.ix_(j, j)], atol=1e-15)
    np.testing.assert_allclose(B.sub(np.arange(d.size)).toarray(), want, atol=1e-15)
    # the share of each defaulted bank's payment that stays in D, times beta
    np.testing.assert_allclose(B.kept_inside(), beta * dense[np.ix_(d, d)].sum(axis=1), atol=1e-13)
    fresh = cl._Block(rec, beta)
    np.testing.assert_allclose(fresh.kept_inside(), beta * dense[np.ix_(d, d)].sum(axis=1), atol=1e-13)
    np.testing.assert_allclose(fresh.matvec(x[j], j), want[np.ix_(j, j)] @ x[j], atol=1e-13)
    np.testing.assert_allclose(fresh.matvec(x), want @ x, atol=1e-13)


def test_has_closed_class():
    def block(edges, n, beta=1.0):
        m = np.zeros((n, n))
        for a, b, w in edges:
            m[a, b] = w
        return sp.csc_matrix(beta * m.T)  # B[a, b] = beta * pi[b, a]

    ring = block([(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)], 3)
    assert cl._has_closed_class(ring, np.ones(3, bool))
    assert not cl._has_closed_class(ring, np.array([True, True, False]))  # broken ring: leaks
    leaky = block([(0, 1, 1.0), (1, 2, 1.0), (2, 0, 0.9)], 3)
    assert not cl._has_closed_class(leaky, np.ones(3, bool))
    costly = block([(0, 1, 1.0), (1, 0, 1.0)], 2, beta=0.9)
    assert not cl._has_closed_class(costly, np.ones(2, bool))
    pair_and_tail = block([(0, 1, 1.0), (1, 0, 1.0), (2, 0, 0.5), (2, 3, 0.5)], 4)
    assert cl._has_closed_class(pair_and_tail, np.ones(4, bool))
    assert not cl._has_closed_class(pair_and_tail, np.array([False, True, True, True]))
    split = block([(0, 1, 0.5), (0, 2, 0.5), (1, 0, 1.0), (2, 0, 1.0)], 3)  # one class of three
    assert cl._has_closed_class(split, np.ones(3, bool))
    single = block([(0, 1, 1.0)], 2)  # a bank paying everything to a sink that pays nothing: no cycle
    assert not cl._has_closed_class(single, np.ones(2, bool))


def dense_block(seed, m, keep=0.8):
    rng = np.random.default_rng(seed)
    pi = rng.random((m, m)) * (rng.random((m, m)) < 0.3)
    np.fill_diagonal(pi, 0)
    pi *= keep / np.maximum(pi.sum(axis=1, keepdims=True), 1e-300)
    return pi


class DenseBlock:
    """A stand-in for ``_Block`` over an explicit matrix (B = pi^T)."""

    def __init__(self, pi):
        self._explicit = sp.csc_matrix(pi.T)
        self.m = pi.shape[0]

    def explicit(self):
        return self._explicit

    def sub(self, j):
        return self._explicit if j.size == self.m else self._explicit[j][:, j]

    def matvec(self, x, j=None):
        if j is None:
            return self._explicit @ x
        full = np.zeros(self.m)
        full[j] = x
        return (self._explicit @ full)[j]

    def kept_inside(self):
        return np.ones(self.m) @ self._explicit


def test_solve_dense_and_gmres(monkeypatch):
    pi = dense_block(0, 50)
    B = DenseBlock(pi)
    c = np.linspace(0.5, 1.5, 50)
    want = np.linalg.solve(np.eye(50) - pi.T, c)
    j = np.arange(50)
    x, used = cl._solve(B, j, c, np.zeros(50), 1e-12, 1000)
    np.testing.assert_allclose(x, want, rtol=1e-12)
    assert used == 1
    sub = np.arange(0, 50, 2)
    x, _ = cl._solve(B, sub, c[sub], np.zeros(sub.size), 1e-12, 1000)
    np.testing.assert_allclose(x, np.linalg.solve(np.eye(sub.size) - pi[np.ix_(sub, sub)].T, c[sub]), rtol=1e-12)
    monkeypatch.setattr(cl, "DENSE_BLOCK", 10)
    x, used = cl._solve(B, j, c, np.zeros(50), 1e-12, 1000)
    np.testing.assert_allclose(x, want, rtol=1e-9)
    assert 1 < used <= 1000
    x, used = cl._solve(B, sub, c[sub], np.zeros(sub.size), 1e-12, 1000)
    np.testing.assert_allclose(x, np.linalg.solve(np.eye(sub.size) - pi[np.ix_(sub, sub)].T, c[sub]), rtol=1e-9)
    # no budget for a single iteration: refused without work
    assert cl._solve(B, j, c, np.zeros(50), 1e-12, 2) == (None, 0)
    # a budget too small to converge: given up, the work done reported, within the budget
    x, used = cl._solve(B, j, c, np.zeros(50), 1e-14, 6)
    assert x is None and 0 < used <= 6


def test_solve_singular_dense_block():
    pi = np.array([[0, 1.0], [1.0, 0]])  # a closed pair: I - B is singular
    x, used = cl._solve(DenseBlock(pi), np.arange(2), np.array([1.0, 1.0]), np.zeros(2), 1e-12, 100)
    assert x is None and used == 1


def test_refine_solves_the_floored_block():
    """x = max(0, c + B x) on a block with a leak: policy iteration against a brute-force search over
    the positive sets, solved here by dense linear algebra."""
    rng = np.random.default_rng(7)
    m = 8
    pi = dense_block(3, m, keep=0.7)
    B = DenseBlock(pi)
    c = rng.normal(0, 1, m)
    want = None
    for mask in range(1 << m):
        J = np.array([(mask >> k) & 1 for k in range(m)], bool)
        x = np.zeros(m)
        if J.any():
            x[J] = np.linalg.solve(np.eye(J.sum()) - pi[np.ix_(J, J)].T, c[J])
        v = c + pi.T @ x
        if np.all(x[J] >= -1e-12) and np.all(v[~J] <= 1e-12):
            want = x
            break
    q = want + 1.0  # an upper bound
    inflow = c + B.matvec(q)
    x, used = cl._refine(B, q, inflow, 1e-13, 1e-12, 1000)
    np.testing.assert_allclose(x, want, atol=1e-12)
    assert used >= 2
    # an upper bound that is too low is refused
    assert cl._refine(B, want * 0.5, c + B.matvec(want * 0.5), 1e-13, 1e-12, 1000)[0] is None


def test_refine_refuses_a_closed_pair_with_inflow():
    """Banks 0 and 1 pay only each other and bank 0 receives 0.2 from outside: x = c + B x has no
    solution (the inflow piles up), the block solve is singular and the refinement is refused."""
    pi = np.array([[0, 1.0], [1.0, 0]])
    B = DenseBlock(pi)
    q = np.array([1.0, 1.0])
    x, used = cl._refine(B, q, B.matvec(q) + np.array([0.2, 0.0]), 1e-13, 1e-12, 100)
    assert x is None and used >= 2


# ---------------------------------------------------------------------------------- inputs and texts


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"alpha": 0}, "alpha: 0; expected a recovery rate in (0, 1]"),
    ({"alpha": 1.2}, "alpha: 1.2; expected a recovery rate in (0, 1]"),
    ({"beta": 1.5}, "beta: 1.5; expected a recovery rate in (0, 1]"),
    ({"beta": -0.5}, "beta: -0.5; expected a recovery rate in (0, 1]"),
    ({"alpha": "1"}, "alpha: 1; expected a recovery rate in (0, 1]"),
    ({"tol": 1}, "tol: 1; expected a relative tolerance in (0, 1)"),
    ({"tol": 0.0}, "tol: 0.0; expected a relative tolerance in (0, 1)"),
    ({"tol": "x"}, "tol: x; expected a relative tolerance in (0, 1)"),
    ({"max_rounds": 0}, "max_rounds: 0; expected a positive whole number"),
    ({"max_rounds": 2.0}, "max_rounds: 2.0; expected a positive whole number"),
    ({"seniority": "junior"}, "seniority: 'junior' is not one of 'pari_passu', 'senior'"),
    ({"external_assets": [1, 1, -1]}, "external_assets: negative value at node 2"),
    ({"external_liabilities": [1, 1]}, "external_liabilities: length 2 for 3 nodes"),
    ({"labels": ["a", "a", "b"]}, "labels: label 'a' appears twice"),
    ({"liabilities": np.zeros((2, 3))}, "liabilities: expected a square matrix, got shape (2, 3)"),
])
def test_messages(kwargs, message):
    args = {"liabilities": L3, "external_assets": [1, 1, 1], **kwargs}
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        eisenberg_noe(**args)


def test_recovery_rates_at_the_bounds_are_accepted():
    res = eisenberg_noe(L3, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0], alpha=1, beta=1e-9,
                        tol=1e-15, max_rounds=1)
    assert res.alpha == 1.0 and res.beta == 1e-9 and isinstance(res.alpha, float)


def test_summary_texts():
    res = eisenberg_noe(L3, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0])
    assert res.with_lang("en").summary().splitlines()[0] == (
        "Eisenberg-Noe clearing (external debt pari passu): 1 of 3 default, shortfall 1, 1 rounds")
    assert res.summary().splitlines()[0] == "Eisenberg-Noe 清算（外部债务同顺位）：3 家中 1 家违约，缺口合计 1，1 轮"
    assert res.summary().splitlines()[1:] == res.footer().splitlines()
    rv = eisenberg_noe(L3, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0], alpha=0.5)
    assert rv.with_lang("en").summary().splitlines()[0] == (
        "Eisenberg-Noe clearing (external debt pari passu, alpha 0.5, beta 1): 2 of 3 default, shortfall 19.9, "
        "2 rounds")
    sen = eisenberg_noe(L3, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0], seniority="senior",
                        beta=0.5)
    assert sen.with_lang("en").summary().splitlines()[0] == (
        "Eisenberg-Noe clearing (senior external debt, alpha 1, beta 0.5): 2 of 3 default, shortfall 4, 2 rounds")
    assert sen.summary().splitlines()[0] == (
        "Eisenberg-Noe 清算（外部债务优先, alpha 1, beta 0.5）：3 家中 2 家违约，缺口合计 4，2 轮")
    stuck = ClearingResult(res.payments, res.obligations, res.defaulted, 3, res.net_worth, res.external_paid,
                           converged=False)
    assert stuck.with_lang("en").summary().splitlines()[0].endswith(
        "3 rounds; NOT converged (payments are an upper bound of the greatest clearing vector)")
    assert stuck.summary().splitlines()[0].endswith("3 轮；未收敛（支付为最大清算向量的上界）")


def test_tables_config_and_from_tables():
    prov = Provenance.from_inputs("clearing", inputs={"L": L3}, params={})
    res = eisenberg_noe(L3, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0], seniority="senior",
                        alpha=0.6, beta=0.7, labels=["A", "B", "C"], provenance=prov)
    assert res.provenance is prov
    t = res.tables()["clearing"]
    assert list(t.columns) == ["node", "payment", "obligation", "shortfall", "receipts", "defaulted", "net_worth",
                               "external_paid"]
    np.testing.assert_allclose(t["shortfall"], t["obligation"] - t["payment"])
    assert res.config() == {"seniority": "senior", "alpha": 0.6, "beta": 0.7, "rounds": res.rounds,
                            "converged": True}
    back = ClearingResult.from_tables(res.tables(), res.config(), provenance=prov, warnings=("w",))
    for name in ("payments", "obligations", "defaulted", "net_worth", "external_paid", "receipts"):
        np.testing.assert_array_equal(getattr(back, name), getattr(res, name))
    assert (back.rounds, back.seniority, back.alpha, back.beta, back.converged, back.nodes) == (
        res.rounds, "senior", 0.6, 0.7, True, ("A", "B", "C"))
    assert back.provenance is prov and back.warnings == ("w",)
    # a stored table without receipts and a config without the optional keys
    bare = ClearingResult.from_tables({"clearing": t.drop(columns="receipts")}, None, provenance=prov)
    assert bare.receipts.size == 0 and "receipts" not in bare.tables()["clearing"]
    assert (bare.rounds, bare.seniority, bare.alpha, bare.beta, bare.converged) == (0, "pari_passu", 1.0, 1.0, True)
    assert bare.warnings == ()
    stuck = ClearingResult.from_tables(res.tables(), {**res.config(), "converged": False}, provenance=prov)
    assert stuck.converged is False
    plain = ClearingResult(res.payments, res.obligations, res.defaulted, 1, res.net_worth, res.external_paid)
    assert plain.node_ids == [0, 1, 2] and plain.seniority == "pari_passu" and plain.receipts.size == 0
    assert list(plain.tables()["clearing"]["node"]) == [0, 1, 2]


def test_stored_integer_tables_come_back_as_floats():
    res = eisenberg_noe(L3, [18.0, 18.0, 9.0], external_liabilities=[17.0, 18.0, 8.0])
    t = res.tables()["clearing"].assign(payment=[20, 21, 10], obligation=[21, 21, 10], net_worth=[-1, 0, 2],
                                        external_paid=[16, 18, 8], receipts=[2, 20, 3], defaulted=[1, 0, 0])
    back = ClearingResult.from_tables({"clearing": t}, res.config(), provenance=res.provenance)
    for name in ("payments", "obligations", "net_worth", "external_paid", "receipts"):
        assert getattr(back, name).dtype == float, name
    assert back.defaulted.dtype == bool and back.defaulted.tolist() == [True, False, False]
    np.testing.assert_array_equal(back.shortfall, [1, 0, 0])
