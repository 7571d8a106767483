"""Fund sizing per sector, province and year from a CCA table (CCA paper, section four).

For each (province, sector) series of market values S_t (the financial sector's asset
value, the other sectors' liability value), mu and sigma come from the log changes up to
year t (expanding window); the fund is the lognormal VaR unexpected loss E(S) - S*.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from finstab.core.errors import InputError
from finstab.core.io import write_csv, write_excel
from finstab.core.provenance import Provenance
from finstab.fund.lognormal import (
    MonteCarloFund,
    es_fund_size,
    jarque_bera,
    monte_carlo_fund,
    shares,
    tiers,
    var_fund_size,
)

SERIES = ["province", "sector"]
MIN_CHANGES = 3


def _expanding_moments(frame: pd.DataFrame) -> pd.DataFrame:
    """mu and sigma per row from log changes of the same series up to that year."""
    dl = np.log(frame["market_value"]).groupby([frame[c] for c in SERIES]).diff()
    grouped = dl.groupby([frame[c] for c in SERIES])
    count = grouped.transform(lambda s: s.expanding().count())
    mean = grouped.transform(lambda s: s.expanding().mean())
    sd = grouped.transform(lambda s: s.expanding().std(ddof=1))
    ok = count >= MIN_CHANGES
    return pd.DataFrame({"mu": (mean + 0.5 * sd**2).where(ok), "sigma": sd.where(ok)})


@dataclass(frozen=True)
class FundSizing:
    """Fund sizes, tiers and allocation shares; Jarque-Bera per series; optional Monte Carlo."""

    table: pd.DataFrame
    normality: pd.DataFrame
    alpha: float
    tier_method: str
    provenance: Provenance
    monte_carlo: MonteCarloFund | None = None

    def year(self, year: int) -> pd.DataFrame:
        out = self.table[self.table["year"] == year]
        if out.empty:
            have = sorted(self.table.dropna(subset=["fund"])["year"].unique())
            raise InputError(f"no fund sizes for {year}; available years {have}", where="--year")
        return out

    def province_ranking(self, year: int) -> pd.DataFrame:
        """Provinces by total fund, with each sector's tier and the total's share."""
        y = self.year(year)
        total = y.groupby("province")["fund"].sum()
        tier = y.pivot(index="province", columns="sector", values="tier").add_prefix("tier_")
        out = pd.DataFrame({"fund": total, "share": shares(total)}).join(tier)
        return out.sort_values("fund", ascending=False).reset_index()

    def sector_allocation(self, year: int) -> pd.DataFrame:
        """Sector totals, their share, mean relative size and mean fund per province."""
        y = self.year(year)
        g = y.groupby("sector")
        out = pd.DataFrame({"fund": g["fund"].sum(), "mean_fund": g["fund"].mean(),
                            "mean_relative": g["relative"].mean()})
        out["share"] = shares(out["fund"])
        return out.sort_values("fund", ascending=False).reset_index()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self, year: int) -> str:
        return (f"Fund sizing (alpha {self.alpha}, tiers {self.tier_method}), {year}\n"
                f"{self.sector_allocation(year).round(4).to_string(index=False)}\n"
                f"{self.provenance.describe()}")

    def write(self, out_dir: str | Path, year: int) -> list[Path]:
        out = Path(out_dir)
        paths = [write_csv(self.table, out / "fund_sizes.csv"),
                 write_csv(self.normality, out / "jarque_bera.csv")]
        sheets = {"provinces": self.province_ranking(year), "sectors": self.sector_allocation(year),
                  "all": self.table, "jarque_bera": self.normality}
        if self.monte_carlo is not None:
            sheets["monte_carlo"] = self.monte_carlo.to_frame()
        paths.append(write_excel(sheets, out / "fund_sizes.xlsx"))
        return paths


def size_funds(cca: pd.DataFrame, *, alpha: float = 0.05, T: float = 1.0,
               tier_method: str = "quantile", provenance: Provenance | None = None) -> FundSizing:
    """Fund size, relative size, tiers and shares for every (province, sector, year)."""
    frame = cca.sort_values(["province", "sector", "year"], ignore_index=True)
    frame = pd.concat([frame, _expanding_moments(frame)], axis=1)
    sized = frame.dropna(subset=["mu", "sigma"]).copy()
    if sized.empty:
        raise InputError(f"each series needs at least {MIN_CHANGES + 1} years", where="data")
    s0, mu, sd = (sized[c].to_numpy() for c in ("market_value", "mu", "sigma"))
    sized["fund"] = var_fund_size(s0, mu, sd, T, alpha)
    sized["es_fund"] = es_fund_size(s0, mu, sd, T, alpha)
    sized["relative"] = sized["fund"] / sized["market_value"]
    sized["tier"] = sized.groupby(["year", "sector"])["relative"].transform(
        lambda r: pd.Series(tiers(r.to_numpy(), 3, tier_method), index=r.index))
    sized["share_in_province"] = sized["fund"] / sized.groupby(["year", "province"])["fund"].transform("sum")
    sized["share_in_sector"] = sized["fund"] / sized.groupby(["year", "sector"])["fund"].transform("sum")
    normality = []
    for (prov, sector), series in frame.groupby(SERIES):
        stat, p = jarque_bera(np.log(series["market_value"].to_numpy()))
        normality.append({"province": prov, "sector": sector, "jb_stat": stat, "p_value": p,
                          "lognormal_not_rejected_5pct": p > 0.05})
    prov = provenance or Provenance("fund/var", "", "", {})
    return FundSizing(sized.reset_index(drop=True), pd.DataFrame(normality), alpha, tier_method, prov)


def system_monte_carlo(result: FundSizing, cca: pd.DataFrame, year: int, *, n_sims: int = 100_000,
                       chunk: int = 10_000, seed: int = 0, client=None) -> MonteCarloFund:
    """Correlated simulation of all (province, sector) parts in ``year``: whole system,
    sector totals and province totals against the sums of their stand-alone funds."""
    y = result.year(year).sort_values(SERIES)
    keys = list(zip(y["province"], y["sector"], strict=True))
    hist = cca[cca["year"] <= year].pivot_table(index="year", columns=SERIES, values="market_value")
    changes = np.log(hist[keys]).diff().dropna()
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(changes.to_numpy(), rowvar=False), nan=0.0)
    np.fill_diagonal(corr, 1.0)
    sectors, provinces = sorted(y["sector"].unique()), sorted(y["province"].unique())
    groups = np.vstack([np.ones(len(keys))]
                       + [[float(s == k[1]) for k in keys] for s in sectors]
                       + [[float(p == k[0]) for k in keys] for p in provinces])
    names = ["system", *[f"sector:{s}" for s in sectors], *[f"province:{p}" for p in provinces]]
    return monte_carlo_fund(y["market_value"].to_numpy(), y["mu"].to_numpy(), y["sigma"].to_numpy(),
                            corr, groups=groups, group_names=names, alpha=result.alpha,
                            n_sims=n_sims, chunk=chunk, seed=seed, client=client)
