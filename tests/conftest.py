import os
from pathlib import Path

import pytest
from hypothesis import settings

from finstab.samples import sample_path

# No test may depend on machine speed: no Hypothesis deadlines. Mutation runs (make mutation)
# set FINSTAB_HYPOTHESIS=mutation: fewer, fixed examples per property so thousands of runs finish.
settings.register_profile("finstab", deadline=None)
settings.register_profile("mutation", deadline=None, max_examples=10, derandomize=True)
settings.load_profile(os.environ.get("FINSTAB_HYPOTHESIS", "finstab"))


@pytest.fixture
def zibo_sample() -> Path:
    return sample_path("zibo_sample.csv")
