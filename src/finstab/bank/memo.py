"""Decision memo for a stability-fund intervention: the eight items' content (rendering is in
:mod:`finstab.report.memo`).

Items (Zhang, Xu & Pang): 1 the bank's condition; 2 measures taken so far; 3 why the risk
still evolves; 4 quantitative and qualitative evidence of systemic impact; 5 the harm of
not intervening; 6 the intervention plan; 7 treatment of uninsured deposits; 8 the
moral-hazard trade-off. Items 1, 4 and the loss waterfall come from the data; the others
from the analyst's inputs file.

Systemic impact (``params.systemic``): a D-SIB is presumed systemic (the paper: its
designation already implies systemic impact on failure); any other bank shows it by the
quantitative evidence (IN above the threshold and abnormally volatile in one of the last
``quantitative_quarters`` quarters) or the qualitative rule (at least ``min_channels`` of
the three channels rated ``at_least``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from finstab.bank.in_index import QualitativeRule
from finstab.bank.screen import ScreenResult
from finstab.bank.waterfall import WaterfallResult, absorb_losses
from finstab.core.config import load_model, validate
from finstab.core.errors import ConfigError, DataError
from finstab.core.io import read_fields
from finstab.core.provenance import Provenance
from finstab.core.results import Result


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_Strict):
    zh: str
    en: str


class Factor(_Strict):
    level: Literal["low", "medium", "high"]
    reason: str


#: the paper's three qualitative channels: id, Chinese, English
CHANNELS = (("market_confidence", "市场信心", "market confidence"),
            ("critical_services", "关键金融服务", "critical financial services"),
            ("real_economy", "实体经济或特定行业", "the real economy or a specific industry"))
LEVEL_NAMES = {"low": ("低", "low"), "medium": ("中", "medium"), "high": ("高", "high")}


class QualitativeAssessment(_Strict):
    """The paper's three qualitative channels, each with the analyst's level and reason."""

    market_confidence: Factor
    critical_services: Factor
    real_economy: Factor

    def count(self, rule: QualitativeRule) -> int:
        """How many channels the rule counts (rated at least ``rule.at_least``)."""
        return sum(rule.counts(getattr(self, cid).level) for cid, *_ in CHANNELS)

    def systemic(self, rule: QualitativeRule | None = None) -> bool:
        """Qualitative evidence: at least ``rule.min_channels`` channels rated ``rule.at_least`` (default: 2 high)."""
        rule = rule or QualitativeRule()
        return self.count(rule) >= rule.min_channels


class MemoInputs(_Strict):
    """The analyst's inputs: items 2, 3, 5-8, the qualitative assessment and the loss scenario."""

    bank: str
    measures_taken: Bilingual
    why_risk_evolves: Bilingual
    harm_of_not_intervening: Bilingual
    intervention_plan: Bilingual
    uninsured_deposits: Bilingual
    moral_hazard: Bilingual
    qualitative: QualitativeAssessment
    loss: float
    balance_sheet: dict[str, float]
    funds: dict[str, float]
    unit: str = "亿元 100 million yuan"
    bail_in_uninsured: bool = False


def load_memo_inputs(path: str | Path) -> MemoInputs:
    """The analyst's inputs: a YAML file, or the memo template (.xlsx/.csv: field, value rows)."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm", ".csv"):
        return validate(MemoInputs, read_fields(path), str(path))
    return load_model(MemoInputs, path)


#: the eight items: number, key, Chinese title, English title
ITEMS = ((1, "condition", "银行基本情况", "The bank's condition"),
         (2, "measures_taken", "已采取的措施", "Measures taken so far"),
         (3, "why_risk_evolves", "风险仍在演变的原因", "Why the risk still evolves"),
         (4, "systemic_evidence", "系统性影响的定量与定性依据",
          "Quantitative and qualitative evidence of systemic impact"),
         (5, "harm_of_not_intervening", "不介入的危害", "Harm of not intervening"),
         (6, "intervention_plan", "介入方案", "The intervention plan"),
         (7, "uninsured_deposits", "未保险存款的处理", "Treatment of uninsured deposits"),
         (8, "moral_hazard", "道德风险权衡", "The moral-hazard trade-off"))

EVIDENCE_COLUMNS = ["bank", "quarter", "in", "in_vol", "above_threshold", "abnormal_volatility", "systemic_evidence"]


@dataclass(frozen=True)
class MemoResult(Result):
    """The memo's content: eight items (zh and en), the bank's ratios, the evidence and the waterfall.

    ``presumed`` is True for a D-SIB under ``systemic.dsib_presumed``; ``quantitative`` is
    None where the IN index does not apply (a D-SIB).
    """

    kind: ClassVar[str] = "bank_memo"
    bank: str
    bank_type: str
    quarter: str
    dsib: bool
    items: pd.DataFrame  # item, key, title_zh, title_en, text_zh, text_en
    ratios: pd.DataFrame  # ratio, name_zh, name_en, value, line, risky_when
    evidence: pd.DataFrame  # the last quarters' IN and flags (empty for a D-SIB)
    qualitative: pd.DataFrame  # channel, name_zh, name_en, level, reason, counts
    waterfall: WaterfallResult
    threshold: float | None
    in_value: float | None
    size_multiplier: float | None
    quantitative: bool | None
    qualitative_evidence: bool
    presumed: bool
    rule: QualitativeRule
    unit: str = ""

    @property
    def systemic(self) -> bool:
        return self.presumed or bool(self.quantitative) or self.qualitative_evidence

    @property
    def fund_may_intervene(self) -> bool:
        return self.waterfall.fund_may_intervene

    def item(self, key: str) -> pd.Series:
        """One item's row (``title_zh``, ``title_en``, ``text_zh``, ``text_en``)."""
        return self.items.set_index("key").loc[key]

    def basis(self) -> list[str]:
        """Why the risk is systemic: ``dsib_presumption``, ``quantitative``, ``qualitative`` (empty: it is not)."""
        return [k for k, on in (("dsib_presumption", self.presumed), ("quantitative", bool(self.quantitative)),
                                ("qualitative", self.qualitative_evidence)) if on]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"items": self.items.copy(), "ratios": self.ratios.copy(), "evidence": self.evidence.copy(),
                "qualitative": self.qualitative.copy(), "waterfall": self.waterfall.absorbed.copy()}

    def config(self) -> dict[str, Any]:
        return {"bank": self.bank, "quarter": self.quarter, "dsib": self.dsib, "threshold": self.threshold,
                "rule": self.rule.model_dump(), "basis": self.basis()}

    def summary(self) -> str:
        zh = self.lang == "zh"
        names = {"dsib_presumption": ("推定（系统重要性银行）", "presumed (D-SIB)"),
                 "quantitative": ("定量", "quantitative"), "qualitative": ("定性", "qualitative")}
        basis = [names[b][0 if zh else 1] for b in self.basis()]
        if zh:
            verdict = "是：" + "、".join(basis) if basis else "否"
            head = (f"{self.bank}（{self.bank_type}，{self.quarter}）介入建议：系统性影响 {verdict}；"
                    f"基金可介入：{'是' if self.fund_may_intervene else '否'}")
        else:
            head = (f"memo for {self.bank} ({self.bank_type}, {self.quarter}): systemic impact "
                    f"{'yes: ' + ', '.join(basis) if basis else 'no'}; fund may intervene: {self.fund_may_intervene}")
        wf = self.waterfall.with_lang(self.lang)
        text = wf.summary()
        return "\n".join([head, text[: len(text) - len(wf.footer())].rstrip(), self.footer()])


def _condition(bank_type: str, quarter: str, dsib: bool, in_value: float | None, threshold: float | None,
               multiplier: float | None) -> tuple[str, str]:
    if dsib:
        return (f"{bank_type or '银行'}，{quarter}：属于系统重要性银行。IN 指数只用于非系统重要性银行，此处不计算；"
                "各项监管指标见下表。",
                f"{bank_type or 'Bank'}, {quarter}: a D-SIB. The IN index is for non-D-SIBs and is not computed "
                "here; its ratios are in the table.")
    return (f"{bank_type}，{quarter}：IN = {in_value:.6f}（阈值 {threshold:.6f}），规模乘数 {multiplier:.4f}。",
            f"{bank_type} {quarter}: IN = {in_value:.6f} (threshold {threshold:.6f}), "
            f"size multiplier {multiplier:.4f}.")


def _evidence_text(presumed: bool, dsib: bool, quantitative: bool | None, n_quarters: int, qualitative: bool,
                   counted: int, rule: QualitativeRule) -> tuple[str, str]:
    level_zh, level_en = LEVEL_NAMES[rule.at_least]
    qual_zh = (f"定性：{'是' if qualitative else '否'}——{counted} 个渠道评为“{level_zh}”及以上"
               f"（规则：三个渠道中至少 {rule.min_channels} 个）。")
    qual_en = (f"Qualitative: {'yes' if qualitative else 'no'} - {counted} channel(s) rated {level_en} or above "
               f"(rule: at least {rule.min_channels} of the three channels).")
    if presumed:
        return ("推定具有系统性影响：系统重要性银行的评定本身已表明其出险后会产生系统性影响（论文），不以 IN 指数证明。"
                + qual_zh,
                "Systemic impact is presumed: the D-SIB designation already implies systemic impact on failure "
                "(the paper); it is not tested with the IN index. " + qual_en)
    if dsib:
        quant_zh = "定量：不适用（IN 指数只用于非系统重要性银行）。"
        quant_en = "Quantitative: not applicable (IN is for non-D-SIBs). "
    else:
        quant_zh = (f"定量：{'是' if quantitative else '否'}——近 {n_quarters} 个季度中"
                    f"{'有' if quantitative else '没有'}季度 IN 超过阈值且波动异常。")
        quant_en = (f"Quantitative: {'yes' if quantitative else 'no'} - IN was {'' if quantitative else 'never '}"
                    f"above the threshold with abnormal volatility in the last {n_quarters} quarters. ")
    return quant_zh + qual_zh, quant_en + qual_en


def build_memo(result: ScreenResult, inputs: MemoInputs) -> MemoResult:
    """Fill the eight items from the screen, the waterfall and the analyst's inputs.

    The memo shows the bank's last quarter up to ``result.quarter``. A D-SIB is presumed
    systemic when ``result.params.systemic.dsib_presumed`` (its IN is not computed);
    any other bank needs a screen with a threshold.

    Examples
    --------
    >>> import warnings
    >>> from finstab.samples import sample_path
    >>> from finstab.bank.screen import read_bank_panel, screen
    >>> res = screen(read_bank_panel(sample_path("banks/panel.csv")))
    >>> inputs = load_memo_inputs(sample_path("banks/memo_inputs.yaml")).model_copy(update={"bank": "DSIB001"})
    >>> memo = build_memo(res, inputs)
    >>> memo.presumed, memo.basis(), memo.fund_may_intervene
    (True, ['dsib_presumption', 'qualitative'], True)
    """
    sp = result.params.systemic
    bank = inputs.bank
    dsib = result.is_dsib(bank)
    rows = result.dsib_rows(bank) if dsib else result.bank(bank)
    rows = rows[rows["quarter"] <= result.quarter]
    if rows.empty:
        raise DataError(f"bank {bank!r} has no quarter up to {result.quarter}", where="bank")
    last = rows.iloc[-1]
    quarter = str(last["quarter"])
    bank_type = str(last["bank_type"] or "")  # read_bank_panel always gives the column
    presumed = dsib and sp.dsib_presumed
    if dsib:
        quantitative, in_value, multiplier = None, None, None
        evidence = pd.DataFrame(columns=EVIDENCE_COLUMNS)
    else:
        if result.threshold is None:
            raise ConfigError("no threshold: give failures or a threshold (e.g. from a stored calibration run) "
                              f"to test bank {bank!r} for systemic impact", where="threshold")
        recent = rows.tail(sp.quantitative_quarters)
        quantitative = bool(recent["systemic_evidence"].any())  # a threshold is set: no unknown flag
        in_value, multiplier = float(last["in"]), float(last["size_multiplier"])
        evidence = recent[EVIDENCE_COLUMNS].astype({"quarter": str}).reset_index(drop=True)
    rule = sp.qualitative
    counted = inputs.qualitative.count(rule)
    qualitative = counted >= rule.min_channels
    waterfall = absorb_losses(inputs.loss, inputs.balance_sheet, inputs.funds,
                              systemic_impact=bool(quantitative) or qualitative, dsib=presumed,
                              bail_in_uninsured=inputs.bail_in_uninsured, bank=bank)
    texts = {"condition": _condition(bank_type, quarter, dsib, in_value, result.threshold, multiplier),
             "systemic_evidence": _evidence_text(presumed, dsib, quantitative, sp.quantitative_quarters,
                                                 qualitative, counted, rule)}
    for key in ("measures_taken", "why_risk_evolves", "harm_of_not_intervening", "intervention_plan",
                "uninsured_deposits", "moral_hazard"):
        b = getattr(inputs, key)
        texts[key] = (b.zh, b.en)
    items = pd.DataFrame([{"item": k, "key": key, "title_zh": zh, "title_en": en, "text_zh": texts[key][0],
                           "text_en": texts[key][1]} for k, key, zh, en in ITEMS])
    ratios = pd.DataFrame([{"ratio": r.id, "name_zh": r.name_zh, "name_en": r.name_en, "value": float(last[r.id]),
                            "line": r.line, "risky_when": r.risky_when} for r in result.params.ratios])
    qual = pd.DataFrame([{"channel": cid, "name_zh": zh, "name_en": en,
                          "level": getattr(inputs.qualitative, cid).level,
                          "reason": getattr(inputs.qualitative, cid).reason,
                          "counts": rule.counts(getattr(inputs.qualitative, cid).level)} for cid, zh, en in CHANNELS])
    prov = Provenance.from_inputs(
        "bank/memo", config=result.params,
        inputs={"screen": result.provenance.data_hash, "memo_inputs": inputs.model_dump()},  # str, float, bool only
        params={"bank": bank, "quarter": quarter, "threshold": result.threshold},
        notes=result.provenance.data_notes)
    # a presumed D-SIB does not use the threshold: its calibration's warnings do not concern this memo
    kept = tuple(w for w in result.warnings if not (presumed and w.startswith("CalibrationWarning")))
    return MemoResult(bank, bank_type, quarter, dsib, items, ratios, evidence, qual, waterfall, result.threshold,
                      in_value, multiplier, quantitative, qualitative, presumed, rule, inputs.unit,
                      provenance=prov, warnings=kept, lang=result.lang)

