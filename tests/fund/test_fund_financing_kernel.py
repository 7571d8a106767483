"""finstab.fund.financing: levies against closed forms, reserve paths by hand, annuities by present
value, loss draws against the closed-form volatility, layers by plain sums, exact messages.

Rules with binary-exact floors and caps (0.25, 1, ...) are used where a test needs exact equality.
"""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy.special import ndtri

from finstab.core.errors import ConfigError, DataError, InputError
from finstab.core.provenance import Provenance
from finstab.fund.financing import (
    Bucket,
    FinancingPlan,
    FinancingRules,
    LayerRule,
    LevyPlan,
    RateRule,
    annuity,
    assign_layers,
    layer_sizes,
    load_rules,
    lognormal_system_losses,
    plan_levies,
    simulate_reserve,
)

CONTRIB = pd.DataFrame({"id": ["a", "b", "c", "d"], "base": [1e4, 2e4, 5e3, 8e3],
                        "in": [-0.01, -0.001, 0.001, 0.01], "dsib": [True, False, False, False]})


def message(excinfo) -> str:
    return str(excinfo.value)


def buckets(*pairs) -> list[Bucket]:
    return [Bucket(name_zh=f"档{i}", name_en=f"b{i}", upper=u, multiplier=m) for i, (u, m) in enumerate(pairs)]


def rules(**rates) -> FinancingRules:
    base = dict(kind="buckets", buckets=buckets((0.0, 1.0), (None, 2.0)), dsib_multiplier=1.5, floor=0.0, cap=1.0)
    return FinancingRules(rates=RateRule(**{**base, **rates}), layers=LayerRule(
        central={"dsib": True, "types": ["large"]}, central_share_by_sector={"financial": 0.5, "household": 0.0}))


def growth(years: int, y: float) -> float:
    """Value after ``years`` of one unit levied at the start of each year at yield y."""
    return sum((1 + y) ** k for k in range(1, years + 1))


# ---------------------------------------------------------------- rate rules


def test_bucket_multipliers_with_inclusive_upper_bounds():
    rule = load_rules().rates
    risk = np.array([-0.01, -0.002, -0.0019, 0.0, 0.001, 0.002, 0.0021, 0.5])
    m, idx = rule.multipliers(risk, np.zeros(risk.size, dtype=bool))
    assert idx.tolist() == [0, 0, 1, 1, 2, 2, 3, 3] and idx.dtype.kind == "i"
    assert m.tolist() == [0.8, 0.8, 1.0, 1.0, 1.5, 1.5, 2.0, 2.0]
    m, idx = rule.multipliers(risk[:2], np.array([True, False]))
    assert m.tolist() == [0.8 * 1.25, 0.8] and idx.tolist() == [0, 0]


def test_continuous_multipliers():
    rule = RateRule(kind="continuous", slope=2.0, scale=0.5, dsib_multiplier=3.0, floor=0.0, cap=1.0)
    m, idx = rule.multipliers(np.array([-1.0, 0.0, 0.25, 1.0]), np.array([False, False, True, False]))
    assert m.tolist() == [1.0, 1.0, 2.0 * 3.0, 5.0] and idx.tolist() == [0, 0, 0, 0] and idx.dtype.kind == "i"
    default = RateRule(kind="continuous")
    assert (default.slope, default.scale, default.floor, default.cap, default.dsib_multiplier) == (1.0, 1.0, 0.0,
                                                                                                  1.0, 1.0)
    assert default.multipliers(np.array([0.5]), np.array([False]))[0].tolist() == [1.5]


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"floor": 0.5, "cap": 0.25}, "floor 0.5 exceeds cap 0.25"),
    ({"buckets": []}, "buckets need at least one entry and an open last bucket (upper: null)"),
    ({"buckets": buckets((0.0, 1.0), (1.0, 2.0))},
     "buckets need at least one entry and an open last bucket (upper: null)"),
    ({"buckets": buckets((0.0, 1.0), (None, 1.5), (None, 2.0))}, "bucket upper bounds must be ascending"),
    ({"buckets": buckets((0.5, 1.0), (0.1, 1.5), (None, 2.0))}, "bucket upper bounds must be ascending"),
    ({"buckets": buckets((0.0, 2.0), (None, 1.0))}, "bucket multipliers must not fall as risk rises"),
])
def test_rate_rules_refused(kwargs, text):
    args = {"kind": "buckets", "buckets": buckets((0.0, 1.0), (None, 2.0)), **kwargs}
    with pytest.raises(ValidationError) as exc:
        RateRule(**args)
    assert text in message(exc)


def test_rate_rules_accepted_at_the_edges():
    RateRule(kind="buckets", buckets=buckets((None, 1.0)), floor=0.5, cap=0.5)  # floor = cap
    RateRule(kind="buckets", buckets=buckets((0.0, 1.0), (0.0, 1.0), (None, 1.0)))  # ties are ascending
    RateRule(kind="continuous", buckets=[])  # continuous rules need no buckets
    with pytest.raises(ValidationError) as exc:
        RateRule(kind="continuous", floor=2.0)
    assert "floor 2.0 exceeds cap 1.0" in message(exc)


def test_layer_shares_must_be_shares():
    LayerRule(central_share_by_sector={"a": 0.0, "b": 1.0})
    with pytest.raises(ValidationError) as exc:
        LayerRule(central_share_by_sector={"a": 0.5, "b": 1.5, "c": -0.1})
    assert "central shares must lie in [0, 1]: {'b': 1.5, 'c': -0.1}" in message(exc)


# ---------------------------------------------------------------- levies


def test_base_rate_in_closed_form_without_binding_limits():
    r = rules()
    plan = plan_levies(CONTRIB, 1_000.0, 4, 0.03, r)
    need = 1_000.0 / growth(4, 0.03)
    mult = np.array([1.0 * 1.5, 1.0, 2.0, 2.0])  # buckets by IN, a is a D-SIB
    assert plan.base_rate == pytest.approx(need / (mult * CONTRIB["base"]).sum(), rel=1e-12)
    assert plan.yearly_levy == pytest.approx(need, rel=1e-12)
    one = plan.schedule[plan.schedule["year"] == 1]
    assert one["rate"].tolist() == pytest.approx((plan.base_rate * mult).tolist(), rel=1e-15)
    assert one["multiplier"].tolist() == mult.tolist()
    assert one["bucket"].tolist() == ["b0", "b0", "b1", "b1"]
    assert one["levy"].tolist() == pytest.approx((one["rate"] * CONTRIB["base"]).tolist(), rel=1e-15)
    assert (plan.target, plan.years, plan.bond_yield) == (1_000.0, 4, 0.03)


def test_base_rate_with_a_binding_floor_and_cap():
    # floor 0.25 binds for b (multiplier 1), cap 1 binds for c and d (multiplier 4)
    r = rules(buckets=buckets((0.0, 1.0), (None, 4.0)), dsib_multiplier=2.0, floor=0.25, cap=1.0)
    contrib = pd.DataFrame({"id": ["a", "b", "c", "d"], "base": [1.0, 2.0, 4.0, 8.0], "in": [-1.0, -1.0, 1.0, 1.0],
                            "dsib": [True, False, False, False]})
    plan = plan_levies(contrib, 13.0, 1, 0.0, r)  # one year, no yield: levies = 13
    # 13 = 2 x r x 1 (a) + 0.25 x 2 (b at the floor) + 1 x 12 (c, d at the cap)
    assert plan.base_rate == pytest.approx(0.25, rel=1e-12)
    assert plan.schedule["rate"].tolist() == pytest.approx([0.5, 0.25, 1.0, 1.0], rel=1e-12)
    assert plan.yearly_levy == pytest.approx(13.0, rel=1e-14)


def test_targets_at_the_floor_and_at_the_cap():
    r = rules(buckets=buckets((0.0, 0.5), (None, 2.0)), floor=0.25, cap=1.0)
    contrib = pd.DataFrame({"id": ["a", "b", "c"], "base": [1.0, 2.0, 4.0], "in": [-1.0, -1.0, 1.0]})
    low = plan_levies(contrib, 1.75, 1, 0.0, r)  # everybody at the floor: 0.25 x 7
    assert low.base_rate == 0.0 and low.schedule["rate"].tolist() == [0.25, 0.25, 0.25]
    high = plan_levies(contrib, 7.0, 1, 0.0, r)  # everybody at the cap
    # the base rate at which the lowest multiplier (0.5) reaches the cap
    assert high.base_rate == 2.0 and high.schedule["rate"].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(InputError) as exc:
        plan_levies(contrib, 7.5, 1, 0.0, r)
    assert message(exc) == ("target: target needs yearly levies of 7.5, but floors and caps allow only 1.75 to 7; "
                            "change the target, years or caps")
    with pytest.raises(InputError) as exc:
        plan_levies(contrib, 1.5, 1, 0.0, r)
    assert "target needs yearly levies of 1.5, but floors and caps allow only 1.75 to 7" in message(exc)
    with pytest.raises(InputError) as exc:
        plan_levies(contrib, 12_345.0, 1, 0.0, r)
    assert "yearly levies of 1.234e+04" in message(exc)


def test_schedule_repeats_every_year_and_reserve_path_by_hand():
    plan = plan_levies(CONTRIB, 100.0, 3, 0.05, rules())
    assert len(plan.schedule) == 12 and plan.schedule["year"].tolist() == [1] * 4 + [2] * 4 + [3] * 4
    assert plan.schedule.index.tolist() == list(range(12))
    assert list(plan.schedule.columns) == ["id", "base", "dsib", "risk", "bucket", "multiplier", "rate", "levy",
                                           "year"]
    assert plan.schedule["risk"].tolist() == CONTRIB["in"].tolist() * 3
    levy = plan.yearly_levy
    rows = plan.reserve
    assert list(rows.columns) == ["year", "opening", "levies", "income", "closing"]
    assert rows["year"].tolist() == [1, 2, 3]
    r1 = levy * 1.05
    r2 = (r1 + levy) * 1.05
    assert rows["opening"].tolist() == pytest.approx([0.0, r1, r2], rel=1e-14)
    assert rows["income"].tolist() == pytest.approx([levy * 0.05, (r1 + levy) * 0.05, (r2 + levy) * 0.05], rel=1e-14)
    assert rows["closing"].iloc[-1] == pytest.approx(100.0, rel=1e-12)
    assert rows["levies"].tolist() == [levy] * 3


def test_by_bucket_and_summary():
    plan = plan_levies(CONTRIB, 100.0, 3, 0.05, rules())
    table = plan.by_bucket()
    assert list(table.columns) == ["bucket", "banks", "rate_min", "rate_max", "levy"]
    assert table["bucket"].tolist() == ["b0", "b1"] and table["banks"].tolist() == [2, 2]
    assert table["rate_min"].iloc[0] == pytest.approx(plan.base_rate, rel=1e-15)
    assert table["rate_max"].iloc[0] == pytest.approx(1.5 * plan.base_rate, rel=1e-15)
    one = plan.schedule[plan.schedule["year"] == 1]
    assert table["levy"].tolist() == pytest.approx([one["levy"].iloc[:2].sum(), one["levy"].iloc[2:].sum()])
    assert plan.by_bucket(3)["levy"].tolist() == table["levy"].tolist()
    assert plan.by_bucket(4).empty
    single = plan_levies(CONTRIB, 10.0, 1, 0.0, rules())  # one year only: the default year is the first
    assert single.by_bucket()["banks"].tolist() == [2, 2]
    end = plan.reserve["closing"].iloc[-1]
    assert plan.summary() == (f"target 100.00 in 3 years at 5.00% yield: base rate {plan.base_rate:.6f}, yearly "
                              f"levies {plan.yearly_levy:,.2f}, closing reserve {end:,.2f}")


def test_continuous_rule_names_its_bucket():
    r = rules(kind="continuous", buckets=[], slope=1.0, scale=0.01, dsib_multiplier=1.0)
    plan = plan_levies(CONTRIB, 50.0, 2, 0.0, r)
    one = plan.schedule[plan.schedule["year"] == 1]
    assert one["bucket"].tolist() == ["continuous"] * 4
    assert one["multiplier"].tolist() == pytest.approx([1.0, 1.0, 1.1, 2.0], rel=1e-14)
    assert plan.base_rate == pytest.approx(25.0 / (1e4 + 2e4 + 1.1 * 5e3 + 2.0 * 8e3), rel=1e-12)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"target": 0.0}, "target: target = 0.0; expected a positive amount"),
    ({"target": np.inf}, "target: target = inf; expected a positive amount"),
    ({"target": np.nan}, "target: target = nan; expected a positive amount"),
    ({"years": 0}, "years: years = 0; expected a whole number of years >= 1"),
    ({"years": 2.5}, "years: years = 2.5; expected a whole number of years >= 1"),
    ({"bond_yield": 1.0}, "bond_yield: bond yield 1.0 is implausible"),
    ({"bond_yield": -0.5}, "bond_yield: bond yield -0.5 is implausible"),
])
def test_bad_plans_exact_messages(kwargs, text):
    args = {"target": 50.0, "years": 3, "bond_yield": 0.02, **kwargs}
    with pytest.raises(InputError) as exc:
        plan_levies(CONTRIB, args["target"], args["years"], args["bond_yield"], rules())
    assert message(exc) == text


def test_plausible_yields_at_the_edges():
    for y in (-0.49, 0.0, 0.99):
        plan = plan_levies(CONTRIB, 50.0, 2, y, rules())
        assert plan.reserve["closing"].iloc[-1] == pytest.approx(50.0, rel=1e-12)


def test_contributor_checks():
    with pytest.raises(DataError) as exc:
        plan_levies(CONTRIB.drop(columns=["base", "in"]), 10.0, 1, 0.0, rules())
    assert message(exc) == "contributors: contributors need columns ['base', 'in']"
    with pytest.raises(DataError) as exc:
        plan_levies(CONTRIB.assign(id=["a", "b", "a", "c"]), 10.0, 1, 0.0, rules())
    assert message(exc) == "contributors: contributor 'a' listed twice"
    with pytest.raises(DataError) as exc:
        plan_levies(CONTRIB.assign(base=[1.0, 0.0, -1.0, 1.0]), 10.0, 1, 0.0, rules())
    assert message(exc) == "contributors.base: contributor 'b' has no positive assessment base"
    with pytest.raises(DataError) as exc:
        plan_levies(CONTRIB.assign(base=["1", "x", "2", "3"]), 10.0, 1, 0.0, rules())
    assert message(exc) == "contributors.base: contributor 'b' has no positive assessment base"
    with pytest.raises(DataError) as exc:
        plan_levies(CONTRIB.assign(**{"in": [0.1, None, np.nan, 0.2]}), 10.0, 1, 0.0, rules())
    assert message(exc) == "contributors.in: contributor b has no in value"
    # numbers as ids and bases as text are fine; without a dsib column nobody is a D-SIB
    with pytest.raises(DataError) as exc:
        plan_levies(CONTRIB.assign(**{"in": [0.1, "oops", 0.0, 0.2]}), 10.0, 1, 0.0, rules())
    assert message(exc) == "contributors row 2: column in: oops is not a number"
    flags = plan_levies(CONTRIB.assign(dsib=[1, 0, 0, 0]), 10.0, 1, 0.0, rules()).schedule["dsib"]
    assert flags.dtype == bool and flags.tolist() == [True, False, False, False]
    assert plan_levies(CONTRIB, 0.5, 1, 0.0, rules()).yearly_levy == pytest.approx(0.5)  # below one unit is fine
    plain = pd.DataFrame({"id": [1, 2], "base": ["4", "4"], "in": [-1.0, 1.0]})
    plan = plan_levies(plain, 6.0, 1, 0.0, rules())
    one = plan.schedule
    assert one["id"].tolist() == ["1", "2"] and one["dsib"].tolist() == [False, False]
    assert one["base"].tolist() == [4.0, 4.0] and one["multiplier"].tolist() == [1.0, 2.0]
    assert plan.base_rate == pytest.approx(0.5, rel=1e-12)


def test_other_risk_measure():
    r = rules(risk_measure="score")
    contrib = pd.DataFrame({"id": ["a", "b"], "base": [1.0, 1.0], "score": [-1.0, 1.0]})
    plan = plan_levies(contrib, 1.5, 1, 0.0, r)
    assert plan.schedule["multiplier"].tolist() == [1.0, 2.0] and plan.base_rate == pytest.approx(0.5)
    with pytest.raises(DataError) as exc:
        plan_levies(CONTRIB, 3.0, 1, 0.0, r)
    assert message(exc) == "contributors: contributors need columns ['score']"


# ---------------------------------------------------------------- annuities and reserve scenarios


@pytest.mark.parametrize(("rate", "n"), [(0.05, 4), (0.0225, 5), (0.1, 1), (-0.02, 3)])
def test_annuity_repays_the_amount_in_present_value(rate, n):
    pay = annuity(1_000.0, rate, n)
    assert sum(pay / (1 + rate) ** k for k in range(1, n + 1)) == pytest.approx(1_000.0, rel=1e-12)
    np.testing.assert_allclose(annuity(np.array([1_000.0, 10.0]), rate, n), [pay, pay / 100], rtol=1e-14)


def test_annuity_without_interest():
    assert annuity(90.0, 0.0, 4) == 22.5
    assert annuity(10.0, 0.0, 1) == 10.0


def test_reserve_by_hand_over_three_years():
    plan = plan_levies(CONTRIB, 100.0, 5, 0.0, rules())  # no yield: yearly levy 20
    levy = plan.yearly_levy
    assert levy == pytest.approx(20.0, rel=1e-12)
    losses = np.array([[0.0, 130.0, 10.0], [40.0, 0.0, 0.0]])
    sim = simulate_reserve(plan, losses, relending_rate=0.04, repay_years=2)
    pay = 30.0 * 0.04 / (1 - 1.04**-2)  # the 30 bridged in year 2, repaid over 2 years at 4 %
    # scenario 1: 100 -> 100 -> bridge 30 (reserve 0) -> levy 20, loss 10: 10; debt 30 x 1.04 - pay
    # scenario 2: 60 -> levy 20: 80 -> levy 20: 100
    p = sim.path
    assert list(p.columns) == ["year", "opening", "levies", "surcharge", "income", "loss", "bridge", "repayment",
                               "debt", "closing"]
    assert p["opening"].tolist() == pytest.approx([100.0, 80.0, 40.0])
    assert p["levies"].tolist() == pytest.approx([0.0, 10.0, 20.0])
    assert p["loss"].tolist() == pytest.approx([20.0, 65.0, 5.0])
    assert p["bridge"].tolist() == pytest.approx([0.0, 15.0, 0.0])
    assert p["surcharge"].tolist() == pytest.approx([0.0, 0.0, pay / 2])
    assert p["repayment"].tolist() == pytest.approx([0.0, 0.0, pay / 2])
    assert p["debt"].tolist() == pytest.approx([0.0, 15.0, (30.0 * 1.04 - pay) / 2])
    assert p["closing"].tolist() == pytest.approx([80.0, 40.0, 55.0])
    assert p["income"].tolist() == [0.0, 0.0, 0.0] and p["year"].tolist() == [1, 2, 3]
    assert sim.summary_stats == {"p_exhausted": 0.5, "max_bridge": pytest.approx(30.0),
                                 "mean_final_debt": pytest.approx((30.0 * 1.04 - pay) / 2), "scenarios": 2}


def test_reserve_earns_the_yield_and_is_topped_up_only_to_the_target():
    plan = plan_levies(CONTRIB, 100.0, 2, 0.1, rules())
    levy = plan.yearly_levy
    sim = simulate_reserve(plan, np.array([[5.0, 0.0, 0.0]]), start_reserve=90.0)
    p = sim.path
    # year 1: 90 + min(levy, 10) earns 10 %, then loses 5
    top1 = min(levy, 10.0)
    r1 = (90.0 + top1) * 1.1 - 5.0
    top2 = min(levy, max(100.0 - r1, 0.0))
    r2 = (r1 + top2) * 1.1
    assert p["levies"].tolist() == pytest.approx([top1, top2, 0.0])
    assert p["income"].tolist() == pytest.approx([(90 + top1) * 0.1, (r1 + top2) * 0.1, r2 * 0.1])
    assert p["closing"].tolist() == pytest.approx([r1, r2, r2 * 1.1])
    assert sim.summary_stats["p_exhausted"] == 0.0 and sim.summary_stats["max_bridge"] == 0.0


def test_a_second_bridge_restarts_the_repayment():
    plan = plan_levies(CONTRIB, 10.0, 1, 0.0, rules())  # levy 10
    sim = simulate_reserve(plan, np.array([[30.0, 0.0, 25.0, 0.0, 0.0, 0.0]]), relending_rate=0.0, repay_years=3)
    p = sim.path
    # year 1: 10 - 30, bridge 20 repaid at 20/3 a year; year 2: levy 10 refills the reserve; year 3: at the
    # target, no levy, 10 - 25: bridge 15 on top of the 20/3 still owed, a new plan of (20/3 + 15) / 3
    assert p["bridge"].tolist() == pytest.approx([20.0, 0.0, 15.0, 0.0, 0.0, 0.0])
    assert p["levies"].tolist() == pytest.approx([0.0, 10.0, 0.0, 10.0, 0.0, 0.0])
    assert p["repayment"].tolist() == pytest.approx([0.0, 20 / 3, 20 / 3, (20 / 3 + 15) / 3, (20 / 3 + 15) / 3,
                                                     (20 / 3 + 15) / 3])
    assert p["debt"].iloc[-1] == pytest.approx(0.0, abs=1e-12)
    assert sim.summary_stats["max_bridge"] == pytest.approx(20.0)


def test_reserve_checks():
    plan = plan_levies(CONTRIB, 10.0, 1, 0.0, rules())
    for bad in (np.array([[1.0, -0.1]]), np.array([[np.nan]]), np.array([[np.inf]])):
        with pytest.raises(InputError) as exc:
            simulate_reserve(plan, bad)
        assert message(exc) == "losses: losses must be finite and non-negative"
    with pytest.raises(InputError) as exc:
        simulate_reserve(plan, np.zeros((1, 2)), repay_years=0)
    assert message(exc) == "repay_years: repay_years must be >= 1"
    one = simulate_reserve(plan, np.array([3.0, 0.0]), repay_years=1)  # one scenario as a 1-d row
    assert one.summary_stats["scenarios"] == 1 and len(one.path) == 2


def test_default_relending_terms():
    plan = plan_levies(CONTRIB, 10.0, 1, 0.0, rules())
    sim = simulate_reserve(plan, np.array([[20.0] + [0.0] * 6]))
    pay = 10.0 * 0.0225 / (1 - 1.0225**-5)
    assert sim.path["repayment"].tolist() == pytest.approx([0.0] + [pay] * 5 + [0.0])


# ---------------------------------------------------------------- loss scenarios


@pytest.mark.parametrize(("expected", "var_fund", "alpha", "coverage", "seed"), [
    (1_000.0, 120.0, 0.05, 1.0, 0), (500.0, 300.0, 0.01, 0.25, 9)])
def test_losses_against_the_closed_form_volatility(expected, var_fund, alpha, coverage, seed):
    # E (1 - exp(-s^2/2 + s z)) = VaR  <=>  s^2 - 2 z s + 2 ln(1 - VaR/E) = 0: the positive root
    z = ndtri(alpha)
    s = z + np.sqrt(z * z - 2 * np.log(1 - var_fund / expected))
    losses = lognormal_system_losses(expected, var_fund, alpha, 3, 1_000, coverage=coverage, seed=seed)
    assert losses.shape == (1_000, 3)
    draws = np.random.default_rng(seed).standard_normal((1_000, 3))
    want = coverage * np.maximum(expected - expected * np.exp(-0.5 * s * s + s * draws), 0.0)
    np.testing.assert_allclose(losses, want, rtol=1e-9, atol=1e-9 * expected)
    assert (losses == 0).any()


def test_loss_defaults_and_checks():
    losses = lognormal_system_losses(100.0, 10.0, 0.05, 2, 50)
    assert losses.shape == (50, 2)
    np.testing.assert_array_equal(losses, lognormal_system_losses(100.0, 10.0, 0.05, 2, 50, coverage=1.0, seed=0))
    small = lognormal_system_losses(100.0, 0.5, 0.05, 1, 10)  # a fund below 1 is still a fund
    assert small.shape == (10, 1) and small.max() > 0
    for bad in (0.0, 100.0, -1.0):
        with pytest.raises(InputError) as exc:
            lognormal_system_losses(100.0, bad, 0.05, 1, 10)
        assert message(exc) == "var_fund: need 0 < var_fund < expected"


# ---------------------------------------------------------------- layers


def test_layer_sizes_by_hand():
    year = pd.DataFrame({"province": ["B", "B", "A", "A", "C"],
                         "sector": ["financial", "household", "financial", "household", "financial"],
                         "fund": [10.0, 30.0, 20.0, 40.0, 4.0]})
    layers, central = layer_sizes(year, rules())
    assert central == pytest.approx(0.5 * (10 + 20 + 4), rel=1e-15)
    assert list(layers.columns) == ["province", "provincial_layer", "total_fund", "allocation_share",
                                    "central_pool_allocation"]
    assert layers["province"].tolist() == ["A", "B", "C"]
    assert layers["provincial_layer"].tolist() == pytest.approx([50.0, 35.0, 2.0])
    assert layers["total_fund"].tolist() == pytest.approx([60.0, 40.0, 4.0])
    assert layers["allocation_share"].tolist() == pytest.approx([60 / 104, 40 / 104, 4 / 104])
    assert layers["central_pool_allocation"].tolist() == pytest.approx([17 * 60 / 104, 17 * 40 / 104, 17 * 4 / 104])
    with pytest.raises(ConfigError) as exc:
        layer_sizes(year.assign(sector=["financial", "mystery", "financial", "other", "financial"]), rules())
    assert message(exc) == "layers.central_share_by_sector: no central share for sectors ['mystery', 'other']"
    shipped, central = layer_sizes(year.assign(sector=["financial", "government", "corporate", "household",
                                                       "financial"]))
    assert central == pytest.approx(0.5 * 10 + 0.3 * 30 + 0.3 * 20 + 0.0 * 40 + 0.5 * 4, rel=1e-15)
    assert shipped["provincial_layer"].tolist() == pytest.approx([14.0 + 40.0, 5.0 + 21.0, 2.0])


def test_assign_layers_by_rule_and_explicit_columns():
    c = pd.DataFrame({"id": ["a", "b", "c", "d"], "dsib": [1, 0, 0, 0], "type": ["rural", "large", "city", "x"]})
    assert assign_layers(c, rules()).tolist() == ["central", "central", "provincial", "provincial"]
    assert assign_layers(c.drop(columns="type"), rules()).tolist() == ["central", "provincial", "provincial",
                                                                       "provincial"]
    assert assign_layers(c.drop(columns="dsib"), rules()).tolist() == ["provincial", "central", "provincial",
                                                                       "provincial"]
    no_dsib = FinancingRules(rates=rules().rates, layers=LayerRule(central={"types": ["city"]}))
    assert assign_layers(c, no_dsib).tolist() == ["provincial", "provincial", "central", "provincial"]
    no_types = FinancingRules(rates=rules().rates, layers=LayerRule(central={"dsib": True}))
    assert assign_layers(c, no_types).tolist() == ["central", "provincial", "provincial", "provincial"]
    nobody = FinancingRules(rates=rules().rates, layers=LayerRule())
    assert assign_layers(c, nobody).tolist() == ["provincial"] * 4
    ok = c.assign(layer=["central", None, np.nan, "provincial"])
    assert assign_layers(ok, rules()).tolist() == ["central", "central", "provincial", "provincial"]
    with pytest.raises(DataError) as exc:
        assign_layers(c.assign(layer=["central", "central", "central", None]), rules())
    assert message(exc) == ("contributors.layer: contributor 'c' is assigned to 'central' but the rules put it in "
                            "'provincial': overlapping layer assignment")
    shipped = assign_layers(pd.DataFrame({"id": ["x", "y"], "type": ["central_enterprise", "rural"]}))
    assert shipped.tolist() == ["central", "provincial"]


# ---------------------------------------------------------------- the result


def test_financing_plan_tables_round_trip_and_summaries():
    plan = plan_levies(CONTRIB, 100.0, 3, 0.05, rules())
    sim = simulate_reserve(plan, np.array([[150.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    layers, central = layer_sizes(pd.DataFrame({"province": ["A", "B"], "sector": ["financial", "household"],
                                                "fund": [1_000.0, 3_000.0]}), rules())
    res = FinancingPlan(plan, sim.path, sim.summary_stats, layers, central, CONTRIB)
    tables = res.tables()
    assert list(tables) == ["reserve", "buckets", "scenarios", "layers", "levies", "contributors"]
    assert tables["levies"] is plan.schedule and tables["contributors"] is CONTRIB
    assert tables["buckets"].equals(plan.by_bucket())
    en = res.with_lang("en").summary().splitlines()
    assert en[0] == plan.summary()
    bridge = sim.summary_stats["max_bridge"]
    assert en[1] == f"2 loss scenarios: P(reserve exhausted) 50.00%, largest relending bridge {bridge:,.2f}"
    assert en[2] == "central layer 500; provincial layers 3,500"
    zh = res.summary().splitlines()
    assert zh[1] == f"2 个损失情景: 储备耗尽概率 50.00%, 最大再贷款过桥 {bridge:,.2f}"
    assert zh[2] == "中央层 500; 地方层 3,500"
    params = {"target": 100.0, "years": 3, "bond_yield": 0.05, "base_rate": plan.base_rate, "central_layer": central,
              **sim.summary_stats}
    prov = Provenance("fund/plan", "c", "d", parameters=params)
    back = FinancingPlan.from_tables(tables, None, provenance=prov, warnings=("w",))
    assert back.plan.target == 100.0 and back.plan.years == 3 and back.plan.bond_yield == 0.05
    assert back.plan.base_rate == plan.base_rate and back.plan.schedule is plan.schedule
    assert back.plan.reserve is tables["reserve"] and back.scenarios is tables["scenarios"]
    assert back.stats == sim.summary_stats and back.central_layer == central
    assert back.layers is layers and back.contributors is CONTRIB
    assert back.warnings == ("w",) and back.provenance is prov
    assert isinstance(back.plan, LevyPlan)


def test_a_small_shortfall_is_still_bridged_and_repaid():
    plan = plan_levies(CONTRIB, 10.0, 1, 0.0, rules())
    sim = simulate_reserve(plan, np.array([[10.5, 0.0, 0.0]]), relending_rate=0.0, repay_years=2)
    assert sim.path["bridge"].tolist() == pytest.approx([0.5, 0.0, 0.0])
    assert sim.path["repayment"].tolist() == pytest.approx([0.0, 0.25, 0.25])
    assert sim.summary_stats["p_exhausted"] == 1.0 and sim.summary_stats["mean_final_debt"] == pytest.approx(0.0)


def test_default_yield_and_rules_from_a_file(tmp_path):
    plan = plan_levies(CONTRIB, 50.0, 2, rules=rules())
    assert plan.bond_yield == 0.025
    assert plan.yearly_levy == pytest.approx(50.0 / (1.025**2 + 1.025), rel=1e-12)
    path = tmp_path / "rules.yaml"
    path.write_text("rates:\n  kind: continuous\n  slope: 3.0\n  scale: 0.5\n  cap: 0.5\n"
                    "layers:\n  central_share_by_sector: {financial: 0.25}\n", encoding="utf-8")
    own = load_rules(path)
    assert (own.rates.kind, own.rates.slope, own.rates.scale, own.rates.cap) == ("continuous", 3.0, 0.5, 0.5)
    assert own.layers.central_share_by_sector == {"financial": 0.25}
    assert load_rules() is load_rules(None) and load_rules().rates.kind == "buckets"


def test_surcharges_stop_when_the_bridge_is_repaid():
    plan = plan_levies(CONTRIB, 10.0, 1, 0.0, rules())
    sim = simulate_reserve(plan, np.array([[14.0, 0.0, 0.0, 0.0, 0.0]]), relending_rate=0.0, repay_years=2)
    assert sim.path["surcharge"].tolist() == pytest.approx([0.0, 2.0, 2.0, 0.0, 0.0])
    assert sim.path["repayment"].tolist() == pytest.approx([0.0, 2.0, 2.0, 0.0, 0.0])
    assert sim.path["debt"].tolist() == pytest.approx([4.0, 2.0, 0.0, 0.0, 0.0])
