"""Every public result follows one protocol, and its provenance follows every input."""

from __future__ import annotations

import pandas as pd
import pytest

import finstab as fs
from finstab.core.results import Result
from finstab.samples import sample_path
from finstab.store import Store

NETWORK = (sample_path("network/banks.csv"), sample_path("network/edges.csv"))

PIPELINES = {
    "monitor": lambda: fs.run_monitor("zibo", sample_path("zibo_sample.csv")),
    "fce": lambda: fs.run_fce("guangxi", votes=sample_path("guangxi_votes.csv")),
    "fund_sizing": lambda: fs.run_fund_sizing(sample_path("cca"), n_sims=2_000),
    "financing_plan": lambda: fs.run_financing_plan(target=600, years=5, n_sims=100),
    "contagion": lambda: fs.run_contagion(*NETWORK, shock=0.2),
    "early_warning": lambda: fs.run_warning(events=sample_path("banks/failures.csv")),
    "bank_screen": lambda: fs.run_bank_screen(sample_path("banks/panel.csv"),
                                              failures=sample_path("banks/failures.csv")),
    "bank_calibration": lambda: _bank("run_bank_calibration", sample_path("banks/failures.csv")),
    "bank_memo": lambda: _bank("run_bank_memo", threshold=0.001),
    "waterfall": lambda: _bank("run_bank_waterfall", threshold=0.001),
    "spillover": lambda: _spillover(),
}


def _spillover() -> Result:
    from finstab.pipelines.spillover import run_spillover

    return run_spillover(sample_path("markets/prices.csv"), window=400)


def _bank(name: str, *args, **kwargs) -> Result:
    from finstab.pipelines import bank

    panel = sample_path("banks/panel.csv")
    if name == "run_bank_calibration":
        return bank.run_bank_calibration(panel, *args, **kwargs)
    return getattr(bank, name)("CITY003", panel, sample_path("banks/memo_inputs.yaml"), **kwargs)


@pytest.fixture(scope="module", params=sorted(PIPELINES))
def result(request) -> Result:
    return PIPELINES[request.param]()


def test_protocol(result, tmp_path):
    assert isinstance(result, Result) and result.kind in Result.registry
    summary = result.summary()
    assert isinstance(summary, str) and summary and str(result) == summary
    tables = result.tables()
    assert tables and all(isinstance(t, pd.DataFrame) for t in tables.values())
    pd.testing.assert_frame_equal(result.to_frame(), next(iter(tables.values())))
    assert result.provenance.method != "unrecorded" and result.provenance.input_hashes
    paths = result.write(tmp_path / "out")
    assert {p.name for p in paths} >= {"results.xlsx", "summary.txt", *(f"{n}.csv" for n in tables)}
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary left


def test_language_is_display_only(result):
    zh, en = result.with_lang("zh"), result.with_lang("en")
    for name, table in zh.tables().items():
        pd.testing.assert_frame_equal(table, en.tables()[name])
    assert zh.summary() != en.summary() or result.kind in ("klr_signals",)
    with pytest.raises(fs.FinstabError, match="lang"):
        result.with_lang("fr")


def test_store_round_trip(result, tmp_path):
    store = Store(tmp_path / "runs.duckdb")
    zh_run = store.save(result.with_lang("zh"), label="zh")
    en_run = store.save(result.with_lang("en"), label="en")
    assert store.diff(zh_run, en_run).empty
    back = store.load(zh_run)
    assert back.kind == result.kind and back.provenance == result.provenance
    assert back.warnings == result.warnings
    for name, table in result.tables().items():
        pd.testing.assert_frame_equal(back.tables()[name].reset_index(drop=True), table.reset_index(drop=True),
                                      check_dtype=False)


def test_every_name_of_the_public_api_imports():
    for name in fs.__all__:
        assert getattr(fs, name) is not None


def test_every_kind_of_result_comes_back_from_the_store_as_its_class():
    import importlib

    from finstab.store.database import RESULT_MODULES

    for module in set(RESULT_MODULES.values()):
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    ours = {kind for kind, cls in Result.registry.items() if cls.__module__.startswith("finstab.")}
    assert ours - {"result"} <= set(RESULT_MODULES)


def test_report_of_every_stored_kind_renders(result, tmp_path):
    from finstab.report.stored import write_run_report

    store = Store(tmp_path / "runs.duckdb")
    rid = store.save(result, label="report")
    for lang in ("zh", "en"):
        html = write_run_report(store.run(rid), tmp_path / lang, lang)[0].read_text(encoding="utf-8")
        assert "@font-face" in html and "finstab-cjk" in html


def test_a_table_too_big_for_excel_is_refused_before_writing(tmp_path, monkeypatch):
    import finstab.core.io as io

    monkeypatch.setattr(io, "EXCEL_MAX_ROWS", 3)
    result = fs.run_monitor("zibo", sample_path("zibo_sample.csv"))
    with pytest.raises(fs.FinstabError, match="an Excel sheet holds 3"):
        result.to_excel(tmp_path / "r.xlsx")
    assert not list(tmp_path.iterdir())
    names = {p.name for p in result.write(tmp_path / "out")}
    assert "results.xlsx" not in names and "scores.csv" in names
    assert "results.xlsx not written" in (tmp_path / "out" / "summary.txt").read_text(encoding="utf-8")
