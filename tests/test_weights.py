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
