"""Validation of exposure matrices and node vectors shared by the contagion kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array


def check_matrix(m: Any, name: str, *, keep_csc: bool = False) -> Any:
    """Validated square, non-negative, finite CSR matrix with an empty diagonal.

    With ``keep_csc`` a CSC matrix is returned as it is (no conversion) instead of as CSR.
    """
    if sp.issparse(m) and keep_csc and m.format == "csc":
        mat = m if m.dtype == float else sp.csc_matrix(m, dtype=float)
    elif sp.issparse(m):
        mat = sp.csr_matrix(m, dtype=float)
    else:
        mat = sp.csr_matrix(as_float_array(m, name, ndim=2))
    if mat.shape[0] != mat.shape[1]:
        raise InputError(f"expected a square matrix, got shape {mat.shape}", where=name)
    if mat.nnz:
        lo, hi = float(mat.data.min()), float(mat.data.max())  # two passes, no temporary arrays
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise InputError("non-finite entry (NaN or infinite)", where=name)
        if lo < 0:
            coo = mat.tocoo()
            k = int(np.argmin(coo.data))
            raise InputError(f"negative exposure {coo.data[k]:g} at ({coo.row[k]}, {coo.col[k]})", where=name)
    if mat.diagonal().any():
        raise InputError("a bank cannot owe itself: the diagonal must be zero", where=name)
    return mat


def check_vector(v: Any, n: int, name: str, *, nonneg: bool = True) -> np.ndarray:
    arr = np.full(n, float(as_float_array(v, name))) if np.ndim(v) == 0 else as_float_array(v, name, ndim=1)
    if arr.shape != (n,):
        raise InputError(f"length {arr.shape[0]} for {n} nodes", where=name)
    if nonneg and np.any(arr < 0):
        raise InputError(f"negative value at node {int(np.argmin(arr))}", where=name)
    return arr


def check_labels(labels: Any, n: int) -> tuple[Any, ...]:
    """Node ids as a tuple of length n (empty for the default, positions 0..n-1); duplicates are refused."""
    if labels is None:
        return ()
    out = tuple(labels.tolist() if hasattr(labels, "tolist") else labels)
    if len(out) != n:
        raise InputError(f"{len(out)} labels for {n} nodes", where="labels")
    if len(set(out)) != n:
        seen: set[Any] = set()
        dup = next(x for x in out if x in seen or seen.add(x))
        raise InputError(f"label {dup!r} appears twice", where="labels")
    return out
