"""Quarters and thresholds typed by people: the accepted spellings and the exact refusals."""

import math

import numpy as np
import pandas as pd
import pytest

from finstab.bank.quarters import as_quarter, as_threshold
from finstab.core.errors import InputError


@pytest.mark.parametrize(("text", "year", "quarter"), [
    ("2021Q1", 2021, 1), ("2021q4", 2021, 4), ("2019-Q2", 2019, 2), (" 2020 - q3 ", 2020, 3), ("1999Q4", 1999, 4),
])
def test_quarter_spellings(text, year, quarter):
    q = as_quarter(text)
    assert (q.year, q.quarter, q.freqstr) == (year, quarter, "Q-DEC")


def test_periods_are_kept_or_converted_to_calendar_quarters():
    fiscal = pd.Period("2021Q1", freq="Q-MAR")  # a quarterly period is taken as it is
    assert as_quarter(fiscal) is fiscal
    assert as_quarter(pd.Period("2021-05", freq="M")) == pd.Period("2021Q2", freq="Q")  # May is in Q2
    assert as_quarter(pd.Period("2021-12-31", freq="D")) == pd.Period("2021Q4", freq="Q")


@pytest.mark.parametrize(("value", "shown"), [
    ("2021Q9", "'2021Q9'"), ("2021Q0", "'2021Q0'"), ("21Q1", "'21Q1'"), ("2021", "'2021'"), (None, "'None'"),
    (math.nan, "'nan'"), (2021.1, "'2021.1'"), ("", "''"),
])
def test_not_a_quarter(value, shown):
    with pytest.raises(InputError) as info:
        as_quarter(value)
    assert str(info.value) == f"quarter: {shown} is not a quarter like 2021Q1 (year, then Q1-Q4)"
    with pytest.raises(InputError) as info:
        as_quarter(value, where="failed_banks['CITY003']")
    assert str(info.value).startswith(f"failed_banks['CITY003']: {shown} is not a quarter")


def test_thresholds():
    assert as_threshold("0.002") == 0.002 and as_threshold(-1) == -1.0 and as_threshold(np.float32(0.5)) == 0.5
    for value, message in [(None, "threshold: None is not a number"), ("abc", "threshold: 'abc' is not a number"),
                           (math.inf, "threshold: inf is not a finite number"),
                           ("nan", "threshold: nan is not a finite number")]:
        with pytest.raises(InputError) as info:
            as_threshold(value)
        assert str(info.value) == message
    with pytest.raises(InputError) as info:
        as_threshold([1], where="--threshold")
    assert str(info.value) == "--threshold: [1] is not a number"
    with pytest.raises(InputError) as info:
        as_threshold(-math.inf, where="params.threshold")
    assert str(info.value) == "params.threshold: -inf is not a finite number"
