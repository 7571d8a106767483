from pathlib import Path

import pytest

from finstab.samples import sample_path


@pytest.fixture
def zibo_sample() -> Path:
    return sample_path("zibo_sample.csv")
