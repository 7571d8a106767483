"""The bank screen on a panel small enough to follow: IN flags, the volatility alarm recomputed by a
plain loop (seed 002: "IN above the threshold and abnormally volatile"), the watch list, the summary
and the checks on a panel as people type it."""

import itertools
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from finstab.bank import ScreenResult, calibrate_threshold, read_bank_panel, screen
from finstab.bank.screen import WATCH_COLUMNS
from finstab.core.errors import DataError, InputError
from finstab.core.provenance import Provenance

QUARTERS = [str(q) for q in pd.period_range("2019Q1", "2021Q4", freq="Q")]  # 12 quarters
AT_LINES = {"ct1car": 0.05, "lcr": 1.0, "cr": 0.225, "lr": 0.04, "inter": 0.7, "amo": 1.6}


def pcr_path(bank, k):
    """Provision coverage of each bank in quarter k; with every other ratio at its line and the reference
    size, IN = 0.25 x (1.2 - PCR) / 20."""
    if bank == "B0":  # flat, then swings of +-0.3 from 2021Q1 (k = 8)
        return 2.0 + (0.3 * (-1) ** k if k >= 8 else 0.0)
    if bank == "B1":  # flat, then swings of +-0.2 from 2021Q1: the second most volatile bank
        return 2.0 + (0.2 * (-1) ** k if k >= 8 else 0.0)
    if bank == "B9":  # below the provision line: IN about 0.0025 > 0, on the watch list
        return 1.0 + 0.009 * ((k % 3) - 1)
    j = int(bank[1])  # B2..B8: small repeating moves of different sizes
    return 2.0 + 0.001 * j * ((k % 3) - 1)


def panel_rows():
    rows = []
    for b in [f"B{j}" for j in range(10)]:
        for k, q in enumerate(QUARTERS):
            rows.append({"bank": b, "quarter": q, "pcr": pcr_path(b, k), **AT_LINES, "bank_type": "城商行"})
    for q in QUARTERS[-3:]:  # Z: three quarters at the regulatory lines, IN = 0
        rows.append({"bank": "Z", "quarter": q, "pcr": 1.2, **AT_LINES, "bank_type": "村镇银行"})
    for q in [*QUARTERS, "2022Q1"]:  # a D-SIB, one quarter longer than the others
        rows.append({"bank": "D0", "quarter": q, "pcr": 1.8, **AT_LINES, "bank_type": "大型银行", "dsib": "TRUE"})
    return pd.DataFrame(rows).assign(dsib=lambda d: d["dsib"].fillna("FALSE"))


@pytest.fixture(scope="module")
def res():
    return screen(panel_rows(), threshold=0.002, quarter="2021Q4")


def hand_volatility(frame, window=4, multiple=2.0, pct=0.9):
    """The documented alarm by plain loops: rolling sample std of the last 4 IN changes; the bank's own
    median of its earlier volatilities; the percentile rank among the quarter's banks (ties averaged)."""
    vol, own = {}, {}
    for bank, rows in frame.sort_values(["bank", "quarter"]).groupby("bank"):
        values = rows["in"].tolist()
        changes = [None] + [b - a for a, b in itertools.pairwise(values)]
        history = []
        for t, q in enumerate(rows["quarter"]):
            last = changes[max(t - window + 1, 0):t + 1]
            v = statistics.stdev(last) if len(last) == window and None not in last else math.nan
            vol[bank, q] = v
            own[bank, q] = statistics.median(history) if history else math.nan
            if not math.isnan(v):
                history.append(v)
    cross = {}
    for q in set(frame["quarter"]):
        here = [(b, v) for (b, qq), v in vol.items() if qq == q and not math.isnan(v)]
        for b, v in here:
            below = sum(1 for _, w in here if w < v)
            ties = sum(1 for _, w in here if w == v)
            cross[b, q] = (below + (ties + 1) / 2) / len(here)
    out = {}
    for key, v in vol.items():
        c = cross.get(key, math.nan)
        out[key] = (v, own[key], c, bool(v >= multiple * own[key] and c >= pct))
    return out


def test_volatility_columns_against_a_plain_loop(res):
    f = res.frame
    hand = hand_volatility(f)
    for _, r in f.iterrows():
        v, own, c, abnormal = hand[r["bank"], r["quarter"]]
        for got, want in ((r["in_vol"], v), (r["vol_pct_cross"], c)):
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-9, abs=1e-15)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.float64(v) / np.float64(own)
        assert (np.isnan(ratio) and np.isnan(r["vol_vs_own"])) or r["vol_vs_own"] == pytest.approx(ratio, rel=1e-9)
        assert r["abnormal_volatility"] is abnormal or r["abnormal_volatility"] == abnormal, (r["bank"], r["quarter"])
    assert f["abnormal_volatility"].dtype == bool


def test_the_second_most_volatile_of_ten_banks_is_at_the_90th_percentile(res):
    f = res.frame.set_index(["bank", "quarter"])
    q1 = pd.Period("2021Q1", freq="Q")
    assert f.loc[("B0", q1), "vol_pct_cross"] == 1.0 and f.loc[("B1", q1), "vol_pct_cross"] == 0.9
    assert f.loc[("B1", q1), "abnormal_volatility"]  # 0.9 >= 0.9, and its own median so far is 0
    # before 2021Q1 B0 and B1 are flat: volatility 0, never abnormal; the first four quarters have none
    b1 = res.bank("B1")
    assert b1["in_vol"].iloc[:4].isna().all() and (b1["in_vol"].iloc[4:8] == 0).all()
    assert not b1["abnormal_volatility"].iloc[:8].any()
    assert b1["abnormal_volatility"].iloc[8:].tolist() == [True, True, True, True]


def test_flags_with_a_threshold(res):
    f = res.frame
    assert f["watch"].tolist() == (f["in"] >= 0).tolist()
    assert f["above_threshold"].tolist() == (f["in"] >= 0.002).tolist()
    assert f["systemic_evidence"].tolist() == (f["above_threshold"] & f["abnormal_volatility"]).tolist()
    assert f["above_threshold"].dtype == "boolean" and f["systemic_evidence"].dtype == "boolean"
    z = res.bank("Z")
    assert (z["in"] == 0).all() and z["watch"].all() and not z["above_threshold"].any()  # IN = 0 is watched


def test_a_threshold_equal_to_in_flags_the_bank():
    zero = screen(panel_rows(), threshold=0.0).bank("Z")
    assert zero["above_threshold"].all()  # IN = 0 >= 0


def test_negative_threshold_and_systemic_evidence():
    res = screen(panel_rows(), threshold=-0.01)
    b1 = res.bank("B1").set_index("quarter")
    # from 2021Q1 B1 swings between PCR 2.2 (IN -0.0125) and 1.8 (IN -0.0075): above -0.01 every other quarter
    got = b1["systemic_evidence"].iloc[8:].tolist()
    assert got == [False, True, False, True]
    assert b1["above_threshold"].iloc[8:].tolist() == [False, True, False, True]


def test_no_threshold_leaves_the_flags_unknown():
    res = screen(panel_rows())
    assert res.threshold is None and res.threshold_source == "none"
    assert res.frame["above_threshold"].isna().all() and res.frame["systemic_evidence"].dtype == "boolean"
    # unknown & False = False, unknown & True = unknown (pandas' three-valued logic)
    assert res.frame["systemic_evidence"].isna().sum() == int(res.frame["abnormal_volatility"].sum())


def test_dsibs_apart_and_the_quarters(res):
    assert res.dsibs["bank"].unique().tolist() == ["D0"] and res.is_dsib("D0") and not res.is_dsib("B0")
    assert "D0" not in set(res.frame["bank"]) and len(res.dsibs) == 13
    assert str(res.quarter) == "2021Q4"
    default = screen(panel_rows(), threshold=0.002)
    assert str(default.quarter) == "2022Q1"  # the D-SIB's last quarter counts for the default view
    assert str(default.latest()["quarter"].iloc[0]) == "2021Q4" and len(default.latest()) == 11
    assert default.watch_list().empty  # only the D-SIB reports 2022Q1
    assert str(default.at("2021Q2").quarter) == "2021Q2"
    with pytest.raises(DataError) as info:
        default.at("2030Q1")
    assert str(info.value) == "quarter: no quarter 2030Q1 in the panel (quarters 2019Q1-2022Q1)"
    with pytest.raises(DataError) as info:
        default.watch_list("2018Q4")
    assert str(info.value) == "quarter: no quarter 2018Q4 in the panel"
    with pytest.raises(DataError) as info:
        default.bank("D0")
    assert str(info.value) == ("bank: bank 'D0' is not among the screened banks (a D-SIB: the IN index is for "
                               "non-D-SIBs; D-SIBs are presumed systemic)")
    with pytest.raises(DataError) as info:
        default.bank("NOPE")
    assert str(info.value) == "bank: bank 'NOPE' is not among the screened banks"
    with pytest.raises(DataError) as info:
        default.dsib_rows("B0")
    assert str(info.value) == "bank: bank 'B0' is not a D-SIB of the panel"
    assert default.dsib_rows("D0")["quarter"].astype(str).tolist() == [*QUARTERS, "2022Q1"]


def test_watch_list_worst_first_with_the_four_quarter_trend(res):
    w = res.watch_list()
    assert w.columns.tolist() == WATCH_COLUMNS
    assert w["bank"].tolist() == ["B9", "Z"] and w["quarter"].astype(str).tolist() == ["2021Q4", "2021Q4"]
    b9 = res.bank("B9").set_index(res.bank("B9")["quarter"].astype(str))["in"]
    assert w["trend_4q"].iloc[0] == pytest.approx(b9["2021Q4"] - b9["2020Q4"], abs=1e-15)
    assert np.isnan(w["trend_4q"].iloc[1])  # Z has no 2020Q4
    assert w.index.tolist() == [0, 1]
    assert res.watch_list(top=1)["bank"].tolist() == ["B9"]
    # 2021Q1: only B9 (Z not yet in the panel)
    assert res.watch_list("2021Q1")["bank"].tolist() == ["B9"]


def test_watch_list_includes_banks_above_a_negative_threshold():
    res = screen(panel_rows(), threshold=-0.007, quarter="2021Q4")
    # IN >= -0.007: B9 and Z (IN >= 0) and B0 at PCR 1.7 (IN -0.00625) in 2021Q4 (k = 11, odd)
    w = res.watch_list()
    assert w["bank"].tolist() == ["B9", "Z", "B0"]
    assert w["in"].is_monotonic_decreasing


def test_summary_lines(res):
    en = res.with_lang("en").summary().splitlines()
    systemic = int(res.frame[res.frame["quarter"] == res.quarter]["systemic_evidence"].sum())
    assert en[0] == (f"IN screen 2021Q4: 11 non-D-SIB banks, 2 at IN >= 0 (watch), 1 above the threshold 0.002 "
                     f"(given), {systemic} with evidence of systemic impact (above the threshold and abnormally "
                     f"volatile); 1 D-SIBs listed apart (presumed systemic)")
    assert en[1:] == res.footer().splitlines()
    zh = res.summary().splitlines()
    assert zh[0] == (f"IN 筛查 2021Q4：11 家非系统重要性银行，IN ≥ 0（关注）2 家，超过阈值 0.002（给定）1 家，"
                     f"有系统性影响证据（超阈值且波动异常）{systemic} 家；1 家系统重要性银行另列（推定具有系统性影响）")
    none = screen(panel_rows(), quarter="2021Q4")
    assert none.with_lang("en").summary().splitlines()[0] == (
        "IN screen 2021Q4: 11 non-D-SIB banks, 2 at IN >= 0 (watch), no threshold: IN only (give failed banks "
        "or a threshold); 1 D-SIBs listed apart (presumed systemic)")
    assert none.summary().splitlines()[0] == ("IN 筛查 2021Q4：11 家非系统重要性银行，IN ≥ 0（关注）2 家，"
                                              "未设阈值：只计算 IN（请给出失败银行或阈值）；1 家系统重要性银行另列"
                                              "（推定具有系统性影响）")


def test_summary_with_b0_and_b1_systemic():
    res = screen(panel_rows(), threshold=-0.008, quarter="2021Q2")
    line = res.with_lang("en").summary().splitlines()[0]
    # 2021Q2 (k = 9): B0 at PCR 1.7 (IN -0.00625) and B1 at 1.8 (-0.0075) are above -0.008 and the two most
    # volatile banks; B9 and Z (IN >= 0) are above too; B2-B8 stay near -0.01
    assert line.startswith("IN screen 2021Q2: 11 non-D-SIB banks, 2 at IN >= 0 (watch), 4 above the threshold -0.008 "
                           "(given), 2 with evidence of systemic impact")


@pytest.mark.parametrize(("source", "en", "zh"), [("params", "parameters file", "参数文件"),
                                                  ("calibrated", "calibrated", "校准"), ("none", "none", "无"),
                                                  ("store run 12", "store run 12", "store run 12")])
def test_threshold_source_names(res, source, en, zh):
    other = res.with_threshold(0.002, source=source)
    assert f"above the threshold 0.002 ({en})" in other.with_lang("en").summary()
    assert f"超过阈值 0.002（{zh}）" in other.summary()


def test_with_threshold_recomputes_the_flags_and_the_provenance(res):
    other = res.with_threshold("-0.01")
    assert other.threshold == -0.01 and other.threshold_source == "given"
    assert other.provenance.parameters["threshold"] == -0.01 and res.provenance.parameters["threshold"] == 0.002
    assert other.frame["above_threshold"].tolist() == (other.frame["in"] >= -0.01).tolist()
    assert other.quarter == res.quarter and other.calibration is None


def test_screen_provenance(res):
    p = res.provenance
    assert p.method == "bank/screen" and set(p.input_hashes) == {"panel"} and p.parameters == {"threshold": 0.002}
    moved = panel_rows()
    moved.loc[moved["bank"] == "D0", "lcr"] = 1.2  # a D-SIB's data are input too
    assert screen(moved, threshold=0.002).provenance.data_hash != p.data_hash


def test_config_tables_and_rebuild(res):
    cfg = res.config()
    assert cfg["threshold"] == 0.002 and cfg["threshold_source"] == "given" and cfg["quarter"] == "2021Q4"
    assert cfg["calibration"] is None and cfg["params"]["size"] == {"ref_inter": 0.7, "ref_amo": 1.6}
    tables = res.tables()
    assert list(tables) == ["watch_list", "screen", "dsibs"]
    assert tables["screen"]["quarter"].iloc[0] == "2019Q1" and tables["dsibs"]["quarter"].iloc[-1] == "2022Q1"
    assert tables["watch_list"]["bank"].tolist() == ["B9", "Z"]
    # as a store gives them back: flags as numbers or objects, quarters as text
    stored = {k: v.copy() for k, v in tables.items()}
    stored["screen"] = stored["screen"].assign(
        watch=stored["screen"]["watch"].astype(int), abnormal_volatility=stored["screen"]["abnormal_volatility"]
        .astype(int), above_threshold=stored["screen"]["above_threshold"].astype(object),
        systemic_evidence=stored["screen"]["systemic_evidence"].astype(object))
    back = ScreenResult.from_tables(stored, cfg, provenance=Provenance("bank/screen", "c", "d"), warnings=["W: x"])
    assert back.quarter == res.quarter and back.threshold == 0.002 and back.params == res.params
    assert back.frame["watch"].dtype == bool and back.frame["abnormal_volatility"].dtype == bool
    assert back.frame["above_threshold"].dtype == "boolean" and back.frame["systemic_evidence"].dtype == "boolean"
    assert back.frame["quarter"].iloc[0] == pd.Period("2019Q1", freq="Q")
    assert back.dsibs["quarter"].iloc[-1] == pd.Period("2022Q1", freq="Q")
    assert back.watch_list().equals(res.watch_list())
    assert back.summary().splitlines()[0] == res.summary().splitlines()[0]
    assert back.warnings == ("W: x",) and back.calibration is None and back.threshold_source == "given"
    # older configs: no threshold source, no quarter
    old = {k: v for k, v in cfg.items() if k not in ("threshold_source", "quarter", "calibration")}
    back = ScreenResult.from_tables(stored, old, provenance=Provenance("bank/screen", "c", "d"))
    assert back.threshold_source == "given" and str(back.quarter) == "2022Q1" and back.warnings == ()


def test_a_calibration_travels_with_the_screen():
    res = screen(panel_rows(), quarter="2021Q4")
    cal = calibrate_threshold(res.frame, {"B0": "2021Q4"}, combine="min")
    both = res.with_threshold(cal.threshold, source="calibrated", calibration=cal)
    tables = both.tables()
    assert list(tables) == ["watch_list", "screen", "dsibs", "calibration_jumps", "calibration_evaluation"]
    assert both.config()["calibration"] == cal.config()
    lines = both.with_lang("en").summary().splitlines()
    assert lines[1] == cal.with_lang("en").describe() and both.summary().splitlines()[1] == cal.describe()
    back = ScreenResult.from_tables(tables, both.config(), provenance=both.provenance)
    assert back.calibration is not None and back.calibration.threshold == cal.threshold
    assert back.calibration.jumps["jump_quarter"].tolist() == cal.jumps["jump_quarter"].tolist()
    # a config naming a calibration without its tables, or tables without a calibration in the config
    partial = {k: v for k, v in tables.items() if not k.startswith("calibration_")}
    assert ScreenResult.from_tables(partial, both.config(), provenance=both.provenance).calibration is None
    assert ScreenResult.from_tables(tables, {**both.config(), "calibration": None},
                                    provenance=both.provenance).calibration is None
    kept = both.with_threshold(0.001)  # a new threshold keeps the calibration shown beside it
    assert kept.calibration is cal and kept.threshold_source == "given"


# --- the panel as people type it ---------------------------------------------------------------


def test_reading_normalises_the_panel():
    raw = panel_rows().drop(columns="bank_type")
    raw.index = raw.index + 100  # an index of its own
    raw["dsib"] = raw["dsib"].map({"TRUE": "Yes", "FALSE": "no"})
    df = read_bank_panel(raw)
    assert df.index.tolist() == list(range(len(raw))) and df.attrs["checked"] is True
    assert df["bank_type"].eq("").all() and df["dsib"].dtype == bool
    assert df.loc[df["bank"] == "D0", "dsib"].all() and not df.loc[df["bank"] != "D0", "dsib"].any()
    assert isinstance(df["quarter"].dtype, pd.PeriodDtype) and df["pcr"].dtype == float
    assert "bank_type" not in raw.columns  # the caller's frame is not changed


@pytest.mark.parametrize(("flag", "dsib"), [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("YES", True),
                                            ("false", False), ("0", False), ("", False), ("y", False)])
def test_dsib_spellings(flag, dsib):
    raw = panel_rows()
    raw["dsib"] = np.where(raw["bank"] == "D0", flag, "false")
    assert bool(read_bank_panel(raw).loc[lambda d: d["bank"] == "D0", "dsib"].all()) is dsib


def test_a_panel_without_dsib_or_bank_type_columns_and_numeric_bank_ids():
    raw = panel_rows().drop(columns=["dsib", "bank_type"])
    raw["bank"] = raw["bank"].map({f"B{j}": 100 + j for j in range(10)} | {"Z": 999, "D0": 7})
    df = read_bank_panel(raw)
    assert not df["dsib"].any() and set(df["bank"]) >= {"100", "999", "7"}
    assert all(isinstance(b, str) for b in df["bank"])
    res = screen(df, threshold=0.002)
    assert res.dsibs.empty and len(res.frame) == len(raw)


def _bad(edit, source=None):
    raw = edit(panel_rows())
    if source:
        raw.attrs["source"] = source
    with pytest.raises(DataError) as info:
        read_bank_panel(raw)
    return str(info.value)


def test_panel_errors_in_full():
    # row 14 is B1's 2019Q3 (bank B0 has rows 0-11)
    assert _bad(lambda d: d.assign(pcr=d["pcr"].where(d.index != 14, -0.5))) == (
        "bank panel: bank 'B1', quarter 2019Q3, column 'pcr': -0.5 is negative; expected a decimal in [0, 50] "
        "(1.2 = 120 %)")
    assert _bad(lambda d: d.assign(ct1car=d["ct1car"].where(d.index != 14, -1.5)), "my.csv") == (
        "my.csv: bank 'B1', quarter 2019Q3, column 'ct1car': -1.5 is impossible; expected a decimal in [-1, 1] "
        "(1.2 = 120 %)")
    assert _bad(lambda d: d.assign(cr=d["cr"].where(d.index != 3, 1.5))) == (
        "bank panel: bank 'B0', quarter 2019Q4, column 'cr': 1.5 is impossible; expected a decimal in [0, 1] "
        "(1.2 = 120 %)")
    assert _bad(lambda d: d.assign(inter=d["inter"].where(d.index != 5, -0.1))) == (
        "bank panel: bank 'B0', quarter 2020Q2, column 'inter': -0.1 is negative; expected a decimal in [0, inf] "
        "(1.2 = 120 %)")
    assert _bad(lambda d: d.assign(amo=d["amo"].astype(object).where(d.index != 2, "1,6"))) == (
        "bank panel: bank 'B0', quarter 2019Q3, column 'amo': '1,6' is not a number")
    assert _bad(lambda d: d.assign(lr=d["lr"].where(d.index != 1, None))) == (
        "bank panel: bank 'B0', quarter 2019Q2, column 'lr': is empty")
    assert _bad(lambda d: d.assign(quarter=d["quarter"].where(d.index != 2, "2019Q2"))) == (
        "bank panel: bank 'B0', quarter 2019Q2, column 'quarter': appears twice")
    assert _bad(lambda d: d.assign(quarter=d["quarter"].where(d.index != 2, "2019Q5"))) == (
        "bank panel: bank 'B0', quarter 2019Q5, column 'quarter': '2019Q5' is not a quarter like 2019Q4")
    assert _bad(lambda d: d.iloc[[1, 0, *range(2, len(d))]]) == (
        "bank panel: bank 'B0', quarter 2019Q1, column 'quarter': comes after 2019Q2: quarters out of order")
    assert _bad(lambda d: d.drop(columns=["lcr", "amo"])).startswith(
        "bank panel: missing column(s) 'lcr', 'amo'; found ")


def test_values_at_the_edges_of_the_ranges_are_valid():
    raw = panel_rows()
    raw.loc[0, ["pcr", "ct1car", "cr", "inter", "amo"]] = [0.0, -1.0, 1.0, 0.0, 0.0]
    raw.loc[1, ["pcr", "ct1car", "cr"]] = [50.0, 1.0, 0.0]
    df = read_bank_panel(raw)
    assert df.loc[0, "pcr"] == 0.0 and df.loc[1, "pcr"] == 50.0


def test_quarter_arguments_are_checked(res):
    for call in (lambda: res.at("2021Q9"), lambda: res.watch_list("2021Q9"),
                 lambda: screen(panel_rows(), quarter="2021Q9")):
        with pytest.raises(InputError) as info:
            call()
        assert str(info.value) == "quarter: '2021Q9' is not a quarter like 2021Q1 (year, then Q1-Q4)"


def test_watch_list_without_a_threshold_lists_the_watched_banks():
    res = screen(panel_rows(), quarter="2021Q4")
    assert res.watch_list()["bank"].tolist() == ["B9", "Z"]  # IN >= 0; the unknown threshold flags add nobody
    assert res.watch_list(top=0).empty and res.watch_list(top=5)["bank"].tolist() == ["B9", "Z"]


def test_config_is_plain_json(res):
    import json

    cfg = res.config()
    assert json.loads(json.dumps(cfg)) == cfg  # lists, not tuples: what a store keeps is what comes back
    assert [r["id"] for r in cfg["params"]["ratios"]] == ["pcr", "ct1car", "lcr", "cr", "lr"]


def test_rebuild_keeps_source_provenance_and_the_calibrations_own(res):
    cal = calibrate_threshold(res.frame, {"B0": "2021Q4"}, combine="min")
    both = res.with_threshold(cal.threshold, source="calibrated", calibration=cal)
    prov = Provenance("bank/screen", "c2", "d2")
    back = ScreenResult.from_tables(both.tables(), both.config(), provenance=prov, warnings=("W: y",))
    assert back.threshold_source == "calibrated" and back.provenance is prov and back.warnings == ("W: y",)
    assert back.calibration.provenance is prov and back.calibration.warnings == ("W: y",)
    assert back.calibration.combine == "min" and back.calibration.summary().endswith("! W: y")


def test_screen_frame_columns(res):
    assert res.frame.columns.tolist() == [
        "bank", "quarter", "pcr", "ct1car", "lcr", "cr", "lr", "inter", "amo", "bank_type", "dsib",
        "deviation", "size_multiplier", "in", "contrib_pcr", "contrib_ct1car", "contrib_lcr", "contrib_cr",
        "contrib_lr", "in_vol", "vol_vs_own", "vol_pct_cross", "abnormal_volatility", "watch", "above_threshold",
        "systemic_evidence"]
    assert res.frame.index.tolist() == list(range(len(res.frame)))
    assert res.dsibs.columns.tolist() == ["bank", "quarter", "pcr", "ct1car", "lcr", "cr", "lr", "inter", "amo",
                                          "bank_type", "dsib"]
    assert res.dsibs.index.tolist() == list(range(13))


def test_parameters_reach_the_check_the_index_and_the_threshold():
    p = screen(panel_rows()).params
    big = p.model_copy(update={"size": p.size.model_copy(update={"ref_inter": 1.4}), "threshold": -0.005})
    res = screen(panel_rows(), params=big, quarter="2021Q4")
    # half the size multiplier: IN halves; the file's threshold is used and named
    assert (res.threshold, res.threshold_source) == (-0.005, "params")
    b9 = res.bank("B9")
    assert (b9["size_multiplier"] == 0.5).all()
    assert b9["in"].tolist() == pytest.approx([0.5 * 0.25 * (1.2 - pcr_path("B9", k)) / 20 for k in range(12)])
    assert res.frame["above_threshold"].tolist() == (res.frame["in"] >= -0.005).tolist()
    assert "(parameters file)" in res.with_lang("en").summary()
    assert screen(panel_rows(), params=big, threshold=0.001).threshold_source == "given"
    narrow = p.model_copy(update={"ratios": tuple(r.model_copy(update={"max": 1.5}) if r.id == "pcr" else r
                                                  for r in p.ratios)})
    with pytest.raises(DataError) as info:
        screen(panel_rows(), params=narrow)
    assert str(info.value).endswith("column 'pcr': 2 is impossible; expected a decimal in [0, 1.5] (1.2 = 120 %)")


def test_a_checked_panel_is_not_read_again(monkeypatch):
    import sys

    screen_module = sys.modules["finstab.bank.screen"]
    checked = read_bank_panel(panel_rows())

    def no_reading(*args, **kwargs):
        raise AssertionError("the checked panel was read again")

    monkeypatch.setattr(screen_module, "read_bank_panel", no_reading)
    assert len(screen(checked, threshold=0.0).frame) == 123


def test_volatility_at_exactly_twice_its_own_median():
    """A bank whose IN changes double in size: its volatility is then exactly twice its earlier median;
    "at or above" twice counts (the only bank of the panel is at the top percentile)."""
    from finstab.bank.screen import _volatility

    ins = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, -1.0, 1.0, -1.0, 1.0]
    frame = pd.DataFrame({"bank": "A", "quarter": pd.period_range("2019Q1", periods=len(ins), freq="Q"), "in": ins})
    out = _volatility(frame, screen(panel_rows()).params)
    vol = out["in_vol"].tolist()
    # changes +-1 through 2020Q4 (std of [1, -1, 1, -1] = sqrt(4/3)); the last four are +-2 (std sqrt(16/3) =
    # 2 sqrt(4/3)); the median of the seven earlier volatilities is sqrt(4/3) (four of them, the rest larger)
    assert vol[4:8] == [math.sqrt(4 / 3)] * 4 and vol[11] == 2 * math.sqrt(4 / 3)
    assert out["vol_vs_own"].iloc[11] == 2.0 and out["abnormal_volatility"].iloc[11]
    assert not out["abnormal_volatility"].iloc[:8].any()


def test_reading_a_csv_file_with_whole_numbers(tmp_path):
    raw = panel_rows().assign(inter=1, amo=2)  # whole numbers in the file
    raw.to_csv(tmp_path / "panel.csv", index=False)
    df = read_bank_panel(tmp_path / "panel.csv")
    assert df["inter"].dtype == float and df["amo"].dtype == float and len(df) == len(raw)
    assert read_bank_panel(str(tmp_path / "panel.csv"))["pcr"].tolist() == df["pcr"].tolist()
    raw.drop(columns="amo").to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataError) as info:
        read_bank_panel(tmp_path / "short.csv")
    assert str(info.value).startswith(f"{tmp_path / 'short.csv'}: missing column(s) 'amo'; found ")


def test_missing_columns_name_the_source():
    raw = panel_rows().drop(columns="inter")
    raw.attrs["source"] = "banks 2024.xlsx"
    with pytest.raises(DataError) as info:
        read_bank_panel(raw)
    assert str(info.value).startswith("banks 2024.xlsx: missing column(s) 'inter'; found ")


@pytest.mark.parametrize(("value", "message"), [
    (0.0, "0 is impossible; expected a decimal in [0.5, 50]"),
    (0.3, "0.3 is impossible; expected a decimal in [0.5, 50]"),
    (-0.2, "-0.2 is negative; expected a decimal in [0.5, 50]"),
])
def test_negative_is_said_of_values_below_zero_only(value, message):
    p = screen(panel_rows()).params
    floor = p.model_copy(update={"ratios": tuple(r.model_copy(update={"min": 0.5}) if r.id == "pcr" else r
                                                 for r in p.ratios)})
    raw = panel_rows()
    raw.loc[3, "pcr"] = value
    with pytest.raises(DataError) as info:
        read_bank_panel(raw, floor)
    assert str(info.value) == f"bank panel: bank 'B0', quarter 2019Q4, column 'pcr': {message} (1.2 = 120 %)"


def test_a_repeated_quarter_with_other_values_is_a_duplicate():
    raw = panel_rows()
    raw.loc[110, "quarter"] = raw.loc[109, "quarter"]  # B9's 2019Q3 typed as 2019Q2; its PCR differs
    with pytest.raises(DataError) as info:
        read_bank_panel(raw)
    assert str(info.value) == "bank panel: bank 'B9', quarter 2019Q2, column 'quarter': appears twice"


def test_an_empty_screen_names_no_quarters(res):
    empty = res.frame.iloc[:0]
    with pytest.raises(DataError) as info:
        ScreenResult(empty, res.dsibs.iloc[:0], None, res.params, "2021Q1")
    assert str(info.value) == "quarter: no quarter 2021Q1 in the panel (quarters none)"


def test_screen_provenance_follows_the_parameters(res):
    p = res.params
    other = p.model_copy(update={"volatility": p.volatility.model_copy(update={"window": 6})})
    again = screen(panel_rows(), params=other, threshold=0.002).provenance
    assert again.config_hash != res.provenance.config_hash and again.data_hash == res.provenance.data_hash


def test_ratio_columns_are_labelled_with_the_parameters_names(res):
    assert res.column_label("pcr") == {"zh": "拨备覆盖率", "en": "provision coverage ratio"}[res.lang]
    labels = res.column_labels()
    assert labels["ct1car"] == ("核心一级资本充足率", "core tier-1 capital ratio")
    assert labels["contrib_lcr"] == ("流动性覆盖率贡献", "liquidity coverage ratio contribution")
    assert labels["dev_cr"] == ("集中度(房地产贷款)偏离", "concentration (real-estate loans) deviation")
    shown = res.display(res.frame.head(1)).columns
    assert "contrib_pcr" not in shown and "in" not in shown
