"""Bank screen for the stability fund: IN index, calibration, volatility, waterfall, memo content."""

from finstab.bank.calibration import CalibrationResult, calibrate_threshold
from finstab.bank.in_index import INParams, in_components, in_index, load_in_params
from finstab.bank.memo import MemoInputs, MemoResult, build_memo, load_memo_inputs
from finstab.bank.screen import ScreenResult, read_bank_panel, screen
from finstab.bank.waterfall import BankBalanceSheet, ResolutionFunds, WaterfallResult, absorb_losses

__all__ = ["BankBalanceSheet", "CalibrationResult", "INParams", "MemoInputs", "MemoResult", "ResolutionFunds",
           "ScreenResult", "WaterfallResult", "absorb_losses", "build_memo", "calibrate_threshold", "in_components",
           "in_index", "load_in_params", "load_memo_inputs", "read_bank_panel", "screen"]
