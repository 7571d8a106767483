"""Contagion pipeline: read a network, shock it, clear, rank and aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from finstab.contagion import ClearingResult, aggregate_network, eisenberg_noe, furfine_cascade, rank_nodes
from finstab.contagion.network import exposure_matrix, read_network
from finstab.core.errors import ConfigError
from finstab.core.io import read_table
from finstab.core.provenance import Provenance
from finstab.core.results import Result


@dataclass(frozen=True)
class ContagionRun(Result):
    """Clearing after an external-asset shock, DebtRank ranking, Furfine cascade, region view."""

    kind: ClassVar[str] = "contagion"
    banks: pd.DataFrame
    exposures: sp.csr_matrix
    clearing: ClearingResult
    ranking: pd.DataFrame
    cascade_rounds: list[list[str]]
    region_matrix: pd.DataFrame
    shock: float
    shocked_region: str | None

    def clearing_frame(self) -> pd.DataFrame:
        c = self.clearing
        return pd.DataFrame({"bank": self.banks["bank"].to_numpy(), "payments": c.payments,
                             "obligations": c.obligations, "defaulted": c.defaulted, "net_worth": c.net_worth,
                             "external_paid": c.external_paid})

    def cascade_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"round": k, "bank": b} for k, r in enumerate(self.cascade_rounds) for b in r],
                            columns=["round", "bank"])

    def edges_frame(self) -> pd.DataFrame:
        coo = self.exposures.tocoo()
        names = self.banks["bank"].to_numpy()
        return pd.DataFrame({"lender": names[coo.row], "borrower": names[coo.col], "amount": coo.data})

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"ranking": self.ranking, "clearing": self.clearing_frame(), "cascade": self.cascade_frame(),
                "region_matrix": self.region_matrix.reset_index(names="lender"),
                "largest_flows": self.largest_flows(), "banks": self.banks, "edges": self.edges_frame()}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: object, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> ContagionRun:
        banks = tables["banks"].assign(bank=lambda b: b["bank"].astype(str))
        c = tables["clearing"]
        clearing = ClearingResult(c["payments"].to_numpy(float), c["obligations"].to_numpy(float),
                                  c["defaulted"].to_numpy(bool), int(provenance.parameters.get("rounds", 0)),
                                  c["net_worth"].to_numpy(float), c["external_paid"].to_numpy(float))
        cascade = tables["cascade"]
        rounds = [list(cascade.loc[cascade["round"] == k, "bank"].astype(str))
                  for k in range(int(cascade["round"].max()) + 1 if len(cascade) else 0)]
        matrix = tables["region_matrix"].set_index("lender")
        matrix.index.name = None
        p = provenance.parameters
        return cls(banks, exposure_matrix(banks, tables["edges"]), clearing, tables["ranking"], rounds, matrix,
                   p["shock"], p["region"], provenance=provenance, warnings=warnings)

    def largest_flows(self, top: int = 10) -> pd.DataFrame:
        """The largest region-to-region exposures."""
        flows = self.region_matrix.stack().sort_values(ascending=False).head(top).reset_index()
        flows.columns = ["lender_region", "borrower_region", "exposure"]
        return flows

    def headline(self) -> str:
        n_def, n = int(self.clearing.defaulted.sum()), len(self.banks)
        rounds = [len(r) for r in self.cascade_rounds]
        where = f" ({self.shocked_region})" if self.shocked_region else ""
        if self.lang == "zh":
            return (f"外部资产冲击 {self.shock:.0%}{where}: Eisenberg-Noe 清算后 {n_def}/{n} 家违约, "
                    f"Furfine 级联各轮 {rounds}")
        return (f"{self.shock:.0%} external-asset shock{where}: {n_def} of {n} banks default after "
                f"Eisenberg-Noe clearing; Furfine cascade rounds {rounds}")

    def summary(self) -> str:
        top = self.ranking.head(10).round(4).to_string(index=False)
        return f"{self.headline()}\n{top}\n{self.footer()}"


def run_contagion(banks: str | Path | pd.DataFrame, edges: str | Path | pd.DataFrame, *,
                  shock: float = 0.1, region: str | None = None, variant: str = "battiston2012",
                  lgd: float = 1.0) -> ContagionRun:
    """Shock external assets by ``shock`` (all banks, or those of ``region``) and trace contagion.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> run = run_contagion(sample_path("network/banks.csv"), sample_path("network/edges.csv"), shock=0.2)
    >>> run.kind, sorted(run.provenance.input_hashes)
    ('contagion', ['banks', 'edges'])
    """
    b, e = read_network(banks, edges)
    if not 0 <= shock <= 1:
        raise ConfigError(f"shock = {shock}; expected a fraction in [0, 1]", where="shock")
    if region is not None and ("region" not in b or region not in set(b["region"])):
        raise ConfigError(f"region {region!r} not in the bank table", where="region")
    X = exposure_matrix(b, e)
    hit = np.ones(len(b), dtype=bool) if region is None else (b["region"] == region).to_numpy()
    assets = b["external_assets"].to_numpy(dtype=float) * np.where(hit, 1 - shock, 1.0)
    clearing = eisenberg_noe(X.T, assets, external_liabilities=b["external_liabilities"].to_numpy(dtype=float))
    size = b["external_assets"].to_numpy(dtype=float) + X @ np.ones(len(b))  # economic value: total assets
    ranking = rank_nodes(X, b["equity"].to_numpy(dtype=float), size, variant=variant, labels=list(b["bank"]))
    initial = np.flatnonzero(clearing.defaulted)
    seed_nodes = initial if initial.size else [int(np.argmax(ranking.set_index("node").loc[b["bank"], "impact"]))]
    rounds = furfine_cascade(X, b["equity"].to_numpy(dtype=float), seed_nodes, lgd).rounds
    names = b["bank"].to_numpy()
    groups = b["region"] if "region" in b else b["bank"]
    prov = Provenance.from_inputs("contagion", config={"variant": variant, "lgd": lgd},
                                  inputs={"banks": b, "edges": e},
                                  params={"shock": shock, "region": region, "variant": variant, "lgd": lgd,
                                          "rounds": int(clearing.rounds)})
    return ContagionRun(b, X, clearing, ranking, [[str(names[i]) for i in r] for r in rounds],
                        aggregate_network(X, groups), shock, region, provenance=prov)


def run_layered_contagion(nodes: str | Path | pd.DataFrame, edges: str | Path | pd.DataFrame, *,
                          quarter: str | None = None, market_shocks: dict[str, float] | None = None,
                          foreign_funding: float = 0.0, fx: float = 0.0, region: str | None = None,
                          variant: str = "battiston2012"):
    """Shock a multi-layer network (banks, markets and sectors, a foreign block) read from tables.

    ``nodes``/``edges`` may hold quarterly snapshots (a ``quarter`` column): ``quarter`` picks one,
    by default the latest. Shocks: a loss on a market's nodes (``market_shocks``, market -> loss),
    a withdrawal of foreign funding, an FX depreciation hitting foreign-currency liabilities.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> res = run_layered_contagion(sample_path("markets/nodes.csv"), sample_path("markets/edges.csv"),
    ...                             market_shocks={"property": 0.3}, fx=0.1)
    >>> res.kind
    'multilayer'
    """
    from finstab.contagion.multilayer import foreign_funding_shock, fx_shock, market_shock, run_multilayer

    n = nodes if isinstance(nodes, pd.DataFrame) else read_table(nodes)
    e = edges if isinstance(edges, pd.DataFrame) else read_table(edges)
    if "quarter" in n.columns:
        quarters = sorted(n["quarter"].astype(str).unique())
        chosen = quarter or quarters[-1]
        if chosen not in quarters:
            raise ConfigError(f"no snapshot for {chosen}; the tables hold {', '.join(quarters)}", where="quarter")
        n = n[n["quarter"].astype(str) == chosen].drop(columns="quarter")
        e = e[e["quarter"].astype(str) == chosen].drop(columns="quarter") if "quarter" in e.columns else e
    shocks = [market_shock(m, loss, region) for m, loss in (market_shocks or {}).items()]
    if foreign_funding:
        shocks.append(foreign_funding_shock(foreign_funding, region=region))
    if fx:
        shocks.append(fx_shock(fx))
    if not shocks:
        raise ConfigError("no shock given: name a market loss, a foreign-funding withdrawal or an FX depreciation",
                          where="shocks")
    return run_multilayer(n.reset_index(drop=True), e.reset_index(drop=True), shocks, variant=variant)
