import warnings

import numpy as np
import pandas as pd
import pytest

from finstab.bank import ScreenResult, read_bank_panel, screen
from finstab.core.errors import ConfigError, DataError, InputError
from finstab.core.io import read_table
from finstab.core.warnings import CalibrationWarning
from finstab.pipelines.bank import run_bank_screen
from finstab.samples import sample_path

PANEL = sample_path("banks/panel.csv")
FAILURES = sample_path("banks/failures.csv")


def _screen(**kwargs) -> ScreenResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return run_bank_screen(PANEL, **kwargs)


def test_screen_flags_and_dsibs(raw_panel):
    res = screen(read_bank_panel(PANEL), threshold=0.001)
    assert sorted(res.dsibs["bank"].unique()) == [f"DSIB{k:03d}" for k in range(5)]
    assert not res.frame["bank"].str.startswith("DSIB").any()
    f = res.frame
    hand = raw_panel[~raw_panel["dsib"].astype(bool)].sort_values(["bank", "q"])["in_hand"].to_numpy()
    np.testing.assert_array_equal(f["above_threshold"].to_numpy(dtype=bool), hand >= 0.001)
    np.testing.assert_array_equal(f["watch"].to_numpy(dtype=bool), hand >= 0)
    assert (f["systemic_evidence"].to_numpy(dtype=bool)
            == ((hand >= 0.001) & f["abnormal_volatility"].to_numpy(dtype=bool))).all()
    np.testing.assert_allclose(f[[f"contrib_{r}" for r in ("pcr", "ct1car", "lcr", "cr", "lr")]].sum(axis=1),
                               hand, atol=1e-15)
    assert res.provenance.synthetic
    with pytest.raises(DataError, match="a D-SIB"):
        res.bank("DSIB000")


def test_volatility_alarm_by_hand():
    """Bank B0 is flat, then its provision coverage alternates by +-0.3 from 2017Q1 on; 9 banks move a little.

    From 2017Q1 the rolling std of B0's last 4 IN changes is > 0 = twice its own median so far,
    and the largest of the 10 banks (percentile 1.0 >= 0.9): abnormal; before, its volatility is 0,
    the lowest of the cross-section: never abnormal.
    """
    quarters = [str(q) for q in pd.period_range("2015Q1", periods=12, freq="Q")]
    rows = []
    rng = np.random.default_rng(1)
    for b in range(10):
        for k, q in enumerate(quarters):
            if b == 0:
                pcr = 2.0 + (0.3 * (-1) ** k if k >= 8 else 0.0)
            else:
                pcr = 2.0 + 0.001 * rng.normal()
            rows.append({"bank": f"B{b}", "quarter": q, "pcr": pcr, "ct1car": 0.1, "lcr": 1.5, "cr": 0.2, "lr": 0.06,
                         "inter": 0.7, "amo": 1.6})
    res = screen(pd.DataFrame(rows), threshold=-1.0)
    b0 = res.bank("B0")
    abnormal = b0[b0["abnormal_volatility"]]["quarter"].astype(str).tolist()
    assert abnormal == ["2017Q1", "2017Q2", "2017Q3", "2017Q4"]
    assert b0["systemic_evidence"].astype(bool).tolist() == [False] * 8 + [True] * 4  # every IN >= -1


def test_no_silent_threshold():
    with pytest.raises(ConfigError, match=r"threshold: no threshold: give failures or a threshold \(e.g. from a "
                                          r"stored calibration run\)"):
        run_bank_screen(PANEL)
    res = screen(read_bank_panel(PANEL))  # the kernel computes IN; the threshold flags are unknown, not False
    assert res.threshold is None and res.frame["above_threshold"].isna().all()
    assert res.frame["systemic_evidence"].isna().sum() > 0 and "no threshold" in res.with_lang("en").summary()


def test_threshold_sources_and_calibration_carried():
    given = _screen(threshold=0.002)
    assert (given.threshold, given.threshold_source, given.calibration) == (0.002, "given", None)
    calibrated = _screen(failures=FAILURES)
    assert calibrated.threshold_source == "calibrated"
    assert calibrated.threshold == pytest.approx(calibrated.calibration.threshold)
    assert any(w.startswith("CalibrationWarning") for w in calibrated.warnings)
    assert "calibration_jumps" in calibrated.tables()
    both = _screen(failures=FAILURES, threshold=0.002)  # an explicit threshold wins; the back-test is still shown
    assert both.threshold == 0.002 and both.calibration is not None


def test_summary_names_the_quarter_the_table_shows(raw_panel):
    res = _screen(threshold=0.001, quarter="2021Q1")
    table = res.to_frame()
    assert set(table["quarter"]) == {"2021Q1"}
    first = res.with_lang("en").summary().splitlines()[0]
    hand = raw_panel[(raw_panel["quarter"] == "2021Q1") & ~raw_panel["dsib"].astype(bool)]["in_hand"]
    assert first.startswith(f"IN screen 2021Q1: {len(hand)} non-D-SIB banks, {int((hand >= 0).sum())} at IN >= 0")
    assert f"{int((hand >= 0.001).sum())} above the threshold 0.001" in first
    assert len(table) == int(((hand >= 0) | (hand >= 0.001)).sum())
    assert res.summary().startswith("IN 筛查 2021Q1")
    assert str(res.at("2022Q3").quarter) == "2022Q3" and "2022Q3" in res.at("2022Q3").summary()
    assert str(_screen(threshold=0.001).quarter) == "2024Q4"


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"threshold": 0.001, "quarter": "2021Q9"}, InputError, r"quarter: '2021Q9' is not a quarter like 2021Q1"),
    ({"threshold": 0.001, "quarter": "2030Q1"}, DataError, r"quarter: no quarter 2030Q1 in the panel"),
    ({"threshold": float("nan")}, InputError, "threshold: nan is not a finite number"),
    ({"threshold": "abc"}, InputError, "threshold: 'abc' is not a number"),
    ({"failures": FAILURES, "penalty": -1}, InputError, "penalty_factor: -1 is not a positive number"),
    ({"failures": FAILURES, "combine": "mode"}, InputError, "combine"),
])
def test_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        _screen(**kwargs)


def _panel_csv(tmp_path, edit):
    df = read_table(PANEL).head(200)
    df = edit(df)
    path = tmp_path / "panel.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.assign(lcr=d["lcr"].where(d.index != 5, -0.3)),
     r"panel.csv: bank 'CITY000', quarter 2016Q2, column 'lcr': -0.3 is negative"),
    (lambda d: d.assign(cr=d["cr"].where(d.index != 7, 3.0)), r"column 'cr': 3 is impossible"),
    (lambda d: d.drop(columns="amo"), r"missing column\(s\) 'amo'"),
    (lambda d: d.assign(quarter=d["quarter"].where(d.index != 3, "2015Q1")), "appears twice"),
    (lambda d: d.assign(quarter=d["quarter"].where(d.index != 3, "2015Q9")), r"'2015Q9' is not a quarter"),
    (lambda d: d.iloc[[0, 2, 1, *range(3, len(d))]], r"quarter 2015Q2, column 'quarter': comes after 2015Q3"),
    (lambda d: d.assign(pcr=d["pcr"].astype(object).where(d.index != 2, "abc")), r"'abc' is not a number"),
    (lambda d: d.assign(pcr=d["pcr"].where(d.index != 2, None)), r"quarter 2015Q3, column 'pcr': is empty"),
])
def test_bad_panels(tmp_path, edit, message):
    with pytest.raises(DataError, match=message):
        read_bank_panel(_panel_csv(tmp_path, edit))


def test_screen_result_protocol_files_and_store(tmp_path):
    from finstab.store.database import Store

    res = _screen(failures=FAILURES, quarter="2021Q1")
    assert res.kind == "bank_screen" and str(res) == res.summary() and res.summary().endswith(res.footer())
    assert list(res.tables())[:3] == ["watch_list", "screen", "dsibs"]
    assert res.to_frame().equals(res.tables()["watch_list"])
    assert {"bank", "quarter"} <= set(res.to_frame().columns)
    assert pd.api.types.is_string_dtype(res.to_frame()["quarter"])
    zh, en = res.tables(), res.with_lang("en").tables()
    assert all(zh[k].equals(en[k]) for k in zh)
    small = read_table(PANEL)
    small = small[small["bank"].isin(["CITY003", "CITY017", *(f"RURAL{k:03d}" for k in range(10)), "DSIB000"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        few = run_bank_screen(small, failures=read_table(FAILURES).head(2), quarter="2021Q1")
    written = {p.name for p in few.write(tmp_path / "out")}
    assert {"watch_list.csv", "screen.csv", "dsibs.csv", "calibration_jumps.csv", "results.xlsx"} <= written
    assert pd.read_csv(tmp_path / "out" / "watch_list.csv", encoding="utf-8-sig")["quarter"].eq("2021Q1").all()
    store = Store(tmp_path / "runs.duckdb")
    back = store.load(store.save(res))
    assert isinstance(back, ScreenResult) and str(back.quarter) == "2021Q1"
    assert back.threshold == res.threshold and back.calibration.hits == 2
    np.testing.assert_array_equal(back.frame["in"], res.frame["in"])
    assert back.to_frame().equals(res.to_frame())


def test_provenance_follows_every_input(tmp_path):
    base = _screen(failures=FAILURES).provenance
    fewer = tmp_path / "failures.csv"
    read_table(FAILURES).head(7).to_csv(fewer, index=False)
    assert _screen(failures=fewer).provenance.data_hash != base.data_hash
    panel = read_table(PANEL)
    panel.loc[panel["bank"] == "RURAL001", "amo"] *= 2  # one surviving bank's size: same jumps, new data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        changed = run_bank_screen(panel, failures=FAILURES)
    assert changed.provenance.data_hash != base.data_hash
    assert changed.provenance.input_hashes["failures"] == base.input_hashes["failures"]


def test_screen_of_own_data_uses_the_latest_stored_calibration(tmp_path):
    from typer.testing import CliRunner

    from finstab.cli.main import app
    from finstab.samples import sample_path
    from finstab.store import Store

    store = str(tmp_path / "runs.duckdb")
    panel = str(sample_path("banks/panel.csv"))
    runner = CliRunner()
    res = runner.invoke(app, ["bank", "screen", "--data", panel, "--store", store])
    assert res.exit_code == 2 and "threshold" in res.output  # nothing calibrated yet: refused, nothing silent
    res = runner.invoke(app, ["bank", "calibrate", "--data", panel, "--failures",
                              str(sample_path("banks/failures.csv")), "--store", store, "--combine", "median"])
    assert res.exit_code == 0, res.output
    calibrated = Store(store).load(Store(store).runs(kind="bank_calibration")["id"].iloc[0]).threshold
    res = runner.invoke(app, ["bank", "screen", "--data", panel, "--store", store, "--lang", "en"])
    assert res.exit_code == 0, res.output
    screen = Store(store).load(Store(store).runs(kind="bank_screen")["id"].iloc[0])
    assert screen.threshold == calibrated and "latest calibration run" in res.output
