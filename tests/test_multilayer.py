"""Multi-layer cross-market, cross-border contagion worked by hand and against an independent
fixed point; dynamic snapshots, jump alerts and spillover indicators feeding KLR signals."""

import numpy as np
import pandas as pd
import pytest

from finstab.contagion import (
    dynamic_network,
    foreign_funding_shock,
    fx_shock,
    market_shock,
    multilayer_network,
    rolling_connectedness,
    run_multilayer,
    spillover_indicators,
)
from finstab.contagion.multilayer import apply_shocks
from finstab.core.errors import DataError, InputError
from finstab.early_warning import klr_signals
from finstab.samples.markets import CRISIS, exposure_snapshots, market_returns


def nodes_frame(rows):
    cols = ["node", "kind", "region", "market", "equity", "external_assets", "external_liabilities"]
    return pd.DataFrame(rows, columns=cols)


def edges_frame(rows):
    return pd.DataFrame(rows, columns=["lender", "borrower", "amount", "layer", "currency"])


def picard(L, e, ext, steps=50_000):
    """Independent greatest clearing vector: p <- min(p-bar, max(0, e + Pi' p)) from p-bar."""
    pbar = L.sum(axis=1) + ext
    pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    p = pbar.copy()
    for _ in range(steps):
        new = np.minimum(pbar, np.maximum(e + pi.T @ p, 0))
        if np.abs(new - p).max() < 1e-13:
            break
        p = new
    return p


def test_property_shock_by_hand():
    nodes = nodes_frame([["A", "bank", "GD", "bank", 10.0, 90.0, 120.0],
                         ["P", "market", "GD", "property", 5.0, 50.0, 5.0]])
    edges = edges_frame([["A", "P", 40.0, "property", "domestic"]])
    res = run_multilayer(nodes, edges, [market_shock("property", 0.8)])
    t = res.node_table.set_index("node")
    # P keeps 10 of assets for 45 of debts (pari passu): A receives 10 * 40 / 45 and then has
    # 90 + 8.889 < 120, so A defaults too; A's loss on P is 40 - 8.889
    assert t.loc["P", "payments"] == pytest.approx(10.0)
    assert t.loc["A", "payments"] == pytest.approx(90 + 400 / 45)
    assert t.loc["A", "clearing_loss"] == pytest.approx(40 - 400 / 45)
    assert t["defaulted"].tolist() == [True, True]
    # direct loss: P's book equity 50 - 45 = 5 becomes 10 - 45: a loss of 40 = 8x its equity -> h0 = 1
    assert t.loc["P", "direct_loss"] == pytest.approx(40.0) and t.loc["P", "h0"] == 1.0
    assert t.loc["A", "direct_loss"] == 0.0
    # DebtRank: A's impact from P is min(1, 40 / 10) = 1
    assert t.loc["A", "distress"] == 1.0 and t.loc["A", "debtrank_loss"] == pytest.approx(10.0)
    g = res.groups().set_index(["region", "market", "border"])
    assert g.loc[("GD", "bank", "domestic"), "clearing_loss"] == pytest.approx(40 - 400 / 45)
    assert res.flow_matrix("market", "loss").loc["bank", "property"] == pytest.approx(40 - 400 / 45)


def test_fx_depreciation_on_fx_liabilities_by_hand():
    nodes = nodes_frame([["A", "bank", "SH", "bank", 10.0, 110.0, 0.0],
                         ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0]])
    edges = edges_frame([["F", "A", 100.0, "cross_border", "fx"]])
    res = run_multilayer(nodes, edges, [fx_shock(0.2)])
    t = res.node_table.set_index("node")
    # the FX debt is worth 120 in domestic currency: A's book equity 10 -> -10, F gains 20
    assert t.loc["A", "direct_loss"] == pytest.approx(20.0) and t.loc["F", "direct_loss"] == pytest.approx(-20.0)
    assert t.loc["A", "payments"] == pytest.approx(110.0) and t.loc["A", "defaulted"]
    assert t.loc["F", "clearing_loss"] == pytest.approx(10.0)
    assert t.loc["A", "h0"] == 1.0 and t.loc["F", "h0"] == 0.0
    border = res.flow_matrix("border", "loss")
    assert border.loc["foreign", "domestic"] == pytest.approx(10.0)
    assert res.layers().set_index("layer").loc["cross_border", "exposure"] == pytest.approx(120.0)


def test_foreign_funding_withdrawal_by_hand():
    nodes = nodes_frame([["A", "bank", "SH", "bank", 30.0, 150.0, 20.0],
                         ["B", "bank", "BJ", "bank", 5.0, 30.0, 0.0],
                         ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0],
                         ["G", "foreign", "US", "bond", 50.0, 100.0, 0.0]])
    edges = edges_frame([["F", "A", 100.0, "cross_border", "domestic"],
                         ["F", "B", 100.0, "cross_border", "domestic"],
                         ["G", "A", 10.0, "cross_border", "domestic"]])
    net = multilayer_network(nodes, edges)
    s = apply_shocks(net, [foreign_funding_shock(0.5, discount=0.2, region="HK")])
    # A repays 50 to F by selling 50 / 0.8 = 62.5 of assets: loss 12.5; G (US) keeps its claim.
    # B owes 50 but can raise only 0.8 * 30 = 24: it sells everything, 76 stays owed, loss 6
    np.testing.assert_allclose(s.amounts, [50.0, 76.0, 10.0])
    np.testing.assert_allclose(s.external_assets, [87.5, 0.0, 174.0, 100.0])
    np.testing.assert_allclose(s.direct_loss, [12.5, 6.0, 0.0, 0.0], atol=1e-12)
    everyone = apply_shocks(net, [foreign_funding_shock(0.5, discount=0.2)])
    assert everyone.amounts[2] == pytest.approx(5.0)


def test_clearing_on_the_whole_network_matches_an_independent_fixed_point():
    rng = np.random.default_rng(11)
    kinds = ["bank"] * 12 + ["market"] * 6 + ["foreign"] * 2
    markets = ["bank"] * 12 + ["property", "lgfv", "bond", "equity", "shadow_credit", "fx"] + ["bank", "bond"]
    regions = [*rng.choice(["GD", "SH", "GZ"], 12).tolist(), "GD", "GZ", "CN", "CN", "CN", "CN", "HK", "US"]
    n = len(kinds)
    names = [f"n{i}" for i in range(n)]
    rows, L = [], np.zeros((n, n))
    layers = {"bank": "interbank", "market": "market", "foreign": "cross_border"}
    for i in range(n):
        for j in range(n):
            if i != j and rng.random() < 0.25:
                amount = float(rng.exponential(10))
                rows.append([names[j], names[i], amount, layers[kinds[i]], "domestic"])  # j lends to i
                L[i, j] += amount
    e = rng.exponential(15, n)
    ext = rng.exponential(8, n)
    nodes = nodes_frame([[names[i], kinds[i], regions[i], markets[i], 5.0, e[i], ext[i]] for i in range(n)])
    res = run_multilayer(nodes, edges_frame(rows), [market_shock("property", 0.5), market_shock("lgfv", 0.3)])
    e_shocked = e.copy()
    e_shocked[12] *= 0.5
    e_shocked[13] *= 0.7
    np.testing.assert_allclose(res.node_table["payments"], picard(L, e_shocked, ext), atol=1e-8)
    # aggregation identities: groups, matrices and flows add up to the node and edge totals
    nt = res.node_table
    g = res.groups()
    for col in ("debtrank_loss", "clearing_loss", "shortfall", "direct_loss"):
        assert g[col].sum() == pytest.approx(nt[col].sum())
    assert res.matrix("region", "market").to_numpy().sum() == pytest.approx(nt["debtrank_loss"].sum())
    assert res.flows["exposure"].sum() == pytest.approx(L.sum())
    assert res.flow_matrix("border", "exposure").to_numpy().sum() == pytest.approx(L.sum())
    assert res.flows["loss"].sum() == pytest.approx(nt["clearing_loss"].sum())
    assert np.all(nt["distress"] >= nt["h0"] - 1e-12)
    assert res.kind == "multilayer" and str(res) == res.summary()
    assert list(res.tables()) == ["groups", "nodes", "flows", "region_market", "border", "layers"]
    calm = run_multilayer(nodes, edges_frame(rows))
    assert calm.node_table["distress"].max() == 0.0 and calm.node_table["direct_loss"].abs().max() < 1e-9


def test_network_validation_names_the_row():
    nodes = nodes_frame([["A", "bank", "SH", "bank", 10.0, 110.0, 0.0],
                         ["F", "foreign", "HK", "bank", 50.0, 100.0, 0.0]])
    ok = edges_frame([["F", "A", 100.0, "cross_border", "fx"]])
    with pytest.raises(DataError, match="kind 'broker'"):
        multilayer_network(nodes.assign(kind=["bank", "broker"]), ok)
    with pytest.raises(DataError, match="lends to itself"):
        multilayer_network(nodes, edges_frame([["A", "A", 1.0, "interbank", "domestic"]]))
    with pytest.raises(DataError, match="not in the node table"):
        multilayer_network(nodes, edges_frame([["X", "A", 1.0, "interbank", "domestic"]]))
    with pytest.raises(DataError, match="amount"):
        multilayer_network(nodes, edges_frame([["F", "A", -1.0, "interbank", "domestic"]]))
    with pytest.raises(DataError, match="currency 'usd'"):
        multilayer_network(nodes, edges_frame([["F", "A", 1.0, "interbank", "usd"]]))
    with pytest.raises(DataError, match="equity"):
        multilayer_network(nodes.assign(equity=[0.0, 1.0]), ok)
    with pytest.raises(DataError, match="missing column"):
        multilayer_network(nodes.drop(columns="region"), ok)
    with pytest.raises(InputError, match="no market node"):
        run_multilayer(nodes, ok, [market_shock("property", 0.1)])
    with pytest.raises(InputError, match="loss"):
        market_shock("property", 1.5)
    with pytest.raises(InputError, match="discount"):
        foreign_funding_shock(0.5, discount=1.0)


def test_sample_snapshot_scenarios(tmp_path):
    nodes, edges = exposure_snapshots()
    q = nodes["quarter"] == "2023Q4"
    n4, e4 = nodes[q].drop(columns="quarter"), edges[edges["quarter"] == "2023Q4"].drop(columns="quarter")
    assert {"bond", "equity", "fx", "property", "shadow_credit", "lgfv"} <= set(n4["market"])
    assert (nodes["source"].str.contains("synthetic")).all() and (edges["source"].str.contains("synthetic")).all()
    res = run_multilayer(n4, e4, [foreign_funding_shock(0.5, 0.2), fx_shock(0.2)])
    assert res.provenance.synthetic
    written = {p.name for p in res.write(tmp_path / "ml")}
    assert {"groups.csv", "region_market.csv", "border.csv", "results.xlsx"} <= written
    # a foreign shock hurts domestic nodes that borrow abroad; foreign lenders gain on FX claims
    t = res.node_table
    assert t.loc[t["border"] == "domestic", "direct_loss"].sum() > 0
    assert t.loc[t["node"] == "foreign:HK_banks", "direct_loss"].iloc[0] < 0


def test_dynamic_alerts_on_a_jump():
    def snap(quarter, loan):
        n = nodes_frame([["A", "bank", "SH", "bank", 20.0, 100.0, 60.0], ["B", "bank", "BJ", "bank", 10.0, 100.0, 80.0],
                         ["P", "market", "SH", "property", 10.0, 60.0, 0.0]]).assign(quarter=quarter)
        e = edges_frame([["A", "P", loan, "property", "domestic"], ["B", "A", 5.0, "interbank", "domestic"]])
        return n, e.assign(quarter=quarter)

    parts = [snap("2023Q1", 10.0), snap("2023Q2", 10.0), snap("2023Q3", 40.0)]
    nodes = pd.concat([p[0] for p in parts], ignore_index=True)
    edges = pd.concat([p[1] for p in parts], ignore_index=True)
    res = dynamic_network(nodes, edges, [market_shock("property", 0.3)])
    assert res.kind == "dynamic_network" and len(res.systemic) == 3
    impact = res.trajectory("P", "impact")
    assert impact["2023Q2"] == pytest.approx(impact["2023Q1"]) and impact["2023Q3"] > 1.5 * impact["2023Q2"]
    alerts = res.alerts
    assert not (alerts["period"] == "2023Q2").any()
    hit = alerts[(alerts["node"] == "P") & (alerts["measure"] == "impact")]
    assert hit["period"].tolist() == ["2023Q3"]
    assert res.systemic["total_exposure"].tolist() == [15.0, 15.0, 45.0]
    with pytest.raises(InputError, match="node"):
        res.trajectory("Z")
    with pytest.raises(DataError, match="no nodes"):
        dynamic_network(nodes, edges.assign(quarter="2030Q1"))


def test_sample_dynamics_flag_the_lgfv_build_up():
    nodes, edges = exposure_snapshots()
    res = dynamic_network(nodes, edges, [market_shock("property", 0.1)])
    assert res.systemic["period"].tolist() == sorted(nodes["quarter"].unique())
    lgfv = res.alerts[(res.alerts["node"] == "lgfv:GZ")]
    assert "2022Q3" in set(lgfv["period"])  # the synthetic GZ LGFV borrowing jump
    # developers' equity thins out, so a 10 % property fall defaults them only late in the sample
    defaults = res.systemic.set_index("period")["defaults"]
    assert defaults.iloc[0] == 0 and defaults.iloc[-1] > 0
    assert ((res.alerts["node"] == "system") & (res.alerts["measure"] == "defaults")).any()


def test_spillover_indicators_feed_klr_signals():
    roll = rolling_connectedness(market_returns(), window=200, lags=1, horizon=10)
    ind = spillover_indicators(roll, freq="QE")
    assert list(ind.columns[:3]) == ["entity", "period", "tci"] and ind["period"].is_unique
    assert all(c.startswith("net:") for c in ind.columns[3:])
    r = market_returns()
    start, end = r.index[CRISIS[0]], r.index[min(CRISIS[1] + 150, len(r) - 1)]
    q_start, q_end = pd.Period(start, "Q"), pd.Period(end, "Q")
    stressed = [q_start < pd.Period(p, "Q") <= q_end for p in ind["period"]]
    labels = pd.Series(np.where(stressed, 1.0, 0.0), index=ind.index)
    sig = klr_signals(ind, labels, ["tci", "net:property"]).table.set_index("indicator")
    # the total connectedness index separates stressed quarters from calm ones
    assert sig.loc["tci", "hit_rate"] >= 0.75 and sig.loc["tci", "false_alarm_rate"] <= 0.1
    nodes, edges = exposure_snapshots()
    dyn = dynamic_network(nodes, edges)
    merged = dyn.indicators(ind)
    assert merged["tci"].notna().all() and list(merged.columns[:2]) == ["entity", "period"]
    with pytest.raises(InputError, match="how"):
        spillover_indicators(roll, how="median")


def test_cli_runs_the_layered_network_and_records_it(tmp_path):
    from typer.testing import CliRunner

    from finstab.cli.main import app
    from finstab.pipelines.contagion import run_layered_contagion
    from finstab.samples import sample_path
    from finstab.store import Store

    store = str(tmp_path / "runs.duckdb")
    args = ["contagion", "--layers", "--market-shock", "property:0.3", "--fx", "0.1", "--store", store]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    expected = run_layered_contagion(sample_path("markets/nodes.csv"), sample_path("markets/edges.csv"),
                                     market_shocks={"property": 0.3}, fx=0.1)
    stored = Store(store).load(Store(store).runs()["id"].iloc[0])
    for name, table in expected.tables().items():
        pd.testing.assert_frame_equal(stored.tables()[name].reset_index(drop=True), table.reset_index(drop=True),
                                      check_dtype=False)
    bad = CliRunner().invoke(app, ["contagion", "--layers", "--market-shock", "property", "--no-store"])
    assert bad.exit_code == 2 and "MARKET:LOSS" in bad.output
