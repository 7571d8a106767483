"""Sample data: seeded synthetic generators and small cited public-data files."""

from importlib import resources
from pathlib import Path


def sample_path(name: str) -> Path:
    """Path of a data file shipped in ``finstab/samples/data``."""
    return Path(str(resources.files("finstab.samples").joinpath("data", name)))


def sample_frame(name: str):
    """A shipped sample file read with :func:`finstab.core.io.read_table`.

    Examples
    --------
    >>> sample_frame("zibo_sample.csv")["region"].iloc[0]
    '淄博'
    """
    from finstab.core.io import read_table

    return read_table(sample_path(name))
