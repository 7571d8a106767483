"""Pre-crisis windows, the evaluation of a signal (hits, false alarms, lead times) and the
EarlyWarning result, on panels small enough to count by hand."""

import warnings

import numpy as np
import pandas as pd
import pytest

from finstab.core.errors import DataError, InputError
from finstab.core.provenance import Provenance
from finstab.early_warning import EarlyWarning, evaluate_signal, pre_crisis_labels

NAN = np.nan


def keys_of(lengths, entity="entity", period="period"):
    return pd.DataFrame({entity: [e for e, n in lengths.items() for _ in range(n)],
                         period: [p for n in lengths.values() for p in range(n)]})


def test_window_is_the_horizon_before_the_event():
    # event of "a" at period 5, horizon 3: periods 2, 3, 4 are pre-crisis; 5 and after carry no information
    keys = keys_of({"a": 8, "b": 4})
    lab = pre_crisis_labels(keys, {"a": 5}, horizon=3)
    np.testing.assert_array_equal(lab.to_numpy(), [0, 0, 1, 1, 1, NAN, NAN, NAN, 0, 0, 0, 0])
    assert lab.name == "pre_crisis" and lab.index.equals(keys.index)


def test_horizon_one_marks_only_the_period_before():
    lab = pre_crisis_labels(keys_of({"a": 5}), {"a": 3}, horizon=1)
    np.testing.assert_array_equal(lab.to_numpy(), [0, 0, 1, NAN, NAN])


def test_positions_count_within_each_entity_and_keep_the_index():
    # entity "b" comes first in the frame and "a" is interleaved: positions are per entity, in row order
    keys = pd.DataFrame({"entity": ["b", "a", "b", "a", "b", "a"], "period": [10, 10, 11, 11, 12, 12]},
                        index=[7, 3, 9, 1, 5, 0])
    lab = pre_crisis_labels(keys, {"a": 12, "b": 11}, horizon=1)
    np.testing.assert_array_equal(lab.to_numpy(), [1, 0, NAN, 1, NAN, NAN])
    assert lab.index.tolist() == [7, 3, 9, 1, 5, 0]


def test_labels_with_named_columns_and_text_periods():
    keys = pd.DataFrame({"region": ["AH"] * 4, "year": ["2019", "2020", "2021", "2022"]})
    lab = pre_crisis_labels(keys, {"AH": "2022"}, 2, entity="region", period="year")
    np.testing.assert_array_equal(lab.to_numpy(), [0, 1, 1, NAN])


def test_labels_errors():
    keys = keys_of({"a": 4})
    with pytest.raises(InputError) as info:
        pre_crisis_labels(keys, {"a": 2}, horizon=0)
    assert str(info.value) == "horizon: horizon = 0; expected >= 1"
    with pytest.raises(DataError) as info:
        pre_crisis_labels(keys, {"a": 9}, horizon=1)
    assert str(info.value) == "events: event period 9 of 'a' is not in the data"


def _evaluation_panel(entity="entity", period="period"):
    """Three entities of 8 periods; events a at 5, b at 6, c at 3; horizon 2.

    Windows (label 1): a 3, 4; b 4, 5; c 1, 2. Signals: a at 1 (false alarm), 3, 4 (hits) and 6
    (after the event: ignored); b at 5 (hit); c at 0 (false alarm) and 4 (after its event).
    Kept rows: a 0-4, b 0-5, c 0-2 -> 6 window rows, 8 tranquil rows.
    Hits 3 of 6; false alarms 2 of 8; a warned 5 - 3 = 2 periods ahead, b 6 - 5 = 1; c not warned.
    """
    keys = keys_of({"a": 8, "b": 8, "c": 8}, entity, period)
    on = {("a", 1), ("a", 3), ("a", 4), ("a", 6), ("b", 5), ("c", 0), ("c", 4)}
    signal = pd.Series([(e, p) in on for e, p in zip(keys[entity], keys[period], strict=True)])
    return keys, signal, {"a": 5, "b": 6, "c": 3}


def test_evaluation_by_hand():
    keys, signal, events = _evaluation_panel()
    ev = evaluate_signal(signal, keys, events, 2)
    assert ev == {"hit_rate": 3 / 6, "false_alarm_rate": 2 / 8, "events_warned": 2, "events": 3,
                  "mean_lead": 1.5}


def test_a_signal_given_as_counts_is_read_as_on_or_off():
    # the number of indicators signalling (0, 1, 2, ...): any nonzero count is a signal
    keys, signal, events = _evaluation_panel()
    counts = signal.astype(int) * pd.Series(np.arange(len(signal)) % 3 + 1)
    assert evaluate_signal(counts, keys, events, 2) == evaluate_signal(signal, keys, events, 2)


def test_evaluation_with_named_columns():
    keys, signal, events = _evaluation_panel("bank", "quarter")
    ev = evaluate_signal(signal, keys, events, 2, entity="bank", period="quarter")
    assert (ev["hit_rate"], ev["false_alarm_rate"], ev["events_warned"], ev["mean_lead"]) == (0.5, 0.25, 2, 1.5)


def test_evaluation_lead_is_from_the_first_signal_in_the_window():
    # horizon 4: a's window is 1..4, its first signal there is at 1 -> lead 4; b's window 2..5 -> 5, lead 1;
    # c's window 0..2 -> 0, lead 3
    keys, signal, events = _evaluation_panel()
    ev = evaluate_signal(signal, keys, events, 4)
    assert (ev["events_warned"], ev["mean_lead"]) == (3, pytest.approx((4 + 1 + 3) / 3))


def test_evaluation_of_a_silent_signal():
    keys, _, events = _evaluation_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = evaluate_signal(pd.Series(False, index=keys.index), keys, events, 2)
    assert (ev["hit_rate"], ev["false_alarm_rate"], ev["events_warned"], ev["events"]) == (0.0, 0.0, 0, 3)
    assert np.isnan(ev["mean_lead"])


def test_evaluation_without_a_window_or_without_tranquil_rows():
    """Rates that cannot be measured are NaN, without numpy's 'mean of empty slice' warning."""
    # the event is the entity's first period: no row is pre-crisis, the tranquil rows are the other entity's
    keys = keys_of({"a": 3, "b": 3})
    signal = pd.Series([True, False, False, True, True, False])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = evaluate_signal(signal, keys, {"a": 0}, 2)
    assert np.isnan(ev["hit_rate"]) and ev["false_alarm_rate"] == 2 / 3 and ev["events_warned"] == 0
    # every kept row is pre-crisis: no false-alarm rate
    keys = keys_of({"a": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = evaluate_signal(pd.Series([False, True, True]), keys, {"a": 2}, 2)
    assert ev["hit_rate"] == 0.5 and np.isnan(ev["false_alarm_rate"]) and ev["mean_lead"] == 1.0


def _early_warning(evaluation, lang="en", horizon=4, threshold=0.5):
    signals = pd.DataFrame({"indicator": ["npl"], "direction": [1], "threshold": [0.034567],
                            "nsr": [0.123456], "hit_rate": [0.75], "false_alarm_rate": [0.0926],
                            "relative_usefulness": [0.61]})
    composite = pd.DataFrame({"entity": ["a"], "period": ["2020"], "composite": [0.4], "pre_crisis": [1.0]})
    prov = Provenance("early_warning/klr", "c", "d", parameters={"horizon": horizon, "threshold": threshold})
    return EarlyWarning(signals, composite, evaluation, horizon, threshold, provenance=prov, lang=lang)


EVALUATION = {"hit_rate": 0.75, "false_alarm_rate": 0.125, "events_warned": 3, "events": 4, "mean_lead": 2.25}


def test_evaluation_line_in_both_languages():
    ew = _early_warning(EVALUATION)
    assert ew.evaluation_line() == ("composite >= 0.5: hit rate 75.0%, false alarms 12.5%, warned 3/4 events, "
                                    "mean lead 2.2 periods (horizon 4)")
    assert ew.with_lang("zh").evaluation_line() == ("综合指数 >= 0.5: 命中率 75.0%, 误报率 12.5%, 预警事件 3/4, "
                                                    "平均提前 2.2 期 (窗口 4 期)")


def test_early_warning_summary_and_tables():
    ew = _early_warning(EVALUATION, horizon=2, threshold=0.6)
    lines = ew.summary().splitlines()
    assert lines[0] == "KLR signals, horizon 2"
    assert lines[1].split() == ["indicator", "direction", "threshold", "nsr", "hit_rate", "false_alarm_rate",
                                "relative_usefulness"]
    assert lines[2].split() == ["npl", "1", "0.0346", "0.1235", "0.75", "0.0926", "0.61"]  # four decimals
    assert lines[3] == ew.evaluation_line() and lines[4] == ew.footer() and len(lines) == 5
    tables = ew.tables()
    assert list(tables) == ["signals", "composite", "evaluation"]
    assert tables["signals"] is ew.signals and tables["composite"] is ew.composite
    assert tables["evaluation"].to_dict("records") == [EVALUATION]


def test_early_warning_rebuilt_from_its_tables():
    ew = _early_warning(EVALUATION, horizon=3, threshold=0.7)
    back = EarlyWarning.from_tables(ew.tables(), None, provenance=ew.provenance, warnings=("W: careful",))
    assert (back.horizon, back.threshold, back.warnings) == (3, 0.7, ("W: careful",))
    assert back.evaluation == EVALUATION and back.signals.equals(ew.signals) and back.composite.equals(ew.composite)
    assert back.provenance is ew.provenance
