"""Near-threshold flags and graded responses (Guangxi: 接近或者超出临界值; 等级响应)."""

import pandas as pd
import pytest

from finstab.core.errors import ConfigError
from finstab.monitor.model import Monitor
from finstab.monitor.systems.loader import parse_system


def one_indicator_system(**extra):
    """One indicator whose score equals its value (cuts 0, 20, ..., 100)."""
    return parse_system({"id": "t", "name_zh": "测试", "name_en": "test", **extra, "children": [
        {"id": "d", "name_zh": "维度", "name_en": "dim", "weight": 1, "children": [
            {"id": "x", "name_zh": "指标", "name_en": "x", "type": "positive", "cuts": [0, 20, 40, 60, 80, 100]}]}]},
        "test")


def evaluate(values, **extra):
    panel = pd.DataFrame({"region": [f"r{k}" for k in range(len(values))], "period": 2024, "x": values})
    return Monitor(one_indicator_system(**extra)).evaluate(panel)


def test_flags_follow_the_distance_to_grade_boundaries():
    # boundaries 20, 40, 60, 80; critical line 60; near = within 5 points above a boundary
    res = evaluate([59.9, 60.0, 64.99, 65.0, 83.0, 95.0, 22.0])
    alerts = res.alerts_frame().set_index("region")
    assert alerts.loc["r0", "alert"] == "beyond" and alerts.loc["r6", "alert"] == "beyond"
    assert alerts.loc["r1", "alert"] == "near" and alerts.loc["r1", "points_above_boundary"] == pytest.approx(0)
    assert alerts.loc["r2", "alert"] == "near" and alerts.loc["r4", "alert"] == "near"
    assert {"r3", "r5"}.isdisjoint(alerts.index)  # 5 and 15 points above the nearest boundary below
    assert alerts.loc["r0", "points_above_boundary"] == pytest.approx(19.9)  # 59.9 is 19.9 above 40
    low = evaluate([12.0]).alerts_frame()  # the lowest grade: no boundary below, no distance to show
    assert low["alert"].tolist() == ["beyond"] and low["points_above_boundary"].isna().all()


def test_configurable_distance_line_and_responses():
    res = evaluate([50.0, 70.0], alerts={"near_points": 12, "warning_line": 40},
                   responses={"moderate": {"level": "Y", "name_zh": "黄色", "name_en": "yellow"}})
    alerts = res.alerts_frame().set_index("region")
    assert alerts.loc["r1", "alert"] == "near" and alerts.loc["r0", "alert"] == "near"
    scores = res.scores_frame().set_index("region")
    assert scores.loc["r0", "response"] == "Y"  # 50 is moderate: the configured response
    assert scores.loc["r1", "response"] == "IV"  # 70 is basically safe: the default level IV
    assert res.with_lang("en").label(res.scores_frame())["response"].iloc[0] == "yellow"
    with pytest.raises(ConfigError, match="not grades of this system"):
        evaluate([1.0], responses={"amber": {"level": "A", "name_zh": "a", "name_en": "a"}})


def test_renormalised_nodes_are_listed_with_the_change_they_caused():
    sys = parse_system({"id": "t", "name_zh": "测试", "name_en": "test", "children": [
        {"id": "d", "name_zh": "维度", "name_en": "dim", "weight": 1, "children": [
            {"id": x, "name_zh": x, "name_en": x, "type": "positive", "cuts": [0, 20, 40, 60, 80, 100]}
            for x in ("a", "b")]}]}, "test")
    panel = pd.DataFrame({"region": ["r"], "period": [2024], "a": [80.0], "b": [None]})
    res = Monitor(sys, missing="renormalise").evaluate(panel)
    rows = res.quality[res.quality["check"] == "renormalised"].set_index("column")
    # a alone scores 80; scoring the missing b as 0 would give 40: the renormalisation added 40 points
    assert rows.loc["d", "value"] == pytest.approx(80) and "+40.00 points" in rows.loc["d", "detail"]
    assert "data_quality" in res.tables() and any("renormalised" in w for w in res.warnings)
