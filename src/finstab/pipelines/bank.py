"""Bank-screen pipelines: read a panel, screen, calibrate, assess a bank for the memo and the waterfall.

Each returns one :class:`~finstab.core.results.Result`. A screen never uses a silent
threshold: it takes the one given, or calibrates one from failed banks, or one set in a
parameters file, and otherwise refuses.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from finstab.bank.calibration import CalibrationResult, calibrate_threshold, check_penalty
from finstab.bank.in_index import COMBINE, INParams, load_in_params
from finstab.bank.memo import MemoResult, build_memo, load_memo_inputs
from finstab.bank.quarters import as_quarter, as_threshold
from finstab.bank.screen import ScreenResult, read_bank_panel, screen
from finstab.bank.waterfall import WaterfallResult
from finstab.core.columns import canonical_table
from finstab.core.errors import ConfigError, DataError, InputError
from finstab.core.io import describe_row, read_table
from finstab.core.provenance import Provenance
from finstab.core.validate import check_option, require_columns

NO_THRESHOLD = "no threshold: give failures or a threshold (e.g. from a stored calibration run)"

Source = str | Path | pd.DataFrame


def read_failures(failures: Source) -> tuple[pd.DataFrame, dict[str, pd.Period]]:
    """The failures table (bank, failure_quarter) and its bank -> quarter mapping, checked row by row.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> frame, fails = read_failures(sample_path("banks/failures.csv"))
    >>> len(fails), str(fails["CITY003"])
    (8, '2021Q2')
    """
    f = canonical_table(failures.copy() if isinstance(failures, pd.DataFrame) else read_table(failures), "failures")
    source = f.attrs.get("source", "failures")
    require_columns(f.columns, ["bank", "failure_quarter"], source)
    out: dict[str, pd.Period] = {}
    for pos, (bank, when) in enumerate(zip(f["bank"].astype(str), f["failure_quarter"], strict=True)):
        where = describe_row(f, pos)
        if pd.isna(when) or str(when).strip() == "":
            raise DataError(f"bank {bank!r}: failure_quarter is empty; give a quarter like 2021Q2", where=where)
        try:
            q = as_quarter(when, "failure_quarter")
        except InputError:  # name the file row, not the parameter
            raise DataError(f"bank {bank!r}: failure_quarter {str(when)!r} is not a quarter like 2021Q2",
                            where=where) from None
        if bank in out:
            raise DataError(f"bank {bank!r} is listed twice", where=where)
        out[bank] = q
    return f, out


def check_bank_options(*, threshold: object = None, quarter: object = None, penalty: object = None,
                       combine: object = None) -> None:
    """Check the options of a bank run before any work (and before a store is opened).

    Examples
    --------
    >>> check_bank_options(threshold=float("nan"))
    Traceback (most recent call last):
    ...
    finstab.core.errors.InputError: threshold: nan is not a finite number
    """
    if threshold is not None:
        as_threshold(threshold)
    if quarter is not None:
        as_quarter(quarter, "quarter")
    if penalty is not None:
        check_penalty(penalty)
    if combine is not None:
        check_option(combine, COMBINE, "combine")


def _params(params: str | Path | INParams | None) -> INParams:
    return params if isinstance(params, INParams) else load_in_params(params)


def run_bank_calibration(data: Source, failures: Source, *, params: str | Path | INParams | None = None,
                         penalty: float | None = None, combine: str | None = None) -> CalibrationResult:
    """Calibrate the IN threshold from failed banks (bank, failure_quarter) and back-test it.

    Examples
    --------
    >>> import warnings
    >>> from finstab.samples import sample_path
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     cal = run_bank_calibration(sample_path("banks/panel.csv"), sample_path("banks/failures.csv"),
    ...                                combine="min")
    >>> cal.kind, cal.hits, cal.n_failed
    ('bank_calibration', 8, 8)
    """
    p = _params(params)
    fail_frame, fails = read_failures(failures)
    panel = read_bank_panel(data, p)
    cal = calibrate_threshold(screen(panel, p).frame, fails, penalty, combine=combine, params=p)
    prov = Provenance.from_inputs("bank/calibration", config=p, inputs={"panel": panel.astype({"quarter": str}),
                                                                         "failures": fail_frame},
                                  params={"combine": cal.combine, "penalty_factor": cal.penalty_factor})
    return replace(cal, provenance=prov)


def run_bank_screen(data: Source, *, params: str | Path | INParams | None = None, threshold: float | None = None,
                    failures: Source | None = None, penalty: float | None = None, combine: str | None = None,
                    quarter: str | pd.Period | None = None) -> ScreenResult:
    """Screen a bank panel and show ``quarter`` (default: the latest).

    The threshold is ``threshold`` if given (e.g. a stored calibration's), else calibrated
    from ``failures`` (bank, failure_quarter; the calibration is attached as
    ``result.calibration`` and its warnings carried), else ``params.threshold`` from a
    parameters file; with none of these it raises :class:`ConfigError`.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> res = run_bank_screen(sample_path("banks/panel.csv"), threshold=0.002, quarter="2021Q1")
    >>> res.with_lang("en").summary().splitlines()[0][:40]
    'IN screen 2021Q1: 200 non-D-SIB banks, 4'
    """
    p = _params(params)
    thr = None if threshold is None else as_threshold(threshold)
    q = None if quarter is None else as_quarter(quarter, "quarter")
    if thr is None and failures is None and p.threshold is None:
        raise ConfigError(NO_THRESHOLD, where="threshold")
    fail_frame, fails = (None, None) if failures is None else read_failures(failures)
    panel = read_bank_panel(data, p)
    base = screen(panel, p, quarter=q)
    cal = None
    if fails is not None:
        cal = calibrate_threshold(base.frame, fails, penalty, combine=combine, params=p)
    if thr is not None:
        result = base.with_threshold(thr, "given", cal)
    elif cal is not None:
        result = base.with_threshold(cal.threshold, "calibrated", cal)
    else:
        result = base.with_threshold(p.threshold, "params")  # type: ignore[arg-type]
    inputs: dict[str, object] = {"panel": panel.astype({"quarter": str})}
    if fail_frame is not None:
        inputs["failures"] = fail_frame
    prov = Provenance.from_inputs("bank/screen", config=p, inputs=inputs,
                                  params={"threshold": result.threshold, "threshold_source": result.threshold_source,
                                          **({"combine": cal.combine, "penalty_factor": cal.penalty_factor}
                                             if cal is not None else {})})
    if cal is not None:
        cal = replace(cal, provenance=prov)
    result = replace(result, provenance=prov, calibration=cal)
    return result.with_warnings(cal.warnings) if cal is not None else result


def _screen_for(bank: str, data: Source, p: INParams, **kwargs) -> ScreenResult:
    """The screen a memo needs: a D-SIB under the presumption needs no threshold."""
    try:
        return run_bank_screen(data, params=p, **kwargs)
    except ConfigError as exc:
        if exc.where != "threshold":
            raise
        panel = read_bank_panel(data, p)
        q = kwargs.get("quarter")
        base = screen(panel, p, quarter=None if q is None else as_quarter(q, "quarter"))
        if base.is_dsib(bank) and p.systemic.dsib_presumed:
            return base
        raise


def run_bank_memo(bank: str, data: Source, inputs: str | Path, *, params: str | Path | INParams | None = None,
                  **kwargs) -> MemoResult:
    """Screen, then build the decision memo for ``bank`` from the analyst's inputs file.

    ``kwargs`` go to :func:`run_bank_screen` (``threshold``, ``failures``, ``penalty``,
    ``combine``, ``quarter``). A D-SIB is presumed systemic (``systemic.dsib_presumed``):
    its memo needs no threshold.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> memo = run_bank_memo("CITY003", sample_path("banks/panel.csv"), sample_path("banks/memo_inputs.yaml"),
    ...                      threshold=0.0001)
    >>> memo.kind, memo.basis(), memo.fund_may_intervene
    ('bank_memo', ['quantitative', 'qualitative'], True)
    """
    memo_inputs = load_memo_inputs(inputs)
    if memo_inputs.bank != bank:
        raise ConfigError(f"inputs are for bank {memo_inputs.bank!r}, not {bank!r}", where=str(inputs))
    p = _params(params)
    return build_memo(_screen_for(bank, data, p, **kwargs), memo_inputs)


def run_bank_waterfall(bank: str, data: Source, inputs: str | Path, **kwargs) -> WaterfallResult:
    """The loss waterfall of the memo for ``bank`` (systemic impact from the same evidence, or presumed for a D-SIB).

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> import yaml, tempfile, pathlib
    >>> spec = yaml.safe_load(sample_path("banks/memo_inputs.yaml").read_text(encoding="utf-8"))
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "dsib.yaml"
    >>> _ = path.write_text(yaml.safe_dump({**spec, "bank": "DSIB000"}, allow_unicode=True), encoding="utf-8")
    >>> wf = run_bank_waterfall("DSIB000", sample_path("banks/panel.csv"), path)
    >>> wf.kind, wf.presumed, wf.fund_may_intervene
    ('waterfall', True, True)
    """
    memo = run_bank_memo(bank, data, inputs, **kwargs)
    return replace(memo.waterfall, provenance=memo.provenance, warnings=memo.warnings)
