"""Furfine (2003) sequential-default cascade.

Conventions: ``exposures[i, j]`` is what i has lent to j; ``buffers`` are the capital each
bank can lose before it fails.

References
----------
Furfine, C. (2003). Interbank exposures: quantifying the risk of contagion. Journal of Money,
Credit and Banking 35(1).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from finstab.contagion._checks import check_labels, check_matrix, check_vector
from finstab.core.errors import InputError
from finstab.core.provenance import Provenance
from finstab.core.results import Result


@dataclass(frozen=True, eq=False)
class CascadeResult(Result):
    """The round in which each bank fails (-1 = survives, 0 = initial failure).

    The main table, ``cascade``, has one row per node keyed by ``node`` with its failure round
    and the loss it suffered from failed counterparties; ``rounds`` lists who failed in each
    round, as positions.
    """

    kind: ClassVar[str] = "cascade"
    failed_round: np.ndarray
    rounds: tuple[tuple[int, ...], ...]
    losses: np.ndarray
    buffers: np.ndarray
    lgd: float
    nodes: tuple[Any, ...] = ()

    @property
    def node_ids(self) -> list[Any]:
        """Node ids: ``nodes`` when given, else positions 0..n-1."""
        return list(self.nodes) if self.nodes else list(range(len(self.failed_round)))

    @property
    def failed(self) -> np.ndarray:
        """True for every bank that failed (initially or in the cascade)."""
        return self.failed_round >= 0

    def round_labels(self) -> list[list[Any]]:
        """Who failed in each round, as node ids."""
        ids = self.node_ids
        return [[ids[i] for i in r] for r in self.rounds]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"cascade": pd.DataFrame({"node": self.node_ids, "failed_round": self.failed_round,
                                         "failed": self.failed, "loss": self.losses, "buffer": self.buffers})}

    def config(self) -> dict[str, Any]:
        return {"lgd": self.lgd}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], config: Any, *, provenance: Provenance,
                    warnings: tuple[str, ...] = ()) -> CascadeResult:
        t = tables["cascade"]
        fr = t["failed_round"].to_numpy(int)
        rounds = tuple(tuple(int(i) for i in np.flatnonzero(fr == k)) for k in range(int(fr.max(initial=-1)) + 1))
        return cls(fr, rounds, t["loss"].to_numpy(float), t["buffer"].to_numpy(float),
                   float(dict(config or {}).get("lgd", 1.0)), tuple(t["node"]), provenance=provenance,
                   warnings=warnings)

    def summary(self) -> str:
        k0 = len(self.rounds[0]) if self.rounds else 0
        total = int(self.failed.sum())
        sizes = ", ".join(str(len(r)) for r in self.rounds[1:]) or "-"
        if self.lang == "zh":
            head = (f"Furfine 违约传染（LGD {self.lgd:g}）：初始 {k0} 家，传染后共 {total} 家倒闭，"
                    f"{len(self.rounds) - 1 if self.rounds else 0} 轮（各轮新增 {sizes}）")
        else:
            head = (f"Furfine cascade (LGD {self.lgd:g}): {k0} initial, {total} failed in all after "
                    f"{len(self.rounds) - 1 if self.rounds else 0} rounds (new per round: {sizes})")
        return f"{head}\n{self.footer()}"


def _check_initial(initial: Any, n: int) -> np.ndarray:
    items = initial.tolist() if isinstance(initial, np.ndarray) else initial
    if isinstance(items, str | bytes) or not isinstance(items, Sequence | set | frozenset | range):
        items = [items]
    out = []
    for x in items:
        if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real):
            raise InputError(f"{x!r} is not a bank position; expected whole numbers in 0..{n - 1}", where="initial")
        if not float(x).is_integer():
            raise InputError(f"{float(x):g} is not a whole number; expected bank positions in 0..{n - 1}",
                             where="initial")
        if not 0 <= int(x) < n:
            raise InputError(f"bank position {int(x)} is out of range 0..{n - 1}", where="initial")
        out.append(int(x))
    return np.unique(np.asarray(out, dtype=np.int64))


def furfine_cascade(exposures: Any, buffers: Any, initial: Sequence[int], lgd: float = 1.0, *,
                    labels: Sequence[Any] | None = None, provenance: Provenance | None = None) -> CascadeResult:
    """Sequential defaults: a bank fails once ``lgd`` times its exposures to failed banks reach its buffer.

    Round 0 is the initial failures; in round k every surviving bank whose loss
    ``lgd * sum of its exposures to banks failed by round k-1`` is positive and at least its
    buffer fails. The cascade stops when a round adds nobody.

    Parameters
    ----------
    exposures
        (n, n) exposures, dense or scipy.sparse; ``[i, j]`` is what i has lent to j.
    buffers
        (n,) capital of each bank (a scalar is broadcast).
    initial
        Positions (0..n-1) of the banks that fail first.
    lgd
        Loss given default in [0, 1].
    labels
        Node ids for the result's table (default 0..n-1).
    provenance
        Provenance to attach (pipelines pass theirs).

    Returns
    -------
    CascadeResult
        ``failed_round`` per bank (-1 = survives, 0 = initial), ``rounds`` (who failed in each
        round) and the losses from failed counterparties.

    Raises
    ------
    InputError
        Bad matrices or buffers, an ``lgd`` outside [0, 1], or an ``initial`` entry that is not a
        whole number in 0..n-1.

    Examples
    --------
    Bank 2 fails; bank 0 lent it 2 against a buffer of 1.5, bank 1 lent 4 to bank 0:

    >>> import numpy as np
    >>> X = np.array([[0, 0, 2], [4, 0, 0], [0, 3, 0.0]])
    >>> res = furfine_cascade(X, [1.5, 2, 2], [2])
    >>> res.failed_round.tolist(), res.rounds
    ([1, 2, 0], ((2,), (0,), (1,)))
    """
    X = check_matrix(exposures, "exposures")
    n, _ = X.shape  # square
    buf = check_vector(buffers, n, "buffers")
    if not (isinstance(lgd, numbers.Real) and 0 <= lgd <= 1):
        raise InputError(f"{lgd}; expected a loss given default in [0, 1]", where="lgd")
    start = _check_initial(initial, n)
    nodes = check_labels(labels, n)
    failed_round = np.full(n, -1)
    failed_round[start] = 0
    rounds: list[tuple[int, ...]] = [tuple(int(i) for i in start)]
    loss = lgd * (X @ np.where(failed_round >= 0, 1.0, 0.0))
    while True:
        new = np.flatnonzero((failed_round < 0) & (loss >= buf) & (loss > 0))
        if new.size == 0:
            break
        failed_round[new] = len(rounds)
        rounds.append(tuple(int(i) for i in new))
        step = np.zeros(n)
        step[new] = 1.0
        loss += lgd * (X @ step)
    return CascadeResult(failed_round, tuple(rounds), loss, buf, float(lgd), nodes,
                         provenance=provenance or Provenance.unrecorded())
