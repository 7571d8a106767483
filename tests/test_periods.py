import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finstab.core.errors import DataError
from finstab.core.periods import parse_periods, period_label, show, to_pandas


@pytest.mark.parametrize(("cell", "label"), [
    (2021, 2021), (np.int64(2021), 2021), (2021.0, 2021), ("2021", 2021), ("2021年", 2021), ("2021年度", 2021),
    ("FY2021", 2021), ("２０２１年", 2021),
    ("2021Q1", "2021Q1"), ("2021q3", "2021Q3"), ("2021-Q2", "2021Q2"), ("Q4 2021", "2021Q4"),
    ("2021年一季度", "2021Q1"), ("2021年第二季度", "2021Q2"), ("2021年3季度", "2021Q3"), ("2021年四季", "2021Q4"),
    ("2021-03", "2021-03"), ("2021/3", "2021-03"), ("2021.03", "2021-03"), (202103, "2021-03"), ("202112", "2021-12"),
    ("2021年3月", "2021-03"), ("2021M03", "2021-03"), (pd.Period("2021Q2", freq="Q"), "2021Q2"),
])
def test_written_periods(cell, label):
    assert period_label(cell) == label


@pytest.mark.parametrize(("cells", "labels", "freq"), [
    ([dt.datetime(2020, 12, 31), dt.datetime(2021, 12, 31)], [2020, 2021], "year"),
    ([pd.Timestamp("2021-03-31"), pd.Timestamp("2021-06-30")], ["2021Q1", "2021Q2"], "quarter"),
    (["2021-01-31", "2021-02-28", "2021/3/31"], ["2021-01", "2021-02", "2021-03"], "month"),
    ([dt.date(2021, 3, 15), "20210316"], ["2021-03-15", "2021-03-16"], "day"),
    (["2021年3月31日", "2021Q2"], ["2021Q1", "2021Q2"], "quarter"),
    ([44286, 44377], ["2021Q1", "2021Q2"], "quarter"),  # Excel serial days of 2021-03-31, 2021-06-30
    ([2020, dt.datetime(2021, 12, 31)], [2020, 2021], "year"),
])
def test_dates_take_the_coarsest_frequency_they_fit(cells, labels, freq):
    p = parse_periods(cells)
    assert (p.labels, p.frequency) == (labels, freq)


def test_mixing_frequencies_names_the_rows():
    with pytest.raises(DataError) as err:
        parse_periods([2021, 2022, "2021Q1", "2021Q2", "2021Q3", "2021Q4"], column="年份", source="p.csv",
                      describe=lambda pos: f"row {pos + 2}")
    msg = str(err.value)
    assert msg.startswith("p.csv: column 年份 mixes frequencies: years (e.g. '2021', rows 2, 3) and quarters ")
    assert "rows 4, 5, 6 and 1 more" in msg


def test_a_date_that_is_not_a_period_end_among_quarters():
    with pytest.raises(DataError, match=r"quarters .* and dates that are not the end of one \(e.g. '2021-05-17'"):
        parse_periods(["2021Q1", dt.date(2021, 5, 17)])


@pytest.mark.parametrize(("cell", "text"), [
    ("2021H1", "'2021H1' is not a period"), (float("inf"), "'infinity' is not a period"), (None, "is empty"),
    ("2021Q9", "'2021Q9' is not a period"), ("2021-13", "'2021-13' is not a period"), (2021.5, "'2021.5' is not"),
    (True, "'True' is not a period"), ("", "is empty"),
])
def test_bad_cells_are_named_with_their_row(cell, text):
    with pytest.raises(DataError, match=text) as err:
        parse_periods(["2020", cell], source="f.xlsx", describe=lambda pos: f"row {pos + 5}")
    assert str(err.value).startswith("f.xlsx row 6: column period")
    assert "np." not in str(err.value)


def test_required_frequency():
    assert parse_periods([dt.date(2021, 12, 31)], frequency="quarter").labels == ["2021Q4"]
    with pytest.raises(DataError, match=r"holds years .* expected quarters"):
        parse_periods([2021], frequency="quarter")


def test_show_never_prints_reprs():
    assert [show(v) for v in (np.int64(2022), np.float64(2.5), 2022.0, pd.Timestamp("2021-03-31"), None)] == \
        ["2022", "2.5", "2022", "2021-03-31", "(empty)"]


@settings(deadline=None, max_examples=200)
@given(st.integers(1900, 2100), st.integers(1, 4))
def test_quarter_spellings_agree(year, q):
    cn = "一二三四"[q - 1]
    spellings = [f"{year}Q{q}", f"{year}年{cn}季度", f"{year}年第{q}季度", f"Q{q} {year}"]
    end = (to_pandas(f"{year}Q{q}", "quarter").end_time.date())
    assert {period_label(s) for s in spellings} | {period_label(end, frequency="quarter")} == {f"{year}Q{q}"}


@settings(deadline=None, max_examples=200)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_labels_sort_in_time_order(a, b):
    spellings = {"quarter": lambda d: f"{d.year}年{'一二三四'[(d.month - 1) // 3]}季度",
                 "month": lambda d: f"{d.year}/{d.month}", "day": lambda d: f"{d.year}年{d.month}月{d.day}日"}
    for freq, spell in spellings.items():
        la, lb = parse_periods([spell(a), spell(b)], frequency=freq).labels
        assert (la < lb) == (to_pandas(la, freq) < to_pandas(lb, freq))
        assert to_pandas(la, freq).start_time.date() <= a <= to_pandas(la, freq).end_time.date()


def test_parsed_columns_compare_by_their_labels_and_keep_time_order():
    a = parse_periods(["2021年一季度", "2020Q4", "2021Q1"])
    assert a == parse_periods(["2021Q1", "2020年四季度", "2021-Q1"])
    assert a != parse_periods(["2020Q4", "2021Q1", "2021Q1"])
    assert a.distinct == ("2020Q4", "2021Q1") and a.codes.tolist() == [1, 0, 1]
