"""Bank-screen pipelines: read a panel, screen, calibrate, write the decision memo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from finstab.bank import CalibrationResult, ScreenResult, calibrate_threshold, load_in_params, read_bank_panel, screen
from finstab.bank.memo import Memo, build_memo, load_memo_inputs
from finstab.core.columns import canonical_table
from finstab.core.errors import ConfigError
from finstab.core.io import read_table
from finstab.core.validate import require_columns


def run_bank_screen(data: str | Path | pd.DataFrame, *, params: str | Path | None = None,
                    threshold: float | None = None, failures: str | Path | None = None,
                    penalty: float = 3.0) -> tuple[ScreenResult, CalibrationResult | None]:
    """Screen a bank panel; with ``failures`` (bank, failure_quarter) calibrate the threshold first."""
    p = load_in_params(params)
    panel = read_bank_panel(data, p)
    result = screen(panel, p, threshold)
    if failures is None:
        return result, None
    f = canonical_table(read_table(failures), "failures")
    require_columns(f.columns, ["bank", "failure_quarter"], f.attrs.get("source", "failures"))
    cal = calibrate_threshold(result.frame, dict(zip(f["bank"].astype(str), f["failure_quarter"], strict=True)),
                              penalty)
    return screen(panel, p, cal.threshold if threshold is None else threshold), cal


def run_bank_memo(bank: str, data: str | Path | pd.DataFrame, inputs: str | Path, **kwargs) -> Memo:
    """Screen, then write the decision memo for ``bank`` from the analyst's inputs file."""
    memo_inputs = load_memo_inputs(inputs)
    if memo_inputs.bank != bank:
        raise ConfigError(f"inputs are for bank {memo_inputs.bank!r}, not {bank!r}", where=str(inputs))
    result, _ = run_bank_screen(data, **kwargs)
    return build_memo(result, memo_inputs)
