import warnings

import pytest

from finstab.bank import MemoResult, build_memo, load_memo_inputs, read_bank_panel, screen
from finstab.bank.in_index import QualitativeRule
from finstab.bank.memo import QualitativeAssessment
from finstab.configs import config_path
from finstab.core.errors import ConfigError, DataError
from finstab.core.io import read_table
from finstab.core.warnings import CalibrationWarning
from finstab.pipelines.bank import run_bank_memo, run_bank_waterfall
from finstab.report.memo import md_escape, memo_filename, render_html, render_markdown, write_memo
from finstab.samples import sample_path

PANEL = sample_path("banks/panel.csv")
INPUTS = sample_path("banks/memo_inputs.yaml")
XSS = "<img src=x onerror=alert(1)>"


def _levels(*levels):
    return QualitativeAssessment.model_validate(
        {c: {"level": lv, "reason": "r"} for c, lv in zip(["market_confidence", "critical_services", "real_economy"],
                                                            levels, strict=True)})


@pytest.mark.parametrize(("levels", "rule", "systemic"), [
    (("high", "high", "low"), QualitativeRule(), True),
    (("high", "medium", "low"), QualitativeRule(), False),  # one high is not enough (paper's reading: two)
    (("high", "medium", "medium"), QualitativeRule(), False),
    (("high", "high", "high"), QualitativeRule(min_channels=3), True),
    (("high", "high", "medium"), QualitativeRule(min_channels=3), False),
    (("high", "medium", "low"), QualitativeRule(at_least="medium"), True),
    (("low", "medium", "low"), QualitativeRule(at_least="medium"), False),
])
def test_qualitative_rule(levels, rule, systemic):
    assert _levels(*levels).systemic(rule) is systemic


def test_dsib_memo_presumes_systemic_impact(memo_spec, write_yaml, raw_panel):
    # every channel rated low: only the D-SIB presumption makes the risk systemic
    spec = {**memo_spec, "bank": "DSIB002",
            "qualitative": {c: {"level": "low", "reason": "-"} for c in
                            ("market_confidence", "critical_services", "real_economy")}}
    memo = run_bank_memo("DSIB002", PANEL, write_yaml(spec))  # no threshold needed for a D-SIB
    assert memo.dsib and memo.presumed and memo.basis() == ["dsib_presumption"]
    assert memo.quantitative is None and not memo.qualitative_evidence and memo.fund_may_intervene
    assert (memo.in_value, memo.quarter, memo.evidence.empty) == (None, "2024Q4", True)
    last = raw_panel[(raw_panel["bank"] == "DSIB002") & (raw_panel["quarter"] == "2024Q4")].iloc[0]
    ratios = ("pcr", "ct1car", "lcr", "cr", "lr")
    assert memo.ratios.set_index("ratio")["value"].to_dict() == {r: last[r] for r in ratios}
    assert "not computed" in memo.item("condition")["text_en"]
    assert memo.item("systemic_evidence")["text_en"].startswith("Systemic impact is presumed: the D-SIB designation")
    assert "推定具有系统性影响" in memo.item("systemic_evidence")["text_zh"]
    # 260 - 110 creditors - 60 acquirer - 40 deposit insurance - 10 industry = 40 for the fund
    assert memo.waterfall.absorbed.set_index("line")["absorbed"]["stability_fund"] == pytest.approx(40)
    md = render_markdown(memo)
    assert "systemic impact: presumed (a D-SIB" in md and "fund may intervene = **True**" in md
    assert "推定具有系统性影响" in render_html(memo, embed_font=False)
    wf = run_bank_waterfall("DSIB002", PANEL, write_yaml(spec))
    assert wf.kind == "waterfall" and wf.presumed and wf.fund_may_intervene
    assert "presumed" in wf.with_lang("en").summary()


def test_dsib_presumption_can_be_switched_off(memo_spec, write_yaml, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(config_path("in_params.yaml").read_text(encoding="utf-8")
                      .replace("dsib_presumed: true", "dsib_presumed: false"), encoding="utf-8")
    spec = {**memo_spec, "bank": "DSIB002",
            "qualitative": {c: {"level": "low", "reason": "-"} for c in
                            ("market_confidence", "critical_services", "real_economy")}}
    with pytest.raises(ConfigError, match="no threshold"):
        run_bank_memo("DSIB002", PANEL, write_yaml(spec), params=params)
    memo = run_bank_memo("DSIB002", PANEL, write_yaml(spec), params=params, threshold=0.001)
    assert not memo.presumed and memo.basis() == [] and not memo.fund_may_intervene
    assert "not applicable" in memo.item("systemic_evidence")["text_en"]


def test_city_memo_with_a_calibrated_threshold(raw_panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        memo = run_bank_memo("CITY003", PANEL, INPUTS, failures=sample_path("banks/failures.csv"))
    # CITY003 failed in 2021Q2; by hand its last 4 IN values stay below the calibrated 0.00161
    path = raw_panel[raw_panel["bank"] == "CITY003"].sort_values("q")
    assert memo.quarter == "2021Q2" == path["quarter"].iloc[-1]
    assert memo.threshold == pytest.approx(0.0016127, rel=1e-4)
    assert (path["in_hand"].tail(4) < memo.threshold).all() and memo.quantitative is False
    assert memo.in_value == pytest.approx(path["in_hand"].iloc[-1], rel=1e-12)
    # two channels rated high in the sample inputs: qualitative evidence; the fund may step in
    assert memo.basis() == ["qualitative"] and memo.fund_may_intervene
    assert memo.evidence["quarter"].tolist() == ["2020Q3", "2020Q4", "2021Q1", "2021Q2"]
    assert any(w.startswith("CalibrationWarning") for w in memo.warnings)
    assert "CalibrationWarning" in render_markdown(memo)


def test_memo_needs_a_threshold_for_a_non_dsib():
    with pytest.raises(ConfigError, match="no threshold: give failures or a threshold"):
        run_bank_memo("CITY003", PANEL, INPUTS)
    with pytest.raises(ConfigError, match="inputs are for bank 'CITY003', not 'NOPE'"):
        run_bank_memo("NOPE", PANEL, INPUTS, threshold=0.001)
    res = screen(read_bank_panel(PANEL), threshold=0.001, quarter="2015Q1")
    inputs = load_memo_inputs(INPUTS)
    assert build_memo(res, inputs).quarter == "2015Q1"
    with pytest.raises(DataError, match="not among the screened banks"):
        build_memo(res, inputs.model_copy(update={"bank": "NOPE"}))


def test_memo_result_protocol_and_files(tmp_path):
    memo = run_bank_memo("CITY003", PANEL, INPUTS, threshold=0.0001)
    assert isinstance(memo, MemoResult) and memo.kind == "bank_memo" and str(memo) == memo.summary()
    assert list(memo.tables()) == ["items", "ratios", "evidence", "qualitative", "waterfall"]
    assert memo.to_frame()["item"].tolist() == list(range(1, 9))
    assert memo.basis() == ["quantitative", "qualitative"]  # IN 0.000142 >= 0.0001 with abnormal volatility
    md = render_markdown(memo)
    assert [line.split(".")[0] for line in md.splitlines() if line.startswith("## ")] == [f"## {k}" for k in
                                                                                          range(1, 9)]
    paths = write_memo(memo, tmp_path / "memo", tables=True)
    names = {p.name for p in paths}
    assert {"memo_CITY003.md", "memo_CITY003.html", "items.csv", "results.xlsx"} <= names
    assert memo_filename("../../etc/passwd", "md") == "memo_etc_passwd.md"


def test_memo_escapes_html_and_markdown(memo_spec, write_yaml, tmp_path):
    panel = read_table(PANEL)
    panel.loc[panel["bank"] == "CITY003", "bank_type"] = XSS
    spec = {**memo_spec, "measures_taken": {"zh": XSS, "en": f"{XSS} & [click](javascript:alert(1)) | x"}}
    spec["qualitative"]["market_confidence"]["reason"] = "<script>alert(2)</script>"
    memo = run_bank_memo("CITY003", panel, write_yaml(spec), threshold=0.001)
    assert memo.bank_type == XSS  # the data keep the text as given; only rendering escapes it
    page = render_html(memo, embed_font=False)
    assert XSS not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    md = render_markdown(memo)
    assert XSS not in md and "<script>" not in md
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; \\[click\\](javascript:alert(1)) \\| x" in md
    assert md_escape("a\n# heading") == "a \\# heading"  # no new block from user text


def test_html_template_autoescapes_every_value():
    from finstab.report.memo import _environment

    env = _environment("html")
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x=XSS) == "&lt;img src=x onerror=alert(1)&gt;"


def test_memo_provenance_follows_panel_and_inputs(memo_spec, write_yaml):
    base = run_bank_memo("CITY003", PANEL, write_yaml(memo_spec), threshold=0.001).provenance
    changed = {**memo_spec, "loss": 261.0}
    assert run_bank_memo("CITY003", PANEL, write_yaml(changed), threshold=0.001).provenance.data_hash != base.data_hash
    panel = read_table(PANEL)
    panel.loc[panel["bank"] == "RURAL001", "lcr"] *= 1.01
    moved = run_bank_memo("CITY003", panel, write_yaml(memo_spec), threshold=0.001).provenance
    assert moved.data_hash != base.data_hash
    assert base.synthetic
