"""Every template reads back through the readers the pipelines use."""

from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from finstab.bank.memo import load_memo_inputs
from finstab.bank.screen import read_bank_panel, screen
from finstab.cli.main import app
from finstab.contagion.network import exposure_matrix, read_network
from finstab.core.errors import ConfigError, InputError
from finstab.fund.financing import assign_layers
from finstab.fund.sectors import compile_cca
from finstab.monitor.systems import load_system
from finstab.pipelines import read_votes, run_contagion, run_fce, run_monitor
from finstab.pipelines.financing import read_contributors
from finstab.pipelines.fund import read_cca_inputs
from finstab.pipelines.warning import _events
from finstab.samples import sample_path
from finstab.templates import KINDS, write_template


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("templates")
    return {k: write_template(k, d / f"{k}.xlsx") for k in KINDS}


def test_every_template_has_instructions_headers_validation_and_samples(books):
    for kind, path in books.items():
        wb = load_workbook(path)
        assert wb.sheetnames[0] == "说明 instructions", kind
        for name in wb.sheetnames[1:]:
            if name == "_lists":
                continue
            ws = wb[name]
            assert ws.freeze_panes == "A2"
            rows = list(ws.iter_rows(values_only=True))
            assert len(rows) >= 3, kind  # header and at least two sample rows
            assert all(" " in h or not h.isascii() for h in rows[0] if h), (kind, rows[0])  # bilingual


def test_validation_where_a_value_has_a_range_or_a_fixed_set(books):
    ws = load_workbook(books["banks"])["数据 data"]
    headers = [c.value for c in ws[1]]
    rules = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    pcr = rules[f"{chr(65 + headers.index('拨备覆盖率 provision coverage ratio (小数 decimal)'))}2"]
    assert (pcr.type, pcr.operator, pcr.formula1, pcr.formula2) == ("decimal", "between", "0", "50")
    dsib = rules[f"{chr(65 + headers.index('系统重要性银行 D-SIB'))}2"]
    assert (dsib.type, dsib.formula1) == ("list", '"TRUE,FALSE"')


@pytest.mark.parametrize("preset", ["zibo", "guangxi", "local_debt", "small_banks"])
def test_monitor_template_scores_its_samples(tmp_path, preset):
    system = load_system(preset)
    res = run_monitor(preset, write_template("monitor", tmp_path / "m.xlsx", preset))
    s = system.scores
    for j, ind in enumerate(system.tree.indicators):
        k = len(ind.cuts) // 2 - 1
        # the samples lie halfway between two critical values: a linear score halfway between their scores
        want = [100.0, 100.0] if ind.type == "moderate" else [(s[k] + s[k + 1]) / 2, (s[k + 1] + s[k + 2]) / 2]
        np.testing.assert_allclose(res.indicator_scores[:, j], want, err_msg=ind.id)
    assert res.keys["period"].tolist() == [2023, 2024]


def test_votes_template(books):
    system = load_system("guangxi")
    _, membership = read_votes(books["votes"], system)
    assert membership.shape == (1, len(system.tree.indicators), 4)
    np.testing.assert_allclose(membership[0, 0], [0, 0.1, 0.2, 0.7])  # 0, 1, 2, 7 of ten experts
    res = run_fce("guangxi", votes=books["votes"])
    np.testing.assert_allclose(res.indicator_scores[0, 0], membership[0, 0] @ system.grade_values)


def test_banks_template_and_the_in_index(books):
    panel = read_bank_panel(books["banks"])
    assert panel["quarter"].astype(str).tolist() == ["2024Q1", "2024Q2"] and not panel["dsib"].any()
    inter, amo, pcr, ct1, lcr, cr, lr = 0.1, 0.22, 1.85, 0.105, 1.6, 0.19, 0.062
    want = (inter / 0.7) * (amo / 1.6) * (0.25 * (1.2 - pcr) / 20 + 0.25 * (0.05 - ct1) + 0.2 * (1 - lcr) / 20
                                          + 0.15 * (cr - 0.225) / 5 + 0.15 * (0.04 - lr))
    assert screen(panel).frame["in"].iloc[0] == pytest.approx(want, rel=1e-12)


def test_failures_and_events_templates(books):
    assert _events(books["failures"], "bank", "failure_quarter", str) == {"CITY901": "2024Q2", "CITY902": "2023Q4"}
    assert _events(books["events"], "region", "event_period", str) == {"示例区 Sample district": "2021",
                                                                       "示例县 Sample county": "2023"}


def test_memo_template_reads_as_the_sample_yaml(books):
    assert load_memo_inputs(books["memo"]) == load_memo_inputs(sample_path("banks/memo_inputs.yaml"))


def test_cca_template(books):
    cca = compile_cca(*read_cca_inputs(books["cca"])).set_index("sector")
    # default points by the shipped conventions: government D = total liabilities, financial D = deposits
    assert cca.loc["government", "default_point"] == pytest.approx(5200.0)
    assert cca.loc["financial", "default_point"] == pytest.approx(19000.0)


def test_network_template(books):
    banks, edges = read_network(books["network"], books["network"])
    np.testing.assert_array_equal(exposure_matrix(banks, edges).toarray(), [[0, 80], [25, 0]])
    # B901: equity 120, external 1500 / 900, lent 80, borrowed 25; B902: 400 / 300, lent 25, borrowed 80.
    # A 20 % shock leaves B902 with 320 + 25 against 380 owed: it defaults and pays 345; B901 pays in full.
    run = run_contagion(books["network"], books["network"], shock=0.2)
    np.testing.assert_array_equal(run.clearing.defaulted, [False, True])
    np.testing.assert_allclose(run.clearing.payments, [925.0, 345.0])


def test_contributors_template(books):
    c = read_contributors(books["contributors"])
    assert c["dsib"].tolist() == [True, False] and c["base"].tolist() == [1200, 350]
    assert assign_layers(c).tolist() == ["central", "provincial"] == c["layer"].tolist()


def test_bad_requests():
    with pytest.raises(InputError, match="kind: 'nope' is not one of 'monitor'"):
        write_template("nope", "x.xlsx")
    with pytest.raises(ConfigError, match="no named grades"):
        write_template("votes", "x.xlsx", "zibo")
    with pytest.raises(ConfigError, match="a banks template does not depend on an indicator system"):
        write_template("banks", "x.xlsx", "zibo")
    with pytest.raises(ConfigError, match=r"a template is an \.xlsx workbook, not '\.csv'"):
        write_template("banks", "x.csv")


runner = CliRunner()


def test_template_command(tmp_path):
    out = tmp_path / "panel.xlsx"
    res = runner.invoke(app, ["template", "monitor", "--system", "small_banks", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "finstab monitor --data FILE" in res.output
    res = runner.invoke(app, ["monitor", "--system", "small_banks", "--data", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["template", "votes", "--system", "zibo", "--out", str(tmp_path / "v.xlsx")])
    assert res.exit_code == 2 and "no named grades" in res.output and not (tmp_path / "v.xlsx").exists()
    assert not list(Path(tmp_path).glob(".*"))


def test_fund_plan_reads_the_analysts_contributors(books):
    res = runner.invoke(app, ["fund", "plan", "--target", "5", "--years", "5", "--sims", "200",
                              "--contributors", str(books["contributors"])])
    assert res.exit_code == 0, res.output
    assert "Levies by risk bucket" in res.output
