"""Every method by name, with the input tables it reads and the parameters it takes.

The faces that run methods generically (the web dashboard, the cross-face tests) call
:func:`run_method`; the CLI commands call the same pipeline functions with the same defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from finstab.core.errors import ConfigError
from finstab.core.results import Result


@dataclass(frozen=True)
class Method:
    """A method's required and optional input tables and how to run it."""

    name_zh: str
    name_en: str
    inputs: tuple[str, ...]
    optional: tuple[str, ...]
    run: Callable[[Mapping[str, pd.DataFrame], Mapping[str, Any]], Result]


def _monitor(t, p):
    from finstab.pipelines.monitor import run_monitor

    return run_monitor(p.get("system", "zibo"), t["data"], method=p.get("method", "threshold"),
                       missing=p.get("missing", "error"), objective=p.get("objective"), alpha=p.get("alpha", 0.5))


def _fce(t, p):
    from finstab.pipelines.monitor import run_fce

    return run_fce(p.get("system", "guangxi"), votes=t.get("votes"), data=t.get("data"),
                   operator=p.get("operator", "weighted_average"))


def _fund(t, p):
    from finstab.pipelines.fund import run_fund_sizing

    return run_fund_sizing(balance_sheets=t["balance_sheets"], market=t["market"], alpha=p.get("alpha", 0.05),
                           year=p.get("year"), n_sims=p.get("n_sims", 0), seed=p.get("seed", 0))


def _financing(t, p):
    from finstab.fund import defaults
    from finstab.pipelines.financing import run_financing_plan

    return run_financing_plan(target=p.get("target"), years=p.get("years", 5), contributors=t.get("contributors"),
                              coverage=p.get("coverage", defaults.COVERAGE), n_sims=p.get("n_sims", defaults.SIMS))


def _bank(t, p):
    from finstab.pipelines.bank import run_bank_screen

    return run_bank_screen(t["panel"], failures=t.get("failures"), threshold=p.get("threshold"),
                           quarter=p.get("quarter"))


def _contagion(t, p):
    from finstab.pipelines.contagion import run_contagion

    return run_contagion(t["banks"], t["edges"], shock=p.get("shock", 0.05), region=p.get("region"))


def _warning(t, p):
    from finstab.pipelines.warning import run_warning

    return run_warning(system=p.get("system"), data=t.get("data"), events=t["events"], horizon=p.get("horizon", 4),
                       threshold=p.get("threshold", 0.5))


def _spillover(t, p):
    from finstab.pipelines.spillover import run_spillover

    return run_spillover(t["data"], kind=p.get("kind", "prices"), window=p.get("window", 200),
                         lags=p.get("lags", 4), horizon=p.get("horizon", 10))


METHODS: dict[str, Method] = {
    "monitor": Method("区域金融风险监测", "regional risk monitor", ("data",), (), _monitor),
    "fce": Method("模糊综合评价", "AHP-FCE", (), ("votes", "data"), _fce),
    "fund_sizing": Method("基金规模 (或有权益)", "fund sizing (CCA)", ("balance_sheets", "market"), (), _fund),
    "financing_plan": Method("筹资方案", "financing plan", (), ("contributors",), _financing),
    "bank_screen": Method("银行筛查 (IN)", "bank screen (IN)", ("panel",), ("failures",), _bank),
    "contagion": Method("风险传染", "contagion", ("banks", "edges"), (), _contagion),
    "early_warning": Method("早期预警 (KLR)", "early warning (KLR)", ("events",), ("data",), _warning),
    "spillover": Method("溢出效应", "spillover connectedness", ("data",), (), _spillover),
}


def run_method(method: str, tables: Mapping[str, pd.DataFrame], params: Mapping[str, Any] | None = None) -> Result:
    """Run ``method`` on named input tables with the shipped defaults for every parameter not given.

    Examples
    --------
    >>> from finstab.samples import sample_frame
    >>> run_method("monitor", {"data": sample_frame("zibo_sample.csv")}, {"system": "zibo"}).kind
    'monitor'
    """
    spec = METHODS.get(method)
    if spec is None:
        raise ConfigError(f"unknown method {method}; choose from {', '.join(METHODS)}", where="method")
    missing = [name for name in spec.inputs if name not in tables]
    if missing:
        raise ConfigError(f"{method} needs the input table(s) {', '.join(missing)}", where="inputs")
    unknown = sorted(set(tables) - set(spec.inputs) - set(spec.optional))
    if unknown:
        raise ConfigError(f"{method} takes no input named {', '.join(unknown)}; it reads "
                          f"{', '.join(spec.inputs + spec.optional)}", where="inputs")
    return spec.run(tables, dict(params or {}))
