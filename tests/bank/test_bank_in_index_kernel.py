"""The IN index of seed 002 (methods.md section 3), component by component, worked by hand."""

import numpy as np
import pytest

from finstab.bank import in_components, in_index, load_in_params
from finstab.bank.in_index import RATIO_IDS, QualitativeRule, SizeParam
from finstab.core.errors import InputError

# a bank below four of the lines and above the concentration cap, 2 x the reference INTER, 1.5 x the AMO
BANK = dict(pcr=1.0, ct1car=0.045, lcr=0.8, cr=0.3, lr=0.035, inter=1.4, amo=2.4)
# weight x (line - ratio) / divisor, or x (ratio - line) / divisor for the concentration
DEV = {"pcr": 0.25 * 0.2 / 20,  # 0.0025
       "ct1car": 0.25 * 0.005 / 1,  # 0.00125
       "lcr": 0.20 * 0.2 / 20,  # 0.002
       "cr": 0.15 * 0.075 / 5,  # 0.00225
       "lr": 0.15 * 0.005 / 1}  # 0.00075


def test_components_by_hand():
    c = in_components(**BANK)
    for r in RATIO_IDS:
        assert float(c[f"dev_{r}"]) == pytest.approx(DEV[r], rel=1e-9)
        assert float(c[f"contrib_{r}"]) == pytest.approx(3.0 * DEV[r], rel=1e-9)
    assert float(c["deviation"]) == pytest.approx(0.00875, rel=1e-12)
    assert float(c["size_multiplier"]) == pytest.approx((1.4 / 0.7) * (2.4 / 1.6), rel=1e-12)  # 2 x 1.5 = 3
    assert float(c["in"]) == pytest.approx(0.02625, rel=1e-12)
    assert float(in_index(**BANK)) == pytest.approx(0.02625, rel=1e-12)
    assert sorted(c) == sorted(["deviation", "size_multiplier", "in", *(f"dev_{r}" for r in RATIO_IDS),
                                *(f"contrib_{r}" for r in RATIO_IDS)])
    assert sum(float(c[f"contrib_{r}"]) for r in RATIO_IDS) == pytest.approx(float(c["in"]), rel=1e-12)


def test_size_multiplier_is_the_product_of_the_two_ratios():
    for inter, amo in [(0.7, 1.6), (0.35, 3.2), (2.1, 0.4)]:
        c = in_components(**(BANK | {"inter": inter, "amo": amo}))
        assert float(c["size_multiplier"]) == pytest.approx((inter / 0.7) * (amo / 1.6), rel=1e-12)
        assert float(c["in"]) == pytest.approx((inter / 0.7) * (amo / 1.6) * 0.00875, rel=1e-12)


def test_custom_parameters_are_used():
    base = load_in_params()
    bigger = base.model_copy(update={"size": SizeParam(ref_inter=1.4, ref_amo=4.8)})
    assert float(in_index(**BANK, params=bigger)) == pytest.approx(1.0 * 0.5 * 0.00875, rel=1e-12)
    c = in_components(**BANK, params=bigger)
    assert float(c["size_multiplier"]) == pytest.approx(0.5, rel=1e-12)


def test_the_shipped_lines_weights_and_divisors():
    p = load_in_params()
    got = {rid: (p.ratio(rid).line, p.ratio(rid).weight, p.ratio(rid).divisor, p.ratio(rid).risky_when)
           for rid in RATIO_IDS}
    assert got == {"pcr": (1.20, 0.25, 20, "below"), "ct1car": (0.05, 0.25, 1, "below"),
                   "lcr": (1.00, 0.20, 20, "below"), "cr": (0.225, 0.15, 5, "above"), "lr": (0.04, 0.15, 1, "below")}
    assert (p.size.ref_inter, p.size.ref_amo) == (0.7, 1.6)


@pytest.mark.parametrize("name", [*RATIO_IDS, "inter", "amo"])
def test_a_bad_value_is_named(name):
    with pytest.raises(InputError) as info:
        in_index(**(BANK | {name: [1.0, np.nan]}))
    assert str(info.value) == f"{name}: non-finite value at index (1,)"
    with pytest.raises(InputError) as info:
        in_components(**(BANK | {name: "x"}))
    assert str(info.value) == f"{name}: expected numbers, got str"


@pytest.mark.parametrize(("level", "at_least", "counts"), [
    ("low", "low", True), ("medium", "low", True), ("high", "low", True),
    ("low", "medium", False), ("medium", "medium", True), ("high", "medium", True),
    ("low", "high", False), ("medium", "high", False), ("high", "high", True),
])
def test_a_channel_counts_at_or_above_the_rule_level(level, at_least, counts):
    assert QualitativeRule(at_least=at_least).counts(level) is counts


def test_a_parameters_file_of_ones_own(tmp_path):
    from finstab.configs import config_path

    text = config_path("in_params.yaml").read_text(encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("ref_inter: 0.7", "ref_inter: 1.4"), encoding="utf-8")
    own = load_in_params(path)
    assert own.size.ref_inter == 1.4 and own is not load_in_params() and load_in_params().size.ref_inter == 0.7
    assert float(in_index(**BANK, params=own)) == pytest.approx(1.0 * 1.5 * 0.00875, rel=1e-12)
    assert load_in_params(str(path)) == own
