"""Same inputs, same numbers: the Python API, the CLI (stored run) and the report agree for every method."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import finstab as fs
from finstab.cli.main import app
from finstab.pipelines.methods import run_method
from finstab.samples import sample_frame, sample_path
from finstab.store import Store

NETWORK = {"banks": sample_frame("network/banks.csv"), "edges": sample_frame("network/edges.csv")}

#: method -> (Python call through run_method, equivalent CLI arguments)
CASES = {
    "monitor": (lambda: run_method("monitor", {"data": sample_frame("zibo_sample.csv")}, {"system": "zibo"}),
                ["monitor", "--system", "zibo", "--data", str(sample_path("zibo_sample.csv"))]),
    "fce": (lambda: run_method("fce", {"votes": sample_frame("guangxi_votes.csv")}),
            ["fce", "--votes", str(sample_path("guangxi_votes.csv"))]),
    "fund_sizing": (lambda: fs.run_fund_sizing(sample_path("cca"), year=2020),
                    ["fund", "size", "--data", str(sample_path("cca")), "--year", "2020"]),
    "financing_plan": (lambda: run_method("financing_plan", {}, {"target": 600, "years": 5}),
                       ["fund", "plan", "--target", "600", "--years", "5"]),
    "contagion": (lambda: run_method("contagion", NETWORK, {"shock": 0.2, "region": "SH"}),
                  ["contagion", "--banks", str(sample_path("network/banks.csv")), "--edges",
                   str(sample_path("network/edges.csv")), "--shock", "0.2", "--region", "SH"]),
    "early_warning": (lambda: run_method("early_warning", {"events": sample_frame("banks/failures.csv")}),
                      ["warn", "--events", str(sample_path("banks/failures.csv"))]),
    "bank_screen": (lambda: run_method("bank_screen", {"panel": sample_frame("banks/panel.csv"),
                                                       "failures": sample_frame("banks/failures.csv")}),
                    ["bank", "screen", "--data", str(sample_path("banks/panel.csv")), "--failures",
                     str(sample_path("banks/failures.csv"))]),
    "spillover": (lambda: run_method("spillover", {"data": sample_frame("markets/prices.csv")}, {"window": 300}),
                  ["spillover", "--data", str(sample_path("markets/prices.csv")), "--window", "300"]),
}


@pytest.mark.parametrize("method", sorted(CASES))
def test_python_cli_and_store_give_the_same_numbers(method, tmp_path):
    python_call, args = CASES[method]
    expected = python_call()
    store = tmp_path / "runs.duckdb"
    res = CliRunner().invoke(app, [*args, "--store", str(store), "--lang", "en"])
    assert res.exit_code == 0, res.output
    runs = Store(store)
    stored = runs.load(runs.runs(kind=expected.kind)["id"].iloc[0])
    assert stored.kind == expected.kind
    for name, table in expected.tables().items():
        got = stored.tables()[name]
        pd.testing.assert_frame_equal(got.reset_index(drop=True), table.reset_index(drop=True), check_dtype=False,
                                      check_exact=False, rtol=1e-12, obj=f"{method}.{name}")
