"""Threshold scoring: indicator values -> 0-100 scores through critical values, and grades.

A value between two critical values is scored by linear interpolation (Tan Zhongming 2010,
as used by the Zibo paper): for a positive indicator H = T_L + (Z - Z_L)/(Z_R - Z_L)(T_R - T_L),
for a negative one the mirror image. Values beyond the outermost cuts clamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from finstab.core.errors import InputError
from finstab.core.validate import as_float_array, check_option

DEFAULT_SCORES: tuple[float, ...] = (0, 20, 40, 60, 80, 100)


@dataclass(frozen=True)
class Grade:
    """One grade of a scale: a half-open score interval [lower, upper).

    Examples
    --------
    >>> FIVE_GRADES[3].name(), FIVE_GRADES[3].name("en")
    ('基本安全', 'basically safe')
    """

    key: str
    name_zh: str
    name_en: str
    lower: float
    upper: float
    color: str

    def name(self, lang: str = "zh") -> str:
        """The grade's name in ``"zh"`` or ``"en"``."""
        return self.name_zh if lang == "zh" else self.name_en


#: The five grades of the Zibo monitor (higher = safer).
FIVE_GRADES: tuple[Grade, ...] = (
    Grade("severe", "严重风险", "severe risk", 0, 20, "#c0392b"),
    Grade("high", "高风险", "high risk", 20, 40, "#e67e22"),
    Grade("moderate", "中度风险", "moderate risk", 40, 60, "#f1c40f"),
    Grade("basically_safe", "基本安全", "basically safe", 60, 80, "#7dcea0"),
    Grade("safe", "安全", "safe", 80, 100, "#1e8449"),
)


def _check_cuts(cuts: object, scores: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    c = as_float_array(cuts, name, ndim=1)
    if len(c) != len(scores):
        raise InputError(f"{len(c)} cuts for {len(scores)} score points; expected "
                         f"{len(scores)}", where=name)
    d = np.diff(c)
    if np.all(d > 0):
        return c, True
    if np.all(d < 0):
        return c, False
    raise InputError(f"cuts {c.tolist()} must be strictly increasing (bigger is safer) or "
                     "strictly decreasing (bigger is riskier)", where=name)


def _check_scores(scores: object) -> np.ndarray:
    s = as_float_array(scores, "scores", ndim=1)
    if len(s) < 2 or np.any(np.diff(s) <= 0):
        raise InputError(f"scores {s.tolist()} must be strictly increasing", where="scores")
    return s


def threshold_score(values: object, cuts: object,
                    scores: Sequence[float] = DEFAULT_SCORES) -> np.ndarray:
    """Score values piecewise-linearly between critical values.

    Parameters
    ----------
    values
        Indicator values (any shape; NaN stays NaN).
    cuts
        The values that score ``scores[0], scores[1], ...``; strictly increasing for
        a positive indicator (bigger is safer), strictly decreasing for a negative one.
    scores
        Score at each cut, strictly increasing (default 0, 20, ..., 100).

    Returns
    -------
    numpy.ndarray
        Scores of the same shape as ``values``, clamped to ``[scores[0], scores[-1]]``.

    Examples
    --------
    Capital adequacy with the 8 % minimum at 60 points and 10.5 % at 80:

    >>> [float(x) for x in threshold_score([8.0, 9.25, 20], [2, 4, 6, 8, 10.5, 13])]
    [60.0, 70.0, 100.0]
    >>> float(threshold_score(6.25, [15, 10, 7.5, 5, 2.5, 1]))  # NPL ratio: bigger is riskier
    50.0
    """
    s = _check_scores(scores)
    c, ascending = _check_cuts(cuts, s, "cuts")
    v = np.asarray(values, dtype=float)
    if ascending:
        return np.interp(v, c, s)
    return np.interp(-v, -c, s)


def band_score(values: object, low_cuts: object, high_cuts: object,
               scores: Sequence[float] = DEFAULT_SCORES) -> np.ndarray:
    """Score a moderate indicator: safe inside a band, riskier both below and above it.

    Parameters
    ----------
    low_cuts
        Increasing values scoring ``scores`` from below (the last is the band's lower edge).
    high_cuts
        Increasing values scoring ``scores`` reversed from above (the first is the band's
        upper edge); ``low_cuts[-1] <= high_cuts[0]``.
    scores
        Score at each cut, strictly increasing.

    Returns
    -------
    numpy.ndarray
        The smaller of the two one-sided scores: ``scores[-1]`` inside the band.

    Examples
    --------
    >>> low, high = [-3, -2, -1, 0, 1, 1.5], [3, 4, 5, 6, 8, 10]
    >>> [float(x) for x in band_score([2.0, 0.0, 7.0], low, high)]
    [100.0, 60.0, 30.0]
    """
    s = _check_scores(scores)
    lo, lo_up = _check_cuts(low_cuts, s, "low_cuts")
    hi, hi_up = _check_cuts(high_cuts, s, "high_cuts")
    if not (lo_up and hi_up):
        raise InputError("low_cuts and high_cuts must both be strictly increasing",
                         where="low_cuts/high_cuts")
    if lo[-1] > hi[0]:
        raise InputError(f"band lower edge {lo[-1]} exceeds upper edge {hi[0]}",
                         where="low_cuts/high_cuts")
    v = np.asarray(values, dtype=float)
    return np.minimum(np.interp(v, lo, s), np.interp(v, hi, s[::-1]))


def grade_index(scores: object, grades: Sequence[Grade] = FIVE_GRADES) -> np.ndarray:
    """Index of the grade each score falls in (-1 for NaN); the top grade is closed.

    Parameters
    ----------
    scores
        Scores (any shape).
    grades
        Ascending grades; grade k covers ``[grades[k].lower, grades[k + 1].lower)``.

    Examples
    --------
    >>> grade_index([0, 19.99, 20, 80, 100]).tolist()
    [0, 0, 1, 4, 4]
    """
    sc = np.asarray(scores, dtype=float)
    bounds = np.array([g.lower for g in grades[1:]])
    idx = np.searchsorted(bounds, sc, side="right")
    return np.where(np.isnan(sc), -1, idx)


def grade_keys(scores: object, grades: Sequence[Grade] = FIVE_GRADES) -> np.ndarray:
    """Canonical grade keys for scores (empty string for NaN).

    Examples
    --------
    >>> grade_keys([10.0, 65.0, 100.0]).tolist()
    ['severe', 'basically_safe', 'safe']
    """
    keys = np.array([g.key for g in grades] + [""], dtype=object)
    return keys[grade_index(scores, grades)]


def grade_names(scores: object, lang: str = "zh",
                grades: Sequence[Grade] = FIVE_GRADES) -> np.ndarray:
    """Grade names for scores (empty string for NaN).

    Parameters
    ----------
    scores
        Scores (any shape).
    lang
        ``"zh"`` or ``"en"``.
    grades
        Ascending grades.

    Examples
    --------
    >>> grade_names([10, 90], "en").tolist()
    ['severe risk', 'safe']
    """
    check_option(lang, ("zh", "en"), "lang")
    idx = grade_index(scores, grades)
    names = np.array([g.name(lang) for g in grades] + [""], dtype=object)
    return names[idx]
