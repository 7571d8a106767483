"""Calibrate the IN threshold from failed banks' paths (change points), and back-test it.

For each failed bank, PELT (``ruptures``, least-squares cost) splits its IN path into
segments of constant mean; penalty = ``penalty_factor`` x sigma^2 x ln(n), sigma from the
median absolute deviation of IN changes. The jump is the change point with the largest
rise in segment mean (a single binary-segmentation split when PELT finds none); its IN
value is the IN of the first quarter of the new segment. The threshold is their mean.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import ruptures as rpt

from finstab.core.errors import DataError

MIN_QUARTERS = 6


def find_jump(path: np.ndarray, penalty_factor: float = 3.0) -> int:
    """Index of the largest upward mean shift in ``path`` (first index of the new regime)."""
    x = np.asarray(path, dtype=float)
    diffs = np.diff(x)
    sigma = 1.4826 * np.median(np.abs(diffs - np.median(diffs))) / np.sqrt(2) if len(diffs) else 0.0
    sigma = sigma if sigma > 0 else max(float(np.std(x)), 1e-12) * 0.1
    penalty = penalty_factor * sigma**2 * np.log(len(x))
    bkps = rpt.Pelt(model="l2", min_size=2, jump=1).fit(x).predict(pen=penalty)[:-1]
    if not bkps:
        bkps = rpt.Binseg(model="l2", min_size=2, jump=1).fit(x).predict(n_bkps=1)[:-1]
    edges = [0, *bkps, len(x)]
    means = [x[a:b].mean() for a, b in itertools.pairwise(edges)]
    rises = np.diff(means)
    return int(bkps[int(np.argmax(rises))])


@dataclass(frozen=True)
class CalibrationResult:
    threshold: float
    jumps: pd.DataFrame  # bank, jump_quarter, in_at_jump, failure_quarter
    evaluation: pd.DataFrame  # bank, failed, first_alarm, lead_quarters
    hits: int
    misses: int
    false_alarms: int
    mean_lead_quarters: float

    def summary(self) -> str:
        return (f"threshold = mean IN at jump = {self.threshold:.6g} from {len(self.jumps)} failed banks; "
                f"hits {self.hits}, misses {self.misses}, false alarms {self.false_alarms} "
                f"of {int((~self.evaluation['failed']).sum())} surviving banks, mean lead "
                f"{self.mean_lead_quarters:.1f} quarters")


def calibrate_threshold(screened: pd.DataFrame, failed_banks: Iterable[str] | Mapping[str, str],
                        penalty_factor: float = 3.0) -> CalibrationResult:
    """Threshold from failed banks' jumps and its hits, false alarms and lead times.

    Parameters
    ----------
    screened
        ``ScreenResult.frame`` (bank, quarter, in), or a raw bank panel, which is screened first.
    failed_banks
        Bank ids (failure = their last quarter) or a mapping bank -> failure quarter.
    """
    if "in" not in screened.columns:
        from finstab.bank.screen import screen

        screened = screen(screened).frame
    f = screened.sort_values(["bank", "quarter"])
    banks = set(f["bank"])
    failures = dict(failed_banks) if isinstance(failed_banks, Mapping) else {b: None for b in failed_banks}
    if not failures:
        raise DataError("no failed banks given: labels never flag a failure", where="failed_banks")
    unknown = sorted(set(failures) - banks)
    if unknown:
        raise DataError(f"failed banks {unknown} are not in the panel", where="failed_banks")
    rows = []
    for bank, when in failures.items():
        path = f[f["bank"] == bank]
        fq = pd.Period(when, freq="Q") if when is not None else path["quarter"].max()
        path = path[path["quarter"] <= fq]
        if len(path) < MIN_QUARTERS:
            raise DataError(f"bank {bank!r} has {len(path)} quarters before failure; need {MIN_QUARTERS}",
                            where="failed_banks")
        k = find_jump(path["in"].to_numpy(), penalty_factor)
        rows.append({"bank": bank, "jump_quarter": path["quarter"].iloc[k], "in_at_jump": path["in"].iloc[k],
                     "failure_quarter": fq})
    jumps = pd.DataFrame(rows)
    threshold = float(jumps["in_at_jump"].mean())
    flagged = f[f["in"] >= threshold].groupby("bank")["quarter"].min()
    ev = pd.DataFrame({"bank": sorted(banks)})
    ev["failed"] = ev["bank"].isin(failures)
    ev["first_alarm"] = ev["bank"].map(flagged)
    fail_q = jumps.set_index("bank")["failure_quarter"]
    ev["failure_quarter"] = ev["bank"].map(fail_q)
    hit = ev["failed"].to_numpy() & np.array(
        [pd.notna(a) and a <= q for a, q in zip(ev["first_alarm"], ev["failure_quarter"], strict=True)], dtype=bool)
    ev["lead_quarters"] = [(q - a).n if h else np.nan
                           for h, a, q in zip(hit, ev["first_alarm"], ev["failure_quarter"], strict=True)]
    false_alarms = int((~ev["failed"] & ev["first_alarm"].notna()).sum())
    ev["hit"] = hit
    return CalibrationResult(threshold, jumps, ev, int(hit.sum()), int(ev["failed"].sum() - hit.sum()),
                             false_alarms, float(np.nanmean(ev["lead_quarters"])) if hit.any() else float("nan"))
