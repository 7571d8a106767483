"""finstab: financial-stability analysis toolkit.

``import finstab as fs`` gives the curated API below; each name is imported on first use,
so ``import finstab`` (and ``finstab --help``) stays fast.

Examples
--------
>>> import finstab as fs
>>> result = fs.Monitor(fs.load_system("zibo")).evaluate(fs.sample_frame("zibo_sample.csv"))
>>> round(float(result.to_frame()["total"].iloc[0]), 2) > 0
True
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> "module:attribute"
_API = {
    # core
    "Result": "finstab.core.results:Result",
    "Provenance": "finstab.core.provenance:Provenance",
    "FinstabError": "finstab.core.errors:FinstabError",
    "FinstabWarning": "finstab.core.warnings:FinstabWarning",
    "ConvergenceWarning": "finstab.core.warnings:ConvergenceWarning",
    "DataQualityWarning": "finstab.core.warnings:DataQualityWarning",
    "CalibrationWarning": "finstab.core.warnings:CalibrationWarning",
    "read_table": "finstab.core.io:read_table",
    "sample_path": "finstab.samples:sample_path",
    "sample_frame": "finstab.samples:sample_frame",
    # decision analysis
    "ahp_weights": "finstab.mcda.ahp:ahp_weights",
    "entropy_weights": "finstab.mcda.weights:entropy_weights",
    "critic_weights": "finstab.mcda.weights:critic_weights",
    "threshold_score": "finstab.mcda.scoring:threshold_score",
    # monitor
    "Monitor": "finstab.monitor.model:Monitor",
    "MonitorResult": "finstab.monitor.result:MonitorResult",
    "load_system": "finstab.monitor.systems.loader:load_system",
    "available_presets": "finstab.monitor.systems.loader:available_presets",
    # fund
    "merton_solve": "finstab.fund.merton:merton_solve",
    "compile_cca": "finstab.fund.sectors:compile_cca",
    "size_funds": "finstab.fund.sizing:size_funds",
    "monte_carlo_fund": "finstab.fund.lognormal:monte_carlo_fund",
    "plan_levies": "finstab.fund.financing:plan_levies",
    # bank
    "in_index": "finstab.bank.in_index:in_index",
    "screen_banks": "finstab.bank.screen:screen",
    "calibrate_threshold": "finstab.bank.calibration:calibrate_threshold",
    "absorb_losses": "finstab.bank.waterfall:absorb_losses",
    # contagion
    "eisenberg_noe": "finstab.contagion.clearing:eisenberg_noe",
    "debtrank": "finstab.contagion.debtrank:debtrank",
    "rank_nodes": "finstab.contagion.debtrank:rank_nodes",
    "furfine_cascade": "finstab.contagion.cascade:furfine_cascade",
    "ClearingResult": "finstab.contagion.clearing:ClearingResult",
    "DebtRankResult": "finstab.contagion.debtrank:DebtRankResult",
    "CascadeResult": "finstab.contagion.cascade:CascadeResult",
    # early warning
    "klr_signals": "finstab.early_warning:klr_signals",
    # pipelines and store
    "run_monitor": "finstab.pipelines.monitor:run_monitor",
    "run_fce": "finstab.pipelines.monitor:run_fce",
    "run_fund_sizing": "finstab.pipelines.fund:run_fund_sizing",
    "run_financing_plan": "finstab.pipelines.financing:run_financing_plan",
    "run_bank_screen": "finstab.pipelines.bank:run_bank_screen",
    "run_contagion": "finstab.pipelines.contagion:run_contagion",
    "run_warning": "finstab.pipelines.warning:run_warning",
    "run_bank_calibration": "finstab.pipelines.bank:run_bank_calibration",
    "run_bank_memo": "finstab.pipelines.bank:run_bank_memo",
    "run_bank_waterfall": "finstab.pipelines.bank:run_bank_waterfall",
    "run_spillover": "finstab.pipelines.spillover:run_spillover",
    "connectedness": "finstab.contagion.spillover:connectedness",
    "rolling_connectedness": "finstab.contagion.spillover:rolling_connectedness",
    "delta_covar": "finstab.contagion.systemic:delta_covar",
    "srisk": "finstab.contagion.systemic:srisk",
    "Store": "finstab.store.database:Store",
}

__all__ = ["__version__", *sorted(_API)]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("finstab")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+local"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = value = _version()
        return value
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'finstab' has no attribute {name!r}")
    module, attr = target.split(":")
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
