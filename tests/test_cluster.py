"""Scale-out on a real dask cluster: a scheduler and two workers started by their command-line entry
points on 127.0.0.1; every distributed command gives the local result bit for bit."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import fields
from inspect import signature
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

from finstab.core.errors import ConfigError
from finstab.core.warnings import FinstabWarning
from finstab.fund.merton import merton_solve
from finstab.monitor.systems import load_system
from finstab.pipelines.cluster import open_client, solve_cca_distributed
from finstab.pipelines.fund import run_fund_sizing
from finstab.pipelines.monitor import region_chunks, run_monitor
from finstab.pipelines.spillover import run_spillover
from finstab.samples import sample_path
from finstab.samples.markets import market_returns
from finstab.samples.synthetic import synthetic_wide_panel

distributed = pytest.importorskip("distributed")

SRC = Path(__file__).resolve().parents[1] / "src"
runner = CliRunner()


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate by PID, workers before the scheduler; kill what still runs after a timeout."""
    for group in (procs[1:], procs[:1]):
        for p in group:
            if p.poll() is None:
                p.terminate()
        for p in group:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


def _wait_for_workers(address: str, n: int, tails) -> None:
    """Connect and wait for ``n`` workers. A client's event-loop thread that does not start within
    dask's fixed 10 s (a machine busy with other work) is retried, not counted as a failure."""
    for attempt in range(3):
        try:
            with distributed.Client(address, timeout=30, set_as_default=False) as client:
                client.wait_for_workers(n, timeout=60)
            return
        except AssertionError:  # distributed.utils.LoopRunner: "assert loop is not None"
            if attempt == 2:
                raise
        except (TimeoutError, OSError):
            pytest.fail(f"{n} dask workers did not connect\n{tails()}")


@pytest.fixture(scope="session")
def dask_address(tmp_path_factory) -> str:
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1; yields the scheduler address."""
    exe = Path(sys.executable).with_name("dask")
    if not exe.exists():
        pytest.skip(f"no dask command next to {sys.executable}")
    folder = tmp_path_factory.mktemp("dask")
    sched_file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    procs: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> None:
        log = open(folder / f"{name}.log", "wb")  # closed in the finally below
        logs.append(log)
        procs.append(subprocess.Popen([str(exe), *args, "--scheduler-file", str(sched_file), "--no-dashboard"],
                                      stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder))

    def tails() -> str:
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-2000:] for p in folder.glob("*.log"))

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0")
        for k in range(2):
            start(f"worker{k}", "worker", "--nthreads", "1", "--no-nanny")
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline and procs[0].poll() is None:
            time.sleep(0.1)
        if not sched_file.exists():
            pytest.fail(f"the dask scheduler did not start\n{tails()}")
        address = json.loads(sched_file.read_text())["address"]
        _wait_for_workers(address, 2, tails)
        yield address
    finally:
        _stop(procs)
        for log in logs:
            log.close()


def _same_provenance(a, b) -> None:
    da, db = a.to_dict(), b.to_dict()
    da.pop("created"), db.pop("created")  # the clock, not the inputs
    assert da == db


def _monitor_panel(system_id: str, *, missing: bool = False, seed: int = 0, regions: int = 13,
                   years: int = 6) -> pd.DataFrame:
    """Regions x years (default 13 x 6), one region with a single year, rows shuffled; some cells empty."""
    system = load_system(system_id)
    values, _ = synthetic_wide_panel(system, regions, years, seed=seed)
    ids = [i.id for i in system.tree.indicators]
    df = pd.DataFrame(values, columns=ids)
    df.insert(0, "period", np.tile([str(y) for y in range(2018, 2018 + years)], regions))
    df.insert(0, "region", np.repeat([f"R{k:02d}" for k in range(regions)], years))
    df = df[(df["region"] != "R01") | (df["period"] == "2019")].reset_index(drop=True)
    if missing:
        n = min(30, len(df) // 2)
        cells = df[ids].to_numpy(copy=True)
        cells[:n][np.random.default_rng(seed).random((n, len(ids))) < 0.15] = np.nan
        df[ids] = cells
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# without a cluster
# ----------------------------------------------------------------------------------------------
def test_region_chunks_keep_regions_whole_and_at_least_two_rows():
    regions = np.array(["a", "b", "a", "c", "d", "d", "e", "b"])
    chunks = region_chunks(regions, 4)
    rows = np.concatenate(chunks)
    assert sorted(rows.tolist()) == list(range(len(regions)))
    assert all(len(c) >= 2 for c in chunks)
    owner = {r: k for k, c in enumerate(chunks) for r in set(regions[c])}
    assert all(owner[regions[i]] == k for k, c in enumerate(chunks) for i in c)
    assert [c.tolist() for c in region_chunks(np.array(["x"]), 4)] == [[0]]


def test_cca_in_chunks_here_equals_one_solve():
    rng = np.random.default_rng(5)
    n = 1_001
    j, sj, d = rng.lognormal(3, 1, n), rng.uniform(0.05, 1.5, n), rng.lognormal(3.5, 1.2, n)
    labels = [f"e{k}" for k in range(n)]
    whole = merton_solve(j, sj, d, 0.03, 1.0, labels=labels)
    parts = solve_cca_distributed(j, sj, d, 0.03, 1.0, labels=labels, chunk=300)
    for f in fields(whole):
        a, b = getattr(whole, f.name), getattr(parts, f.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b, equal_nan=True), f.name
    assert parts.labels == tuple(labels)


def test_cca_warnings_from_chunks_name_entities_by_position_among_all():
    j = np.array([1e-9, 5.0, 3.0, 1e-12, 2.0])  # 0 and 3: equity a vanishing sliver of the default point
    sj, d = np.array([5.0, 0.3, 0.8, 9.0, 0.2]), np.array([1e6, 10.0, 10.0, 1e9, 1.0])
    with warnings.catch_warnings(record=True) as here:
        warnings.simplefilter("always")
        whole = merton_solve(j, sj, d, 0.03, 1.0)
    with warnings.catch_warnings(record=True) as there:
        warnings.simplefilter("always")
        parts = solve_cca_distributed(j, sj, d, 0.03, 1.0, chunk=2)
    assert np.array_equal(whole.converged, parts.converged)
    assert parts.labels is None
    flagged = [str(w.message) for w in there if issubclass(w.category, FinstabWarning)]
    if any(issubclass(w.category, FinstabWarning) for w in here):
        for k in np.flatnonzero(~whole.converged):
            assert any(f"index {k}" in m for m in flagged), flagged
        assert getattr(parts, "warnings", ()) == tuple(f"ConvergenceWarning: {m}" for m in flagged)


def test_objective_weights_are_refused_on_dask_before_connecting():
    with pytest.raises(ConfigError, match="whole panel") as err:
        run_monitor("zibo", sample_path("zibo_sample.csv"), objective="entropy", scheduler="tcp://127.0.0.1:9")
    assert err.value.where == "objective"


def test_bad_scheduler_address_is_a_config_error():
    with pytest.raises(ConfigError, match="not a scheduler address") as err, open_client("foo://bar"):
        pass
    assert err.value.where == "scheduler"


def test_missing_dask_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"finstab\[scale\]") as err, open_client("local"):
        pass
    assert err.value.where == "scheduler"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_exits_2_with_one_line(tmp_path):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "finstab.cli.main", "monitor", "--data",
                           str(sample_path("zibo_sample.csv")), "--dask", address, "--no-store"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("error: scheduler:") and address in lines[0] and "within 5 s" in lines[0]


# ----------------------------------------------------------------------------------------------
# on the cluster
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("system_id", "options", "missing"), [
    ("zibo", {}, False), ("zibo", {"missing": "renormalise"}, True), ("guangxi", {"method": "fce"}, False)])
def test_monitor_on_cluster_is_bitwise_local(dask_address, system_id, options, missing):
    panel = _monitor_panel(system_id, missing=missing)
    with warnings.catch_warnings(record=True) as here:
        warnings.simplefilter("always")
        local = run_monitor(system_id, panel, **options)
    with warnings.catch_warnings(record=True) as there:
        warnings.simplefilter("always")
        remote = run_monitor(system_id, panel, scheduler=dask_address, **options)
    assert local.tables().keys() == remote.tables().keys()
    for name, table in local.tables().items():
        assert_frame_equal(table, remote.tables()[name], check_exact=True)
    for f in ("indicator_values", "indicator_scores", "node_scores", "node_membership", "indicator_membership"):
        a, b = getattr(local, f), getattr(remote, f)
        assert (a is None and b is None) or np.array_equal(a, b, equal_nan=True), f
    _same_provenance(local.provenance, remote.provenance)
    assert local.warnings == remote.warnings
    finstab_only = [[str(w.message) for w in seen if issubclass(w.category, FinstabWarning)] for seen in (here, there)]
    assert finstab_only[0] == finstab_only[1]
    if missing:
        assert len(local.warnings) == 1 and "renormalised" in local.warnings[0]


def _returns(n: int = 1_300) -> pd.DataFrame:
    return market_returns().iloc[:n, :3].reset_index()


def test_rolling_spillover_on_cluster_is_bitwise_local(dask_address):
    data = _returns()  # 1,201 windows: three blocks of whole chunks
    local = run_spillover(data, kind="returns", window=100, lags=1, horizon=5)
    remote = run_spillover(data, kind="returns", window=100, lags=1, horizon=5, scheduler=dask_address)
    assert len(local.rolling.frame) == 1_201
    assert_frame_equal(local.rolling.frame, remote.rolling.frame, check_exact=True)
    for name, table in local.tables().items():
        assert_frame_equal(table, remote.tables()[name], check_exact=True)
    _same_provenance(local.provenance, remote.provenance)
    assert local.warnings == remote.warnings


def test_cca_on_cluster_is_bitwise_one_solve(dask_address):
    rng = np.random.default_rng(11)
    n = 12_000  # under any size-based switch of engines; chunks of 4,000 entities
    j, sj, d = rng.lognormal(3, 1, n), rng.uniform(0.05, 1.5, n), rng.lognormal(3.5, 1.2, n)
    r = rng.uniform(0.0, 0.06, n)
    options = {"engine": "numpy"} if "engine" in signature(merton_solve).parameters else {}
    whole = merton_solve(j, sj, d, r, 1.0, **options)
    remote = solve_cca_distributed(j, sj, d, r, 1.0, scheduler=dask_address, chunk=5_000, **options)
    assert type(remote) is type(whole)
    for f in fields(whole):
        a, b = getattr(whole, f.name), getattr(remote, f.name)
        if isinstance(a, np.ndarray):
            assert a.shape == (n,) and np.array_equal(a, b, equal_nan=True), f.name
    if hasattr(whole, "provenance"):
        _same_provenance(whole.provenance, remote.provenance)
    # Hull's example among them: A = 12.40, sigma_A = 21.23 %
    hull = solve_cca_distributed([3.0, *j[:5]], [0.80, *sj[:5]], [10.0, *d[:5]], 0.05, 1.0,
                                 scheduler=dask_address, chunk=2)
    assert round(float(hull.asset_value[0]), 2) == 12.40 and round(float(hull.asset_vol[0]), 4) == 0.2123


def test_fund_monte_carlo_on_cluster_is_bitwise_local(dask_address):
    local = run_fund_sizing(sample_path("cca"), n_sims=3_000, seed=7)
    remote = run_fund_sizing(sample_path("cca"), n_sims=3_000, seed=7, scheduler=dask_address)
    assert_frame_equal(local.monte_carlo, remote.monte_carlo, check_exact=True)
    assert_frame_equal(local.table, remote.table, check_exact=True)
    _same_provenance(local.provenance, remote.provenance)


def _csvs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


@pytest.mark.parametrize("command", ["monitor", "spillover"])
def test_cli_with_dask_address_writes_the_local_tables(dask_address, tmp_path, command):
    from finstab.cli.main import app

    if command == "monitor":
        data = tmp_path / "panel.csv"
        _monitor_panel("zibo", missing=True, regions=5, years=3).to_csv(data, index=False)
        args = ["monitor", "--data", str(data), "--missing", "renormalise"]
    else:
        data = tmp_path / "returns.csv"
        _returns(1_100).to_csv(data, index=False)
        args = ["spillover", "--data", str(data), "--kind", "returns", "--window", "100", "--lags", "1",
                "--horizon", "5"]
    here = runner.invoke(app, [*args, "--out", str(tmp_path / "here"), "--no-store"])
    there = runner.invoke(app, [*args, "--dask", dask_address, "--out", str(tmp_path / "there"), "--no-store"])
    assert here.exit_code == 0, here.output
    assert there.exit_code == 0, there.output
    files = _csvs(tmp_path / "here")
    assert len(files) >= 3 and files == _csvs(tmp_path / "there")


def test_local_cluster_is_worker_processes():
    with open_client("local", n_workers=1) as client:
        assert client.submit(os.getpid, pure=False).result() != os.getpid()
