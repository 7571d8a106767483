"""Turn a long or wide data table into a checked (entity, period) x indicator matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from finstab.core.errors import DataError
from finstab.core.io import describe_row
from finstab.core.validate import require_columns

LONG_COLUMNS = ("indicator", "value")


@dataclass(frozen=True)
class Panel:
    """Checked indicator values: ``keys`` (entity, period) rows x ``columns`` indicators."""

    keys: pd.DataFrame
    values: np.ndarray
    columns: tuple[str, ...]
    notes: tuple[str, ...]


def _source(df: pd.DataFrame) -> str:
    return df.attrs.get("source", "data")


def _long_to_wide(df: pd.DataFrame, entity: str, period: str) -> pd.DataFrame:
    dup = df.duplicated([entity, period, "indicator"], keep=False)
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        r = df.iloc[pos]
        raise DataError(f"duplicate value for ({r[entity]!r}, {r[period]!r}, {r['indicator']!r})",
                        where=describe_row(df, pos))
    numeric = _numeric(df, "value")
    wide = (df.assign(value=numeric)
              .pivot(index=[entity, period], columns="indicator", values="value")
              .reset_index())
    wide.columns.name = None
    wide.attrs.update(source=_source(df), long=True)
    return wide


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    raw = df[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype(float)
    num = pd.to_numeric(raw, errors="coerce")
    for pos in np.flatnonzero(num.isna().to_numpy() & raw.notna().to_numpy()):
        if str(raw.iloc[pos]).strip():
            raise DataError(f"column {column!r}: {raw.iloc[pos]!r} is not a number",
                            where=describe_row(df, int(pos)))
    return num.astype(float)


def _notes(df: pd.DataFrame) -> tuple[str, ...]:
    if "source" not in df.columns:
        return ()
    return tuple(sorted({str(s) for s in df["source"].dropna().unique()}))


def build_panel(df: pd.DataFrame, indicators: Sequence[str], *, entity: str = "region",
                period: str = "period", missing: str = "error") -> Panel:
    """Validate a long (entity, period, indicator, value) or wide table into a :class:`Panel`.

    Parameters
    ----------
    df
        The table. Long form has columns ``indicator`` and ``value``; wide form has one
        column per indicator id. An optional ``source`` column is kept as data notes.
    indicators
        Indicator ids the system needs, in order.
    missing
        ``"error"``: an empty cell is an error; ``"allow"``: it stays NaN.
    """
    source = _source(df)
    require_columns(df.columns, [entity, period], source)
    notes = _notes(df)
    is_long = all(c in df.columns for c in LONG_COLUMNS)
    wide = _long_to_wide(df, entity, period) if is_long else df
    absent = [i for i in indicators if i not in wide.columns]
    if absent:
        what = "indicator value(s)" if is_long else "indicator column(s)"
        raise DataError(f"missing {what} {absent}", where=source)
    if not is_long:
        dup = wide.duplicated([entity, period], keep=False)
        if dup.any():
            pos = int(np.flatnonzero(dup.to_numpy())[0])
            raise DataError(f"duplicate row for ({wide[entity].iloc[pos]!r}, "
                            f"{wide[period].iloc[pos]!r})", where=describe_row(wide, pos))
    values = np.empty((len(wide), len(indicators)), order="F")
    for k, c in enumerate(indicators):
        values[:, k] = _numeric(wide, c).to_numpy()
    if not np.isfinite(values).all():
        r, c = (int(i) for i in np.argwhere(~np.isfinite(values))[0])
        key = f"({wide[entity].iloc[r]!r}, {wide[period].iloc[r]!r})"
        where = source if is_long else describe_row(wide, r)
        if np.isinf(values[r, c]):
            raise DataError(f"infinite value for indicator {indicators[c]!r} at {key}", where=where)
        if missing == "error":
            raise DataError(f"no value for indicator {indicators[c]!r} at {key}", where=where)
    keys = wide[[entity, period]].rename(columns={entity: "region", period: "period"})
    keys = keys.reset_index(drop=True)
    order = keys.sort_values(["region", "period"], kind="stable").index
    if not order.is_monotonic_increasing:
        keys, values = keys.iloc[order].reset_index(drop=True), values.take(order.to_numpy(), axis=0)
    return Panel(keys, values, tuple(indicators), notes)
