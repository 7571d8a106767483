"""Every method of METHODS with the shipped sample files it reads, for the web tests.

``uploads`` maps a method's input name to (sample file, dataset kind); ``params`` are sent as
given (the rest take the shipped defaults); ``drill`` is a (column, value) the run page can
filter by; ``bad`` makes the method fail in its pipeline (input name -> a sample file that is
the wrong table, or parameters), for the error pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    uploads: dict[str, tuple[str, str]]
    params: dict[str, Any] = field(default_factory=dict)
    drill: tuple[str, str] = ("", "")
    bad_uploads: dict[str, str] = field(default_factory=dict)
    bad_params: dict[str, Any] = field(default_factory=dict)


TABLE = "table"
CASES: dict[str, Case] = {
    "monitor": Case({"data": ("zibo_sample.csv", "panel")}, {"system": "zibo"}, ("period", "2018"),
                    bad_uploads={"data": "guangxi_votes.csv"}),
    "fce": Case({"votes": ("guangxi_votes.csv", TABLE)}, {}, ("node", "X1"),
                bad_uploads={"votes": "network/edges.csv"}),
    "fund_sizing": Case({"balance_sheets": ("cca/balance_sheets.csv", TABLE), "market": ("cca/market.csv", TABLE)},
                        {}, ("sector", "household"), bad_uploads={"balance_sheets": "cca/market.csv"}),
    "financing_plan": Case({}, {"target": 600, "years": 5}, ("year", "2"),
                           bad_uploads={"contributors": "network/edges.csv"}),
    "bank_screen": Case({"panel": ("banks/panel.csv", TABLE), "failures": ("banks/failures.csv", TABLE)}, {},
                        ("quarter", "2024Q4"), bad_params={"quarter": "1990Q1"}),
    "contagion": Case({"banks": ("network/banks.csv", TABLE), "edges": ("network/edges.csv", TABLE)},
                      {"shock": 0.2, "region": "SH"}, ("region", "SH"), bad_params={"region": "ZZ"}),
    "early_warning": Case({"events": ("banks/failures.csv", TABLE)}, {}, ("entity", "CITY003"),
                          bad_uploads={"events": "network/banks.csv"}),
    "spillover": Case({"data": ("markets/prices.csv", TABLE)}, {"window": 300}, ("market", "bond"),
                      bad_uploads={"data": "banks/failures.csv"}),
}


def sample_files() -> dict[str, str]:
    """Each sample file any case uploads (good or bad) -> the dataset kind to upload it as."""
    files = {f: kind for case in CASES.values() for f, kind in case.uploads.values()}
    for case in CASES.values():
        for f in case.bad_uploads.values():
            files.setdefault(f, TABLE)
    return files
