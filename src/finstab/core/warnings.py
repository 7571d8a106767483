"""Warnings for numbers that may be wrong: never silent, carried by the result that holds them.

A kernel calls :func:`warn`; the model that builds a Result collects what was warned with
:func:`collect` and stores the messages in ``Result.warnings``, which the CLI, the reports
and the web show.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager


class FinstabWarning(UserWarning):
    """Base of finstab's warnings: a result was computed but a number in it may be wrong."""


class ConvergenceWarning(FinstabWarning):
    """A solver stopped before its tolerance or hit an iteration cap."""


class DataQualityWarning(FinstabWarning):
    """Input data were renormalised, look mis-scaled or implausible."""


class CalibrationWarning(FinstabWarning):
    """A calibrated parameter rests on weak evidence (e.g. a low hit rate)."""


def warn(message: str, category: type[FinstabWarning] = FinstabWarning, *, stacklevel: int = 2) -> None:
    """Issue a finstab warning from the caller's frame.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("3 entities did not converge", ConvergenceWarning)
    >>> caught[0].category.__name__
    'ConvergenceWarning'
    """
    warnings.warn(message, category, stacklevel=stacklevel + 1)


def describe(w: warnings.WarningMessage) -> str:
    """The message a result carries: ``"ConvergenceWarning: 3 entities did not converge"``."""
    return f"{w.category.__name__}: {w.message}"


@contextmanager
def collect() -> Iterator[list[str]]:
    """Record the finstab warnings issued inside the block and let every warning through.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with collect() as seen:
    ...         warn("weak calibration", CalibrationWarning)
    >>> seen
    ['CalibrationWarning: weak calibration']
    """
    seen: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FinstabWarning)
        yield seen
    for w in caught:
        if issubclass(w.category, FinstabWarning) and describe(w) not in seen:
            seen.append(describe(w))
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
