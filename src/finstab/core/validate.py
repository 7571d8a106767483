"""The one validation layer used by readers and kernel entry points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from finstab.core.errors import DataError, InputError


def as_float_array(x: Any, name: str, *, ndim: int | None = None) -> np.ndarray:
    """Convert ``x`` to a float array, rejecting non-numeric and non-finite entries.

    Parameters
    ----------
    x
        Array-like input.
    name
        Parameter name used in error messages.
    ndim
        Required number of dimensions, if any.
    """
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"expected numbers, got {type(x).__name__}", where=name) from exc
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"expected a {ndim}-d array, got shape {arr.shape}", where=name)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"non-finite value at index {tuple(int(i) for i in bad)}", where=name)
    return arr


def check_positive(arr: np.ndarray, name: str, *, strict: bool = True,
                   labels: Sequence[Any] | None = None) -> np.ndarray:
    """Raise naming the first offending entity if ``arr`` is not (strictly) positive."""
    bad = arr <= 0 if strict else arr < 0
    if np.any(bad):
        idx = int(np.flatnonzero(bad.ravel())[0])
        who = f"entity {labels[idx]!r}" if labels is not None else f"index {idx}"
        need = "> 0" if strict else ">= 0"
        raise InputError(f"{who} has value {float(arr.ravel()[idx]):g}; expected {need}", where=name)
    return arr


def check_square(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise unless ``arr`` is a square 2-d array."""
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise InputError(f"expected a square matrix, got shape {arr.shape}", where=name)
    return arr


def require_columns(columns: Sequence[str], required: Sequence[str], source: str) -> None:
    """Raise a :class:`DataError` naming every required column that is missing."""
    missing = [c for c in required if c not in set(columns)]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(map(repr, missing))}; found {list(columns)}",
            where=source,
        )


def check_option(value: Any, options: Sequence[Any], name: str) -> Any:
    """Return ``value`` if it is one of ``options``; otherwise raise naming the parameter.

    Examples
    --------
    >>> check_option("en", ("zh", "en"), "lang")
    'en'
    """
    if value not in options:
        raise InputError(f"{value!r} is not one of {', '.join(map(repr, options))}", where=name)
    return value


def numeric_column(df: Any, column: str, source: str | None = None) -> np.ndarray:
    """A column as floats; a non-empty cell that is not a number raises naming the row.

    Empty cells become NaN (the caller decides whether they are allowed).

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_column(pd.DataFrame({"x": ["1.5", "", None]}), "x").tolist()
    [1.5, nan, nan]
    """
    import pandas as pd

    raw = df[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=float)
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna().to_numpy() & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataError(f"column {column}: {raw.iloc[pos]} is not a number",
                        where=f"{source or df.attrs.get('source', 'data')} row {pos + df.attrs.get('row_offset', 1)}")
    return num.to_numpy(dtype=float)
