import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.core.errors import DataError, InputError
from finstab.fund.financing import (
    annuity,
    assign_layers,
    layer_sizes,
    load_rules,
    lognormal_system_losses,
    plan_levies,
    simulate_reserve,
)
from finstab.fund.lognormal import var_fund_size
from finstab.samples import sample_path

CONTRIB = pd.DataFrame({"id": ["a", "b", "c", "d"], "base": [1e4, 2e4, 5e3, 8e3],
                        "in": [-0.01, -0.001, 0.001, 0.01], "dsib": [True, False, False, False]})


@given(st.floats(3, 40), st.integers(1, 15), st.floats(0.0, 0.06))
@settings(max_examples=50, deadline=None)
def test_levies_reach_target_with_income(yearly, years, y):
    # bases sum to 43,000: floors and caps allow 2.15 to 43 a year
    target = yearly * sum((1 + y) ** (years - t + 1) for t in range(1, years + 1))
    plan = plan_levies(CONTRIB, target, years, y)
    levy = plan.yearly_levy
    # closed form: levies at the start of each year, compounding at the bond yield
    assert sum(levy * (1 + y) ** (years - t + 1) for t in range(1, years + 1)) == pytest.approx(target)
    assert plan.reserve["closing"].iloc[-1] == pytest.approx(target)
    np.testing.assert_allclose(plan.reserve["opening"] + plan.reserve["levies"] + plan.reserve["income"],
                               plan.reserve["closing"])


def test_rates_rise_with_risk_and_respect_floor_and_cap():
    rules = load_rules()
    plan = plan_levies(CONTRIB.assign(dsib=False), 60, 5, 0.02, rules)
    first = plan.schedule[plan.schedule["year"] == 1].sort_values("risk")
    assert np.all(np.diff(first["rate"].to_numpy()) >= 0)
    assert first["rate"].between(rules.rates.floor, rules.rates.cap).all()
    big = plan_levies(CONTRIB, 42, 1, 0.0, rules)  # pushes rates into the cap
    assert big.schedule["rate"].max() <= rules.rates.cap + 1e-15
    with pytest.raises(InputError, match="floors and caps allow only"):
        plan_levies(CONTRIB, 1e9, 1, 0.0, rules)


def test_dsib_pays_more_at_equal_risk():
    c = CONTRIB.assign(**{"in": 0.0})
    first = plan_levies(c, 50, 5).schedule.query("year == 1").set_index("id")
    assert first.loc["a", "rate"] == pytest.approx(1.25 * first.loc["b", "rate"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"target": -1, "years": 5}, "positive amount"),
    ({"target": 10, "years": 0}, "whole number of years"),
])
def test_bad_plans(kwargs, message):
    with pytest.raises(InputError, match=message):
        plan_levies(CONTRIB, **kwargs)


def test_contributor_without_base():
    with pytest.raises(DataError, match="contributor 'b' has no positive assessment base"):
        plan_levies(CONTRIB.assign(base=[1.0, 0.0, 1.0, 1.0]), 10, 5)


def test_bridge_and_repayment_conserve_money():
    plan = plan_levies(CONTRIB, 100, 5, 0.025)
    losses = np.zeros((1, 12))
    losses[0, 2] = 300.0
    sim = simulate_reserve(plan, losses, relending_rate=0.03, repay_years=4)
    p = sim.path
    bridge = p["bridge"].sum()
    # the bridge is the shortfall the reserve could not cover
    assert bridge == pytest.approx(300.0 - p.loc[2, "opening"] - p.loc[2, "income"] - p.loc[2, "levies"])
    # repayments discounted at the relending rate equal the bridge; nothing is left owed
    t_bridge = int(np.argmax(p["bridge"].to_numpy() > 0))
    pv = sum(r / 1.03 ** (k - t_bridge) for k, r in enumerate(p["repayment"]) if k > t_bridge)
    assert pv == pytest.approx(bridge, rel=1e-10)
    assert p["debt"].iloc[-1] == pytest.approx(0.0, abs=1e-9)
    assert (p["repayment"] > 0).sum() == 4
    # every yuan accounted for: reserve change = levies + income - loss + bridge
    change = p["closing"].iloc[-1] - p["opening"].iloc[0]
    assert change == pytest.approx((p["levies"] + p["income"] - p["loss"] + p["bridge"]).sum())
    assert annuity(100, 0.0, 4) == 25


def test_losses_match_fund_sizing_var():
    losses = lognormal_system_losses(1000.0, 120.0, 0.05, 1, 400_000, seed=1)
    assert np.quantile(losses, 0.95) == pytest.approx(120.0, rel=0.02)
    # the draws are lognormal: sigma solved independently from the 5 % VaR fixes the 1 % quantile
    from scipy.optimize import brentq
    from scipy.stats import norm

    z1, z5 = norm.ppf(0.01), norm.ppf(0.05)
    sigma = brentq(lambda x: 1000 * (1 - np.exp(-x * x / 2 + x * z5)) - 120.0, 1e-6, 2)
    assert np.quantile(losses, 0.99) == pytest.approx(1000 * (1 - np.exp(-sigma**2 / 2 + sigma * z1)), rel=0.02)
    assert var_fund_size(1000.0, 0.0, 0.0) == pytest.approx(0.0, abs=1e-12)  # zero volatility, zero fund


def test_layers_add_up_and_overlaps_rejected():
    year = pd.DataFrame({"province": ["A", "A", "B", "B"], "sector": ["financial", "household"] * 2,
                         "fund": [10.0, 30.0, 20.0, 40.0]})
    layers, central = layer_sizes(year)
    assert central + layers["provincial_layer"].sum() == pytest.approx(100.0)
    assert central == pytest.approx(0.5 * 30)
    assert layers["central_pool_allocation"].sum() == pytest.approx(central)
    c = CONTRIB.assign(type=["rural", "city", "large", "rural"])
    np.testing.assert_array_equal(assign_layers(c), ["central", "provincial", "central", "provincial"])
    with pytest.raises(DataError, match="overlapping layer assignment"):
        assign_layers(c.assign(layer=["provincial", None, None, None]))


def test_cli_plan(tmp_path):
    res = CliRunner().invoke(app, ["fund", "plan", "--target", "600", "--years", "5", "--sims", "300",
                                   "--out", str(tmp_path), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "reserve" in res.output and "P(reserve exhausted)" in res.output
    assert (tmp_path / "results.xlsx").is_file() and (tmp_path / "levies.csv").is_file()
    res = CliRunner().invoke(app, ["fund", "plan", "--target", "-5", "--years", "5"])
    assert res.exit_code == 2 and "target" in res.output


def test_bad_rules_file(tmp_path):
    from finstab.core.errors import ConfigError

    bad = tmp_path / "rules.yaml"
    bad.write_text("rates:\n  kind: buckets\n  buckets: [{name_zh: a, name_en: a, upper: null, multiplier: 1}]\n"
                   "  floor: 0.01\n  cap: 0.001\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rules.yaml: invalid configuration:\n  rates: .*floor 0.01 exceeds cap"):
        load_rules(bad)


def test_provenance_names_the_inputs_actually_used():
    from finstab.pipelines import run_financing_plan

    default = run_financing_plan(target=600, years=5, n_sims=200)
    notes = " ".join(default.provenance.data_notes)
    assert "finstab.samples.banks" in notes and "finstab.samples.cca" in notes
    own = run_financing_plan(target=20, years=5, n_sims=200, contributors=CONTRIB)
    assert "finstab.samples.banks" not in " ".join(own.provenance.data_notes)
    assert own.provenance.data_hash != default.provenance.data_hash
    assert (own.contributors["layer"] == ["central", "provincial", "provincial", "provincial"]).all()


def test_plan_takes_target_and_fund_sizes_from_a_stored_sizing_run(tmp_path):
    store = str(tmp_path / "runs.duckdb")
    res = CliRunner().invoke(app, ["fund", "size", "--data", str(sample_path("cca")), "--mc", "4000",
                                   "--store", store])
    assert res.exit_code == 0, res.output
    rid = res.output.split("recorded run ")[1].split()[0]
    from finstab.store import Store

    sizing = Store(store).load(rid)
    system = sizing.monte_carlo.set_index("group").loc["system"]
    res = CliRunner().invoke(app, ["fund", "plan", "--from-run", rid, "--years", "5", "--sims", "200",
                                   "--store", store, "--lang", "en"])
    assert res.exit_code == 0, res.output
    plan = Store(store).load(res.output.split("recorded run ")[1].split()[0])
    assert plan.plan.target == pytest.approx(0.01 * system["var_fund"])  # default coverage x system VaR fund
    assert plan.provenance.input_hashes["fund_sizes"] == sizing.provenance.__class__.from_inputs(
        "x", inputs={"t": sizing.table}).input_hashes["t"]
    res = CliRunner().invoke(app, ["fund", "plan", "--from-run", "zzz",
                                   "--years", "5", "--store", store])
    assert res.exit_code == 2 and "no run" in res.output


def test_text_risk_value_is_a_clear_error():
    bad = pd.DataFrame({"id": ["a", "b"], "base": [100.0, 50.0], "dsib": [False, False], "in": ["oops", 0.1]})
    with pytest.raises(DataError, match="column in: oops is not a number"):
        plan_levies(bad, 10, 5)
