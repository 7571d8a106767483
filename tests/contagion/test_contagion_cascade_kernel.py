"""Furfine (2003) cascade: the failure threshold exactly at the buffer, losses round by round by
hand, the initial set in every accepted form, exact messages and texts, the stored round trip."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp

from finstab.contagion import CascadeResult, furfine_cascade
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance

# a chain: bank 1 lent 2 to bank 0, bank 2 lent 3 to bank 1, bank 3 lent 1 to banks 0 and 2
X4 = np.array([[0, 0, 0, 0], [2, 0, 0, 0], [0, 3, 0, 0], [1, 0, 1, 0.0]])


def test_a_loss_equal_to_the_buffer_fails_the_bank():
    res = furfine_cascade(X4, [5, 2, 3, 2], [0])
    # round 1: bank 1 loses 2 = its buffer; round 2: bank 2 loses 3 = its buffer; bank 3 loses 1 + 1 = 2
    np.testing.assert_array_equal(res.failed_round, [0, 1, 2, 3])
    assert res.rounds == ((0,), (1,), (2,), (3,))
    np.testing.assert_allclose(res.losses, [0, 2, 3, 2])
    # just above the loss: nobody follows bank 0
    above = furfine_cascade(X4, [5, 2.0000001, 3, 2], [0])
    np.testing.assert_array_equal(above.failed_round, [0, -1, -1, -1])
    assert above.rounds == ((0,),)
    np.testing.assert_allclose(above.losses, [0, 2, 0, 1])


def test_losses_accumulate_over_rounds_with_lgd():
    # with lgd 0.5 bank 3 loses 0.5 when bank 0 fails and 0.5 more when bank 2 fails
    res = furfine_cascade(X4, [5, 1, 1.5, 1], [0], lgd=0.5)
    np.testing.assert_array_equal(res.failed_round, [0, 1, 2, 3])
    np.testing.assert_allclose(res.losses, [0, 1, 1.5, 1])
    assert res.lgd == 0.5 and isinstance(res.lgd, float)
    stop = furfine_cascade(X4, [5, 1, 1.5, 1.01], [0], lgd=0.5)
    np.testing.assert_array_equal(stop.failed_round, [0, 1, 2, -1])
    # two initial failures in one round; several new failures in one round
    both = furfine_cascade(X4, [5, 2, 3, 1], [0, 2])
    np.testing.assert_array_equal(both.failed_round, [0, 1, 0, 1])
    assert both.rounds == ((0, 2), (1, 3))
    np.testing.assert_allclose(both.losses, [0, 2, 3, 2])  # a failed bank's own losses are still counted
    # lgd 0: nobody loses anything; lgd 1 is the default
    zero = furfine_cascade(X4, [0, 0, 0, 0], [0], lgd=0)
    np.testing.assert_array_equal(zero.failed_round, [0, -1, -1, -1])
    np.testing.assert_allclose(furfine_cascade(X4, [5, 2, 3, 2], [0]).losses,
                               furfine_cascade(X4, [5, 2, 3, 2], [0], lgd=1.0).losses)


def test_banks_with_no_loss_never_fail_even_with_no_buffer():
    res = furfine_cascade(X4, [0, 0, 0, 0], [1])
    # bank 1 fails: bank 2 lent to it and fails (3 >= 0); then bank 3 (1 >= 0); bank 0 lost nothing
    np.testing.assert_array_equal(res.failed_round, [-1, 0, 1, 2])
    assert furfine_cascade(X4, [0, 0, 0, 0], []).failed_round.tolist() == [-1, -1, -1, -1]


def test_sparse_and_scalar_buffers():
    res = furfine_cascade(sp.csr_matrix(X4), 2.0, [0])
    np.testing.assert_array_equal(res.failed_round, [0, 1, 2, 3])
    np.testing.assert_allclose(res.buffers, [2, 2, 2, 2])


@pytest.mark.parametrize(("initial", "want"), [
    ([3, 0, 3], [0, 3]), ({2, 0}, [0, 2]), (frozenset([1]), [1]), (range(2), [0, 1]), ((3,), [3]),
    (np.int64(2), [2]), (2.0, [2]), (np.array([0.0, 3.0]), [0, 3]),
])
def test_initial_forms(initial, want):
    res = furfine_cascade(X4, [9, 9, 9, 9], initial)
    assert res.rounds[0] == tuple(want)
    np.testing.assert_array_equal(np.flatnonzero(res.failed_round == 0), want)


@pytest.mark.parametrize(("initial", "message"), [
    ([4], "initial: bank position 4 is out of range 0..3"),
    ([-1], "initial: bank position -1 is out of range 0..3"),
    ([1.5], "initial: 1.5 is not a whole number; expected bank positions in 0..3"),
    ([True], "initial: True is not a bank position; expected whole numbers in 0..3"),
    ([np.bool_(False)], "initial: np.False_ is not a bank position; expected whole numbers in 0..3"),
    ("B", "initial: 'B' is not a bank position; expected whole numbers in 0..3"),
    ([b"x"], "initial: b'x' is not a bank position; expected whole numbers in 0..3"),
    ([None], "initial: None is not a bank position; expected whole numbers in 0..3"),
    (np.array([[1], [2]]), "initial: [1] is not a bank position; expected whole numbers in 0..3"),
])
def test_initial_messages(initial, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        furfine_cascade(X4, [1, 1, 1, 1], initial)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lgd": -0.1}, "lgd: -0.1; expected a loss given default in [0, 1]"),
    ({"lgd": 1.01}, "lgd: 1.01; expected a loss given default in [0, 1]"),
    ({"lgd": "1"}, "lgd: 1; expected a loss given default in [0, 1]"),
    ({"buffers": [1, 1, 1]}, "buffers: length 3 for 4 nodes"),
    ({"buffers": [1, -1, 1, 1]}, "buffers: negative value at node 1"),
    ({"exposures": np.ones((4, 4))}, "exposures: a bank cannot owe itself: the diagonal must be zero"),
    ({"labels": list("abc")}, "labels: 3 labels for 4 nodes"),
])
def test_cascade_messages(kwargs, message):
    args = {"exposures": X4, "buffers": [1, 1, 1, 1], "initial": [0], **kwargs}
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        furfine_cascade(**args)


def test_summary_texts_and_tables():
    res = furfine_cascade(X4, [5, 2, 3, 1], [0, 2], lgd=0.5, labels=list("ABCD"))
    # lgd 0.5: bank 1 loses 1 < 2 and survives; bank 3 loses 0.5 + 0.5 = 1 and fails in round 1
    np.testing.assert_array_equal(res.failed_round, [0, -1, 0, 1])
    assert res.with_lang("en").summary().splitlines()[0] == (
        "Furfine cascade (LGD 0.5): 2 initial, 3 failed in all after 1 rounds (new per round: 1)")
    assert res.summary().splitlines()[0] == ("Furfine 违约传染（LGD 0.5）：初始 2 家，传染后共 3 家倒闭，"
                                             "1 轮（各轮新增 1）")
    assert res.summary().splitlines()[1:] == res.footer().splitlines()
    quiet = furfine_cascade(X4, [9, 9, 9, 9], [1])
    assert quiet.with_lang("en").summary().splitlines()[0] == (
        "Furfine cascade (LGD 1): 1 initial, 1 failed in all after 0 rounds (new per round: -)")
    assert quiet.summary().splitlines()[0] == ("Furfine 违约传染（LGD 1）：初始 1 家，传染后共 1 家倒闭，"
                                               "0 轮（各轮新增 -）")
    longer = furfine_cascade(X4, [5, 2, 3, 2], [0])
    assert "after 3 rounds (new per round: 1, 1, 1)" in longer.with_lang("en").summary()
    empty = CascadeResult(np.full(2, -1), (), np.zeros(2), np.ones(2), 1.0)
    assert empty.with_lang("en").summary().splitlines()[0] == (
        "Furfine cascade (LGD 1): 0 initial, 0 failed in all after 0 rounds (new per round: -)")
    assert "初始 0 家，传染后共 0 家倒闭，0 轮" in empty.summary()
    t = res.tables()["cascade"]
    assert list(t.columns) == ["node", "failed_round", "failed", "loss", "buffer"]
    assert t["node"].tolist() == list("ABCD") and t["failed"].tolist() == [True, False, True, True]
    np.testing.assert_allclose(t["loss"], [0, 1, 0, 1])
    assert res.config() == {"lgd": 0.5}
    assert res.round_labels() == [["A", "C"], ["D"]]
    assert empty.node_ids == [0, 1]


def test_from_tables_rebuilds_the_rounds():
    prov = Provenance.from_inputs("cascade", inputs={"x": X4}, params={})
    res = furfine_cascade(X4, [5, 1.5, 2.3, 1.5], [0], lgd=0.8, labels=list("ABCD"), provenance=prov)
    assert res.provenance is prov
    back = CascadeResult.from_tables(res.tables(), res.config(), provenance=prov, warnings=("w",))
    np.testing.assert_array_equal(back.failed_round, res.failed_round)
    assert back.rounds == res.rounds == ((0,), (1,), (2,), (3,))
    np.testing.assert_allclose(back.losses, res.losses)
    np.testing.assert_allclose(back.buffers, [5, 1.5, 2.3, 1.5])
    assert back.lgd == 0.8 and back.nodes == tuple("ABCD") and back.warnings == ("w",) and back.provenance is prov
    # no lgd stored: 1; nobody failed: no rounds
    bare = CascadeResult.from_tables(res.tables(), None, provenance=prov)
    assert bare.lgd == 1.0 and bare.warnings == ()
    t = res.tables()["cascade"].assign(failed_round=-1)
    assert CascadeResult.from_tables({"cascade": t}, {}, provenance=prov).rounds == ()


def test_stored_tables_of_other_types():
    prov = Provenance.from_inputs("cascade", inputs={"x": X4}, params={})
    res = furfine_cascade(X4, [5, 2, 3, 2], [0])
    t = res.tables()["cascade"].assign(failed_round=[0.0, 1.0, 2.0, 3.0], loss=[0, 2, 3, 2], buffer=[5, 2, 3, 2])
    back = CascadeResult.from_tables({"cascade": t}, {"lgd": 1}, provenance=prov)
    assert back.failed_round.dtype.kind == "i" and back.losses.dtype == float and back.buffers.dtype == float
    assert back.rounds == ((0,), (1,), (2,), (3,)) and back.lgd == 1.0 and isinstance(back.lgd, float)
    empty = CascadeResult.from_tables({"cascade": t.iloc[:0]}, {}, provenance=prov)
    assert empty.rounds == () and empty.failed_round.size == 0
