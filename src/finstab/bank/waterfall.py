"""The order of loss absorption before the stability fund may step in.

Order (PBoC reply to NPC motion No. 113; Deposit Insurance Regulations 2015; draft
Financial Stability Law): shareholders' equity, other capital instruments (written down),
subordinated and other unsecured creditors, then the deposit-insurance fund (insured
deposits up to 500,000 yuan per depositor per bank) by the least-cost choice between
paying out insured deposits and supporting a purchase and assumption, then other industry
funds, and only then the stability fund - if the risk is systemic AND the other means are
exhausted. Every yuan of the loss is assigned to exactly one line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result

INSURED_LIMIT_YUAN = 500_000


def _check_amount(value: object, where: str) -> None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number", where=where) from None
    if not math.isfinite(x) or x < 0:
        raise InputError(f"{x:g}; expected a non-negative amount", where=where)


def insured_amount(balances: object, limit: float = INSURED_LIMIT_YUAN) -> float:
    """Insured deposits: sum over depositors of min(balance, limit) (balances in yuan)."""
    b = np.asarray(balances, dtype=float)
    if np.any(b < 0):
        raise InputError("depositor balances must be non-negative", where="balances")
    return float(np.minimum(b, limit).sum())


@dataclass(frozen=True)
class BankBalanceSheet:
    """Claims that can absorb losses (any consistent unit, e.g. 100 million yuan)."""

    equity: float
    capital_instruments: float  # AT1 and tier-2 instruments that can be written down
    subordinated_debt: float
    senior_unsecured: float  # unsecured bonds and interbank liabilities
    insured_deposits: float
    uninsured_deposits: float

    def check(self) -> None:
        for name, value in self.__dict__.items():
            _check_amount(value, f"balance_sheet.{name}")


@dataclass(frozen=True)
class ResolutionFunds:
    deposit_insurance: float  # resources the deposit-insurance fund can commit
    industry_funds: float  # other industry protection funds (securities, insurance, trust)
    stability_fund: float
    payout_admin_rate: float = 0.01  # DIF's cost of a payout per unit of insured deposits
    franchise_value: float = 0.0  # premium an acquirer would pay in a purchase and assumption

    def check(self) -> None:
        for name, value in self.__dict__.items():
            _check_amount(value, f"funds.{name}")


LINES = [
    ("equity", "股东权益", "shareholders' equity"),
    ("capital_instruments", "其他资本工具减记", "capital instruments written down"),
    ("subordinated_debt", "次级债权人", "subordinated creditors"),
    ("senior_unsecured", "其他无担保债权人", "other unsecured creditors"),
    ("acquirer_premium", "收购方溢价(收购承接)", "acquirer's premium (P&A)"),
    ("uninsured_deposits", "未保险存款人", "uninsured depositors"),
    ("deposit_insurance", "存款保险基金", "deposit-insurance fund"),
    ("industry_funds", "其他行业保障基金", "other industry funds"),
    ("stability_fund", "金融稳定保障基金", "financial stability guarantee fund"),
    ("unabsorbed", "未吸收(需其他安排)", "unabsorbed (needs other arrangements)"),
]


@dataclass(frozen=True)
class WaterfallResult(Result):
    """Who bears a loss, line by line (``absorbed``: line, name_zh, name_en, capacity, absorbed).

    ``systemic_impact`` is the fund's first precondition; ``presumed`` says it was presumed
    (a D-SIB) rather than shown by evidence.
    """

    kind: ClassVar[str] = "waterfall"
    loss: float
    absorbed: pd.DataFrame
    resolution: str  # "payout" or "purchase_and_assumption" (or "none" when creditors suffice)
    payout_cost: float
    pa_cost: float
    systemic_impact: bool
    other_means_exhausted: bool
    presumed: bool = False
    bank: str = ""

    @property
    def fund_may_intervene(self) -> bool:
        """Both preconditions of the fund: systemic impact AND other means exhausted."""
        return self.systemic_impact and self.other_means_exhausted

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"waterfall": self.absorbed.copy()}

    def config(self) -> dict[str, Any]:
        return {"loss": self.loss, "resolution": self.resolution, "payout_cost": self.payout_cost,
                "pa_cost": self.pa_cost, "systemic_impact": self.systemic_impact,
                "other_means_exhausted": self.other_means_exhausted, "presumed": self.presumed, "bank": self.bank}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: dict, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> WaterfallResult:
        return cls(float(config["loss"]), tables["waterfall"], config["resolution"], float(config["payout_cost"]),
                   float(config["pa_cost"]), bool(config["systemic_impact"]), bool(config["other_means_exhausted"]),
                   bool(config.get("presumed")), str(config.get("bank", "")), provenance=provenance,
                   warnings=tuple(warnings))

    def systemic_text(self) -> str:
        """Why the risk counts as systemic or not, in ``self.lang``."""
        if self.lang == "zh":
            if self.presumed:
                return "系统性影响：推定成立（系统重要性银行，其评定本身即表明出险后会产生系统性影响）"
            return f"系统性影响：{'是' if self.systemic_impact else '否'}"
        if self.presumed:
            return "systemic impact: presumed (a D-SIB: its designation implies systemic impact on failure)"
        return f"systemic impact: {'yes' if self.systemic_impact else 'no'}"

    def summary(self) -> str:
        zh = self.lang == "zh"
        col = "name_zh" if zh else "name_en"
        parts = [f"{r[col]}: {r['absorbed']:.4g}" for _, r in self.absorbed.iterrows() if r["absorbed"] > 0]
        who = f"{self.bank} " if self.bank else ""
        if zh:
            res = {"payout": "赔付", "purchase_and_assumption": "收购承接", "none": "无需"}.get(self.resolution,
                                                                                        self.resolution)
            lines = [f"{who}损失 {self.loss:.4g} -> " + "；".join(parts),
                     f"处置方式：{res}（赔付成本 {self.payout_cost:.4g}，收购承接成本 {self.pa_cost:.4g}）；"
                     f"{self.systemic_text()}；其他方式已穷尽：{'是' if self.other_means_exhausted else '否'}；"
                     f"基金可介入：{'是' if self.fund_may_intervene else '否'}"]
        else:
            lines = [f"{who}loss {self.loss:.4g} -> " + "; ".join(parts),
                     f"resolution: {self.resolution} (payout cost {self.payout_cost:.4g}, "
                     f"P&A cost {self.pa_cost:.4g}); "
                     f"{self.systemic_text()}; other means exhausted {self.other_means_exhausted}: "
                     f"fund may intervene = {self.fund_may_intervene}"]
        return "\n".join([*lines, self.footer()])


def _coerce(cls, value, name: str):
    """Accept the dataclass or a mapping of its fields."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        try:
            return cls(**value)
        except TypeError as exc:
            fields = ", ".join(cls.__dataclass_fields__)
            raise InputError(f"{exc}; expected fields {fields}", where=name) from None
    raise InputError(f"expected {cls.__name__} or a mapping, got {type(value).__name__}", where=name)


def absorb_losses(loss: float, balance_sheet: BankBalanceSheet | Mapping[str, float],
                  funds: ResolutionFunds | Mapping[str, float], *,
                  systemic_impact: bool = False, bail_in_uninsured: bool = False, dsib: bool = False,
                  bank: str = "") -> WaterfallResult:
    """Assign a loss to the statutory layers in order; see the module docstring.

    Parameters
    ----------
    loss
        Loss to absorb (>= 0), in the balance sheet's unit.
    systemic_impact
        Whether the quantitative and qualitative evidence shows systemic impact.
    bail_in_uninsured
        Let uninsured depositors bear losses before the deposit-insurance fund (a policy
        choice the memo must state); otherwise they bear losses only under a payout.
    dsib
        The bank is a D-SIB: systemic impact is presumed (the paper), whatever ``systemic_impact`` says.
    bank
        The bank's id, for the summary.

    Examples
    --------
    >>> sheet = {"equity": 45, "capital_instruments": 20, "subordinated_debt": 15, "senior_unsecured": 30,
    ...          "insured_deposits": 420, "uninsured_deposits": 260}
    >>> funds = {"deposit_insurance": 40, "industry_funds": 10, "stability_fund": 500, "franchise_value": 60}
    >>> res = absorb_losses(260, sheet, funds, dsib=True)
    >>> res.resolution, res.presumed, res.fund_may_intervene
    ('purchase_and_assumption', True, True)
    >>> float(res.to_frame().set_index("line").loc["stability_fund", "absorbed"])
    40.0
    """
    try:
        loss = float(loss)
    except (TypeError, ValueError):
        raise InputError(f"{loss!r} is not a number", where="loss") from None
    if not math.isfinite(loss) or loss < 0:
        raise InputError(f"{loss:g}; expected a non-negative finite loss", where="loss")
    systemic_impact = bool(systemic_impact) or bool(dsib)
    balance_sheet = _coerce(BankBalanceSheet, balance_sheet, "balance_sheet")
    funds = _coerce(ResolutionFunds, funds, "funds")
    balance_sheet.check()
    funds.check()
    balance_sheet = BankBalanceSheet(**{k: float(v) for k, v in balance_sheet.__dict__.items()})
    funds = ResolutionFunds(**{k: float(v) for k, v in funds.__dict__.items()})
    absorbed = dict.fromkeys((key for key, *_ in LINES), 0.0)
    capacity: dict[str, float] = {}  # lines never reached have no capacity (NaN in the table)
    remaining = float(loss)

    def take(line: str, cap: float) -> None:
        nonlocal remaining
        capacity[line] = cap
        part = min(remaining, cap)
        absorbed[line] += part
        remaining -= part

    for line in ("equity", "capital_instruments", "subordinated_debt", "senior_unsecured"):
        take(line, getattr(balance_sheet, line))
    if bail_in_uninsured:
        take("uninsured_deposits", balance_sheet.uninsured_deposits)
    deposits = balance_sheet.insured_deposits + balance_sheet.uninsured_deposits
    share_insured = balance_sheet.insured_deposits / deposits if deposits > 0 else 0.0
    payout_cost = remaining * share_insured + funds.payout_admin_rate * balance_sheet.insured_deposits
    pa_cost = max(remaining - funds.franchise_value, 0.0)
    resolution = "none"
    if remaining > 0:
        if pa_cost <= payout_cost:
            resolution = "purchase_and_assumption"
            take("acquirer_premium", funds.franchise_value)
            take("deposit_insurance", funds.deposit_insurance)
        else:
            resolution = "payout"
            uninsured_share = remaining * (1 - share_insured)
            take("uninsured_deposits", uninsured_share)
            take("deposit_insurance", funds.deposit_insurance)
    take("industry_funds", funds.industry_funds)
    other_means_exhausted = remaining > 0
    if systemic_impact and other_means_exhausted:
        take("stability_fund", funds.stability_fund)
    absorbed["unabsorbed"] = remaining
    frame = pd.DataFrame([{"line": key, "name_zh": zh, "name_en": en} for key, zh, en in LINES])
    frame["capacity"] = frame["line"].map(capacity)
    frame["absorbed"] = frame["line"].map(absorbed)
    prov = Provenance.from_inputs("bank/waterfall", inputs={"balance_sheet": balance_sheet.__dict__,
                                                            "funds": funds.__dict__},
                                  params={"loss": loss, "systemic_impact": systemic_impact, "dsib": bool(dsib),
                                          "bail_in_uninsured": bool(bail_in_uninsured)})
    return WaterfallResult(loss, frame, resolution, payout_cost, pa_cost, systemic_impact,
                           bool(other_means_exhausted), bool(dsib), str(bank), provenance=prov)
