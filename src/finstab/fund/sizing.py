"""Fund sizing per sector, province and year from a CCA table (CCA paper, section four).

For each (province, sector) series of market values S_t (the financial sector's asset
value, the other sectors' liability value), mu and sigma come from the log changes up to
year t (expanding window); the fund is the lognormal VaR unexpected loss E(S) - S*.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import check_option
from finstab.fund.lognormal import (
    es_fund_size,
    jarque_bera,
    monte_carlo_fund,
    shares,
    tiers,
    var_fund_size,
)

SERIES = ["province", "sector"]
SIGMA_SOURCES = ("log_changes", "merton_asset_vol")
#: sector id -> (Chinese, English) for display
SECTOR_NAMES = {"government": ("政府部门", "government"), "financial": ("金融部门", "financial"),
                "corporate": ("非金融企业部门", "non-financial corporate"), "household": ("家庭部门", "household")}


def series_moments(frame: pd.DataFrame, *, sigma: str = "log_changes", window: str | int = "expanding",
                   min_obs: int = 3) -> pd.DataFrame:
    """mu and sigma per row from the log changes of the same (province, sector) series up to that year.

    Parameters
    ----------
    frame
        Rows sorted by province, sector and year with ``market_value`` (and ``asset_vol``
        for ``sigma="merton_asset_vol"``).
    sigma
        ``"log_changes"``: the standard deviation of annual log changes of S (the default;
        the paper's "市值收益率的年波动率" read as the volatility of the value S itself);
        ``"merton_asset_vol"``: the asset volatility solved by the Merton model that year.
    window
        ``"expanding"``: every change up to the year; an integer N: the last N changes.
    min_obs
        Changes needed before a year is sized (earlier years get NaN).

    Returns
    -------
    pandas.DataFrame
        ``mu`` (the drift of S: mean log change + sigma^2 / 2) and ``sigma``, aligned with ``frame``.

    Examples
    --------
    >>> f = pd.DataFrame({"province": "A", "sector": "x", "year": range(5),
    ...                   "market_value": [100.0, 110.0, 121.0, 133.1, 146.41]})
    >>> m = series_moments(f)
    >>> round(float(m["sigma"].iloc[4]), 12), round(float(m["mu"].iloc[4]), 6)
    (0.0, 0.09531)
    """
    check_option(sigma, SIGMA_SOURCES, "sigma")
    if window != "expanding" and not (isinstance(window, int) and window >= max(min_obs, 2)):
        raise InputError(f"{window!r}; expected 'expanding' or a whole number of years >= {max(min_obs, 2)}",
                         where="window")
    if min_obs < 2:
        raise InputError(f"{min_obs}; a volatility needs at least 2 changes", where="min_obs")
    keys = [frame[c] for c in SERIES]
    dl = np.log(frame["market_value"]).groupby(keys).diff()
    grouped = dl.groupby(keys)
    roll = grouped.expanding(min_periods=min_obs) if window == "expanding" else \
        grouped.rolling(window, min_periods=min_obs)
    mean = roll.mean().reset_index(level=[0, 1], drop=True).reindex(frame.index)
    sd = roll.std(ddof=1).reset_index(level=[0, 1], drop=True).reindex(frame.index)
    if sigma == "merton_asset_vol":
        sd = frame["asset_vol"].where(sd.notna())
    return pd.DataFrame({"mu": mean + 0.5 * sd**2, "sigma": sd})


@dataclass(frozen=True)
class FundSizing(Result):
    """Fund sizes, tiers and allocation shares per (province, sector, year); normality; Monte Carlo.

    ``year`` is the year the summary, rankings and tier tables show (default: the latest).
    """

    kind: ClassVar[str] = "fund_sizing"
    table: pd.DataFrame
    normality: pd.DataFrame
    alpha: float
    tier_method: str
    monte_carlo: pd.DataFrame | None = None
    year: int | None = None

    @property
    def shown_year(self) -> int:
        return int(self.table["year"].max()) if self.year is None else self.year

    def at(self, year: int) -> FundSizing:
        """The same sizing showing ``year``."""
        self.rows(year)
        return replace(self, year=int(year))

    def rows(self, year: int | None = None) -> pd.DataFrame:
        year = self.shown_year if year is None else year
        out = self.table[self.table["year"] == year]
        if out.empty:
            have = ", ".join(str(y) for y in sorted(self.table["year"].unique()))
            raise InputError(f"no fund sizes for {year}; sized years: {have}", where="year")
        return out

    def province_ranking(self, year: int | None = None) -> pd.DataFrame:
        """Provinces by total fund, with each sector's tier and the total's share."""
        y = self.rows(year)
        total = y.groupby("province")["fund"].sum()
        tier = y.pivot(index="province", columns="sector", values="tier").add_prefix("tier_")
        out = pd.DataFrame({"fund": total, "share": shares(total)}).join(tier)
        return out.sort_values("fund", ascending=False).reset_index()

    def sector_allocation(self, year: int | None = None) -> pd.DataFrame:
        """Sector totals, their share, mean relative size and mean fund per province."""
        g = self.rows(year).groupby("sector")
        out = pd.DataFrame({"fund": g["fund"].sum(), "mean_fund": g["fund"].mean(),
                            "mean_relative": g["relative"].mean()})
        out["share"] = shares(out["fund"])
        return out.sort_values("fund", ascending=False).reset_index()

    def tier_table(self, year: int | None = None) -> pd.DataFrame:
        """All four sectors' tiers of relative size: one row per (sector, province), tier 1 = smallest."""
        y = self.rows(year)[["sector", "province", "relative", "fund", "tier"]]
        return y.sort_values(["sector", "tier", "relative"], ignore_index=True)

    def trends(self) -> pd.DataFrame:
        """Per year and sector: total fund, mean relative size and the sector's allocation share."""
        g = self.table.groupby(["year", "sector"])
        out = pd.DataFrame({"fund": g["fund"].sum(), "mean_relative": g["relative"].mean()}).reset_index()
        out["share"] = out["fund"] / out.groupby("year")["fund"].transform("sum")
        return out

    def normality_by_sector(self) -> pd.DataFrame:
        """Per sector: how many provinces' log market values pass Jarque-Bera at 5 %."""
        g = self.normality.groupby("sector")
        return pd.DataFrame({"series": g.size(), "not_rejected_5pct": g["lognormal_not_rejected_5pct"].sum(),
                             "min_p_value": g["p_value"].min()}).reset_index()

    def tables(self) -> dict[str, pd.DataFrame]:
        tables = {"provinces": self.province_ranking(), "sectors": self.sector_allocation(),
                  "tiers": self.tier_table(), "trends": self.trends(), "funds": self.table,
                  "jarque_bera": self.normality, "jarque_bera_by_sector": self.normality_by_sector()}
        if self.monte_carlo is not None:
            tables["monte_carlo"] = self.monte_carlo
        return tables

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> FundSizing:
        p = provenance.parameters
        return cls(tables["funds"], tables["jarque_bera"], p.get("alpha", 0.05), p.get("tier_method", "quantile"),
                   tables.get("monte_carlo"), p.get("year"), provenance=provenance, warnings=warnings)

    def label(self, df: pd.DataFrame) -> pd.DataFrame:
        """Sector ids -> names in ``self.lang``; province codes -> names."""
        k = 0 if self.lang == "zh" else 1
        out = df.copy()
        if "sector" in out:
            out["sector"] = out["sector"].map(lambda s: SECTOR_NAMES.get(s, (s, s))[k])
        if "province" in out:
            out["province"] = out["province"].map(province_names(self.lang)).fillna(out["province"])
        return out

    def summary(self) -> str:
        year = self.shown_year
        alloc = self.label(self.sector_allocation()).round(4).to_string(index=False)
        head = ("金融稳定保障基金规模" if self.lang == "zh" else "Stability-fund sizing")
        return f"{head} (alpha {self.alpha}, tiers {self.tier_method}), {year}\n{alloc}\n{self.footer()}"


def province_names(lang: str) -> dict[str, str]:
    """Province code -> name (the shipped list of the 31 provincial-level divisions)."""
    from finstab.configs import provinces

    p = provinces()
    return p.set_index("code")["name_zh" if lang == "zh" else "name_en"].to_dict()


def size_funds(cca: pd.DataFrame, *, alpha: float = 0.05, T: float = 1.0, tier_method: str = "quantile",
               sigma: str = "log_changes", window: str | int = "expanding", min_obs: int = 3,
               provenance: Provenance | None = None) -> FundSizing:
    """Fund size, relative size, tiers and shares for every (province, sector, year).

    Parameters
    ----------
    cca
        The compiled contingent-claims table (:func:`finstab.fund.sectors.compile_cca`).
    alpha, T
        VaR tail probability and horizon in years.
    tier_method
        ``"quantile"`` (tertiles, ties together) or ``"jenks"``; tiers rank relative size
        (fund / market value) within each sector and year.
    sigma, window, min_obs
        Where mu and sigma come from (see :func:`series_moments`).

    Examples
    --------
    >>> import finstab as fs
    >>> from finstab.samples import sample_path
    >>> res = fs.run_fund_sizing(sample_path("cca"))
    >>> sorted(res.sector_allocation()["sector"])
    ['corporate', 'financial', 'government', 'household']
    """
    frame = cca.sort_values(["province", "sector", "year"], ignore_index=True)
    frame = pd.concat([frame, series_moments(frame, sigma=sigma, window=window, min_obs=min_obs)], axis=1)
    sized = frame.dropna(subset=["mu", "sigma"]).copy()
    if sized.empty:
        raise InputError(f"each series needs at least {min_obs + 1} years", where="data")
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
    prov = provenance or Provenance.unrecorded()
    return FundSizing(sized.reset_index(drop=True), pd.DataFrame(normality), alpha, tier_method, provenance=prov)


def system_monte_carlo(result: FundSizing, cca: pd.DataFrame, year: int, *, n_sims: int = 100_000,
                       chunk: int = 10_000, seed: int = 0, client=None) -> Any:
    """Correlated simulation of all (province, sector) parts in ``year``: whole system,
    sector totals and province totals against the sums of their stand-alone funds."""
    y = result.rows(year).sort_values(SERIES)
    keys = [tuple(k) for k in y[SERIES].to_numpy().tolist()]  # (province, sector) per part
    hist = cca[cca["year"] <= year].pivot_table(index="year", columns=SERIES, values="market_value")
    changes = np.log(hist[keys]).diff().dropna()
    with np.errstate(invalid="ignore"):  # a series that never moves: 0 / 0, taken as no correlation
        corr = np.nan_to_num(np.corrcoef(changes.to_numpy().T))
    np.fill_diagonal(corr, 1.0)
    sectors, provinces = sorted(y["sector"].unique()), sorted(y["province"].unique())
    groups = np.vstack([np.ones(len(keys))]
                       + [[float(s == k[1]) for k in keys] for s in sectors]
                       + [[float(p == k[0]) for k in keys] for p in provinces])
    names = ["system", *[f"sector:{s}" for s in sectors], *[f"province:{p}" for p in provinces]]
    return monte_carlo_fund(y["market_value"].to_numpy(), y["mu"].to_numpy(), y["sigma"].to_numpy(),
                            corr, groups=groups, group_names=names, alpha=result.alpha,
                            n_sims=n_sims, chunk=chunk, seed=seed, client=client)
