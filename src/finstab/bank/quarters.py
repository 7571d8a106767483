"""Quarters and thresholds given by people: parsed once, with errors naming the parameter."""

from __future__ import annotations

import math
import re

import pandas as pd

from finstab.core.errors import InputError

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


def as_quarter(value: object, where: str = "quarter") -> pd.Period:
    """A quarter from ``"2021Q1"`` (or ``2021-Q1``, ``2021q1``) or a quarterly ``pd.Period``.

    Examples
    --------
    >>> str(as_quarter("2021q1"))
    '2021Q1'
    >>> as_quarter("2021Q9")
    Traceback (most recent call last):
    ...
    finstab.core.errors.InputError: quarter: '2021Q9' is not a quarter like 2021Q1 (year, then Q1-Q4)
    """
    if isinstance(value, pd.Period):
        if value.freqstr.startswith("Q"):
            return value
        return value.asfreq("Q")
    text = str(value)
    m = _QUARTER.match(text)
    if m is None:  # also None ("None") and NaN ("nan"): their text is no quarter
        raise InputError(f"{text!r} is not a quarter like 2021Q1 (year, then Q1-Q4)", where=where)
    return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q")


def as_threshold(value: object, where: str = "threshold") -> float:
    """A finite IN threshold.

    Examples
    --------
    >>> as_threshold("0.002")
    0.002
    >>> as_threshold(float("nan"))
    Traceback (most recent call last):
    ...
    finstab.core.errors.InputError: threshold: nan is not a finite number
    """
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number", where=where) from None
    if not math.isfinite(x):
        raise InputError(f"{x} is not a finite number", where=where)
    return x
