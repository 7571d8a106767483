"""Differences between two stored runs: rows aligned on their keys, grade changes reported as changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from finstab.core.errors import DataError

#: columns that identify a row (everything else in a table is a value)
KEY_COLUMNS = ("region", "period", "node", "indicator", "id", "kind", "bank", "quarter", "province", "sector",
               "year", "group", "entity", "lender", "borrower", "round", "bucket", "lender_region",
               "borrower_region")
#: parameters that must agree for two runs of a kind to be comparable
SAME_PARAMETERS = {"monitor": ("system", "method"), "fund_sizing": ("alpha",), "early_warning": ("system",)}
COLUMNS = ["table", "key", "column", "a", "b", "delta", "change"]


def check_comparable(kind_a: str, kind_b: str, params_a: dict, params_b: dict) -> None:
    """Raise unless two runs measure the same thing (same method, same system...)."""
    if kind_a != kind_b:
        raise DataError(f"run A is a {kind_a} run and run B a {kind_b} run: they are not comparable", where="diff")
    for name in SAME_PARAMETERS.get(kind_a, ()):
        if params_a.get(name) != params_b.get(name):
            raise DataError(f"the runs differ in {name} ({params_a.get(name)} vs {params_b.get(name)}): "
                            "their numbers are not comparable", where="diff")


def diff_tables(name: str, ta: pd.DataFrame, tb: pd.DataFrame, tolerance: float = 1e-12) -> pd.DataFrame:
    """Changed cells, added and removed rows of one table, rows aligned on its key columns.

    Examples
    --------
    >>> a = pd.DataFrame({"region": ["x", "y"], "score": [59.0, 70.0], "grade": ["moderate", "basically_safe"]})
    >>> b = a.assign(score=[61.0, 70.0], grade=["basically_safe", "basically_safe"])
    >>> diff_tables("scores", a, b)[["key", "column", "change"]].to_dict("records")
    [{'key': 'x', 'column': 'score', 'change': 'value'}, {'key': 'x', 'column': 'grade', 'change': 'grade'}]
    """
    common = [c for c in ta.columns if c in tb.columns]
    keys = [c for c in common if c in KEY_COLUMNS]
    values = [c for c in common if c not in keys]
    if not keys:
        ta, tb, keys = ta.assign(row=np.arange(len(ta))), tb.assign(row=np.arange(len(tb))), ["row"]
    for t, label in ((ta, "A"), (tb, "B")):
        if t.duplicated(keys).any():
            raise DataError(f"table {name} of run {label} has duplicate keys {keys}", where="diff")
    m = ta[keys + values].merge(tb[keys + values], on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    key_text = m[keys].astype(str).agg(" | ".join, axis=1)
    parts = []
    for side, change in (("left_only", "removed"), ("right_only", "added")):
        rows = m["_merge"] == side
        if rows.any():
            parts.append(pd.DataFrame({"table": name, "key": key_text[rows], "column": "", "a": None, "b": None,
                                       "delta": np.nan, "change": change}))
    both = m["_merge"] == "both"
    for col in values:
        a, b = m.loc[both, f"{col}_a"], m.loc[both, f"{col}_b"]
        numeric = pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b) \
            and not pd.api.types.is_bool_dtype(a)
        if numeric:
            delta = b.astype(float) - a.astype(float)
            changed = (delta.abs() > tolerance) | (a.isna() != b.isna())
        else:
            delta = pd.Series(np.nan, index=a.index)
            changed = (a.astype(str) != b.astype(str)) & ~(a.isna() & b.isna())
        if changed.any():
            kind = "value" if numeric else ("grade" if "grade" in col or col == "max_membership" else "label")
            parts.append(pd.DataFrame({"table": name, "key": key_text[both][changed], "column": col,
                                       "a": a[changed].astype(object), "b": b[changed].astype(object),
                                       "delta": delta[changed], "change": kind}))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    order = {c: k for k, c in enumerate(values)}
    return out.assign(_o=out["column"].map(order).fillna(-1)).sort_values(["key", "_o"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)[COLUMNS]
