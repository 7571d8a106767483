"""A pipeline's provenance changes when any one of its inputs changes."""

from __future__ import annotations

import shutil

import pytest

import finstab as fs
from finstab.core.io import read_table
from finstab.core.provenance import Provenance
from finstab.samples import sample_path


def test_from_inputs_hashes_every_input_and_decides_synthetic_once():
    import pandas as pd

    a = pd.DataFrame({"x": [1.0, 2.0], "source": ["SYNTHETIC: seed 1", None]})
    p = Provenance.from_inputs("m", inputs={"a": a, "b": a.assign(x=[1.0, 2.5])})
    assert p.synthetic and set(p.input_hashes) == {"a", "b"} and p.input_hashes["a"] != p.input_hashes["b"]
    assert not Provenance.from_inputs("m", inputs={"a": a.drop(columns="source")}).synthetic


def test_monitor():
    df = read_table(sample_path("zibo_sample.csv"))
    base = fs.run_monitor("zibo", df).provenance
    changed = df.copy()
    col = "value" if "value" in df.columns else next(c for c in df.columns if c not in ("region", "period"))
    changed.loc[0, col] = changed.loc[0, col] * 1.01
    assert fs.run_monitor("zibo", changed).provenance.data_hash != base.data_hash
    assert fs.run_monitor("guangxi", sample_path("guangxi_values.csv")).provenance.config_hash != base.config_hash


def test_contagion_hashes_the_banks_too():
    banks, edges = read_table(sample_path("network/banks.csv")), read_table(sample_path("network/edges.csv"))
    base = fs.run_contagion(banks, edges).provenance.data_hash
    assert fs.run_contagion(banks.assign(equity=banks["equity"] / 2), edges).provenance.data_hash != base
    assert fs.run_contagion(banks, edges.assign(amount=edges["amount"] * 1.001)).provenance.data_hash != base


@pytest.fixture
def cca_copy(tmp_path):
    return shutil.copytree(sample_path("cca"), tmp_path / "cca")


def _bump_first_number(path, column):
    df = read_table(path)
    df.loc[0, column] = df.loc[0, column] * (1 + 1e-9)
    df.to_csv(path, index=False)


def test_fund_sizing_hashes_market_data_in_full(cca_copy):
    base = fs.run_fund_sizing(cca_copy).provenance.data_hash
    _bump_first_number(cca_copy / "market.csv", read_table(cca_copy / "market.csv").columns[1])
    assert fs.run_fund_sizing(cca_copy).provenance.data_hash != base


def test_financing_hashes_the_fund_sizing_data(cca_copy):
    base = fs.run_financing_plan(target=600, years=5, n_sims=50, fund_data=cca_copy).provenance.data_hash
    _bump_first_number(cca_copy / "balance_sheets.csv", "total_liabilities")
    assert fs.run_financing_plan(target=600, years=5, n_sims=50, fund_data=cca_copy).provenance.data_hash != base


def test_warning_hashes_panel_and_events():
    events = read_table(sample_path("banks/failures.csv"))
    base = fs.run_warning(events=events).provenance.data_hash
    moved = events.copy()
    moved.loc[0, "failure_quarter"] = str(pd_period(moved.loc[0, "failure_quarter"]) - 1)
    assert fs.run_warning(events=moved).provenance.data_hash != base


def pd_period(text):
    import pandas as pd

    return pd.Period(text, freq="Q")
