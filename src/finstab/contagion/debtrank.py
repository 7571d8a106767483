"""DebtRank: Battiston et al. (2012) and the linear variant of Bardoscia et al. (2015), node rankings.

Conventions: ``exposures[i, j]`` is what i has lent to j; ``buffers`` are equities. The impact
of j on i is ``W[i, j] = exposures[i, j] / buffers[i]`` (capped at 1 in Battiston 2012), and
distress ``h`` in [0, 1] spreads as ``h_i += sum_j W[i, j] * (distress j passes on)``.

References
----------
Battiston, S. et al. (2012). DebtRank: too central to fail? Scientific Reports 2, 541.
Bardoscia, M. et al. (2015). DebtRank: a microscopic foundation for shock propagation.
PLoS ONE 10(6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.contagion._checks import check_labels, check_matrix, check_vector
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result
from finstab.core.validate import check_option
from finstab.core.warnings import ConvergenceWarning, collect, warn

MAX_ROUNDS = 10_000
VARIANTS = ("battiston2012", "bardoscia2015")
#: below this share of distressed columns, products use only those columns
SPARSE_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class DebtRankResult(Result):
    """Final distress of every node after an initial shock, and the DebtRank it induced.

    ``debtrank`` is ``sum_i v_i (h_i(T) - h_i(1))`` (distress beyond the initial shock, weights
    ``v`` normalised to sum 1); ``total`` is ``sum_i v_i h_i(T)``. The main table, ``distress``,
    has one row per node keyed by ``node``.
    """

    kind: ClassVar[str] = "debtrank"
    distress: np.ndarray
    initial: np.ndarray
    debtrank: float
    total: float
    rounds: int
    variant: str
    nodes: tuple[Any, ...] = ()
    weights: np.ndarray | None = None
    converged: bool = True

    @property
    def node_ids(self) -> list[Any]:
        """Node ids: ``nodes`` when given, else positions 0..n-1."""
        return list(self.nodes) if self.nodes else list(range(len(self.distress)))

    def tables(self) -> dict[str, pd.DataFrame]:
        w = np.full(len(self.distress), np.nan) if self.weights is None else self.weights
        return {"distress": pd.DataFrame({"node": self.node_ids, "initial": self.initial,
                                          "distress": self.distress, "induced": self.distress - self.initial,
                                          "weight": w})}

    def config(self) -> dict[str, Any]:
        return {"variant": self.variant, "debtrank": self.debtrank, "total": self.total, "rounds": self.rounds,
                "converged": self.converged}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> DebtRankResult:
        t, c = tables["distress"], dict(config or {})
        w = t["weight"].to_numpy(float)
        return cls(t["distress"].to_numpy(float), t["initial"].to_numpy(float), float(c["debtrank"]),
                   float(c["total"]), int(c.get("rounds", 0)), c["variant"], tuple(t["node"]),
                   None if np.isnan(w).all() else w, bool(c.get("converged", True)),
                   provenance=provenance, warnings=warnings)

    def summary(self) -> str:
        hit = int((self.distress >= 1).sum())
        if self.lang == "zh":
            head = (f"DebtRank（{self.variant}）：新增困境 {self.debtrank:.4f}，总困境 {self.total:.4f}，"
                    f"{hit} 家完全违约，{self.rounds} 轮")
            if not self.converged:
                head += "；未收敛"
        else:
            head = (f"DebtRank ({self.variant}): induced {self.debtrank:.4f}, total {self.total:.4f}, "
                    f"{hit} nodes fully distressed, {self.rounds} rounds")
            if not self.converged:
                head += "; NOT converged"
        return f"{head}\n{self.footer()}"


class _Impact:
    """The impact matrix ``W`` with products that touch only the columns that matter.

    ``W[i, j] = exposures[i, j] / buffers[i]`` (capped at 1 for Battiston 2012), built by
    scaling the stored entries. Full products use the input's own layout. Rounds where few
    nodes pass distress on multiply only those columns; that needs a column layout, made once
    (ski-rental) after two such rounds when the input was row-major.
    """

    def __init__(self, exposures: Any, buffers: Any, variant: str) -> None:
        X = check_matrix(exposures, "exposures", keep_csc=True)
        n, _ = X.shape  # square
        buf = check_vector(buffers, n, "buffers")
        if np.any(buf <= 0):
            raise InputError(f"node {int(np.argmin(buf))} has a non-positive buffer (equity)", where="buffers")
        inv = 1.0 / buf
        data = X.data * (inv[X.indices] if X.format == "csc" else np.repeat(inv, np.diff(X.indptr)))
        if variant == "battiston2012":
            np.minimum(data, 1.0, out=data)
        self.W = type(X)((data, X.indices, X.indptr), shape=X.shape)
        self.cols = self.W if X.format == "csc" else None
        self.n, self.sparse_rounds = n, 0

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        rows = x if x.ndim == 1 else x.any(axis=1)
        k = int(np.count_nonzero(rows))  # counting first: no index array when most rows are busy
        if k > SPARSE_SHARE * self.n:
            return self.W @ x
        if k == 0:
            return np.zeros_like(x)
        nz = np.flatnonzero(rows)
        if self.cols is None:
            self.sparse_rounds += 1
            if self.sparse_rounds <= 2:
                return self.W @ x
            self.cols = self.W.tocsc()
        return self.cols[:, nz] @ x[nz]


def _weights(weights: Any, n: int) -> np.ndarray:
    v = check_vector(weights, n, "weights")
    total = float(v.sum())
    if not np.isfinite(total) or total <= 0:
        raise InputError("weights (economic values) must have a positive, finite sum; got all zeros"
                         if total == 0 else f"weights sum to {total:g}; expected a positive, finite sum",
                         where="weights")
    return v / total


def _propagate(W: _Impact, h0: np.ndarray, variant: str, tol: float = 1e-12,
               max_rounds: int = MAX_ROUNDS) -> tuple[np.ndarray, int, bool]:
    """Propagate distress for one or many shock columns (n,) or (n, k): final h, rounds, converged."""
    h = h0.copy()
    if variant == "battiston2012":
        # every node passes distress on once, so n + 1 rounds always suffice
        active = h > 0  # distressed this round
        inactive = np.zeros_like(active)
        rounds = 0
        while active.any():
            rounds += 1
            h = np.minimum(1.0, h + W @ np.where(active, h, 0.0))
            inactive |= active
            active = (h > 0) & ~inactive
        return h, rounds, True
    prev = np.zeros_like(h)
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        new = np.minimum(1.0, h + W @ (h - prev))
        prev, h = h, new
        if np.abs(h - prev).max() <= tol:  # at least one node: the weights have a positive sum
            return h, rounds, True
    return h, rounds, False


def debtrank(exposures: Any, buffers: Any, weights: Any, shock: Any, variant: str = "battiston2012", *,
             labels: Sequence[Any] | None = None, max_rounds: int = MAX_ROUNDS,
             provenance: Provenance | None = None) -> DebtRankResult:
    """DebtRank of an initial distress ``shock``.

    Parameters
    ----------
    exposures
        (n, n) exposures, dense or scipy.sparse; ``[i, j]`` is what i has lent to j.
    buffers
        (n,) positive equity of each node.
    weights
        (n,) economic value of each node (e.g. total assets); normalised to sum 1.
    shock
        (n,) initial distress ``h(1)`` in [0, 1] (1 = default).
    variant
        ``"battiston2012"``: impact ``W[i, j] = min(1, exposures[i, j] / buffers[i])``; a distressed
        node passes its distress on once, then becomes inactive. ``"bardoscia2015"``: the linear
        variant, ``W[i, j] = exposures[i, j] / buffers[i]``, every increment of distress passes on
        until the increments vanish (``h(t+1) = min(1, h(t) + W (h(t) - h(t-1)))``).
    labels
        Node ids for the result's table (default 0..n-1).
    max_rounds
        Cap on rounds of the linear variant; when hit, a ConvergenceWarning is issued and the
        result records it (``converged`` is False). Battiston's variant ends within n + 1 rounds.
    provenance
        Provenance to attach (pipelines pass theirs).

    Returns
    -------
    DebtRankResult

    Raises
    ------
    InputError
        Bad matrices or vectors, a non-positive buffer, weights that do not sum to a positive
        number, a shock outside [0, 1] or an unknown variant.

    Examples
    --------
    Bank 2 defaults; bank 0 lent it 2 against equity 3, bank 1 lent 4 to bank 0 against equity 2:

    >>> import numpy as np
    >>> X = np.array([[0, 0, 2], [4, 0, 0], [0, 3, 0.0]])
    >>> res = debtrank(X, [3, 2, 2], [1, 1, 1], [0, 0, 1])
    >>> res.distress.round(4).tolist(), round(res.debtrank, 4)
    ([0.6667, 0.6667, 1.0], 0.4444)
    """
    check_option(variant, VARIANTS, "variant")
    W = _Impact(exposures, buffers, variant)
    n = W.n
    v = _weights(weights, n)
    h0 = check_vector(shock, n, "shock")
    if np.any(h0 > 1):
        raise InputError(f"distress {float(h0.max()):g} at node {int(np.argmax(h0))}; expected values in [0, 1]",
                         where="shock")
    nodes = check_labels(labels, n)
    with collect() as seen:
        h, rounds, converged = _propagate(W, h0, variant, max_rounds=max_rounds)
        if not converged:
            warn(f"DebtRank ({variant}) stopped after {max_rounds} rounds with distress still rising",
                 ConvergenceWarning)
    return DebtRankResult(h, h0, float(v @ (h - h0)), float(v @ h), rounds, variant, nodes, v, converged,
                          provenance=provenance or Provenance.unrecorded(), warnings=tuple(seen))


def rank_nodes(exposures: Any, buffers: Any, weights: Any, *, variant: str = "battiston2012",
               labels: Sequence[Any] | None = None, batch: int = 256, max_rounds: int = MAX_ROUNDS
               ) -> pd.DataFrame:
    """Impact and vulnerability of every node by DebtRank.

    Impact is the DebtRank induced when the node alone defaults; vulnerability is the node's
    mean distress over the single-node defaults of every other node. Shock columns are
    propagated in batches.

    Parameters
    ----------
    exposures, buffers, weights, variant
        As for :func:`debtrank`.
    labels
        Node ids (default 0..n-1), the ``node`` column.
    batch
        Shock columns propagated together.
    max_rounds
        Cap on rounds of the linear variant (ConvergenceWarning when hit).

    Returns
    -------
    pandas.DataFrame
        ``node``, ``impact``, ``vulnerability`` and ``impact_rank`` (1 = largest impact),
        sorted by impact.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 0, 2], [4, 0, 0], [0, 3, 0.0]])
    >>> ranking = rank_nodes(X, [3, 2, 2], [1, 1, 1], labels=["A", "B", "C"])
    >>> ranking[["node", "impact"]].round(4).values.tolist()
    [['A', 0.6667], ['B', 0.5556], ['C', 0.4444]]
    """
    check_option(variant, VARIANTS, "variant")
    if not (isinstance(batch, int) and batch >= 1):
        raise InputError(f"{batch}; expected a positive whole number", where="batch")
    W = _Impact(exposures, buffers, variant)
    n = W.n
    v = _weights(weights, n)
    nodes = check_labels(labels, n)
    impact = np.empty(n)
    vuln = np.zeros(n)
    stuck = 0
    for start in range(0, n, batch):
        cols = np.arange(start, min(start + batch, n))
        h0 = np.zeros((n, cols.size))
        h0[cols, np.arange(cols.size)] = 1.0
        h, _, converged = _propagate(W, h0, variant, max_rounds=max_rounds)
        stuck += not converged
        impact[cols] = v @ (h - h0)
        vuln += (h - h0).sum(axis=1)
    if stuck:
        warn(f"DebtRank ranking ({variant}): {stuck} batch(es) stopped after {max_rounds} rounds with distress "
             "still rising", ConvergenceWarning)
    out = pd.DataFrame({"node": list(nodes) if nodes else np.arange(n), "impact": impact,
                        "vulnerability": vuln / max(n - 1, 1)})
    out["impact_rank"] = out["impact"].rank(ascending=False, method="min").astype(int)
    return out.sort_values("impact", ascending=False, ignore_index=True)
