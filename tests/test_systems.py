import copy

import numpy as np
import pytest
import yaml

from finstab.core.errors import ConfigError
from finstab.mcda.scoring import grade_names
from finstab.monitor.systems import available_presets, dump_system, load_system
from finstab.monitor.systems.loader import parse_system

ZIBO_LEVEL1 = {"macro": 4.52, "regional": 16.97, "banking": 49.25, "environment": 29.23}


def test_zibo_preset_has_35_indicators_and_paper_weights():
    s = load_system("zibo")
    tree = s.tree
    assert len(tree.indicators) == 35
    assert len({i.id for i in tree.indicators}) == 35
    level1 = {n.id: n.local_weight for n in tree.nodes if n.level == 1}
    for k, w in ZIBO_LEVEL1.items():
        assert level1[k] == pytest.approx(w / 100, abs=1e-12)
    assert tree.global_weights.sum() == pytest.approx(0.9997)  # as printed in the paper
    assert all(i.source for i in tree.indicators)


def test_zibo_banking_cuts_follow_regulatory_lines():
    inds = {i.id: i for i in load_system("zibo").tree.indicators}
    sixty = {"capital_adequacy": 8, "leverage_ratio": 4, "npl_ratio": 5, "provision_coverage": 120,
             "cost_income": 35, "roa": 0.6, "roe": 11, "liquidity_ratio": 25}
    for iid, line in sixty.items():
        assert inds[iid].cuts[3] == line, iid
        assert inds[iid].score(np.array([line]), (0, 20, 40, 60, 80, 100))[0] == 60


def test_yaml_round_trip():
    for name in available_presets():
        s = load_system(name)
        again = parse_system(yaml.safe_load(dump_system(s)), "round-trip")
        assert again.model_dump() == s.model_dump()
        np.testing.assert_allclose(again.tree.global_weights, s.tree.global_weights)


def _minimal():
    return {
        "id": "t", "name_zh": "测试", "name_en": "test",
        "children": [{"id": "d1", "name_zh": "维度", "name_en": "dim",
                      "ahp": [[1, 3, "1/2"], ["1/3", 1, "1/5"], [2, 5, 1]],
                      "children": [
                          {"id": f"x{k}", "name_zh": f"指标{k}", "name_en": f"ind {k}",
                           "type": "positive", "cuts": [0, 1, 2, 3, 4, 5]} for k in range(3)]}],
    }


def test_fractions_in_ahp_matrix():
    s = parse_system(_minimal(), "t.yaml")
    assert s.tree.global_weights.sum() == pytest.approx(1)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["children"][0]["children"][1].update(cuts=[0, 1, 1, 3, 4, 5]),
     r"children\[0\]\.children\[1\].*strictly increasing"),
    (lambda d: d["children"][0].update(ahp=[[1, 3, 2], [3, 1, 1], [0.5, 1, 1]]),
     r"children\[0\]\(d1\)\.ahp.*not reciprocal"),
    (lambda d: d["children"][0].update(ahp=[[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]),
     r"CR = .* >= 0.1"),
    (lambda d: d["children"][0]["children"][2].update(id="x0"), "duplicate id 'x0'"),
    (lambda d: d["children"][0]["children"][0].update(type="sideways"), r"children\[0\]\.type"),
    (lambda d: d["children"][0]["children"][0].update(cuts=[1, 2, 3]), "3 values for 6 score"),
])
def test_bad_systems_name_the_yaml_path(mutate, message):
    d = copy.deepcopy(_minimal())
    mutate(d)
    with pytest.raises(ConfigError, match=message) as info:
        parse_system(d, "my.yaml")
    assert "my.yaml" in str(info.value)


def test_unknown_preset_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown preset 'nope'.*zibo"):
        load_system("nope")
    with pytest.raises(ConfigError, match="file not found"):
        load_system(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_system(bad)


# Li Nan (Guangxi), published: B2 and B3 memberships (安全, 基本安全, 低风险, 高风险), layer scores
# 70.70 / 66.15 / 65.73 and the overall 67.31. B1 was not printed (the paper repeats B2's line);
# any B1 with B1 . v = 70.70 gives the same overall because M(., +) is linear. This one is.
GX_B1 = [0.428, 0.472, 0.100, 0.0]
GX_B2 = [0.291, 0.564, 0.145, 0.0]
GX_B3 = [0.345, 0.469, 0.156, 0.030]


def _preset_order(b, system):
    """The paper lists grades safe -> high risk; the preset lists them by ascending score."""
    keys = ["safe", "basically_safe", "low_risk", "high_risk"]
    return [b[keys.index(g.key)] for g in system.grades]


def test_guangxi_preset_reproduces_published_layer_and_overall_scores():
    from finstab.mcda.fce import fuzzy_evaluate

    system = load_system("guangxi")
    v = system.grade_values  # the preset's own representative scores
    layers = [_preset_order(b, system) for b in (GX_B1, GX_B2, GX_B3)]
    scores = [fuzzy_evaluate([1], [b], v).score for b in layers]
    assert scores[0] == pytest.approx(70.70, abs=1e-9)
    assert scores[1] == pytest.approx(66.15, abs=1e-9)
    assert scores[2] == pytest.approx(65.725, abs=1e-9)  # printed 65.73 (half up)
    top = [w for _, _, w in system.tree.children[0]]
    total = fuzzy_evaluate(top, layers, v)
    assert round(total.score, 2) == 67.31
    assert system.grade_scale[total.grade].key == "basically_safe"
    assert all(system.grade_scale[fuzzy_evaluate([1], [b], v).grade].key == "basically_safe" for b in layers)
    # the top-level judgment is consistent and the weights the preset shipped before are not the paper's
    from finstab.mcda.ahp import ahp_weights

    res = ahp_weights(system.ahp, ri_table=system.ri_table)
    assert res.cr < 0.1
    np.testing.assert_allclose(res.weights, [0.3090, 0.1095, 0.5816], atol=5e-5)
    assert round(float(np.dot([0.163, 0.297, 0.540], scores)), 2) == 66.66


def test_guangxi_grade_scores_are_the_papers():
    system = load_system("guangxi")
    rep = {g.key: g.representative for g in system.grades}
    assert rep == {"safe": 87.5, "basically_safe": 62.5, "low_risk": 37.5, "high_risk": 12.5}
    assert [(g.lower, g.upper) for g in system.grades] == [(0, 25), (25, 50), (50, 75), (75, 100)]


SCORES = (0, 20, 40, 60, 80, 100)


def test_local_debt_spreads_follow_seed_000():
    """Seed 000: spreads above 15 bp (吉林, 内蒙古, 贵州, 新疆) are the costly end, below 8 bp
    (江浙沪) the cheap end. 15 bp used to score 70 (基本安全)."""
    system = load_system("local_debt")
    spread = {i.id: i for i in system.tree.indicators}["issuance_spread"]
    s = spread.score(np.array([7.9, 8.0, 15.0, 15.1, 25.0]), SCORES)
    names = list(grade_names(s, "en", system.grade_scale))
    assert names == ["safe", "safe", "moderate risk", "high risk", "severe risk"]
    assert s[2] == 40 and s[1] == 80


def test_local_debt_and_small_bank_indicators():
    debt = {i.id: i for i in load_system("local_debt").tree.indicators}
    assert {"special_bond_share", "hidden_debt_proxy"} <= set(debt)
    assert debt["debt_ratio"].score(np.array([120.0]), SCORES)[0] == 40  # the 120 % warning line
    share_2023 = 100 * 4.82 / 7.07  # seed 000: special bonds / local bonds issued, 2023 Q1-Q3
    assert grade_names(debt["special_bond_share"].score(np.array([share_2023]), SCORES), "en")[0] == "moderate risk"
    assert all("Seed 000" in debt[k].source for k in ("special_bond_share", "hidden_debt_proxy", "issuance_spread"))
    banks = {i.id: i for i in load_system("small_banks").tree.indicators}
    gap = banks["nim_gap"]
    assert gap.type == "positive" and gap.unit == "pp"
    np.testing.assert_allclose(gap.score(np.array([-0.3, 0.0, 0.4]), SCORES), [40, 60, 80])


def test_theme_samples_carry_the_new_indicators():
    from finstab.core.io import read_table
    from finstab.samples import sample_path
    from finstab.samples.themes import CHEAP_2023, COSTLY_2023, make_local_debt, make_small_banks

    debt = read_table(sample_path("themes/local_debt.csv"))
    ids = [i.id for i in load_system("local_debt").tree.indicators]
    assert set(ids) <= set(debt.columns)
    assert debt["source"].str.startswith("synthetic").all()
    last = debt[debt["period"] == 2023].set_index("region")["issuance_spread"]
    assert (last[list(COSTLY_2023)] > 15).all() and (last[list(CHEAP_2023)] < 8).all()
    pd_fresh, _ = make_local_debt()
    np.testing.assert_allclose(debt[ids].to_numpy(), pd_fresh[ids].to_numpy())
    banks = read_table(sample_path("themes/small_banks.csv"))
    assert banks["source"].str.startswith("synthetic").all()
    wide = banks.set_index(["period", "region"])
    large = wide.xs("大型银行 large banks", level="region")
    for group in wide.index.get_level_values("region").unique():
        own = wide.xs(group, level="region")
        np.testing.assert_allclose(own["nim_gap"], own["nim"] - large["nim"], atol=1e-9)
    q = banks.set_index(["region", "period"])["nim"]
    fall = {g: q[(g, "2019Q1")] - q[(g, "2023Q3")] for g in ("农商行 rural commercial banks", "大型银行 large banks")}
    assert fall["农商行 rural commercial banks"] == pytest.approx(1.2, abs=0.1)  # seed 000: ~1.2 pp
    assert fall["大型银行 large banks"] == pytest.approx(0.4, abs=0.1)  # seed 000: ~0.4 pp
    np.testing.assert_allclose(make_small_banks()["nim_gap"], banks["nim_gap"])


# Liu & Chen (Zibo), section 三: every score the paper prints.
ZIBO_PRINTED_NODES = {
    "macro": (28.53, 55.79, 59.54, 49.01, 52.61),
    "regional": (53.27, 56.62, 49.90, 40.84, 28.70),
    "banking": (62.26, 74.35, 66.69, 53.11, 48.12),
    "environment": (48.02, 34.92, 39.23, 55.47, 80.20),
    "total": (55.03, 58.95, 55.47, 51.52, 54.39),
    "enterprise": (51.54, 59.92, 55.48, 31.16, 21.07),  # 企业经营及信用
    "case_closure_rate": (20.75, 36.73, 51.04, 81.39, 97.84),  # 金融案件执结率
}
ZIBO_PRINTED_SINGLE = [("macro_development", 2015, 16.94), ("regional_macro", 2017, 39.75),
                       ("reg_house_price_to_gdp", 2017, 8.95), ("reg_house_price_to_gdp", 2018, 0.72),
                       ("roe", 2019, 2.69)]


def test_zibo_sample_hits_every_printed_score_and_stays_synthetic():
    """The sample is built to hit the printed scores; this shows the generator and the preset's
    aggregation agree with the paper's arithmetic, not that the data are Zibo's."""
    from finstab.pipelines import run_monitor
    from finstab.samples import sample_path

    res = run_monitor("zibo", sample_path("zibo_sample.csv"))
    years = [2015, 2016, 2017, 2018, 2019]
    nodes = [n.id for n in res.system.tree.nodes]
    inds = [i.id for i in res.system.tree.indicators]

    def score(key, k):
        if key in nodes:
            return res.node_scores[k, nodes.index(key)]
        return res.indicator_scores[k, inds.index(key)]

    for key, printed in ZIBO_PRINTED_NODES.items():
        for k, p in enumerate(printed):
            assert abs(score(key, k) - p) <= 0.005, (key, years[k])
    for key, year, p in ZIBO_PRINTED_SINGLE:
        assert abs(score(key, years.index(year)) - p) <= 0.005, (key, year)
    assert res.provenance.synthetic
    grades = res.wide_frame(2).set_index("period")
    assert grades.loc[2015, "macro_development"] < 20  # the paper: 严重风险


def test_zibo_regional_group_weights_follow_the_printed_2017_scores():
    tree = load_system("zibo").tree
    w = {n.id: n.local_weight for n in tree.nodes}
    assert w["regional_macro"] + w["enterprise"] == pytest.approx(1)
    assert round(w["regional_macro"] * 39.75 + w["enterprise"] * 55.48, 2) == 49.90
    # the implied 区域宏观经济 scores make 2017 the lowest year, as the paper says
    implied = [(d - w["enterprise"] * e) / w["regional_macro"] for d, e in
               zip(ZIBO_PRINTED_NODES["regional"], ZIBO_PRINTED_NODES["enterprise"], strict=True)]
    assert int(np.argmin(implied)) == 2
    # the 2015 GDP growth (6.9 %, NBS) scores low, as the paper says
    gdp = {i.id: i for i in tree.indicators}["gdp_growth"]
    assert gdp.score(np.array([6.9]), SCORES)[0] < 40
