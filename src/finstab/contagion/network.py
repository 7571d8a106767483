"""Read and check network tables: banks (bank, equity, external assets/liabilities[, region,
type]) and edges (lender, borrower, amount) -> sparse exposure matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from finstab.core.columns import canonical_table
from finstab.core.errors import DataError
from finstab.core.io import describe_row, read_table
from finstab.core.validate import require_columns

BANK_COLUMNS = ["bank", "equity", "external_assets", "external_liabilities"]
EDGE_COLUMNS = ["lender", "borrower", "amount"]


def read_network(banks: str | Path | pd.DataFrame, edges: str | Path | pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    b = canonical_table(banks if isinstance(banks, pd.DataFrame) else read_table(banks, table="banks"), "banks")
    e = canonical_table(edges if isinstance(edges, pd.DataFrame) else read_table(edges, table="edges"), "edges")
    require_columns(b.columns, BANK_COLUMNS, b.attrs.get("source", "banks"))
    require_columns(e.columns, EDGE_COLUMNS, e.attrs.get("source", "edges"))
    b = b.assign(bank=b["bank"].astype(str))
    if b["bank"].duplicated().any():
        raise DataError(f"bank {b['bank'][b['bank'].duplicated()].iloc[0]!r} listed twice",
                        where=b.attrs.get("source", "banks"))
    for col in BANK_COLUMNS[1:]:
        num = pd.to_numeric(b[col], errors="coerce")
        bad = np.flatnonzero((num.isna() | (num < 0)).to_numpy())
        if bad.size:
            raise DataError(f"column {col!r}: {b[col].iloc[bad[0]]} is not a non-negative number",
                            where=describe_row(b, int(bad[0])))
    amount = pd.to_numeric(e["amount"], errors="coerce")
    bad = np.flatnonzero((amount.isna() | (amount < 0)).to_numpy())
    if bad.size:
        raise DataError(f"exposure {e['amount'].iloc[bad[0]]} is negative or not a number",
                        where=describe_row(e, int(bad[0])))
    known = set(b["bank"])
    for col in ("lender", "borrower"):
        unknown = ~e[col].astype(str).isin(known)
        if unknown.any():
            pos = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataError(f"{col} {e[col].iloc[pos]!r} is not in the bank table", where=describe_row(e, pos))
    return b, e


def exposure_matrix(banks: pd.DataFrame, edges: pd.DataFrame) -> sp.csr_matrix:
    """``X[i, j]`` = what bank i has lent to bank j (duplicate edges are summed)."""
    index = {bank: k for k, bank in enumerate(banks["bank"].astype(str))}
    rows = edges["lender"].astype(str).map(index).to_numpy()
    cols = edges["borrower"].astype(str).map(index).to_numpy()
    n = len(index)
    return sp.csr_matrix((edges["amount"].to_numpy(dtype=float), (rows, cols)), shape=(n, n))
