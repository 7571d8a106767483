import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import paper_in
from finstab.bank import in_index, load_in_params, read_bank_panel, screen
from finstab.configs import config_path
from finstab.core.errors import ConfigError
from finstab.samples import sample_path


def test_in_formula_by_hand():
    # a bank at half the reference interconnectedness and half the reference AMO
    args = dict(pcr=0.8, ct1car=0.04, lcr=0.9, cr=0.3, lr=0.03, inter=0.35, amo=0.8)
    expected = 0.5 * 0.5 * (0.25 * 0.4 / 20 + 0.25 * 0.01 + 0.2 * 0.1 / 20 + 0.15 * 0.075 / 5 + 0.15 * 0.01)
    # 0.25 x (0.005 + 0.0025 + 0.001 + 0.00225 + 0.0015) = 0.25 x 0.01225
    assert expected == pytest.approx(0.0030625, rel=1e-12)
    assert in_index(**args) == pytest.approx(expected, rel=1e-12)


def test_in_is_zero_at_the_regulatory_lines_and_signs():
    at_lines = dict(pcr=1.2, ct1car=0.05, lcr=1.0, cr=0.225, lr=0.04, inter=0.7, amo=1.6)
    assert in_index(**at_lines) == pytest.approx(0.0, abs=1e-15)
    assert in_index(**(at_lines | {"pcr": 1.19})) == pytest.approx(0.25 * 0.01 / 20)  # below the provision line
    assert in_index(**(at_lines | {"cr": 0.22})) == pytest.approx(-0.15 * 0.005 / 5)  # under the concentration cap


def test_broadcasting():
    out = in_index(pcr=np.array([1.0, 1.5, 2.0]), ct1car=0.05, lcr=1.0, cr=0.225, lr=0.04,
                   inter=np.array([[0.7], [1.4]]), amo=1.6)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out[0], [0.25 * 0.2 / 20, -0.25 * 0.3 / 20, -0.25 * 0.8 / 20])
    np.testing.assert_allclose(out[1], 2 * out[0])


ratio = st.floats(0.0, 3.0)


@given(ratio, ratio, ratio, st.floats(0, 1), st.floats(0, 0.2), st.floats(0.01, 2), st.floats(0.01, 3),
       st.floats(0.001, 0.1))
@settings(max_examples=100, deadline=None)
def test_monotone_in_each_ratio_and_equal_to_the_paper(pcr, ct1car, lcr, cr, lr, inter, amo, h):
    base = dict(pcr=pcr, ct1car=ct1car, lcr=lcr, cr=cr, lr=lr, inter=inter, amo=amo)
    v = in_index(**base)
    for key in ("pcr", "ct1car", "lcr", "lr"):  # more buffer -> lower IN
        assert in_index(**(base | {key: base[key] + h})) < v
    assert in_index(**(base | {"cr": cr + h})) > v  # more concentration -> higher IN
    np.testing.assert_allclose(v, paper_in(**base), rtol=1e-9, atol=1e-15)


def test_screen_matches_the_paper_on_every_sample_row(raw_panel):
    res = screen(read_bank_panel(sample_path("banks/panel.csv")), threshold=0.0)
    hand = raw_panel[~raw_panel["dsib"].astype(bool)].set_index(["bank", "quarter"])["in_hand"]
    got = res.frame.assign(quarter=res.frame["quarter"].astype(str)).set_index(["bank", "quarter"])["in"]
    assert len(got) == len(hand) == 7916
    np.testing.assert_allclose(got.sort_index(), hand.sort_index(), rtol=1e-12, atol=1e-18)


def test_shipped_params_are_read_once(monkeypatch):
    first = load_in_params()
    assert load_in_params() is first

    def no_reading(*args, **kwargs):
        raise AssertionError("the shipped IN parameters were read again")

    monkeypatch.setattr(sys.modules["finstab.bank.in_index"], "load_model", no_reading)
    assert float(in_index(pcr=1.19, ct1car=0.05, lcr=1.0, cr=0.225, lr=0.04, inter=0.7, amo=1.6)) > 0
    with pytest.raises(Exception, match="frozen"):
        first.size.ref_inter = 1.0  # a cached default cannot be changed by one caller for all


def test_shipped_rules_are_the_documented_ones():
    p = load_in_params()
    assert p.threshold is None  # no silent threshold of 0
    assert (p.calibration.combine, p.calibration.min_hit_rate) == ("mean", 0.5)
    q = p.systemic.qualitative
    assert (q.at_least, q.min_channels, p.systemic.dsib_presumed) == ("high", 2, True)


def test_user_params_are_checked(tmp_path):
    base = config_path("in_params.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "p.yaml"
    bad.write_text(base.replace("threshold: null", "threshold: .nan"), encoding="utf-8")
    with pytest.raises(ConfigError, match="threshold"):
        load_in_params(bad)
    bad.write_text(base.replace("combine: mean", "combine: mode"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"calibration\.combine"):
        load_in_params(bad)
    good = tmp_path / "g.yaml"
    good.write_text(base.replace("threshold: null", "threshold: 0.002"), encoding="utf-8")
    assert load_in_params(good).threshold == 0.002
