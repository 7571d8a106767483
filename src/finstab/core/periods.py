"""Period labels as analysts write them, turned into one canonical label per period.

Accepted: years (``2021``, ``2021年``, ``2021年度``, ``FY2021``), quarters (``2021Q1``,
``2021-Q1``, ``Q1 2021``, ``2021年一季度``, ``2021年第1季度``), months (``2021-03``,
``2021/3``, ``202103``, ``2021年3月``, ``2021M03``), and dates (``2021-03-31``,
``2021/3/31``, ``20210331``, ``2021年3月31日``, Excel date cells, ``datetime``,
``pandas.Timestamp``, Excel serial day numbers).

Canonical labels: a year is the integer ``2021``; a quarter ``"2021Q1"``; a month
``"2021-03"``; a day ``"2021-03-31"``. Within one frequency they sort in time order.

A date says which day it is, not which frequency the panel has: a column of dates takes the
coarsest frequency every date fits (all 31 December: years; all quarter ends: quarters; all
month ends or month starts: months; else days). Written periods fix the frequency, and a
date among them must be the last (or first) day of its period. One panel has one frequency;
mixing them is a :class:`~finstab.core.errors.DataError` naming the rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from finstab.core.errors import DataError

#: Frequencies, coarsest first.
FREQUENCIES = ("year", "quarter", "month", "day")
FREQUENCY_NAMES = {"year": "years", "quarter": "quarters", "month": "months", "day": "days"}
EXPECTED = ("a year (2021, 2021年), a quarter (2021Q1, 2021年一季度), a month (2021-03, 2021/3, 202103, "
            "2021年3月) or a date (2021-03-31)")

#: Years outside this range are taken as typing errors rather than periods.
YEAR_RANGE = (1800, 2200)
#: Excel serial day numbers accepted as dates (1954-10-03 ... 2064-04-09).
EXCEL_SERIAL_RANGE = (20_000, 60_000)
_EXCEL_EPOCH = dt.date(1899, 12, 30)

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR = r"(?P<y>\d{4})"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((freq, re.compile(p, re.IGNORECASE)) for freq, p in (
    ("year", rf"^(?:fy)?{_YEAR}(?:年度?|年末|\.0+)?$"),
    ("quarter", rf"^{_YEAR}\s*[-/_.]?\s*q(?P<q>[1-4])$"),
    ("quarter", rf"^q(?P<q>[1-4])\s*[-/_.]?\s*{_YEAR}$"),
    ("quarter", rf"^{_YEAR}\s*年?\s*(?:第\s*)?(?P<q>[1-4一二三四])\s*季(?:度|末)?$"),
    ("quarter", rf"^{_YEAR}\s*年\s*q(?P<q>[1-4])$"),
    ("month", rf"^{_YEAR}\s*[-/.]\s*(?P<m>\d{{1,2}})$"),
    ("month", rf"^{_YEAR}\s*年\s*(?P<m>\d{{1,2}})\s*月(?:份|末)?$"),
    ("month", rf"^{_YEAR}m(?P<m>\d{{1,2}})$"),
    ("month", rf"^{_YEAR}(?P<m>\d{{2}})$"),
    ("day", rf"^{_YEAR}\s*[-/.]\s*(?P<m>\d{{1,2}})\s*[-/.]\s*(?P<d>\d{{1,2}})(?:[ t]00:00(?::00(?:\.0+)?)?)?$"),
    ("day", rf"^{_YEAR}\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*日$"),
    ("day", rf"^{_YEAR}(?P<m>\d{{2}})(?P<d>\d{{2}})$"),
))


@dataclass(frozen=True)
class Token:
    """One parsed cell: an explicit period (``freq`` and ``label``) or a date to be placed."""

    freq: str  # "year" | "quarter" | "month" | "date"
    label: int | str | None = None
    date: dt.date | None = None


@dataclass(frozen=True, eq=False)
class Periods:
    """Canonical labels of a column of periods and the panel's frequency.

    ``distinct`` holds each label once, in time order; ``codes`` gives every cell's position
    in it, so ``codes`` sorts the cells in time order.
    """

    codes: np.ndarray
    distinct: tuple[int | str, ...]
    frequency: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Periods) and (self.frequency, self.distinct) == (other.frequency, other.distinct) \
            and np.array_equal(self.codes, other.codes)

    __hash__ = None  # type: ignore[assignment]  # mutable codes

    @property
    def labels(self) -> list[int | str]:
        """Every cell's label."""
        return self.as_series().tolist()

    def as_series(self, index: pd.Index | None = None) -> pd.Series:
        """Labels as a Series (``int64`` for years, text otherwise)."""
        dtype = "int64" if self.frequency == "year" else object
        return pd.Series(np.asarray(self.distinct, dtype=dtype)[self.codes], index=index, name="period")


def show(value: Any) -> str:
    """A cell as a person would write it: ``2022`` (never ``np.int64(2022)``), ``2021-03-31``.

    Examples
    --------
    >>> show(np.int64(2022)), show(2021.0), show(pd.Timestamp("2021-03-31")), show(" 博山区 ")
    ('2022', '2021', '2021-03-31', '博山区')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "(empty)"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "infinity" if value > 0 else "-infinity"
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _ymd(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _year_ok(y: int) -> bool:
    return YEAR_RANGE[0] <= y <= YEAR_RANGE[1]


def parse_token(value: Any) -> Token | None:
    """Parse one cell; ``None`` if it is not a period.

    Examples
    --------
    >>> parse_token("2021年一季度")
    Token(freq='quarter', label='2021Q1', date=None)
    >>> parse_token(202103).label, parse_token("2021/3").label, parse_token("2021年").label
    ('2021-03', '2021-03', 2021)
    """
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Period):
        code = value.freqstr[0].upper()
        if code in ("Y", "A"):
            return Token("year", value.year)
        if code == "Q":
            return Token("quarter", f"{value.year}Q{value.quarter}")
        if code == "M":
            return Token("month", f"{value.year}-{value.month:02d}")
        return Token("date", date=value.start_time.date()) if code == "D" else None
    if isinstance(value, dt.datetime | dt.date):  # datetime, pandas.Timestamp, date
        d = value.date() if isinstance(value, dt.datetime) else value
        return Token("date", date=d) if _year_ok(d.year) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        return _from_int(int(value))
    if isinstance(value, Real):
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            return None
        return _from_int(int(f))
    if isinstance(value, str):
        return _from_text(value)
    return None


def _from_int(n: int) -> Token | None:
    if _year_ok(n):
        return Token("year", n)
    if EXCEL_SERIAL_RANGE[0] <= n <= EXCEL_SERIAL_RANGE[1]:
        return Token("date", date=_EXCEL_EPOCH + dt.timedelta(days=n))
    return _from_text(str(n)) if n > 0 else None


def _from_text(text: str) -> Token | None:
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        return None
    for freq, pattern in _PATTERNS:
        m = pattern.match(s)
        if m is None:
            continue
        y = int(m["y"])
        if not _year_ok(y):
            return None
        if freq == "year":
            return Token("year", y)
        if freq == "quarter":
            return Token("quarter", f"{y}Q{_CN_DIGITS[m['q']]}")
        month = int(m["m"])
        if not 1 <= month <= 12:
            return None
        if freq == "month":
            return Token("month", f"{y}-{month:02d}")
        d = _ymd(y, month, int(m["d"]))
        return Token("date", date=d) if d is not None else None
    if re.fullmatch(r"\d{5}(\.0+)?", s):  # an Excel serial saved as text
        return _from_int(int(float(s)))
    return None


def _fits(d: dt.date, freq: str) -> bool:
    """A date stands for a period of ``freq`` if it is the period's last or first day."""
    last = calendar.monthrange(d.year, d.month)[1]
    if freq == "day":
        return True
    if freq == "month":
        return d.day in (1, last)
    if freq == "quarter":
        return (d.month % 3 == 0 and d.day == last) or (d.month % 3 == 1 and d.day == 1)
    return (d.month, d.day) in ((12, 31), (1, 1))


def _label(d: dt.date, freq: str) -> int | str:
    if freq == "year":
        return d.year
    if freq == "quarter":
        return f"{d.year}Q{(d.month - 1) // 3 + 1}"
    if freq == "month":
        return f"{d.year}-{d.month:02d}"
    return d.isoformat()


def _rows(positions: np.ndarray, describe: Callable[[int], str], limit: int = 3) -> str:
    shown = [describe(int(p)) for p in positions[:limit]]
    more = len(positions) - limit
    if len(shown) > 1 and all(s.startswith("row ") for s in shown):
        shown = ["rows " + shown[0][4:], *(s[4:] for s in shown[1:])]
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _default_describe(pos: int) -> str:
    return f"row {pos + 1}"


def parse_periods(values: Sequence[Any] | pd.Series, *, column: str = "period", source: str | None = None,
                  describe: Callable[[int], str] | None = None, frequency: str | None = None) -> Periods:
    """Canonical labels for a column of periods, all of one frequency.

    Parameters
    ----------
    values
        The cells of the period column.
    column
        The column's name, for messages.
    source
        The file, for messages.
    describe
        Position -> the row as a person finds it in the file (``"row 7"``).
    frequency
        Require this frequency (``"year"``, ``"quarter"``, ``"month"``, ``"day"``).

    Returns
    -------
    Periods
        ``labels`` (ints for years, text otherwise) and the ``frequency``.

    Raises
    ------
    DataError
        An empty cell, a cell that is not a period, or frequencies mixed in one column.

    Examples
    --------
    >>> parse_periods(["2021年", 2022, "2023"]).labels
    [2021, 2022, 2023]
    >>> p = parse_periods(["2021年一季度", "2021Q2", pd.Timestamp("2021-09-30")])
    >>> p.labels, p.frequency
    (['2021Q1', '2021Q2', '2021Q3'], 'quarter')
    """
    describe = describe or _default_describe
    cells = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(cells.astype(object), use_na_sentinel=True)
    if (codes < 0).any():
        pos = int(np.flatnonzero(codes < 0)[0])
        raise DataError(f"column {column}: the period is empty; expected {EXPECTED}", where=_at(source, describe(pos)))
    tokens: list[Token] = []
    for k, v in enumerate(uniques):
        tok = parse_token(v)
        if tok is None:
            pos = int(np.flatnonzero(codes == k)[0])
            empty = isinstance(v, str) and not v.strip()
            what = "the period is empty" if empty else f"'{show(v)}' is not a period"
            raise DataError(f"column {column}: {what}; expected {EXPECTED}", where=_at(source, describe(pos)))
        tokens.append(tok)
    kinds = np.array([t.freq for t in tokens], dtype=object)
    explicit = [f for f in FREQUENCIES if (kinds == f).any()]
    dates = [k for k, t in enumerate(tokens) if t.freq == "date"]

    def rows_of(mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask[codes])

    def example(mask: np.ndarray) -> str:
        return show(uniques[int(np.flatnonzero(mask)[0])])

    if len(explicit) > 1:
        parts = [f"{FREQUENCY_NAMES[f]} (e.g. '{example(kinds == f)}', {_rows(rows_of(kinds == f), describe)})"
                 for f in explicit]
        raise DataError(f"column {column} mixes frequencies: {' and '.join(parts)}; use one frequency per panel",
                        where=source or column)
    if explicit:
        freq = explicit[0]
        unfit = np.zeros(len(tokens), dtype=bool)
        unfit[[k for k in dates if not _fits(tokens[k].date, freq)]] = True  # type: ignore[arg-type]
        if unfit.any():
            raise DataError(f"column {column} has {FREQUENCY_NAMES[freq]} (e.g. '{example(kinds == freq)}', "
                            f"{_rows(rows_of(kinds == freq), describe)}) and dates that are not the end of one "
                            f"(e.g. '{example(unfit)}', {_rows(rows_of(unfit), describe)}); use one frequency "
                            "per panel", where=source or column)
    else:
        fits = {f: all(_fits(tokens[k].date, f) for k in dates) for f in FREQUENCIES}  # type: ignore[arg-type]
        freq = frequency if frequency is not None and fits[frequency] else next(f for f in FREQUENCIES if fits[f])
    if frequency is not None and freq != frequency:
        raise DataError(f"column {column} holds {FREQUENCY_NAMES[freq]} (e.g. '{show(uniques[0])}'); expected "
                        f"{FREQUENCY_NAMES[frequency]}", where=source or column)
    labels = [t.label if t.freq != "date" else _label(t.date, freq) for t in tokens]  # type: ignore[arg-type]
    ranks, distinct = pd.factorize(pd.Series(labels, dtype="int64" if freq == "year" else object), sort=True)
    return Periods(ranks[codes], tuple(distinct.tolist()), freq)


def _at(source: str | None, row: str) -> str:
    return f"{source} {row}" if source else row


def period_label(value: Any, *, frequency: str | None = None, where: str = "period") -> int | str:
    """The canonical label of one period; a date takes ``frequency`` (default: the coarsest it fits).

    Examples
    --------
    >>> period_label("2021年第三季度"), period_label(2021.0), period_label("2021/03")
    ('2021Q3', 2021, '2021-03')
    >>> period_label(pd.Timestamp("2021-12-31"), frequency="quarter")
    '2021Q4'
    """
    return parse_periods([value], column=where, describe=lambda _: where, frequency=frequency).labels[0]


def to_pandas(label: int | str, frequency: str) -> pd.Period:
    """A canonical label as a :class:`pandas.Period` (for arithmetic such as ``q - 4``).

    Examples
    --------
    >>> to_pandas("2021Q1", "quarter") - 1
    Period('2020Q4', 'Q-DEC')
    """
    code = {"year": "Y", "quarter": "Q", "month": "M", "day": "D"}[frequency]
    return pd.Period(str(label), freq=code)
