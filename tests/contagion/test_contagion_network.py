"""Network tables, region aggregation, the contagion pipeline and its command."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.contagion import aggregate_network
from finstab.contagion.network import read_network
from finstab.core.errors import DataError, InputError
from finstab.pipelines.contagion import run_contagion
from finstab.samples import sample_path

X3 = np.array([[0, 0, 2], [4, 0, 0], [0, 3, 0.0]])  # X[i, j] = what i lent to j


def test_aggregate_network():
    agg = aggregate_network(X3, ["north", "north", "south"])
    assert agg.loc["north", "north"] == pytest.approx(X3[:2, :2].sum())
    assert agg.loc["south", "north"] == pytest.approx(X3[2, :2].sum())
    assert agg.to_numpy().sum() == pytest.approx(X3.sum())
    with pytest.raises(InputError, match="groups"):
        aggregate_network(X3, ["north", "south"])


def test_read_network_bad_rows(tmp_path):
    banks = sample_path("network/banks.csv")
    edges = tmp_path / "edges.csv"
    edges.write_text("lender,borrower,amount\nB000,B001,5\nB000,B999,3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"edges.csv row 3: borrower 'B999' is not in the bank table"):
        read_network(banks, edges)
    edges.write_text("lender,borrower,amount\nB000,B001,-5\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: exposure -5"):
        read_network(banks, edges)


def test_cli_contagion(tmp_path):
    res = CliRunner().invoke(app, ["contagion", "--shock", "0.2", "--region", "SH", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "ranking" in res.output and "SYNTHETIC" in res.output and "recorded run" in res.output
    assert (tmp_path / "region_matrix.csv").is_file()
    res = CliRunner().invoke(app, ["contagion", "--region", "XX"])
    assert res.exit_code == 2 and "region 'XX'" in res.output


def test_pipeline_with_all_zero_external_assets(tmp_path):
    """Banks holding nothing outside the network: clearing, ranking and cascade still run."""
    banks = pd.read_csv(sample_path("network/banks.csv"), comment="#").assign(external_assets=0.0)
    edges = pd.read_csv(sample_path("network/edges.csv"), comment="#")
    run = run_contagion(banks, edges, shock=0.3)
    clearing = run.tables()["clearing"]
    assert np.isfinite(clearing["payments"]).all() and clearing["defaulted"].any()
    assert run.ranking["impact"].notna().all()
    banks.to_csv(tmp_path / "banks.csv", index=False)
    res = CliRunner().invoke(app, ["contagion", "--banks", str(tmp_path / "banks.csv"),
                                   "--edges", str(sample_path("network/edges.csv")), "--no-store"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
