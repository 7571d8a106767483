"""Shared data for the bank tests: the sample panel as shipped and the paper's IN typed out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from finstab.core.io import read_table
from finstab.samples import sample_path


def paper_in(pcr, ct1car, lcr, cr, lr, inter, amo):
    """methods.md section 3 (seed 002, formula 1), typed out term by term, ratios as decimals."""
    bracket = (0.25 * (1.20 - pcr) / 20 + 0.25 * (0.05 - ct1car) + 0.20 * (1.00 - lcr) / 20
               + 0.15 * (cr - 0.225) / 5 + 0.15 * (0.04 - lr))
    return (inter / 0.7) * (amo / 1.6) * bracket


@pytest.fixture(scope="session")
def independent_in():
    return paper_in


@pytest.fixture(scope="session")
def raw_panel() -> pd.DataFrame:
    """The shipped sample panel with IN computed by hand from its raw cells (no finstab kernel)."""
    df = read_table(sample_path("banks/panel.csv"))
    df = df.assign(in_hand=paper_in(df["pcr"], df["ct1car"], df["lcr"], df["cr"], df["lr"], df["inter"], df["amo"]),
                   q=pd.PeriodIndex(df["quarter"].astype(str), freq="Q"))
    return df


@pytest.fixture(scope="session")
def failures() -> pd.DataFrame:
    return read_table(sample_path("banks/failures.csv"))


@pytest.fixture
def memo_spec() -> dict:
    import yaml

    return yaml.safe_load(sample_path("banks/memo_inputs.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def write_yaml(tmp_path):
    import yaml

    def write(spec: dict, name: str = "inputs.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        return path

    return write
