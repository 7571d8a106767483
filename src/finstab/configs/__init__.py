"""Shipped configuration data (sector conventions, IN parameters, financing rules)."""

from importlib import resources
from pathlib import Path


def config_path(name: str) -> Path:
    return Path(str(resources.files("finstab.configs").joinpath(name)))


def provinces():
    """The 31 provincial-level divisions: code, name_zh, name_en, capital coordinates, tile-grid cell.

    Examples
    --------
    >>> provinces().set_index("code").loc["GD", "name_en"]
    'Guangdong'
    """
    import pandas as pd

    return pd.read_csv(config_path("provinces.csv"), comment="#")
