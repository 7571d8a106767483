import warnings

import numpy as np
import pandas as pd
import pytest

from finstab.bank import calibrate_threshold, read_bank_panel, screen
from finstab.bank.calibration import CalibrationResult, find_jump
from finstab.core.errors import DataError, InputError
from finstab.core.warnings import CalibrationWarning
from finstab.pipelines.bank import read_failures, run_bank_calibration
from finstab.samples import sample_path


@pytest.mark.parametrize("shift", [4, 10, 17, 25])
def test_find_jump_recovers_planted_jump(shift):
    rng = np.random.default_rng(shift)
    path = rng.normal(0, 0.01, 32) + np.where(np.arange(32) >= shift, 0.2, 0.0)
    path[: shift] += np.linspace(0, 0.03, shift)  # a slow drift before the jump
    assert find_jump(path) == shift


@pytest.fixture(scope="module")
def screened():
    return screen(read_bank_panel(sample_path("banks/panel.csv"))).frame


def _calibrate(screened, failures, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return calibrate_threshold(screened, dict(zip(failures["bank"], failures["failure_quarter"], strict=True)),
                                   **kwargs)


def _back_test(raw_panel, failures, threshold):
    """Hits, false alarms and lead quarters counted from the raw panel and the paper's IN, by hand."""
    fail_q = {b: pd.Period(q, freq="Q") for b, q in zip(failures["bank"], failures["failure_quarter"], strict=True)}
    banks = raw_panel[~raw_panel["dsib"].astype(bool)]
    hits, leads, false_alarms = 0, [], 0
    for bank, rows in banks.groupby("bank"):
        alarms = rows[rows["in_hand"] >= threshold]["q"]
        if bank in fail_q:
            before = alarms[alarms <= fail_q[bank]]
            if len(before):
                hits += 1
                leads.append((fail_q[bank] - before.min()).n)
        elif len(alarms):
            false_alarms += 1
    return hits, false_alarms, leads


# combine -> hits of the 8 failed banks on the sample (mean: the "2 of 8")
EXPECTED_HITS = {"mean": 2, "median": 4, "min": 8}


@pytest.mark.parametrize("combine", ["mean", "median", "min"])
def test_calibration_on_the_sample_against_a_hand_back_test(screened, raw_panel, failures, combine):
    cal = _calibrate(screened, failures, combine=combine)
    # the change points found are the generator's planted jumps (not read by the calibration)
    got = cal.jumps.set_index("bank")["jump_quarter"].astype(str).sort_index()
    assert got.to_dict() == failures.set_index("bank")["jump_quarter"].sort_index().to_dict()
    # threshold = combine of the paper's IN, computed by hand from raw cells, at the planted jumps
    at_jump = [raw_panel[(raw_panel["bank"] == b) & (raw_panel["quarter"] == q)]["in_hand"].iloc[0]
               for b, q in zip(failures["bank"], failures["jump_quarter"], strict=True)]
    assert cal.threshold == pytest.approx({"mean": np.mean, "median": np.median, "min": np.min}[combine](at_jump),
                                          rel=1e-12)
    hits, false_alarms, leads = _back_test(raw_panel, failures, cal.threshold)
    assert (cal.hits, cal.n_failed, cal.false_alarms) == (hits, 8, false_alarms)
    assert hits == EXPECTED_HITS[combine] and false_alarms == 0
    assert cal.hit_rate == pytest.approx(hits / 8)
    assert cal.mean_lead_quarters == pytest.approx(np.mean(leads))


def test_weak_calibration_warns_and_the_result_carries_it(screened, failures):
    mapping = dict(zip(failures["bank"], failures["failure_quarter"], strict=True))
    with pytest.warns(CalibrationWarning, match=r"reaches only 2 of 8 failed banks \(25%\)"):
        cal = calibrate_threshold(screened, mapping)
    assert cal.weak and len(cal.warnings) == 1 and cal.warnings[0].startswith("CalibrationWarning")
    assert "! CalibrationWarning" in cal.with_lang("en").summary()
    assert "2/8 (25%" in cal.with_lang("en").summary() and "命中率 2/8" in cal.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)  # catches all 8: no warning at all
        strong = calibrate_threshold(screened, mapping, combine="min")
    assert strong.warnings == () and not strong.weak


def test_calibration_accepts_a_raw_panel_and_bank_lists(failures):
    from finstab.samples.banks import make_bank_panel

    panel, _ = make_bank_panel()
    cal = _calibrate(read_bank_panel(panel), failures)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        listed = calibrate_threshold(panel, list(failures["bank"]))
    # each failed bank's panel ends at its failure, so "last quarter" gives the same jumps
    assert listed.jumps["jump_quarter"].tolist() == cal.jumps["jump_quarter"].tolist()


@pytest.mark.parametrize(("failed", "kwargs", "error", "message"), [
    ([], {}, DataError, "never flag"),
    (["NOPE"], {}, DataError, r"\['NOPE'\] are not among the screened"),
    (["DSIB000"], {}, DataError, "not among the screened"),
    ({"CITY003": "2021Q7"}, {}, InputError, r"failed_banks\['CITY003'\]: '2021Q7' is not a quarter"),
    ({"CITY003": "2015Q3"}, {}, DataError, "has 3 quarters up to its failure 2015Q3; need 6"),
    (["CITY003"], {"penalty_factor": -1}, InputError, "penalty_factor: -1 is not a positive number"),
    (["CITY003"], {"penalty_factor": float("nan")}, InputError, "penalty_factor: nan is not a positive"),
    (["CITY003"], {"combine": "mode"}, InputError, "combine: 'mode' is not one of"),
])
def test_calibration_errors(screened, failed, kwargs, error, message):
    with pytest.raises(error, match=message):
        calibrate_threshold(screened, failed, **kwargs)


def test_failures_file_errors_name_the_row(tmp_path):
    bad = tmp_path / "failures.csv"
    bad.write_text("bank,failure_quarter\nCITY003,2021Q2\nCITY017,2021Q7\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"failures.csv row 3: bank 'CITY017': failure_quarter '2021Q7' is not a"):
        read_failures(bad)
    bad.write_text("bank,failure_quarter\nCITY003,2021Q2\nCITY003,2021Q3\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 3: bank 'CITY003' is listed twice"):
        read_failures(bad)
    bad.write_text("bank,failure_quarter\nCITY003,\n", encoding="utf-8")
    with pytest.raises(DataError, match="failure_quarter is empty"):
        read_failures(bad)


def test_calibration_result_protocol_and_store_round_trip(tmp_path):
    from finstab.store.database import Store

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        cal = run_bank_calibration(sample_path("banks/panel.csv"), sample_path("banks/failures.csv"))
    assert cal.kind == "bank_calibration" and str(cal) == cal.summary()
    assert list(cal.tables()) == ["jumps", "evaluation"] and cal.to_frame()["jump_quarter"].iloc[0] == "2020Q4"
    assert cal.provenance.synthetic and set(cal.provenance.input_hashes) == {"panel", "failures"}
    zh, en = cal.tables(), cal.with_lang("en").tables()
    assert all(zh[k].equals(en[k]) for k in zh)  # canonical tables: language only at display
    store = Store(tmp_path / "runs.duckdb")
    rid = store.save(cal, label="calibration")
    latest = store.runs(kind="bank_calibration")["id"].iloc[0]
    back = store.load(latest)
    assert latest == rid and isinstance(back, CalibrationResult)
    assert back.threshold == cal.threshold and (back.hits, back.n_failed) == (2, 8) and back.warnings == cal.warnings
    written = {p.name for p in cal.write(tmp_path / "out")}
    assert {"jumps.csv", "evaluation.csv", "results.xlsx", "summary.txt"} <= written
