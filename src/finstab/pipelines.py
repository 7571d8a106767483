"""Pipelines: read data and configs, call the models, return results (no printing)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from finstab.errors import ConfigError
from finstab.io import read_table
from finstab.monitor import Monitor, MonitorResult
from finstab.systems import load_system
from finstab.systems.schema import IndicatorSystem


def run_monitor(system: str | Path | IndicatorSystem, data: str | Path | pd.DataFrame,
                method: str = "threshold", missing: str = "error") -> MonitorResult:
    """Load a system and a panel, then evaluate with the chosen evaluator."""
    sys_obj = system if isinstance(system, IndicatorSystem) else load_system(system)
    frame = data if isinstance(data, pd.DataFrame) else read_table(data)
    if method != "threshold":
        raise ConfigError(f"unknown method {method!r}; expected 'threshold'", where="--method")
    return Monitor(sys_obj, missing=missing).evaluate(frame)
