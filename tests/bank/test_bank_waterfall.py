import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.bank import BankBalanceSheet, ResolutionFunds, WaterfallResult, absorb_losses
from finstab.bank.waterfall import insured_amount
from finstab.core.errors import InputError

SHEET = BankBalanceSheet(equity=45, capital_instruments=20, subordinated_debt=15, senior_unsecured=30,
                         insured_deposits=420, uninsured_deposits=260)
FUNDS = ResolutionFunds(deposit_insurance=40, industry_funds=10, stability_fund=500, franchise_value=60)
CREDITORS = ["equity", "capital_instruments", "subordinated_debt", "senior_unsecured"]


@given(st.floats(0, 2000), st.booleans(), st.booleans())
@settings(deadline=None)
def test_waterfall_conserves_and_keeps_order(loss, systemic, dsib):
    res = absorb_losses(loss, SHEET, FUNDS, systemic_impact=systemic, dsib=dsib)
    a = res.absorbed.set_index("line")["absorbed"]
    assert a.sum() == pytest.approx(loss, abs=1e-9)  # every yuan on exactly one line
    assert (a >= 0).all()
    for earlier, later in itertools.pairwise(CREDITORS):
        if a[later] > 0:  # a later creditor bears loss only once the earlier one is wiped out
            assert a[earlier] == pytest.approx(getattr(SHEET, earlier))
    # the creditors bear min(loss, 110); the fund only after the industry funds, only if systemic
    assert a[CREDITORS].sum() == pytest.approx(min(loss, 110.0))
    if a["stability_fund"] > 0:
        assert res.other_means_exhausted and a["industry_funds"] == pytest.approx(10) and (systemic or dsib)
    if not (systemic or dsib):
        assert a["stability_fund"] == 0


def test_waterfall_cases_by_hand():
    res = absorb_losses(260, SHEET, FUNDS, systemic_impact=True)
    # after creditors (45+20+15+30 = 110) 150 remain; payout costs 150*420/680 + 1% * 420 = 96.85; P&A 150 - 60 = 90
    assert res.payout_cost == pytest.approx(96.85, abs=1e-2) and res.pa_cost == pytest.approx(90)
    assert res.resolution == "purchase_and_assumption"
    a = res.absorbed.set_index("line")["absorbed"]
    assert (a["acquirer_premium"], a["deposit_insurance"], a["industry_funds"], a["stability_fund"]) == (60, 40, 10, 40)
    assert res.fund_may_intervene and not res.presumed
    not_systemic = absorb_losses(260, SHEET, FUNDS, systemic_impact=False)
    assert not not_systemic.fund_may_intervene
    assert not_systemic.absorbed.set_index("line")["absorbed"]["unabsorbed"] == pytest.approx(40)
    small = absorb_losses(50, SHEET, FUNDS, systemic_impact=True)
    assert not small.other_means_exhausted and not small.fund_may_intervene
    # franchise value 0: P&A costs 150 > payout 96.85, so a payout; uninsured depositors bear 150 x 260/680
    payout = absorb_losses(260, SHEET, ResolutionFunds(40, 10, 500), systemic_impact=True)
    b = payout.absorbed.set_index("line")["absorbed"]
    assert payout.resolution == "payout" and b["uninsured_deposits"] == pytest.approx(150 * 260 / 680)
    assert b["stability_fund"] == pytest.approx(150 * 420 / 680 - 40 - 10)


def test_a_dsib_is_presumed_systemic():
    res = absorb_losses(260, SHEET, FUNDS, systemic_impact=False, dsib=True, bank="DSIB000")
    assert res.systemic_impact and res.presumed and res.fund_may_intervene
    assert res.absorbed.set_index("line")["absorbed"]["stability_fund"] == pytest.approx(40)
    assert "presumed (a D-SIB" in res.with_lang("en").summary()
    assert "推定成立" in res.summary() and res.summary().startswith("DSIB000 损失 260")


def test_waterfall_result_protocol(tmp_path):
    from finstab.store.database import Store

    res = absorb_losses(260, SHEET, FUNDS, dsib=True)
    assert res.kind == "waterfall" and str(res) == res.summary() and list(res.tables()) == ["waterfall"]
    assert res.to_frame()["line"].iloc[0] == "equity"
    store = Store(tmp_path / "runs.duckdb")
    back = store.load(store.save(res))
    assert isinstance(back, WaterfallResult) and back.presumed and back.fund_may_intervene
    assert back.to_frame()["absorbed"].tolist() == res.to_frame()["absorbed"].tolist()


def test_waterfall_accepts_mappings_and_names_bad_fields():
    funds = {"deposit_insurance": 40, "industry_funds": 10, "stability_fund": 500}
    res = absorb_losses(100, SHEET.__dict__, funds)
    assert res.absorbed["absorbed"].sum() == pytest.approx(100)
    with pytest.raises(InputError, match=r"balance_sheet: .*expected fields equity"):
        absorb_losses(10, {"equity": 1, "bogus": 2}, funds)
    with pytest.raises(InputError, match="loss: -1; expected a non-negative"):
        absorb_losses(-1, SHEET, FUNDS)
    with pytest.raises(InputError, match="loss: 'abc' is not a number"):
        absorb_losses("abc", SHEET, FUNDS)
    with pytest.raises(InputError, match=r"balance_sheet.equity: 'x' is not a number"):
        absorb_losses(10, {**SHEET.__dict__, "equity": "x"}, FUNDS)
    with pytest.raises(InputError, match=r"funds.stability_fund: nan; expected a non-negative amount"):
        absorb_losses(10, SHEET, {**funds, "stability_fund": float("nan")})


def test_insured_amount_caps_each_depositor():
    assert insured_amount([100_000, 500_000, 2_000_000]) == 1_100_000
