from pathlib import Path

import pytest
from hypothesis import settings

from finstab.samples import sample_path

# No test may depend on machine speed: no Hypothesis deadlines (mutation runs are slow).
settings.register_profile("finstab", deadline=None)
settings.load_profile("finstab")


@pytest.fixture
def zibo_sample() -> Path:
    return sample_path("zibo_sample.csv")
