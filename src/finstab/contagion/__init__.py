"""Contagion: interbank clearing, DebtRank, default cascades, region matrices.

Conventions: ``liabilities[i, j]`` is what i owes j; ``exposures[i, j]`` is what i has lent
to j (i's asset on j), i.e. ``exposures = liabilities.T``.
"""

from finstab.contagion.cascade import furfine_cascade
from finstab.contagion.clearing import ClearingResult, eisenberg_noe
from finstab.contagion.debtrank import DebtRankResult, debtrank, rank_nodes
from finstab.contagion.regions import aggregate_network

__all__ = ["ClearingResult", "DebtRankResult", "aggregate_network", "debtrank", "eisenberg_noe",
           "furfine_cascade", "rank_nodes"]

# Cross-market, cross-border and dynamic contagion (issue 15): spillover connectedness,
# market-based systemic risk, multi-layer networks, exposure snapshots over time.
from finstab.contagion.dynamic import DynamicResult, dynamic_network, spillover_indicators
from finstab.contagion.multilayer import (
    MultilayerResult,
    foreign_funding_shock,
    fx_shock,
    market_shock,
    multilayer_network,
    run_multilayer,
)
from finstab.contagion.spillover import (
    ConnectednessResult,
    RollingConnectedness,
    connectedness,
    rolling_connectedness,
)
from finstab.contagion.systemic import delta_covar, lrmes_from_mes, mes, srisk

__all__ += ["ConnectednessResult", "DynamicResult", "MultilayerResult", "RollingConnectedness", "connectedness",
            "delta_covar", "dynamic_network", "foreign_funding_shock", "fx_shock", "lrmes_from_mes", "market_shock",
            "mes", "multilayer_network", "rolling_connectedness", "run_multilayer", "spillover_indicators", "srisk"]
