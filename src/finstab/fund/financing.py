"""Stability-fund financing planner: risk-based levies, reserve path, ex-post recovery,
central and provincial layers (policy design following seeds 002 and 004).

Timing convention: each year's levies are collected at the start of the year and the
whole reserve earns the bond yield over the year; losses hit at the end of the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.optimize import brentq

from finstab.configs import config_path
from finstab.core.config import load_model
from finstab.core.errors import ConfigError, DataError, InputError
from finstab.core.results import Result
from finstab.core.validate import numeric_column
from finstab.fund.lognormal import shares


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bucket(_Strict):
    name_zh: str
    name_en: str
    upper: float | None
    multiplier: float = Field(gt=0)


class RateRule(_Strict):
    kind: Literal["buckets", "continuous"] = "buckets"
    risk_measure: str = "in"
    buckets: list[Bucket] = Field(default_factory=list)
    dsib_multiplier: float = Field(default=1.0, gt=0)
    slope: float = Field(default=1.0, ge=0)
    scale: float = Field(default=1.0, gt=0)
    floor: float = Field(default=0.0, ge=0)
    cap: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> RateRule:
        if self.floor > self.cap:
            raise ValueError(f"floor {self.floor} exceeds cap {self.cap}")
        if self.kind == "buckets":
            if not self.buckets or self.buckets[-1].upper is not None:
                raise ValueError("buckets need at least one entry and an open last bucket (upper: null)")
            uppers = [b.upper for b in self.buckets[:-1]]
            if any(u is None for u in uppers) or uppers != sorted(uppers):
                raise ValueError("bucket upper bounds must be ascending")
            mults = [b.multiplier for b in self.buckets]
            if mults != sorted(mults):
                raise ValueError("bucket multipliers must not fall as risk rises")
        return self

    def multipliers(self, risk: np.ndarray, dsib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(multiplier, bucket index) per contributor; higher risk never lowers the multiplier."""
        if self.kind == "buckets":
            uppers = np.array([b.upper for b in self.buckets[:-1]])
            idx = np.searchsorted(uppers, risk)  # side "left": a risk equal to an upper bound is in that bucket
            m = np.array([b.multiplier for b in self.buckets])[idx]
        else:
            idx = np.zeros(len(risk), dtype=int)
            m = 1.0 + self.slope * np.maximum(risk, 0.0) / self.scale
        return m * np.where(dsib, self.dsib_multiplier, 1.0), idx


class LayerRule(_Strict):
    central: dict[str, object] = Field(default_factory=dict)
    central_share_by_sector: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> LayerRule:
        bad = {k: v for k, v in self.central_share_by_sector.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"central shares must lie in [0, 1]: {bad}")
        return self


class FinancingRules(_Strict):
    rates: RateRule
    layers: LayerRule = LayerRule()


def load_rules(path: str | Path | None = None) -> FinancingRules:
    """The shipped financing rules (read once per process), or a user YAML file."""
    return load_model(FinancingRules, path) if path is not None else _shipped_rules()


@cache
def _shipped_rules() -> FinancingRules:
    return load_model(FinancingRules, config_path("financing_rules.yaml"))


def _check_contributors(df: pd.DataFrame, risk: str) -> pd.DataFrame:
    need = ["id", "base", risk]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"contributors need columns {missing}", where="contributors")
    out = df.copy()
    out["id"] = out["id"].astype(str)
    if out["id"].duplicated().any():
        raise DataError(f"contributor {out['id'][out['id'].duplicated()].iloc[0]!r} listed twice", where="contributors")
    base = pd.to_numeric(out["base"], errors="coerce")
    bad = base.isna() | (base <= 0)
    if bad.any():
        raise DataError(f"contributor {out['id'][bad].iloc[0]!r} has no positive assessment base",
                        where="contributors.base")
    out["base"] = base.astype(float)
    risk_values = numeric_column(out, risk, "contributors")
    if np.isnan(risk_values).any():
        raise DataError(f"contributor {out['id'][np.isnan(risk_values)].iloc[0]} has no {risk} value",
                        where=f"contributors.{risk}")
    out[risk] = risk_values
    out["dsib"] = out["dsib"].astype(bool) if "dsib" in out else False
    return out


@dataclass(frozen=True)
class LevyPlan:
    """Yearly levies per contributor and the reserve path reaching the target."""

    target: float
    years: int
    bond_yield: float
    base_rate: float
    schedule: pd.DataFrame  # id, year, base, bucket, multiplier, rate, levy
    reserve: pd.DataFrame  # year, opening, levies, income, closing

    @property
    def yearly_levy(self) -> float:
        return float(self.schedule[self.schedule["year"] == 1]["levy"].sum())

    def by_bucket(self, year: int = 1) -> pd.DataFrame:
        """Contributors, rate range and levies per risk bucket in one year."""
        one = self.schedule[self.schedule["year"] == year]
        return one.groupby("bucket").agg(banks=("id", "size"), rate_min=("rate", "min"), rate_max=("rate", "max"),
                                         levy=("levy", "sum")).reset_index()

    def summary(self) -> str:
        end = self.reserve["closing"].iloc[-1]
        return (f"target {self.target:,.2f} in {self.years} years at {self.bond_yield:.2%} yield: base rate "
                f"{self.base_rate:.6f}, yearly levies {self.yearly_levy:,.2f}, closing reserve {end:,.2f}")


def _reserve_path(levies: float, years: int, y: float) -> pd.DataFrame:
    rows, r = [], 0.0
    for t in range(1, years + 1):
        income = (r + levies) * y
        rows.append({"year": t, "opening": r, "levies": levies, "income": income, "closing": r + levies + income})
        r += levies + income
    return pd.DataFrame(rows)


def plan_levies(contributors: pd.DataFrame, target: float, years: int, bond_yield: float = 0.025,
                rules: FinancingRules | None = None) -> LevyPlan:
    """Solve the base rate so that levies plus bond income reach ``target`` after ``years``.

    Each contributor's rate is ``clip(base_rate x multiplier, floor, cap)``; the multiplier
    comes from its risk bucket (or continuous risk score) and D-SIB status.
    """
    rules = rules or load_rules()
    rr = rules.rates
    if not np.isfinite(target) or target <= 0:
        raise InputError(f"target = {target}; expected a positive amount", where="target")
    if int(years) != years or years < 1:
        raise InputError(f"years = {years}; expected a whole number of years >= 1", where="years")
    if not -0.5 < bond_yield < 1:
        raise InputError(f"bond yield {bond_yield} is implausible", where="bond_yield")
    c = _check_contributors(contributors, rr.risk_measure)
    mult, bucket = rr.multipliers(c[rr.risk_measure].to_numpy(), c["dsib"].to_numpy())  # floats and bools
    base = c["base"].to_numpy()
    growth = sum((1 + bond_yield) ** (years - t + 1) for t in range(1, years + 1))
    need = target / growth  # levies per year that reach the target

    def levies(r: float) -> float:
        return float((np.clip(r * mult, rr.floor, rr.cap) * base).sum())

    top = rr.cap / mult.min()  # at this base rate every contributor pays the cap
    lo, hi = levies(0.0), levies(top)
    if need < lo - 1e-12 or need > hi + 1e-12:
        raise InputError(f"target needs yearly levies of {need:,.4g}, but floors and caps allow only "
                         f"{lo:,.4g} to {hi:,.4g}; change the target, years or caps", where="target")
    # levies(r) is continuous and non-decreasing in r: inside (lo, hi) the root is bracketed by [0, top]
    if lo < need < hi:
        r = brentq(lambda x: levies(x) - need, 0.0, top, xtol=1e-16, rtol=1e-14)
    else:
        r = 0.0 if need <= lo else top
    rate = np.clip(r * mult, rr.floor, rr.cap)
    names = [rr.buckets[k].name_en if rr.kind == "buckets" else "continuous" for k in bucket]
    one = pd.DataFrame({"id": c["id"], "base": base, "dsib": c["dsib"], "risk": c[rr.risk_measure],
                        "bucket": names, "multiplier": mult, "rate": rate, "levy": rate * base})
    schedule = pd.concat([one.assign(year=t) for t in range(1, years + 1)], ignore_index=True)
    return LevyPlan(float(target), int(years), float(bond_yield), float(r), schedule,
                    _reserve_path(float((rate * base).sum()), int(years), bond_yield))


def annuity(amount: float | np.ndarray, rate: float, periods: int) -> float | np.ndarray:
    """Level payment repaying ``amount`` (scalar or array) over ``periods`` at ``rate``."""
    return amount / periods if rate == 0 else amount * rate / (1 - (1 + rate) ** -periods)


@dataclass(frozen=True)
class ReservePath:
    path: pd.DataFrame  # year, opening, levies, surcharge, income, loss, bridge, repayment, debt, closing
    summary_stats: dict[str, float]


def simulate_reserve(plan: LevyPlan, losses: np.ndarray, *, relending_rate: float = 0.0225,
                     repay_years: int = 5, start_reserve: float | None = None) -> ReservePath:
    """Losses (scenarios x years) hit a reserve that starts at the target and is topped up by
    the regular levy whenever it is below the target; a shortfall is bridged by relending and
    repaid by surcharges (annuity at ``relending_rate`` over ``repay_years``).

    Returns the mean path and: probability the reserve is exhausted, largest bridge,
    mean surcharge after an event. Money is conserved in every scenario.
    """
    loss = np.atleast_2d(np.asarray(losses, dtype=float))
    if np.any(loss < 0) or not np.all(np.isfinite(loss)):
        raise InputError("losses must be finite and non-negative", where="losses")
    if repay_years < 1:
        raise InputError("repay_years must be >= 1", where="repay_years")
    n, years = loss.shape
    y, levy = plan.bond_yield, plan.yearly_levy
    reserve = np.full(n, plan.target if start_reserve is None else start_reserve, dtype=float)
    debt = np.zeros(n)
    payment = np.zeros(n)  # current annuity payment
    remaining = np.zeros(n, dtype=int)
    rows, exhausted, max_bridge = [], np.zeros(n, dtype=bool), 0.0
    for t in range(years):
        opening = reserve.copy()
        surcharge = np.where(remaining > 0, payment, 0.0)
        top_up = np.minimum(levy, np.maximum(plan.target - reserve, 0.0))  # only below the target
        income = (reserve + top_up) * y
        reserve = reserve + top_up + income - loss[:, t]
        interest = debt * relending_rate
        repay = np.minimum(surcharge, debt + interest)
        debt = debt + interest - repay
        remaining = np.maximum(remaining - 1, 0)
        bridge = np.maximum(-reserve, 0.0)
        reserve = np.maximum(reserve, 0.0)
        exhausted |= bridge > 0
        max_bridge = max(max_bridge, float(bridge.max()))
        debt = debt + bridge
        new_plan = bridge > 0
        payment = np.where(new_plan, annuity(debt, relending_rate, repay_years), payment)
        remaining = np.where(new_plan, repay_years, remaining)
        rows.append({"year": t + 1, "opening": opening.mean(), "levies": top_up.mean(), "surcharge": surcharge.mean(),
                     "income": income.mean(), "loss": loss[:, t].mean(), "bridge": bridge.mean(),
                     "repayment": repay.mean(), "debt": debt.mean(), "closing": reserve.mean()})
    stats = {"p_exhausted": float(exhausted.mean()), "max_bridge": max_bridge,
             "mean_final_debt": float(debt.mean()), "scenarios": n}
    return ReservePath(pd.DataFrame(rows), stats)


def lognormal_system_losses(expected: float, var_fund: float, alpha: float, years: int, n: int,
                            coverage: float = 1.0, seed: int = 0) -> np.ndarray:
    """Yearly losses max(E(S) - S_t, 0) x coverage, S lognormal with the mean and VaR fund of
    the fund-sizing Monte Carlo's system aggregate (sigma matched by root finding)."""
    from scipy.special import ndtri

    if not 0 < var_fund < expected:
        raise InputError("need 0 < var_fund < expected", where="var_fund")
    z = ndtri(alpha)
    sigma = brentq(lambda s: expected * (1 - np.exp(-0.5 * s * s + s * z)) - var_fund, 1e-9, 5.0)
    rng = np.random.default_rng(seed)
    s = expected * np.exp(-0.5 * sigma**2 + sigma * rng.standard_normal((n, years)))
    return coverage * np.maximum(expected - s, 0.0)


def layer_sizes(fund_year: pd.DataFrame, rules: FinancingRules | None = None) -> tuple[pd.DataFrame, float]:
    """Split fund sizes into a central layer and provincial layers by sector shares.

    ``fund_year``: one year of fund sizing (province, sector, fund). Returns per-province
    provincial layer, its share of the central pool (by the province's share of all funds),
    and the central layer size; provincial layers + central layer = total.
    """
    central_shares = (rules or load_rules()).layers.central_share_by_sector
    unknown = sorted(set(fund_year["sector"]) - set(central_shares))
    if unknown:
        raise ConfigError(f"no central share for sectors {unknown}", where="layers.central_share_by_sector")
    central_part = fund_year["fund"] * fund_year["sector"].map(central_shares)
    central = float(central_part.sum())
    prov = pd.DataFrame({"provincial_layer": (fund_year["fund"] - central_part).groupby(fund_year["province"]).sum(),
                         "total_fund": fund_year.groupby("province")["fund"].sum()})
    prov["allocation_share"] = shares(prov["total_fund"])
    prov["central_pool_allocation"] = central * prov["allocation_share"]
    return prov.reset_index(), central


def assign_layers(contributors: pd.DataFrame, rules: FinancingRules | None = None) -> pd.Series:
    """'central' or 'provincial' per contributor by D-SIB status and type; an explicit
    ``layer`` column that contradicts the rule is an overlapping assignment and an error."""
    central = (rules or load_rules()).layers.central
    is_central = pd.Series(False, index=contributors.index)
    if central.get("dsib") and "dsib" in contributors:
        is_central |= contributors["dsib"].astype(bool)
    if "type" in contributors:
        is_central |= contributors["type"].isin(list(central.get("types", [])))
    layer = is_central.map({True: "central", False: "provincial"})
    if "layer" in contributors:
        clash = contributors["layer"].notna() & (contributors["layer"] != layer)
        if clash.any():
            row = contributors[clash].iloc[0]
            raise DataError(f"contributor {row['id']!r} is assigned to {row['layer']!r} but the rules put it in "
                            f"{layer[clash].iloc[0]!r}: overlapping layer assignment", where="contributors.layer")
    return layer


@dataclass(frozen=True)
class FinancingPlan(Result):
    """A levy plan with its reserve scenarios and the central / provincial layers.

    ``scenarios`` is the mean path over the loss scenarios; ``stats`` holds the probability
    that the reserve is exhausted, the largest relending bridge and the mean final debt.
    """

    kind: ClassVar[str] = "financing_plan"
    plan: LevyPlan
    scenarios: pd.DataFrame
    stats: dict[str, float]
    layers: pd.DataFrame
    central_layer: float
    contributors: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"reserve": self.plan.reserve, "buckets": self.plan.by_bucket(), "scenarios": self.scenarios,
                "layers": self.layers, "levies": self.plan.schedule, "contributors": self.contributors}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Any,
                    warnings: tuple[str, ...] = ()) -> FinancingPlan:
        p = provenance.parameters
        plan = LevyPlan(p["target"], p["years"], p["bond_yield"], p["base_rate"], tables["levies"], tables["reserve"])
        stats = {k: p[k] for k in ("p_exhausted", "max_bridge", "mean_final_debt", "scenarios")}
        return cls(plan, tables["scenarios"], stats, tables["layers"], p["central_layer"], tables["contributors"],
                   provenance=provenance, warnings=warnings)

    def summary(self) -> str:
        s = self.stats
        zh = self.lang == "zh"
        n, p, bridge = s["scenarios"], s["p_exhausted"], s["max_bridge"]
        risk = (f"{n:,} 个损失情景: 储备耗尽概率 {p:.2%}, 最大再贷款过桥 {bridge:,.2f}" if zh else
                f"{n:,} loss scenarios: P(reserve exhausted) {p:.2%}, largest relending bridge {bridge:,.2f}")
        central, provincial = self.central_layer, self.layers["provincial_layer"].sum()
        layers = (f"中央层 {central:,.0f}; 地方层 {provincial:,.0f}" if zh else
                  f"central layer {central:,.0f}; provincial layers {provincial:,.0f}")
        return f"{self.plan.summary()}\n{risk}\n{layers}\n{self.footer()}"
