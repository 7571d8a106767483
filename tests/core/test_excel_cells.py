"""Workbook cells as a user reads them in Excel: dates, empty and infinite cells, headers, limits."""

import datetime as dt
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from finstab.core.errors import DataError
from finstab.core.io import EXCEL_MAX_TEXT, write_excel
from finstab.core.warnings import DataQualityWarning


def test_dates_show_as_dates_and_missing_values_as_empty_cells(tmp_path):
    df = pd.DataFrame({2020: [1, 2],
                       "day": [pd.Timestamp("2019-01-03"), pd.Timestamp("2019-01-03 13:45")],
                       "date": [dt.date(2021, 5, 6), None],
                       "flag": pd.array([True, None], dtype="boolean"),
                       "level": [np.inf, -np.inf]})
    ws = openpyxl.load_workbook(write_excel({"s": df}, tmp_path / "t.xlsx"))["s"]
    assert [c.value for c in ws[1]] == [2020, "day", "date", "flag", "level"]  # a year header stays a number
    assert [(c.value, c.number_format) for c in ws[2]][1:3] == [
        (dt.datetime(2019, 1, 3), "yyyy-mm-dd"), (dt.datetime(2021, 5, 6), "yyyy-mm-dd")]
    assert (ws["B3"].value, ws["B3"].number_format) == (dt.datetime(2019, 1, 3, 13, 45), "yyyy-mm-dd hh:mm:ss")
    assert ws["C3"].value is None and ws["D3"].value is None and ws["D2"].value is True
    assert [ws["E2"].value, ws["E3"].value] == ["inf", "-inf"]  # as the CSV files write them


def test_text_beyond_excels_cell_limit_is_cut_with_a_warning(tmp_path):
    df = pd.DataFrame({"note": ["x" * (EXCEL_MAX_TEXT + 10), "short"]})
    with pytest.warns(DataQualityWarning, match=r"sheet s row 2, column note: text of 32,777 characters cut"):
        path = write_excel({"s": df}, tmp_path / "t.xlsx")
    assert len(openpyxl.load_workbook(path)["s"]["A2"].value) == EXCEL_MAX_TEXT


@pytest.mark.parametrize(("names", "message"), [
    (["a/b"], "sheet name 'a/b' contains /; Excel refuses it"),
    (["'q"], "sheet name ''q' is empty or starts or ends with '"),
    (["Scores", "scores"], "sheet names 'Scores' and 'scores' are the same to Excel"),
    (["x" * 31 + "1", "x" * 31 + "2"], f"sheet names '{'x' * 31}1' and '{'x' * 31}2' are the same to Excel"),
])
def test_sheet_names_excel_refuses_are_an_error_and_nothing_is_written(tmp_path, names, message):
    with pytest.raises(DataError, match=f"^Excel output: {message}".replace("(", r"\(").replace(")", r"\)")):
        write_excel({n: pd.DataFrame({"a": [1]}) for n in names}, tmp_path / "t.xlsx")
    assert not list(tmp_path.iterdir())


def test_empty_and_column_free_sheets(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = openpyxl.load_workbook(write_excel({"a": pd.DataFrame({"x": []}), "b": pd.DataFrame()},
                                                  tmp_path / "t.xlsx"))
    assert [c.value for c in book["a"][1]] == ["x"] and book["b"].max_row == 1
