"""The KLR signals approach on a small table worked out by hand (Kaminsky, Lizondo & Reinhart 1998;
usefulness of Alessi & Detken 2011).

x = 0, 1, ..., 10; the pre-crisis observations (label 1) are x = 4, 7, 8, 10, the other seven
are tranquil. Candidate thresholds: the 50 %, 70 % and 90 % quantiles, i.e. x = 5, 7, 9.
A signal is x >= threshold. The 2 x 2 table per threshold (A signal & crisis, B signal &
tranquil, C no signal & crisis, D no signal & tranquil):

    threshold  signals      A  B  C  D   hit = A/(A+C)  false = B/(B+D)  NSR = false/hit
    5          5..10        3  3  1  4   3/4            3/7              4/7
    7          7..10        3  1  1  6   3/4            1/7              4/21   <- minimum
    9          9, 10        1  1  3  6   1/4            1/7              4/7

Usefulness at preference mu: U = min(mu, 1 - mu) - [mu C/(A+C) + (1 - mu) B/(B+D)],
relative U_r = U / min(mu, 1 - mu).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from finstab.core.errors import DataError, InputError
from finstab.early_warning import SIGNAL_COLUMNS, SignalResult, klr_signals

X = np.arange(11.0)
LABELS = np.isin(X, [4, 7, 8, 10]).astype(float)
QUANTILES = [0.5, 0.7, 0.9]


def usefulness(mu, hit, false):
    """Alessi & Detken's usefulness, typed out: C/(A+C) = 1 - hit, B/(B+D) = false."""
    return min(mu, 1 - mu) - (mu * (1 - hit) + (1 - mu) * false)


@pytest.mark.parametrize("mu", [0.3, 0.5, 0.8])
def test_klr_table_by_hand(mu):
    res = klr_signals(pd.DataFrame({"x": X}), LABELS, ["x"], mu=mu, quantiles=QUANTILES)
    r = res.table.iloc[0]
    assert r["indicator"] == "x" and r["direction"] == 1
    assert r["threshold"] == 7.0  # a data point: the observation x = 7 signals (x >= threshold)
    assert (r["A"], r["B"], r["C"], r["D"]) == (3, 1, 1, 6)
    assert r["hit_rate"] == pytest.approx(3 / 4, rel=1e-12)
    assert r["false_alarm_rate"] == pytest.approx(1 / 7, rel=1e-12)
    assert r["nsr"] == pytest.approx(4 / 21, rel=1e-12)
    u = usefulness(mu, 3 / 4, 1 / 7)
    assert r["usefulness"] == pytest.approx(u, rel=1e-12)
    assert r["relative_usefulness"] == pytest.approx(u / min(mu, 1 - mu), rel=1e-12)
    assert res.mu == mu and res.horizon is None


def test_usefulness_at_mu_0_8_in_numbers():
    # mu = 0.8: U = 0.2 - (0.8 / 4 + 0.2 / 7) = -1/35; U_r = U / 0.2 = -1/7 (worse than ignoring the indicator)
    r = klr_signals(pd.DataFrame({"x": X}), LABELS, ["x"], mu=0.8, quantiles=QUANTILES).table.iloc[0]
    assert r["usefulness"] == pytest.approx(-1 / 35, rel=1e-12)
    assert r["relative_usefulness"] == pytest.approx(-1 / 7, rel=1e-12)
    # mu = 0.3: U = 0.3 - (0.3 / 4 + 0.7 / 7) = 0.125; U_r = 0.125 / 0.3
    r = klr_signals(pd.DataFrame({"x": X}), LABELS, ["x"], mu=0.3, quantiles=QUANTILES).table.iloc[0]
    assert r["usefulness"] == pytest.approx(0.125, rel=1e-12)
    assert r["relative_usefulness"] == pytest.approx(0.125 / 0.3, rel=1e-12)


def test_low_values_risky_mirror_the_table():
    # -x with direction -1: the mirrored quantiles 50 %, 30 %, 10 % give -5, -7, -9; a signal is -x <= threshold
    res = klr_signals(pd.DataFrame({"low": -X}), LABELS, ["low"], {"low": -1}, quantiles=QUANTILES)
    r = res.table.iloc[0]
    assert (r["direction"], r["threshold"]) == (-1, -7.0)
    assert (r["A"], r["B"], r["C"], r["D"]) == (3, 1, 1, 6)
    assert r["nsr"] == pytest.approx(4 / 21, rel=1e-12)
    sig = res.signals(pd.DataFrame({"low": [-6.0, -7.0, -8.0]}))["low"]
    assert sig.tolist() == [False, True, True]  # at the threshold a low indicator signals


def test_every_candidate_threshold_by_a_hand_loop():
    """The chosen threshold has the smallest NSR of all candidates, each counted by a plain loop."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=60)
    y = (x + rng.normal(scale=0.8, size=60) > 0.6).astype(float)
    quantiles = [0.5, 0.6, 0.7, 0.8, 0.9]
    best = None
    for thr in np.quantile(x, quantiles):
        a = sum(1 for xi, yi in zip(x, y, strict=True) if xi >= thr and yi == 1)
        b = sum(1 for xi, yi in zip(x, y, strict=True) if xi >= thr and yi == 0)
        c = sum(1 for xi, yi in zip(x, y, strict=True) if xi < thr and yi == 1)
        d = sum(1 for xi, yi in zip(x, y, strict=True) if xi < thr and yi == 0)
        nsr = (b / (b + d)) / (a / (a + c)) if a else np.inf
        if best is None or nsr < best[0]:
            best = (nsr, thr, (a, b, c, d))
    r = klr_signals(pd.DataFrame({"x": x}), y, ["x"], quantiles=quantiles).table.iloc[0]
    assert r["nsr"] == pytest.approx(best[0], rel=1e-12)
    assert r["threshold"] == best[1]
    assert (r["A"], r["B"], r["C"], r["D"]) == best[2]


def test_table_sorted_by_nsr_with_a_fresh_index():
    # "noise" alternates with the labels' complement: it signals tranquil periods, NSR > 1
    noise = np.where(LABELS == 1, 0.0, 1.0)
    data = pd.DataFrame({"noise": noise, "x": X})
    res = klr_signals(data, LABELS, ["noise", "x"], quantiles=QUANTILES)
    assert res.table["indicator"].tolist() == ["x", "noise"]
    assert res.table.index.tolist() == [0, 1]
    assert list(res.tables()) == ["signals"] and res.tables()["signals"] is res.table


def test_missing_values_are_dropped_per_indicator():
    # the same table with two extra rows whose x is missing: they count in no cell
    data = pd.DataFrame({"x": [*X, np.nan, np.nan]})
    labels = [*LABELS, 1.0, 0.0]
    r = klr_signals(data, labels, ["x"], quantiles=QUANTILES).table.iloc[0]
    assert (r["threshold"], r["A"], r["B"], r["C"], r["D"]) == (7.0, 3, 1, 1, 6)


def test_empty_labels_are_ignored():
    data = pd.DataFrame({"x": [*X, 100.0, -100.0]})
    labels = pd.Series([*LABELS, np.nan, np.nan])
    r = klr_signals(data, labels, ["x"], quantiles=QUANTILES).table.iloc[0]
    assert (r["threshold"], r["A"], r["B"], r["C"], r["D"]) == (7.0, 3, 1, 1, 6)


def test_labels_given_as_none_are_empty():
    r = klr_signals(pd.DataFrame({"x": [*X, 100.0]}), [*LABELS, None], ["x"], quantiles=QUANTILES).table.iloc[0]
    assert (r["threshold"], r["A"], r["B"], r["C"], r["D"]) == (7.0, 3, 1, 1, 6)


def test_an_indicator_missing_at_every_crisis_observation():
    """No pre-crisis observation left: hit rate 0 (not NaN), NSR infinite, and no division warning."""
    x = np.where(LABELS == 1, np.nan, X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = klr_signals(pd.DataFrame({"x": x}), LABELS, ["x"], quantiles=QUANTILES).table.iloc[0]
    assert (r["A"], r["C"]) == (0, 0) and r["hit_rate"] == 0.0 and r["nsr"] == np.inf
    # the tranquil x = 0, 1, 2, 3, 5, 6, 9 alone: all NSRs are infinite, the first candidate (their median 3)
    # is kept and 3, 5, 6, 9 signal: 4 of 7
    assert r["threshold"] == 3.0 and r["false_alarm_rate"] == pytest.approx(4 / 7)


def test_an_indicator_missing_at_every_tranquil_observation():
    """No tranquil observation left: every candidate has no false alarm (rate 0, not NaN), so NSR 0."""
    x = np.where(LABELS == 0, np.nan, X)  # only x = 4, 7, 8, 10 remain, all pre-crisis
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = klr_signals(pd.DataFrame({"x": x}), LABELS, ["x"], quantiles=QUANTILES).table.iloc[0]
    assert (r["B"], r["D"]) == (0, 0) and r["false_alarm_rate"] == 0.0 and r["nsr"] == 0.0
    assert r["threshold"] == 7.5 and r["hit_rate"] == 0.5  # median of 4, 7, 8, 10; 8 and 10 signal


def test_a_single_crisis_observation():
    # one pre-crisis observation (x = 10): the 90 % quantile 9 catches it with one false alarm (x = 9)
    labels = (X == 10).astype(float)
    r = klr_signals(pd.DataFrame({"x": X}), labels, ["x"], quantiles=QUANTILES).table.iloc[0]
    assert (r["threshold"], r["A"], r["B"], r["C"], r["D"]) == (9.0, 1, 1, 0, 9)
    assert r["hit_rate"] == 1.0 and r["nsr"] == pytest.approx(1 / 10)


def test_a_perfect_indicator_has_nsr_zero():
    # the 90 % quantile 9 signals only x = 9, 10, both pre-crisis: B = 0, NSR = 0
    labels = np.isin(X, [9, 10]).astype(float)
    r = klr_signals(pd.DataFrame({"x": X}), labels, ["x"], quantiles=QUANTILES).table.iloc[0]
    assert (r["threshold"], r["A"], r["B"], r["C"], r["D"], r["nsr"]) == (9.0, 2, 0, 0, 9, 0.0)


def test_no_threshold_ever_hits():
    # both pre-crisis observations are the smallest values: every candidate misses them
    labels = np.isin(X, [0, 1]).astype(float)
    r = klr_signals(pd.DataFrame({"x": X}), labels, ["x"], quantiles=QUANTILES).table.iloc[0]
    assert r["nsr"] == np.inf and r["threshold"] == 5.0 and r["hit_rate"] == 0.0


def test_summary_lines():
    res = klr_signals(pd.DataFrame({"x": X}), LABELS, ["x"], mu=0.8, quantiles=QUANTILES)
    lines = res.summary().splitlines()
    assert lines[0] == "KLR signals (mu = 0.8)"
    assert lines[1].split() == SIGNAL_COLUMNS
    # 4/21 = 0.190476..., 1/7 = 0.142857..., U_r = -1/7: four decimals
    assert lines[2].split() == ["x", "1", "7.0", "0.1905", "0.75", "0.1429", "-0.1429"]
    assert lines[3] == res.footer() and len(lines) == 4
    assert str(res) == res.summary()


@pytest.mark.parametrize(("labels", "kwargs", "error", "message"), [
    ([0, 1, 2], {}, DataError, "labels: labels must be 0, 1 or empty"),
    ([0, 0, 0], {}, DataError,
     "labels: the labels never flag a crisis: no pre-crisis observation to learn from"),
    ([1, 1, np.nan], {}, DataError, "labels: every observation is labelled pre-crisis; nothing to compare"),
    ([0, 1, 1], {"mu": 0.0}, InputError, "mu: mu = 0.0; expected a value in (0, 1)"),
    ([0, 1, 1], {"mu": 1.0}, InputError, "mu: mu = 1.0; expected a value in (0, 1)"),
    ([0, 1, 1], {"directions": {"x": 0}}, InputError, "directions: direction of 'x' must be +1 or -1"),
    ([0, 1, 1], {"directions": {"x": 2}}, InputError, "directions: direction of 'x' must be +1 or -1"),
])
def test_errors_name_the_parameter(labels, kwargs, error, message):
    with pytest.raises(error) as info:
        klr_signals(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), labels, ["x"], **kwargs)
    assert str(info.value) == message


def test_missing_indicator_message():
    with pytest.raises(DataError) as info:
        klr_signals(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0, 1, 1], ["x", "nope"])
    assert str(info.value) == "data: missing indicator column 'nope'"


def test_mu_just_inside_the_open_interval():
    for mu in (0.01, 0.99):
        assert klr_signals(pd.DataFrame({"x": X}), LABELS, ["x"], mu=mu, quantiles=QUANTILES).mu == mu


def test_default_mu_is_one_half():
    r = klr_signals(pd.DataFrame({"x": X}), LABELS, ["x"], quantiles=QUANTILES)
    assert r.mu == 0.5
    assert r.table.iloc[0]["usefulness"] == pytest.approx(usefulness(0.5, 3 / 4, 1 / 7), rel=1e-12)


def test_default_quantiles_50_to_98_percent():
    # 0..100: the default candidates are the 50 %, 51 %, ..., 98 % quantiles = 50, 51, ..., 98.
    # Pre-crisis: 95..100, so x >= 95 (the 95 % quantile) is perfect; 99 and 100 are not candidates.
    x = np.arange(101.0)
    labels = (x >= 95).astype(float)
    r = klr_signals(pd.DataFrame({"x": x}), labels, ["x"]).table.iloc[0]
    assert (r["threshold"], r["A"], r["B"], r["C"], r["D"]) == (95.0, 6, 0, 0, 95)
    # pre-crisis 99, 100 only: the best candidate 98 adds one false alarm (x = 98); nothing above 98 is tried
    labels = (x >= 99).astype(float)
    r = klr_signals(pd.DataFrame({"x": x}), labels, ["x"]).table.iloc[0]
    assert (r["threshold"], r["A"], r["B"], r["C"], r["D"]) == (98.0, 2, 1, 0, 98)


def test_signals_keep_the_data_index():
    res = klr_signals(pd.DataFrame({"x": X}), LABELS, ["x"], quantiles=QUANTILES)
    new = pd.DataFrame({"x": [6.0, 7.0, 8.0]}, index=[10, 20, 30])
    sig = res.signals(new)
    assert sig.index.tolist() == [10, 20, 30] and sig["x"].tolist() == [False, True, True]


def _table(rows):
    return SignalResult(pd.DataFrame(rows, columns=["indicator", "direction", "threshold", "nsr"]), mu=0.5)


def test_composite_weights_by_inverse_nsr():
    """KLR's composite: signals weighted by 1/NSR over the indicators with NSR < 1, scaled to [0, 1]."""
    res = _table([("a", 1, 1.0, 0.25), ("b", -1, 0.0, 0.5), ("c", 1, 0.0, 1.0), ("d", 1, 0.0, np.inf)])
    # weights 4 (a) and 2 (b); c (NSR = 1, no better than noise) and d (never hits) are left out
    data = pd.DataFrame({"a": [0.0, 1.0, 0.0, 2.0], "b": [1.0, 1.0, 0.0, -1.0], "c": [1.0] * 4, "d": [1.0] * 4},
                        index=[5, 6, 7, 8])
    comp = res.composite(data)
    assert comp.name == "composite" and comp.index.tolist() == [5, 6, 7, 8]
    np.testing.assert_allclose(comp.to_numpy(), [0.0, 4 / 6, 2 / 6, 1.0], rtol=1e-12)


def test_composite_of_a_perfect_indicator_is_capped():
    # NSR 0 is clipped at 1e-6: weight 1e6 beside weight 2 for NSR 0.5
    res = _table([("e", 1, 1.0, 0.0), ("a", 1, 1.0, 0.5)])
    data = pd.DataFrame({"e": [0.0, 1.0, 1.0], "a": [1.0, 0.0, 1.0]})
    np.testing.assert_allclose(res.composite(data).to_numpy(), [2 / (1e6 + 2), 1e6 / (1e6 + 2), 1.0], rtol=1e-12)


def test_signals_of_a_result_without_indicators_keep_the_rows():
    res = _table([])
    sig = res.signals(pd.DataFrame({"x": [1.0, 2.0]}, index=["p", "q"]))
    assert sig.index.tolist() == ["p", "q"] and sig.columns.tolist() == []


def test_composite_without_a_usable_indicator_is_zero():
    res = _table([("c", 1, 0.0, 1.0), ("d", 1, 0.0, np.inf)])
    comp = res.composite(pd.DataFrame({"c": [1.0, 2.0], "d": [1.0, 2.0]}, index=["p", "q"]))
    assert comp.name == "composite" and comp.index.tolist() == ["p", "q"] and comp.tolist() == [0.0, 0.0]
