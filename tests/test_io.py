"""read_table: encodings, export layouts, damaged and hostile workbooks."""

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from finstab.cli.main import app
from finstab.core.errors import DataError, InputError
from finstab.core.io import describe_row, read_fields, read_table

FIX = Path(__file__).parent / "fixtures"
TEXT = "地区,年份,不良贷款率(%)\n博山区,2022年,1.8\n张店区,2022年,2.1\n"


@pytest.mark.parametrize(("encoding", "detected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16"),
])
def test_encodings_are_detected(tmp_path, encoding, detected):
    f = tmp_path / "p.csv"
    f.write_bytes(TEXT.encode(encoding))
    df = read_table(f)
    assert df.attrs["encoding"] == detected
    assert df.to_dict("list") == {"地区": ["博山区", "张店区"], "年份": ["2022年", "2022年"],
                                  "不良贷款率(%)": [1.8, 2.1]}


def test_gb18030_only_characters_and_the_override(tmp_path):
    f = tmp_path / "p.csv"
    f.write_bytes("地区,值\n䶮城,1\n".encode("gb18030"))  # U+4DAE is in GB18030, not in GBK
    assert read_table(f)["地区"].tolist() == ["䶮城"]
    g = tmp_path / "latin.csv"
    g.write_bytes("name,value\nCafé,1\n".encode("latin-1"))
    assert read_table(g, encoding="latin-1")["name"].tolist() == ["Café"]
    with pytest.raises(DataError, match=r"not valid utf-8: byte 0xb5 on line 1; check the encoding"):
        read_table(f, encoding="utf-8")
    with pytest.raises(InputError, match="encoding: unknown text encoding 'klingon'"):
        read_table(f, encoding="klingon")


def test_bytes_in_no_known_encoding(tmp_path):
    f = tmp_path / "p.csv"
    f.write_bytes(b"a,b\n1,\x80\xff\n")
    with pytest.raises(DataError, match=r"cannot tell the text encoding: not UTF-8 \(byte 0x80 on line 2\) and not "
                                        r"GBK/GB18030; save the file as CSV UTF-8 or give its encoding") as err:
        read_table(f)
    assert "codec can't decode" not in str(err.value)


def test_wind_export_layout():
    df = read_table(FIX / "local_debt_wind.xlsx")
    assert list(df.columns[:3]) == ["地区", "日期", "债务率(债务余额/综合财力)"]
    assert df.attrs["title"] == ["地方政府债务风险指标（示例：合成数据，非真实数值）", "导出时间：2024-06-30"]
    assert df.attrs["footer"][0].startswith("数据来源：Wind")
    assert df.attrs["units"]["地方债发行利差"] == "bp" and df.attrs["meta"]["frequency"]["城投有息债务/GDP"] == "年"
    assert len(df) == 31 * 9 and describe_row(df, 0).endswith("local_debt_wind.xlsx row 8")
    assert str(df["日期"].iloc[0])[:10] == "2015-12-31"


def test_choice_export_layout():
    df = read_table(FIX / "local_debt_choice.csv")
    assert df.attrs["encoding"] == "gb18030" and df.attrs["title"] == ["东方财富Choice数据导出"]
    assert df.attrs["units"]["issuance spread over treasuries"] == "bp"
    assert df.attrs["footer"] == ["数据来源：东方财富Choice数据（示例，合成数据）"]
    assert len(df) == 279 and describe_row(df, 0).endswith("row 5")


def test_comment_lines_blank_lines_and_row_numbers(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("# note\n\nregion,period,x\n# skipped\nA,2021,see #3\n,,\nB,2021,2\n", encoding="utf-8")
    df = read_table(f)
    assert df["x"].tolist() == ["see #3", "2"] and [describe_row(df, k)[-5:] for k in (0, 1)] == ["row 5", "row 7"]


def test_a_row_with_too_many_cells(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    df = read_table(f)  # extra cells under no header get a column of their own
    assert list(df.columns) == ["a", "b", "column C"]


@pytest.mark.parametrize(("name", "message"), [
    ("truncated.xlsx", "the file is damaged, truncated or not an .xlsx workbook"),
    ("entity_bomb.xlsx", "part xl/worksheets/sheet1.xml declares a DOCTYPE or entities"),
])
def test_damaged_and_hostile_workbooks(name, message):
    with pytest.raises(DataError, match=message):
        read_table(FIX / "hostile" / name)


def test_other_files_that_are_not_workbooks(tmp_path):
    for name, data in (("a.xlsx", b"region,period\n"), ("b.xlsx", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataError, match=r"damaged, truncated or not an \.xlsx"):
            read_table(tmp_path / name)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    (tmp_path / "c.xlsx").write_bytes(buf.getvalue())
    with pytest.raises(DataError, match=r"not an \.xlsx workbook"):
        read_table(tmp_path / "c.xlsx")
    (tmp_path / "d.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match=r"Excel 97-2003 \(.xls\) files cannot be read; save the sheet as .xlsx"):
        read_table(tmp_path / "d.xls")
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "none.csv")
    (tmp_path / "e.csv").write_bytes(b"# only a comment\n")
    with pytest.raises(DataError, match="holds no table"):
        read_table(tmp_path / "e.csv")


def _book(path, rows, sheets=("data",)):
    wb = Workbook()
    for k, name in enumerate(sheets):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = name
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_row_and_cell_limits(tmp_path):
    rows = [["region", "period", "x"]] + [[f"R{k}", 2020, k] for k in range(50)]
    f = _book(tmp_path / "p.xlsx", rows)
    assert len(read_table(f, max_rows=50)) == 50
    with pytest.raises(DataError, match=r"50 rows of data; the limit is 10 \(max_rows\); split the table"):
        read_table(f, max_rows=10)
    with pytest.raises(DataError, match=r"the limit is 60 \(max_cells\)"):
        read_table(f, max_cells=60)
    g = tmp_path / "p.csv"
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(g, index=False)
    with pytest.raises(DataError, match=r"50 rows of data; the limit is 10 \(max_rows\)"):
        read_table(g, max_rows=10)
    with pytest.raises(InputError, match="max_rows: 0 is not a positive whole number"):
        read_table(g, max_rows=0)


def test_a_sheet_whose_cells_reach_far_columns_stops_at_the_cell_limit(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["region", "period", "x"])
    for r in range(2, 400):
        ws.cell(row=r, column=1, value="A")
        ws.cell(row=r, column=16384, value=1)  # column XFD
    wb.save(tmp_path / "wide.xlsx")
    with pytest.raises(DataError, match=r"max_cells"):
        read_table(tmp_path / "wide.xlsx", max_cells=1_000_000)


def test_sheets_by_name_index_or_table(tmp_path):
    f = _book(tmp_path / "t.xlsx", [["bank", "x"], ["B1", 1]], sheets=("说明 instructions", "banks 银行", "edges 敞口"))
    assert read_table(f).attrs["sheet"] == "banks 银行"
    assert read_table(f, table="edges").attrs["sheet"] == "edges 敞口"
    assert read_table(f, sheet=0).attrs["sheet"] == "说明 instructions"
    assert read_table(f, sheet="EDGES 敞口").attrs["sheet"] == "edges 敞口"
    assert read_table(f).attrs["source"].endswith("t.xlsx (sheet banks 银行)")
    with pytest.raises(DataError, match="no sheet 'nodes'; the sheets are 说明 instructions, banks 银行, edges 敞口"):
        read_table(f, sheet="nodes")
    with pytest.raises(DataError, match="no sheet number 7"):
        read_table(f, sheet=7)


def test_read_fields(tmp_path):
    f = _book(tmp_path / "m.xlsx", [["字段 field", "说明", "值 value"], ["bank", "银行", "CITY003"],
                                    ["qualitative.real_economy.level", "", "high"], ["loss", "", 260],
                                    ["empty", "", None]], sheets=("fields 字段",))
    assert read_fields(f) == {"bank": "CITY003", "qualitative": {"real_economy": {"level": "high"}}, "loss": 260}


runner = CliRunner()


@pytest.mark.parametrize("name", ["truncated.xlsx", "entity_bomb.xlsx", "huge_period.xlsx", "blank_region.xlsx",
                                  "mixed_frequency.csv"])
def test_cli_refuses_hostile_files_cleanly(tmp_path, name):
    out = tmp_path / "out"
    res = runner.invoke(app, ["monitor", "--data", str(FIX / "hostile" / name), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and name in res.output
    assert not out.exists()


@pytest.mark.parametrize(("system", "fixture"), [("zibo", "zibo_name_zh.xlsx"), ("small_banks", "small_banks_gbk.csv"),
                                                 ("local_debt", "local_debt_wind.xlsx"),
                                                 ("local_debt", "local_debt_choice.csv")])
def test_cli_runs_the_analysts_files(tmp_path, system, fixture):
    res = runner.invoke(app, ["monitor", "--system", system, "--data", str(FIX / fixture), "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "scores.csv").is_file()
