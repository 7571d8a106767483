"""The decision memo's content (seed 002: eight items; systemic impact shown quantitatively, by IN above
the threshold and abnormally volatile, or qualitatively, by at least two of three channels rated high;
presumed for a D-SIB) on a panel small enough to follow."""

import pandas as pd
import pytest

from finstab.bank import build_memo, load_memo_inputs, screen
from finstab.bank.in_index import QualitativeRule, SystemicParam
from finstab.bank.memo import CHANNELS, EVIDENCE_COLUMNS, ITEMS, MemoInputs
from finstab.core.errors import ConfigError, DataError

QUARTERS = [str(q) for q in pd.period_range("2019Q1", "2021Q4", freq="Q")]
AT_LINES = {"ct1car": 0.05, "lcr": 1.0, "cr": 0.225, "lr": 0.04, "inter": 0.7, "amo": 1.6}
SHEET = {"equity": 45, "capital_instruments": 20, "subordinated_debt": 15, "senior_unsecured": 30,
         "insured_deposits": 420, "uninsured_deposits": 260}
FUNDS = {"deposit_insurance": 40, "industry_funds": 10, "stability_fund": 500, "franchise_value": 60}
TEXT_KEYS = ("measures_taken", "why_risk_evolves", "harm_of_not_intervening", "intervention_plan",
             "uninsured_deposits", "moral_hazard")


def pcr_path(bank, k):
    """IN = 0.25 x (1.2 - PCR) / 20 with every other ratio at its line (see the screen tests)."""
    if bank in ("B0", "B1"):  # flat, then swings from 2021Q1: the two most volatile banks
        return 2.0 + ((0.3 if bank == "B0" else 0.2) * (-1) ** k if k >= 8 else 0.0)
    if bank == "B9":
        return 1.0 + 0.009 * ((k % 3) - 1)
    return 2.0 + 0.001 * int(bank[1]) * ((k % 3) - 1)


def panel(source=None):
    rows = [{"bank": b, "quarter": q, "pcr": pcr_path(b, k), **AT_LINES, "bank_type": "城商行", "dsib": "false"}
            for b in [f"B{j}" for j in range(10)] for k, q in enumerate(QUARTERS)]
    rows += [{"bank": "Z", "quarter": q, "pcr": 1.2, **AT_LINES, "bank_type": "", "dsib": "false"}
             for q in QUARTERS[-3:]]
    rows += [{"bank": "D0", "quarter": q, "pcr": 1.8, **AT_LINES, "bank_type": "", "dsib": "true"} for q in QUARTERS]
    df = pd.DataFrame(rows)
    if source:
        df["source"] = source
    return df


def inputs(bank="B1", levels=("high", "medium", "high"), **extra):
    spec = {"bank": bank, **{k: {"zh": f"{k} 中文", "en": f"{k} in English"} for k in TEXT_KEYS},
            "qualitative": {c: {"level": lv, "reason": f"why {c}"} for (c, *_), lv in zip(CHANNELS, levels,
                                                                                          strict=True)},
            "loss": 260, "balance_sheet": SHEET, "funds": FUNDS, **extra}
    return MemoInputs.model_validate(spec)


@pytest.fixture(scope="module")
def res():
    # threshold -0.008: from 2021Q1 B1 swings between IN -0.0125 and -0.0075, the second most volatile bank
    return screen(panel(), threshold=-0.008, quarter="2021Q2")


def test_quantitative_evidence_by_hand(res):
    memo = build_memo(res, inputs(levels=("low", "low", "low")))
    # B1 in 2021Q2: PCR 1.8 -> IN = 0.25 x (1.2 - 1.8) / 20 = -0.0075 >= -0.008, abnormally volatile
    assert (memo.bank, memo.bank_type, memo.quarter) == ("B1", "城商行", "2021Q2")
    assert not memo.dsib and not memo.presumed
    assert memo.in_value == pytest.approx(-0.0075, abs=1e-15) and memo.size_multiplier == 1.0
    assert memo.threshold == -0.008 and memo.quantitative is True and memo.qualitative_evidence is False
    assert memo.basis() == ["quantitative"] and memo.systemic and memo.fund_may_intervene
    ev = memo.evidence
    assert ev.columns.tolist() == EVIDENCE_COLUMNS
    assert ev["quarter"].tolist() == ["2020Q3", "2020Q4", "2021Q1", "2021Q2"]  # the last 4 quarters, as text
    assert ev["systemic_evidence"].tolist() == [False, False, False, True]
    assert ev.index.tolist() == [0, 1, 2, 3]


def test_texts_of_a_non_dsib_with_quantitative_evidence(res):
    memo = build_memo(res, inputs(levels=("low", "low", "low")))
    cond = memo.item("condition")
    assert cond["text_zh"] == "城商行，2021Q2：IN = -0.007500（阈值 -0.008000），规模乘数 1.0000。"
    assert cond["text_en"] == "城商行 2021Q2: IN = -0.007500 (threshold -0.008000), size multiplier 1.0000."
    ev = memo.item("systemic_evidence")
    assert ev["text_zh"] == ("定量：是——近 4 个季度中有季度 IN 超过阈值且波动异常。"
                             "定性：否——0 个渠道评为“高”及以上（规则：三个渠道中至少 2 个）。")
    assert ev["text_en"] == ("Quantitative: yes - IN was above the threshold with abnormal volatility in the last 4 "
                             "quarters. Qualitative: no - 0 channel(s) rated high or above (rule: at least 2 of the "
                             "three channels).")


def test_no_evidence_at_all(res):
    # B9 is above the threshold but never abnormally volatile; one channel rated high is not enough
    memo = build_memo(res, inputs("B9", ("high", "medium", "medium")))
    assert memo.quantitative is False and memo.qualitative_evidence is False and memo.basis() == []
    assert not memo.systemic and not memo.fund_may_intervene
    assert not memo.waterfall.systemic_impact and memo.waterfall.absorbed.set_index("line")["absorbed"][
        "stability_fund"] == 0
    ev = memo.item("systemic_evidence")
    assert ev["text_zh"] == ("定量：否——近 4 个季度中没有季度 IN 超过阈值且波动异常。"
                             "定性：否——1 个渠道评为“高”及以上（规则：三个渠道中至少 2 个）。")
    assert ev["text_en"] == ("Quantitative: no - IN was never above the threshold with abnormal volatility in the "
                             "last 4 quarters. Qualitative: no - 1 channel(s) rated high or above (rule: at least 2 "
                             "of the three channels).")
    assert memo.qualitative["counts"].tolist() == [True, False, False]


def test_one_high_channel_is_not_enough_two_are(res):
    """The paper's qualitative reading: at least two of the three channels rated high."""
    for k in range(3):
        levels = ["medium"] * 3
        levels[k] = "high"
        memo = build_memo(res, inputs("B9", tuple(levels)))
        assert memo.qualitative_evidence is False and not memo.fund_may_intervene
    for skip in range(3):
        levels = ["high"] * 3
        levels[skip] = "low"
        memo = build_memo(res, inputs("B9", tuple(levels)))
        assert memo.qualitative_evidence is True and memo.basis() == ["qualitative"] and memo.fund_may_intervene
        assert "2 个渠道评为“高”及以上" in memo.item("systemic_evidence")["text_zh"]


def test_the_rule_comes_from_the_parameters(res):
    looser = res.params.model_copy(update={"systemic": SystemicParam(
        quantitative_quarters=1, qualitative=QualitativeRule(at_least="medium", min_channels=3))})
    other = screen(panel(), params=looser, threshold=-0.008, quarter="2021Q3")
    # 2021Q3: B1 at PCR 2.2 (IN -0.0125) is below the threshold; with only the last quarter counted, no evidence
    memo = build_memo(other, inputs(levels=("medium", "high", "medium")))
    assert memo.quantitative is False and memo.qualitative_evidence is True and memo.rule == looser.systemic.qualitative
    assert memo.evidence["quarter"].tolist() == ["2021Q3"]
    assert memo.item("systemic_evidence")["text_en"] == (
        "Quantitative: no - IN was never above the threshold with abnormal volatility in the last 1 quarters. "
        "Qualitative: yes - 3 channel(s) rated medium or above (rule: at least 3 of the three channels).")
    assert "3 个渠道评为“中”及以上（规则：三个渠道中至少 3 个）" in memo.item("systemic_evidence")["text_zh"]
    # with the shipped four quarters, 2021Q2 (above and abnormal) is among them
    assert build_memo(screen(panel(), threshold=-0.008, quarter="2021Q3"), inputs()).quantitative is True


def test_dsib_presumed(res):
    memo = build_memo(res, inputs("D0", ("low", "low", "low")))
    assert memo.dsib and memo.presumed and memo.basis() == ["dsib_presumption"] and memo.fund_may_intervene
    assert (memo.quantitative, memo.in_value, memo.size_multiplier) == (None, None, None)
    assert memo.evidence.empty and memo.evidence.columns.tolist() == EVIDENCE_COLUMNS
    assert memo.waterfall.presumed and memo.quarter == "2021Q2"
    cond = memo.item("condition")
    assert cond["text_zh"] == ("银行，2021Q2：属于系统重要性银行。IN 指数只用于非系统重要性银行，此处不计算；"
                               "各项监管指标见下表。")
    assert cond["text_en"] == ("Bank, 2021Q2: a D-SIB. The IN index is for non-D-SIBs and is not computed here; its "
                               "ratios are in the table.")
    ev = memo.item("systemic_evidence")
    assert ev["text_zh"] == ("推定具有系统性影响：系统重要性银行的评定本身已表明其出险后会产生系统性影响（论文），"
                             "不以 IN 指数证明。定性：否——0 个渠道评为“高”及以上（规则：三个渠道中至少 2 个）。")
    assert ev["text_en"] == ("Systemic impact is presumed: the D-SIB designation already implies systemic impact on "
                             "failure (the paper); it is not tested with the IN index. Qualitative: no - 0 channel(s) "
                             "rated high or above (rule: at least 2 of the three channels).")


def test_dsib_not_presumed_needs_evidence():
    params = screen(panel()).params
    off = params.model_copy(update={"systemic": SystemicParam(dsib_presumed=False)})
    res = screen(panel(), params=off, threshold=-0.008, quarter="2021Q2")
    memo = build_memo(res, inputs("D0", ("high", "high", "low")))
    assert memo.dsib and not memo.presumed and memo.quantitative is None and memo.basis() == ["qualitative"]
    assert memo.item("systemic_evidence")["text_zh"].startswith(
        "定量：不适用（IN 指数只用于非系统重要性银行）。定性：是——2 个")
    assert memo.item("systemic_evidence")["text_en"].startswith(
        "Quantitative: not applicable (IN is for non-D-SIBs). Qualitative: yes - 2 channel(s)")
    assert not memo.waterfall.presumed and memo.waterfall.systemic_impact
    none = build_memo(res, inputs("D0", ("low", "low", "low")))
    assert none.basis() == [] and not none.fund_may_intervene and not none.systemic


def test_tables_ratios_and_qualitative(res):
    memo = build_memo(res, inputs())
    assert list(memo.tables()) == ["items", "ratios", "evidence", "qualitative", "waterfall"]
    items = memo.items
    assert items.columns.tolist() == ["item", "key", "title_zh", "title_en", "text_zh", "text_en"]
    assert items["item"].tolist() == list(range(1, 9)) and items["key"].tolist() == [k for _, k, *_ in ITEMS]
    assert items["title_en"].tolist()[3] == "Quantitative and qualitative evidence of systemic impact"
    for key in TEXT_KEYS:
        assert (memo.item(key)["text_zh"], memo.item(key)["text_en"]) == (f"{key} 中文", f"{key} in English")
    ratios = memo.ratios
    assert ratios.columns.tolist() == ["ratio", "name_zh", "name_en", "value", "line", "risky_when"]
    assert ratios["ratio"].tolist() == ["pcr", "ct1car", "lcr", "cr", "lr"]
    assert ratios["value"].tolist() == [1.8, 0.05, 1.0, 0.225, 0.04] and ratios["line"].tolist() == [
        1.2, 0.05, 1.0, 0.225, 0.04]
    assert ratios["risky_when"].tolist() == ["below", "below", "below", "above", "below"]
    assert ratios["name_en"].iloc[0] == "provision coverage ratio" and ratios["name_zh"].iloc[0] == "拨备覆盖率"
    qual = memo.qualitative
    assert qual.columns.tolist() == ["channel", "name_zh", "name_en", "level", "reason", "counts"]
    assert qual["channel"].tolist() == ["market_confidence", "critical_services", "real_economy"]
    assert qual["name_en"].tolist() == ["market confidence", "critical financial services",
                                        "the real economy or a specific industry"]
    assert qual["level"].tolist() == ["high", "medium", "high"] and qual["counts"].tolist() == [True, False, True]
    assert qual["reason"].tolist() == [f"why {c}" for c, *_ in CHANNELS]
    assert memo.tables()["waterfall"].equals(memo.waterfall.absorbed)
    assert memo.to_frame().equals(items) and memo.unit == "亿元 100 million yuan"


def test_config_and_summary(res):
    memo = build_memo(res, inputs())
    assert memo.config() == {"bank": "B1", "quarter": "2021Q2", "dsib": False, "threshold": -0.008,
                             "rule": {"at_least": "high", "min_channels": 2},
                             "basis": ["quantitative", "qualitative"]}
    zh = memo.summary().splitlines()
    assert zh[0] == "B1（城商行，2021Q2）介入建议：系统性影响 是：定量、定性；基金可介入：是"
    wf = memo.waterfall.summary().splitlines()
    assert zh[1:3] == wf[:2] and zh[1].startswith("B1 损失 260 -> 股东权益: 45；")
    assert zh[3:] == memo.footer().splitlines()
    en = memo.with_lang("en").summary().splitlines()
    assert en[0] == ("memo for B1 (城商行, 2021Q2): systemic impact yes: quantitative, qualitative; "
                     "fund may intervene: True")
    assert en[1].startswith("B1 loss 260 -> shareholders' equity: 45; ")
    assert en[2].startswith("resolution: purchase_and_assumption (payout cost 96.85, P&A cost 90); "
                            "systemic impact: yes")
    presumed = build_memo(res, inputs("D0", ("low", "low", "low")))
    assert presumed.summary().splitlines()[0] == ("D0（，2021Q2）介入建议：系统性影响 是：推定（系统重要性银行）；"
                                                  "基金可介入：是")
    assert presumed.with_lang("en").summary().splitlines()[0] == (
        "memo for D0 (, 2021Q2): systemic impact yes: presumed (D-SIB); fund may intervene: True")
    nothing = build_memo(res, inputs("B9", ("low", "low", "low")))
    assert nothing.summary().splitlines()[0] == "B9（城商行，2021Q2）介入建议：系统性影响 否；基金可介入：否"
    assert nothing.with_lang("en").summary().splitlines()[0] == (
        "memo for B9 (城商行, 2021Q2): systemic impact no; fund may intervene: False")


def test_waterfall_of_the_memo_follows_the_inputs(res):
    memo = build_memo(res, inputs(loss=300, bail_in_uninsured=True, funds={**FUNDS, "franchise_value": 0}))
    a = memo.waterfall.absorbed.set_index("line")["absorbed"]
    assert (a["uninsured_deposits"], memo.waterfall.bank, memo.waterfall.loss) == (190, "B1", 300.0)
    assert memo.waterfall.provenance.parameters["bail_in_uninsured"] is True


def test_quarter_language_warnings_and_provenance():
    res = screen(panel("synthetic: hand panel"), threshold=-0.008, quarter="2021Q1")
    res = res.with_lang("en").with_warnings(["CalibrationWarning: weak", "DataWarning: check"])
    memo = build_memo(res, inputs())
    assert memo.quarter == "2021Q1" and memo.lang == "en"
    assert memo.warnings == ("CalibrationWarning: weak", "DataWarning: check")
    assert build_memo(res, inputs("D0")).warnings == ("DataWarning: check",)  # a presumed D-SIB needs no threshold
    p = memo.provenance
    assert p.method == "bank/memo" and set(p.input_hashes) == {"screen", "memo_inputs"}
    assert p.parameters == {"bank": "B1", "quarter": "2021Q1", "threshold": -0.008} and p.synthetic
    assert build_memo(res, inputs(loss=261)).provenance.input_hashes["memo_inputs"] != p.input_hashes["memo_inputs"]
    assert build_memo(res, inputs(loss=261)).provenance.input_hashes["screen"] == p.input_hashes["screen"]


def test_memo_errors_in_full(res):
    with pytest.raises(ConfigError) as info:
        build_memo(screen(panel(), quarter="2021Q2"), inputs())
    assert str(info.value) == ("threshold: no threshold: give failures or a threshold (e.g. from a stored calibration "
                               "run) to test bank 'B1' for systemic impact")
    with pytest.raises(DataError) as info:
        build_memo(res.at("2021Q1"), inputs("Z"))  # Z reports from 2021Q2 on
    assert str(info.value) == "bank: bank 'Z' has no quarter up to 2021Q1"
    with pytest.raises(DataError) as info:
        build_memo(res, inputs("NOPE"))
    assert str(info.value) == "bank: bank 'NOPE' is not among the screened banks"


def test_memo_inputs_from_yaml_csv_and_upper_case_suffixes(tmp_path):
    import yaml

    spec = inputs().model_dump(mode="json")
    (tmp_path / "in.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert load_memo_inputs(tmp_path / "in.yaml") == inputs()

    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flat(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}", v

    rows = "\n".join(f'{k},"{v}"' for k, v in flat(spec))
    for name in ("in.csv", "IN.CSV"):
        (tmp_path / name).write_text(f"field,value\n{rows}\n", encoding="utf-8")
        assert load_memo_inputs(tmp_path / name) == inputs()


def test_memo_inputs_from_a_workbook_and_errors_name_the_file(tmp_path):
    spec = inputs().model_dump(mode="json")

    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flat(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}", v

    sheet = pd.DataFrame(list(flat(spec)), columns=["field", "value"]).astype({"value": str})
    sheet.to_excel(tmp_path / "memo.xlsx", index=False)
    assert load_memo_inputs(tmp_path / "memo.xlsx") == inputs()
    (tmp_path / "memo.xlsm").write_bytes((tmp_path / "memo.xlsx").read_bytes())  # same format, macros allowed
    assert load_memo_inputs(tmp_path / "memo.xlsm") == inputs()
    sheet[sheet["field"] != "loss"].to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(ConfigError) as info:
        load_memo_inputs(tmp_path / "short.csv")
    assert str(info.value).startswith(f"{tmp_path / 'short.csv'}")
    assert "loss" in str(info.value)


def test_memo_provenance_follows_the_parameters(res):
    base = build_memo(res, inputs()).provenance
    p = res.params
    other = p.model_copy(update={"volatility": p.volatility.model_copy(update={"window": 6})})
    moved = build_memo(screen(panel(), params=other, threshold=-0.008, quarter="2021Q2"), inputs()).provenance
    assert moved.config_hash != base.config_hash
