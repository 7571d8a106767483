import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.core.errors import InputError
from finstab.mcda.scoring import band_score, grade_index, grade_names, threshold_score

CUTS_UP = [2, 4, 6, 8, 10.5, 13]  # capital adequacy: bigger is safer
CUTS_DOWN = [15, 10, 7.5, 5, 2.5, 1]  # NPL ratio: bigger is riskier
SCORES = [0, 20, 40, 60, 80, 100]


def paper_formula(z, cuts, positive):
    """001's mapping, written independently: locate [Z_L, Z_R] and interpolate."""
    c = list(cuts)
    if positive:
        if z <= c[0]:
            return 0.0
        if z >= c[-1]:
            return 100.0
        k = max(i for i in range(5) if c[i] <= z)
        zl, zr, tl, tr = c[k], c[k + 1], SCORES[k], SCORES[k + 1]
        return tl + (z - zl) / (zr - zl) * (tr - tl)
    if z >= c[0]:
        return 0.0
    if z <= c[-1]:
        return 100.0
    k = max(i for i in range(5) if c[i] >= z)
    zr, zl, tl, tr = c[k], c[k + 1], SCORES[k], SCORES[k + 1]
    return tl + (zr - z) / (zr - zl) * (tr - tl)


@given(st.floats(-5, 30))
@settings(deadline=None)
def test_matches_paper_formula(z):
    assert threshold_score(z, CUTS_UP) == pytest.approx(paper_formula(z, CUTS_UP, True))
    assert threshold_score(z, CUTS_DOWN) == pytest.approx(paper_formula(z, CUTS_DOWN, False))


def test_regulatory_minimum_scores_sixty():
    assert threshold_score(8.0, CUTS_UP) == 60
    assert threshold_score(5.0, CUTS_DOWN) == 60
    np.testing.assert_allclose(threshold_score([9.25, 6.25], CUTS_UP), [70, 42.5])


cuts_strategy = st.lists(st.floats(-1e3, 1e3), min_size=6, max_size=6, unique=True).map(sorted)


@given(cuts_strategy, st.lists(st.floats(-2e3, 2e3), min_size=2, max_size=30))
@settings(max_examples=100, deadline=None)
def test_bounded_and_monotone(cuts, values):
    if np.any(np.diff(cuts) <= 1e-9):
        return
    v = np.sort(values)
    up = threshold_score(v, cuts)
    down = threshold_score(v, cuts[::-1])
    assert np.all((up >= 0) & (up <= 100)) and np.all((down >= 0) & (down <= 100))
    assert np.all(np.diff(up) >= -1e-9)
    assert np.all(np.diff(down) <= 1e-9)


@given(cuts_strategy)
@settings(max_examples=100, deadline=None)
def test_continuous_at_cuts(cuts):
    c = np.array(cuts)
    span = c[-1] - c[0]
    if np.any(np.diff(c) <= 1e-3 * span):
        return
    np.testing.assert_allclose(threshold_score(c, c), SCORES, atol=1e-9)
    eps = 1e-9 * span
    left, right = threshold_score(c - eps, c), threshold_score(c + eps, c)
    assert np.all(np.abs(right - left) < 1e-3)


def test_band_indicator():
    low, high = [-3, -2, -1, 0, 1, 1.5], [3, 4, 5, 6, 8, 10]
    np.testing.assert_allclose(band_score([2.0, 1.5, 3.0, 0.0, 7.0, -5, 20], low, high),
                               [100, 100, 100, 60, 30, 0, 0])


def test_bad_cuts():
    with pytest.raises(InputError, match=r"strictly increasing .* or strictly decreasing"):
        threshold_score(1, [1, 2, 2, 3, 4, 5])
    with pytest.raises(InputError, match="6 score points"):
        threshold_score(1, [1, 2, 3])
    with pytest.raises(InputError, match="exceeds upper edge"):
        band_score(1, [0, 1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 9])


def test_grades():
    s = np.array([0, 19.99, 20, 59.9, 60, 80, 100, np.nan])
    np.testing.assert_array_equal(grade_index(s), [0, 0, 1, 2, 3, 4, 4, -1])
    assert list(grade_names([10, 90], "en")) == ["severe risk", "safe"]
    assert list(grade_names([50])) == ["中度风险"]


def exactly(text):
    return "^" + re.escape(text) + "$"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: threshold_score(1, [1, 2, 3]), "cuts: 3 cuts for 6 score points; expected 6"),
    (lambda: threshold_score(1, [1, 2, 2, 3, 4, 5]),
     "cuts: cuts [1.0, 2.0, 2.0, 3.0, 4.0, 5.0] must be strictly increasing (bigger is safer) or strictly "
     "decreasing (bigger is riskier)"),
    (lambda: threshold_score(1, [[1, 2, 3, 4, 5, 6]]), "cuts: expected a 1-d array, got shape (1, 6)"),
    (lambda: threshold_score(1, [1, 2], scores=[0, 0]), "scores: scores [0.0, 0.0] must be strictly increasing"),
    (lambda: threshold_score(1, [1], scores=[0]), "scores: scores [0.0] must be strictly increasing"),
    (lambda: threshold_score(1, [1, 2], scores=[[0, 1]]), "scores: expected a 1-d array, got shape (1, 2)"),
    (lambda: band_score(1, [0, 1, 2, 3, 4, 5], [9, 8, 7, 6, 5, 4]),
     "low_cuts/high_cuts: low_cuts and high_cuts must both be strictly increasing"),
    (lambda: band_score(1, [5, 4, 3, 2, 1, 0], [6, 7, 8, 9, 10, 11]),
     "low_cuts/high_cuts: low_cuts and high_cuts must both be strictly increasing"),
    (lambda: band_score(1, [0, 1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 9]),
     "low_cuts/high_cuts: band lower edge 5.0 exceeds upper edge 4.0"),
    (lambda: band_score(1, [0, 1, 2], [4, 5, 6, 7, 8, 9]), "low_cuts: 3 cuts for 6 score points; expected 6"),
    (lambda: band_score(1, [0, 1, 2, 3, 4, 5], [4, 5]), "high_cuts: 2 cuts for 6 score points; expected 6"),
    (lambda: grade_names([50], "fr"), "lang: 'fr' is not one of 'zh', 'en'"),
])
def test_rejections_name_the_parameter(call, message):
    with pytest.raises(InputError, match=exactly(message)):
        call()


def test_band_edge_shared_and_custom_scores():
    # a band of one point: low_cuts[-1] == high_cuts[0] is allowed
    assert float(band_score(5.0, [0, 1, 2, 3, 4, 5], [5, 6, 7, 8, 9, 10])) == 100
    # four grades scored 0, 25, 50, 75, 100 (the Guangxi scale)
    np.testing.assert_allclose(threshold_score([0.5, 2.0, 9.0], [0, 1, 2, 3, 4], scores=[0, 25, 50, 75, 100]),
                               [12.5, 50, 100])
    np.testing.assert_allclose(band_score([-2.5, 1.5, 8.0], [-3, -2, -1, 0, 1], [3, 4, 5, 6, 7],
                                          scores=[0, 25, 50, 75, 100]), [12.5, 100, 0])
    np.testing.assert_allclose(threshold_score(np.array([[1.0, np.nan]]), CUTS_UP)[0, 0], 0)
    assert np.isnan(threshold_score(np.array([np.nan]), CUTS_UP)[0])


def test_grade_names_and_custom_grades():
    from finstab.mcda.scoring import FIVE_GRADES, Grade

    assert list(grade_names([10, np.nan, 100], "zh")) == ["严重风险", "", "安全"]
    assert list(grade_names([np.nan], "en")) == [""]
    four = (Grade("high", "高风险", "high risk", 0, 25, "#c0392b"),
            Grade("low", "低风险", "low risk", 25, 50, "#f1c40f"),
            Grade("basic", "基本安全", "basically safe", 50, 75, "#7dcea0"),
            Grade("safe", "安全", "safe", 75, 100, "#1e8449"))
    np.testing.assert_array_equal(grade_index([0, 24.9, 25, 74.99, 75, 100, np.nan], four), [0, 0, 1, 2, 3, 3, -1])
    assert list(grade_names([60, 80], "en", four)) == ["basically safe", "safe"]
    assert FIVE_GRADES[3].name() == "基本安全" and FIVE_GRADES[3].name("en") == "basically safe"
    assert [(g.lower, g.upper) for g in FIVE_GRADES] == [(0, 20), (20, 40), (40, 60), (60, 80), (80, 100)]


def test_cut_and_score_shapes_at_the_edges():
    for cuts in ([1, 1, 1, 1, 1, 1], [0, 0.5, 0.3, 0.2, 0.1, 0]):
        with pytest.raises(InputError, match=r"strictly increasing .* or strictly decreasing"):
            threshold_score(1, cuts)
    # two score points and steps below 1 are valid scales
    assert float(threshold_score(0.5, [0, 1], scores=[0, 100])) == 50
    assert float(threshold_score(0.25, [0, 1, 2], scores=[0, 0.5, 1])) == 0.125
    assert float(threshold_score(0.75, [1, 0.5, 0], scores=[0, 0.5, 1])) == 0.25  # decreasing, small steps
