"""Financing pipeline: contributors, levy plan, reserve scenarios and layers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from finstab.bank import read_bank_panel, screen
from finstab.core.columns import canonical_table
from finstab.core.errors import DataError
from finstab.core.io import describe_row, read_table, write_excel
from finstab.core.provenance import Provenance, hash_frame, hash_object
from finstab.fund.financing import (
    LevyPlan,
    ReservePath,
    assign_layers,
    layer_sizes,
    load_rules,
    lognormal_system_losses,
    plan_levies,
    simulate_reserve,
)
from finstab.pipelines.fund import run_fund_sizing
from finstab.samples import sample_path


@dataclass(frozen=True)
class FinancingRun:
    plan: LevyPlan
    scenarios: ReservePath
    layers: pd.DataFrame
    central_layer: float
    contributors: pd.DataFrame
    provenance: Provenance

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"levies": self.plan.schedule, "reserve": self.plan.reserve, "scenarios": self.scenarios.path,
                "layers": self.layers}

    def write(self, out_dir: str | Path) -> list[Path]:
        return [write_excel(self.tables(), Path(out_dir) / "levy_schedule.xlsx")]


def bank_contributors(data: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Contributors from a bank panel's latest quarter: assessment base = INTER + AMO
    (trillion -> 100 million yuan; a proxy where liabilities are not in the panel), risk = IN."""
    panel = read_bank_panel(data if data is not None else sample_path("banks/panel.csv"))
    last = panel[panel["quarter"] == panel["quarter"].max()]
    screened = screen(panel).latest().set_index("bank")["in"]
    out = pd.DataFrame({"id": last["bank"], "base": (last["inter"] + last["amo"]) * 1e4,
                        "dsib": last["dsib"], "type": np.where(last["dsib"], "large", last["bank_type"])})
    out["in"] = out["id"].map(screened).fillna(0.0)  # D-SIBs are not screened: neutral risk
    if "source" in last:
        out["source"] = last["source"]
    return out.reset_index(drop=True)


def read_contributors(path: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The analyst's contributors (the ``contributors`` template, or CSV/Excel with id, base, in[, dsib, type,
    layer, source]); ``dsib`` written TRUE/FALSE, 是/否, 1/0 or yes/no."""
    df = canonical_table(path if isinstance(path, pd.DataFrame) else read_table(path), "contributors")
    if "dsib" in df:
        flag = df["dsib"].map(lambda v: str(v).strip().casefold())
        yes = {"true", "1", "1.0", "yes", "y", "是", "t"}
        no = {"false", "0", "0.0", "no", "n", "否", "f", "", "nan", "none"}
        bad = ~flag.isin(yes | no)
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(f"column dsib: '{df['dsib'].iloc[pos]}' is not TRUE or FALSE", where=describe_row(df, pos))
        df["dsib"] = flag.isin(yes)
    if "layer" in df:
        df["layer"] = df["layer"].where(df["layer"].notna() & (df["layer"].astype(str).str.strip() != ""), None)
    return df


def run_financing_plan(*, target: float, years: int, bond_yield: float = 0.025, rules: str | Path | None = None,
                       contributors: str | Path | pd.DataFrame | None = None, fund_data: str | Path | None = None,
                       fund_year: int = 2020, n_sims: int = 2_000, horizon: int = 10, coverage: float = 0.01,
                       relending_rate: float = 0.0225, repay_years: int = 5, seed: int = 0) -> FinancingRun:
    """Levy plan to reach ``target``; reserve scenarios with system losses drawn to match the
    fund-sizing Monte Carlo (``coverage`` = share of the system's unexpected loss the fund
    bears); central and provincial layers from the fund sizes of ``fund_year``."""
    rule_obj = load_rules(rules)
    contrib = read_contributors(contributors) if contributors is not None else bank_contributors()
    contrib = contrib.assign(layer=assign_layers(contrib, rule_obj))  # rejects clashing explicit layers
    plan = plan_levies(contrib, target, years, bond_yield, rule_obj)
    sizing = run_fund_sizing(fund_data or sample_path("cca"), mc_year=fund_year, n_sims=20_000, seed=seed)
    mc = sizing.monte_carlo
    losses = lognormal_system_losses(float(mc.expected[0]), float(mc.var_fund[0]), mc.alpha, horizon, n_sims,
                                     coverage, seed)
    scenarios = simulate_reserve(plan, losses, relending_rate=relending_rate, repay_years=repay_years)
    layers, central = layer_sizes(sizing.year(fund_year), rule_obj)
    notes = set(sizing.provenance.data_notes)
    if "source" in contrib:
        notes |= set(contrib["source"].dropna().astype(str))
    parameters = {"target": plan.target, "years": plan.years, "bond_yield": bond_yield, "coverage": coverage,
                  "relending_rate": relending_rate, "repay_years": repay_years, "seed": seed,
                  **scenarios.summary_stats}
    prov = Provenance("fund/plan", hash_object(rule_obj.model_dump()), hash_frame(contrib), parameters,
                      tuple(sorted(notes)))
    return FinancingRun(plan, scenarios, layers, central, contrib, prov)
