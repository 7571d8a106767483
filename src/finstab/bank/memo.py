"""Decision memo for a stability-fund intervention: the eight items, in Chinese and English.

Items (Zhang, Xu & Pang): 1 the bank's condition; 2 measures taken so far; 3 why the risk
still evolves; 4 quantitative and qualitative evidence of systemic impact; 5 the harm of
not intervening; 6 the intervention plan; 7 treatment of uninsured deposits; 8 the
moral-hazard trade-off. Items 1, 4 and the loss waterfall come from the data; the others
from the analyst's inputs file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2
from pydantic import BaseModel, ConfigDict

from finstab.bank.screen import ScreenResult
from finstab.bank.waterfall import WaterfallResult, absorb_losses
from finstab.core.config import load_model, validate
from finstab.core.io import read_fields, write_text
from finstab.report.fonts import render_with_cjk


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_Strict):
    zh: str
    en: str


class Factor(_Strict):
    level: Literal["low", "medium", "high"]
    reason: str


class QualitativeAssessment(_Strict):
    """The paper's three qualitative channels, each with the analyst's level and reason."""

    market_confidence: Factor
    critical_services: Factor
    real_economy: Factor

    def systemic(self) -> bool:
        """Qualitative evidence: at least two channels rated high."""
        return sum(f.level == "high" for f in (self.market_confidence, self.critical_services,
                                               self.real_economy)) >= 2


class MemoInputs(_Strict):
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


def load_memo_inputs(path: str | Path) -> MemoInputs:
    """The analyst's inputs: a YAML file, or the memo template (.xlsx/.csv: field, value rows)."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm", ".csv"):
        return validate(MemoInputs, read_fields(path), str(path))
    return load_model(MemoInputs, path)


@dataclass(frozen=True)
class Memo:
    bank: str
    markdown: str
    html: str
    waterfall: WaterfallResult
    quantitative_evidence: bool
    qualitative_evidence: bool

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        return [write_text(out / f"memo_{self.bank}.md", self.markdown),
                write_text(out / f"memo_{self.bank}.html", self.html)]


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("finstab.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True,
                              lstrip_blocks=True)


def build_memo(result: ScreenResult, inputs: MemoInputs) -> Memo:
    """Fill the eight items from the screen, the waterfall and the analyst's inputs."""
    path = result.bank(inputs.bank)
    last = path.iloc[-1]
    recent = path.tail(4)
    quantitative = bool(recent["systemic_evidence"].any())
    qualitative = inputs.qualitative.systemic()
    waterfall = absorb_losses(inputs.loss, inputs.balance_sheet, inputs.funds,
                              systemic_impact=quantitative or qualitative)
    context = {
        "i": inputs, "last": last, "recent": recent, "threshold": result.threshold,
        "quantitative": quantitative, "qualitative": qualitative, "waterfall": waterfall,
        "lines": waterfall.absorbed[waterfall.absorbed["absorbed"] > 0],
        "provenance": result.provenance.describe(), "synthetic": result.provenance.synthetic,
        "ratios": [(r, last[r.id]) for r in result.params.ratios],
    }
    env = _env()
    return Memo(inputs.bank, env.get_template("memo.md.j2").render(**context),
                render_with_cjk(env.get_template("memo.html.j2"), **context), waterfall, quantitative, qualitative)
