"""`runs diff` aligns rows on keys, reports grade changes, and refuses runs that are not comparable."""

import pytest
from typer.testing import CliRunner

import finstab as fs
from finstab.cli.main import app
from finstab.core.errors import DataError
from finstab.core.io import read_table
from finstab.samples import sample_path
from finstab.store import Store


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "runs.duckdb")


def test_value_and_grade_changes_are_aligned_on_keys(store):
    panel = read_table(sample_path("zibo_sample.csv"))
    base = fs.run_monitor("zibo", panel)
    a = store.save(base, label="a")
    # shuffled rows must not matter: rows are matched on (region, period, node), not position
    b = store.save(fs.run_monitor("zibo", panel.sample(frac=1, random_state=1)), label="b")
    assert store.diff(a, b).empty
    # raise the whole panel's total above 60: the grade changes from moderate to basically safe
    nodes = base.node_frame()
    last = nodes[(nodes["node"] == "total")].iloc[-1]
    assert last["grade"] == "moderate"
    shifted = base.__class__(base.system, base.keys, base.indicator_values, base.indicator_scores,
                             base.node_scores + (61 - base.node_scores[:, :1]), provenance=base.provenance)
    c = store.save(shifted, label="c")
    diff = store.diff(a, c)
    grade = diff[(diff["table"] == "scores") & (diff["change"] == "grade")]
    assert len(grade) == len(base.keys) and set(grade["b"]) == {"basically_safe"}
    total = diff[(diff["table"] == "scores") & (diff["column"] == "total")]
    assert (total["b"].astype(float) == 61).all()


def test_runs_of_different_kind_or_system_are_refused(store):
    zibo = store.save(fs.run_monitor("zibo", sample_path("zibo_sample.csv")))
    gx = store.save(fs.run_monitor("guangxi", sample_path("guangxi_values.csv")))
    net = store.save(fs.run_contagion(sample_path("network/banks.csv"), sample_path("network/edges.csv")))
    with pytest.raises(DataError, match="differ in system"):
        store.diff(zibo, gx)
    with pytest.raises(DataError, match="monitor run and run B a contagion run"):
        store.diff(zibo, net)
    res = CliRunner().invoke(app, ["runs", "diff", zibo, net, "--store", str(store.url.split("///")[1])])
    assert res.exit_code == 2 and "not comparable" in res.output and "Traceback" not in res.output
