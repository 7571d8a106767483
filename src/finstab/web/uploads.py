"""Uploaded panels: parsed from memory with row, column and cell limits, then validated with
the checks the monitor pipeline applies (the same messages as the CLI).

Parsing is synchronous and meant to run in a worker thread (see :func:`finstab.web.app.create_app`).
Every failure is a :class:`~finstab.core.errors.DataError`; limits raise :class:`TooLarge`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from finstab.core.errors import DataError
from finstab.core.io import CSV_ROW_OFFSET
from finstab.core.validate import require_columns
from finstab.monitor.panel import LONG_COLUMNS, build_panel

KEY_COLUMNS = ("region", "period")
LABEL_COLUMNS = ("source",)


class TooLarge(DataError):
    """An upload beyond the row, column, cell or unpacked-size limits."""


@dataclass(frozen=True)
class Limits:
    """What one upload may hold."""

    rows: int = 100_000
    columns: int = 500
    cells: int = 2_000_000
    unpacked_bytes: int = 200 * 1024 * 1024  # total size of an .xlsx's parts once unzipped


def parse_upload(data: bytes, suffix: str, name: str, limits: Limits = Limits()) -> pd.DataFrame:
    """Parse an uploaded ``.csv`` or ``.xlsx`` held in memory into a frame.

    Examples
    --------
    >>> parse_upload(b"region,period,x\\nA,2020,1.5\\n", ".csv", "p.csv").to_dict("records")
    [{'region': 'A', 'period': 2020, 'x': 1.5}]
    >>> parse_upload(b"PK\\x03\\x04 truncated", ".xlsx", "p.xlsx")
    Traceback (most recent call last):
    ...
    finstab.core.errors.DataError: p.xlsx: not a readable .xlsx workbook (damaged or truncated file)
    """
    frame = _read_csv(data, name, limits) if suffix == ".csv" else _read_xlsx(data, name, limits)
    frame.columns = [str(c).strip() for c in frame.columns]
    seen: set[str] = set()
    for c in frame.columns:
        if c in seen:
            raise DataError(f"column {c!r} appears twice", where=name)
        seen.add(c)
    if len(frame.columns) > limits.columns:
        raise TooLarge(f"{len(frame.columns)} columns; at most {limits.columns}", where=name)
    if len(frame) > limits.rows or frame.size > limits.cells:
        raise TooLarge(f"more than {limits.rows:,} rows or {limits.cells:,} cells", where=name)
    frame.attrs.update(source=name, row_offset=CSV_ROW_OFFSET)
    return frame


def _read_csv(data: bytes, name: str, limits: Limits) -> pd.DataFrame:
    if b"\x00" in data[:65536]:
        raise DataError("a binary file, not CSV text", where=name)
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese spreadsheets often save CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly every byte string
        raise DataError("not UTF-8 or GBK text", where=name)
    try:
        return pd.read_csv(io.StringIO(text), comment="#", skipinitialspace=True, nrows=limits.rows + 1,
                           low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError("no columns: the file is empty", where=name) from None
    except Exception as exc:  # the parser's own errors, whatever their class: one clear line
        raise DataError(f"cannot read as CSV: {_first_line(exc)}", where=name) from None


def _read_xlsx(data: bytes, name: str, limits: Limits) -> pd.DataFrame:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DataError("not a readable .xlsx workbook (damaged or truncated file)", where=name) from None
    if sum(m.file_size for m in members) > limits.unpacked_bytes:
        raise TooLarge(f"unpacks to more than {limits.unpacked_bytes // 2**20} MB", where=name)
    for m in members:
        if m.filename.endswith((".xml", ".rels")):
            try:
                with archive.open(m) as fh:
                    head = fh.read(4096)
            except Exception:
                raise DataError("not a readable .xlsx workbook (damaged or truncated file)", where=name) from None
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise DataError("the workbook declares XML entities, which spreadsheets never need; refused",
                                where=name)
        if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml"):
            _count_sheet(archive, m, name, limits)  # fast refusal before the slow XML parser
    from openpyxl import load_workbook

    rows: list[tuple] = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not book.worksheets:
                raise DataError("the workbook has no worksheet", where=name)
            seen = 0
            for row in book.worksheets[0].iter_rows(values_only=True):
                seen += 1  # empty rows count too: a hostile sheet may declare millions of them
                if len(row) > limits.columns or seen > limits.rows + 1 or seen * len(row) > limits.cells + len(row):
                    raise TooLarge(f"more than {limits.rows:,} rows, {limits.columns:,} columns or "
                                   f"{limits.cells:,} cells", where=name)
                if rows or any(v is not None for v in row):
                    rows.append(row)
        finally:
            book.close()
    except DataError:
        raise
    except Exception as exc:  # zip, XML and openpyxl errors of a damaged or hostile file
        raise DataError(f"not a readable .xlsx workbook: {_first_line(exc)}", where=name) from None
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if not rows:
        raise DataError("the first sheet is empty", where=name)
    header = [("" if v is None else v) for v in rows[0]]
    body = [tuple(r) + (None,) * (len(header) - len(r)) for r in rows[1:]]
    frame = pd.DataFrame([r[: len(header)] for r in body], columns=[str(h) for h in header])
    return frame.infer_objects()


def _count_sheet(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, limits: Limits) -> None:
    """Count a worksheet's rows and cells by scanning its XML bytes (much faster than parsing it)."""
    rows = cells = 0
    tail = b""
    try:
        with archive.open(member) as fh:
            while chunk := fh.read(1 << 20):
                text = tail + chunk
                rows += text.count(b"<row ") + text.count(b"<row>")
                cells += text.count(b"<c ") + text.count(b"<c>")
                tail = text[-5:]
                rows -= tail.count(b"<row ") + tail.count(b"<row>")  # counted again with the next chunk
                cells -= tail.count(b"<c ") + tail.count(b"<c>")
    except Exception:
        raise DataError("not a readable .xlsx workbook (damaged or truncated file)", where=name) from None
    rows += tail.count(b"<row ") + tail.count(b"<row>")
    cells += tail.count(b"<c ") + tail.count(b"<c>")
    if rows > limits.rows + 1 or cells > limits.cells:
        raise TooLarge(f"more than {limits.rows:,} rows or {limits.cells:,} cells", where=name)


def validate_panel(frame: pd.DataFrame) -> pd.DataFrame:
    """Check an uploaded panel as the monitor pipeline will: keys present and not blank, every
    indicator value a finite number, no duplicate (region, period[, indicator]).

    A long table (``indicator``, ``value``) is checked for every indicator it names; a wide
    table for every column holding at least one number (a column of text only, such as a
    name or a note, is kept as a label).

    Examples
    --------
    >>> bad = pd.DataFrame({"region": ["A", "A"], "period": [2020, 2020], "x": [1.0, 2.0]})
    >>> validate_panel(bad)
    Traceback (most recent call last):
    ...
    finstab.core.errors.DataError: data row 3: duplicate row for ('A', 2020)
    """
    source = frame.attrs.get("source", "data")
    require_columns(frame.columns, KEY_COLUMNS, source)
    if frame.empty:
        raise DataError("no data rows", where=source)
    for key in KEY_COLUMNS:
        blank = frame[key].isna().to_numpy() | (frame[key].astype(str).str.strip() == "").to_numpy()
        if blank.any():
            pos = int(np.flatnonzero(blank)[0])
            raise DataError(f"blank {key}", where=f"{source} row {pos + frame.attrs.get('row_offset', 2)}")
    if all(c in frame.columns for c in LONG_COLUMNS):
        names = frame["indicator"]
        blank = names.isna().to_numpy() | (names.astype(str).str.strip() == "").to_numpy()
        if blank.any():
            pos = int(np.flatnonzero(blank)[0])
            raise DataError("blank indicator", where=f"{source} row {pos + frame.attrs.get('row_offset', 2)}")
        indicators = list(dict.fromkeys(str(v) for v in names))
        frame = frame.assign(indicator=names.astype(str))
    else:
        indicators = [c for c in frame.columns if c not in (*KEY_COLUMNS, *LABEL_COLUMNS) and _has_numbers(frame[c])]
    build_panel(frame, _preset_indicators(indicators), missing="error")
    return frame


def _preset_indicators(ids: list[str]) -> list:
    """The indicators of the shipped preset that has exactly these ids (so messages name them as the CLI
    does), or the ids themselves."""
    from finstab.monitor.systems import available_presets, load_system

    for name in available_presets():
        indicators = load_system(name).tree.indicators
        if {i.id for i in indicators} == set(ids):
            return list(indicators)
    return ids


def _has_numbers(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column) or not column.notna().any():
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    return bool(pd.to_numeric(column, errors="coerce").notna().any())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:200]
