import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from finstab.bank import (
    BankBalanceSheet,
    ResolutionFunds,
    absorb_losses,
    calibrate_threshold,
    in_index,
    read_bank_panel,
    screen,
)
from finstab.bank.calibration import find_jump
from finstab.bank.waterfall import insured_amount
from finstab.cli.main import app
from finstab.core.errors import DataError, InputError
from finstab.core.io import read_table
from finstab.samples import sample_path
from finstab.samples.banks import make_bank_panel


def independent_in(pcr, ct1car, lcr, cr, lr, inter, amo):
    """methods.md section 3, typed out term by term."""
    bracket = (0.25 * (1.20 - pcr) / 20 + 0.25 * (0.05 - ct1car) + 0.20 * (1.00 - lcr) / 20
               + 0.15 * (cr - 0.225) / 5 + 0.15 * (0.04 - lr))
    return (inter / 0.7) * (amo / 1.6) * bracket


def test_in_formula_against_independent_computation():
    args = dict(pcr=0.8, ct1car=0.04, lcr=0.9, cr=0.3, lr=0.03, inter=0.35, amo=0.8)
    expected = 0.5 * 0.5 * (0.25 * 0.4 / 20 + 0.25 * 0.01 + 0.2 * 0.1 / 20 + 0.15 * 0.075 / 5 + 0.15 * 0.01)
    assert in_index(**args) == pytest.approx(expected, rel=1e-12)
    assert in_index(**args) == pytest.approx(independent_in(**args), rel=1e-12)


def test_in_is_zero_at_the_regulatory_lines_and_signs():
    at_lines = dict(pcr=1.2, ct1car=0.05, lcr=1.0, cr=0.225, lr=0.04, inter=0.7, amo=1.6)
    assert in_index(**at_lines) == pytest.approx(0.0, abs=1e-15)
    assert in_index(**(at_lines | {"pcr": 1.19})) > 0  # below the provision line: watch
    assert in_index(**(at_lines | {"cr": 0.22})) < 0  # under the concentration cap: safer


def test_broadcasting():
    out = in_index(pcr=np.array([1.0, 1.5, 2.0]), ct1car=0.05, lcr=1.0, cr=0.225, lr=0.04,
                   inter=np.array([[0.7], [1.4]]), amo=1.6)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out[1], 2 * out[0])


ratio = st.floats(0.0, 3.0)


@given(ratio, ratio, ratio, st.floats(0, 1), st.floats(0, 0.2), st.floats(0.01, 2), st.floats(0.01, 3),
       st.floats(0.001, 0.1))
@settings(max_examples=100)
def test_monotone_in_each_ratio(pcr, ct1car, lcr, cr, lr, inter, amo, h):
    base = dict(pcr=pcr, ct1car=ct1car, lcr=lcr, cr=cr, lr=lr, inter=inter, amo=amo)
    v = in_index(**base)
    for key in ("pcr", "ct1car", "lcr", "lr"):  # more buffer -> lower IN
        assert in_index(**(base | {key: base[key] + h})) < v
    assert in_index(**(base | {"cr": cr + h})) > v  # more concentration -> higher IN
    np.testing.assert_allclose(v, independent_in(**base), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("shift", [4, 10, 17, 25])
def test_find_jump_recovers_planted_jump(shift):
    rng = np.random.default_rng(shift)
    path = rng.normal(0, 0.01, 32) + np.where(np.arange(32) >= shift, 0.2, 0.0)
    path[: shift] += np.linspace(0, 0.03, shift)  # a slow drift before the jump
    assert find_jump(path) == shift


def test_calibration_recovers_sample_jumps():
    panel, failures = make_bank_panel()
    res = screen(read_bank_panel(panel))
    cal = calibrate_threshold(res.frame, dict(zip(failures["bank"], failures["failure_quarter"], strict=True)))
    got = cal.jumps.set_index("bank")["jump_quarter"].astype(str)
    want = failures.set_index("bank")["jump_quarter"]
    assert (got == want).all()
    at_jump = [res.frame[(res.frame["bank"] == b) & (res.frame["quarter"] == q)]["in"].iloc[0]
               for b, q in zip(cal.jumps["bank"], cal.jumps["jump_quarter"], strict=True)]
    assert cal.threshold == pytest.approx(np.mean(at_jump))
    assert cal.hits + cal.misses == len(failures)
    assert cal.false_alarms == 0
    with pytest.raises(DataError, match="never flag"):
        calibrate_threshold(res.frame, [])
    with pytest.raises(DataError, match=r"\['NOPE'\] are not in the panel"):
        calibrate_threshold(res.frame, ["NOPE"])


def test_screen_flags_and_dsibs():
    res = screen(read_bank_panel(sample_path("banks/panel.csv")), threshold=0.0)
    assert res.dsibs["bank"].str.startswith("DSIB").all()
    assert not res.frame["bank"].str.startswith("DSIB").any()
    f = res.frame
    np.testing.assert_array_equal(f["systemic_evidence"], f["above_threshold"] & f["abnormal_volatility"])
    np.testing.assert_allclose(f[[f"contrib_{r}" for r in ("pcr", "ct1car", "lcr", "cr", "lr")]].sum(axis=1),
                               f["in"], atol=1e-15)
    assert res.provenance.synthetic
    with pytest.raises(DataError, match="a D-SIB"):
        res.bank("DSIB000")


def _panel_csv(tmp_path, edit):
    df = read_table(sample_path("banks/panel.csv")).head(200)
    df = edit(df)
    path = tmp_path / "panel.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.assign(lcr=d["lcr"].where(d.index != 5, -0.3)),
     r"panel.csv: bank 'CITY000', quarter 2016Q2, column 'lcr': -0.3 is negative"),
    (lambda d: d.assign(cr=d["cr"].where(d.index != 7, 3.0)), r"column 'cr': 3 is impossible"),
    (lambda d: d.drop(columns="amo"), r"missing column\(s\) 'amo'"),
    (lambda d: d.assign(quarter=d["quarter"].where(d.index != 3, "2015Q1")), "appears twice"),
    (lambda d: d.iloc[[0, 2, 1, *range(3, len(d))]], r"quarter 2015Q2, column 'quarter': comes after 2015Q3"),
    (lambda d: d.assign(pcr=d["pcr"].astype(object).where(d.index != 2, "abc")), r"'abc' is not a number"),
    (lambda d: d.assign(pcr=d["pcr"].where(d.index != 2, None)), r"quarter 2015Q3, column 'pcr': is empty"),
])
def test_bad_panels(tmp_path, edit, message):
    with pytest.raises(DataError, match=message):
        read_bank_panel(_panel_csv(tmp_path, edit))


SHEET = BankBalanceSheet(equity=45, capital_instruments=20, subordinated_debt=15, senior_unsecured=30,
                         insured_deposits=420, uninsured_deposits=260)


@given(st.floats(0, 2000))
def test_waterfall_conserves_and_keeps_order(loss):
    funds = ResolutionFunds(deposit_insurance=40, industry_funds=10, stability_fund=500, franchise_value=60)
    res = absorb_losses(loss, SHEET, funds, systemic_impact=True)
    a = res.absorbed.set_index("line")["absorbed"]
    assert a.sum() == pytest.approx(loss, abs=1e-9)
    assert (a >= 0).all()
    order = ["equity", "capital_instruments", "subordinated_debt", "senior_unsecured"]
    for earlier, later in itertools.pairwise(order):
        if a[later] > 0:  # a later creditor bears loss only once the earlier one is wiped out
            assert a[earlier] == pytest.approx(getattr(SHEET, earlier))
    if a["stability_fund"] > 0:
        assert res.other_means_exhausted and a["industry_funds"] == pytest.approx(10)


def test_waterfall_cases_by_hand():
    funds = ResolutionFunds(deposit_insurance=40, industry_funds=10, stability_fund=500, franchise_value=60)
    res = absorb_losses(260, SHEET, funds, systemic_impact=True)
    # after creditors 150 remain; payout costs 150*420/680 + 1% * 420 = 96.85; P&A 150 - 60 = 90
    assert res.payout_cost == pytest.approx(150 * 420 / 680 + 4.2)
    assert res.resolution == "purchase_and_assumption"
    a = res.absorbed.set_index("line")["absorbed"]
    assert (a["acquirer_premium"], a["deposit_insurance"], a["industry_funds"], a["stability_fund"]) == (60, 40, 10, 40)
    assert res.fund_may_intervene
    not_systemic = absorb_losses(260, SHEET, funds, systemic_impact=False)
    assert not not_systemic.fund_may_intervene
    assert not_systemic.absorbed.set_index("line")["absorbed"]["unabsorbed"] == pytest.approx(40)
    small = absorb_losses(50, SHEET, funds, systemic_impact=True)
    assert not small.other_means_exhausted and not small.fund_may_intervene
    with pytest.raises(InputError, match="loss"):
        absorb_losses(-1, SHEET, funds)


def test_waterfall_accepts_mappings_and_names_bad_fields():
    funds = {"deposit_insurance": 40, "industry_funds": 10, "stability_fund": 500}
    res = absorb_losses(100, SHEET.__dict__, funds)
    assert res.absorbed["absorbed"].sum() == pytest.approx(100)
    with pytest.raises(InputError, match=r"balance_sheet: .*expected fields equity"):
        absorb_losses(10, {"equity": 1, "bogus": 2}, funds)


def test_calibration_accepts_a_raw_panel():
    panel, failures = make_bank_panel()
    cal = calibrate_threshold(read_bank_panel(panel), list(failures["bank"]))
    assert len(cal.jumps) == len(failures)


def test_insured_amount_caps_each_depositor():
    assert insured_amount([100_000, 500_000, 2_000_000]) == 1_100_000


def test_cli_bank(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["bank", "screen", "--quarter", "2021Q1", "--failures",
                              str(sample_path("banks/failures.csv"))])
    assert res.exit_code == 0, res.output
    assert "CITY017" in res.output and "threshold" in res.output
    res = runner.invoke(app, ["bank", "calibrate"])
    assert res.exit_code == 0 and "hits" in res.output
    res = runner.invoke(app, ["bank", "memo", "--bank", "CITY003", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "memo_CITY003.md").read_text(encoding="utf-8")
    for k in range(1, 9):
        assert f"## {k}." in md
    assert "fund may intervene = **True**" in md and "合成数据" in md
    assert (tmp_path / "memo_CITY003.html").is_file()
    res = runner.invoke(app, ["bank", "memo", "--bank", "NOPE", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "NOPE" in res.output and not (tmp_path / "x").exists()
