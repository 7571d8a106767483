"""Shipped configuration data (sector conventions, IN parameters, financing rules)."""

from importlib import resources
from pathlib import Path


def config_path(name: str) -> Path:
    return Path(str(resources.files("finstab.configs").joinpath(name)))
