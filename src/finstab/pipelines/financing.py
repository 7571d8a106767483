"""Financing pipeline: contributors, levy plan, reserve scenarios and layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from finstab.bank import read_bank_panel, screen
from finstab.core.columns import canonical_table
from finstab.core.errors import ConfigError, DataError
from finstab.core.io import describe_row, read_table
from finstab.core.provenance import Provenance
from finstab.fund import defaults
from finstab.fund.financing import (
    FinancingPlan,
    assign_layers,
    layer_sizes,
    load_rules,
    lognormal_system_losses,
    plan_levies,
    simulate_reserve,
)
from finstab.fund.sizing import FundSizing
from finstab.pipelines.fund import run_fund_sizing
from finstab.samples import sample_path


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


DEFAULT_COVERAGE, DEFAULT_SIMS = defaults.COVERAGE, defaults.SIMS


def run_financing_plan(*, target: float | None = None, years: int, bond_yield: float = 0.025,
                       rules: str | Path | None = None, contributors: str | Path | pd.DataFrame | None = None,
                       sizing: FundSizing | None = None, fund_data: str | Path | None = None,
                       fund_year: int | None = None, n_sims: int = DEFAULT_SIMS, horizon: int = 10,
                       coverage: float = DEFAULT_COVERAGE, relending_rate: float = 0.0225, repay_years: int = 5,
                       seed: int = 0) -> FinancingPlan:
    """Levy plan to reach ``target``; reserve scenarios; central and provincial layers.

    System losses are drawn to match the fund-sizing Monte Carlo's system aggregate
    (``coverage`` = share of the system's unexpected loss the fund bears). The sizing is
    ``sizing`` (e.g. a stored run) or computed from ``fund_data`` (the synthetic sample by
    default). Without ``target`` the target is ``coverage`` x the system VaR fund.

    Examples
    --------
    >>> plan = run_financing_plan(target=600, years=5, n_sims=200)
    >>> round(float(plan.plan.reserve["closing"].iloc[-1]), 6)
    600.0
    """
    if not 0 < coverage <= 1:
        raise ConfigError(f"{coverage}; expected a share in (0, 1]", where="coverage")
    if int(n_sims) != n_sims or n_sims < 1:
        raise ConfigError(f"{n_sims}; expected a whole number of scenarios >= 1", where="n_sims")
    rule_obj = load_rules(rules)
    contrib = read_contributors(contributors) if contributors is not None else bank_contributors()
    contrib = contrib.assign(layer=assign_layers(contrib, rule_obj))  # rejects clashing explicit layers
    if sizing is None:
        sizing = run_fund_sizing(fund_data or sample_path("cca"), year=fund_year, n_sims=20_000, seed=seed)
    elif fund_year is not None:
        sizing = sizing.at(fund_year)
    if sizing.monte_carlo is None:
        raise ConfigError("the fund sizing has no Monte Carlo of the system; size it with scenarios (--mc)",
                          where="sizing")
    system = sizing.monte_carlo.set_index("group").loc["system"]
    if target is None:
        target = coverage * float(system["var_fund"])
    plan = plan_levies(contrib, target, years, bond_yield, rule_obj)
    alpha = sizing.alpha
    losses = lognormal_system_losses(float(system["expected"]), float(system["var_fund"]), alpha, horizon,
                                     n_sims, coverage, seed)
    scenarios = simulate_reserve(plan, losses, relending_rate=relending_rate, repay_years=repay_years)
    layers, central = layer_sizes(sizing.rows(), rule_obj)
    params = {"target": plan.target, "years": plan.years, "bond_yield": bond_yield, "coverage": coverage,
              "relending_rate": relending_rate, "repay_years": repay_years, "seed": seed, "horizon": horizon,
              "fund_year": sizing.shown_year, "base_rate": plan.base_rate, "central_layer": central,
              **scenarios.summary_stats}
    prov = Provenance.from_inputs(
        "fund/plan", config=rule_obj, inputs={"contributors": contrib, "fund_sizes": sizing.table,
                                                 "fund_data": sizing.provenance.input_hashes}, params=params,
        notes=sizing.provenance.data_notes)
    return FinancingPlan(plan, scenarios.path, scenarios.summary_stats, layers, central, contrib, provenance=prov,
                         warnings=sizing.warnings)
