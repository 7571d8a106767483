import pytest
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.samples import sample_path

runner = CliRunner()


def test_cli_screen_records_the_calibration(tmp_path):
    from finstab.store.database import Store

    db = str(tmp_path / "runs.duckdb")
    res = runner.invoke(app, ["bank", "screen", "--quarter", "2021Q1", "--failures",
                              str(sample_path("banks/failures.csv")), "--store", db, "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "IN screen 2021Q1:" in res.output and "CITY017" in res.output
    assert "hit rate 2/8 (25%" in res.output and "warning: CalibrationWarning" in res.output
    assert "Traceback" not in res.output
    store = Store(db)
    cal = store.load(store.runs(kind="bank_calibration")["id"].iloc[0])
    screened = store.load(store.runs(kind="bank_screen")["id"].iloc[0])
    assert cal.threshold == pytest.approx(0.0016127, rel=1e-4) == screened.threshold
    # a later screen can take the stored threshold explicitly
    res = runner.invoke(app, ["bank", "screen", "--threshold", repr(cal.threshold), "--no-store", "--lang", "en"])
    assert res.exit_code == 0 and f"above the threshold {cal.threshold:.6g} (given)" in res.output


def test_cli_calibrate_median(tmp_path):
    res = runner.invoke(app, ["bank", "calibrate", "--combine", "median", "--no-store", "--lang", "en",
                              "--out", str(tmp_path / "cal")])
    assert res.exit_code == 0, res.output
    assert "median of IN at the jump of 8 failed banks; hit rate 4/8 (50%" in res.output
    assert "CalibrationWarning" not in res.output
    assert (tmp_path / "cal" / "jumps.csv").is_file()


def test_cli_memo_and_waterfall(tmp_path, memo_spec, write_yaml):
    res = runner.invoke(app, ["bank", "memo", "--bank", "CITY003", "--out", str(tmp_path), "--no-store"])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "memo_CITY003.md").read_text(encoding="utf-8")
    for k in range(1, 9):
        assert f"## {k}." in md
    assert "fund may intervene = **True**" in md and "合成数据" in md
    assert (tmp_path / "memo_CITY003.html").is_file()
    dsib = write_yaml({**memo_spec, "bank": "DSIB001"})
    res = runner.invoke(app, ["bank", "memo", "--bank", "DSIB001", "--inputs", str(dsib), "--out",
                              str(tmp_path / "d"), "--no-store", "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "systemic impact yes: presumed (D-SIB)" in res.output
    assert "systemic impact: presumed (a D-SIB" in (tmp_path / "d" / "memo_DSIB001.md").read_text(encoding="utf-8")
    res = runner.invoke(app, ["bank", "waterfall", "--bank", "DSIB001", "--inputs", str(dsib), "--no-store",
                              "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "systemic impact: presumed (a D-SIB" in res.output and "fund may intervene = True" in res.output


@pytest.mark.parametrize(("args", "message"), [
    (["screen", "--quarter", "2021Q9"], "quarter: '2021Q9' is not a quarter like 2021Q1"),
    (["screen", "--threshold", "nan"], "threshold: nan is not a finite number"),
    (["screen", "--threshold", "inf"], "threshold: inf is not a finite number"),
    (["calibrate", "--penalty", "-1"], "penalty_factor: -1 is not a positive number"),
    (["screen", "--failures", "BAD", "--penalty", "-1"], "penalty_factor: -1 is not a positive number"),
    (["screen", "--failures", "BAD"], "row 3: bank 'CITY017': failure_quarter '2021Q7' is not a quarter"),
    (["calibrate", "--failures", "BAD"], "row 3: bank 'CITY017': failure_quarter '2021Q7' is not a quarter"),
    (["screen", "--combine", "mode"], "combine: 'mode' is not one of"),
    (["screen", "--data", str(sample_path("banks/panel.csv"))], "no threshold: give failures or a threshold"),
    (["screen", "--quarter", "2030Q1"], "no quarter 2030Q1 in the panel"),
    (["memo", "--bank", "NOPE"], "inputs are for bank 'CITY003', not 'NOPE'"),
    (["memo", "--bank", "CITY003", "--data", str(sample_path("banks/panel.csv"))], "no threshold"),
])
def test_cli_bad_inputs_exit_2_and_write_nothing(tmp_path, args, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("bank,failure_quarter\nCITY003,2021Q2\nCITY017,2021Q7\n", encoding="utf-8")
    args = [str(bad) if a == "BAD" else a for a in args]
    out = tmp_path / "out"
    res = runner.invoke(app, ["bank", *args, "--out", str(out), "--store", str(tmp_path / "runs.duckdb")])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split()) and "Traceback" not in res.output
    assert not out.exists()
