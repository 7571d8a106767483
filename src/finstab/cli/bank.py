"""``finstab bank``: the stability-fund bank screen, calibration, waterfall and decision memo."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from finstab.cli.common import (
    LangOption,
    NoStoreOption,
    StoreOption,
    console,
    deliver,
    handle_errors,
    open_store,
    report_written,
)
from finstab.samples import sample_path

bank_app = typer.Typer(no_args_is_help=True, help="IN index screen, threshold calibration, loss waterfall, "
                                                   "decision memo.")

DATA = typer.Option(None, "--data", help="Bank x quarter panel (CSV/Excel); default: the synthetic sample.")
PARAMS = typer.Option(None, "--params", help="IN parameters YAML; default: the paper's.")
THRESHOLD = typer.Option(None, "--threshold", help="IN threshold (e.g. from a stored calibration run).")
FAILURES = typer.Option(None, "--failures", help="Failed banks (bank, failure_quarter) to calibrate the threshold.")
PENALTY = typer.Option(None, "--penalty", help="PELT penalty factor (> 0); default: the parameters file's.")
COMBINE = typer.Option(None, "--combine", help="Combine failed banks' jump values: mean, median or min.")
QUARTER = typer.Option(None, "--quarter", help="Quarter shown, e.g. 2021Q1; default: the latest.")
OUT = typer.Option(None, "--out", help="Folder for the CSV tables, results.xlsx and summary.txt.")


def _data(path: Path | None) -> Path:
    if path is None:
        console.print("using the SYNTHETIC sample bank panel", style="yellow")
        return sample_path("banks/panel.csv")
    return path


def _failures(data: Path | None, failures: Path | None, threshold: float | None) -> Path | None:
    """On the sample panel without a threshold, calibrate from the sample's failed banks."""
    if data is None and failures is None and threshold is None:
        console.print("calibrating the threshold from the SYNTHETIC sample's failed banks", style="yellow")
        return sample_path("banks/failures.csv")
    return failures


@contextmanager
def _quiet() -> Iterator[None]:
    """finstab warnings reach the user through the result (deliver prints them), not twice."""
    from finstab.core.warnings import FinstabWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FinstabWarning)
        yield


def _stored_threshold(runs, threshold: float | None, failures: Path | None) -> float | None:
    """Without --threshold or --failures: the threshold of the latest calibration run in the store."""
    if threshold is not None or failures is not None or runs is None:
        return threshold
    calibrations = runs.runs(kind="bank_calibration")
    if calibrations.empty:
        return None  # the pipeline refuses: no threshold and nothing to calibrate
    rid = calibrations["id"].iloc[0]
    stored = runs.load(rid).threshold
    console.print(f"using the IN threshold {stored:.6g} of the latest calibration run {rid}", style="yellow")
    return stored


def _head(result) -> str:
    """The summary without its footer (deliver prints provenance and warnings)."""
    text = result.summary()
    return text[: len(text) - len(result.footer())].rstrip()


@bank_app.command("screen")
@handle_errors
def screen_command(data: Path | None = DATA, params: Path | None = PARAMS, threshold: float | None = THRESHOLD,
                   failures: Path | None = FAILURES, penalty: float | None = PENALTY, combine: str | None = COMBINE,
                   quarter: str | None = QUARTER, out: Path | None = OUT, store: str | None = StoreOption,
                   no_store: bool = NoStoreOption, lang: str = LangOption) -> None:
    """Watch list of a quarter: IN, 4-quarter trend, volatility and systemic-impact flags."""
    from finstab.pipelines.bank import check_bank_options, run_bank_screen

    check_bank_options(threshold=threshold, quarter=quarter, penalty=penalty, combine=combine)
    failures = _failures(data, failures, threshold)
    runs = open_store(store, no_store)
    threshold = _stored_threshold(runs, threshold, failures)
    with _quiet():
        res = run_bank_screen(_data(data), params=params, threshold=threshold, failures=failures, penalty=penalty,
                              combine=combine, quarter=quarter).with_lang(lang)
    console.print(_head(res))
    if runs is not None and res.calibration is not None:
        rid = runs.save(res.calibration.with_lang(lang), label=f"IN threshold calibration on {res.quarter}")
        console.print(f"recorded calibration run [bold]{rid}[/] in {runs.url}")
    deliver(res, lang=lang, out=out, store=runs, label=f"IN watch list {res.quarter}", digits=5)


@bank_app.command("calibrate")
@handle_errors
def calibrate_command(data: Path | None = DATA, params: Path | None = PARAMS, failures: Path | None = FAILURES,
                      penalty: float | None = PENALTY, combine: str | None = COMBINE, out: Path | None = OUT,
                      store: str | None = StoreOption, no_store: bool = NoStoreOption,
                      lang: str = LangOption) -> None:
    """Threshold = mean (median, min) IN where failed banks' paths jump; hit rate, false alarms, lead time."""
    from finstab.pipelines.bank import check_bank_options, run_bank_calibration

    check_bank_options(penalty=penalty, combine=combine)
    if failures is None:
        console.print("using the SYNTHETIC sample's failed banks", style="yellow")
        failures = sample_path("banks/failures.csv")
    runs = open_store(store, no_store)
    with _quiet():
        cal = run_bank_calibration(_data(data), failures, params=params, penalty=penalty, combine=combine)
    console.print(_head(cal.with_lang(lang)))
    deliver(cal, lang=lang, out=out, store=runs, label="IN threshold calibration", digits=6)


def _memo_args(data, params, threshold, failures, penalty, combine, quarter) -> dict:
    return {"params": params, "threshold": threshold, "failures": _failures(data, failures, threshold),
            "penalty": penalty, "combine": combine, "quarter": quarter}


@bank_app.command("memo")
@handle_errors
def memo_command(bank: str = typer.Option(..., "--bank", help="Bank id."),
                 data: Path | None = DATA, params: Path | None = PARAMS,
                 inputs: Path | None = typer.Option(None, "--inputs", help="Analyst inputs YAML."),
                 threshold: float | None = THRESHOLD, failures: Path | None = FAILURES,
                 penalty: float | None = PENALTY, combine: str | None = COMBINE, quarter: str | None = QUARTER,
                 out: Path = typer.Option(Path("out/memo"), "--out", help="Output directory."),
                 store: str | None = StoreOption, no_store: bool = NoStoreOption, lang: str = LangOption) -> None:
    """Bilingual decision memo (Markdown and HTML) with the eight items; a D-SIB is presumed systemic."""
    from finstab.pipelines.bank import check_bank_options, run_bank_memo
    from finstab.report.memo import write_memo

    check_bank_options(threshold=threshold, quarter=quarter, penalty=penalty, combine=combine)
    if inputs is None:
        console.print("using the SYNTHETIC sample memo inputs", style="yellow")
        inputs = sample_path("banks/memo_inputs.yaml")
    runs = open_store(store, no_store)
    with _quiet():
        memo = run_bank_memo(bank, _data(data), inputs,
                             **_memo_args(data, params, threshold, failures, penalty, combine, quarter))
    memo = memo.with_lang(lang)
    console.print(memo.summary())
    report_written(paths=write_memo(memo, out))
    if runs is not None:
        rid = runs.save(memo, label=f"decision memo {bank}")
        console.print(f"recorded run [bold]{rid}[/] in {runs.url}")


@bank_app.command("waterfall")
@handle_errors
def waterfall_command(bank: str = typer.Option(..., "--bank", help="Bank id."),
                      data: Path | None = DATA, params: Path | None = PARAMS,
                      inputs: Path | None = typer.Option(None, "--inputs", help="Analyst inputs YAML (loss, "
                                                         "balance_sheet, funds, qualitative)."),
                      threshold: float | None = THRESHOLD, failures: Path | None = FAILURES,
                      penalty: float | None = PENALTY, combine: str | None = COMBINE,
                      quarter: str | None = QUARTER, out: Path | None = OUT, store: str | None = StoreOption,
                      no_store: bool = NoStoreOption, lang: str = LangOption) -> None:
    """Order of loss absorption; the fund steps in only if the risk is systemic (presumed for a D-SIB)."""
    from finstab.pipelines.bank import check_bank_options, run_bank_waterfall

    check_bank_options(threshold=threshold, quarter=quarter, penalty=penalty, combine=combine)
    if inputs is None:
        console.print("using the SYNTHETIC sample memo inputs", style="yellow")
        inputs = sample_path("banks/memo_inputs.yaml")
    runs = open_store(store, no_store)
    with _quiet():
        wf = run_bank_waterfall(bank, _data(data), inputs,
                                **_memo_args(data, params, threshold, failures, penalty, combine, quarter))
    console.print(_head(wf.with_lang(lang)))
    deliver(wf, lang=lang, out=out, store=runs, label=f"loss waterfall {bank}")
