"""Fixtures of the contagion tests: the read-only reference data sets in ``shared/data``."""

from __future__ import annotations

from pathlib import Path

import pytest


def find_shared_data(name: str) -> Path | None:
    """``shared/data/<name>`` beside the repository root or any directory above it.

    The repository may be ``/work/main``, a worktree such as ``/work/wt/x`` or mutmut's copy
    ``<worktree>/mutants``: every parent of this file is tried, nearest first.
    """
    for parent in Path(__file__).resolve().parents:
        path = parent / "shared" / "data" / name
        if path.is_file():
            return path
    return None


@pytest.fixture
def dy2012_path() -> Path:
    path = find_shared_data("dy2012_volatility.csv")
    if path is None:
        pytest.skip("shared/data/dy2012_volatility.csv is not available")
    return path


@pytest.fixture
def chanlau_path() -> Path:
    path = find_shared_data("chanlau_pd_1y.csv")
    if path is None:
        pytest.skip("shared/data/chanlau_pd_1y.csv is not available")
    return path
