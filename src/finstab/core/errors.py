"""One family of errors; every message says where the problem is."""

from __future__ import annotations


class FinstabError(ValueError):
    """Base class: a user-facing error whose message names where the problem is.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    where
        The file, row, column, YAML path, parameter or entity concerned.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(FinstabError):
    """An indicator system, parameter file or preset is invalid."""


class DataError(FinstabError):
    """A data table is missing columns, has bad cells or duplicate keys."""


class InputError(FinstabError):
    """An argument passed to a function is invalid (shape, sign, range)."""
