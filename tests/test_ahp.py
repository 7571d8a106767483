import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.core.errors import InputError
from finstab.core.warnings import ConvergenceWarning
from finstab.mcda.ahp import (
    RI_TABLES,
    ahp_weights,
    check_pairwise,
    complete_pairwise,
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
    with pytest.raises(InputError, match="ri_table: 'nope' is not one of"):
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


# ---------------------------------------------------------------------------------------------
# Random-index tables
# ---------------------------------------------------------------------------------------------

# Donegan & Dodd (1991), Math. Comput. Modelling 15(10) 135-137, n = 3..15.
DONEGAN_DODD = (0.4914, 0.8286, 1.0591, 1.1797, 1.2519, 1.3171, 1.3733, 1.4055, 1.4213, 1.4497, 1.4643,
                1.4822, 1.4969)
# Saaty (2005), Theory and Applications of the Analytic Network Process, p. 31, n = 3..15.
SAATY_2005 = (0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59)


@pytest.mark.parametrize(("table", "values"), [("donegan_dodd", DONEGAN_DODD), ("saaty2005", SAATY_2005)])
def test_published_ri_tables(table, values):
    assert RI_TABLES[table] == (0, 0, *values)
    assert [random_index(n, table) for n in range(3, 16)] == list(values)
    a = np.array([[1, 2, 5], [1 / 2, 1, 2], [1 / 5, 1 / 2, 1]])
    res = ahp_weights(a, ri_table=table)
    assert res.ri == values[0]
    assert res.cr == pytest.approx(res.ci / values[0])


def test_ri_order_outside_table():
    with pytest.raises(InputError, match=r"covers n = 1\.\.15, got n = 16"):
        random_index(16)


# ---------------------------------------------------------------------------------------------
# Incomplete matrices
# ---------------------------------------------------------------------------------------------

NAN = float("nan")
# Bozoki, Fulop & Ronyai (2010), Example 3: the (3, 4) judgment is missing.
U = [[1, 1, 5, 2], [1, 1, 3, 4], [1 / 5, 1 / 3, 1, NAN], [1 / 2, 1 / 4, NAN, 1]]
U_OPTIMAL_PRINTED = 0.7302965066047  # the paper's lambda_max-optimal x (6 correct digits, as it says)
U_VAN_UDEN = (2 / 5 * 4 / 3) ** 0.5  # the paper's van Uden approximation 0.73029674334


def lambda_max(a):
    return float(max(np.linalg.eigvals(np.asarray(a, dtype=float)).real))


def with_x(x):
    a = np.array(U, dtype=float)
    a[2, 3], a[3, 2] = x, 1 / x
    return a


def test_lambda_max_completion_reproduces_bozoki_example():
    from finstab.mcda.ahp import complete_pairwise

    full = complete_pairwise(U, "lambda_max")
    x = full[2, 3]
    assert x == pytest.approx(U_OPTIMAL_PRINTED, abs=1e-6)
    assert x == pytest.approx(U_VAN_UDEN, abs=1e-6)
    assert full[3, 2] == pytest.approx(1 / x)
    # optimality checked independently: lambda_max rises on both sides of x (in log space)
    for h in (1e-3, 1e-2, 0.1):
        assert lambda_max(with_x(x * np.exp(h))) > lambda_max(full)
        assert lambda_max(with_x(x * np.exp(-h))) > lambda_max(full)
    assert lambda_max(full) <= lambda_max(with_x(U_OPTIMAL_PRINTED)) + 1e-12
    res = ahp_weights(U, completion="lambda_max")
    assert res.completed == ((2, 3),) and res.completion == "lambda_max"
    assert res.lambda_max == pytest.approx(lambda_max(full))
    assert "1 missing judgment(s) completed by lambda_max: (#3, #4) = 0.7303" in res.summary()


def test_llsm_completion_is_log_least_squares_over_known_pairs():
    from scipy.optimize import least_squares

    from finstab.mcda.ahp import complete_pairwise

    known = [(0, 1, 1), (0, 2, 5), (0, 3, 2), (1, 2, 3), (1, 3, 4)]

    def residuals(y):  # y = log w, w_1 fixed at 1
        y = np.concatenate([[0.0], y])
        return [y[i] - y[j] - np.log(a) for i, j, a in known]

    y = np.concatenate([[0.0], least_squares(residuals, np.zeros(3), xtol=1e-15, ftol=1e-15).x])
    w = np.exp(y) / np.exp(y).sum()
    full = complete_pairwise(U, "llsm")
    assert full[2, 3] == pytest.approx(w[2] / w[3], rel=1e-9)
    # the completed matrix's row geometric mean is the LLSM weight vector
    np.testing.assert_allclose(ahp_weights(U, "geometric", completion="llsm").weights, w, rtol=1e-9)


def test_harker_completion_by_power_iteration():
    # Harker (1987): zero for the missing pair, 1 + (missing in row) on the diagonal
    c = np.array([[1, 1, 5, 2], [1, 1, 3, 4], [1 / 5, 1 / 3, 2, 0], [1 / 2, 1 / 4, 0, 2]])
    w, _ = power_iteration(c)
    res = ahp_weights(U, completion="harker")
    np.testing.assert_allclose(res.weights, w, atol=1e-10)
    assert res.matrix[2, 3] == pytest.approx(w[2] / w[3])
    # lambda_max is smallest for the lambda_max completion (here LLSM reaches it too: its
    # x = sqrt(2/5 * 4/3) is van Uden's value, optimal to 6 digits as the paper notes)
    lams = {m: ahp_weights(U, completion=m).lambda_max for m in ("harker", "llsm", "lambda_max")}
    assert lams["lambda_max"] < lams["harker"] - 1e-6
    assert lams["lambda_max"] <= lams["llsm"] + 1e-12


def test_many_missing_judgments_lambda_max_is_a_minimum():
    rng = np.random.default_rng(7)
    w = rng.uniform(1, 9, 6)
    a = np.clip(w[:, None] / w[None, :] * np.exp(rng.normal(0, 0.3, (6, 6))), 1 / 9, 9)
    a = np.triu(a, 1) + np.tril(1 / a.T, -1) + np.eye(6)
    for i, j in [(0, 3), (1, 4), (2, 5), (0, 5), (3, 4)]:
        a[i, j] = a[j, i] = NAN
    from finstab.mcda.ahp import complete_pairwise

    best = complete_pairwise(a, "lambda_max")
    lam = lambda_max(best)
    for other in ("harker", "llsm"):
        assert lam < lambda_max(complete_pairwise(a, other))
    for k in range(20):  # random perturbations of the completed judgments never do better
        trial = best.copy()
        for i, j in [(0, 3), (1, 4), (2, 5), (0, 5), (3, 4)]:
            trial[i, j] *= np.exp(rng.normal(0, 0.05))
            trial[j, i] = 1 / trial[i, j]
        assert lambda_max(trial) >= lam - 1e-12, k


def test_incomplete_matrix_errors():
    with pytest.raises(InputError, match=r"1 judgment\(s\) missing: \(3, 4\).*completion="):
        ahp_weights(U)
    with pytest.raises(InputError, match="completion: 'mean' is not one of"):
        ahp_weights(U, completion="mean")
    split = [[1, 2, NAN, NAN], [1 / 2, 1, NAN, NAN], [NAN, NAN, 1, 3], [NAN, NAN, 1 / 3, 1]]
    with pytest.raises(InputError, match=r"2 unconnected groups \(\{#1, #2\}; \{#3, #4\}\)"):
        ahp_weights(split, completion="llsm")
    with pytest.raises(InputError, match="diagonal entry \\(2, 2\\) is missing"):
        ahp_weights([[1, 2], [1 / 2, NAN]], completion="llsm")


def test_one_sided_judgment_is_its_reciprocal():
    res = ahp_weights([[1, 4], [NAN, 1]], completion="harker")
    np.testing.assert_allclose(res.weights, [0.8, 0.2])
    assert res.completed == () and res.completion is None


# ---------------------------------------------------------------------------------------------
# Group decisions: AIJ and AIP
# ---------------------------------------------------------------------------------------------

def test_aip_is_geometric_mean_of_priorities_by_hand():
    from finstab.mcda.ahp import group_priorities

    a = [[1, 4], [1 / 4, 1]]  # priorities (0.8, 0.2)
    b = [[1, 1], [1, 1]]  # priorities (0.5, 0.5)
    g = np.array([0.8 ** 0.5 * 0.5 ** 0.5, 0.2 ** 0.5 * 0.5 ** 0.5])
    np.testing.assert_allclose(group_priorities([a, b]), g / g.sum())
    g3 = np.array([0.8 ** 0.75 * 0.5 ** 0.25, 0.2 ** 0.75 * 0.5 ** 0.25])
    np.testing.assert_allclose(group_priorities([a, b], weights=[3, 1]), g3 / g3.sum())
    with pytest.raises(InputError, match=r"matrices\[1\]: order 3 differs"):
        group_priorities([a, np.ones((3, 3))])
    with pytest.raises(InputError, match="method: 'mean' is not one of"):
        group_priorities([a, b], method="mean")


reciprocal_matrices = st.integers(3, 6).flatmap(lambda n: st.lists(
    st.lists(st.sampled_from([1 / 9, 1 / 5, 1 / 3, 1 / 2, 1, 2, 3, 5, 9]), min_size=n * n, max_size=n * n),
    min_size=2, max_size=4))


@given(reciprocal_matrices, st.data())
@settings(max_examples=60, deadline=None)
def test_aij_and_aip_agree_under_geometric_mean(entries, data):
    """Barzilai & Golany (1994): with row geometric means, aggregating judgments (AIJ) and
    aggregating priorities (AIP) give the same group weights."""
    from finstab.mcda.ahp import group_priorities

    n = round(len(entries[0]) ** 0.5)
    mats = []
    for e in entries:
        a = np.array(e).reshape(n, n)
        mats.append(np.triu(a, 1) + np.tril(1 / a.T, -1) + np.eye(n))
    wts = data.draw(st.lists(st.floats(0.1, 5), min_size=len(mats), max_size=len(mats)))
    aij = ahp_weights(group_judgments(mats, wts), "geometric").weights
    np.testing.assert_allclose(group_priorities(mats, wts, "geometric"), aij, rtol=1e-9)


def test_aij_and_aip_differ_under_eigenvector_for_inconsistent_experts():
    from finstab.mcda.ahp import group_priorities

    # for n = 3 the eigenvector is the row geometric mean, so use n = 4
    a = np.array([[1, 9, 1 / 9, 3], [1 / 9, 1, 9, 1 / 3], [9, 1 / 9, 1, 5], [1 / 3, 3, 1 / 5, 1]])
    b = matrix_from_priorities([0.5, 0.3, 0.15, 0.05])
    aij = ahp_weights(group_judgments([a, b])).weights
    aip = group_priorities([a, b])
    assert np.max(np.abs(aij - aip)) > 1e-3
    # both are consistent with the experts when the experts are consistent
    c = np.array([0.5, 0.3, 0.15, 0.05])
    d = np.array([0.05, 0.3, 0.15, 0.5])
    mats = [c[:, None] / c[None, :], d[:, None] / d[None, :]]
    g = np.sqrt(c * d)
    np.testing.assert_allclose(group_priorities(mats), g / g.sum())
    np.testing.assert_allclose(ahp_weights(group_judgments(mats)).weights, g / g.sum())


# ---------------------------------------------------------------------------------------------
# Reports and rejections (exact text)
# ---------------------------------------------------------------------------------------------

def exactly(text):
    return "^" + re.escape(text) + "$"


BAD4 = np.array([[1, 3, 5, 1 / 2], [1 / 3, 1, 2, 4], [1 / 5, 1 / 2, 1, 3], [2, 1 / 4, 1 / 3, 1]])


def test_summary_and_frame_text():
    res = ahp_weights([[1, 9], [1 / 9, 1]])
    assert res.summary() == ("AHP (eigen, RI table saaty1980), n = 2\n  #1: 0.9000\n  #2: 0.1000\n"
                             "  lambda_max = 2.0000, CI = 0.0000, RI = 0.00, CR = 0.0000 (consistent)")
    frame = res.to_frame()
    assert frame.index.name == "item" and list(frame.index) == ["#1", "#2"]
    assert list(res.to_frame(["a", "b"]).index) == ["a", "b"] and res.to_frame(["a", "b"]).index.name == "item"
    bad = ahp_weights(BAD4)
    rep = bad.repair()
    lines = bad.summary(["A", "B", "C", "D"]).split("\n")
    assert lines[0] == "AHP (eigen, RI table saaty1980), n = 4"
    assert lines[1] == f"  A: {bad.weights[0]:.4f}"
    assert lines[5].endswith(f"CR = {bad.cr:.4f} (NOT consistent: CR >= 0.10)")
    assert lines[6] == f"  judgment (A, D) = 0.5 is the most inconsistent; 9 would give CR = {rep.cr_after:.4f}"
    assert rep.describe() == f"judgment (#1, #4) = 0.5 is the most inconsistent; 9 would give CR = {rep.cr_after:.4f}"
    assert len(lines) == 7
    filled = ahp_weights(U, completion="lambda_max").summary(["a", "b", "c", "d"]).split("\n")
    assert "  1 missing judgment(s) completed by lambda_max: (c, d) = 0.7303" in filled


def test_repair_is_the_largest_log_deviation():
    a = np.array([[1, 1, 1, 5], [1, 1, 9, 1 / 9], [1, 1 / 9, 1, 1 / 7], [1 / 5, 9, 7, 1]])
    res = ahp_weights(a)
    w, _ = power_iteration(a)
    dev = np.abs(np.log(a * w[None, :] / w[:, None]))
    expected = max(((i, j) for i in range(4) for j in range(i + 1, 4)), key=lambda p: dev[p])
    rep = res.repair()
    assert (rep.i, rep.j) == expected == (0, 3)
    # the suggestion is the scale value with the lowest CR, in the result's own RI table
    res_dd = ahp_weights(a, ri_table="donegan_dodd")
    rep_dd = res_dd.repair()
    trial = a.copy()
    trial[0, 3], trial[3, 0] = rep_dd.suggested, 1 / rep_dd.suggested
    assert rep_dd.cr_after == pytest.approx(ahp_weights(trial, ri_table="donegan_dodd").cr)
    assert rep_dd.cr_after == pytest.approx(ahp_weights(trial).ci / 0.8286)
    assert ahp_weights([[1, 9], [1 / 9, 1]]).repair() is None
    assert ahp_weights(matrix_from_priorities([0.5, 0.25, 0.25])).repair() is None  # exactly consistent


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ahp_weights(BAD4, method="mean"), "method: 'mean' is not one of 'eigen', 'geometric'"),
    (lambda: ahp_weights([[1, 2], [1 / 2, 1]], name="m.yaml", ri_table="x"),
     "ri_table: 'x' is not one of 'saaty1980', 'saaty_extended', 'saaty2005', 'donegan_dodd', 'alonso_lamata2006'"),
    (lambda: ahp_weights([[1, 2], [0.4, 1]], name="m.yaml"),
     "m.yaml: not reciprocal: a[1,2] = 2 but a[2,1] = 0.4"),
    (lambda: ahp_weights(U, name="m.yaml"),
     "m.yaml: 1 judgment(s) missing: (3, 4); fill them or pass completion=('harker', 'llsm', 'lambda_max')"),
    (lambda: ahp_weights([[1, 2], [1 / 2, NAN]], completion="llsm", name="m.yaml"),
     "m.yaml: diagonal entry (2, 2) is missing; expected 1"),
    (lambda: ahp_weights([[1, 2], [1 / 2, 2]], completion="llsm", name="m.yaml"),
     "m.yaml: diagonal entry (2, 2) is 2; expected 1"),
    (lambda: ahp_weights([[1, -2], [NAN, 1]], completion="llsm", name="m.yaml"),
     "m.yaml: index 1 has value -2; expected > 0"),
    (lambda: ahp_weights([[1, 2], [1]], completion="llsm", name="m.yaml"), "m.yaml: expected numbers or NaN, got list"),
    (lambda: ahp_weights([[1, float("inf")], [0, 1]], completion="llsm", name="m.yaml"), "m.yaml: infinite judgment"),
    (lambda: ahp_weights([[1, 2, 3]], completion="llsm", name="m.yaml"),
     "m.yaml: expected a square matrix, got shape (1, 3)"),
    (lambda: complete_pairwise(U, "mean"), "method: 'mean' is not one of 'harker', 'llsm', 'lambda_max'"),
    (lambda: complete_pairwise([[1, 2, NAN], [1 / 2, 1, NAN], [NAN, NAN, 1]], name="m.yaml"),
     "m.yaml: the known judgments split the items into 2 unconnected groups ({#1, #2}; {#3}); "
     "compare at least one pair across groups"),
    (lambda: group_judgments([]), "matrices: need at least one matrix"),
    (lambda: group_judgments([np.ones((2, 2)), [[1, 2], [2, 1]]]),
     "matrices[1]: not reciprocal: a[1,2] = 2 but a[2,1] = 2; expected a[j,i] = 1/a[i,j] = 0.5"),
    (lambda: group_judgments([np.ones((2, 2))] * 2, weights=[[1, 1]]),
     "weights: expected a 1-d array, got shape (1, 2)"),
    (lambda: group_judgments([np.ones((2, 2))] * 2, weights=[1, 0]), "weights: index 1 has value 0; expected > 0"),
    (lambda: group_judgments([np.ones((2, 2))] * 2, weights=[1]), "weights: 1 weights for 2 matrices"),
    (lambda: matrix_from_priorities([[0.5, 0.5]]), "priorities: expected a 1-d array, got shape (1, 2)"),
    (lambda: matrix_from_priorities([0.5, 0]), "priorities: index 1 has value 0; expected > 0"),
    (lambda: random_index(0), "matrix: RI table 'saaty1980' covers n = 1..15, got n = 0"),
])
def test_rejections_name_the_parameter(call, message):
    with pytest.raises(InputError, match=exactly(message)):
        call()


def test_single_expert_group_is_that_expert():
    from finstab.mcda.ahp import group_priorities

    np.testing.assert_allclose(group_judgments([BAD4]), check_pairwise(BAD4))
    np.testing.assert_allclose(group_priorities([BAD4]), ahp_weights(BAD4).weights)


def test_lambda_max_completion_warns_when_it_cannot_reach_tolerance(monkeypatch):
    import finstab.mcda.ahp as ahp

    monkeypatch.setattr(ahp, "COMPLETION_GTOL", 1e-300)
    monkeypatch.setattr(ahp, "COMPLETION_MAXITER", 1)
    with pytest.warns(ConvergenceWarning, match=r"^m\.yaml: lambda_max completion stopped with gradient .* after "
                                                 r"1 iterations; the completed judgments may not be optimal$"):
        ahp.complete_pairwise(BAD6_MISSING, name="m.yaml")


def _bad6():
    rng = np.random.default_rng(7)
    w = rng.uniform(1, 9, 6)
    a = np.clip(w[:, None] / w[None, :] * np.exp(rng.normal(0, 0.3, (6, 6))), 1 / 9, 9)
    a = np.triu(a, 1) + np.tril(1 / a.T, -1) + np.eye(6)
    for i, j in [(0, 3), (1, 4), (2, 5), (0, 5), (3, 4)]:
        a[i, j] = a[j, i] = NAN
    return a


BAD6_MISSING = _bad6()


def test_llsm_and_lambda_max_completions_of_six_by_six_by_independent_solvers():
    from scipy.optimize import least_squares, minimize

    a = BAD6_MISSING
    known = [(i, j) for i in range(6) for j in range(i + 1, 6) if not np.isnan(a[i, j])]
    missing = [(i, j) for i in range(6) for j in range(i + 1, 6) if np.isnan(a[i, j])]

    def residuals(y):
        y = np.concatenate([[0.0], y])
        return [y[i] - y[j] - np.log(a[i, j]) for i, j in known]

    y = np.concatenate([[0.0], least_squares(residuals, np.zeros(5), xtol=1e-15, ftol=1e-15, gtol=1e-15).x])
    full = complete_pairwise(a, "llsm")
    for i, j in missing:
        assert full[i, j] == pytest.approx(np.exp(y[i] - y[j]), rel=1e-8)
    np.testing.assert_allclose(ahp_weights(a, "geometric", completion="llsm").weights, np.exp(y) / np.exp(y).sum(),
                               rtol=1e-8)

    def lam(t):  # lambda_max of the completion, by Nelder-Mead on the log judgments
        m = a.copy()
        for (i, j), x in zip(missing, t, strict=True):
            m[i, j], m[j, i] = np.exp(x), np.exp(-x)
        return lambda_max(m)

    nm = minimize(lam, np.zeros(len(missing)), method="Nelder-Mead",
                  options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 40000, "maxfev": 40000})
    best = complete_pairwise(a, "lambda_max")
    np.testing.assert_allclose([np.log(best[i, j]) for i, j in missing], nm.x, atol=2e-5)
    assert lambda_max(best) <= nm.fun + 1e-12


def test_repair_of_an_adjacent_pair_in_a_mildly_inconsistent_matrix():
    b = np.array([[1, 2, 2, 2], [1 / 2, 1, 4, 2], [1 / 2, 1 / 4, 1, 2], [1 / 2, 1 / 2, 1 / 2, 1]])
    res = ahp_weights(b)
    w, _ = power_iteration(b)
    dev = np.abs(np.log(b * w[None, :] / w[:, None]))
    assert dev.max() < 1  # every judgment within a factor e of its implied ratio
    rep = res.repair()
    assert (rep.i, rep.j) == (1, 2) and rep.current == 4
    three = ahp_weights([[1, 2, 4], [1 / 2, 1, 3], [1 / 4, 1 / 3, 1]])
    assert three.repair() is not None and three.repair().suggested == 6


def test_more_rejections_name_the_parameter():
    cases = [
        (lambda: check_pairwise([[1, 2, 3]]), "matrix: expected a square matrix, got shape (1, 3)"),
        (lambda: check_pairwise([["a"]], "m"), "m: expected numbers, got list"),
        (lambda: check_pairwise([[1, -2], [-0.5, 1]], "m"), "m: index 1 has value -2; expected > 0"),
        (lambda: check_pairwise([[0.5, 2], [0.5, 1]], "m"), "m: diagonal entry (1, 1) is 0.5; expected 1"),
        (lambda: ahp_weights([[1, 2], [0.4, 1]]), "matrix: not reciprocal: a[1,2] = 2 but a[2,1] = 0.4"),
        (lambda: random_index(3, "x"),
         "ri_table: 'x' is not one of 'saaty1980', 'saaty_extended', 'saaty2005', 'donegan_dodd', 'alonso_lamata2006'"),
        (lambda: complete_pairwise([[1, 2, 3]], name="m"), "m: expected a square matrix, got shape (1, 3)"),
        (lambda: ahp_weights([[1, 2, NAN], [1 / 2, 1, NAN], [NAN, NAN, 1]], completion="llsm", name="m"),
         "m: the known judgments split the items into 2 unconnected groups ({#1, #2}; {#3}); "
         "compare at least one pair across groups"),
    ]
    for call, message in cases:
        with pytest.raises(InputError, match=exactly(message)):
            call()
    many = np.full((5, 5), NAN)
    np.fill_diagonal(many, 1)
    many[0, 1:], many[1:, 0] = 2, 1 / 2
    with pytest.raises(InputError, match=exactly(
            "m: 6 judgment(s) missing: (2, 3), (2, 4), (2, 5), (3, 4), (3, 5); fill them or pass "
            "completion=('harker', 'llsm', 'lambda_max')")):
        ahp_weights(many, name="m")


def test_small_diagonal_rounding_is_accepted_and_orders_one_and_two_have_ri_zero():
    a = check_pairwise([[1.005, 2], [0.5, 0.995]])
    np.testing.assert_allclose(np.diag(a), 1)
    assert random_index(1) == 0 and random_index(2) == 0
    assert ahp_weights([[1.0]]).weights.tolist() == [1.0]


def test_lower_triangle_judgment_alone_is_used():
    res = ahp_weights([[1, NAN], [4, 1]], completion="llsm")
    np.testing.assert_allclose(res.weights, [0.2, 0.8])
    assert res.completed == () and ahp_weights([[1, 4], [1 / 4, 1]]).completed == ()


def test_lambda_max_gradient_matches_finite_differences():
    from finstab.mcda.ahp import _lambda_max_and_gradient

    a = BAD6_MISSING
    pairs = np.argwhere(np.triu(np.isnan(a)))
    t = np.linspace(-0.7, 0.9, len(pairs))
    lam, grad = _lambda_max_and_gradient(t, a, pairs)
    for k in range(len(pairs)):
        h = np.zeros(len(pairs))
        h[k] = 1e-6
        fd = (_lambda_max_and_gradient(t + h, a, pairs)[0] - _lambda_max_and_gradient(t - h, a, pairs)[0]) / 2e-6
        assert grad[k] == pytest.approx(fd, rel=1e-5, abs=1e-8)
    assert lam == pytest.approx(lambda_max(complete_pairwise(a, "llsm")), rel=0.2)


def test_default_completion_is_lambda_max_and_summary_lists_every_pair():
    np.testing.assert_allclose(complete_pairwise(U), complete_pairwise(U, "lambda_max"))
    res = ahp_weights(BAD6_MISSING, completion="harker")
    line = next(x for x in res.summary().split("\n") if "completed by harker" in x)
    pairs = ", ".join(f"(#{i + 1}, #{j + 1}) = {res.matrix[i, j]:.4g}" for i, j in res.completed)
    assert line == f"  5 missing judgment(s) completed by harker: {pairs}"
    assert res.completed == ((0, 3), (0, 5), (1, 4), (2, 5), (3, 4))


def test_default_name_in_completion_errors():
    with pytest.raises(InputError, match=exactly("matrix: expected a square matrix, got shape (1, 3)")):
        complete_pairwise([[1, 2, 3]])
