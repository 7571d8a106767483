"""Contagion pipeline: read a network, shock it, clear, rank and aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from finstab.contagion import ClearingResult, aggregate_network, eisenberg_noe, furfine_cascade, rank_nodes
from finstab.contagion.network import exposure_matrix, read_network
from finstab.core.errors import ConfigError
from finstab.core.io import write_csv
from finstab.core.provenance import Provenance, hash_frame, hash_object


@dataclass(frozen=True)
class ContagionRun:
    """Clearing after an external-asset shock, DebtRank ranking, Furfine cascade, region view."""

    banks: pd.DataFrame
    exposures: sp.csr_matrix
    clearing: ClearingResult
    ranking: pd.DataFrame
    cascade_rounds: list[list[str]]
    region_matrix: pd.DataFrame
    shock: float
    shocked_region: str | None
    provenance: Provenance

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"ranking": self.ranking, "clearing": self.clearing.to_frame(list(self.banks["bank"])),
                "region_matrix": self.region_matrix.reset_index(names="lender")}

    def largest_flows(self, top: int = 10) -> pd.DataFrame:
        """The largest region-to-region exposures."""
        flows = self.region_matrix.stack().sort_values(ascending=False).head(top).reset_index()
        flows.columns = ["lender region", "borrower region", "exposure"]
        return flows

    def write(self, out_dir: str | Path) -> list[Path]:
        return [write_csv(t, Path(out_dir) / f"{name}.csv") for name, t in self.tables().items()]


def run_contagion(banks: str | Path | pd.DataFrame, edges: str | Path | pd.DataFrame, *,
                  shock: float = 0.1, region: str | None = None, variant: str = "battiston2012",
                  lgd: float = 1.0) -> ContagionRun:
    """Shock external assets by ``shock`` (all banks, or those of ``region``) and trace contagion."""
    b, e = read_network(banks, edges)
    if not 0 <= shock <= 1:
        raise ConfigError(f"shock = {shock}; expected a fraction in [0, 1]", where="shock")
    if region is not None and ("region" not in b or region not in set(b["region"])):
        raise ConfigError(f"region {region!r} not in the bank table", where="region")
    X = exposure_matrix(b, e)
    hit = np.ones(len(b), dtype=bool) if region is None else (b["region"] == region).to_numpy()
    assets = b["external_assets"].to_numpy(dtype=float) * np.where(hit, 1 - shock, 1.0)
    clearing = eisenberg_noe(X.T, assets, external_liabilities=b["external_liabilities"].to_numpy(dtype=float))
    ranking = rank_nodes(X, b["equity"].to_numpy(dtype=float), b["external_assets"].to_numpy(dtype=float),
                         variant=variant, labels=list(b["bank"]))
    initial = np.flatnonzero(clearing.defaulted)
    seed_nodes = initial if initial.size else [int(np.argmax(ranking.set_index("node").loc[b["bank"], "impact"]))]
    _, rounds = furfine_cascade(X, b["equity"].to_numpy(dtype=float), seed_nodes, lgd)
    names = b["bank"].to_numpy()
    groups = b["region"] if "region" in b else b["bank"]
    prov = Provenance("contagion", hash_object({"variant": variant, "lgd": lgd}), hash_frame(e),
                      {"shock": shock, "region": region, "variant": variant, "lgd": lgd},
                      tuple(sorted(b["source"].dropna().astype(str).unique())) if "source" in b else ())
    return ContagionRun(b, X, clearing, ranking, [[str(names[i]) for i in r] for r in rounds],
                        aggregate_network(X, groups), shock, region, prov)
