"""Dynamic networks: a three-quarter example worked by hand (impacts, vulnerabilities, scenario
distress, system measures and every alert), the jump rule at its exact thresholds, spillover
indicators by period, exact messages and texts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from finstab.contagion import dynamic_network, market_shock
from finstab.contagion.dynamic import DynamicResult, _jumps, spillover_indicators
from finstab.contagion.spillover import RollingConnectedness
from finstab.core.errors import DataError, InputError

COLS = ["node", "kind", "region", "market", "equity", "external_assets", "external_liabilities"]


def snapshot(quarter, loan):
    """Bank A lends `loan` to developers P and borrows 5 from the foreign bank F."""
    nodes = pd.DataFrame([["A", "bank", "SH", "bank", 20.0, 60.0, 50.0],
                          ["P", "market", "SH", "property", 10.0, 30.0, 0.0],
                          ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0]], columns=COLS).assign(quarter=quarter)
    edges = pd.DataFrame({"lender": ["A", "F"], "borrower": ["P", "A"], "amount": [loan, 5.0],
                          "layer": ["property", "cross_border"]}).assign(quarter=quarter)
    return nodes, edges


def three_quarters(order=("2023Q1", "2023Q2", "2023Q3")):
    loans = {"2023Q1": 10.0, "2023Q2": 10.0, "2023Q3": 40.0}
    parts = [snapshot(q, loans[q]) for q in order]
    return pd.concat([p[0] for p in parts], ignore_index=True), pd.concat([p[1] for p in parts], ignore_index=True)


def test_three_quarters_by_hand():
    nodes, edges = three_quarters(order=("2023Q3", "2023Q1", "2023Q2"))  # periods are sorted
    res = dynamic_network(nodes, edges, [market_shock("property", 0.5)])
    t = res.trajectories
    assert list(t.columns) == ["period", "node", "kind", "region", "market", "border", "equity", "impact",
                               "vulnerability", "distress", "defaulted"]
    assert t["period"].tolist() == ["2023Q1"] * 3 + ["2023Q2"] * 3 + ["2023Q3"] * 3
    assert t["node"].tolist() == ["A", "P", "F"] * 3
    q1, q3 = t.iloc[:3].set_index("node"), t.iloc[6:].set_index("node")
    # Q1: W[A, P] = min(1, 10/20) = 0.5, W[F, A] = 5/50 = 0.1; sizes 70, 30, 105 (total 205)
    np.testing.assert_allclose(q1["impact"], [105 * 0.1 / 205, (70 * 0.5 + 105 * 0.05) / 205, 0])
    np.testing.assert_allclose(q1["vulnerability"], [(0.5 + 0) / 2, 0, (0.1 + 0.05) / 2])
    # property -50%: P loses 15 > its equity of 10 (h0 = 1); A gets 0.5, F 0.05
    np.testing.assert_allclose(q1["distress"], [0.5, 1, 0.05])
    assert not q1["defaulted"].any()
    # Q3: A lent 40: W[A, P] = 1; sizes 100, 30, 105 (235); P keeps 15 of 40 and defaults
    np.testing.assert_allclose(q3["impact"], [105 * 0.1 / 235, (100 + 105 * 0.1) / 235, 0])
    np.testing.assert_allclose(q3["vulnerability"], [0.5, 0, 0.1])
    np.testing.assert_allclose(q3["distress"], [1, 1, 0.1])
    assert q3["defaulted"].tolist() == [False, True, False]
    s = res.systemic
    assert list(s.columns) == ["period", "nodes", "edges", "total_exposure", "cross_border_exposure", "defaults",
                               "shortfall", "debtrank_loss", "debtrank", "max_impact", "top_node", "mean_vulnerability"]
    assert s["period"].tolist() == ["2023Q1", "2023Q2", "2023Q3"]
    assert s["nodes"].tolist() == [3, 3, 3] and s["edges"].tolist() == [2, 2, 2]
    assert s["total_exposure"].tolist() == [15, 15, 45] and s["cross_border_exposure"].tolist() == [5, 5, 5]
    assert s["defaults"].tolist() == [0, 0, 1] and s["shortfall"].tolist() == [0, 0, 25]
    np.testing.assert_allclose(s["debtrank_loss"], [22.5, 22.5, 35])  # distress x equity
    np.testing.assert_allclose(s["debtrank"], [(70 * 0.5 + 105 * 0.05) / 205] * 2 + [(100 * 1 + 105 * 0.1) / 235])
    np.testing.assert_allclose(s["max_impact"], [40.25 / 205, 40.25 / 205, 110.5 / 235])
    assert s["top_node"].tolist() == ["P", "P", "P"]
    np.testing.assert_allclose(s["mean_vulnerability"], [0.325 / 3, 0.325 / 3, 0.2])
    # alerts: Q2 repeats Q1 (none); in Q3 the jumps of at least +50 % and +0.02
    a = res.alerts
    assert list(a.columns) == ["period", "node", "measure", "previous", "value", "change", "relative_change"]
    assert set(a["period"]) == {"2023Q3"}
    got = {(n, m): (p, v, rel) for n, m, p, v, rel in
           zip(a["node"], a["measure"], a["previous"], a["value"], a["relative_change"], strict=True)}
    assert set(got) == {("system", "debtrank_loss"), ("system", "defaults"), ("system", "max_impact"),
                        ("system", "shortfall"), ("system", "total_exposure"), ("A", "distress"), ("F", "distress"),
                        ("P", "impact"), ("A", "vulnerability")}
    assert got[("system", "defaults")] == (0, 1, np.inf) and got[("system", "shortfall")][2] == np.inf
    assert got[("system", "total_exposure")] == (15, 45, 2.0)
    assert got[("F", "distress")][2] == pytest.approx(1.0)
    assert got[("system", "debtrank_loss")][2] == pytest.approx(12.5 / 22.5)
    assert a["measure"].tolist() == sorted(a["measure"])  # sorted by period, then measure
    assert res.jump == 0.5 and res.min_change == 0.02
    assert res.provenance.method == "contagion/dynamic_network"
    assert res.provenance.parameters == {"shocks": ["property -50%"], "variant": "battiston2012", "period": "quarter",
                                         "jump": 0.5, "min_change": 0.02}


def test_thresholds_and_variant_reach_the_alerts():
    nodes, edges = three_quarters()
    strict = dynamic_network(nodes, edges, [market_shock("property", 0.5)], jump=2.5, min_change=0.3)
    # only rises of +250 % remain: none of the nodes; in the system only the unbounded ones
    assert set(zip(strict.alerts["node"], strict.alerts["measure"], strict.alerts["relative_change"],
                   strict.alerts["value"], strict=True)) == {("system", "defaults", np.inf, 1.0),
                                                             ("system", "shortfall", np.inf, 25.0)}
    lin = dynamic_network(nodes, edges, [market_shock("property", 0.5)], variant="bardoscia2015")
    q1 = lin.trajectories.iloc[:3].set_index("node")
    np.testing.assert_allclose(q1["distress"], [0.5, 1, 0.05])
    # Q3 linear: A's impact from P is 40 / 20 = 2, capped at 1; no difference for this chain
    assert lin.provenance.parameters["variant"] == "bardoscia2015"
    calm = dynamic_network(nodes, edges)
    np.testing.assert_allclose(calm.trajectories["distress"], 0)
    assert calm.provenance.parameters["shocks"] == []
    other = dynamic_network(nodes.rename(columns={"quarter": "month"}), edges.rename(columns={"quarter": "month"}),
                            period="month")
    assert other.systemic["period"].tolist() == ["2023Q1", "2023Q2", "2023Q3"]


def test_trajectory_indicators_and_summary():
    nodes, edges = three_quarters()
    res = dynamic_network(nodes, edges, [market_shock("property", 0.5)])
    p = res.trajectory("P")
    assert p.index.tolist() == ["2023Q1", "2023Q2", "2023Q3"] and p.name == "impact"
    np.testing.assert_allclose(res.trajectory("A", "vulnerability"), [0.25, 0.25, 0.5])
    np.testing.assert_allclose(res.trajectory("F", "distress"), [0.05, 0.05, 0.1])
    with pytest.raises(InputError, match=r"^node: node 'Z' is in no snapshot$"):
        res.trajectory("Z")
    with pytest.raises(InputError, match=r"^measure: 'loss' is not one of 'impact', 'vulnerability', 'distress'$"):
        res.trajectory("A", "loss")
    ind = res.indicators()
    assert list(ind.columns[:3]) == ["entity", "period", "nodes"] and set(ind["entity"]) == {"system"}
    spill = pd.DataFrame({"entity": "x", "period": ["2023Q1", "2023Q3"], "tci": [10.0, 20.0]})
    merged = res.indicators(spill, entity="CN")
    assert set(merged["entity"]) == {"CN"} and merged["tci"].tolist()[0] == 10.0 and np.isnan(merged["tci"].iloc[1])
    assert len(merged) == 3 and list(merged.columns[:2]) == ["entity", "period"]
    assert res.tables().keys() == {"systemic", "trajectories", "alerts"}
    assert res.kind == "dynamic_network"
    en = res.with_lang("en").summary().splitlines()
    assert en[0] == "Dynamic network: systemic risk per period and node risk paths (periods: 3)"
    assert en[1].split() == ["period", "total_exposure", "cross_border_exposure", "defaults", "debtrank_loss",
                             "max_impact", "top_node"]
    assert en[4].split() == ["2023Q3", "45.0", "5.0", "1", "35.0", "0.4702", "P"]
    assert en[5] == "jump alerts (9):"
    assert en[6].split() == ["period", "node", "measure", "previous", "value", "change", "relative_change"]
    assert en[-1] == res.footer()
    zh = res.summary().splitlines()
    assert zh[0] == "动态网络：各期系统性风险与节点风险轨迹 (期数: 3)" and zh[5] == "跃升预警 (9):"
    quiet = DynamicResult(res.systemic, res.trajectories, res.alerts.iloc[:0], 0.5, 0.02)
    assert quiet.with_lang("en").summary().splitlines()[5:7] == ["jump alerts (0):", "none"]
    assert quiet.summary().splitlines()[5:7] == ["跃升预警 (0):", "无"]
    many = DynamicResult(res.systemic, res.trajectories, pd.concat([res.alerts] * 2, ignore_index=True), 0.5, 0.02)
    lines = many.with_lang("en").summary().splitlines()
    assert lines[5] == "jump alerts (18):" and len(lines) == 5 + 1 + 1 + 12 + 1  # the first 12 alerts shown


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"jump": 0}, InputError, "jump/min_change: jump = 0, min_change = 0.02; expected jump > 0 and min_change >= 0"),
    ({"min_change": -0.1}, InputError,
     "jump/min_change: jump = 0.5, min_change = -0.1; expected jump > 0 and min_change >= 0"),
    ({"variant": "x"}, InputError, "variant: 'x' is not one of 'battiston2012', 'bardoscia2015'"),
    ({"period": "month"}, DataError, "nodes: missing column(s) 'month'; found "),
])
def test_dynamic_messages(kwargs, error, message):
    nodes, edges = three_quarters()
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        dynamic_network(nodes, edges, **kwargs)


def test_dynamic_input_messages():
    nodes, edges = three_quarters()
    with pytest.raises(InputError, match=r"^nodes: expected a DataFrame, got list$"):
        dynamic_network([], edges)
    with pytest.raises(InputError, match=r"^edges: expected a DataFrame, got dict$"):
        dynamic_network(nodes, {})
    with pytest.raises(DataError, match=r"^edges: missing column\(s\) 'quarter'"):
        dynamic_network(nodes, edges.drop(columns="quarter"))
    named = edges.drop(columns="quarter")
    named.attrs["source"] = "edges.csv"
    with pytest.raises(DataError, match=r"^edges\.csv: missing column\(s\) 'quarter'"):
        dynamic_network(nodes, named)
    extra = edges.assign(quarter=edges["quarter"].replace({"2023Q3": "2024Q1"}))
    extra.loc[0, "quarter"] = "2023Q4"
    with pytest.raises(DataError, match=re.escape("edges: edges for period(s) ['2023Q4', '2024Q1'] that have no "
                                                  "nodes")):
        dynamic_network(nodes, extra)


# ---------------------------------------------------------------------------------- the jump rule


def test_jump_rule_at_its_thresholds():
    frame = pd.DataFrame({
        "period": ["p1", "p2", "p3"] * 4,
        "node": ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["d"] * 3,
        #  a: +50 % and +0.25 exactly; b: from 0; c: from a negative value; d: a fall, then +49 %
        "x": [0.5, 0.75, 0.75, 0.0, 0.01, 0.02, -0.5, -0.25, 0.5, 1.0, 0.5, 0.745],
    })
    out = _jumps(frame, "node", ["x"], jump=0.5, min_change=0.25)
    assert list(out.columns) == ["period", "node", "measure", "previous", "value", "change", "relative_change"]
    got = [(p, n, prev, val, rel) for p, n, prev, val, rel in
           zip(out["period"], out["node"], out["previous"], out["value"], out["relative_change"], strict=True)]
    # a rises by exactly jump and min_change: alert; b's 0.01 rise from 0 is below min_change; c rises
    # by 0.25 from -0.5 (a non-positive start: always relative enough), then by 0.75 from -0.25
    assert got == [("p2", "a", 0.5, 0.75, 0.5), ("p2", "c", -0.5, -0.25, np.inf), ("p3", "c", -0.25, 0.5, np.inf)]
    assert out["measure"].tolist() == ["x", "x", "x"] and out["change"].tolist() == [0.25, 0.25, 0.75]
    # without an absolute minimum (system measures, counts): any rise from zero, or by jump
    counts = _jumps(frame, "node", ["x"], jump=0.5, min_change=0.0)
    hits = set(zip(counts["period"], counts["node"], strict=True))
    assert ("p2", "b") in hits and ("p3", "b") in hits  # from 0; then +100 %
    assert ("p3", "d") not in hits  # +49 %
    exact = _jumps(pd.DataFrame({"period": [1, 2], "node": "a", "x": [2.0, 3.0]}), "node", ["x"], 0.5, 0.0)
    assert exact["relative_change"].tolist() == [0.5]  # +50 % exactly is a jump
    # periods are taken in sorted order whatever the row order
    shuffled = _jumps(frame.iloc[::-1], "node", ["x"], jump=0.5, min_change=0.25)
    pd.testing.assert_frame_equal(shuffled, out)
    none = _jumps(frame.assign(x=1.0), "node", ["x"], 0.5, 0.0)
    assert none.empty and list(none.columns) == list(out.columns)
    # several measures, summed over duplicate rows of a node and period
    two = pd.DataFrame({"period": [1, 1, 2, 2], "node": ["a", "a", "a", "a"], "x": [1.0, 1.0, 3.0, 0.0],
                        "y": [1.0, 0.0, 1.0, 0.0]})
    res = _jumps(two, "node", ["x", "y"], 0.5, 0.0)
    assert res["measure"].tolist() == ["x"] and res["previous"].tolist() == [2.0] and res["value"].tolist() == [3.0]


# ---------------------------------------------------------------------------------- spillover indicators


ROLL = pd.DataFrame({"tci": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "net:a": [1.0, -1.0, 2.0, 0.0, 0.0, 4.0],
                     "to:a": 5.0, "stable": True}, index=pd.date_range("2022-01-03", periods=6, freq="MS"))


def test_spillover_indicators_by_quarter_month_and_year():
    q = spillover_indicators(ROLL)
    assert list(q.columns) == ["entity", "period", "tci", "net:a"]
    assert q["period"].tolist() == ["2022Q1", "2022Q2", "2022Q3"] and set(q["entity"]) == {"system"}
    np.testing.assert_allclose(q["tci"], [1.5, 4.0, 6.0])  # Feb-Mar, Apr-Jun, Jul
    np.testing.assert_allclose(q["net:a"], [0.0, 2 / 3, 4.0])
    last = spillover_indicators(ROLL, how="last", entity="CN")
    np.testing.assert_allclose(last["tci"], [2, 5, 6])
    assert set(last["entity"]) == {"CN"}
    np.testing.assert_allclose(spillover_indicators(ROLL, how="max")["net:a"], [1, 2, 4])
    m = spillover_indicators(ROLL, freq="ME")
    assert m["period"].tolist() == ["2022-02", "2022-03", "2022-04", "2022-05", "2022-06", "2022-07"]
    y = spillover_indicators(ROLL, freq="YE")
    assert y["period"].tolist() == ["2022"] and y["tci"].tolist() == [3.5]
    for alias, want in (("Q", "2022Q1"), ("M", "2022-02"), ("Y", "2022")):
        try:
            got = spillover_indicators(ROLL, freq=alias)["period"].iloc[0]
        except InputError:  # pandas versions that no longer accept the old aliases
            continue
        assert got == want
    # other frequencies keep the period-end dates; empty periods are dropped
    two = spillover_indicators(ROLL, freq="2QE", how="max")
    assert two["period"].tolist() == ["2022-03-31", "2022-09-30"]
    gap = ROLL.drop(ROLL.index[3:5])  # no windows end in May or June
    assert spillover_indicators(gap, freq="ME")["period"].tolist() == ["2022-02", "2022-03", "2022-04", "2022-07"]
    rolling = RollingConnectedness(ROLL, 100, 1, 10)
    pd.testing.assert_frame_equal(spillover_indicators(rolling), q)
    text_dates = ROLL.set_axis(ROLL.index.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(spillover_indicators(text_dates), q)


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    ((ROLL,), {"how": "median"}, InputError, "how: 'median' is not one of 'mean', 'last', 'max'"),
    ((ROLL.drop(columns="tci"),), {}, InputError,
     "rolling: expected a rolling connectedness frame with a 'tci' column"),
    (([1, 2],), {}, InputError, "rolling: expected a rolling connectedness frame with a 'tci' column"),
    ((ROLL.set_axis(list("abcdef")),), {}, DataError, "rolling: the rolling frame is not indexed by dates"),
    ((ROLL,), {"freq": "XX"}, InputError, "freq: 'XX' is not a pandas frequency: "),
])
def test_spillover_indicator_messages(args, kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        spillover_indicators(*args, **kwargs)


def test_variant_and_zero_threshold_reach_the_scenario():
    """A 10 % property fall: P loses 3 of its equity of 10 (h0 = 0.3). In Q3 A lent 40 against equity
    20: Battiston's impact is capped at 1 (A gets 0.3), the linear one is 2 (A gets 0.6); F gets a
    tenth of A's distress."""
    nodes, edges = three_quarters()
    for variant, a in (("battiston2012", 0.3), ("bardoscia2015", 0.6)):
        res = dynamic_network(nodes, edges, [market_shock("property", 0.1)], variant=variant, min_change=0)
        q3 = res.trajectories.iloc[6:].set_index("node")
        np.testing.assert_allclose(q3["distress"], [a, 0.3, a / 10])
        assert res.min_change == 0


def test_nodes_of_no_or_little_size_in_the_rankings():
    """Z holds 0.5 outside and lends nothing; Y holds nothing at all (weight 1e-12)."""
    nodes, edges = three_quarters(order=("2023Q1",))
    extra = pd.DataFrame([["Z", "bank", "BJ", "bank", 1.0, 0.5, 0.0, "2023Q1"],
                          ["Y", "bank", "BJ", "bank", 1.0, 0.0, 0.0, "2023Q1"]], columns=[*COLS, "quarter"])
    res = dynamic_network(pd.concat([nodes, extra], ignore_index=True), edges)
    t = res.trajectories.set_index("node")
    total = 70 + 30 + 105 + 0.5 + 1e-12
    np.testing.assert_allclose(t.loc[["A", "P", "F", "Z", "Y"], "impact"],
                               [105 * 0.1 / total, (70 * 0.5 + 105 * 0.05) / total, 0, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(t.loc["A", "vulnerability"], 0.5 / 4)  # mean over the 4 other defaults


def test_indicators_without_an_entity_column_and_alert_lines():
    nodes, edges = three_quarters()
    res = dynamic_network(nodes, edges, [market_shock("property", 0.5)])
    merged = res.indicators(pd.DataFrame({"period": ["2023Q2"], "tci": [12.5]}))
    assert merged["tci"].isna().tolist() == [True, False, True]
    lines = res.with_lang("en").summary().splitlines()
    first = lines[7].split()  # the first alert row, sorted by measure: the system's DebtRank loss
    assert first[:3] == ["2023Q3", "system", "debtrank_loss"]
    assert [float(v) for v in first[3:]] == [22.5, 35.0, 12.5, round(12.5 / 22.5, 4)]
    for line in lines[7:16]:
        assert all(len(v.split(".")[1]) <= 4 for v in line.split()[3:] if "." in v)
    assert lines[2].split()[0] == "2023Q1"  # the systemic table has no index column


def test_alerts_sorted_and_renumbered_over_several_periods():
    """Banks A and B lend to developers P; a 20 % property fall costs P 6 of its equity of 10 (h0 0.6).
    In Q2 A's loan grows from 10 to 16 (distress 0.3 -> 0.48, +60 %), B's from 10 to 40 (0.3 -> 0.6,
    +100 %); in Q4 both loans grow again."""
    def snap(q, a, b):
        n = pd.DataFrame([["A", "bank", "SH", "bank", 20.0, 100.0, 0.0], ["B", "bank", "BJ", "bank", 20.0, 100.0, 0.0],
                          ["P", "market", "SH", "property", 10.0, 30.0, 0.0]], columns=COLS).assign(quarter=q)
        e = pd.DataFrame({"lender": ["A", "B"], "borrower": ["P", "P"], "amount": [a, b],
                          "layer": ["property", "property"]}).assign(quarter=q)
        return n, e

    parts = [snap("2023Q1", 10.0, 10.0), snap("2023Q2", 16.0, 40.0), snap("2023Q3", 16.0, 40.0),
             snap("2023Q4", 40.0, 80.0)]
    nodes = pd.concat([p[0] for p in parts], ignore_index=True)
    edges = pd.concat([p[1] for p in parts], ignore_index=True)
    res = dynamic_network(nodes, edges, [market_shock("property", 0.2)])
    a = res.alerts
    assert list(a.index) == list(range(len(a))) and list(res.trajectories.index) == list(range(12))
    keys = list(zip(a["period"], a["measure"], -a["relative_change"], strict=True))
    assert keys == sorted(keys) and set(a["period"]) == {"2023Q2", "2023Q4"}
    q2 = a[(a["period"] == "2023Q2") & (a["measure"] == "distress")]
    assert q2["node"].tolist() == ["B", "A"]
    np.testing.assert_allclose(q2["relative_change"], [1.0, 0.6])
    np.testing.assert_allclose(q2["value"], [0.6, 0.48])
    assert sorted(res.provenance.input_hashes) == ["edges", "nodes"]
    other = dynamic_network(nodes.assign(equity=nodes["equity"] * 2), edges)
    assert other.provenance.input_hashes["nodes"] != res.provenance.input_hashes["nodes"]
    assert other.provenance.input_hashes["edges"] == res.provenance.input_hashes["edges"]
