"""Fund-sizing pipeline: balance sheets + market inputs -> CCA table -> fund sizes (+ Monte Carlo)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from finstab.core.columns import canonical_table
from finstab.core.errors import ConfigError, DataError
from finstab.core.io import read_table
from finstab.core.provenance import Provenance
from finstab.core.warnings import collect
from finstab.fund.sectors import compile_cca, load_conventions
from finstab.fund.sizing import FundSizing, size_funds, system_monte_carlo


def read_cca_inputs(data: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balance sheets and market inputs: ``balance_sheets.csv`` and ``market.csv`` in a folder, or the
    ``cca`` template (a workbook with sheets ``balance_sheets`` and ``market``)."""
    folder = Path(data)
    if folder.is_file() and folder.suffix.lower() in (".xlsx", ".xlsm"):
        bs, mk = read_table(folder, table="balance_sheets"), read_table(folder, table="market")
    elif not folder.is_dir():
        raise DataError("not a folder with balance_sheets.csv and market.csv, nor a workbook with those sheets",
                        where=str(folder))
    else:
        bs, mk = read_table(folder / "balance_sheets.csv"), read_table(folder / "market.csv")
    return canonical_table(bs, "balance_sheets"), canonical_table(mk, "market")


def run_fund_sizing(data_dir: str | Path | None = None, *, balance_sheets: pd.DataFrame | None = None,
                    market: pd.DataFrame | None = None, alpha: float = 0.05, tier_method: str = "quantile",
                    conventions: str | Path | None = None, year: int | None = None, mc_year: int | None = None,
                    n_sims: int = 0, seed: int = 0, scheduler: str | None = None, sigma: str = "log_changes",
                    window: str | int = "expanding", min_obs: int = 3) -> FundSizing:
    """Compile the CCA table and size the funds from ``balance_sheets.csv`` and ``market.csv`` in a folder
    (or the two tables given as frames).

    ``year`` is the year shown (default: the latest); ``mc_year`` (default ``year``) is simulated
    when ``n_sims > 0``, locally or on dask (``scheduler``: ``"local"`` or a scheduler address).

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> res = run_fund_sizing(sample_path("cca"), year=2020)
    >>> res.shown_year, res.provenance.synthetic
    (2020, True)
    """
    if n_sims < 0:
        raise ConfigError(f"{n_sims}; expected a number of scenarios >= 0", where="n_sims")
    if data_dir is not None:
        bs, mk = read_cca_inputs(data_dir)
    elif balance_sheets is not None and market is not None:
        bs, mk = canonical_table(balance_sheets, "balance_sheets"), canonical_table(market, "market")
    else:
        raise ConfigError("give a folder, or both the balance sheets and the market table", where="data_dir")
    conv = load_conventions(conventions)
    params = {"alpha": alpha, "tier_method": tier_method, "sigma": sigma, "window": window, "min_obs": min_obs,
              "year": year, "mc_year": mc_year, "n_sims": n_sims, "seed": seed}
    prov = Provenance.from_inputs("fund/var", config=conv, inputs={"balance_sheets": bs, "market": mk},
                                  params=params)
    with collect() as seen:
        cca = compile_cca(bs, mk, conv)
        result = size_funds(cca, alpha=alpha, tier_method=tier_method, sigma=sigma, window=window,
                            min_obs=min_obs, provenance=prov)
    result = result.with_warnings(seen)
    if year is not None:
        result = result.at(year)
    if n_sims <= 0:
        return result
    sim_year = result.shown_year if mc_year is None else mc_year
    if scheduler is None:
        mc = system_monte_carlo(result, cca, sim_year, n_sims=n_sims, seed=seed)
    else:
        mc = _with_dask(scheduler, lambda client: system_monte_carlo(
            result, cca, sim_year, n_sims=n_sims, seed=seed, client=client))
    return replace(result, monte_carlo=mc.to_frame())


def _with_dask(scheduler: str, work):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("dask is not installed; pip install 'finstab[scale]'", where="scheduler") from exc
    if scheduler == "local":
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            return work(client)
    with Client(scheduler) as client:
        return work(client)
