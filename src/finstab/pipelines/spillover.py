"""Spillover pipeline: read prices, returns or OHLC ranges (CSV/Excel), transform, connect.

Inputs
------
* ``kind="prices"``: a wide table, a ``date`` column and one column of positive prices per
  market; turned into daily log returns ``ln(P_t / P_{t-1})``.
* ``kind="returns"``: the same layout, used as given (returns, log volatilities or any
  stationary series).
* ``kind="range"``: a long table ``date, market, high, low`` (+ ``open``, ``close``), turned
  into log range variances: Garman-Klass as Diebold & Yilmaz (2012) use it when open and
  close are present, Parkinson (1980) otherwise.

Rows with a missing value in any market are dropped (markets keep different holidays); the
result says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.contagion.spillover import (
    ConnectednessResult,
    RollingConnectedness,
    connectedness,
    rolling_connectedness,
)
from finstab.core.errors import DataError, InputError
from finstab.core.io import read_table
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import check_option, require_columns
from finstab.core.warnings import DataQualityWarning, collect, warn
from finstab.pipelines.cluster import with_dask

KINDS = ("prices", "returns", "range")


def _wide(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """Index by the date column (``date`` or the first column), keep numeric market columns."""
    df = df.drop(columns=[c for c in df.columns if str(c).lower() == "source"])
    date_col = next((c for c in df.columns if str(c).lower() in ("date", "日期")), df.columns[0])
    dates = pd.to_datetime(df[date_col], errors="coerce")
    if dates.isna().any():
        pos = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(f"column {date_col!r}: {df[date_col].iloc[pos]!r} is not a date", where=_row(df, pos, where))
    out = df.drop(columns=[date_col]).set_axis(pd.DatetimeIndex(dates, name="date"))
    for col in out.columns:
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() & out[col].notna() & (out[col].astype(str).str.strip() != "")
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"column {col!r}: {out[col].iloc[pos]!r} is not a number", where=_row(df, pos, where))
        out[col] = num
    if out.index.duplicated().any():
        raise DataError(f"date {out.index[out.index.duplicated()][0].date()} appears twice", where=where)
    return out.sort_index()


def _row(df: pd.DataFrame, pos: int, where: str) -> str:
    offset = df.attrs.get("row_offset")
    return f"{where} row {pos + offset}" if offset is not None else f"{where} row {pos}"


def log_returns(prices: pd.DataFrame, where: str = "data") -> pd.DataFrame:
    """Daily log returns of positive prices (the first row is lost).

    Examples
    --------
    >>> p = pd.DataFrame({"a": [100.0, 110.0, 99.0]}, index=pd.date_range("2024-01-01", periods=3))
    >>> log_returns(p)["a"].round(6).tolist()
    [0.09531, -0.105361]
    """
    values = prices.to_numpy(dtype=float)
    if np.any(values <= 0):
        r, c = np.argwhere(values <= 0)[0]
        raise DataError(f"price {values[r, c]:g} of {prices.columns[c]!r} on {prices.index[r]} is not positive; "
                        "pass kind='returns' if the file holds returns", where=where)
    return np.log(prices).diff().iloc[1:]


def range_variance(ohlc: pd.DataFrame, where: str = "data") -> pd.DataFrame:
    """Log daily range variance per market from a long ``date, market, high, low[, open, close]`` table.

    Garman-Klass (as in Diebold & Yilmaz 2012), with h, l, c the logs of high, low, close
    relative to the open: 0.511 (h - l)^2 - 0.019 [c (h + l) - 2 h l] - 0.383 c^2.
    Without open and close: Parkinson (h - l)^2 / (4 ln 2). Days with a zero range are set to
    the smallest positive variance of that market, with a warning.

    Examples
    --------
    >>> t = pd.DataFrame({"date": ["2024-01-02"] * 2, "market": ["a", "b"], "high": [101.0, 52.0],
    ...                   "low": [99.0, 50.0]})
    >>> range_variance(t).round(4).values.tolist()
    [[-8.8438, -7.4969]]
    """
    require_columns(list(ohlc.columns), ["date", "market", "high", "low"], where)
    df = ohlc.copy()
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    if df["date"].isna().any():
        raise DataError("a value of column 'date' is not a date", where=where)
    cols = ["high", "low"] + [c for c in ("open", "close") if c in df.columns]
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce")
        if (df[c].isna() | (df[c] <= 0)).any():
            pos = int(np.flatnonzero((df[c].isna() | (df[c] <= 0)).to_numpy())[0])
            raise DataError(f"column {c!r}: {ohlc[c].iloc[pos]!r} is not a positive price",
                            where=_row(ohlc, pos, where))
    if (df["high"] < df["low"]).any():
        pos = int(np.flatnonzero((df["high"] < df["low"]).to_numpy())[0])
        raise DataError("high below low", where=_row(ohlc, pos, where))
    if df.duplicated(["date", "market"]).any():
        raise DataError("a (date, market) pair appears twice", where=where)
    if "open" in df.columns and "close" in df.columns:
        h, lo, c = (np.log(df[x] / df["open"]) for x in ("high", "low", "close"))
        var = 0.511 * (h - lo) ** 2 - 0.019 * (c * (h + lo) - 2 * h * lo) - 0.383 * c**2
    else:
        var = np.log(df["high"] / df["low"]) ** 2 / (4 * np.log(2))
    wide = df.assign(var=var).pivot(index="date", columns="market", values="var").sort_index()
    wide.columns = [str(c) for c in wide.columns]
    zero = wide <= 0
    if zero.to_numpy().any():
        warn(f"{int(zero.to_numpy().sum())} day(s) with a zero range were set to the market's smallest positive "
             "variance before taking logs", DataQualityWarning)
        wide = wide.where(~zero, wide.where(~zero).min(), axis=1)
    return np.log(wide)


def prepare_series(data: str | Path | pd.DataFrame, kind: str = "prices", sheet: str | int = 0) -> pd.DataFrame:
    """The T x k series connectedness runs on, from a file or a frame (see the module notes)."""
    check_option(kind, KINDS, "kind")
    raw = data if isinstance(data, pd.DataFrame) else read_table(data, sheet=sheet)
    where = raw.attrs.get("source", "data")
    if kind == "range":
        series = range_variance(raw, where)
    else:
        wide = _wide(raw, where)
        complete = wide.dropna()
        if len(complete) < len(wide):
            warn(f"{len(wide) - len(complete)} of {len(wide)} rows with a missing market were dropped",
                 DataQualityWarning)
        series = log_returns(complete, where) if kind == "prices" else complete
    series = series.dropna()
    if series.shape[1] < 2:
        raise DataError(f"found {series.shape[1]} market column(s); connectedness needs at least 2", where=where)
    return series


_TXT = {"zh": {"input": "输入", "rows": "行", "rolling": "滚动窗口"},
        "en": {"input": "input", "rows": "rows", "rolling": "rolling windows"}}


@dataclass(frozen=True)
class SpilloverRun(Result):
    """Static connectedness on the whole sample and, when a window is given, rolling connectedness."""

    kind: ClassVar[str] = "spillover"
    static: ConnectednessResult
    rolling: RollingConnectedness | None
    series: pd.DataFrame
    data_kind: str

    def tables(self) -> dict[str, pd.DataFrame]:
        out = dict(self.static.tables())
        if self.rolling is not None:
            out.update(self.rolling.tables())
        out["input"] = pd.DataFrame({"date": self.series.index, **{c: self.series[c].to_numpy()
                                                                    for c in self.series.columns}})
        return out

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Any,
                    warnings: tuple[str, ...] = ()) -> SpilloverRun:
        """Rebuild a stored spillover run (static, rolling and the series it was computed on)."""
        meta = dict(zip(tables["connectedness"]["key"], tables["connectedness"]["value"], strict=True))
        d = tables["directional"].set_index("market")
        static = ConnectednessResult(tables["pairwise"].set_index("market").rename_axis(None), float(meta["tci"]),
                                     d["to_others"], d["from_others"], d["net"], int(meta["lags"]),
                                     int(meta["horizon"]), int(meta["n_obs"]), bool(meta["stable"]),
                                     provenance=provenance)
        rolling = None
        if "rolling" in tables:
            p = provenance.parameters
            rolling = RollingConnectedness(tables["rolling"].set_index("date"), int(p["window"]),
                                           int(meta["lags"]), int(meta["horizon"]), provenance=provenance)
        series = tables["input"].set_index("date")
        return cls(static, rolling, series, provenance.parameters.get("kind", "prices"), provenance=provenance,
                   warnings=warnings)

    def summary(self) -> str:
        t = _TXT[self.lang]
        static = self.static.with_lang(self.lang).summary().rsplit("\n", 1 + len(self.static.warnings))[0]
        lines = [f"{t['input']}: {self.data_kind}, {len(self.series)} {t['rows']} x {self.series.shape[1]} "
                 f"({self.series.index[0]:%Y-%m-%d} .. {self.series.index[-1]:%Y-%m-%d})", static]
        if self.rolling is not None:
            lines.append(self.rolling.with_lang(self.lang).summary().rsplit("\n", 1 + len(self.rolling.warnings))[0])
        lines.append(self.footer())
        return "\n".join(lines)


def run_spillover(data: str | Path | pd.DataFrame, *, kind: str = "prices", window: int | None = 200,
                  lags: int | str = 4, horizon: int = 10, sheet: str | int = 0, scheduler: str | None = None,
                  client: Any = None) -> SpilloverRun:
    """Read, transform and compute static and rolling Diebold-Yilmaz connectedness.

    Parameters
    ----------
    data
        CSV or Excel path (or a frame) in the layout ``kind`` names (module notes).
    kind
        ``"prices"`` (to log returns), ``"returns"`` (as given) or ``"range"`` (OHLC to log range variance).
    window
        Rows per rolling window; ``None`` or 0 for the static table only.
    lags, horizon
        VAR order (or ``"aic"``, ...) and forecast horizon H.
    sheet
        Excel sheet.
    scheduler, client
        Compute the rolling windows in contiguous blocks on dask workers: ``"local"`` or a scheduler
        address (see :func:`finstab.pipelines.cluster.open_client`), or an open ``Client``. The
        result is the local one, bit for bit.

    Returns
    -------
    SpilloverRun

    Examples
    --------
    >>> from finstab.samples import sample_path
    >>> run = run_spillover(sample_path("markets/prices.csv"), window=None, lags=1)
    >>> run.static.pairwise.shape, run.provenance.synthetic
    ((10, 10), True)
    """
    if window is not None and not isinstance(window, int | np.integer):
        raise InputError(f"{window!r}; expected a number of rows", where="window")
    with collect() as seen:
        raw = data if isinstance(data, pd.DataFrame) else read_table(data, sheet=sheet)
        series = prepare_series(raw, kind)
        static = connectedness(series, lags=lags, horizon=horizon)

        def rolling(on: Any = None) -> RollingConnectedness:
            return rolling_connectedness(series, window=int(window), lags=static.lags, horizon=horizon, client=on)

        if not window:
            roll = None
        elif client is not None or scheduler is None:
            roll = rolling(client)
        else:
            roll = with_dask(scheduler, rolling)
    prov = Provenance.from_inputs("spillover", inputs={"data": raw},
                                  params={"kind": kind, "window": window, "lags": static.lags,
                                          "lags_requested": lags, "horizon": horizon, "rows": len(series),
                                          "markets": list(series.columns)})
    static = replace(static, provenance=prov)
    roll = replace(roll, provenance=prov) if roll is not None else None
    return SpilloverRun(static, roll, series, kind, provenance=prov).with_warnings(seen)

