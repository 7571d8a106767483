"""FCE tests. The operator cases are worked by hand from the operator definitions in
Xie Jijian & Liu Chengping, *Fuzzy Mathematics Methods and Applications* (模糊数学方法及其应用),
ch. on comprehensive evaluation: M(.,+), M(^,v), M(.,v), M(^,+)."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.core.errors import DataError, InputError
from finstab.mcda.fce import (
    OPERATORS,
    check_membership,
    compose,
    fuzzy_evaluate,
    grade_of_score,
    membership_from_values,
    membership_from_votes,
    normalise_rows,
)
from finstab.monitor.model import Monitor
from finstab.monitor.systems import load_system
from finstab.pipelines import run_fce
from finstab.samples import sample_path

V = (87.5, 62.5, 37.5, 12.5)  # 安全, 基本安全, 低风险, 高风险 (Guangxi paper)
A = [0.2, 0.3, 0.5]
R = [[0.5, 0.3, 0.2, 0.0], [0.3, 0.4, 0.2, 0.1], [0.1, 0.3, 0.4, 0.2]]


def test_paper_layer_scores():
    b2 = [0.291, 0.564, 0.145, 0.0]
    b3 = [0.345, 0.469, 0.156, 0.030]
    assert fuzzy_evaluate([1], [b2], V).score == pytest.approx(66.15, abs=0.01)
    r3 = fuzzy_evaluate([1], [b3], V)
    assert r3.score == pytest.approx(65.73, abs=0.01)
    assert r3.grade == 1 and r3.max_membership_grade == 1  # 基本安全


@pytest.mark.parametrize(("operator", "raw"), [
    ("weighted_average", [0.24, 0.33, 0.30, 0.13]),
    ("min_max", [0.3, 0.3, 0.4, 0.2]),
    ("product_max", [0.1, 0.15, 0.2, 0.1]),
    ("min_bounded_sum", [0.6, 0.8, 0.8, 0.3]),
])
def test_operators_by_hand(operator, raw):
    res = fuzzy_evaluate(A, R, V, operator=operator)
    np.testing.assert_allclose(res.raw, raw, atol=1e-12)
    np.testing.assert_allclose(res.membership, np.array(raw) / sum(raw), atol=1e-12)
    assert res.score == pytest.approx(np.dot(np.array(raw) / sum(raw), V))


def test_grade_intervals():
    # [75,100] safe, [50,75) basically safe, [25,50) low risk, [0,25) high risk
    for score, grade in [(100, 0), (75.0, 0), (74.99, 1), (50.0, 1), (49.9, 2), (25.0, 2), (24.9, 3)]:
        assert grade_of_score(score, np.array(V)) == grade, score


memberships = st.lists(st.lists(st.floats(0.001, 1), min_size=4, max_size=4), min_size=1, max_size=8)


@given(memberships, st.data())
@settings(max_examples=100, deadline=None)
def test_weighted_average_score_within_grade_scores(rows, data):
    r = np.array(rows) / np.array(rows).sum(axis=1, keepdims=True)
    w = data.draw(st.lists(st.floats(0.01, 1), min_size=len(rows), max_size=len(rows)))
    for op in ("weighted_average", "min_max", "product_max", "min_bounded_sum"):
        res = fuzzy_evaluate(w, r, V, operator=op)
        assert min(V) - 1e-9 <= res.score <= max(V) + 1e-9
        assert res.membership.sum() == pytest.approx(1)


def test_votes():
    m = membership_from_votes([[3, 5, 2, 0], [1, 1, 4, 4]], n_experts=10)
    np.testing.assert_allclose(m.sum(axis=1), 1)
    np.testing.assert_allclose(m[0], [0.3, 0.5, 0.2, 0])
    with pytest.raises(InputError, match="votes of X12: votes add up to 9; expected 10"):
        membership_from_votes([[3, 5, 2, 0], [1, 1, 4, 3]], 10, labels=["X11", "X12"])
    with pytest.raises(InputError, match="non-negative whole numbers"):
        membership_from_votes([[3, 5, 3, -1]], 10)


@given(st.lists(st.floats(-50, 150), min_size=1, max_size=20), st.sampled_from(["trapezoidal", "triangular"]))
@settings(deadline=None)
def test_value_memberships_partition_unity(values, shape):
    m = membership_from_values(values, [[0, 25, 50, 75, 100]], shape)
    np.testing.assert_allclose(m.sum(axis=-1), 1)
    assert np.all(m >= 0)


def test_value_memberships_shape():
    edges = [[0, 25, 50, 75, 100]]
    m = membership_from_values([12.5, 37.5, 50.0, 90, -5], edges, "trapezoidal")[:, 0]
    np.testing.assert_allclose(m[0], [1, 0, 0, 0])
    np.testing.assert_allclose(m[1], [0, 1, 0, 0])
    np.testing.assert_allclose(m[2], [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(m[3], [0, 0, 0, 1])
    np.testing.assert_allclose(m[4], [1, 0, 0, 0])
    # decreasing edges (bigger is riskier) mirror the grades
    down = membership_from_values([12.5], [[100, 75, 50, 25, 0]])[0, 0]
    np.testing.assert_allclose(down, [0, 0, 0, 1])
    tri = membership_from_values([25.0, 31.25], edges, "triangular")[:, 0]
    np.testing.assert_allclose(tri, [[0.5, 0.5, 0, 0], [0.25, 0.75, 0, 0]])


def test_bad_memberships():
    with pytest.raises(InputError, match=r"row 1 sum to 0\.9"):
        fuzzy_evaluate([0.5, 0.5], [[1, 0, 0, 0], [0.5, 0.4, 0, 0]], V)
    with pytest.raises(InputError, match=r"expected \(2, 4\)"):
        fuzzy_evaluate([0.5, 0.5], [[1, 0, 0], [1, 0, 0]], V)
    with pytest.raises(InputError, match="operator: 'max' is not one of"):
        fuzzy_evaluate([1], [[1, 0, 0, 0]], V, operator="max")


def test_multilevel_equals_layer_by_layer():
    system = load_system("guangxi")
    res = run_fce(system, votes=sample_path("guangxi_votes.csv"))
    tree = system.tree
    r = res.indicator_membership[0]
    layers = []
    for k in (1, 2, 3):  # X1, X2, X3
        kids = tree.children[k]
        a = np.array([w for _, _, w in kids])
        layers.append(fuzzy_evaluate(a, r[[i for _, i, _ in kids]], system.grade_values).membership)
    top = fuzzy_evaluate([w for _, _, w in tree.children[0]], np.array(layers), system.grade_values)
    np.testing.assert_allclose(res.node_membership[0, 0], top.membership)
    assert res.node_scores[0, 0] == pytest.approx(top.score)
    # the weighted-average operator is linear: the total is the global-weight mean
    assert top.score == pytest.approx(float(tree.global_weights @ (r @ system.grade_values)))


def test_fce_on_values_and_votes_agree_in_shape():
    res = run_fce("guangxi", data=sample_path("guangxi_values.csv"))
    assert res.node_membership.shape == (6, 4, 4)
    np.testing.assert_allclose(res.node_membership.sum(axis=-1), 1)
    assert res.provenance.synthetic
    assert res.provenance.parameters["method"] == "fce"
    v = load_system("guangxi").grade_values
    np.testing.assert_allclose(res.node_scores, res.node_membership @ v)  # score = B . v at every node
    assert Monitor(load_system("guangxi"), method="fce").method == "fce"


def _votes_file(tmp_path, edit):
    text = sample_path("guangxi_votes.csv").read_text(encoding="utf-8")
    path = tmp_path / "votes.csv"
    path.write_text(edit(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("X11,1,0,4,5", "X11,1,0,4,4"), r"votes.csv: votes of X11: votes add up to 9"),
    (lambda t: t.replace("X11,1,0,4,5", "X11,-1,2,4,5"), "votes of X11: vote counts must be non-negative"),
    (lambda t: t.replace("high_risk,low_risk", "severe,low_risk"), r"missing column\(s\) 'high_risk'"),
    (lambda t: t.replace("X11,1,0,4,5", "X99,1,0,4,5"), r"indicators \['X99'\] are not in system"),
])
def test_bad_votes(tmp_path, edit, message):
    with pytest.raises(DataError, match=message):
        run_fce("guangxi", votes=_votes_file(tmp_path, edit), n_experts=10)


def test_cli_fce(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["fce", "--votes", str(sample_path("guangxi_votes.csv")), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "basically safe" in res.output and "SYNTHETIC" in res.output
    res = runner.invoke(app, ["fce", "--data", str(sample_path("guangxi_values.csv")),
                              "--operator", "min_max"])
    assert res.exit_code == 0, res.output
    bad = _votes_file(tmp_path, lambda t: t.replace("X11,1,0,4,5", "X11,1,0,4,4"))
    res = runner.invoke(app, ["fce", "--votes", str(bad), "--experts", "10"])
    assert res.exit_code == 2 and "votes.csv" in res.output and "X11" in res.output


# ---------------------------------------------------------------------------------------------
# Every rejection names the parameter and says what was expected (exact messages)
# ---------------------------------------------------------------------------------------------

def exactly(text):
    return "^" + re.escape(text) + "$"


R2 = [[1, 0, 0, 0], [0, 1, 0, 0]]
OPS = "'weighted_average', 'min_max', 'product_max', 'min_bounded_sum'"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: fuzzy_evaluate([[0.5, 0.5]], R2, V), "weights: expected a 1-d array, got shape (1, 2)"),
    (lambda: fuzzy_evaluate([-0.5, 1.5], R2, V), "weights: weights must be non-negative with a positive sum"),
    (lambda: fuzzy_evaluate([0, 0], R2, V), "weights: weights must be non-negative with a positive sum"),
    (lambda: fuzzy_evaluate([1], [[1, 0, 0, 0]], [V]), "grade_scores: expected a 1-d array, got shape (1, 4)"),
    (lambda: fuzzy_evaluate([0.5, 0.5], [[1, 0, 0], [1, 0, 0]], V),
     "membership: membership has shape (2, 3); expected (2, 4) (indicators x grades)"),
    (lambda: fuzzy_evaluate([1], [[-0.1, 0.6, 0.5, 0]], V), "membership: memberships must lie in [0, 1]"),
    (lambda: fuzzy_evaluate([1], [[1.5, 0, 0, 0]], V), "membership: memberships must lie in [0, 1]"),
    (lambda: fuzzy_evaluate([1], [[1, 0, 0, 0]], V, operator="max"), f"operator: 'max' is not one of {OPS}"),
    (lambda: compose(np.array([1.0]), np.array([[1.0, 0.0]]), "max"), f"operator: 'max' is not one of {OPS}"),
    (lambda: check_membership([[1, 0], [0.5, 0.4]], labels=["A"]),
     "membership: memberships of row 1 sum to 0.9; expected 1"),
    (lambda: check_membership([[1, 0], [0.5, 0.4]], "R", labels=["A", "B"]),
     "R: memberships of B sum to 0.9; expected 1"),
    (lambda: check_membership([[[1, 0], [1, 0]], [[1, 0], [0.5, 0.4]]]),
     "membership: memberships of row 3 sum to 0.9; expected 1"),
    (lambda: membership_from_votes([3, 5, 2]), "counts: expected a 2-d array, got shape (3,)"),
    (lambda: membership_from_votes([[3, 5.5, 1.5, 0]], 10),
     "votes of row 0: vote counts must be non-negative whole numbers, got [3.0, 5.5, 1.5, 0.0]"),
    (lambda: membership_from_votes([[3, 5, 2, 0], [1, 1, 4, 3]]),
     "votes of row 1: votes add up to 9; expected 10 experts"),
    (lambda: membership_from_votes([[0, 0], [0, 0]]), "counts: no votes"),
    (lambda: membership_from_values([1.0], [[0, 1, 2]], "round"),
     "shape: 'round' is not one of 'trapezoidal', 'triangular'"),
    (lambda: membership_from_values([[1.0, 2.0]], [[0, 1, 2]]), "values: 2 value columns for 1 indicators"),
    (lambda: membership_from_values([1.0], [[0, 1, 1]]),
     "intervals[0]: edges [0.0, 1.0, 1.0] must be strictly monotone"),
    (lambda: membership_from_values([1.0], [0, 1, 2]), "intervals: expected a 2-d array, got shape (3,)"),
])
def test_rejections_name_the_parameter(call, message):
    with pytest.raises(InputError, match=exactly(message)):
        call()


def test_weights_are_normalised_before_composition():
    for op in OPERATORS:
        a = fuzzy_evaluate([2, 3, 5], R, V, operator=op)
        b = fuzzy_evaluate([0.2, 0.3, 0.5], R, V, operator=op)
        np.testing.assert_allclose(a.raw, b.raw)
        assert a.score == pytest.approx(b.score)
        assert a.operator == op
        np.testing.assert_array_equal(a.grade_scores, V)
    # a zero weight is allowed: that indicator drops out
    assert fuzzy_evaluate([0, 1], R2, V).score == pytest.approx(62.5)


def test_fce_summary_names_grades():
    res = fuzzy_evaluate([1], [[0.291, 0.564, 0.145, 0.0]], V)
    names = ["安全", "基本安全", "低风险", "高风险"]
    assert res.summary(names) == ("B = (安全 0.291, 基本安全 0.564, 低风险 0.145, 高风险 0.000); score = 66.15; "
                                  "grade by score: 基本安全; maximum membership: 基本安全 [weighted_average]")
    assert res.summary().startswith("B = (g0 0.291, g1 0.564, g2 0.145, g3 0.000); score = 66.15; grade by score: g1")


def test_votes_from_one_expert_and_whole_numbers():
    np.testing.assert_array_equal(membership_from_votes([[1, 0], [0, 1]]), [[1, 0], [0, 1]])
    np.testing.assert_allclose(membership_from_votes([[3, 5, 2, 0], [2, 2, 2, 4]]), [[0.3, 0.5, 0.2, 0],
                                                                                     [0.2, 0.2, 0.2, 0.4]])


def test_compose_caps_at_one_and_normalise_rows():
    r = np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(compose(np.array([1.0, 1.0]), r), [1, 0, 0, 0])  # sum 2 capped at 1
    np.testing.assert_allclose(compose(np.array([0.6, 0.6]), r, "min_bounded_sum"), [1, 0, 0, 0])  # 1.2 -> 1
    np.testing.assert_array_equal(normalise_rows(np.array([[1.0, 3.0], [0.0, 0.0]])), [[0.25, 0.75], [0, 0]])
    assert check_membership([0.3, 0.5, 0.2, 0.0]).shape == (1, 4)
    with pytest.raises(InputError, match=exactly("membership: non-finite value at index (0, 1)")):
        check_membership([[0.5, np.nan, 0.5, 0]])


def test_value_memberships_fractional_single_and_decreasing_edges():
    # trapezoid: full membership on the middle half, linear across the edges
    m = membership_from_values([20.0, 6.25], [[0, 25, 50, 75, 100]])[:, 0]
    np.testing.assert_allclose(m, [[0.9, 0.1, 0, 0], [1, 0, 0, 0]])
    # edges closer than 1 apart, increasing and decreasing
    up = membership_from_values([0.625, 0.375], [[0, 0.25, 0.5, 0.75, 1.0]])[:, 0]
    np.testing.assert_allclose(up, [[0, 0, 1, 0], [0, 1, 0, 0]])
    down = membership_from_values([0.625, 0.375], [[1.0, 0.75, 0.5, 0.25, 0]])[:, 0]
    np.testing.assert_allclose(down, [[0, 1, 0, 0], [0, 0, 1, 0]])
    # decreasing edges, a value in the middle grades
    mid = membership_from_values([62.5, 37.5], [[100, 75, 50, 25, 0]])[:, 0]
    np.testing.assert_allclose(mid, [[0, 1, 0, 0], [0, 0, 1, 0]])
    # one grade: membership 1 everywhere
    np.testing.assert_allclose(membership_from_values([5.0, -3.0], [[0, 10]]), [[[1.0]], [[1.0]]])
    for edges in ([[1, 1, 1]], [[0, 0.5, 0.3]]):
        with pytest.raises(InputError, match="must be strictly monotone"):
            membership_from_values([1.0], edges)
