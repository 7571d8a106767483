import copy

import numpy as np
import pytest
import yaml

from finstab.core.errors import ConfigError
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
