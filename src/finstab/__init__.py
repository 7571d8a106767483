"""finstab: financial-stability analysis toolkit."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("finstab")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
