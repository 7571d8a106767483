"""Screen a bank x quarter panel: IN, contributions, size multiplier, volatility alarm, flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from finstab.bank.in_index import RATIO_IDS, INParams, in_components, load_in_params
from finstab.core.columns import canonical_table
from finstab.core.errors import DataError
from finstab.core.io import read_table
from finstab.core.provenance import Provenance, hash_frame, hash_object
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
        df[col] = num.astype(float)
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
    vol = change.groupby(frame["bank"]).transform(lambda s: s.rolling(vp.window, min_periods=vp.window).std())
    own = vol.groupby(frame["bank"]).transform(lambda s: s.expanding().median().shift())
    cross = vol.groupby(frame["quarter"]).rank(pct=True)
    abnormal = (vol >= vp.own_multiple * own) & (cross >= vp.cross_section_pct)
    return pd.DataFrame({"in_vol": vol, "vol_vs_own": vol / own, "vol_pct_cross": cross,
                         "abnormal_volatility": abnormal.fillna(False)})


@dataclass(frozen=True)
class ScreenResult:
    """IN per non-D-SIB bank and quarter with flags; D-SIBs listed apart."""

    frame: pd.DataFrame
    dsibs: pd.DataFrame
    threshold: float
    params: INParams
    provenance: Provenance

    def latest(self) -> pd.DataFrame:
        return self.frame[self.frame["quarter"] == self.frame["quarter"].max()]

    def watch_list(self, quarter: pd.Period | str | None = None, top: int = 15) -> pd.DataFrame:
        """Banks at IN >= 0 or above the threshold, worst first, with the 4-quarter trend."""
        q = pd.Period(quarter, freq="Q") if quarter is not None else self.frame["quarter"].max()
        f = self.frame
        cur = f[f["quarter"] == q].copy()
        if cur.empty:
            raise DataError(f"no quarter {q} in the panel", where="--quarter")
        past = f[f["quarter"] == q - 4].set_index("bank")["in"]
        cur["trend_4q"] = cur["in"].to_numpy() - cur["bank"].map(past).to_numpy()
        cur = cur[cur["watch"] | cur["above_threshold"]]
        cols = ["bank", "bank_type", "quarter", "in", "trend_4q", "size_multiplier", "in_vol",
                "above_threshold", "abnormal_volatility", "systemic_evidence"]
        return cur.sort_values("in", ascending=False)[cols].head(top).reset_index(drop=True)

    def bank(self, bank: str) -> pd.DataFrame:
        out = self.frame[self.frame["bank"] == bank]
        if out.empty:
            listed = " (a D-SIB: the IN index is for non-D-SIBs)" if bank in set(self.dsibs["bank"]) else ""
            raise DataError(f"bank {bank!r} is not among the screened banks{listed}", where="--bank")
        return out

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def summary(self) -> str:
        last = self.latest()
        return (f"IN screen {last['quarter'].iloc[0]}: {len(last)} banks, {int(last['watch'].sum())} at "
                f"IN >= 0, {int(last['above_threshold'].sum())} above threshold {self.threshold:.4g}, "
                f"{int(last['systemic_evidence'].sum())} with evidence of systemic impact; "
                f"{self.dsibs['bank'].nunique()} D-SIBs listed apart\n{self.provenance.describe()}")


def screen(panel: pd.DataFrame, params: INParams | None = None, threshold: float | None = None
           ) -> ScreenResult:
    """IN, contributions, size multiplier, volatility and flags for every bank-quarter.

    Flags: ``watch`` (IN >= 0, the paper's first line), ``above_threshold`` (IN >= the
    calibrated threshold), ``abnormal_volatility`` and ``systemic_evidence`` (both).
    """
    p = params or load_in_params()
    df = panel if panel.attrs.get("checked") else read_bank_panel(panel, p)
    thr = p.threshold if threshold is None else float(threshold)
    dsibs = df[df["dsib"]].reset_index(drop=True)
    f = df[~df["dsib"]].sort_values(["bank", "quarter"]).reset_index(drop=True)
    comp = in_components(**{c: f[c].to_numpy() for c in [*RATIO_IDS, "inter", "amo"]}, params=p)
    f = f.assign(**{k: v for k, v in comp.items() if not k.startswith("dev_")})
    f = pd.concat([f, _volatility(f, p)], axis=1)
    f["watch"] = f["in"] >= 0
    f["above_threshold"] = f["in"] >= thr
    f["systemic_evidence"] = f["above_threshold"] & f["abnormal_volatility"]
    prov = Provenance("bank/screen", hash_object(p.model_dump()), hash_frame(df.astype({"quarter": str})),
                      {"threshold": thr},
                      tuple(sorted(df["source"].dropna().astype(str).unique())) if "source" in df else ())
    return ScreenResult(f, dsibs, thr, p, prov)
