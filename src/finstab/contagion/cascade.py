"""Furfine (2003) sequential-default cascade."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from finstab.contagion._checks import check_matrix, check_vector
from finstab.core.errors import InputError


def furfine_cascade(exposures: Any, buffers: Any, initial: Sequence[int], lgd: float = 1.0
                    ) -> tuple[np.ndarray, list[list[int]]]:
    """Sequential defaults: a bank fails when LGD x exposures to failed banks >= its buffer.

    Returns the failure round of each node (-1 = survives, 0 = initial) and the rounds' lists.
    """
    X = check_matrix(exposures, "exposures")
    n = X.shape[0]
    buf = check_vector(buffers, n, "buffers")
    if not 0 <= lgd <= 1:
        raise InputError(f"lgd = {lgd}; expected a value in [0, 1]", where="lgd")
    failed_round = np.full(n, -1)
    failed_round[list(initial)] = 0
    rounds = [sorted(int(i) for i in initial)]
    while True:
        failed = (failed_round >= 0).astype(float)
        loss = lgd * (X @ failed)
        new = np.flatnonzero((failed_round < 0) & (loss >= buf))
        if new.size == 0:
            return failed_round, rounds
        failed_round[new] = len(rounds)
        rounds.append(new.tolist())
