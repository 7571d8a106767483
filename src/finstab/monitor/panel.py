"""Turn an analyst's long or wide table into a checked (entity, period) x indicator matrix.

Columns are matched to indicators by id, Chinese or English name (see
:mod:`finstab.core.columns`); key columns by their usual names (地区, 年份, region, date, ...);
periods are parsed to one frequency (:mod:`finstab.core.periods`). Every cell that was not
taken as it stood is listed in the panel's data-quality table (:attr:`Panel.quality`):
missing cells and how they were treated, duplicates, values far outside the scoring scale,
unit suspicions, columns not used.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from finstab.core.columns import (
    KEY_ALIASES,
    MONTH_NAMES,
    QUARTER_NAMES,
    YEAR_NAMES,
    ColumnSpec,
    canonical_unit,
    find_keys,
    is_named,
    match_columns,
    missing_message,
)
from finstab.core.errors import DataError
from finstab.core.io import MISSING_MARKERS, row_number
from finstab.core.periods import Periods, parse_periods, show
from finstab.core.validate import check_option
from finstab.core.warnings import DataQualityWarning, warn

LONG_COLUMNS = ("indicator", "value")
#: Columns of the data-quality table.
QUALITY_COLUMNS = ("check", "severity", "where", "region", "period", "indicator", "column", "value", "detail",
                   "treatment")
#: A value this many scoring-scale widths beyond the scale is flagged as out of range ...
FAR_OUTSIDE = 10.0
#: ... and one beyond this many widths (or not finite) is not a measurement at all: an error.
IMPLAUSIBLE = 1e9
MISSING_TREATMENT = {
    "error": "refused: every indicator needs a value (missing='error')",
    "allow": "left empty: the indicator drops out and the weights of the others in its node are scaled up",
}


def empty_quality() -> pd.DataFrame:
    """A data-quality table with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in QUALITY_COLUMNS})


@dataclass(frozen=True)
class Panel:
    """Checked indicator values: ``keys`` (region, period) rows x ``columns`` indicators.

    ``quality`` lists every cell not taken as it stood (see :func:`data_quality`);
    ``frequency`` is ``"year"``, ``"quarter"``, ``"month"`` or ``"day"`` (``None`` when the
    periods were not parsed, as for expert votes); ``units`` the declared unit of each column.
    """

    keys: pd.DataFrame
    values: np.ndarray
    columns: tuple[str, ...]
    notes: tuple[str, ...]
    quality: pd.DataFrame = field(default_factory=empty_quality)
    frequency: str | None = None
    units: tuple[str, ...] = ()


class _Stop(Exception):
    """Raised in collecting mode when nothing more can be checked."""


class _Log:
    """Data-quality records; in strict mode an error raises at once."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.rows: list[dict[str, Any]] = []

    def add(self, check: str, severity: str, detail: str, *, where: str = "", treatment: str = "",
            region: Any = "", period: Any = "", indicator: str = "", column: Any = "", value: Any = "") -> None:
        self.rows.append({"check": check, "severity": severity, "where": where,
                          "region": "" if region == "" else show(region),
                          "period": "" if period == "" else show(period),
                          "indicator": indicator, "column": "" if column == "" else str(column),
                          "value": "" if value == "" else show(value), "detail": detail, "treatment": treatment})

    def error(self, check: str, detail: str, *, where: str, fatal: bool = False, **fields: Any) -> None:
        if self.strict:
            raise DataError(detail, where=where)
        self.add(check, "error", detail, where=where, treatment="refused", **fields)
        if fatal:
            raise _Stop

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return empty_quality()
        return pd.DataFrame(self.rows, columns=list(QUALITY_COLUMNS))


def _source(df: pd.DataFrame) -> str:
    return str(df.attrs.get("source", "data"))


def _at(df: pd.DataFrame, pos: int, column: Any = None) -> str:
    here = f"{_source(df)} {row_number(df, pos)}"
    return f"{here}, column {column}" if column is not None else here


# ------------------------------------------------------------------ key columns

_ENTITY_ROLES = {"region": ("region", "bank", "entity"), "bank": ("bank",), "entity": ("entity", "region", "bank")}


def _key_column(df: pd.DataFrame, name: str, roles: Sequence[str], kind: str, log: _Log,
                taken: Sequence[Any] = ()) -> Any:
    if name in df.columns:
        return name
    exact = [c for c in df.columns if str(c).strip().casefold() == name.casefold()]
    if len(exact) == 1:
        return exact[0]
    for role in roles:
        found = [c for c in find_keys(df.columns, role) if c not in taken]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            log.error("key", f"several {kind} columns: {', '.join(map(str, found))}; keep one or name it "
                      f"({kind}=...)", where=_source(df), fatal=True)
    examples = ", ".join(KEY_ALIASES[roles[0]][:6]) if roles else name
    log.error("key", f"missing column(s) '{name}' (a {kind} column such as {examples}); found "
              f"{_listing(df.columns)}", where=_source(df), fatal=True)
    return None


def _listing(columns: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(map(str, list(columns)[:limit]))
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def _period_columns(df: pd.DataFrame, name: str, log: _Log, taken: Sequence[Any]) -> list[Any]:
    """The period column, or a year column with a quarter or month column beside it."""
    if name in df.columns:
        return [name]
    found = [c for c in find_keys(df.columns, "period") if c not in taken]
    if len(found) == 2:
        years = [c for c in found if is_named(c, YEAR_NAMES)]
        parts = [c for c in found if is_named(c, QUARTER_NAMES + MONTH_NAMES)]
        if len(years) == 1 and len(parts) == 1:
            return [years[0], parts[0]]
    if len(found) > 1:
        log.error("key", f"several period columns: {', '.join(map(str, found))}; keep one or name it (period=...)",
                  where=_source(df), fatal=True)
    if found:
        return found
    return [_key_column(df, name, ("period",), "period", log, taken)]


_CN_PART = {"一": 1, "二": 2, "三": 3, "四": 4}


def _combined_periods(df: pd.DataFrame, year_col: Any, part_col: Any) -> pd.Series:
    """Year and quarter (1-4, 一季度, Q1) or month (1-12, 3月) columns -> ``2021Q1`` / ``2021-03``."""
    quarterly = is_named(part_col, QUARTER_NAMES)
    out = []
    for y, part in zip(df[year_col], df[part_col], strict=True):
        text = unicodedata.normalize("NFKC", show(part)).strip().upper().lstrip("Q").lstrip("第")
        text = text.removesuffix("季度").removesuffix("季").removesuffix("月份").removesuffix("月")
        num = _CN_PART.get(text, text)
        out.append(f"{show(y)}Q{num}" if quarterly else f"{show(y)}-{num}")
    return pd.Series(out, index=df.index, dtype=object)


def _entities(df: pd.DataFrame, col: Any, log: _Log) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Entity names as text, a mask of blank ones (an error; in collecting mode, rows dropped) and
    each row's rank among the distinct names (so that ranks sort the rows by name)."""
    raw = df[col]
    if pd.api.types.is_float_dtype(raw) and raw.dropna().map(float.is_integer).all():
        raw = raw.astype("Int64")  # 101.0 is the code 101
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)  # name each distinct value once
    names = np.array([show(v) for v in uniques] + [""], dtype=object)  # code -1 (empty) -> ""
    ranks, _ = pd.factorize(names, sort=True)
    text = pd.Series(names[codes], index=raw.index, dtype=object)
    blank = (names == "")[codes]
    for pos in np.flatnonzero(blank)[:100]:
        log.error("blank_key", f"column {col}: the region is empty; every row needs one", where=_at(df, int(pos)),
                  column=col)
    return text, blank, ranks[codes]


def _subset(df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    out = df[keep].reset_index(drop=True)
    rows = df.attrs.get("rows")
    if rows is not None and hasattr(rows, "take") and len(rows) == len(df):
        out.attrs["rows"] = rows.take(np.flatnonzero(keep))
    return out


def _periods(df: pd.DataFrame, cols: list[Any], log: _Log) -> Periods:
    cells = df[cols[0]] if len(cols) == 1 else _combined_periods(df, cols[0], cols[1])
    column = " + ".join(map(str, cols))
    try:
        return parse_periods(cells, column=column, source=_source(df), describe=lambda pos: row_number(df, pos))
    except DataError as exc:
        if log.strict:
            raise
        log.add("period", "error", str(exc), treatment="refused")
        raise _Stop from None


# ------------------------------------------------------------------ numbers

def _expected(spec: ColumnSpec) -> str:
    unit = f" in {spec.unit}" if spec.unit else ""
    return f"a number{unit} for {spec.label()}"


def _is_excel_error(text: str) -> bool:
    return text.startswith("#") and (text.endswith(("!", "?")) or text.upper() == "#N/A")


def _numbers(df: pd.DataFrame, col: Any, spec: ColumnSpec, log: _Log, keys: tuple[pd.Series, pd.Series] | None,
             rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Floats of a column and a mask of cells refused (reported as errors: not numbers).

    Missing markers (``--``, ``#N/A``, ``无``, ...) become NaN. ``rows`` maps the column's
    positions to rows of ``df`` (long tables)."""
    raw = df[col] if rows is None else df[col].iloc[rows]
    failed = np.zeros(len(raw), dtype=bool)
    if raw.dtype == np.float64:
        return raw.to_numpy(), failed  # read only: callers copy
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=float, na_value=np.nan), failed
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    bad = np.flatnonzero(np.isnan(num) & raw.notna().to_numpy())
    percent = canonical_unit(spec.unit) == "%"
    for pos in bad:
        v = raw.iloc[pos]
        text = unicodedata.normalize("NFKC", str(v)).strip().replace(",", "").replace(" ", "")
        at = _at(df, int(pos if rows is None else rows[pos]), col)
        where = dict(region=keys[0].iloc[pos], period=keys[1].iloc[pos]) if keys is not None else {}
        failed[pos] = True
        if isinstance(v, bool | np.bool_):
            log.error("non_numeric", f"{show(v)} is not a number; expected {_expected(spec)}", where=at, column=col,
                      indicator=spec.id, value=v, **where)
            continue
        if text.casefold() in MISSING_MARKERS or _is_excel_error(text):
            failed[pos] = False
            continue
        if text.endswith("%"):
            try:
                number = float(text[:-1])
            except ValueError:
                number = math.nan
            if not math.isnan(number):
                if percent:
                    num[pos], failed[pos] = number, False
                else:
                    log.error("unit", f"'{show(v)}' has a percent sign but {spec.label()} is "
                              f"measured in {spec.unit or 'plain numbers'}", where=at, column=col, indicator=spec.id,
                              value=v, **where)
                continue
        try:
            num[pos], failed[pos] = float(text), False
            continue
        except ValueError:
            pass
        log.error("non_numeric", f"'{show(v)}' is not a number; expected {_expected(spec)}", where=at, column=col,
                  indicator=spec.id, value=v, **where)
    return num, failed


# ------------------------------------------------------------------ checks

def _scale(item: Any) -> tuple[float, float] | None:
    cuts = [*(getattr(item, "cuts", None) or ()), *(getattr(item, "high_cuts", None) or ())]
    return (float(min(cuts)), float(max(cuts))) if cuts else None


def _check_units(spec: ColumnSpec, item: Any, column: Any, file_unit: str | None, values: np.ndarray,
                 source: str, log: _Log) -> None:
    declared = canonical_unit(spec.unit)
    where = f"{source}, column {column}"
    if file_unit:
        given = canonical_unit(file_unit)
        if given is None:
            log.add("unit", "warning", f"unit '{file_unit}' of column {column} is not one finstab knows; "
                    f"{spec.label()} is measured in {spec.unit or 'plain numbers'}", where=where,
                    indicator=spec.id, column=column, treatment="values taken as they are")
            warn(f"{where}: unit '{file_unit}' not recognised; {spec.label()} is measured in {spec.unit}",
                 DataQualityWarning)
        elif declared and given != declared:
            hint = {("decimal", "%"): "; multiply by 100", ("%", "decimal"): "; divide by 100",
                    ("%", "bp"): "; multiply by 100", ("bp", "%"): "; divide by 100"}.get((given, declared), "")
            log.error("unit", f"column {column} is in {file_unit} but {spec.label()} is measured in "
                      f"{spec.unit}{hint}", where=where, indicator=spec.id, column=column, value=file_unit)
            return
    scale = _scale(item)
    if declared not in ("%", "decimal", "ratio") or scale is None:
        return
    finite = values[np.isfinite(values)]
    if not finite.size:
        return
    lo, hi = scale
    margin = 0.2 * (hi - lo)
    outside = bool(np.all((finite < lo) | (finite > hi)))
    biggest = float(np.max(np.abs(finite)))

    def fit(factor: float) -> float:
        return float(np.mean((finite * factor >= lo - margin) & (finite * factor <= hi + margin)))

    if declared == "%" and biggest <= 1 and outside and fit(100) >= 0.8:
        detail = (f"every value of {spec.label()} lies between -1 and 1 (largest {biggest:g}) but it is measured "
                  f"in % on a scale of {scale[0]:g} to {scale[1]:g}: decimals such as 0.018 for 1.8 %? If so, "
                  "multiply the column by 100")
        log.add("unit", "warning", detail, where=where, indicator=spec.id, column=column,
                treatment="values taken as they are")
        warn(f"{where}: {detail}", DataQualityWarning)
    elif declared in ("decimal", "ratio") and outside and biggest > 1.5 and fit(0.01) >= 0.8:
        detail = (f"every value of {spec.label()} is above 1.5 (smallest {float(np.min(np.abs(finite))):g}) but it "
                  f"is measured as a {declared} on a scale of {scale[0]:g} to {scale[1]:g}: percentages? If so, "
                  "divide the column by 100")
        log.add("unit", "warning", detail, where=where, indicator=spec.id, column=column,
                treatment="values taken as they are")
        warn(f"{where}: {detail}", DataQualityWarning)


def _in_file_order(cells: np.ndarray, file_rows: np.ndarray | None) -> np.ndarray:
    """Row positions (or (row, column) pairs) ordered by the rows of the file they came from:
    findings are reported top to bottom, whatever order the panel's rows are in."""
    if file_rows is None or len(cells) < 2:
        return cells
    if cells.ndim == 1:
        return cells[np.argsort(file_rows[cells], kind="stable")]
    return cells[np.lexsort((cells[:, 1], file_rows[cells[:, 0]]))]


def _check_range(spec: ColumnSpec, item: Any, values: np.ndarray, locate, log: _Log,
                 file_rows: np.ndarray | None = None) -> None:
    scale = _scale(item)
    if scale is None:
        return
    width = max(scale[1] - scale[0], abs(scale[0]), abs(scale[1]), 1e-12)
    lo, hi = scale[0] - FAR_OUTSIDE * width, scale[1] + FAR_OUTSIDE * width
    if values.size and np.fmin.reduce(values) >= lo and np.fmax.reduce(values) <= hi:  # NaN-blind; one pass each
        return
    far = np.isfinite(values) & ((values < lo) | (values > hi))
    for r in _in_file_order(np.flatnonzero(far), file_rows):
        v = float(values[r])
        where, fields = locate(int(r))
        if abs(v) > IMPLAUSIBLE * width + max(abs(scale[0]), abs(scale[1])):
            log.error("out_of_range", f"{show(v)} is not a plausible value of {spec.label()} (its scoring scale runs "
                      f"from {scale[0]:g} to {scale[1]:g})", where=where, indicator=spec.id, value=v, **fields)
            continue
        log.add("out_of_range", "warning", f"{show(v)} lies far outside the scoring scale of {spec.label()} "
                f"({scale[0]:g} to {scale[1]:g})", where=where, indicator=spec.id, value=v,
                treatment="kept; scored as the end of the scale", **fields)
    n = int(far.sum())
    if n:
        warn(f"{n} value(s) of {spec.label()} lie far outside its scoring scale ({scale[0]:g} to {scale[1]:g}); "
             "see the data-quality table", DataQualityWarning)


# ------------------------------------------------------------------ build

def _notes(df: pd.DataFrame, col: Any) -> tuple[str, ...]:
    if col is None:
        return ()
    return tuple(sorted({str(s) for s in df[col].dropna().unique() if str(s).strip()}))


def _build(df: pd.DataFrame, indicators: Sequence[Any], entity: str, period: str, missing: str,
           log: _Log) -> Panel:
    check_option(missing, ("error", "allow"), "missing")
    source = _source(df)
    items = list(indicators)
    specs = [ColumnSpec.of(i) for i in items]
    ids = [s.id for s in specs]
    if len(set(ids)) != len(ids):
        raise DataError("indicator ids repeat", where="indicators")
    df = df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 else df
    ent_col = _key_column(df, entity, _ENTITY_ROLES.get(entity, ()), "region" if entity == "region" else entity,
                          log)
    per_cols = _period_columns(df, period, log, [ent_col])
    keys_taken = [ent_col, *per_cols]
    others = [c for c in df.columns if c not in keys_taken]
    ind_col = next((c for c in others if c == "indicator"), None) or \
        next(iter(c for c in find_keys(others, "indicator")), None)
    val_col = next((c for c in others if c == "value"), None) or next(iter(find_keys(others, "value")), None)
    src_col = next((c for c in others if c == "source"), None) or next(iter(find_keys(others, "source")), None)
    is_long = ind_col is not None and val_col is not None
    if len(df) == 0:
        log.error("empty", "the table has no rows", where=source, fatal=True)
    regions, blank, region_ranks = _entities(df, ent_col, log)
    if blank.any():  # collecting mode: check the other rows
        df, regions, region_ranks = _subset(df, ~blank), regions[~blank].reset_index(drop=True), region_ranks[~blank]
        if not len(df):
            raise _Stop
    periods = _periods(df, per_cols, log)
    labels = periods.as_series(df.index)
    if is_long:
        keys, values, refused, locate, header = _long(df, specs, ind_col, val_col, regions, labels, log)
        file_rows = None  # rows in order of first appearance already
    else:
        order = np.lexsort((periods.codes, region_ranks))  # by region, then period; stable
        key_codes = region_ranks[order].astype(np.int64) * len(periods.distinct) + periods.codes[order]
        keys, values, refused, locate, header, file_rows = _wide(df, specs, [*keys_taken, src_col], regions, labels,
                                                                 order, key_codes, log)
    _check_cells(keys, values, refused, specs, locate, log, missing, source, file_rows)
    unit_col = next(iter(c for c in others if is_named(c, UNIT_NAMES)), None) if is_long else None
    for k, spec in enumerate(specs):
        if header[k] is None:
            continue
        if is_long:
            unit = _long_unit(df, ind_col, unit_col, header[k], spec, log)
            column = f"{ind_col} = {header[k]}"
        else:
            unit = df.attrs.get("units", {}).get(header[k]) or header.units.get(spec.id)
            column = header[k]
        _check_units(spec, items[k], column, unit, values[:, k], source, log)
        _check_range(spec, items[k], values[:, k], lambda r, k=k: locate(r, k), log, file_rows)
    if is_long:
        order = keys.sort_values(["region", "period"], kind="stable").index
        if not order.is_monotonic_increasing:
            keys, values = keys.iloc[order].reset_index(drop=True), _take_rows(values, order.to_numpy())
    return Panel(keys, values, tuple(ids), _notes(df, src_col), log.frame(), periods.frequency,
                 tuple(s.unit for s in specs))


UNIT_NAMES = ("unit", "units", "单位", "计量单位")


def _long_unit(df: pd.DataFrame, ind_col: Any, unit_col: Any, name: Any, spec: ColumnSpec, log: _Log) -> str | None:
    """The one unit a long table gives an indicator in its unit column (None without one)."""
    if unit_col is None:
        return None
    units = df.loc[df[ind_col].map(show) == show(name), unit_col].dropna().map(show)
    units = units[units.str.len() > 0]
    kinds = {canonical_unit(u) or u for u in units}
    if len(kinds) > 1:
        log.error("unit", f"indicator {name} is given in several units ({', '.join(sorted(set(units)))}); use one",
                  where=f"{_source(df)}, column {unit_col}", indicator=spec.id, column=unit_col)
        return None
    return units.iloc[0] if len(units) else None


class _Headers(list):
    """Original headers of the indicator columns, with the units written in them."""

    units: dict[str, str]


def _take_rows(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``values[order]`` as a column-major matrix, gathered column by column."""
    out = np.empty((len(order), values.shape[1]), order="F")
    for k in range(values.shape[1]):
        np.take(values[:, k], order, out=out[:, k])
    return out


def _wide(df: pd.DataFrame, specs: list[ColumnSpec], taken: list[Any], regions: pd.Series, labels: pd.Series,
          order: np.ndarray, key_codes: np.ndarray, log: _Log):
    """Keys, values (column-major) and refused cells in ``order`` (rows sorted by ``key_codes``)."""
    source = _source(df)
    candidates = [c for c in df.columns if c not in taken and c is not None]
    match = match_columns(candidates, specs, where=source)
    absent = [s.id for s in specs if s.id not in match.columns]
    if absent:
        log.error("missing_column", missing_message(specs, absent, match.unmatched, "indicator column(s)"),
                  where=source, fatal=not match.columns)
    for col in match.unmatched:
        log.add("ignored_column", "info", f"column {col} is not an indicator of the system", where=source,
                column=col, treatment="not used")
    keys = pd.DataFrame({"region": regions.to_numpy(dtype=object)[order], "period": labels.to_numpy()[order]})
    values = np.full((len(df), len(specs)), np.nan, order="F")
    refused = np.zeros(values.shape, dtype=bool, order="F")
    pair = (regions, labels)
    for k, s in enumerate(specs):
        col = match.columns.get(s.id)
        if col is not None:
            numbers, failed = _numbers(df, col, s, log, pair)
            np.take(numbers, order, out=values[:, k])
            if failed.any():
                refused[:, k] = failed[order]
    header = _Headers(match.columns.get(s.id) for s in specs)
    header.units = match.header_units
    rows = order
    repeats = key_codes[1:] == key_codes[:-1]
    if repeats.any():
        dup = np.r_[repeats, False] | np.r_[False, repeats]
        keys, values, refused, rows = _drop_duplicate_rows(df, keys, values, refused, rows, key_codes, dup, log)

    def locate(r: int, k: int | None = None) -> tuple[str, dict[str, Any]]:
        col = header[k] if k is not None else None
        return _at(df, int(rows[r]), col), {"region": keys["region"].iloc[r], "period": keys["period"].iloc[r],
                                           "column": col or ""}

    return keys, values, refused, locate, header, rows


def _drop_duplicate_rows(df: pd.DataFrame, keys: pd.DataFrame, values: np.ndarray, refused: np.ndarray,
                         rows: np.ndarray, key_codes: np.ndarray, dup: np.ndarray, log: _Log):
    """Drop repeated keys (sorted, stable: a key's first position holds its first row of ``df``),
    reported in file order; ``rows`` maps each position to its row of ``df``."""
    drop = np.zeros(len(keys), dtype=bool)
    at = np.flatnonzero(dup)
    repeated = pd.DataFrame({"key": key_codes[at], "pos": at, "row": rows[at]}).sort_values("row", kind="stable")
    for _, group in repeated.groupby("key", sort=False):
        (first, first_row), *rest = zip(group["pos"], group["row"], strict=True)
        for pos, row in rest:
            same = np.array_equal(values[first], values[pos], equal_nan=True)
            region, period = keys["region"].iloc[pos], keys["period"].iloc[pos]
            if same:
                log.add("duplicate", "warning", f"{show(region)} {show(period)} appears again with the same values "
                        f"(also {row_number(df, first_row)})", where=_at(df, row), region=region, period=period,
                        treatment="repeat dropped")
                warn(f"{_at(df, row)}: {show(region)} {show(period)} repeats {row_number(df, first_row)} with the "
                     "same values; the repeat is dropped", DataQualityWarning)
            else:
                log.error("duplicate", f"{show(region)} {show(period)} appears twice ({row_number(df, first_row)} "
                          f"and {row_number(df, row)}) with different values; keep one", where=_at(df, row),
                          region=region, period=period)
            drop[pos] = True
    keep = ~drop
    return keys[keep].reset_index(drop=True), np.asfortranarray(values[keep]), refused[keep], rows[keep]


def _long(df: pd.DataFrame, specs: list[ColumnSpec], ind_col: Any, val_col: Any, regions: pd.Series,
          labels: pd.Series, log: _Log):
    source = _source(df)
    names = df[ind_col]
    blank = names.isna().to_numpy() | (names.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        pos = int(np.flatnonzero(blank)[0])
        log.error("blank_key", f"column {ind_col}: the indicator is empty", where=_at(df, pos))
    codes, uniques = pd.factorize(names.where(~blank, None), use_na_sentinel=True)
    match = match_columns([show(u) for u in uniques], specs, where=f"{source}, column {ind_col}")
    to_spec = {s.id: k for k, s in enumerate(specs)}
    by_name = {name: to_spec[sid] for sid, name in match.columns.items()}
    ind_of_unique = np.array([by_name.get(show(u), -1) for u in uniques], dtype=np.int64)
    ind = np.where(codes >= 0, ind_of_unique[np.maximum(codes, 0)] if len(uniques) else -1, -1)
    for name in match.unmatched:
        log.add("ignored_indicator", "info", f"indicator {name} is not in the system", where=source,
                indicator=str(name), treatment="rows not used")
    absent = [s.id for s in specs if s.id not in match.columns]
    if absent:
        log.error("missing_column", missing_message(specs, absent, match.unmatched, "indicator value(s)"),
                  where=source, fatal=not match.columns)
    key_frame = pd.DataFrame({"region": regions.to_numpy(dtype=object), "period": labels.to_numpy()})
    key_codes, key_uniques = pd.factorize(pd.MultiIndex.from_frame(key_frame))
    n_keys, n_ind = len(key_uniques), len(specs)
    keep = np.flatnonzero(ind >= 0)
    values = np.full((n_keys, n_ind), np.nan, order="F")
    cell_row = np.full((n_keys, n_ind), -1, dtype=np.int64)
    numbers = np.full(len(df), np.nan)
    failed = np.zeros(len(df), dtype=bool)
    for k, s in enumerate(specs):
        sel = keep[ind[keep] == k]
        if sel.size:
            numbers[sel], failed[sel] = _numbers(df, val_col, s, log, (regions.iloc[sel], labels.iloc[sel]), rows=sel)
    flat = key_codes[keep] * n_ind + ind[keep]
    repeat = pd.Series(flat).duplicated(keep="first").to_numpy()
    if repeat.any():
        first_of = pd.Series(np.arange(len(flat))).groupby(flat).transform("first").to_numpy()
        for j in np.flatnonzero(repeat):
            a, b = int(keep[first_of[j]]), int(keep[j])
            region, period, name = regions.iloc[b], labels.iloc[b], specs[int(ind[b])]
            fields = {"region": region, "period": period, "indicator": name.id}
            if numbers[a] == numbers[b] or (np.isnan(numbers[a]) and np.isnan(numbers[b])):
                log.add("duplicate", "warning", f"{show(region)} {show(period)} {name.label()} appears again with the "
                        f"same value (also {row_number(df, a)})", where=_at(df, b), value=numbers[b],
                        treatment="repeat dropped", **fields)
                warn(f"{_at(df, b)}: {show(region)} {show(period)} {name.id} repeats {row_number(df, a)} with the "
                     "same value; the repeat is dropped", DataQualityWarning)
            else:
                log.error("duplicate", f"{show(region)} {show(period)} {name.label()} has two values "
                          f"({row_number(df, a)}: {show(numbers[a])}, {row_number(df, b)}: {show(numbers[b])}); "
                          "keep one", where=_at(df, b), **fields)
    kept = keep[~repeat]
    kc, ki = key_codes[kept], ind[kept]
    values[kc, ki] = numbers[kept]
    refused = np.zeros_like(values, dtype=bool)
    refused[kc, ki] = failed[kept]
    cell_row[kc, ki] = kept
    first_row = np.full(n_keys, len(df), dtype=np.int64)
    np.minimum.at(first_row, key_codes, np.arange(len(df)))
    keys = pd.DataFrame({"region": key_uniques.get_level_values(0).to_numpy(dtype=object),
                         "period": key_uniques.get_level_values(1).to_numpy()})
    if labels.dtype == np.int64:
        keys["period"] = keys["period"].astype(np.int64)

    def locate(r: int, k: int | None = None) -> tuple[str, dict[str, Any]]:
        row = int(cell_row[r, k]) if k is not None and cell_row[r, k] >= 0 else int(first_row[r])
        return _at(df, row), {"region": keys["region"].iloc[r], "period": keys["period"].iloc[r]}

    header = _Headers(match.columns.get(s.id) for s in specs)
    header.units = {}
    return keys, values, refused, locate, header


def _check_cells(keys: pd.DataFrame, values: np.ndarray, refused: np.ndarray, specs: list[ColumnSpec], locate,
                 log: _Log, missing: str, source: str, file_rows: np.ndarray | None = None) -> None:
    if values.size and np.isfinite(np.min(values)) and np.isfinite(np.max(values)):  # NaN and inf propagate
        return
    inf = np.isinf(values)
    for r, k in _in_file_order(np.argwhere(inf), file_rows):
        where, fields = locate(int(r), int(k))
        log.error("non_finite", f"{'infinite' if values[r, k] > 0 else 'minus infinite'} value for indicator "
                  f"'{specs[k].id}' ({specs[k].name_zh}) at {show(fields['region'])} {show(fields['period'])}: "
                  "not a finite number", where=where, indicator=specs[k].id, value=values[r, k],
                  **{f: fields[f] for f in ("region", "period")})
        values[r, k] = np.nan
        refused[r, k] = True
    empty = np.isnan(values)
    whole = _in_file_order(np.flatnonzero(empty.all(axis=1) & ~refused.any(axis=1)), file_rows)
    for r in whole:
        where, fields = locate(int(r))
        log.error("empty_row", f"{show(fields['region'])} {show(fields['period'])} has no value for any indicator; "
                  "fill it or remove the row", where=where, region=fields["region"], period=fields["period"])
    cells = _in_file_order(np.argwhere(empty & ~refused & ~empty.all(axis=1)[:, None]), file_rows)
    if not cells.size:
        return
    if missing == "error":
        for r, k in cells[:1] if log.strict else cells:
            where, fields = locate(int(r), int(k))
            log.error("missing", f"no value for indicator '{specs[k].id}' ({specs[k].name_zh}) at "
                      f"{show(fields['region'])} {show(fields['period'])}", where=where, indicator=specs[k].id,
                      **{f: fields[f] for f in ("region", "period")})
        return
    for r, k in cells:
        where, fields = locate(int(r), int(k))
        log.add("missing", "warning", f"no value for {specs[k].label()}", where=where, indicator=specs[k].id,
                treatment=MISSING_TREATMENT["allow"], **{f: fields[f] for f in ("region", "period")})
    shown = "; ".join(f"{show(keys['region'].iloc[r])} {show(keys['period'].iloc[r])} {specs[k].id}"
                      for r, k in cells[:5])
    more = f" and {len(cells) - 5} more" if len(cells) > 5 else ""
    warn(f"{source}: {len(cells)} empty cell(s) left empty, their indicators dropped out of the weights: "
         f"{shown}{more}", DataQualityWarning)


def build_panel(df: pd.DataFrame, indicators: Sequence[Any], *, entity: str = "region",
                period: str = "period", missing: str = "error") -> Panel:
    """Check a long (region, period, indicator, value) or wide table into a :class:`Panel`.

    Parameters
    ----------
    df
        The table, as read by :func:`finstab.core.io.read_table` (so that messages name the
        file's rows) or built in memory. Long form has an indicator column (``indicator``,
        ``指标``) and a value column (``value``, ``数值``); wide form one column per
        indicator. An optional ``source`` (``数据来源``) column is kept as data notes.
    indicators
        What the system needs, in order: the system's indicators (anything with ``id``,
        ``name_zh``, ``name_en``, ``unit`` and, for range and unit checks, ``cuts``) or plain
        ids. Columns match by id or either name, ignoring case, spaces, full-width forms and a
        trailing unit in brackets.
    entity, period
        The key columns; if absent, a column with a usual name is used (地区, 省份, 区县,
        region, province, 银行, bank / 年份, 季度, 月份, 日期, period, date; or a year column
        beside a quarter or month column).
    missing
        ``"error"``: an empty cell is an error; ``"allow"``: it stays NaN and is listed in
        ``quality``. A row with no value at all is an error either way.

    Returns
    -------
    Panel
        Keys sorted by region and period; periods as canonical labels (``2021``,
        ``"2021Q1"``, ``"2021-03"``); ``quality`` lists what was not taken as it stood.

    Raises
    ------
    DataError
        Naming the file, row and column: a missing key or indicator column, a blank region,
        a cell that is not a number or a period, mixed frequencies, conflicting duplicates,
        infinite or implausible values, a unit written in the file that contradicts the
        indicator's.

    Examples
    --------
    >>> from finstab.core.columns import ColumnSpec
    >>> df = pd.DataFrame({"地区": ["博山区", "博山区"], "年份": ["2021年", "2022年"],
    ...                    "不良贷款率（%）": [1.8, "2.1"]})
    >>> p = build_panel(df, [ColumnSpec("npl", "不良贷款率", "NPL ratio", unit="%")])
    >>> p.keys.to_dict("list"), p.values.ravel().tolist(), p.frequency
    ({'region': ['博山区', '博山区'], 'period': [2021, 2022]}, [1.8, 2.1], 'year')
    """
    return _build(df, indicators, entity, period, missing, _Log(strict=True))


def data_quality(df: pd.DataFrame, indicators: Sequence[Any], *, entity: str = "region", period: str = "period",
                 missing: str = "allow") -> pd.DataFrame:
    """Every data-quality finding of a table, errors included, without raising.

    The same checks as :func:`build_panel` (which returns the findings of a table that
    passes as ``panel.quality``), but errors become rows of severity ``"error"`` and checking
    goes on where it can: an upload can show all its problems at once.

    Returns
    -------
    pandas.DataFrame
        Columns ``check`` (missing, duplicate, out_of_range, unit, non_numeric, non_finite,
        empty_row, blank_key, period, key, missing_column, ignored_column, ignored_indicator),
        ``severity`` (error, warning, info), ``where`` (file and row), ``region``, ``period``,
        ``indicator``, ``column``, ``value``, ``detail`` and ``treatment``.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["A", "A", ""], "period": [2021, 2022, 2022], "x": [1.0, "abc", 2.0]})
    >>> data_quality(df, ["x"])[["check", "where"]].to_numpy().tolist()
    [['blank_key', 'data row 3 of the table'], ['non_numeric', 'data row 2 of the table, column x']]
    """
    log = _Log(strict=False)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            _build(df, indicators, entity, period, missing, log)
        except _Stop:
            pass
    return log.frame()
