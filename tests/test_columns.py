import pandas as pd
import pytest

from finstab.core.columns import (
    TABLES,
    ColumnSpec,
    canonical_table,
    canonical_unit,
    find_keys,
    match_columns,
    normalise,
    split_unit,
)
from finstab.core.errors import DataError
from finstab.monitor.systems import load_system

NPL = ColumnSpec("npl_ratio", "不良贷款率", "NPL ratio", unit="%")
CAR = ColumnSpec("car", "资本充足率", "capital adequacy ratio", unit="%")


@pytest.mark.parametrize("header", [
    "npl_ratio", "NPL_RATIO", "不良贷款率", "不良贷款率(%)", "不良贷款率（%）", "不良贷款率 （％）", "不良贷款率【%】",
    "NPL ratio", "npl ratio (%)", "ＮＰＬ Ratio", "不良贷款率 NPL ratio (%)", "NPL ratio 不良贷款率", " 不良贷款率\t",
])
def test_a_column_matches_by_id_or_either_name(header):
    m = match_columns(["地区", header], [NPL, CAR])
    assert m.columns == {"npl_ratio": header}
    assert m.unmatched == ["地区"]


def test_the_unit_in_brackets_is_kept():
    m = match_columns(["不良贷款率（%）", "资本充足率[小数]"], [NPL, CAR])
    assert m.header_units == {"npl_ratio": "%", "car": "小数"}


def test_a_name_with_its_own_brackets():
    debt = ColumnSpec("debt_ratio", "债务率(债务余额/综合财力)", "debt ratio", unit="%")
    for header in ("债务率(债务余额/综合财力)", "债务率（债务余额/综合财力）（%）", "债务率(%)", "债务率"):
        assert match_columns([header], [debt]).columns == {"debt_ratio": header}
    assert match_columns(["债务率(%)"], [debt]).header_units == {"debt_ratio": "%"}
    assert match_columns(["债务率(债务余额/综合财力)"], [debt]).header_units == {}


def test_two_columns_for_one_indicator_is_an_error():
    with pytest.raises(DataError, match=r"columns 不良贷款率 and NPL ratio \(%\) both hold 不良贷款率 \(npl_ratio\)"):
        match_columns(["不良贷款率", "NPL ratio (%)"], [NPL], where="f.csv")


def test_every_preset_indicator_matches_its_chinese_and_english_name():
    for preset in ("zibo", "guangxi", "local_debt", "small_banks"):
        inds = load_system(preset).tree.indicators
        for header in ([i.name_zh for i in inds], [f"{i.name_en} ({i.unit})" for i in inds],
                       [f"{i.name_zh} {i.name_en}" for i in inds], [i.id.upper() for i in inds]):
            m = match_columns(header, inds)
            assert list(m.columns) == [i.id for i in inds], preset


@pytest.mark.parametrize(("role", "headers"), [
    ("region", ["地区", "地市", "省份", "区县", "Region", "PROVINCE", "城市", "地区 region"]),
    ("period", ["年份", "年度", "季度", "月份", "日期", "Period", "date", "期间 period", "报告期"]),
    ("bank", ["银行", "机构", "bank", "Bank ID", "银行代码"]),
])
def test_key_columns_in_chinese_and_english(role, headers):
    for h in headers:
        assert find_keys(["x", h, "不良贷款率(%)"], role) == [h]


def test_units():
    assert [canonical_unit(u) for u in ("%", "％", "百分比", "bp", "基点", "小数", "亿元", "100 million yuan",
                                        "万亿元 trillion yuan", "", None)] == \
        ["%", "%", "%", "bp", "bp", "decimal", "亿元", "亿元", "万亿元", "", ""]
    assert canonical_unit("块") is None


def test_normalise_and_split():
    assert normalise("Ｇ Ｄ Ｐ增长率（％）") == "gdp增长率(%)"
    assert split_unit("贷款余额（亿元）") == ("贷款余额", "亿元")
    assert split_unit("(%)") == ("(%)", None)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_reads_its_own_bilingual_headers(table):
    specs = TABLES[table]
    df = pd.DataFrame([[None] * len(specs)], columns=[s.header for s in specs])
    assert list(canonical_table(df, table).columns) == [s.id for s in specs]
    zh = pd.DataFrame([[None] * len(specs)], columns=[s.name_zh for s in specs])
    assert list(canonical_table(zh, table).columns) == [s.id for s in specs]
