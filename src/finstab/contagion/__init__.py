"""Contagion: interbank clearing, DebtRank, default cascades, region matrices.

Conventions: ``liabilities[i, j]`` is what i owes j; ``exposures[i, j]`` is what i has lent
to j (i's asset on j), i.e. ``exposures = liabilities.T``.
"""

from finstab.contagion.cascade import CascadeResult, furfine_cascade
from finstab.contagion.clearing import ClearingResult, eisenberg_noe
from finstab.contagion.debtrank import DebtRankResult, debtrank, rank_nodes
from finstab.contagion.regions import aggregate_network

__all__ = ["CascadeResult", "ClearingResult", "DebtRankResult", "aggregate_network", "debtrank", "eisenberg_noe",
           "furfine_cascade", "rank_nodes"]
