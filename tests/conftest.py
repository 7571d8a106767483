import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from finstab.samples import sample_path

# Shared 2-core machines: no deadlines, no speed-dependent health checks; CI runs are reproducible.
settings.register_profile("finstab", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("finstab"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "finstab")


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Commands record runs by default: every test gets its own store, never the user's out/."""
    monkeypatch.setenv("FINSTAB_STORE", str(tmp_path_factory.mktemp("store") / "runs.duckdb"))


@pytest.fixture
def zibo_sample() -> Path:
    return sample_path("zibo_sample.csv")
