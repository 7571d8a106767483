import re

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.core.errors import ConfigError, DataError
from finstab.core.provenance import Provenance
from finstab.pipelines import run_monitor
from finstab.samples import sample_path
from finstab.store.database import Store, StoreUnavailable


@pytest.fixture
def store(store_location):
    """A store in a DuckDB file, then in PostgreSQL (when $FINSTAB_TEST_PG names a server)."""
    return Store(store_location)


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


# ------------------------------------------------------------------------- never lose a run
HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold_file(path, seconds):
    """Another process holding the DuckDB file open (as a server that kept it would)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


@pytest.mark.parametrize(("name", "content", "message"), [
    ("results.csv", None, "a new store file must end in .duckdb"),
    ("results.csv", b"region,period\nA,1\n", "not a DuckDB database"),
    ("runs.duckdb", b"", "not a DuckDB database (empty file)"),
    ("folder", "dir", "is a folder"),
])
def test_only_duckdb_files_are_stores(tmp_path, name, content, message):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(message)):
        Store(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ([name] if content is not None else [])


def test_urls_are_checked_and_passwords_never_shown(tmp_path):
    with pytest.raises(ConfigError, match="not a valid database URL"):
        Store("postgresql://user:pw@:::bad")
    with pytest.raises(ConfigError, match="cannot open store"):
        Store("nosuchdb+driver://user:hunter2-secret@localhost/x")
    with pytest.raises(ConfigError) as err:
        Store("postgresql+psycopg://user:hunter2-secret@127.0.0.1:1/x", timeout=1)
    assert "hunter2" not in str(err.value) and "***" in str(err.value) and "\n" not in str(err.value)
    sqlite = Store(f"sqlite:///{tmp_path / 'ok.sqlite'}")
    assert sqlite.check() is sqlite


def test_read_only_stores(tmp_path):
    db = tmp_path / "ro.duckdb"
    with pytest.raises(ConfigError, match="no store here yet"):
        Store(db, read_only=True)
    assert not db.exists()  # a read-only open creates nothing
    rid = Store(db).save_run("t", "a", Provenance("t", "c", "d", {}), {"s": pd.DataFrame({"x": [1.0]})}, "s")
    ro = Store(db, read_only=True)
    assert ro.runs()["id"].tolist() == [rid]
    with pytest.raises(ConfigError, match="read-only"):
        ro.save_run("t", "b", Provenance("t", "c", "d", {}), {}, "s")
    import duckdb

    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    with pytest.raises(ConfigError, match="not a finstab store"):
        Store(tmp_path / "other.duckdb", read_only=True)


def test_writers_wait_for_a_busy_file_then_give_one_line(tmp_path):
    db = tmp_path / "busy.duckdb"
    Store(db)
    prov = Provenance("t", "c", "d", {})
    holder = hold_file(db, 1.0)
    try:  # the holder lets go after about a second: the write waits and succeeds
        rid = Store(db, timeout=60).save_run("t", "waited", prov, {"s": pd.DataFrame({"x": [1.0]})}, "s")
    finally:
        holder.wait()
    assert Store(db).run(rid).meta["label"] == "waited"
    holder = hold_file(db, 30)
    try:
        with pytest.raises(StoreUnavailable) as err:
            Store(db, timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
    assert "busy" in str(err.value) and "\n" not in str(err.value)


def test_cli_refuses_a_csv_store_before_any_work(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["monitor", "--data", str(sample_path("zibo_sample.csv")),
                                   "--store", str(tmp_path / "some.csv"), "--out", str(out)])
    assert res.exit_code == 2 and "recorded run" not in res.output and "Traceback" not in res.output
    assert "a new store file must end in .duckdb" in res.output
    assert not out.exists() and not (tmp_path / "some.csv").exists()


def test_read_commands_work_while_the_web_server_runs(tmp_path):
    fastapi = pytest.importorskip("fastapi")  # noqa: F841
    from fastapi.testclient import TestClient

    from finstab.web.app import create_app

    db = str(tmp_path / "shared.duckdb")
    token = "analyst-token-0123456789"
    client = TestClient(create_app(db, {token: "analyst"}))
    data = sample_path("zibo_sample.csv").read_bytes()
    did = client.post("/api/datasets", files={"file": ("z.csv", data)},
                      headers={"Authorization": f"Bearer {token}"}).json()["id"]
    import subprocess
    import sys

    run = [sys.executable, "-m", "finstab.cli.main"]
    res = subprocess.run([*run, "runs", "list", "--store", db], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([*run, "monitor", "--data", str(sample_path("zibo_sample.csv")), "--store", db],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "recorded run" in res.stdout, res.stderr
    assert client.post("/api/runs", json={"dataset_id": did, "preset": "zibo"},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 201
    assert len(Store(db, read_only=True).runs()) == 2


WRITER = """
import sys, time
from pathlib import Path
import pandas as pd
from finstab.core.provenance import Provenance
from finstab.store.database import Store, StoreUnavailable

location, gate, k = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
store = Store(location, timeout=120)
while not gate.exists():  # start together
    time.sleep(0.01)
for j in range(3):
    store.save_run("t", f"process {k} run {j}", Provenance("t", "c", "d", {"k": k}),
                   {"s": pd.DataFrame({"x": [float(k)] * 50})}, "s")
print("done", flush=True)
"""


def test_four_processes_record_at_once_and_every_run_is_kept(store_location, tmp_path):
    import subprocess
    import sys

    Store(store_location)  # tables exist before the race (each process would create them too)
    gate = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store_location, str(gate), str(k)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(4)]
    gate.touch()
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-500:] for _, err in outputs]
    labels = sorted(Store(store_location, read_only=True).runs()["label"])
    assert labels == sorted(f"process {k} run {j}" for k in range(4) for j in range(3))


def test_tables_with_repeated_column_names_are_stored_as_given():
    from finstab.store.database import _from_json, _to_json

    df = pd.DataFrame([[1.0, "a", pd.Timestamp("2021-03-31")]], columns=["x", "x", "when"])
    back = _from_json(_to_json(df))
    assert back.columns.tolist() == ["x", "x", "when"] and back.iloc[0].tolist() == df.iloc[0].tolist()
