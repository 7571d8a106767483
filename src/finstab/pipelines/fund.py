"""Fund-sizing pipeline: balance sheets + market inputs -> CCA table -> fund sizes (+ Monte Carlo)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from finstab.core.columns import canonical_table
from finstab.core.errors import ConfigError, DataError
from finstab.core.io import read_table
from finstab.core.provenance import Provenance, hash_frame, hash_object
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


def run_fund_sizing(data_dir: str | Path, *, alpha: float = 0.05, tier_method: str = "quantile",
                    conventions: str | Path | None = None, mc_year: int | None = None,
                    n_sims: int = 0, seed: int = 0, scheduler: str | None = None) -> FundSizing:
    """Read ``balance_sheets.csv`` and ``market.csv`` from a folder, compile the CCA table,
    size the funds; optionally simulate ``mc_year`` (locally, or on dask: ``scheduler`` is
    ``"local"`` for a LocalCluster or a scheduler address)."""
    bs, mk = read_cca_inputs(data_dir)
    conv = load_conventions(conventions)
    cca = compile_cca(bs, mk, conv)
    notes = tuple(sorted({*bs.get("source", pd.Series(dtype=str)).dropna().astype(str),
                          *mk.get("source", pd.Series(dtype=str)).dropna().astype(str)}))
    prov = Provenance("fund/var", hash_object(conv.model_dump()), hash_frame(bs) + hash_frame(mk)[:4],
                      {"alpha": alpha, "tier_method": tier_method, "n_sims": n_sims, "seed": seed},
                      notes)
    result = size_funds(cca, alpha=alpha, tier_method=tier_method, provenance=prov)
    if mc_year is None or n_sims <= 0:
        return result
    if scheduler is None:
        mc = system_monte_carlo(result, cca, mc_year, n_sims=n_sims, seed=seed)
    else:
        mc = _with_dask(scheduler, lambda client: system_monte_carlo(
            result, cca, mc_year, n_sims=n_sims, seed=seed, client=client))
    return replace(result, monte_carlo=mc)


def _with_dask(scheduler: str, work):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("dask is not installed; pip install 'finstab[scale]'", where="--dask") from exc
    if scheduler == "local":
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            return work(client)
    with Client(scheduler) as client:
        return work(client)
