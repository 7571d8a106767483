import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.core.errors import InputError
from finstab.mcda.ahp import (
    RI_TABLES,
    ahp_weights,
    group_judgments,
    matrix_from_priorities,
    random_index,
)


def power_iteration(a: np.ndarray, steps: int = 2000) -> tuple[np.ndarray, float]:
    """Independent principal eigenpair of a positive matrix (Perron-Frobenius)."""
    w = np.ones(len(a)) / len(a)
    for _ in range(steps):
        w = a @ w
        w /= w.sum()
    return w, float((a @ w)[0] / w[0])


SAATY_1980 = (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)


def test_default_ri_table_is_saaty_1980():
    assert RI_TABLES["saaty1980"] == SAATY_1980
    assert random_index(9) == 1.45


def test_eigen_weights_match_power_iteration():
    a = np.array([[1, 3, 5, 7], [1 / 3, 1, 3, 5], [1 / 5, 1 / 3, 1, 3], [1 / 7, 1 / 5, 1 / 3, 1]])
    res = ahp_weights(a)
    w, lam = power_iteration(a)
    np.testing.assert_allclose(res.weights, w, atol=1e-10)
    assert res.lambda_max == pytest.approx(lam, abs=1e-9)
    assert res.ci == pytest.approx((lam - 4) / 3)
    assert res.cr == pytest.approx((lam - 4) / 3 / 0.90)
    assert res.consistent


@given(st.lists(st.floats(0.05, 20), min_size=3, max_size=12))
@settings(max_examples=50, deadline=None)
def test_exactly_consistent_matrix_recovers_priorities(p):
    w = np.array(p) / sum(p)
    a = w[:, None] / w[None, :]
    for method in ("eigen", "geometric"):
        res = ahp_weights(a, method=method)
        np.testing.assert_allclose(res.weights, w, rtol=1e-8)
        assert res.lambda_max == pytest.approx(len(w), rel=1e-9)
        assert res.cr == pytest.approx(0, abs=1e-9)


def test_geometric_method_is_row_geometric_mean():
    a = np.array([[1, 2, 6], [1 / 2, 1, 4], [1 / 6, 1 / 4, 1]])
    g = np.array([(1 * 2 * 6) ** (1 / 3), (0.5 * 1 * 4) ** (1 / 3), (1 / 24) ** (1 / 3)])
    np.testing.assert_allclose(ahp_weights(a, "geometric").weights, g / g.sum())


def test_order_two_is_always_consistent():
    res = ahp_weights([[1, 9], [1 / 9, 1]])
    assert res.consistent and res.cr == 0
    np.testing.assert_allclose(res.weights, [0.9, 0.1])


def test_inconsistent_matrix_flagged_and_repair_points_at_bad_pair():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    a = matrix_from_priorities(w)
    assert ahp_weights(a).consistent
    a[0, 3], a[3, 0] = 1 / 9, 9  # the opposite of the truth
    res = ahp_weights(a)
    assert not res.consistent
    rep = res.repair()
    assert (rep.i, rep.j) == (0, 3)
    assert rep.suggested > 1 and rep.cr_after < res.cr


def test_other_ri_table_changes_cr():
    a = np.array([[1, 2, 5], [1 / 2, 1, 2], [1 / 5, 1 / 2, 1]])
    r1 = ahp_weights(a, ri_table="saaty1980")
    r2 = ahp_weights(a, ri_table="alonso_lamata2006")
    assert r1.ci == pytest.approx(r2.ci)
    assert r2.cr == pytest.approx(r1.ci / 0.5245)
    with pytest.raises(InputError, match="ri_table: .nope. is not one of"):
        ahp_weights(a, ri_table="nope")


@pytest.mark.parametrize(("matrix", "message"), [
    ([[1, 2, 3], [1 / 2, 1, 2]], "square"),
    ([[1, -2], [-0.5, 1]], "expected > 0"),
    ([[1, 3, 2], [1 / 3, 1, 2], [2, 1 / 2, 1]], "not reciprocal"),
    ([[2, 1], [1, 1]], "diagonal"),
])
def test_bad_matrices_rejected(matrix, message):
    with pytest.raises(InputError, match=message):
        ahp_weights(matrix)


def test_group_judgment_is_weighted_geometric_mean():
    a = np.array([[1, 3], [1 / 3, 1]])
    b = np.array([[1, 1 / 3], [3, 1]])
    g = group_judgments([a, b])
    np.testing.assert_allclose(g, np.ones((2, 2)))
    g2 = group_judgments([a, b], weights=[3, 1])
    assert g2[0, 1] == pytest.approx(3 ** 0.75 * (1 / 3) ** 0.25)
    np.testing.assert_allclose(g2 * g2.T, 1.0)
    with pytest.raises(InputError, match="weights"):
        group_judgments([a, b], weights=[1])
