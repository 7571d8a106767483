"""The analyst's own tables: Chinese headers, export layouts, units, data quality."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finstab.core.errors import DataError
from finstab.core.io import read_table
from finstab.core.warnings import DataQualityWarning
from finstab.monitor.model import Monitor
from finstab.monitor.panel import build_panel, data_quality
from finstab.monitor.systems import load_system
from finstab.pipelines import run_monitor
from finstab.samples import sample_path

FIX = Path(__file__).parent / "fixtures"
SMALL = load_system("small_banks")
# the five ratios these tests write out (the preset's NIM gap to large banks is left out)
INDS = [i for i in SMALL.tree.indicators if i.id != "nim_gap"]  # nim, roa, npl_ratio, provision_coverage, CAR


@pytest.mark.parametrize(("system", "fixture", "sample"), [
    ("zibo", "zibo_name_zh.xlsx", "zibo_sample.csv"),
    ("small_banks", "small_banks_gbk.csv", "themes/small_banks.csv"),
    ("local_debt", "local_debt_wind.xlsx", "themes/local_debt.csv"),
    ("local_debt", "local_debt_choice.csv", "themes/local_debt.csv"),
])
def test_analysts_files_score_as_the_samples_they_came_from(system, fixture, sample):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # a clean file raises no data-quality warning
        mine = run_monitor(system, FIX / fixture)
    ref = run_monitor(system, sample_path(sample))
    assert mine.keys["period"].tolist()[:2] == ref.keys["period"].tolist()[:2]
    # regions are renamed (Chinese names) but each region's scores are the sample's, period by period
    assert np.allclose(np.sort(mine.node_scores, axis=0), np.sort(ref.node_scores, axis=0))
    a = pd.DataFrame(mine.node_scores).groupby(mine.keys["period"].to_numpy()).sum()
    b = pd.DataFrame(ref.node_scores).groupby(ref.keys["period"].to_numpy()).sum()
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())


def test_zibo_workbook_reproduces_the_published_dimension_scores():
    res = run_monitor("zibo", FIX / "zibo_name_zh.xlsx")
    ref = run_monitor("zibo", sample_path("zibo_sample.csv"))
    np.testing.assert_allclose(res.wide_frame(1).drop(columns=["region", "grade"]).to_numpy(dtype=float),
                               ref.wide_frame(1).drop(columns=["region", "grade"]).to_numpy(dtype=float))
    assert res.keys["region"].unique().tolist() == ["淄博（合成）"]


def frame(**cols):
    return pd.DataFrame(cols)


def test_long_table_in_chinese():
    df = frame(地区=["博山区"] * 5, 年份=["2022年"] * 5, 指标=[i.name_zh for i in INDS],
               数值=[1.8, 0.7, 1.6, 180.0, 13.5], 单位=["%"] * 5)
    p = build_panel(df, INDS)
    assert p.keys.to_dict("list") == {"region": ["博山区"], "period": [2022]}
    np.testing.assert_allclose(p.values, [[1.8, 0.7, 1.6, 180.0, 13.5]])
    assert p.frequency == "year" and p.quality.empty


def test_year_and_quarter_columns_combine():
    df = frame(机构=["城商行", "城商行"], 年份=[2021, 2021], 季度=["一季度", "2"],
               **{i.name_zh: [1.0, 1.1] for i in INDS})
    assert build_panel(df, INDS).keys["period"].tolist() == ["2021Q1", "2021Q2"]


def test_cells_as_exports_write_them():
    df = frame(region=["A", "A", "A"], period=["2021Q1", "2021Q2", "2021Q3"],
               nim=["1.8%", "1,234.5", "--"], roa=[0.5, 0.6, 0.7], npl_ratio=[1.0, 1.1, 1.2],
               provision_coverage=[150, 160, 170], capital_adequacy=["１３.５", "#N/A", 13.0])
    p = build_panel(df, INDS, missing="allow")
    np.testing.assert_allclose(p.values[:, 0], [1.8, 1234.5, np.nan])
    np.testing.assert_allclose(p.values[:, 4], [13.5, np.nan, 13.0])
    missing = p.quality[p.quality["check"] == "missing"]
    assert missing[["region", "period", "indicator"]].values.tolist() == \
        [["A", "2021Q2", "capital_adequacy"], ["A", "2021Q3", "nim"]]
    assert missing["treatment"].str.contains("scaled up").all()


def test_decimals_where_percent_is_declared_warn_and_are_listed():
    df = frame(region=["A", "B"], period=[2022, 2022], nim=[2.0, 2.1], roa=[0.8, 0.9],
               npl_ratio=[0.018, 0.021], provision_coverage=[180, 190], capital_adequacy=[13.0, 14.0])
    with pytest.warns(DataQualityWarning, match=r"不良贷款率 \(npl_ratio\) lies between -1 and 1 .* multiply"):
        p = build_panel(df, INDS)
    unit = p.quality[p.quality["check"] == "unit"]
    assert unit["indicator"].tolist() == ["npl_ratio"] and unit["severity"].tolist() == ["warning"]


def test_a_unit_written_in_the_file_that_contradicts_the_system_is_an_error(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("地区,年份,净息差(%),资产利润率(%),不良贷款率(小数),拨备覆盖率(%),资本充足率(%)\n"
                 "A,2022,2,0.8,0.018,180,13\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"p.csv, column 不良贷款率\(小数\): column 不良贷款率\(小数\) is in 小数 but "
                                        r"不良贷款率 \(npl_ratio\) is measured in %; multiply by 100"):
        build_panel(read_table(f), INDS)


@pytest.mark.parametrize(("name", "message"), [
    ("blank_region.xlsx", r"blank_region.xlsx row 3: column region: the region is empty"),
    ("huge_period.xlsx", r"huge_period.xlsx row 2: column period: 'infinity' is not a period; expected a year"),
    ("mixed_frequency.csv", r"mixed_frequency.csv: column 期间 mixes frequencies: years \(e.g. '2021', row 2\) and "
                            r"quarters \(e.g. '2021Q2', rows 3, 4\)"),
])
def test_hostile_panels_give_one_clear_message(name, message):
    zibo = load_system("zibo").tree.indicators
    with pytest.raises(DataError, match=message) as err:
        build_panel(read_table(FIX / "hostile" / name), [zibo[0]])
    assert "np." not in str(err.value) and "('" not in str(err.value)


def test_duplicates_identical_dropped_conflicting_refused():
    base = dict(nim=[2.0, 2.0], roa=[0.8, 0.8], npl_ratio=[1.5, 1.5], provision_coverage=[180, 180],
                capital_adequacy=[13.0, 13.0])
    with pytest.warns(DataQualityWarning, match="博山区 2022 repeats row 1 of the table with the same values"):
        p = build_panel(frame(region=["博山区"] * 2, period=[2022, 2022], **base), INDS)
    assert len(p.keys) == 1 and p.quality["check"].tolist() == ["duplicate"]
    with pytest.raises(DataError, match=r"博山区 2022 appears twice \(row 1 of the table and row 2 of the table\) "
                                        "with different values; keep one"):
        build_panel(frame(region=["博山区"] * 2, period=[2022, 2022], **{**base, "nim": [2.0, 2.2]}), INDS)


def test_a_region_period_without_any_value_is_an_error_even_when_renormalising():
    df = frame(region=["A", "B"], period=[2022, 2022], **{i.id: [1.0, None] for i in SMALL.tree.indicators})
    with pytest.raises(DataError, match="B 2022 has no value for any indicator; fill it or remove the row"):
        Monitor(SMALL, missing="renormalise").evaluate(df)


def test_far_outside_the_scale_warns_and_impossible_values_are_refused():
    df = frame(region=["A", "B"], period=[2022, 2022], nim=[2.0, 500.0], roa=[0.8, 0.8], npl_ratio=[1.5, 1.5],
               provision_coverage=[180, 180], capital_adequacy=[13.0, 1e300])
    with pytest.raises(DataError, match="1e\\+300 is not a plausible value of 资本充足率"):
        build_panel(df, INDS)
    q = data_quality(df, INDS)
    assert q[["check", "severity", "indicator", "region", "value", "treatment"]].values.tolist() == [
        ["out_of_range", "warning", "nim", "B", "500", "kept; scored as the end of the scale"],
        ["out_of_range", "error", "capital_adequacy", "B", "1e+300", "refused"]]


def test_data_quality_lists_every_problem_at_once(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("地区,年份,净息差,资产利润率,不良贷款率,拨备覆盖率,资本充足率,备注\n"
                 "A,2021,2.0,abc,1.5,180,13\n"
                 ",2021,2.0,0.8,1.5,180,13\n"
                 "B,2021,2.0,0.8,,180,13\n", encoding="utf-8")
    q = data_quality(read_table(f), INDS, missing="error")
    found = sorted(zip(q["check"], q["where"].str.replace(str(f), "bad.csv"), strict=True))
    assert found == [("blank_key", "bad.csv row 3"), ("ignored_column", "bad.csv"),
                     ("missing", "bad.csv row 4, column 不良贷款率"),
                     ("non_numeric", "bad.csv row 2, column 资产利润率")]
    assert build_panel(read_table(sample_path("themes/small_banks.csv")), SMALL.tree.indicators).quality.empty


def test_missing_key_column_message_lists_what_it_looks_for():
    with pytest.raises(DataError, match=r"missing column\(s\) 'period' \(a period column such as period, 期间"):
        build_panel(frame(地区=["A"], nim=[1.0]), ["nim"])


def test_findings_name_rows_top_to_bottom_whatever_order_the_panel_sorts_them_into():
    """The panel is sorted by region and period; its findings still follow the file."""
    df = pd.DataFrame({"region": ["B", "A", "B", "A"], "period": [2022, 2022, 2021, 2021],
                       "npl": [1.0, 2.0, np.nan, 1.5], "car": [np.nan, 12.0, 11.0, 10.0]})
    df.attrs["source"] = "panel.csv"
    with pytest.raises(DataError, match=r"^panel.csv row 1 of the table, column car: no value for indicator 'car'"):
        build_panel(df, ["npl", "car"])
    with pytest.warns(DataQualityWarning, match="B 2022 car; B 2021 npl"):
        found = build_panel(df, ["npl", "car"], missing="allow").quality
    assert found["where"].tolist() == ["panel.csv row 1 of the table, column car",
                                       "panel.csv row 3 of the table, column npl"]
    assert data_quality(df, ["npl", "car"], missing="error")["where"].tolist() == found["where"].tolist()


def test_long_and_wide_panels_are_column_major_in_key_order():
    wide = pd.DataFrame({"region": ["B", "A"], "period": [2021, 2021], "x": [1.0, 2.0], "y": [3.0, 4.0]})
    long = wide.melt(id_vars=["region", "period"], var_name="indicator", value_name="value")
    for df in (wide, long, long.sort_values(["region", "period"])):
        panel = build_panel(df, ["x", "y"])
        assert panel.values.flags.f_contiguous
        assert panel.keys["region"].tolist() == ["A", "B"] and panel.values.tolist() == [[2.0, 4.0], [1.0, 3.0]]
