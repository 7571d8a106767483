"""Furfine's sequential-default cascade against hand cases and a plain loop; input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.contagion import CascadeResult, furfine_cascade
from finstab.core.errors import InputError
from finstab.store import Store

X3 = np.array([[0, 0, 2], [4, 0, 0], [0, 3, 0.0]])  # X[i, j] = what i lent to j
BUF3 = np.array([3.0, 2.0, 2.0])


def loop_cascade(X, buf, initial, lgd):
    """One bank at a time, round by round, as Furfine (2003) describes it."""
    n = len(buf)
    failed = {int(i): 0 for i in initial}
    k = 0
    while True:
        k += 1
        new = [i for i in range(n) if i not in failed
               and 0 < lgd * sum(X[i, j] for j in failed) >= buf[i]]
        if not new:
            return np.array([failed.get(i, -1) for i in range(n)])
        failed.update({i: k for i in new})


def test_by_hand():
    res = furfine_cascade(X3, BUF3, [2])
    # bank 0 lent 2 to bank 2 < buffer 3: survives; nobody else is exposed to 2
    np.testing.assert_array_equal(res.failed_round, [-1, -1, 0])
    res = furfine_cascade(X3, [1.5, 2, 2], [2])
    np.testing.assert_array_equal(res.failed_round, [1, 2, 0])
    assert res.rounds == ((2,), (0,), (1,))
    np.testing.assert_allclose(res.losses, [2, 4, 3])  # bank 2 lent 3 to bank 1, which failed too
    # loss given default 0.5: bank 0 loses 1 < 1.5
    np.testing.assert_array_equal(furfine_cascade(X3, [1.5, 2, 2], [2], lgd=0.5).failed_round, [-1, -1, 0])


def test_zero_buffer_without_losses_survives():
    res = furfine_cascade(X3, [3, 0, 2], [2])
    assert res.failed_round[1] == -1


@given(st.integers(2, 15), st.integers(0, 2**32 - 1), st.floats(0.1, 1))
@settings(max_examples=80, deadline=None)
def test_matches_plain_loop(n, seed, lgd):
    rng = np.random.default_rng(seed)
    X = rng.exponential(1, (n, n)) * (rng.random((n, n)) < 0.4)
    np.fill_diagonal(X, 0)
    buf = rng.uniform(0, 2, n)
    initial = rng.choice(n, size=int(rng.integers(0, 3)), replace=False)
    res = furfine_cascade(X, buf, initial, lgd)
    np.testing.assert_array_equal(res.failed_round, loop_cascade(X, buf, initial, lgd))


@pytest.mark.parametrize(("initial", "message"), [
    ([3], "out of range"), ([-1], "out of range"), ([1.5], "whole number"), ([True], "not a bank position"),
    (["B"], "not a bank position"), ([0, 7], "out of range"), (np.array([0.5]), "whole number"),
])
def test_bad_initial_named(initial, message):
    with pytest.raises(InputError, match=message) as err:
        furfine_cascade(X3, BUF3, initial)
    assert err.value.where == "initial"


def test_initial_forms_accepted():
    a = furfine_cascade(X3, [1.5, 2, 2], np.array([2], dtype=np.int64))
    b = furfine_cascade(X3, [1.5, 2, 2], [2.0])
    c = furfine_cascade(X3, [1.5, 2, 2], 2)
    np.testing.assert_array_equal(a.failed_round, b.failed_round)
    np.testing.assert_array_equal(a.failed_round, c.failed_round)
    assert furfine_cascade(X3, BUF3, []).failed.sum() == 0


@pytest.mark.parametrize("lgd", [-0.1, 1.5, float("nan")])
def test_bad_lgd(lgd):
    with pytest.raises(InputError, match="lgd"):
        furfine_cascade(X3, BUF3, [2], lgd)


def test_result_protocol(tmp_path):
    res = furfine_cascade(X3, [1.5, 2, 2], [2], labels=["A", "B", "C"])
    assert isinstance(res, CascadeResult) and res.kind == "cascade"
    table = res.to_frame()
    assert list(table["node"]) == ["A", "B", "C"] and list(table["failed_round"]) == [1, 2, 0]
    assert res.round_labels() == [["C"], ["A"], ["B"]]
    assert str(res) == res.summary() and "传染" in res.summary() and "2 rounds" in res.with_lang("en").summary()
    assert {p.name for p in res.write(tmp_path / "out")} >= {"cascade.csv", "results.xlsx", "summary.txt"}
    store = Store(tmp_path / "runs.duckdb")
    back = store.load(store.save(res))
    assert isinstance(back, CascadeResult) and back.rounds == res.rounds
    pd.testing.assert_frame_equal(back.to_frame(), table, check_dtype=False)
