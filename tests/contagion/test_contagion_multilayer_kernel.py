"""Multi-layer network kernels: every node-table column of a hand-worked property shock, the
foreign-funding and FX shocks by hand, group and flow tables summed independently, exact
validation messages and the summary text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from finstab.contagion.multilayer import (
    MultiLayerNetwork,
    MultilayerResult,
    Shock,
    apply_shocks,
    foreign_funding_shock,
    fx_shock,
    market_shock,
    multilayer_network,
    run_multilayer,
)
from finstab.core.errors import DataError, InputError

COLS = ["node", "kind", "region", "market", "equity", "external_assets", "external_liabilities"]


def nodes_frame(rows):
    return pd.DataFrame(rows, columns=COLS)


def edges_frame(rows):
    return pd.DataFrame(rows, columns=["lender", "borrower", "amount", "layer", "currency"])


# developers P owe bank A 40 (and 5 outside); bank A owes 120 outside
PROPERTY_NODES = nodes_frame([["A", "bank", "GD", "bank", 10.0, 90.0, 120.0],
                              ["P", "market", "GD", "property", 5.0, 50.0, 5.0]])
PROPERTY_EDGES = edges_frame([["A", "P", 40.0, "property", "domestic"]])


def test_property_shock_every_column_by_hand():
    res = run_multilayer(PROPERTY_NODES, PROPERTY_EDGES, [market_shock("property", 0.8)])
    t = res.node_table.set_index("node")
    assert list(res.node_table.columns) == ["node", "kind", "region", "market", "border", "equity", "external_assets",
                                            "external_liabilities", "direct_loss", "clearing_loss", "payments",
                                            "obligations", "shortfall", "defaulted", "h0", "distress", "debtrank_loss"]
    # P keeps 10 of its 50 for 45 of debts and pays 10 (40/45 of it to A); A has 90 + 400/45 < 120
    np.testing.assert_allclose(t["payments"], [90 + 400 / 45, 10])
    np.testing.assert_allclose(t["obligations"], [120, 45])
    np.testing.assert_allclose(t["shortfall"], [120 - 90 - 400 / 45, 35])
    np.testing.assert_allclose(t["clearing_loss"], [40 - 400 / 45, 0])
    assert t["defaulted"].tolist() == [True, True]
    # the table keeps the nodes' own (unshocked) external assets
    np.testing.assert_allclose(t["external_assets"], [90, 50])
    # direct loss: P's book equity 50 - 45 = 5 becomes 10 - 45; h0 = min(1, 40 / 5)
    np.testing.assert_allclose(t["direct_loss"], [0, 40])
    np.testing.assert_allclose(t["h0"], [0, 1])
    # DebtRank: A lent 40 to P against equity 10, impact min(1, 4) = 1; losses = distress x equity
    np.testing.assert_allclose(t["distress"], [1, 1])
    np.testing.assert_allclose(t["debtrank_loss"], [10, 5])
    assert t["border"].tolist() == ["domestic", "domestic"]
    # weights are total assets: external assets + claims = 130 and 50
    dr = res.debtrank_result
    np.testing.assert_allclose(dr.weights, [130 / 180, 50 / 180])
    assert dr.debtrank == pytest.approx(130 / 180) and dr.total == pytest.approx(1.0)
    assert res.clearing.seniority == "pari_passu" and res.variant == "battiston2012"
    e = res.edge_table
    assert e.iloc[0][["lender_region", "lender_market", "lender_border", "borrower_market"]].tolist() == [
        "GD", "bank", "domestic", "property"]
    assert e["exposure"].tolist() == [40.0] and e["loss"].iloc[0] == pytest.approx(40 - 400 / 45)
    assert e["layer"].tolist() == ["property"] and e["currency"].tolist() == ["domestic"]


def test_property_shock_groups_flows_layers_and_summary():
    res = run_multilayer(PROPERTY_NODES, PROPERTY_EDGES, [market_shock("property", 0.8)])
    g = res.groups()
    assert list(g.columns) == ["region", "market", "border", "nodes", "equity", "direct_loss", "clearing_loss",
                               "shortfall", "defaulted", "debtrank_loss", "loss_share"]
    assert g["market"].tolist() == ["bank", "property"] and g["defaulted"].tolist() == [1, 1]
    assert g["defaulted"].dtype.kind == "i"
    np.testing.assert_allclose(g["loss_share"], [1, 1])
    np.testing.assert_allclose(g["shortfall"], [30 - 400 / 45, 35])
    flows = res.flows
    assert list(flows.columns) == ["lender_region", "lender_market", "lender_border", "borrower_region",
                                   "borrower_market", "borrower_border", "exposure", "loss"]
    assert flows["exposure"].tolist() == [40.0]
    layers = res.layers()
    assert list(layers.columns) == ["layer", "currency", "exposure", "loss"]
    assert layers["loss"].iloc[0] == pytest.approx(40 - 400 / 45)
    m = res.matrix("region", "market")
    assert list(m.columns) == ["bank", "property"] and m.loc["GD", "property"] == pytest.approx(5.0)
    assert res.matrix("border", "market", "clearing_loss").loc["domestic", "bank"] == pytest.approx(40 - 400 / 45)
    assert res.flow_matrix("market", "exposure").loc["bank", "property"] == 40.0
    tables = res.tables()
    assert list(tables["border"].columns) == ["lender", "domestic"] and tables["border"].columns.name is None
    assert list(tables["region_market"].columns) == ["region", "bank", "property"]
    assert tables["region_market"].columns.name is None
    en = res.with_lang("en").summary().splitlines()
    assert en[:5] == ["Cross-market, cross-border multi-layer contagion", "shock: property -80%",
                      "defaults: 2 / 2 (A, P); clearing shortfall 56.11",
                      "DebtRank total loss: 15 (induced by contagion 10); DebtRank 0.7222 (battiston2012)",
                      "largest losses by region x market x border:"]
    assert en[5].split() == ["region", "market", "border", "nodes", "defaulted", "debtrank_loss", "loss_share"]
    assert en[6].split() == ["GD", "bank", "domestic", "1", "1", "10.0", "1.0"]
    assert en[8] == "border loss matrix (lender -> borrower):" and en[-1] == res.footer()
    zh = res.summary().splitlines()
    assert zh[:5] == ["跨市场、跨境多层网络传染", "冲击: property -80%", "违约节点: 2 / 2 (A, P); 清偿缺口 56.11",
                      "DebtRank 总损失: 15 (其中传染引致 10); DebtRank 0.7222 (battiston2012)",
                      "损失最大的组（地区 × 市场 × 境内外）:"]
    assert zh[8] == "境内外损失矩阵（贷款方 → 借款方）:"


def test_summary_on_a_larger_network_shows_five_groups_and_eight_defaults():
    rng = np.random.default_rng(5)
    regions = ["SH", "GD", "BJ", "ZJ"]
    rows = [[f"b{i}", "bank", regions[i % 4], "bank", 3.0, 1.0 + i / 7, 3.0 + i / 3] for i in range(12)]
    rows += [[f"p{r}", "market", r, "property", 1.0, 2.0, 1.0] for r in regions]
    nodes = nodes_frame(rows)
    edges = edges_frame([[f"b{i}", f"b{j}", float(rng.uniform(0.1, 1)), "interbank", "domestic"]
                         for i in range(12) for j in range(12) if i != j and rng.random() < 0.3]
                        + [[f"b{i}", f"p{regions[i % 4]}", 0.7, "property", "domestic"] for i in range(12)])
    res = run_multilayer(nodes, edges, [market_shock("property", 0.3)]).with_lang("en")
    nt = res.node_table
    lines = res.summary().splitlines()
    defaulted = nt.loc[nt["defaulted"], "node"].tolist()
    assert len(defaulted) > 8
    assert lines[2] == (f"defaults: {len(defaulted)} / 16 ({', '.join(defaulted[:8])}); "
                        f"clearing shortfall {nt['shortfall'].sum():.4g}")
    top = lines[lines.index("largest losses by region x market x border:") + 2:lines.index(
        "border loss matrix (lender -> borrower):")]
    assert len(top) == 5 and len(res.groups()) == 8
    shown = [float(line.split()[5]) for line in top]
    assert shown == sorted(shown, reverse=True)
    decimals = [len(v.split(".")[1]) for line in top for v in line.split()[5:] if "." in v]
    assert max(decimals) == 4  # rounded to 4 decimals
    assert shown[0] == pytest.approx(res.groups()["debtrank_loss"].max(), abs=1e-4)
    matrix = lines[lines.index("border loss matrix (lender -> borrower):") + 3]
    value = float(matrix.split()[-1])
    assert value == round(value, 4) and value == pytest.approx(res.flow_matrix("border")["domestic"].iloc[0],
                                                               abs=5e-5)
    # groups come sorted by region, market, border whatever the node order
    g = res.groups()
    keys = list(zip(g["region"], g["market"], g["border"], strict=True))
    assert keys == sorted(keys)


def test_groups_sorted_and_summed_independently():
    nodes = nodes_frame([["z", "bank", "SH", "bank", 2.0, 10.0, 9.0], ["y", "market", "BJ", "lgfv", 4.0, 8.0, 1.0],
                         ["x", "bank", "BJ", "bank", 3.0, 5.0, 4.0], ["w", "foreign", "HK", "bank", 9.0, 50.0, 0.0]])
    edges = edges_frame([["z", "y", 6.0, "lgfv", "domestic"], ["x", "y", 3.0, "lgfv", "domestic"],
                         ["w", "z", 5.0, "cross_border", "fx"], ["w", "x", 2.0, "cross_border", "domestic"]])
    res = run_multilayer(nodes, edges, [market_shock("lgfv", 0.9), fx_shock(0.5)])
    g = res.groups()
    assert list(zip(g["region"], g["market"], g["border"], strict=True)) == [
        ("BJ", "bank", "domestic"), ("BJ", "lgfv", "domestic"), ("HK", "bank", "foreign"), ("SH", "bank", "domestic")]
    nt = res.node_table.set_index("node")
    for col in ("equity", "direct_loss", "clearing_loss", "shortfall", "debtrank_loss"):
        assert g[col].tolist() == pytest.approx([nt.loc["x", col], nt.loc["y", col], nt.loc["w", col],
                                                 nt.loc["z", col]])
    np.testing.assert_allclose(g["loss_share"], g["debtrank_loss"] / g["equity"])
    layers = res.layers()
    assert list(zip(layers["layer"], layers["currency"], strict=True)) == [
        ("cross_border", "domestic"), ("cross_border", "fx"), ("lgfv", "domestic")]
    np.testing.assert_allclose(layers["exposure"], [2.0, 7.5, 9.0])  # the FX edge is worth 5 x 1.5
    fm = res.flow_matrix("border", "exposure")
    assert list(fm.index) == ["domestic", "foreign"] and fm.loc["foreign", "domestic"] == 9.5
    assert fm.loc["domestic", "domestic"] == 9.0
    mm = res.matrix("market", "border", "direct_loss")
    assert list(mm.index) == ["bank", "lgfv"]
    assert mm.loc["lgfv", "domestic"] == pytest.approx(nt.loc["y", "direct_loss"])
    assert mm.loc["lgfv", "foreign"] == 0.0  # empty cells are filled with 0
    # the FX debt of z grew by 2.5: z's direct loss; w, the lender, gains 2.5
    assert nt.loc["z", "direct_loss"] == pytest.approx(2.5) and nt.loc["w", "direct_loss"] == pytest.approx(-2.5)


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: r.matrix("region", "node"), "rows/columns: 'node' is not one of 'region', 'market', 'border'"),
    (lambda r: r.matrix("node", "market"), "rows/columns: 'node' is not one of 'region', 'market', 'border'"),
    (lambda r: r.matrix("region", "market", "foo"), "value: 'foo' is not a node measure"),
    (lambda r: r.flow_matrix("node"), "by: 'node' is not one of 'region', 'market', 'border'"),
    (lambda r: r.flow_matrix("border", "amount"), "value: 'amount' is not one of 'exposure', 'loss'"),
])
def test_result_option_messages(call, message):
    res = run_multilayer(PROPERTY_NODES, PROPERTY_EDGES)
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        call(res)


def test_defaults_and_options_of_run_multilayer():
    net = multilayer_network(PROPERTY_NODES, PROPERTY_EDGES)
    calm = run_multilayer(net)
    assert calm.shocks == () and calm.node_table["distress"].max() == 0
    assert calm.with_lang("en").summary().splitlines()[1:3] == ["shock: ", "defaults: 0 / 2 (-); clearing shortfall 0"]
    lin = run_multilayer(net, shocks=[market_shock("property", 0.8)], variant="bardoscia2015")
    assert lin.variant == "bardoscia2015" and lin.debtrank_result.variant == "bardoscia2015"
    # the linear variant does not cap A's impact: min(1, 4 x 1) = 1 all the same
    np.testing.assert_allclose(lin.node_table["distress"], [1, 1])
    assert lin.provenance.method == "contagion/multilayer"
    assert lin.provenance.parameters == {"shocks": ["property -80%"], "variant": "bardoscia2015"}
    with pytest.raises(InputError, match=r"^variant: 'x' is not one of 'battiston2012', 'bardoscia2015'$"):
        run_multilayer(net, variant="x")
    # nodes holding nothing get a tiny weight, so DebtRank still runs and they count for nothing
    idle = nodes_frame([["A", "bank", "SH", "bank", 10.0, 0.0, 0.0], ["F", "foreign", "HK", "bank", 50.0, 0.0, 0.0]])
    res = run_multilayer(idle, edges_frame([["F", "A", 0.0, "cross_border", "fx"]]), [fx_shock(0.2)])
    np.testing.assert_allclose(res.debtrank_result.weights, [0.5, 0.5])
    assert res.node_table["distress"].tolist() == [0.0, 0.0]


def test_a_zero_size_node_weighs_nothing():
    # B borrows 10 in FX from F and holds nothing: its size (external assets + claims) is 0
    nodes = nodes_frame([["B", "bank", "SH", "bank", 4.0, 0.0, 0.0], ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0]])
    res = run_multilayer(nodes, edges_frame([["F", "B", 10.0, "cross_border", "fx"]]), [fx_shock(0.2)])
    t = res.node_table.set_index("node")
    assert t.loc["B", "h0"] == pytest.approx(0.5)  # its FX debt grew by 2 against equity 4
    # F's impact from B is 12 / 50: it ends at 0.5 * 0.24; B weighs 1e-12 / (110 + 1e-12)
    assert t.loc["F", "distress"] == pytest.approx(0.12)
    assert res.debtrank_result.total == pytest.approx(0.12, rel=1e-9)
    assert res.debtrank_result.weights[0] == pytest.approx(1e-12 / 110, rel=1e-6)


# ---------------------------------------------------------------------------------- shocks


def test_market_shock_only_hits_market_nodes_of_that_market_and_region():
    nodes = nodes_frame([["A", "bank", "GZ", "property", 5.0, 100.0, 0.0],
                         ["P1", "market", "GZ", "property", 5.0, 100.0, 0.0],
                         ["P2", "market", "SH", "property", 5.0, 100.0, 0.0],
                         ["L", "market", "GZ", "lgfv", 5.0, 100.0, 0.0]])
    net = multilayer_network(nodes, edges_frame([]))
    s = apply_shocks(net, [market_shock("property", 0.25, region="GZ")])
    np.testing.assert_allclose(s.external_assets, [100, 75, 100, 100])
    np.testing.assert_allclose(s.direct_loss, [0, 25, 0, 0])
    s = apply_shocks(net, [market_shock("property", 0.25)])
    np.testing.assert_allclose(s.external_assets, [100, 75, 75, 100])
    # shocks compound in order
    s = apply_shocks(net, [market_shock("lgfv", 0.5), market_shock("lgfv", 0.5)])
    np.testing.assert_allclose(s.external_assets, [100, 100, 100, 25])
    with pytest.raises(InputError, match=r"^shocks: no market node for 'property' in BJ$"):
        apply_shocks(net, [market_shock("property", 0.1, region="BJ")])
    with pytest.raises(InputError, match=r"^shocks: no market node for 'bond'$"):
        apply_shocks(net, [market_shock("bond", 0.1)])
    for bad in ("x", Shock("volcano", 0.1)):
        with pytest.raises(InputError, match=re.escape(f"shocks: {bad!r} is not a shock; build one with "
                                                       "market_shock, foreign_funding_shock or fx_shock")):
            apply_shocks(net, [bad])


def test_fx_shock_on_fx_edges_only():
    nodes = nodes_frame([["A", "bank", "SH", "bank", 10.0, 110.0, 0.0],
                         ["B", "bank", "SH", "bank", 10.0, 50.0, 0.0],
                         ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0]])
    edges = edges_frame([["F", "A", 100.0, "cross_border", "fx"], ["B", "A", 20.0, "interbank", "domestic"],
                         ["A", "F", 10.0, "cross_border", "fx"]])
    s = apply_shocks(multilayer_network(nodes, edges), [fx_shock(0.2)])
    np.testing.assert_allclose(s.amounts, [120, 20, 12])
    np.testing.assert_allclose(s.direct_loss, [20 - 2, 0, -20 + 2])
    np.testing.assert_allclose(s.external_assets, [110, 50, 100])
    up = apply_shocks(multilayer_network(nodes, edges), [fx_shock(-0.5)])  # an appreciation
    np.testing.assert_allclose(up.amounts, [50, 20, 5])


def test_foreign_funding_partial_and_regional():
    nodes = nodes_frame([["A", "bank", "SH", "bank", 30.0, 40.0, 0.0],
                         ["B", "bank", "BJ", "bank", 5.0, 100.0, 0.0],
                         ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0],
                         ["G", "foreign", "US", "bank", 50.0, 100.0, 0.0]])
    edges = edges_frame([["F", "A", 100.0, "cross_border", "domestic"], ["G", "A", 60.0, "cross_border", "domestic"],
                         ["B", "A", 10.0, "interbank", "domestic"], ["F", "G", 30.0, "cross_border", "domestic"]])
    net = multilayer_network(nodes, edges)
    s = apply_shocks(net, [foreign_funding_shock(0.5, discount=0.2)])
    # A is asked for 50 + 30 = 80 but can raise only 0.8 x 40 = 32: it repays 32 pro rata (20 to F,
    # 12 to G) by selling all 40 of its assets; foreign-to-foreign and domestic claims are untouched
    np.testing.assert_allclose(s.amounts, [80, 48, 10, 30])
    np.testing.assert_allclose(s.external_assets, [0, 100, 120, 112])
    np.testing.assert_allclose(s.direct_loss, [8, 0, 0, 0], atol=1e-12)
    only_us = apply_shocks(net, [foreign_funding_shock(0.5, discount=0.0, region="US")])
    np.testing.assert_allclose(only_us.amounts, [100, 30, 10, 30])
    np.testing.assert_allclose(only_us.external_assets, [10, 100, 100, 130])
    np.testing.assert_allclose(only_us.direct_loss, 0, atol=1e-12)
    none = apply_shocks(net, [foreign_funding_shock(0.0)])
    np.testing.assert_allclose(none.amounts, [100, 60, 10, 30])
    np.testing.assert_allclose(none.external_assets, [40, 100, 100, 100])


def test_shock_constructors_and_descriptions():
    s = market_shock("property", 0.3, region="GZ")
    assert (s.kind, s.size, s.market, s.region, s.discount) == ("market", 0.3, "property", "GZ", 0.0)
    assert market_shock(7, 1).market == "7" and market_shock("bond", 0).size == 0.0
    assert market_shock("bond", 0.25).describe() == "bond -25%"
    f = foreign_funding_shock(1, discount=0.15, region="HK")
    assert (f.kind, f.size, f.region, f.discount, f.market) == ("foreign_funding", 1.0, "HK", 0.15, None)
    assert f.describe() == "foreign funding HK withdrawn 100% (fire-sale discount 15%)"
    assert foreign_funding_shock(0.5).discount == 0.1
    assert foreign_funding_shock(0.5, discount=0).describe() == "foreign funding withdrawn 50% (fire-sale discount 0%)"
    x = fx_shock(10)
    assert (x.kind, x.size) == ("fx", 10.0) and x.describe() == "FX depreciation 1000%"
    assert fx_shock("-0.5").size == -0.5


@pytest.mark.parametrize(("make", "message"), [
    (lambda: market_shock("property", "a"), "loss: 'a' is not a number"),
    (lambda: market_shock("property", None), "loss: None is not a number"),
    (lambda: market_shock("property", -0.1), "loss: -0.1; expected a fraction in [0, 1]"),
    (lambda: market_shock("property", 1.1), "loss: 1.1; expected a fraction in [0, 1]"),
    (lambda: foreign_funding_shock(1.5), "fraction: 1.5; expected a fraction in [0, 1]"),
    (lambda: foreign_funding_shock(None), "fraction: None is not a number"),
    (lambda: foreign_funding_shock(0.5, discount=1), "discount: 1; expected a fraction in [0, 1)"),
    (lambda: foreign_funding_shock(0.5, discount=-0.1), "discount: -0.1; expected a fraction in [0, 1)"),
    (lambda: fx_shock("x"), "depreciation: 'x' is not a number"),
    (lambda: fx_shock(None), "depreciation: None is not a number"),
    (lambda: fx_shock(-1), "depreciation: -1; expected a depreciation above -1 (e.g. 0.2 for 20 %)"),
    (lambda: fx_shock(10.5), "depreciation: 10.5; expected a depreciation above -1 (e.g. 0.2 for 20 %)"),
])
def test_shock_messages(make, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        make()


# ---------------------------------------------------------------------------------- the network


def test_network_matrices_and_book_equity():
    nodes = nodes_frame([["A", "bank", "SH", "bank", 1.0, 10.0, 2.0], ["B", "bank", "BJ", "bank", 1.0, 20.0, 3.0],
                         ["C", "market", "BJ", "bond", 1.0, 30.0, 4.0]])
    edges = edges_frame([["A", "B", 5.0, "interbank", "domestic"], ["A", "B", 1.0, "interbank", "domestic"],
                         ["C", "A", 2.0, "bond", "fx"], ["B", "C", 3.0, "bond", "domestic"]])
    net = multilayer_network(nodes, edges)
    assert net.n == 3 and isinstance(net, MultiLayerNetwork)
    np.testing.assert_array_equal(net.liabilities().toarray(), [[0, 0, 2], [6, 0, 0], [0, 3, 0]])
    np.testing.assert_array_equal(net.layer_matrix("bond").toarray(), [[0, 0, 2], [0, 0, 0], [0, 3, 0]])
    np.testing.assert_array_equal(net.layer_matrix("interbank").toarray(), [[0, 0, 0], [6, 0, 0], [0, 0, 0]])
    assert net.layer_matrix("property").nnz == 0 or not net.layer_matrix("property").toarray().any()
    # external assets + claims - obligations - external liabilities
    np.testing.assert_allclose(net.book_equity(), [10 + 6 - 2 - 2, 20 + 3 - 6 - 3, 30 + 2 - 3 - 4])
    np.testing.assert_allclose(net.book_equity(np.array([1.0, 1.0, 1.0, 1.0])), [10 + 2 - 1 - 2, 20 + 1 - 2 - 3,
                                                                                  30 + 1 - 1 - 4])
    np.testing.assert_allclose(net.book_equity(external_assets=np.zeros(3)), [2, -6, -5])
    np.testing.assert_array_equal(net.liabilities(np.array([1.0, 2, 3, 4])).toarray(), [[0, 0, 3], [3, 0, 0],
                                                                                        [0, 4, 0]])
    assert net.edges["i_lender"].tolist() == [0, 0, 2, 1] and net.edges["i_borrower"].tolist() == [1, 1, 0, 2]
    assert net.nodes["border"].tolist() == ["domestic", "domestic", "domestic"]


def test_network_cleaning():
    nodes = nodes_frame([[1, " bank ", " SH", "bank ", 1, 10, 0], ["F", "foreign", "HK", "bank", 2.5, 0, 0]])
    nodes.attrs["source"] = "n.csv"
    edges = pd.DataFrame({"lender": ["F", "1"], "borrower": [1, "F"], "amount": ["5", 2], "layer": [" x ", "y"],
                          "currency": [None, " fx "]}, index=[10, 11])
    net = multilayer_network(nodes, edges)
    assert net.nodes["node"].tolist() == ["1", "F"] and net.nodes["kind"].tolist() == ["bank", "foreign"]
    assert net.nodes["region"].tolist() == ["SH", "HK"] and net.nodes["market"].tolist() == ["bank", "bank"]
    assert net.nodes["border"].tolist() == ["domestic", "foreign"]
    assert net.nodes["equity"].dtype == float and net.nodes.attrs["source"] == "n.csv"
    assert net.edges["currency"].tolist() == ["domestic", "fx"] and net.edges["layer"].tolist() == ["x", "y"]
    assert net.edges["amount"].tolist() == [5.0, 2.0] and list(net.edges.index) == [0, 1]
    assert net.edges["lender"].tolist() == ["F", "1"] and net.edges["borrower"].tolist() == ["1", "F"]
    no_currency = multilayer_network(nodes, edges.drop(columns="currency"))
    assert no_currency.edges["currency"].tolist() == ["domestic", "domestic"]
    extra = multilayer_network(nodes.assign(note=["a", "b"]), edges)
    assert extra.nodes["note"].tolist() == ["a", "b"]


NODES2 = nodes_frame([["A", "bank", "SH", "bank", 10.0, 110.0, 0.0], ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0]])
EDGES2 = edges_frame([["F", "A", 100.0, "cross_border", "fx"]])


@pytest.mark.parametrize(("nodes", "edges", "message"), [
    (NODES2.assign(region=["SH", " "]), EDGES2, "data row 2 of the table: column 'region' is empty"),
    (NODES2.assign(kind=["bank", None]), EDGES2, "data row 2 of the table: column 'kind' is empty"),
    (NODES2.assign(market=[np.nan, "bank"]), EDGES2, "data row 1 of the table: column 'market' is empty"),
    (NODES2.assign(kind=["bank", "broker"]), EDGES2,
     "data row 2 of the table: kind 'broker' is not one of bank, market, foreign"),
    (NODES2.assign(node=["A", "A"]), EDGES2, "nodes: node 'A' listed twice"),
    (NODES2.assign(equity=[1, "x"]), EDGES2, "data row 2 of the table: column 'equity': 'x' is not a positive number"),
    (NODES2.assign(equity=[0.0, 1.0]), EDGES2,
     "data row 1 of the table: column 'equity': np.float64(0.0) is not a positive number"),
    (NODES2.assign(external_assets=[1, np.inf]), EDGES2,
     "data row 2 of the table: column 'external_assets': np.float64(inf) is not a non-negative number"),
    (NODES2.assign(external_liabilities=[1, -1]), EDGES2,
     "data row 2 of the table: column 'external_liabilities': np.int64(-1) is not a non-negative number"),
    (NODES2, EDGES2.assign(amount=["q"]), "data row 1 of the table: column 'amount': 'q' is not a non-negative number"),
    (NODES2, EDGES2.assign(amount=[-1.0]),
     "data row 1 of the table: column 'amount': np.float64(-1.0) is not a non-negative number"),
    (NODES2, EDGES2.assign(currency=["usd"]), "data row 1 of the table: currency 'usd' is not one of domestic, fx"),
    (NODES2, EDGES2.assign(borrower=["Z"]), "data row 1 of the table: borrower 'Z' is not in the node table"),
    (NODES2, EDGES2.assign(lender=["Y"], borrower=["Z"]),
     "data row 1 of the table: lender 'Y' is not in the node table"),
    (NODES2, EDGES2.assign(lender=["A"]), "data row 1 of the table: 'A' lends to itself"),
    (NODES2, EDGES2.drop(columns="layer"), "edges: missing column(s) 'layer'; found ['lender', 'borrower', 'amount', "
                                           "'currency']"),
    (NODES2.drop(columns="region"), EDGES2, "nodes: missing column(s) 'region'; found ['node', 'kind', 'market', "
                                            "'equity', 'external_assets', 'external_liabilities']"),
])
def test_network_messages(nodes, edges, message):
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        multilayer_network(nodes, edges)


def test_network_messages_name_the_files():
    nodes = NODES2.assign(node=["A", "A"])
    nodes.attrs["source"] = "nodes.csv"
    with pytest.raises(DataError, match=r"^nodes\.csv: node 'A' listed twice$"):
        multilayer_network(nodes, EDGES2)
    nodes = NODES2.drop(columns="kind")
    nodes.attrs["source"] = "nodes.csv"
    with pytest.raises(DataError, match=r"^nodes\.csv: missing column"):
        multilayer_network(nodes, EDGES2)
    edges = EDGES2.drop(columns="amount")
    edges.attrs["source"] = "edges.csv"
    with pytest.raises(DataError, match=r"^edges\.csv: missing column"):
        multilayer_network(NODES2, edges)
    edges = EDGES2.assign(borrower=["Q"])
    edges.attrs["source"] = "edges.csv"
    with pytest.raises(DataError, match=r"^edges\.csv row 1 of the table: borrower 'Q' is not in the node table$"):
        multilayer_network(NODES2, edges)
    for bad in (NODES2.to_numpy(), None):
        with pytest.raises(InputError, match=r"^nodes/edges: expected DataFrames of nodes and edges$"):
            multilayer_network(bad, EDGES2)
    with pytest.raises(InputError, match=r"^nodes/edges: expected DataFrames of nodes and edges$"):
        multilayer_network(NODES2, [])


def test_result_is_frozen_with_its_parts():
    res = run_multilayer(NODES2, EDGES2, [fx_shock(0.2)])
    assert isinstance(res, MultilayerResult) and res.kind == "multilayer"
    assert res.shocks == (fx_shock(0.2),) and res.clearing.payments.shape == (2,)
    t = res.node_table.set_index("node")
    assert t.loc["A", "defaulted"] and t.loc["F", "clearing_loss"] == pytest.approx(10.0)


def test_matrix_defaults_and_two_shocks_in_the_summary():
    res = run_multilayer(PROPERTY_NODES, PROPERTY_EDGES, [market_shock("property", 0.8), fx_shock(0.1)])
    pd.testing.assert_frame_equal(res.matrix(), res.matrix("region", "market", "debtrank_loss"))
    pd.testing.assert_frame_equal(res.flow_matrix(), res.flow_matrix("border", "loss"))
    assert res.flow_matrix("market").loc["bank", "property"] == pytest.approx(40 - 400 / 45)
    assert res.with_lang("en").summary().splitlines()[1] == "shock: property -80%; FX depreciation 10%"
    rows = res.with_lang("en").summary().splitlines()[6:8]
    for row in rows:
        assert all(len(v.split(".")[1]) <= 4 for v in row.split()[3:] if "." in v)
    assert rows[1].split()[:3] == ["GD", "property", "domestic"]


def test_borrowers_owing_little_or_nothing():
    """B owes A 0.8 (its only debt) and holds 0.2: it pays 0.2, A loses 0.6. C borrowed 0 from A: its
    obligations are 0 and nothing is lost on that edge. D holds 0.5 and lends nothing: weight 0.5."""
    nodes = nodes_frame([["A", "bank", "SH", "bank", 5.0, 10.0, 0.0], ["B", "bank", "SH", "bank", 1.0, 0.2, 0.0],
                         ["C", "bank", "BJ", "bank", 1.0, 1.0, 0.0], ["D", "bank", "BJ", "bank", 1.0, 0.5, 0.0]])
    edges = edges_frame([["A", "B", 0.8, "interbank", "domestic"], ["A", "C", 0.0, "interbank", "domestic"]])
    res = run_multilayer(nodes, edges)
    e = res.edge_table
    assert list(e.columns) == ["lender", "borrower", "lender_region", "lender_market", "lender_border",
                               "borrower_region", "borrower_market", "borrower_border", "layer", "currency",
                               "exposure", "loss"]
    assert e["lender"].tolist() == ["A", "A"] and e["borrower"].tolist() == ["B", "C"]
    np.testing.assert_allclose(e["loss"], [0.6, 0.0])
    t = res.node_table.set_index("node")
    assert t.loc["A", "clearing_loss"] == pytest.approx(0.6) and t.loc["B", "defaulted"]
    np.testing.assert_allclose(res.debtrank_result.weights, np.array([10.8, 0.2, 1.0, 0.5]) / 12.5)
    assert sorted(res.provenance.input_hashes) == ["edges", "nodes"]
