"""Bank screen for the stability fund: IN index, calibration, volatility, waterfall, memo."""

from finstab.bank.calibration import CalibrationResult, calibrate_threshold
from finstab.bank.in_index import INParams, in_components, in_index, load_in_params
from finstab.bank.screen import ScreenResult, read_bank_panel, screen
from finstab.bank.waterfall import BankBalanceSheet, ResolutionFunds, WaterfallResult, absorb_losses

__all__ = ["BankBalanceSheet", "CalibrationResult", "INParams", "ResolutionFunds", "ScreenResult",
           "WaterfallResult", "absorb_losses", "calibrate_threshold", "in_components", "in_index",
           "load_in_params", "read_bank_panel", "screen"]
