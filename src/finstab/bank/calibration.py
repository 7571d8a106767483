"""Calibrate the IN threshold from failed banks' paths (change points), and back-test it.

For each failed bank, PELT (``ruptures``, least-squares cost) splits its IN path up to the
failure into segments of constant mean; penalty = ``penalty_factor`` x sigma^2 x ln(n),
sigma from the median absolute deviation of IN changes. The jump is the change point with
the largest rise in segment mean (a single binary-segmentation split when PELT finds none);
its IN value is the IN of the first quarter of the new segment. The threshold combines
these values (``combine``: mean - the paper's "average" -, median or min).

The back-test counts a failed bank as caught (a hit) when its IN reaches the threshold in
some quarter up to its failure; a surviving bank that ever reaches it is a false alarm.
Fewer hits than ``min_hit_rate`` of the failed banks raise a :class:`CalibrationWarning`
that the result carries.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.bank.in_index import COMBINE, INParams, load_in_params
from finstab.bank.quarters import as_quarter
from finstab.core.errors import DataError, InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import check_option
from finstab.core.warnings import CalibrationWarning, collect, warn

MIN_QUARTERS = 6


def find_jump(path: np.ndarray, penalty_factor: float = 3.0) -> int:
    """Index of the largest upward mean shift in ``path`` (first index of the new regime).

    Examples
    --------
    >>> find_jump([0.0, 0.01, 0.0, 0.01, 0.0, 0.5, 0.51, 0.5, 0.49])
    5
    """
    import ruptures as rpt

    penalty_factor = check_penalty(penalty_factor)
    x = np.asarray(path, dtype=float)
    if x.ndim != 1 or len(x) < 4 or not np.all(np.isfinite(x)):
        raise InputError(f"expected at least 4 finite values, got {x.size}", where="path")
    penalty = pelt_penalty(x, penalty_factor)
    bkps = rpt.Pelt(model="l2", min_size=2, jump=1).fit(x).predict(pen=penalty)[:-1]
    if not bkps:
        bkps = rpt.Binseg(model="l2", min_size=2, jump=1).fit(x).predict(n_bkps=1)[:1]  # [split, n]: the split
    edges = [0, *bkps, len(x)]
    means = [x[a:b].mean() for a, b in itertools.pairwise(edges)]
    rises = np.diff(means)
    return int(bkps[int(np.argmax(rises))])


def pelt_penalty(x: np.ndarray, penalty_factor: float) -> float:
    """PELT penalty of a path: ``penalty_factor`` x sigma^2 x ln(n).

    sigma is the noise level read from the quarter-on-quarter changes: 1.4826 x their median
    absolute deviation (a normal standard deviation) / sqrt(2) (a change is the difference of
    two noisy quarters). A path whose changes are mostly equal (flat or a straight line) has
    sigma 0; then 0.1 x the standard deviation of the path (at least 1e-12) stands in.

    Examples
    --------
    >>> round(float(pelt_penalty(np.array([0.0, 0.01, 0.0, 0.01, 0.0, 0.5, 0.51, 0.5, 0.49]), 3.0)), 7)
    0.0007245
    """
    diffs = np.diff(x)
    sigma = 1.4826 * np.median(np.abs(diffs - np.median(diffs))) / np.sqrt(2)
    sigma = sigma if sigma > 0 else max(float(np.std(x)), 1e-12) * 0.1
    return penalty_factor * sigma**2 * np.log(len(x))


def check_penalty(value: object) -> float:
    """A PELT penalty factor: a finite number > 0 (the error names ``penalty_factor``)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number", where="penalty_factor") from None
    if not math.isfinite(x) or x <= 0:
        raise InputError(f"{x:g} is not a positive number; the PELT penalty factor must be > 0 (e.g. 3)",
                         where="penalty_factor")
    return x


def _quarter_text(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = out[col].map(lambda q: str(q) if pd.notna(q) else None)
    return out


def _quarter_periods(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = out[col].map(lambda q: pd.Period(q, freq="Q"))  # "", None and NaN give NaT
    return out


_JUMP_Q = ("jump_quarter", "failure_quarter")
_EVAL_Q = ("first_alarm", "failure_quarter")


@dataclass(frozen=True)
class CalibrationResult(Result):
    """A calibrated IN threshold with its back-test on the same panel.

    ``jumps``: bank, jump_quarter, in_at_jump, failure_quarter (one row per failed bank).
    ``evaluation``: bank, failed, first_alarm, failure_quarter, hit, lead_quarters (every bank).
    """

    kind: ClassVar[str] = "bank_calibration"
    threshold: float
    jumps: pd.DataFrame
    evaluation: pd.DataFrame
    combine: str = "mean"
    penalty_factor: float = 3.0
    min_hit_rate: float = 0.5

    # back-test counts, read from the evaluation table ----------------------------------------
    @property
    def n_failed(self) -> int:
        return int(self.evaluation["failed"].sum())

    @property
    def hits(self) -> int:
        return int((self.evaluation["failed"] & self.evaluation["hit"]).sum())

    @property
    def misses(self) -> int:
        return self.n_failed - self.hits

    @property
    def hit_rate(self) -> float:
        """Share of failed banks whose IN reached the threshold by their failure quarter."""
        return self.hits / self.n_failed if self.n_failed else float("nan")

    @property
    def false_alarms(self) -> int:
        ev = self.evaluation
        return int((~ev["failed"] & ev["first_alarm"].notna()).sum())

    @property
    def n_surviving(self) -> int:
        return int((~self.evaluation["failed"]).sum())

    @property
    def mean_lead_quarters(self) -> float:
        leads = self.evaluation["lead_quarters"].dropna()
        return float(leads.mean()) if len(leads) else float("nan")

    @property
    def weak(self) -> bool:
        """True when fewer than ``min_hit_rate`` of the failed banks are caught."""
        return self.hit_rate < self.min_hit_rate

    # protocol ----------------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"jumps": _quarter_text(self.jumps, _JUMP_Q), "evaluation": _quarter_text(self.evaluation, _EVAL_Q)}

    def config(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "combine": self.combine, "penalty_factor": self.penalty_factor,
                "min_hit_rate": self.min_hit_rate}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: dict, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> CalibrationResult:
        """Rebuild a stored calibration (its threshold is ``config["threshold"]``)."""
        ev = _quarter_periods(tables["evaluation"], _EVAL_Q)
        ev["failed"] = ev["failed"].astype(bool)
        ev["hit"] = ev["hit"].astype(bool)
        ev["lead_quarters"] = pd.to_numeric(ev["lead_quarters"], errors="coerce")
        return cls(float(config["threshold"]), _quarter_periods(tables["jumps"], _JUMP_Q), ev,
                   config.get("combine", "mean"), float(config.get("penalty_factor", 3.0)),
                   float(config.get("min_hit_rate", 0.5)), provenance=provenance, warnings=tuple(warnings))

    def describe(self) -> str:
        """One line: the threshold, how it was made and how well it back-tests."""
        lead = "" if math.isnan(self.mean_lead_quarters) else f"{self.mean_lead_quarters:.1f}"
        pct = f"{self.hit_rate:.0%}" if self.n_failed else "-"
        if self.lang == "zh":
            how = {"mean": "均值", "median": "中位数", "min": "最小值"}[self.combine]
            return (f"阈值 {self.threshold:.6g} = {self.n_failed} 家失败银行跳变点 IN 的{how}；"
                    f"命中率 {self.hits}/{self.n_failed}（{pct}，失败前达到阈值），"
                    f"{self.n_surviving} 家存续银行中误报 {self.false_alarms} 家，平均提前 {lead or '-'} 个季度")
        return (f"threshold {self.threshold:.6g} = {self.combine} of IN at the jump of {self.n_failed} failed banks; "
                f"hit rate {self.hits}/{self.n_failed} ({pct} reached it by their failure), "
                f"false alarms {self.false_alarms} of {self.n_surviving} surviving banks, "
                f"mean lead {lead or '-'} quarters")

    def summary(self) -> str:
        return f"{self.describe()}\n{self.footer()}"


def _failures(failed_banks: Iterable[str] | Mapping[str, object]) -> dict[str, pd.Period | None]:
    if isinstance(failed_banks, Mapping):
        items = list(failed_banks.items())
    elif isinstance(failed_banks, str):
        items = [(failed_banks, None)]
    else:
        items = [(b, None) for b in failed_banks]
    out: dict[str, pd.Period | None] = {}
    for bank, when in items:
        bank = str(bank)
        if bank in out:
            raise DataError(f"bank {bank!r} is listed twice", where="failed_banks")
        out[bank] = None if when is None else as_quarter(when, where=f"failed_banks[{bank!r}]")
    return out


def calibrate_threshold(screened: pd.DataFrame, failed_banks: Iterable[str] | Mapping[str, object],
                        penalty_factor: float | None = None, *, combine: str | None = None,
                        params: INParams | None = None) -> CalibrationResult:
    """Threshold from failed banks' jumps and its hits, false alarms and lead times.

    Parameters
    ----------
    screened
        ``ScreenResult.frame`` (bank, quarter, in), or a raw bank panel, which is screened first.
    failed_banks
        Bank ids (failure = their last quarter) or a mapping bank -> failure quarter (``"2021Q2"``).
    penalty_factor, combine
        PELT penalty factor (> 0) and ``"mean"``, ``"median"`` or ``"min"``; default: ``params.calibration``.
    params
        IN parameters (default: the paper's).

    Warns
    -----
    CalibrationWarning
        When the threshold reaches fewer than ``params.calibration.min_hit_rate`` of the failed
        banks by their failure quarter; the result carries the warning too.

    Examples
    --------
    >>> import warnings
    >>> from finstab.samples.banks import make_bank_panel
    >>> panel, failures = make_bank_panel()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     cal = calibrate_threshold(panel, dict(zip(failures["bank"], failures["failure_quarter"])))
    >>> cal.hits, cal.n_failed, cal.weak
    (2, 8, True)
    """
    p = params or load_in_params()
    cp = p.calibration
    penalty = check_penalty(cp.penalty_factor if penalty_factor is None else penalty_factor)
    how = check_option(cp.combine if combine is None else combine, COMBINE, "combine")
    if "in" not in screened.columns:
        from finstab.bank.screen import screen

        screened = screen(screened, p).frame
    f = screened.sort_values(["bank", "quarter"])
    banks = set(f["bank"])
    failures = _failures(failed_banks)
    if not failures:
        raise DataError("no failed banks given: labels never flag a failure", where="failed_banks")
    unknown = sorted(set(failures) - banks)
    if unknown:
        raise DataError(f"failed banks {unknown} are not among the screened (non-D-SIB) banks", where="failed_banks")
    rows = []
    for bank, when in failures.items():
        path = f[f["bank"] == bank]
        fq = when if when is not None else path["quarter"].max()
        path = path[path["quarter"] <= fq]
        if len(path) < cp.min_quarters:
            raise DataError(f"bank {bank!r} has {len(path)} quarters up to its failure {fq}; "
                            f"need {cp.min_quarters}", where="failed_banks")
        k = find_jump(path["in"].to_numpy(), penalty)
        rows.append({"bank": bank, "jump_quarter": path["quarter"].iloc[k], "in_at_jump": float(path["in"].iloc[k]),
                     "failure_quarter": fq})
    jumps = pd.DataFrame(rows)
    threshold = float(getattr(np, {"mean": "mean", "median": "median", "min": "min"}[how])(jumps["in_at_jump"]))
    flagged = f[f["in"] >= threshold].groupby("bank")["quarter"].min()
    ev = pd.DataFrame({"bank": sorted(banks)})
    ev["failed"] = ev["bank"].isin(failures)
    ev["first_alarm"] = ev["bank"].map(flagged)
    ev["failure_quarter"] = ev["bank"].map(jumps.set_index("bank")["failure_quarter"])
    hit = np.array([bool(failed) and pd.notna(a) and a <= q
                    for failed, a, q in ev[["failed", "first_alarm", "failure_quarter"]].to_numpy()])
    ev["hit"] = hit
    ev["lead_quarters"] = [float((q - a).n) if h else np.nan
                           for h, a, q in ev[["hit", "first_alarm", "failure_quarter"]].to_numpy()]
    used = screened[[c for c in ("bank", "quarter", "in", "source") if c in screened.columns]]
    prov = Provenance.from_inputs("bank/calibration", config=p,
                                  inputs={"screened": used.astype({"quarter": str}),
                                          "failures": {b: str(q) for b, q in failures.items()}},
                                  params={"combine": how, "penalty_factor": penalty})
    result = CalibrationResult(threshold, jumps, ev, how, penalty, cp.min_hit_rate, provenance=prov)
    with collect() as seen:
        if result.weak:
            warn(f"the IN threshold {threshold:.6g} ({how} of the failed banks' jumps) reaches only "
                 f"{result.hits} of {result.n_failed} failed banks ({result.hit_rate:.0%}) by their failure, below "
                 f"the {cp.min_hit_rate:.0%} minimum: it misses most failures; consider combine='median' or 'min'",
                 CalibrationWarning)
    return result.with_warnings(seen)
