import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.core.errors import DataError
from finstab.core.provenance import Provenance
from finstab.pipelines import run_monitor
from finstab.samples import sample_path
from finstab.store.database import Store


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "runs.duckdb")


def test_run_round_trip_with_provenance(store):
    result = run_monitor("zibo", sample_path("zibo_sample.csv"))
    rid = store.save(result, "zibo sample")
    stored = store.run(rid)
    assert stored.meta["config_hash"] == result.provenance.config_hash
    assert stored.meta["data_hash"] == result.provenance.data_hash
    assert stored.meta["synthetic"]
    pd.testing.assert_frame_equal(stored.tables["scores"].reset_index(drop=True),
                                  result.to_frame().reset_index(drop=True), check_dtype=False)
    assert store.run(rid[:6]).meta["id"] == rid  # unique prefix
    assert store.diff(rid, store.save(result, "again")).empty


def test_transaction_rolls_back_on_database_error(store, monkeypatch):
    prov = Provenance("test", "c", "d", {})
    import finstab.store.database as st

    original = st.run_tables.insert

    def failing_insert():
        raise RuntimeError("disk full")

    monkeypatch.setattr(st.run_tables, "insert", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        store.save_run("test", "half", prov, {"t": pd.DataFrame({"a": [1.0]})}, "s")
    monkeypatch.setattr(st.run_tables, "insert", original)
    assert store.runs().empty  # the run row inserted before the failure was rolled back
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from run_tables")).scalar() == 0


def test_diff_finds_changed_numbers(store):
    prov = Provenance("t", "c", "d", {})
    a = store.save_run("t", "a", prov, {"s": pd.DataFrame({"region": ["A", "B"], "score": [50.0, 60.0]})}, "")
    b = store.save_run("t", "b", prov, {"s": pd.DataFrame({"region": ["A", "B"], "score": [50.0, 65.5]})}, "")
    diff = store.diff(a, b)
    assert diff.to_dict("records") == [{"table": "s", "key": "B", "column": "score", "a": 60.0, "b": 65.5,
                                        "delta": 5.5, "change": "value"}]
    with pytest.raises(DataError, match="no run 'ffff'"):
        store.run("ffff")


def test_datasets(store):
    frame = pd.DataFrame({"region": ["A"], "period": [2020], "x": [1.5]})
    did = store.add_dataset("panel.csv", "panel", frame)
    pd.testing.assert_frame_equal(store.dataset(did), frame)
    assert store.datasets()["id"].tolist() == [did]


def test_runs_cli_and_report(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "s.duckdb")
    res = runner.invoke(app, ["monitor", "--data", str(sample_path("zibo_sample.csv")), "--store", db])
    assert res.exit_code == 0, res.output
    rid = Store(db).runs()["id"][0]
    assert runner.invoke(app, ["runs", "list", "--store", db]).exit_code == 0
    res = runner.invoke(app, ["runs", "show", rid, "--store", db])
    assert res.exit_code == 0 and "config" in res.output and "SYNTHETIC" in res.output
    res = runner.invoke(app, ["runs", "diff", rid, rid, "--store", db])
    assert "no differences" in res.output
    res = runner.invoke(app, ["report", rid, "--store", db, "--out", str(tmp_path / "r"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r" / f"report_{rid}.html").read_text(encoding="utf-8")
    assert "@font-face" in html and "SYNTHETIC" in html
    res = runner.invoke(app, ["runs", "show", "nope", "--store", db])
    assert res.exit_code == 2 and "no run 'nope'" in res.output


def test_any_sqlalchemy_url(tmp_path):
    """The same code path serves PostgreSQL URLs; SQLite stands in for a server here."""
    store = Store(f"sqlite:///{tmp_path / 'shared.sqlite'}")
    prov = Provenance("t", "c", "d", {"k": 1})
    rid = store.save_run("t", "label", prov, {"s": pd.DataFrame({"region": ["A"], "score": [1.5]})}, "summary")
    assert store.run(rid).tables["s"]["score"].tolist() == [1.5]


def test_pdf_failure_is_a_clear_error(tmp_path, monkeypatch):
    import finstab.report.stored as stored
    from finstab.core.errors import ConfigError

    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(stored, "CHROMIUM", (str(fake),))
    html = tmp_path / "r.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"--pdf: .*could not print .*cannot open display"):
        stored.html_to_pdf(html, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_stored_monitor_run_comes_back_as_the_same_result(store):
    result = run_monitor("zibo", sample_path("zibo_sample.csv"))
    back = store.load(store.save(result, label="zibo"))
    assert type(back) is type(result)
    for name, table in result.tables().items():
        pd.testing.assert_frame_equal(back.tables()[name], table, check_dtype=False)
    assert back.provenance == result.provenance
    assert back.with_lang("en").summary() == result.with_lang("en").summary()
