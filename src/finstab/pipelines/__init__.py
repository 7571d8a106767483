"""Pipelines: read data and configs, call the models, return results (no printing).

One module per method; everything is re-exported here so ``from finstab.pipelines import
run_monitor`` keeps working.
"""

from finstab.pipelines.bank import run_bank_memo, run_bank_screen
from finstab.pipelines.contagion import ContagionRun, run_contagion
from finstab.pipelines.financing import bank_contributors, run_financing_plan
from finstab.pipelines.fund import run_fund_sizing
from finstab.pipelines.monitor import read_votes, run_fce, run_monitor
from finstab.pipelines.warning import WarningRun, run_warning

__all__ = ["ContagionRun", "WarningRun", "bank_contributors", "read_votes", "run_bank_memo",
           "run_bank_screen", "run_contagion", "run_fce", "run_financing_plan", "run_fund_sizing", "run_monitor",
           "run_warning"]
