"""Pipelines: read data and configs, call the models, return one Result (no printing).

One module per method: ``finstab.pipelines.monitor``, ``.fund``, ``.financing``, ``.bank``,
``.contagion``, ``.warning``. Import from the module (or use ``import finstab as fs``).
"""

from importlib import import_module
from typing import Any

_MODULES = {"run_monitor": "monitor", "run_fce": "monitor", "read_votes": "monitor", "run_fund_sizing": "fund",
            "run_financing_plan": "financing", "bank_contributors": "financing", "run_bank_screen": "bank",
            "run_bank_memo": "bank", "run_bank_calibration": "bank", "run_bank_waterfall": "bank",
            "run_contagion": "contagion", "ContagionRun": "contagion",
            "run_warning": "warning"}
__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'finstab.pipelines' has no attribute {name!r}")
    return getattr(import_module(f"finstab.pipelines.{_MODULES[name]}"), name)
