"""Aggregation of node-level networks into region, sector or market matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from finstab.contagion._checks import check_matrix
from finstab.core.errors import InputError


def aggregate_network(matrix: Any, groups: Sequence[Any]) -> pd.DataFrame:
    """Sum a node-level matrix into a group-to-group matrix (regions, sectors, markets)."""
    M = check_matrix(matrix, "matrix")
    n, _ = M.shape  # square
    g = pd.Categorical(list(groups))
    if len(g) != n:
        raise InputError(f"{len(g)} group labels for {n} nodes", where="groups")
    G = sp.csr_matrix((np.ones(n), (np.arange(n), g.codes)), shape=(n, len(g.categories)))
    agg = (G.T @ M @ G).toarray()
    return pd.DataFrame(agg, index=list(g.categories), columns=list(g.categories))
