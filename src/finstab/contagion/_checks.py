"""Validation of exposure matrices and node vectors shared by the contagion kernels."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array


def check_matrix(m: Any, name: str) -> sp.csr_matrix:
    """Validated square, non-negative, finite CSR matrix with an empty diagonal."""
    mat = sp.csr_matrix(m, dtype=float) if sp.issparse(m) else sp.csr_matrix(as_float_array(m, name, ndim=2))
    if mat.shape[0] != mat.shape[1]:
        raise InputError(f"expected a square matrix, got shape {mat.shape}", where=name)
    if mat.nnz and not np.all(np.isfinite(mat.data)):
        raise InputError("non-finite entry", where=name)
    if mat.nnz and mat.data.min() < 0:
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
    """Node ids as a tuple of length n (default 0..n-1); duplicates are refused."""
    if labels is None:
        return tuple(range(n))
    out = tuple(labels.tolist() if hasattr(labels, "tolist") else labels)
    if len(out) != n:
        raise InputError(f"{len(out)} labels for {n} nodes", where="labels")
    if len(set(out)) != n:
        seen: set[Any] = set()
        dup = next(x for x in out if x in seen or seen.add(x))
        raise InputError(f"label {dup!r} appears twice", where="labels")
    return out
