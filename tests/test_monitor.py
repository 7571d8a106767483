import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from finstab.core.errors import DataError
from finstab.core.io import read_table
from finstab.monitor.model import Monitor
from finstab.monitor.systems import load_system
from finstab.monitor.systems.loader import parse_system
from finstab.samples.zibo import make_zibo_sample

# Liu & Chen (Zibo): level-1 scores and the published totals, 2015-2019.
PUBLISHED = pd.DataFrame({
    "period": [2015, 2016, 2017, 2018, 2019],
    "macro": [28.53, 55.79, 59.54, 49.01, 52.61],
    "regional": [53.27, 56.62, 49.90, 40.84, 28.70],
    "banking": [62.26, 74.35, 66.69, 53.11, 48.12],
    "environment": [48.02, 34.92, 39.23, 55.47, 80.20],
    "total": [55.03, 58.95, 55.47, 51.52, 54.39],
})


def identity_system():
    """Zibo's level-1 weights over four indicators whose score equals their value."""
    dims = [("macro", 4.52), ("regional", 16.97), ("banking", 49.25), ("environment", 29.23)]
    return parse_system({
        "id": "zibo_l1", "name_zh": "淄博一级", "name_en": "Zibo level 1", "normalise": False,
        "children": [{"id": d, "name_zh": d, "name_en": d, "weight": w / 100, "children": [
            {"id": f"{d}_score", "name_zh": d, "name_en": d, "type": "positive",
             "cuts": [0, 20, 40, 60, 80, 100]}]} for d, w in dims]}, "test")


def test_reproduces_published_totals():
    wide = PUBLISHED.rename(columns={c: f"{c}_score" for c in
                                     ("macro", "regional", "banking", "environment")})
    wide = wide.drop(columns="total").assign(region="Zibo")
    res = Monitor(identity_system()).evaluate(wide)
    got = res.wide_frame(1)
    np.testing.assert_allclose(got["total"], PUBLISHED["total"], atol=0.01)
    np.testing.assert_allclose(got["banking"], PUBLISHED["banking"])
    assert set(got["grade"]) == {"moderate"}
    assert set(res.label(got)["grade"]) == {"中度风险"}
    assert set(res.with_lang("en").label(got)["grade"]) == {"moderate risk"}


def test_preset_level1_weights_reproduce_totals():
    tree = load_system("zibo").tree
    w = np.array([n.local_weight for n in tree.nodes if n.level == 1])
    dims = PUBLISHED[["macro", "regional", "banking", "environment"]].to_numpy()
    np.testing.assert_allclose(dims @ w, PUBLISHED["total"], atol=0.01)


def test_node_score_is_renormalised_weighted_mean(zibo_sample):
    res = Monitor(load_system("zibo")).evaluate(read_table(zibo_sample))
    tree = res.system.tree
    k = [n.id for n in tree.nodes].index("banking")
    leaves = tree.membership[k] > 0
    w = tree.global_weights[leaves] / tree.global_weights[leaves].sum()
    np.testing.assert_allclose(res.node_scores[:, k], res.indicator_scores[:, leaves] @ w)
    # the total is also the level-1 weighted mean of the dimensions
    lvl1 = [j for j, n in enumerate(tree.nodes) if n.level == 1]
    wl = np.array([tree.nodes[j].local_weight for j in lvl1])
    np.testing.assert_allclose(res.node_scores[:, 0], res.node_scores[:, lvl1] @ wl)


def test_attribution_adds_up(zibo_sample):
    res = Monitor(load_system("zibo")).evaluate(read_table(zibo_sample))
    attr = res.attribution(2018, 2019)
    frame = res.wide_frame(2).set_index("period")
    for node, part in attr.groupby("node"):
        change = frame.loc[2019, node] - frame.loc[2018, node]
        assert part["contribution"].sum() == pytest.approx(change, abs=1e-9)
    with pytest.raises(DataError, match="period 1999"):
        res.attribution(1999, 2019)


def test_sample_marked_synthetic_and_regenerates(zibo_sample):
    df = read_table(zibo_sample)
    fresh = make_zibo_sample()
    pd.testing.assert_frame_equal(df.reset_index(drop=True), fresh, check_dtype=False)
    res = Monitor(load_system("zibo")).evaluate(df)
    assert res.provenance.synthetic
    assert "SYNTHETIC" in res.summary()
    real = df[df["source"].str.startswith("real")]
    assert set(real["indicator"]) == {"gdp_growth", "cpi"}


def test_long_and_wide_agree(zibo_sample):
    long = read_table(zibo_sample)
    wide = long.pivot(index=["region", "period"], columns="indicator", values="value").reset_index()
    m = Monitor(load_system("zibo"))
    np.testing.assert_allclose(m.evaluate(long).node_scores, m.evaluate(wide).node_scores)


def _wide_csv(tmp_path, mutate):
    long = make_zibo_sample()
    wide = long.pivot(index=["region", "period"], columns="indicator", values="value").reset_index()
    wide = mutate(wide.astype({"npl_ratio": object}))
    path = tmp_path / "panel.csv"
    wide.to_csv(path, index=False)
    return read_table(path)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda w: w.drop(columns=["roe"]), r"panel.csv: missing indicator column\(s\) roe \(资本利润率\)"),
    (lambda w: w.assign(npl_ratio=["1.2", "abc", "2", "3", "4"]),
     r"panel.csv row 3, column npl_ratio: 'abc' is not a number; expected a number in % for 不良贷款率"),
    (lambda w: pd.concat([w, w.iloc[[1]].assign(roe=99)]),
     r"panel.csv row 7: Zibo \(synthetic\) 2016 appears twice \(row 3 and row 7\) with different values"),
    (lambda w: w.assign(npl_ratio=[1, None, 2, 3, 4]),
     r"row 3, column npl_ratio: no value for indicator 'npl_ratio' \(不良贷款率\) at Zibo \(synthetic\) 2016$"),
    (lambda w: w.drop(columns=["period"]), r"missing column\(s\) 'period'"),
])
def test_bad_panels(tmp_path, mutate, message):
    df = _wide_csv(tmp_path, mutate)
    with pytest.raises(DataError, match=message):
        Monitor(load_system("zibo")).evaluate(df)


def test_missing_values_renormalise(tmp_path):
    df = _wide_csv(tmp_path, lambda w: w.assign(npl_ratio=[1, None, 2, 3, 4]))
    res = Monitor(load_system("zibo"), missing="renormalise").evaluate(df)
    assert np.isnan(res.indicator_scores).sum() == 1
    assert np.isfinite(res.node_scores).all()


def test_excel_export_is_formatted(tmp_path, zibo_sample):
    res = Monitor(load_system("zibo")).evaluate(read_table(zibo_sample))
    path = res.to_excel(tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert {"scores", "level0", "level1", "level2", "nodes", "indicators", "weights", "provenance"} <= set(
        wb.sheetnames)
    level1 = [c.value for c in wb["level1"][1]]
    assert level1[2:] == [n.name_zh for n in res.system.tree.nodes if n.level == 1]
    ws = wb["nodes"]
    assert ws.freeze_panes == "A2"
    headers = [c.value for c in ws[1]]
    assert "得分 score" in headers and "等级 grade" in headers
    gcol = headers.index("等级 grade") + 1
    grade = ws.cell(row=2, column=gcol)
    colours = {g.name_zh: g.color.lstrip("#").upper() for g in res.system.grade_scale}
    assert grade.fill.start_color.rgb.upper().endswith(colours[grade.value])
    assert not list(tmp_path.glob(".r.xlsx*"))  # no temp file left behind


def test_subjective_objective_blend(zibo_sample):
    from finstab.mcda.weights import entropy_weights

    data = read_table(zibo_sample)
    system = load_system("zibo")
    ahp = Monitor(system).evaluate(data)
    full_ahp = Monitor(system, objective="entropy", alpha=1.0).evaluate(data)
    # alpha = 1 keeps the AHP weights (renormalised to sum 1: the preset's sum 0.9997 is used as printed)
    np.testing.assert_allclose(full_ahp.node_scores[:, 1:], ahp.node_scores[:, 1:], atol=1e-9)
    pure = Monitor(system, objective="entropy", alpha=0.0).evaluate(data)
    w = entropy_weights(ahp.indicator_scores)  # independent: the entropy method on the scores
    np.testing.assert_allclose(pure.node_scores[:, 0], ahp.indicator_scores @ w)
    attr = pure.attribution(2018, 2019)
    total = attr[attr["node"] == "total"]["contribution"].sum()
    assert total == pytest.approx(pure.node_scores[4, 0] - pure.node_scores[3, 0])
    assert pure.weights_frame().query("kind == 'indicator'")["global_weight"].sum() == pytest.approx(1)
    assert pure.provenance.parameters["objective"] == "entropy"
