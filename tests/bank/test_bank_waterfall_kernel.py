"""The loss waterfall worked by hand, line by line (seed 002: shareholders and capital instruments,
unsecured creditors, the deposit-insurance fund by least cost, other industry funds, then the
stability fund only for a systemic risk once the other means are exhausted)."""

import math

import numpy as np
import pandas as pd
import pytest

from finstab.bank import BankBalanceSheet, ResolutionFunds, WaterfallResult, absorb_losses
from finstab.bank.waterfall import insured_amount
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance

SHEET = BankBalanceSheet(equity=45, capital_instruments=20, subordinated_debt=15, senior_unsecured=30,
                         insured_deposits=420, uninsured_deposits=260)
FUNDS = ResolutionFunds(deposit_insurance=40, industry_funds=10, stability_fund=500, franchise_value=60)
LINES = ["equity", "capital_instruments", "subordinated_debt", "senior_unsecured", "acquirer_premium",
         "uninsured_deposits", "deposit_insurance", "industry_funds", "stability_fund", "unabsorbed"]
NAN = np.nan


def column(res, name):
    return res.absorbed.set_index("line")[name]


def test_purchase_and_assumption_table_by_hand():
    # 260: creditors 45 + 20 + 15 + 30 = 110, 150 left. Payout costs 150 x 420/680 + 1 % x 420 = 96.847;
    # P&A costs 150 - 60 = 90: cheaper. Acquirer 60, DIF 40, industry 10, stability fund the last 40.
    res = absorb_losses(260, SHEET, FUNDS, systemic_impact=True)
    assert res.absorbed.columns.tolist() == ["line", "name_zh", "name_en", "capacity", "absorbed"]
    assert res.absorbed["line"].tolist() == LINES
    np.testing.assert_array_equal(column(res, "absorbed").to_numpy(), [45, 20, 15, 30, 60, 0, 40, 10, 40, 0])
    np.testing.assert_array_equal(column(res, "capacity").to_numpy(), [45, 20, 15, 30, 60, NAN, 40, 10, 500, NAN])
    assert res.payout_cost == pytest.approx(150 * 420 / 680 + 4.2, rel=1e-12)
    assert res.pa_cost == 90.0 and res.resolution == "purchase_and_assumption"
    assert (res.loss, res.systemic_impact, res.other_means_exhausted, res.presumed, res.bank) == (
        260.0, True, True, False, "")


def test_defaults_not_systemic_no_bail_in_not_a_dsib():
    res = absorb_losses(260, SHEET, FUNDS)
    a = column(res, "absorbed")
    assert (a["uninsured_deposits"], a["stability_fund"], a["unabsorbed"]) == (0, 0, 40)
    assert not res.systemic_impact and not res.presumed and not res.fund_may_intervene
    assert np.isnan(column(res, "capacity")["stability_fund"])  # the fund is never reached
    assert res.summary().splitlines()[0].startswith("损失 260 -> ")  # no bank id given


def test_a_loss_the_creditors_absorb():
    # 50 = equity 45 + 5 of the capital instruments: nothing is left, no resolution, no fund
    res = absorb_losses(50, SHEET, FUNDS, systemic_impact=True)
    np.testing.assert_array_equal(column(res, "absorbed").to_numpy(), [45, 5, 0, 0, 0, 0, 0, 0, 0, 0])
    assert res.resolution == "none" and not res.other_means_exhausted and not res.fund_may_intervene
    # costs are still reported: payout = 0 x share + 1 % x 420; P&A = max(0 - 60, 0)
    assert res.payout_cost == pytest.approx(4.2) and res.pa_cost == 0.0
    np.testing.assert_array_equal(column(res, "capacity").to_numpy(), [45, 20, 15, 30, NAN, NAN, NAN, 10, NAN, NAN])


def test_a_loss_just_beyond_the_creditors():
    # 110.5: half a unit left; P&A (0) beats payout (0.31 + 4.2); the acquirer's premium covers it
    res = absorb_losses(110.5, SHEET, FUNDS, systemic_impact=True)
    a = column(res, "absorbed")
    assert res.resolution == "purchase_and_assumption" and a["acquirer_premium"] == 0.5
    assert res.pa_cost == 0.0 and not res.other_means_exhausted


def test_least_cost_tie_goes_to_purchase_and_assumption():
    # deposits half insured, no payout admin cost: payout 100 x 0.5 = 50 = P&A 100 - 50
    sheet = BankBalanceSheet(10, 0, 0, 0, insured_deposits=400, uninsured_deposits=400)
    funds = ResolutionFunds(deposit_insurance=100, industry_funds=0, stability_fund=0, payout_admin_rate=0.0,
                            franchise_value=50)
    res = absorb_losses(110, sheet, funds)
    assert (res.payout_cost, res.pa_cost, res.resolution) == (50.0, 50.0, "purchase_and_assumption")
    assert (column(res, "absorbed")["acquirer_premium"], column(res, "absorbed")["deposit_insurance"]) == (50, 50)


def test_payout_split_by_deposit_shares():
    # no franchise value: P&A costs 150 > payout 96.85. Uninsured depositors bear 150 x 260/680,
    # the DIF 40, industry 10, the fund the rest of the insured share 150 x 420/680 - 50
    res = absorb_losses(260, SHEET, ResolutionFunds(40, 10, 500), systemic_impact=True)
    a = column(res, "absorbed")
    assert res.resolution == "payout" and res.pa_cost == 150.0
    assert a["uninsured_deposits"] == pytest.approx(150 * 260 / 680, rel=1e-12)
    assert a["stability_fund"] == pytest.approx(150 * 420 / 680 - 50, rel=1e-12)
    assert column(res, "capacity")["uninsured_deposits"] == pytest.approx(150 * 260 / 680, rel=1e-12)
    assert a.sum() == pytest.approx(260, rel=1e-12)


def test_payout_admin_rate_enters_the_payout_cost():
    funds = ResolutionFunds(40, 10, 500, payout_admin_rate=0.05)
    res = absorb_losses(260, SHEET, funds)
    assert res.payout_cost == pytest.approx(150 * 420 / 680 + 0.05 * 420, rel=1e-12)


def test_bail_in_of_uninsured_depositors_before_the_fund():
    # bail-in: uninsured deposits (260) absorb right after the senior creditors; 300 - 110 - 260 < 0
    res = absorb_losses(300, SHEET, FUNDS, systemic_impact=True, bail_in_uninsured=True)
    a = column(res, "absorbed")
    assert (a["uninsured_deposits"], a["deposit_insurance"], res.resolution) == (190, 0, "none")
    assert column(res, "capacity")["uninsured_deposits"] == 260


def test_bail_in_then_payout_conserves_the_loss():
    # 500: creditors 110, uninsured 260 bailed in, 130 left; without franchise value a payout
    res = absorb_losses(500, SHEET, ResolutionFunds(40, 10, 500), systemic_impact=True, bail_in_uninsured=True)
    a = column(res, "absorbed")
    assert res.resolution == "payout" and a.sum() == pytest.approx(500, rel=1e-12)
    assert a["uninsured_deposits"] >= 260 and (a["deposit_insurance"], a["industry_funds"]) == (40, 10)
    assert res.provenance.parameters["bail_in_uninsured"] is True


def test_a_bank_without_deposits():
    # nothing to pay out: the payout costs the DIF nothing, so it is the least-cost choice
    sheet = BankBalanceSheet(5, 0, 0, 20, insured_deposits=0, uninsured_deposits=0)
    res = absorb_losses(40, sheet, ResolutionFunds(40, 10, 100))
    assert (res.resolution, res.payout_cost, res.pa_cost) == ("payout", 0.0, 15.0)
    assert column(res, "absorbed").sum() == pytest.approx(40)


@pytest.mark.parametrize("loss", [50, 110.5, 112, 260, 700, 2000])
@pytest.mark.parametrize("bail_in", [False, True])
def test_the_unit_does_not_matter(loss, bail_in):
    """100 million yuan or yuan: scaling every amount scales every line and keeps the resolution."""
    base = absorb_losses(loss, SHEET, FUNDS, systemic_impact=True, bail_in_uninsured=bail_in)
    for k in (1e-3, 1e3):
        sheet = BankBalanceSheet(**{f: v * k for f, v in SHEET.__dict__.items()})
        funds = ResolutionFunds(**{f: v * k if f != "payout_admin_rate" else v for f, v in FUNDS.__dict__.items()})
        res = absorb_losses(loss * k, sheet, funds, systemic_impact=True, bail_in_uninsured=bail_in)
        assert (res.resolution, res.other_means_exhausted) == (base.resolution, base.other_means_exhausted)
        np.testing.assert_allclose(res.absorbed["absorbed"], base.absorbed["absorbed"] * k, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(res.absorbed["capacity"], base.absorbed["capacity"] * k, rtol=1e-9)
        assert res.payout_cost == pytest.approx(base.payout_cost * k, rel=1e-9)
        assert res.pa_cost == pytest.approx(base.pa_cost * k, rel=1e-9, abs=1e-12)


def test_stability_fund_only_when_systemic_and_exhausted():
    exhausted_not_systemic = absorb_losses(700, SHEET, FUNDS)
    assert column(exhausted_not_systemic, "absorbed")["stability_fund"] == 0
    systemic_not_exhausted = absorb_losses(100, SHEET, FUNDS, systemic_impact=True)
    assert column(systemic_not_exhausted, "absorbed")["stability_fund"] == 0
    assert np.isnan(column(systemic_not_exhausted, "capacity")["stability_fund"])
    # a fund smaller than what is left: 270 - 110 creditors - 60 acquirer (P&A: 100 < 98.8 + 4.2 payout)
    # - 40 DIF - 10 industry = 50 > 30 in the fund; 20 stay unabsorbed
    small = absorb_losses(270, SHEET, ResolutionFunds(40, 10, 30, franchise_value=60), systemic_impact=True)
    a = column(small, "absorbed")
    assert small.resolution == "purchase_and_assumption"
    assert (a["stability_fund"], a["unabsorbed"]) == (30, 20)


def test_provenance_records_the_call():
    res = absorb_losses(260, SHEET, FUNDS, systemic_impact=False, dsib=True, bank="DSIB001")
    p = res.provenance
    assert p.method == "bank/waterfall" and set(p.input_hashes) == {"balance_sheet", "funds"}
    assert p.parameters == {"loss": 260.0, "systemic_impact": True, "dsib": True, "bail_in_uninsured": False}
    same = absorb_losses(260, SHEET.__dict__, FUNDS.__dict__, dsib=True, bank="DSIB001").provenance
    assert same.data_hash == p.data_hash  # a mapping and the dataclass are the same input
    other = absorb_losses(260, {**SHEET.__dict__, "equity": 46}, FUNDS, dsib=True).provenance
    assert other.input_hashes["balance_sheet"] != p.input_hashes["balance_sheet"]
    assert other.input_hashes["funds"] == p.input_hashes["funds"]


def test_config_and_rebuild_from_tables():
    res = absorb_losses(260, SHEET, FUNDS, dsib=True, bank="DSIB001")
    cfg = res.config()
    assert cfg == {"loss": 260.0, "resolution": "purchase_and_assumption", "payout_cost": res.payout_cost,
                   "pa_cost": 90.0, "systemic_impact": True, "other_means_exhausted": True, "presumed": True,
                   "bank": "DSIB001"}
    assert list(res.tables()) == ["waterfall"] and res.tables()["waterfall"].equals(res.absorbed)
    assert res.tables()["waterfall"] is not res.absorbed  # a copy: the result cannot be edited through it
    prov = Provenance("bank/waterfall", "c", "d")
    back = WaterfallResult.from_tables(res.tables(), cfg, provenance=prov, warnings=["W: x"])
    assert (back.loss, back.resolution, back.payout_cost, back.pa_cost) == (260.0, "purchase_and_assumption",
                                                                            res.payout_cost, 90.0)
    assert (back.systemic_impact, back.other_means_exhausted, back.presumed, back.bank) == (True, True, True, "DSIB001")
    assert back.warnings == ("W: x",) and back.provenance is prov and back.absorbed.equals(res.absorbed)
    # an older stored run without "presumed" and "bank": not presumed, no bank id
    old = {k: v for k, v in cfg.items() if k not in ("presumed", "bank")}
    back = WaterfallResult.from_tables(res.tables(), old, provenance=prov)
    assert (back.presumed, back.bank, back.warnings) == (False, "", ())


def test_summary_lines_in_english():
    res = absorb_losses(260, SHEET, FUNDS, systemic_impact=True, bank="CITY003").with_lang("en")
    lines = res.summary().splitlines()
    assert lines[0] == ("CITY003 loss 260 -> shareholders' equity: 45; capital instruments written down: 20; "
                        "subordinated creditors: 15; other unsecured creditors: 30; acquirer's premium (P&A): 60; "
                        "deposit-insurance fund: 40; other industry funds: 10; financial stability guarantee fund: 40")
    assert lines[1] == ("resolution: purchase_and_assumption (payout cost 96.85, P&A cost 90); systemic impact: yes; "
                        "other means exhausted True: fund may intervene = True")
    assert lines[2:] == res.footer().splitlines()
    no = absorb_losses(50, SHEET, FUNDS).with_lang("en").summary().splitlines()
    assert no[0] == "loss 50 -> shareholders' equity: 45; capital instruments written down: 5"
    assert no[1] == ("resolution: none (payout cost 4.2, P&A cost 0); systemic impact: no; "
                     "other means exhausted False: fund may intervene = False")


def test_summary_lines_in_chinese():
    res = absorb_losses(260, SHEET, ResolutionFunds(40, 10, 500), systemic_impact=True, bank="CITY003")
    lines = res.summary().splitlines()
    assert lines[0] == ("CITY003 损失 260 -> 股东权益: 45；其他资本工具减记: 20；次级债权人: 15；其他无担保债权人: 30；"
                        "未保险存款人: 57.35；存款保险基金: 40；其他行业保障基金: 10；金融稳定保障基金: 42.65")
    assert lines[1] == ("处置方式：赔付（赔付成本 96.85，收购承接成本 150）；系统性影响：是；其他方式已穷尽：是；"
                        "基金可介入：是")
    pa = absorb_losses(260, SHEET, FUNDS).summary().splitlines()[1]
    assert pa == ("处置方式：收购承接（赔付成本 96.85，收购承接成本 90）；系统性影响：否；其他方式已穷尽：是；"
                  "基金可介入：否")
    none = absorb_losses(50, SHEET, FUNDS).summary().splitlines()[1]
    assert none == "处置方式：无需（赔付成本 4.2，收购承接成本 0）；系统性影响：否；其他方式已穷尽：否；基金可介入：否"


def test_systemic_text():
    shown = absorb_losses(260, SHEET, FUNDS, systemic_impact=True)
    assert shown.systemic_text() == "系统性影响：是"
    assert shown.with_lang("en").systemic_text() == "systemic impact: yes"
    presumed = absorb_losses(260, SHEET, FUNDS, dsib=True)
    assert presumed.systemic_text() == "系统性影响：推定成立（系统重要性银行，其评定本身即表明出险后会产生系统性影响）"
    assert presumed.with_lang("en").systemic_text() == (
        "systemic impact: presumed (a D-SIB: its designation implies systemic impact on failure)")
    assert absorb_losses(260, SHEET, FUNDS).with_lang("en").systemic_text() == "systemic impact: no"


@pytest.mark.parametrize(("sheet", "funds", "message"), [
    ({**SHEET.__dict__, "equity": -1}, FUNDS, "balance_sheet.equity: -1; expected a non-negative amount"),
    ({**SHEET.__dict__, "senior_unsecured": math.inf}, FUNDS,
     "balance_sheet.senior_unsecured: inf; expected a non-negative amount"),
    (SHEET, {**FUNDS.__dict__, "industry_funds": "ten"}, "funds.industry_funds: 'ten' is not a number"),
    (SHEET, {**FUNDS.__dict__, "payout_admin_rate": -0.01}, "funds.payout_admin_rate: -0.01; expected a non-negative"
                                                            " amount"),
    ([1, 2], FUNDS, "balance_sheet: expected BankBalanceSheet or a mapping, got list"),
    (SHEET, "funds", "funds: expected ResolutionFunds or a mapping, got str"),
])
def test_input_errors_in_full(sheet, funds, message):
    with pytest.raises(InputError) as info:
        absorb_losses(10, sheet, funds)
    assert str(info.value) == message


def test_unknown_field_names_the_expected_fields():
    with pytest.raises(InputError) as info:
        absorb_losses(10, SHEET, {"deposit_insurance": 1, "industry_funds": 1, "stability_fund": 1, "bogus": 1})
    assert str(info.value).startswith("funds: ")
    assert str(info.value).endswith("; expected fields deposit_insurance, industry_funds, stability_fund, "
                                    "payout_admin_rate, franchise_value")


def test_loss_errors_in_full():
    for loss, message in [(-0.5, "loss: -0.5; expected a non-negative finite loss"),
                          (math.nan, "loss: nan; expected a non-negative finite loss"),
                          (None, "loss: None is not a number")]:
        with pytest.raises(InputError) as info:
            absorb_losses(loss, SHEET, FUNDS)
        assert str(info.value) == message


def test_zero_and_fractional_amounts_are_valid():
    sheet = BankBalanceSheet(0.5, 0, 0, 0, insured_deposits=0.3, uninsured_deposits=0)
    res = absorb_losses(0, sheet, ResolutionFunds(0, 0, 0, payout_admin_rate=0.0))
    assert res.absorbed["absorbed"].sum() == 0 and res.resolution == "none"


def test_insured_amount_per_depositor():
    # 500,000 yuan per depositor per bank (Deposit Insurance Regulations 2015)
    assert insured_amount([0, 0.5, 499_999.5, 500_000, 600_000]) == 0.5 + 499_999.5 + 500_000 + 500_000
    assert insured_amount(["120000", "750000"]) == 620_000  # balances read as text
    assert insured_amount([600_000, 50_000], limit=100_000) == 150_000
    with pytest.raises(InputError) as info:
        insured_amount([10, -1])
    assert str(info.value) == "balances: depositor balances must be non-negative"


def test_absorbed_frame_is_a_float_table():
    res = absorb_losses(260, SHEET, FUNDS)
    assert res.absorbed["capacity"].dtype == float and res.absorbed["absorbed"].dtype == float
    assert isinstance(res.absorbed, pd.DataFrame) and res.to_frame().equals(res.absorbed)


def test_summary_shows_small_lines_and_unknown_resolutions():
    res = absorb_losses(110.5, SHEET, FUNDS).with_lang("en")
    assert res.summary().splitlines()[0].endswith("other unsecured creditors: 30; acquirer's premium (P&A): 0.5")
    stored = WaterfallResult.from_tables(res.tables(), {**res.config(), "resolution": "bridge_bank"},
                                         provenance=Provenance("bank/waterfall", "c", "d"))
    assert stored.summary().splitlines()[1].startswith("处置方式：bridge_bank（赔付成本 ")
    assert stored.with_lang("en").summary().splitlines()[1].startswith("resolution: bridge_bank (payout cost ")
