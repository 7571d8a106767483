import re

import numpy as np
import pytest

from finstab.core.errors import InputError
from finstab.mcda.weights import combine_weights, critic_weights, entropy_weights


def test_entropy_by_hand():
    # two observations: min-max gives (0, 1) for a varying column -> p = (0, 1), e = 0
    x = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 2.5]])
    w = entropy_weights(x)
    # columns 1 and 3 both fully concentrated (e = 0, d = 1); column 2 constant (d = 0)
    np.testing.assert_allclose(w, [0.5, 0.0, 0.5])


def test_entropy_three_obs_closed_form():
    x = np.array([[0.0], [1.0], [2.0]])
    z = np.array([0, 0.5, 1.0])
    p = z / z.sum()
    e = -(p[1:] * np.log(p[1:])).sum() / np.log(3)
    x2 = np.column_stack([x[:, 0], [0, 0, 1.0]])
    w = entropy_weights(x2)
    d = np.array([1 - e, 1 - 0])
    np.testing.assert_allclose(w, d / d.sum())


def test_direction_reverses_column():
    x = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]])
    w = entropy_weights(x, directions=[1, -1])
    assert w[0] != pytest.approx(w[1])


def test_critic_closed_form():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 3))
    z = (x - x.min(0)) / (x.max(0) - x.min(0))
    c = z.std(0, ddof=1) * (1 - np.corrcoef(z, rowvar=False)).sum(0)
    np.testing.assert_allclose(critic_weights(x), c / c.sum())


def test_combine_weights():
    s, o = [0.6, 0.4], [0.2, 0.8]
    np.testing.assert_allclose(combine_weights(s, o, 0.5), [0.4, 0.6])
    np.testing.assert_allclose(combine_weights(s, o, 1.0), s)
    np.testing.assert_allclose(combine_weights(s, o, method="multiplicative"), [0.12 / 0.44, 0.32 / 0.44])
    with pytest.raises(InputError, match="alpha"):
        combine_weights(s, o, 1.5)
    with pytest.raises(InputError, match="lengths differ"):
        combine_weights(s, [1, 2, 3])


def test_constant_panel_is_an_error():
    with pytest.raises(InputError, match="constant"):
        entropy_weights(np.ones((4, 2)))


# Sum-form entropy (Hwang & Yoon 1981): p_ij = x_ij / sum_i x_ij on the raw values.
XU_2004 = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]
ZP_2016 = [[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]]


def test_sum_entropy_reproduces_xu_2004():
    """Xu (2004), EJOR 156(2) 530-532, prints 0.4630, 0.3992, 0.1378, 0.0000."""
    w = entropy_weights(XU_2004, normalisation="sum")
    np.testing.assert_allclose(w, [0.4630, 0.3992, 0.1378, 0.0000], atol=5e-5)


def test_sum_entropy_reproduces_zavadskas_podvezko_2016():
    """Zavadskas & Podvezko (2016), IJITDM 15(2) 267-283: 0.1146, 0.1981, 0.4185, 0.2689, the
    same whether columns 1 and 3 are costs or benefits (the sum form ignores direction)."""
    for d in (None, [-1, 1, -1, 1]):
        np.testing.assert_allclose(entropy_weights(ZP_2016, d, "sum"), [0.1146, 0.1981, 0.4185, 0.2689],
                                   atol=5e-5)


def test_sum_entropy_by_hand_and_differs_from_minmax():
    x = np.array([[1.0, 2.0], [3.0, 2.0], [4.0, 4.0]])
    p = x / x.sum(0)
    e = -(p * np.log(p)).sum(0) / np.log(3)
    np.testing.assert_allclose(entropy_weights(x, normalisation="sum"), (1 - e) / (1 - e).sum())
    assert not np.allclose(entropy_weights(x, normalisation="sum"), entropy_weights(x))


def test_sum_entropy_errors():
    with pytest.raises(InputError, match="row 2, column 1 is -1"):
        entropy_weights([[1, 2], [-1, 3]], normalisation="sum")
    with pytest.raises(InputError, match="normalisation: 'zscore' is not one of"):
        entropy_weights([[1, 2], [3, 4]], normalisation="zscore")
    with pytest.raises(InputError, match="expected 2 entries of"):
        entropy_weights([[1, 2], [3, 4]], directions=[1], normalisation="sum")


def test_minmax_entropy_reverses_cost_columns_by_hand():
    x = np.array([[0.0, 4.0], [1.0, 2.0], [3.0, 0.0]])
    # column 1 scaled: (0, 1/3, 1); column 2 reversed: 1 - (4, 2, 0)/4 = (0, 0.5, 1)
    z1, z2 = np.array([0, 1 / 3, 1]), np.array([0, 0.5, 1])
    e = [-(q[q > 0] * np.log(q[q > 0])).sum() / np.log(3) for q in (z1 / z1.sum(), z2 / z2.sum())]
    d = 1 - np.array(e)
    np.testing.assert_allclose(entropy_weights(x, directions=[1, -1]), d / d.sum())


def test_critic_by_hand():
    # z = (0, 1/3, 2/3, 1) twice and (1, 0, 1, 0): sd 0.4303, 0.4303, 0.5774; r(1, 3) = -0.4472
    x = [[0, 0, 1], [1, 2, 0], [2, 4, 1], [3, 6, 0]]
    sd1, sd3, r = np.sqrt(5 / 27), np.sqrt(1 / 3), -1 / np.sqrt(5)
    c = np.array([sd1 * (1 - r), sd1 * (1 - r), sd3 * 2 * (1 - r)])
    np.testing.assert_allclose(critic_weights(x), c / c.sum())
    np.testing.assert_allclose(critic_weights(x), [0.2135, 0.2135, 0.5729], atol=5e-5)


def test_combine_weights_errors():
    with pytest.raises(InputError, match="method: 'mean' is not one of"):
        combine_weights([0.5, 0.5], [0.5, 0.5], method="mean")
    with pytest.raises(InputError, match="objective: weights must be non-negative with a positive sum"):
        combine_weights([0.5, 0.5], [0, 0])
    np.testing.assert_allclose(combine_weights([3, 1], [1, 1], 0.0), [0.5, 0.5])  # normalised first


def exactly(text):
    return "^" + re.escape(text) + "$"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: entropy_weights([1, 2, 3]), "data: expected a 2-d array, got shape (3,)"),
    (lambda: entropy_weights([[1, 2, 3]]), "data: need at least 2 observations, got 1"),
    (lambda: critic_weights([[1, 2, 3]]), "data: need at least 2 observations, got 1"),
    (lambda: entropy_weights(np.ones((3, 2))), "data: every indicator is constant; entropy weights are undefined"),
    (lambda: critic_weights(np.ones((3, 2))), "data: every indicator is constant; CRITIC weights are undefined"),
    (lambda: entropy_weights([[1, 2], [3, 4]], directions=[1, 0]), "directions: expected 2 entries of +1 or -1"),
    (lambda: critic_weights([[1, 2], [3, 4]], directions=[1]), "directions: expected 2 entries of +1 or -1"),
    (lambda: entropy_weights([[1, 2], [-1, 3]], normalisation="sum"),
     "data: normalisation 'sum' needs non-negative values; row 2, column 1 is -1 (use 'minmax' or shift the column)"),
    (lambda: combine_weights([[0.5, 0.5]], [0.5, 0.5]), "subjective: expected a 1-d array, got shape (1, 2)"),
    (lambda: combine_weights([0.5, 0.5], [[0.5, 0.5]]), "objective: expected a 1-d array, got shape (1, 2)"),
    (lambda: combine_weights([0.5, 0.5], [1, 2, 3]), "objective: lengths differ: 2 subjective vs 3 objective"),
    (lambda: combine_weights([-0.5, 1.5], [0.5, 0.5]), "subjective: weights must be non-negative with a positive sum"),
    (lambda: combine_weights([0, 0], [0.5, 0.5]), "subjective: weights must be non-negative with a positive sum"),
    (lambda: combine_weights([0.5, 0.5], [1.5, -0.5]), "objective: weights must be non-negative with a positive sum"),
    (lambda: combine_weights([0.5, 0.5], [0.5, 0.5], alpha=-0.1), "alpha: alpha = -0.1; expected a value in [0, 1]"),
])
def test_rejections_name_the_parameter(call, message):
    with pytest.raises(InputError, match=exactly(message)):
        call()


def test_zero_entries_are_allowed():
    # the sum form accepts zeros and values below 1; an all-zero column gets weight 0
    x = np.array([[0.0, 0.1, 0.0], [0.5, 0.2, 0.0], [0.2, 0.3, 0.0]])
    p = x[:, :2] / x[:, :2].sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=0) / np.log(3)
    d = np.r_[1 - e, 0.0]
    np.testing.assert_allclose(entropy_weights(x, normalisation="sum"), d / d.sum())
    np.testing.assert_allclose(combine_weights([1, 0], [0, 1], alpha=0.25), [0.25, 0.75])


def test_critic_with_directions_and_a_constant_column():
    x = np.array([[0.0, 0.0, 5.0, 1.0], [1.0, 3.0, 5.0, 0.0], [2.0, 1.0, 5.0, 1.0], [3.0, 2.0, 5.0, 0.0]])
    d = [1, -1, 1, 1]
    z = (x - x.min(0)) / np.where(x.max(0) > x.min(0), x.max(0) - x.min(0), 1)
    z[:, 1] = 1 - z[:, 1]
    sd = z.std(0, ddof=1)
    r = np.zeros((4, 4))
    live = [0, 1, 3]
    r[np.ix_(live, live)] = np.corrcoef(z[:, live], rowvar=False)
    c = sd * (1 - r).sum(0)
    got = critic_weights(x, directions=d)
    np.testing.assert_allclose(got, c / c.sum())
    assert got[2] == 0
    assert not np.allclose(got, critic_weights(x))  # reversing a column changes its conflict


def test_reversal_of_a_narrow_column_and_first_negative_cell_named():
    x = np.array([[0.0, 0.1], [1.0, 0.3], [3.0, 0.6]])  # column 2 spans 0.5
    z2 = 1 - (x[:, 1] - 0.1) / 0.5
    z1 = x[:, 0] / 3
    e = [-(q[q > 0] * np.log(q[q > 0])).sum() / np.log(3) for q in (z1 / z1.sum(), z2 / z2.sum())]
    d = 1 - np.array(e)
    np.testing.assert_allclose(entropy_weights(x, directions=[1, -1]), d / d.sum())
    with pytest.raises(InputError, match=r"row 2, column 1 is -1 "):
        entropy_weights([[0, 2], [-1, 3]], normalisation="sum")


def test_blends_normalise_their_inputs():
    np.testing.assert_allclose(combine_weights([3, 1], [1, 1], alpha=0.5), [0.625, 0.375])
    np.testing.assert_allclose(combine_weights([3, 1], [1, 3], method="multiplicative"), [0.5, 0.5])
    with pytest.raises(InputError, match=exactly(
            "objective: no indicator has both a subjective and an objective weight; the multiplicative blend "
            "is undefined")):
        combine_weights([1, 0], [0, 1], method="multiplicative")
