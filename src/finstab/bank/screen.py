"""Screen a bank x quarter panel: IN, contributions, size multiplier, volatility alarm, flags.

D-SIBs are not screened: the paper presumes them systemic (their designation already
implies systemic impact on failure); they are kept apart in ``ScreenResult.dsibs``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.bank.calibration import CalibrationResult
from finstab.bank.in_index import RATIO_IDS, INParams, in_components, load_in_params
from finstab.bank.quarters import as_quarter, as_threshold
from finstab.core.columns import canonical_table
from finstab.core.errors import DataError
from finstab.core.io import read_table
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import require_columns

REQUIRED = ["bank", "quarter", *RATIO_IDS, "inter", "amo"]


def _fail(df: pd.DataFrame, pos: int, column: str, message: str) -> DataError:
    r = df.iloc[pos]
    return DataError(f"bank {r['bank']!r}, quarter {r['quarter']}, column {column!r}: {message}",
                     where=df.attrs.get("source", "bank panel"))


def read_bank_panel(data: str | Path | pd.DataFrame, params: INParams | None = None) -> pd.DataFrame:
    """Read and check a bank panel; ratios as decimals, INTER and AMO in trillion yuan.

    Columns: bank, quarter (``2019Q4``), the five ratios, inter, amo; optional bank_type,
    dsib (true for D-SIBs, listed apart), name, source.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> panel = read_bank_panel(sample_path("banks/panel.csv"))
    >>> str(panel["quarter"].min()), str(panel["quarter"].max()), int(panel["dsib"].sum() > 0)
    ('2015Q1', '2024Q4', 1)
    """
    p = params or load_in_params()
    df = canonical_table(data.copy() if isinstance(data, pd.DataFrame) else read_table(data), "bank_panel")
    source = df.attrs.get("source", "bank panel")
    require_columns(df.columns, REQUIRED, source)
    df = df.reset_index(drop=True)
    df["bank"] = df["bank"].astype(str)
    try:
        df["quarter"] = pd.PeriodIndex(df["quarter"].astype(str), freq="Q")
    except (ValueError, TypeError):
        for pos, q in enumerate(df["quarter"].astype(str)):
            try:
                pd.Period(q, freq="Q")
            except (ValueError, TypeError):
                raise _fail(df, pos, "quarter", f"{q!r} is not a quarter like 2019Q4") from None
    for col in [*RATIO_IDS, "inter", "amo"]:
        num = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(num.isna().to_numpy())
        if bad.size:
            raw = df[col].iloc[bad[0]]
            raise _fail(df, int(bad[0]), col, "is empty" if pd.isna(raw) else f"{raw!r} is not a number")
        lo, hi = (p.ratio(col).min, p.ratio(col).max) if col in RATIO_IDS else (0.0, np.inf)
        out = np.flatnonzero(((num < lo) | (num > hi)).to_numpy())
        if out.size:
            what = "negative" if num.iloc[out[0]] < 0 and lo >= 0 else "impossible"
            raise _fail(df, int(out[0]), col, f"{num.iloc[out[0]]:g} is {what}; expected a decimal in "
                        f"[{lo:g}, {hi:g}] (1.2 = 120 %)")
        df[col] = num.to_numpy(dtype=float)
    dup = np.flatnonzero(df.duplicated(["bank", "quarter"]).to_numpy())
    if dup.size:
        raise _fail(df, int(dup[0]), "quarter", "appears twice")
    prev = df.groupby("bank")["quarter"].shift()
    disorder = np.flatnonzero((prev.notna() & (df["quarter"] < prev)).to_numpy())
    if disorder.size:
        raise _fail(df, int(disorder[0]), "quarter", f"comes after {prev.iloc[disorder[0]]}: quarters out of order")
    df["dsib"] = df["dsib"].astype(str).str.lower().isin(["true", "1", "yes"]) if "dsib" in df else False
    if "bank_type" not in df:
        df["bank_type"] = ""
    df.attrs["checked"] = True
    return df


def _volatility(frame: pd.DataFrame, params: INParams) -> pd.DataFrame:
    vp = params.volatility
    change = frame.groupby("bank")["in"].diff()
    vol = change.groupby(frame["bank"]).transform(lambda s: s.rolling(vp.window).std())  # needs a full window
    own = vol.groupby(frame["bank"]).transform(lambda s: s.expanding().median().shift())
    cross = vol.groupby(frame["quarter"]).rank(pct=True)
    abnormal = (vol >= vp.own_multiple * own) & (cross >= vp.cross_section_pct)  # NaN compares False
    return pd.DataFrame({"in_vol": vol, "vol_vs_own": vol / own, "vol_pct_cross": cross,
                         "abnormal_volatility": abnormal})


def _flags(frame: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    """``above_threshold`` and ``systemic_evidence``; without a threshold both are unknown (NA), never False."""
    if threshold is None:
        above = pd.array([pd.NA] * len(frame), dtype="boolean")
    else:
        above = pd.arrays.BooleanArray(frame["in"].to_numpy() >= threshold, np.zeros(len(frame), dtype=bool))
    out = frame.assign(above_threshold=above)
    out["systemic_evidence"] = out["above_threshold"] & out["abnormal_volatility"]  # boolean: unknown stays unknown
    return out


_SOURCES = {"given": ("给定", "given"), "calibrated": ("校准", "calibrated"),
            "params": ("参数文件", "parameters file"), "none": ("无", "none")}
WATCH_COLUMNS = ["bank", "bank_type", "quarter", "in", "trend_4q", "size_multiplier", "in_vol",
                 "above_threshold", "abnormal_volatility", "systemic_evidence"]


@dataclass(frozen=True)
class ScreenResult(Result):
    """IN per non-D-SIB bank and quarter with flags; D-SIBs listed apart.

    The main table is the watch list of ``quarter`` (default: the panel's latest), which the
    summary line names. ``threshold`` is ``None`` when no threshold was given or calibrated:
    then ``above_threshold`` and ``systemic_evidence`` are unknown (NA), never False.

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> res = screen(read_bank_panel(sample_path("banks/panel.csv")), threshold=0.002, quarter="2021Q1")
    >>> res.kind, str(res.quarter), list(res.tables())[:3]
    ('bank_screen', '2021Q1', ['watch_list', 'screen', 'dsibs'])
    """

    kind: ClassVar[str] = "bank_screen"
    frame: pd.DataFrame
    dsibs: pd.DataFrame
    threshold: float | None
    params: INParams
    quarter: pd.Period | None = None
    calibration: CalibrationResult | None = None
    #: where the threshold came from: given, calibrated, params (a parameters file) or none
    threshold_source: str = "given"

    def __post_init__(self) -> None:
        super().__post_init__()
        quarters = pd.concat([self.frame["quarter"], self.dsibs["quarter"]])
        if self.quarter is None:
            q = quarters.max()
        else:
            q = as_quarter(self.quarter)  # errors name "quarter"
            if not (quarters == q).any():
                span = f"{quarters.min()}-{quarters.max()}" if len(quarters) else "none"
                raise DataError(f"no quarter {q} in the panel (quarters {span})", where="quarter")
        object.__setattr__(self, "quarter", q)

    # views -------------------------------------------------------------------------------------
    def at(self, quarter: pd.Period | str) -> ScreenResult:
        """The same screen showing ``quarter``."""
        return replace(self, quarter=as_quarter(quarter))

    def with_threshold(self, threshold: float, source: str = "given",
                       calibration: CalibrationResult | None = None) -> ScreenResult:
        """The same IN with the threshold flags for ``threshold``."""
        thr = as_threshold(threshold)
        prov = replace(self.provenance, parameters={**self.provenance.parameters, "threshold": thr})
        return replace(self, frame=_flags(self.frame, thr), threshold=thr, threshold_source=source,
                       calibration=calibration if calibration is not None else self.calibration, provenance=prov)

    def latest(self) -> pd.DataFrame:
        """Rows of the panel's latest quarter."""
        return self.frame[self.frame["quarter"] == self.frame["quarter"].max()]

    def watch_list(self, quarter: pd.Period | str | None = None, top: int | None = None) -> pd.DataFrame:
        """Banks at IN >= 0 or above the threshold in ``quarter``, worst first, with the 4-quarter trend."""
        q = self.quarter if quarter is None else as_quarter(quarter)
        f = self.frame
        cur = f[f["quarter"] == q].copy()
        if cur.empty and not (self.dsibs["quarter"] == q).any():
            raise DataError(f"no quarter {q} in the panel", where="quarter")
        past = f[f["quarter"] == q - 4].set_index("bank")["in"]
        cur["trend_4q"] = cur["in"].to_numpy() - cur["bank"].map(past).to_numpy()
        cur = cur[cur["watch"] | cur["above_threshold"]]  # an unknown flag (no threshold) selects nothing
        out = cur.sort_values("in", ascending=False)[WATCH_COLUMNS].reset_index(drop=True)
        return out.iloc[:top]  # top None: all

    def is_dsib(self, bank: str) -> bool:
        return bool((self.dsibs["bank"] == bank).any())

    def bank(self, bank: str) -> pd.DataFrame:
        """The screened rows of one bank (a D-SIB is not screened: see :meth:`dsib_rows`)."""
        out = self.frame[self.frame["bank"] == bank]
        if out.empty:
            listed = (" (a D-SIB: the IN index is for non-D-SIBs; D-SIBs are presumed systemic)"
                      if self.is_dsib(bank) else "")
            raise DataError(f"bank {bank!r} is not among the screened banks{listed}", where="bank")
        return out

    def dsib_rows(self, bank: str) -> pd.DataFrame:
        out = self.dsibs[self.dsibs["bank"] == bank]
        if out.empty:
            raise DataError(f"bank {bank!r} is not a D-SIB of the panel", where="bank")
        return out

    # protocol ----------------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        text = {"quarter": str}
        tables = {"watch_list": self.watch_list().astype(text), "screen": self.frame.astype(text),
                  "dsibs": self.dsibs.astype(text)}
        if self.calibration is not None:
            tables.update({f"calibration_{k}": v for k, v in self.calibration.tables().items()})
        return tables

    def column_labels(self) -> dict[str, tuple[str, str]]:
        return self.params.column_labels()

    def config(self) -> dict[str, Any]:
        return {"params": self.params.model_dump(mode="json"), "threshold": self.threshold,
                "threshold_source": self.threshold_source, "quarter": str(self.quarter),
                "calibration": None if self.calibration is None else self.calibration.config()}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: dict, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> ScreenResult:
        """Rebuild a stored screen from its ``screen`` and ``dsibs`` tables and its config."""
        params = INParams.model_validate(config["params"])
        frame = tables["screen"].copy()
        frame["quarter"] = pd.PeriodIndex(frame["quarter"].astype(str), freq="Q")
        for col in ("watch", "abnormal_volatility"):
            frame[col] = frame[col].astype(bool)
        for col in ("above_threshold", "systemic_evidence"):
            frame[col] = frame[col].astype("boolean")
        dsibs = tables["dsibs"].copy()
        dsibs["quarter"] = pd.PeriodIndex(dsibs["quarter"].astype(str), freq="Q")
        cal = None
        if config.get("calibration") and "calibration_jumps" in tables:
            cal = CalibrationResult.from_tables(
                {"jumps": tables["calibration_jumps"], "evaluation": tables["calibration_evaluation"]},
                config["calibration"], provenance=provenance, warnings=warnings)
        return cls(frame, dsibs, config.get("threshold"), params, config.get("quarter"), cal,
                   config.get("threshold_source", "given"), provenance=provenance, warnings=tuple(warnings))

    def summary(self) -> str:
        cur = self.frame[self.frame["quarter"] == self.quarter]
        n, watch = len(cur), int(cur["watch"].sum())
        above = int(cur["above_threshold"].sum())  # unknown flags (no threshold) count as 0
        systemic = int(cur["systemic_evidence"].sum())
        n_dsib = self.dsibs["bank"].nunique()
        zh = self.lang == "zh"
        src = _SOURCES.get(self.threshold_source, (self.threshold_source, self.threshold_source))[0 if zh else 1]
        if zh:
            thr = (f"超过阈值 {self.threshold:.6g}（{src}）{above} 家，"
                   f"有系统性影响证据（超阈值且波动异常）{systemic} 家"
                   if self.threshold is not None else "未设阈值：只计算 IN（请给出失败银行或阈值）")
            head = (f"IN 筛查 {self.quarter}：{n} 家非系统重要性银行，IN ≥ 0（关注）{watch} 家，{thr}；"
                    f"{n_dsib} 家系统重要性银行另列（推定具有系统性影响）")
        else:
            thr = (f"{above} above the threshold {self.threshold:.6g} ({src}), {systemic} with evidence of systemic "
                   f"impact (above the threshold and abnormally volatile)" if self.threshold is not None
                   else "no threshold: IN only (give failed banks or a threshold)")
            head = (f"IN screen {self.quarter}: {n} non-D-SIB banks, {watch} at IN >= 0 (watch), {thr}; "
                    f"{n_dsib} D-SIBs listed apart (presumed systemic)")
        lines = [head]
        if self.calibration is not None:
            lines.append(self.calibration.with_lang(self.lang).describe())
        return "\n".join([*lines, self.footer()])


def screen(panel: pd.DataFrame, params: INParams | None = None, threshold: float | None = None, *,
           quarter: pd.Period | str | None = None) -> ScreenResult:
    """IN, contributions, size multiplier, volatility and flags for every bank-quarter.

    Flags: ``watch`` (IN >= 0, the paper's first line), ``above_threshold`` (IN >= the
    threshold), ``abnormal_volatility`` and ``systemic_evidence`` (both). Without a
    threshold (none given and none in ``params``) the two threshold flags are NA.

    Parameters
    ----------
    panel
        A bank panel (checked by :func:`read_bank_panel` unless it already was).
    params
        IN parameters (default: the paper's).
    threshold
        IN threshold (finite); default ``params.threshold``.
    quarter
        The quarter the watch list and summary show (default: the latest).

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> res = screen(read_bank_panel(sample_path("banks/panel.csv")))
    >>> res.threshold is None, bool(res.frame["above_threshold"].isna().all())
    (True, True)
    """
    p = params or load_in_params()
    df = panel if panel.attrs.get("checked") else read_bank_panel(panel, p)
    source = "given" if threshold is not None else ("params" if p.threshold is not None else "none")
    thr = threshold if threshold is not None else p.threshold
    thr = None if thr is None else as_threshold(thr)
    dsibs = df[df["dsib"]].reset_index(drop=True)
    f = df[~df["dsib"]].sort_values(["bank", "quarter"]).reset_index(drop=True)
    comp = in_components(**{c: f[c].to_numpy() for c in [*RATIO_IDS, "inter", "amo"]}, params=p)
    f = f.assign(**{k: v for k, v in comp.items() if not k.startswith("dev_")})
    f = pd.concat([f, _volatility(f, p)], axis=1)
    f["watch"] = f["in"] >= 0
    f = _flags(f, thr)
    prov = Provenance.from_inputs("bank/screen", config=p, inputs={"panel": df.astype({"quarter": str})},
                                  params={"threshold": thr})
    return ScreenResult(f, dsibs, thr, p, quarter, threshold_source=source, provenance=prov)
