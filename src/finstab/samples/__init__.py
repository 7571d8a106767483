"""Sample data: seeded synthetic generators and small cited public-data files."""

from importlib import resources
from pathlib import Path


def sample_path(name: str) -> Path:
    """Path of a data file shipped in ``finstab/samples/data``."""
    return Path(str(resources.files("finstab.samples").joinpath("data", name)))
