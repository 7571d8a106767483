"""Threshold calibration (seed 002: "back-test the IN paths of banks that failed, find where each
path jumps, average those values") on IN paths small enough to follow by hand, and the change-point
search checked against ruptures and scipy called directly."""

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import ruptures as rpt
from scipy.stats import median_abs_deviation

from finstab.bank import calibrate_threshold, load_in_params
from finstab.bank.calibration import CalibrationResult, check_penalty, find_jump, pelt_penalty
from finstab.bank.in_index import CalibrationParam
from finstab.core.errors import DataError, InputError
from finstab.core.provenance import Provenance
from finstab.core.warnings import CalibrationWarning

# --- the penalty --------------------------------------------------------------------------------


def test_penalty_from_the_median_absolute_deviation_of_the_changes():
    x = np.array([0.0, 0.01, 0.0, 0.01, 0.0, 0.5, 0.51, 0.5, 0.49])
    # changes +-0.01 (seven of them) and one 0.5: their median is 0, the absolute deviations are
    # 0.01 (seven times) and 0.5, so MAD = 0.01; sigma = 1.4826 x MAD / sqrt(2)
    assert median_abs_deviation(np.diff(x)) == pytest.approx(0.01, rel=1e-9)
    sigma = 1.4826 * 0.01 / math.sqrt(2)
    assert pelt_penalty(x, 3.0) == pytest.approx(3.0 * sigma**2 * math.log(9), rel=1e-9)
    assert pelt_penalty(x, 6.0) == pytest.approx(2 * pelt_penalty(x, 3.0), rel=1e-12)


def test_penalty_for_changes_around_a_drift():
    # changes 1, 2, 1, 2, 1: median 1, absolute deviations 0, 1, 0, 1, 0 -> MAD 0 -> fallback;
    # changes 1, 2, 2, 3: median 2, deviations 1, 0, 0, 1 -> MAD 0.5
    x = np.array([0.0, 1.0, 3.0, 5.0, 8.0])
    assert pelt_penalty(x, 3.0) == pytest.approx(3.0 * (1.4826 * 0.5 / math.sqrt(2)) ** 2 * math.log(5), rel=1e-12)


def test_penalty_of_a_straight_line_and_of_a_flat_path():
    # a straight line: every change is 1, MAD 0 -> sigma = 0.1 x std(0, 1, 2, 3, 4) = 0.1 x sqrt(2)
    assert pelt_penalty(np.arange(5.0), 3.0) == pytest.approx(3.0 * 0.02 * math.log(5), rel=1e-12)
    # flat: std 0 as well -> sigma = 0.1 x 1e-12
    assert pelt_penalty(np.full(6, 0.2), 3.0) == pytest.approx(3.0 * 1e-26 * math.log(6), rel=1e-12)


def test_penalty_of_a_small_noise_level():
    # changes 1, 2, -1, 2, -1 (x 0.001): median 1, absolute deviations 0, 1, 2, 1, 2 -> MAD 0.001, far below 1:
    # the MAD estimate is used, not the fallback
    x = np.array([0.0, 1.0, 3.0, 2.0, 4.0, 3.0]) * 0.001
    assert pelt_penalty(x, 1.0) == pytest.approx((1.4826 * 0.001 / math.sqrt(2)) ** 2 * math.log(6), rel=1e-9)


# --- the jump -----------------------------------------------------------------------------------


def reference_jump(x, factor):
    """The documented search, typed out with ruptures and scipy directly."""
    x = np.asarray(x, dtype=float)
    sigma = 1.4826 * median_abs_deviation(np.diff(x)) / math.sqrt(2)
    if sigma <= 0:
        sigma = 0.1 * max(float(np.std(x)), 1e-12)
    penalty = factor * sigma**2 * math.log(len(x))
    breaks = rpt.Pelt(model="l2", min_size=2, jump=1).fit(x).predict(pen=penalty)[:-1]
    if not breaks:  # PELT keeps no change point: the single best split
        breaks = rpt.Binseg(model="l2", min_size=2, jump=1).fit(x).predict(n_bkps=1)[:-1]
    edges = [0, *breaks, len(x)]
    means = [x[a:b].mean() for a, b in itertools.pairwise(edges)]
    rises = [b - a for a, b in itertools.pairwise(means)]
    return breaks[rises.index(max(rises))]


def random_paths(n_paths=80, seed=20240601):
    rng = np.random.default_rng(seed)
    for _ in range(n_paths):
        n = int(rng.integers(6, 25))
        x = np.zeros(n)
        for _ in range(int(rng.integers(0, 4))):
            x[int(rng.integers(1, n)):] += rng.normal(0, 1)
        yield np.round(x + rng.normal(0, rng.choice([0.05, 0.2, 0.5]), n), 2)


def test_find_jump_is_the_documented_search():
    paths = list(random_paths())
    for x in paths:
        assert find_jump(x) == reference_jump(x, 3.0), x.tolist()
    for x in paths[:30]:
        assert find_jump(x, 1.5) == reference_jump(x, 1.5), x.tolist()


def test_the_largest_of_two_rises():
    # a first rise of 1 over twelve quarters, then 1.5 for the last two: the jump is the second;
    # the single best split (binary segmentation) would have been the first
    rng = np.random.default_rng(3)
    x = np.r_[np.zeros(8), np.ones(11), np.full(2, 2.5)] + rng.normal(0, 0.02, 21)
    assert find_jump(x) == 19
    assert rpt.Binseg(model="l2", min_size=2, jump=1).fit(x).predict(n_bkps=1)[:-1] == [8]


def test_a_jump_two_quarters_before_the_end():
    assert find_jump([0.0, 0.01, 0.0, 0.01, 0.0, 0.01, 0.3, 0.31]) == 6


def test_a_fall_then_a_rise():
    # IN falls by 1 at quarter 4 and rises by 0.5 at quarter 8: the rise is the jump, not the fall
    x = np.r_[np.ones(4), np.zeros(4), np.full(4, 0.5)]
    assert find_jump(x) == 8


def test_find_jump_accepts_four_values_and_a_list():
    assert find_jump([0, 0, 1, 1]) == 2
    assert find_jump((0.0, 0.0, 0.0, 2.0, 2.0, 2.0), penalty_factor="3") == 3


@pytest.mark.parametrize(("path", "message"), [
    ([0.0, 0.1, 0.2], "path: expected at least 4 finite values, got 3"),
    ([0.0, 0.1, np.nan, 0.2, 0.3], "path: expected at least 4 finite values, got 5"),
    ([0.0, 0.1, None, 0.2, 0.3], "path: expected at least 4 finite values, got 5"),
    ([0.0, 0.1, np.inf, 0.2, 0.3], "path: expected at least 4 finite values, got 5"),
    (np.zeros((5, 2)), "path: expected at least 4 finite values, got 10"),
])
def test_find_jump_refuses(path, message):
    with pytest.raises(InputError) as info:
        find_jump(path)
    assert str(info.value) == message


@pytest.mark.parametrize(("value", "message"), [
    (0, "penalty_factor: 0 is not a positive number; the PELT penalty factor must be > 0 (e.g. 3)"),
    (-2.5, "penalty_factor: -2.5 is not a positive number; the PELT penalty factor must be > 0 (e.g. 3)"),
    (math.inf, "penalty_factor: inf is not a positive number; the PELT penalty factor must be > 0 (e.g. 3)"),
    ("abc", "penalty_factor: 'abc' is not a number"),
    (None, "penalty_factor: None is not a number"),
])
def test_penalty_factor_refusals(value, message):
    with pytest.raises(InputError) as info:
        check_penalty(value)
    assert str(info.value) == message
    with pytest.raises(InputError) as info:
        find_jump([0, 0, 1, 1], value)
    assert str(info.value) == message


def test_penalty_factor_below_one_is_valid():
    assert check_penalty(0.5) == 0.5 and check_penalty("2") == 2.0 and check_penalty(1) == 1.0


# --- calibration on five banks ------------------------------------------------------------------

QUARTERS = pd.period_range("2019Q1", "2020Q4", freq="Q")  # 8 quarters
PATHS = {
    # failed at its last quarter (2020Q4): a jump of 0.08 at 2020Q1 -> IN 0.06 at the jump
    "F1": [-0.02] * 4 + [0.06] * 4,
    # failed in 2020Q2: up to then a jump at 2019Q3 to 0.03; the later 0.2 is after its failure
    "F2": [-0.01, -0.01, 0.03, 0.03, 0.03, 0.03, 0.2, 0.2],
    # failed at its last quarter: 0.01 from 2020Q1, then [0.01, 0.05] makes the largest rise at 2020Q3
    # (IN 0.01 there); it first reaches 0.05 in its failure quarter
    "F4": [0, 0, 0, 0, 0.01, 0.01, 0.01, 0.05],
    "S1": [0.0] * 6 + [0.04, 0.04],  # survives; 0.04 from 2020Q3
    "S2": [0.02] * 8,  # survives; always 0.02
}
FAILED = {"F1": None, "F2": "2020Q2", "F4": None}


def screened_frame(shuffle=True):
    rows = [{"bank": b, "quarter": q, "in": float(v)} for b, path in PATHS.items()
            for q, v in zip(QUARTERS, path, strict=True)]
    frame = pd.DataFrame(rows)
    if shuffle:  # the calibration sorts by bank and quarter itself
        frame = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    return frame


def calibrate(combine="mean", **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        return calibrate_threshold(screened_frame(), dict(FAILED), combine=combine, **kwargs)


def q(text):
    return pd.Period(text, freq="Q")


def test_jumps_by_hand():
    cal = calibrate()
    j = cal.jumps
    assert j.columns.tolist() == ["bank", "jump_quarter", "in_at_jump", "failure_quarter"]
    assert j["bank"].tolist() == ["F1", "F2", "F4"]
    assert j["jump_quarter"].tolist() == [q("2020Q1"), q("2019Q3"), q("2020Q3")]
    assert j["in_at_jump"].tolist() == [0.06, 0.03, 0.01]
    assert j["failure_quarter"].tolist() == [q("2020Q4"), q("2020Q2"), q("2020Q4")]


# banks in order F1, F2, F4, S1, S2
@pytest.mark.parametrize(("combine", "threshold", "alarms", "hits", "leads", "false_alarms"), [
    # mean (0.06 + 0.03 + 0.01) / 3: F1 at 2020Q1 (3 quarters ahead); F2 only at 2020Q3, after its failure:
    # a miss; F4 in its failure quarter (0 ahead); S1 at 2020Q3 is a false alarm, S2 stays below
    ("mean", 0.1 / 3, ["2020Q1", "2020Q3", "2020Q4", "2020Q3", None], [True, False, True, False, False],
     [3.0, None, 0.0, None, None], 1),
    # median 0.03: F2 reaches it at its jump (IN = 0.03 counts), 2020Q2 - 2019Q3 = 3 quarters ahead
    ("median", 0.03, ["2020Q1", "2019Q3", "2020Q4", "2020Q3", None], [True, True, True, False, False],
     [3.0, 3.0, 0.0, None, None], 1),
    # min 0.01: every failed bank from its jump on; S2 (0.02 throughout) is a second false alarm
    ("min", 0.01, ["2020Q1", "2019Q3", "2020Q1", "2020Q3", "2019Q1"], [True, True, True, False, False],
     [3.0, 3.0, 3.0, None, None], 2),
])
def test_back_test_by_hand(combine, threshold, alarms, hits, leads, false_alarms):
    cal = calibrate(combine)
    assert cal.threshold == pytest.approx(threshold, rel=1e-12) and cal.combine == combine
    ev = cal.evaluation
    assert ev.columns.tolist() == ["bank", "failed", "first_alarm", "failure_quarter", "hit", "lead_quarters"]
    assert ev["bank"].tolist() == ["F1", "F2", "F4", "S1", "S2"]
    assert ev["failed"].tolist() == [True, True, True, False, False]
    assert [None if pd.isna(a) else str(a) for a in ev["first_alarm"]] == alarms
    assert [None if pd.isna(f) else str(f) for f in ev["failure_quarter"]] == ["2020Q4", "2020Q2", "2020Q4", None,
                                                                              None]
    assert ev["hit"].tolist() == hits
    assert [None if np.isnan(v) else v for v in ev["lead_quarters"]] == leads
    n_hits = sum(hits)
    assert (cal.n_failed, cal.hits, cal.misses, cal.n_surviving, cal.false_alarms) == (3, n_hits, 3 - n_hits, 2,
                                                                                      false_alarms)
    assert cal.hit_rate == pytest.approx(n_hits / 3)
    assert cal.mean_lead_quarters == pytest.approx(np.mean([v for v in leads if v is not None]))


def test_default_combine_is_the_papers_mean():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        cal = calibrate_threshold(screened_frame(), dict(FAILED))
    assert cal.combine == "mean" and cal.threshold == pytest.approx(0.1 / 3, rel=1e-12)
    assert (cal.penalty_factor, cal.min_hit_rate) == (3.0, 0.5)


def test_parameters_from_the_file_are_used():
    p = load_in_params()
    custom = p.model_copy(update={"calibration": CalibrationParam(combine="min", penalty_factor=1.5, min_quarters=8,
                                                                  min_hit_rate=0.9)})
    with pytest.raises(DataError) as info:
        calibrate_threshold(screened_frame(), dict(FAILED), params=custom)
    assert str(info.value) == "failed_banks: bank 'F2' has 6 quarters up to its failure 2020Q2; need 8"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        cal = calibrate_threshold(screened_frame(), {"F1": None, "F4": None}, params=custom)
    assert (cal.combine, cal.penalty_factor, cal.min_hit_rate) == ("min", 1.5, 0.9)
    assert cal.threshold == 0.01 and cal.hits == 2 and not cal.weak
    # arguments win over the file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        cal = calibrate_threshold(screened_frame(), {"F1": None, "F4": None}, 2.0, combine="mean", params=custom)
    assert (cal.combine, cal.penalty_factor, cal.threshold) == ("mean", 2.0, pytest.approx(0.035, rel=1e-12))


def test_a_weak_threshold_warns_in_full():
    p = load_in_params()
    strict = p.model_copy(update={"calibration": CalibrationParam(min_hit_rate=0.9)})
    with pytest.warns(CalibrationWarning) as record:
        cal = calibrate_threshold(screened_frame(), dict(FAILED), params=strict)
    message = ("the IN threshold 0.0333333 (mean of the failed banks' jumps) reaches only 2 of 3 failed banks (67%) "
               "by their failure, below the 90% minimum: it misses most failures; consider combine='median' or 'min'")
    assert [str(w.message) for w in record] == [message]
    assert cal.weak and cal.warnings == (f"CalibrationWarning: {message}",)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)  # 2 of 3 is above the shipped 50 %
        assert not calibrate_threshold(screened_frame(), dict(FAILED)).weak


def test_exactly_the_minimum_hit_rate_is_not_weak():
    p = load_in_params()
    half = p.model_copy(update={"calibration": CalibrationParam(min_hit_rate=0.5)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        cal = calibrate_threshold(screened_frame(), {"F1": None, "F2": "2020Q2"}, params=half)
    # mean (0.06 + 0.03) / 2 = 0.045: F1 is caught, F2 only after its failure: 1 of 2 = 50 %
    assert (cal.hits, cal.n_failed, cal.weak) == (1, 2, False)


def test_describe_in_both_languages():
    cal = calibrate("median")
    assert cal.with_lang("en").describe() == (
        "threshold 0.03 = median of IN at the jump of 3 failed banks; hit rate 3/3 (100% reached it by their "
        "failure), false alarms 1 of 2 surviving banks, mean lead 2.0 quarters")
    assert cal.describe() == ("阈值 0.03 = 3 家失败银行跳变点 IN 的中位数；命中率 3/3（100%，失败前达到阈值），"
                              "2 家存续银行中误报 1 家，平均提前 2.0 个季度")
    assert calibrate("min").describe().startswith("阈值 0.01 = 3 家失败银行跳变点 IN 的最小值；")
    assert calibrate("mean").describe().startswith("阈值 0.0333333 = 3 家失败银行跳变点 IN 的均值；")
    assert cal.summary() == f"{cal.describe()}\n{cal.footer()}"


def test_describe_without_hits_or_failures():
    ev = pd.DataFrame({"bank": ["A", "B"], "failed": [True, False], "first_alarm": [pd.NaT, pd.NaT],
                       "failure_quarter": [q("2020Q1"), pd.NaT], "hit": [False, False],
                       "lead_quarters": [np.nan, np.nan]})
    none_caught = CalibrationResult(0.5, pd.DataFrame(), ev, lang="en")
    assert none_caught.describe() == ("threshold 0.5 = mean of IN at the jump of 1 failed banks; hit rate 0/1 (0% "
                                      "reached it by their failure), false alarms 0 of 1 surviving banks, "
                                      "mean lead - quarters")
    assert none_caught.with_lang("zh").describe().endswith("平均提前 - 个季度")
    no_failures = CalibrationResult(0.5, pd.DataFrame(), ev.assign(failed=False), lang="en")
    assert np.isnan(no_failures.hit_rate) and "hit rate 0/0 (- reached it" in no_failures.describe()


def test_config_tables_and_rebuild():
    cal = calibrate("median", penalty_factor=2.5)
    assert cal.config() == {"threshold": 0.03, "combine": "median", "penalty_factor": 2.5, "min_hit_rate": 0.5}
    tables = cal.tables()
    assert list(tables) == ["jumps", "evaluation"]
    assert tables["jumps"]["jump_quarter"].tolist() == ["2020Q1", "2019Q3", "2020Q3"]
    assert tables["jumps"]["failure_quarter"].tolist() == ["2020Q4", "2020Q2", "2020Q4"]
    text = tables["evaluation"]
    assert text["first_alarm"].iloc[:4].tolist() == ["2020Q1", "2019Q3", "2020Q4", "2020Q3"]
    assert text["failure_quarter"].iloc[:3].tolist() == ["2020Q4", "2020Q2", "2020Q4"]
    assert text["first_alarm"].iloc[4:].isna().all() and text["failure_quarter"].iloc[3:].isna().all()
    assert cal.jumps["jump_quarter"].iloc[0] == q("2020Q1")  # the result itself keeps periods
    # the stored tables keep quarters as text
    stored = tables
    back = CalibrationResult.from_tables(stored, cal.config(), provenance=Provenance("m", "c", "d"),
                                         warnings=["W: x"])
    assert (back.threshold, back.combine, back.penalty_factor, back.min_hit_rate) == (0.03, "median", 2.5, 0.5)
    assert back.jumps["jump_quarter"].tolist() == [q("2020Q1"), q("2019Q3"), q("2020Q3")]
    assert back.evaluation["first_alarm"].iloc[1] == q("2019Q3") and pd.isna(back.evaluation["first_alarm"].iloc[4])
    assert back.evaluation["failed"].dtype == bool and back.evaluation["hit"].dtype == bool
    assert (back.hits, back.n_failed, back.false_alarms, back.mean_lead_quarters) == (3, 3, 1, 2.0)
    assert back.warnings == ("W: x",)
    # an older stored config with the threshold only
    old = CalibrationResult.from_tables(stored, {"threshold": "0.03"}, provenance=Provenance("m", "c", "d"))
    assert (old.threshold, old.combine, old.penalty_factor, old.min_hit_rate, old.warnings) == (
        0.03, "mean", 3.0, 0.5, ())


def test_from_tables_reads_booleans_stored_as_numbers():
    cal = calibrate("median")
    ev = cal.tables()["evaluation"].assign(failed=[1, 1, 1, 0, 0], hit=[1, 1, 0, 1, 0])
    back = CalibrationResult.from_tables({"jumps": cal.tables()["jumps"], "evaluation": ev}, cal.config(),
                                         provenance=Provenance("m", "c", "d"))
    assert back.evaluation["failed"].tolist() == [True, True, True, False, False]
    assert back.evaluation["hit"].tolist() == [True, True, False, True, False]


def test_provenance_of_a_calibration():
    frame = screened_frame().assign(pcr=1.0, source="synthetic: hand-made paths")
    cal = calibrate_threshold(frame, dict(FAILED), combine="median")
    p = cal.provenance
    assert p.method == "bank/calibration" and set(p.input_hashes) == {"screened", "failures"}
    assert p.parameters == {"combine": "median", "penalty_factor": 3.0} and p.synthetic
    # only bank, quarter, IN and source are inputs: another column does not change the data hash
    again = calibrate_threshold(frame.assign(pcr=2.0), dict(FAILED), combine="median").provenance
    assert again.input_hashes == p.input_hashes
    moved = frame.copy()
    moved.loc[moved["bank"] == "S2", "in"] = 0.021
    assert calibrate_threshold(moved, dict(FAILED), combine="median").provenance.input_hashes["screened"] != \
        p.input_hashes["screened"]
    other = calibrate_threshold(frame, {**FAILED, "F2": "2020Q3"}, combine="median").provenance
    assert other.input_hashes["failures"] != p.input_hashes["failures"]
    assert other.input_hashes["screened"] == p.input_hashes["screened"]


def test_failed_banks_as_a_list_a_name_or_a_mapping():
    a = calibrate_threshold(screened_frame(), ["F1", "F4"], combine="min")
    b = calibrate_threshold(screened_frame(), {"F1": "2020Q4", "F4": pd.Period("2020Q4", freq="Q")}, combine="min")
    assert a.jumps.equals(b.jumps) and a.threshold == b.threshold == 0.01
    one = calibrate_threshold(screened_frame(), "F1", combine="min")
    assert one.jumps["bank"].tolist() == ["F1"] and one.threshold == 0.06


@pytest.mark.parametrize(("failed", "error", "message"), [
    ({}, DataError, "failed_banks: no failed banks given: labels never flag a failure"),
    (["F1", "X9", "A0"], DataError, "failed_banks: failed banks ['A0', 'X9'] are not among the screened (non-D-SIB) "
                                    "banks"),
    (["F1", "F1"], DataError, "failed_banks: bank 'F1' is listed twice"),
    ({"F1": "2019Q3"}, DataError, "failed_banks: bank 'F1' has 3 quarters up to its failure 2019Q3; need 6"),
    ({"F1": "2019Q9"}, InputError, "failed_banks['F1']: '2019Q9' is not a quarter like 2021Q1 (year, then Q1-Q4)"),
    ({"F1": None}, InputError, "combine: 'mode' is not one of 'mean', 'median', 'min'"),
])
def test_calibration_refusals_in_full(failed, error, message):
    kwargs = {"combine": "mode"} if message.startswith("combine") else {}
    with pytest.raises(error) as info:
        calibrate_threshold(screened_frame(), failed, **kwargs)
    assert str(info.value) == message


def test_failure_quarter_itself_is_in_the_path():
    # F2 failed in 2020Q2: six quarters up to and including it are enough (min_quarters 6)
    cal = calibrate_threshold(screened_frame(), {"F2": "2020Q2"})
    assert cal.jumps["jump_quarter"].tolist() == [q("2019Q3")] and cal.threshold == 0.03


def test_the_penalty_factor_reaches_the_change_point_search():
    # a noisy path whose largest rise depends on the penalty: 0.5 keeps a late break, 3 does not
    path = [0.0002, 0.0029, 0.0007, 0.0016, 0.0066, 0.0045, 0.0086, 0.0114]
    low, high = reference_jump(path, 0.5), reference_jump(path, 3.0)
    assert low != high
    frame = pd.DataFrame({"bank": "N", "quarter": QUARTERS, "in": path})
    for factor, k in ((0.5, low), (3.0, high)):
        cal = calibrate_threshold(frame, ["N"], factor, combine="min")
        assert cal.jumps["jump_quarter"].tolist() == [QUARTERS[k]] and cal.threshold == path[k]


def test_a_raw_panel_is_screened_first():
    rows = [{"bank": b, "quarter": str(q), "pcr": 1.2, "ct1car": 0.05 - v / 0.25, "lcr": 1.0, "cr": 0.225,
             "lr": 0.04, "inter": 0.7, "amo": 1.6} for b, path in PATHS.items() for q, v in zip(QUARTERS, path,
                                                                                                 strict=True)]
    # IN = 0.25 x (0.05 - CT1CAR) = the path (other ratios at their lines, reference size)
    cal = calibrate_threshold(pd.DataFrame(rows), dict(FAILED), combine="median")
    assert cal.jumps["jump_quarter"].tolist() == [q("2020Q1"), q("2019Q3"), q("2020Q3")]
    assert cal.threshold == pytest.approx(0.03, rel=1e-9) and cal.hits == 3
    # the parameters are used for the screening too: twice the reference AMO halves every IN
    p = load_in_params()
    half = p.model_copy(update={"size": p.size.model_copy(update={"ref_amo": 3.2})})
    cal = calibrate_threshold(pd.DataFrame(rows), dict(FAILED), combine="median", params=half)
    assert cal.threshold == pytest.approx(0.015, rel=1e-9)


def test_provenance_follows_bank_names_and_parameters():
    base = calibrate("median").provenance
    renamed = screened_frame().replace({"bank": {"S2": "S3"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        moved = calibrate_threshold(renamed, dict(FAILED), combine="median").provenance
        p = load_in_params()
        other = p.model_copy(update={"volatility": p.volatility.model_copy(update={"window": 6})})
        reconf = calibrate_threshold(screened_frame(), dict(FAILED), combine="median", params=other).provenance
    assert moved.input_hashes["screened"] != base.input_hashes["screened"]
    assert reconf.config_hash != base.config_hash and reconf.data_hash == base.data_hash


def test_rebuild_from_text_tables():
    """Stored as CSV text: booleans as 1/0, leads and quarters as text (a quarter may come as a date)."""
    cal = calibrate("median")
    ev = cal.tables()["evaluation"].assign(
        failed=[1, 1, 1, 0, 0], hit=[1, 1, 1, 0, 0], lead_quarters=["3.0", "3", "0.0", "", "nan"],
        first_alarm=["2020-02-15", "2019Q3", "2020Q4", "2020Q3", ""])
    cfg = {"threshold": 0.03, "combine": "median", "penalty_factor": 2.5, "min_hit_rate": 0.9}
    prov = Provenance("bank/calibration", "c", "d")
    back = CalibrationResult.from_tables({"jumps": cal.tables()["jumps"], "evaluation": ev}, cfg, provenance=prov,
                                         warnings=("W: x",))
    assert back.evaluation["failed"].dtype == bool and back.evaluation["hit"].dtype == bool
    assert (back.n_failed, back.n_surviving, back.hits, back.false_alarms) == (3, 2, 3, 1)
    assert back.evaluation["lead_quarters"].tolist()[:3] == [3.0, 3.0, 0.0]
    assert back.evaluation["lead_quarters"].iloc[3:].isna().all() and back.mean_lead_quarters == 2.0
    assert back.evaluation["first_alarm"].iloc[0] == q("2020Q1") and pd.isna(back.evaluation["first_alarm"].iloc[4])
    assert (back.min_hit_rate, back.penalty_factor, back.weak) == (0.9, 2.5, False)
    assert back.provenance is prov and back.warnings == ("W: x",)
