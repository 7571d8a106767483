"""Readers and writers: CSV / Excel in, atomic CSV / Excel / text out.

Reading takes tables as analysts have them: UTF-8 (with or without BOM) or GBK/GB18030 CSV,
``.xlsx`` workbooks, and the export layouts of Wind, Choice and iFinD (title rows above the
header, a unit row and other labelled rows below it, a ``数据来源`` footer). Workbooks are
checked before they are parsed (damaged or truncated archives, XML with a DOCTYPE such as an
entity bomb, archives that unpack to too much) and read with row and cell limits.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finstab.core.columns import canonical_unit, normalise
from finstab.core.errors import DataError, FinstabError, InputError
from finstab.core.periods import parse_token, show
from finstab.core.warnings import DataQualityWarning, warn

READERS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "excel", ".xlsm": "excel"}
OLD_FORMATS = {".xls": "Excel 97-2003 (.xls)", ".et": "WPS (.et)", ".ods": "OpenDocument (.ods)"}
#: CSV rows are numbered as a spreadsheet shows them: header on line 1.
CSV_ROW_OFFSET = 2
#: Default limits: rows of data and cells (rows x columns) one table may have.
MAX_ROWS = 2_000_000
MAX_CELLS = 50_000_000
#: A workbook may unpack to at most this many bytes, its shared strings to at most the second.
MAX_XLSX_BYTES = 2 * 1024**3
MAX_XLSX_STRINGS_BYTES = 256 * 1024**2
#: The XML prolog (declaration, comments) of a workbook part must end within this many bytes.
XML_PROLOG_BYTES = 64 * 1024
#: Rows read to find the header and the rows under it; rows read from the end to find a footer.
HEAD_ROWS = 60
TAIL_ROWS = 20

#: First cells of the labelled rows that export tools put under the header (Wind, Choice, iFinD).
META_LABELS = {normalise(x): key for key, names in {
    "unit": ("单位", "unit", "units", "计量单位"),
    "frequency": ("频率", "frequency", "freq"),
    "code": ("指标ID", "指标代码", "指标编码", "代码", "code", "id", "wind代码", "证券代码"),
    "source": ("来源", "数据来源", "资料来源", "source"),
    "updated": ("更新时间", "更新日期", "updatetime", "lastupdate", "updated"),
    "note": ("备注", "说明", "注释", "note", "notes", "remark"),
    "range": ("时间区间", "起始日期", "截止日期", "数据区间"),
}.items() for x in names}
#: A row at the end starting with one of these is a footer, not data.
FOOTER_PREFIXES = tuple(normalise(x) for x in (
    "数据来源", "资料来源", "来源:", "来源：", "source:", "sources:", "数据来源于", "注:", "注：", "注1", "注 1",
    "注释", "note:", "notes:", "说明:", "说明：", "制表", "wind", "choice", "ifind", "同花顺", "东方财富", "万得"))
#: Wind-style headers put the dates under a column headed like this.
DATE_COLUMN_HEADERS = {normalise(x) for x in ("指标名称", "指标", "名称", "indicatorname", "indicator name")}
#: Sheets skipped when no sheet is named: instructions and hidden lists of a template.
SKIPPED_SHEETS = ("说明", "instruction", "readme", "read me", "_lists", "lists")
#: Cells that mean "no value" in exported tables.
MISSING_MARKERS = {"", "-", "--", "---", "—", "——", "…", "...", "na", "n/a", "nan", "null", "none", "无", "暂无",
                   "缺失", "空", "#n/a"}


def read_table(path: str | Path, sheet: str | int | None = None, *, encoding: str | None = None,
               table: str | None = None, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS) -> pd.DataFrame:
    """Read a CSV or an Excel sheet as analysts and export tools write them.

    Parameters
    ----------
    path
        ``.csv`` (also ``.txt``/``.tsv``) or ``.xlsx``/``.xlsm``.
    sheet
        Excel: a sheet name or 0-based index. Default: the sheet named ``table`` if there is
        one, else the first sheet that is not an instructions sheet.
    encoding
        CSV: the text encoding. Default: detected (UTF-8 with or without BOM, UTF-16 with BOM,
        else GB18030, which reads GBK and GB2312).
    table
        The table wanted (``"banks"``, ``"edges"``, ...): picks the sheet of that name.
    max_rows, max_cells
        Limits on data rows and on cells; a larger table is a clear error, not a long wait.

    Returns
    -------
    pandas.DataFrame
        Header and data rows only: title rows, unit rows and footers are removed. ``attrs``
        carry ``source`` (the file, and the sheet of a workbook with several), ``rows`` (the
        row number a person sees in the file for every row), ``units`` (column -> unit of a
        unit row), ``title``, ``footer``, ``meta`` and ``encoding``.

    Raises
    ------
    DataError
        The file is missing, of an unsupported type, damaged, not decodable, too large, or
        holds no table; the message names the file and what was expected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "panel.csv"
    >>> _ = f.write_bytes("淄博市金融指标\\n地区,年份,不良贷款率\\n单位,,%\\n博山区,2022年,1.8\\n数据来源：Wind\\n"
    ...                   .encode("gbk"))
    >>> df = read_table(f)
    >>> df.to_dict("list"), df.attrs["units"], df.attrs["encoding"], describe_row(df, 0).endswith('panel.csv row 4')
    ({'地区': ['博山区'], '年份': ['2022年'], '不良贷款率': [1.8]}, {'不良贷款率': '%'}, 'gb18030', True)
    """
    p = Path(path)
    if not p.is_file():
        raise DataError("file not found" if not p.exists() else "not a file", where=str(p))
    suffix = p.suffix.lower()
    if suffix in OLD_FORMATS:
        raise DataError(f"{OLD_FORMATS[suffix]} files cannot be read; save the sheet as .xlsx or .csv (UTF-8) "
                        "and read that", where=str(p))
    kind = READERS.get(suffix)
    if kind is None:
        raise DataError(f"unsupported file type '{p.suffix or '(none)'}'; expected .csv or .xlsx", where=str(p))
    for name, limit in (("max_rows", max_rows), ("max_cells", max_cells)):
        if not isinstance(limit, int | np.integer) or limit < 1:
            raise InputError(f"{show(limit)} is not a positive whole number", where=name)
    if kind == "csv":
        return _read_csv(p, encoding, max_rows, max_cells)
    if encoding is not None:
        _known_encoding(encoding)  # a workbook knows its own encoding; still refuse a misspelt name
    return _read_excel(p, sheet, table, max_rows, max_cells)


def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        raise InputError(f"unknown text encoding '{name}'; e.g. utf-8, gbk, gb18030", where="encoding") from None
    return True


class RowNumbers:
    """The file row of every frame row: read-only, cheap to copy with ``DataFrame.attrs``."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[int] | np.ndarray) -> None:
        self._rows = np.asarray(rows, dtype=np.int64)
        self._rows.setflags(write=False)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, k: Any) -> Any:
        return self._rows[k]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RowNumbers) and (other is self or bool(np.array_equal(self._rows, other._rows)))

    def __hash__(self) -> int:
        return hash((len(self._rows), int(self._rows[0]) if len(self._rows) else 0))

    def __deepcopy__(self, memo: dict) -> RowNumbers:
        return self

    def __repr__(self) -> str:
        return f"RowNumbers({len(self)} rows)"

    def take(self, positions: Sequence[int] | np.ndarray) -> RowNumbers:
        """Row numbers of a subset of rows, in the order given."""
        return RowNumbers(self._rows[np.asarray(positions, dtype=np.int64)])


def row_number(df: pd.DataFrame, position: int) -> str:
    """'row 7': the row a person sees in the file for a positional row of a frame read by
    :func:`read_table` (title, unit and comment rows counted)."""
    rows = df.attrs.get("rows")
    if rows is not None and len(rows) == len(df) and 0 <= position < len(rows):
        return f"row {int(rows[position])}"
    offset = df.attrs.get("row_offset")
    if offset is None:
        return f"row {position + 1} of the table"
    return f"row {position + offset}"


def describe_row(df: pd.DataFrame, position: int) -> str:
    """'file.csv row 7' for a positional row of a frame read by :func:`read_table`."""
    return f"{df.attrs.get('source', 'data')} {row_number(df, position)}"


# --------------------------------------------------------------------------- layout

def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _numberlike(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float | np.integer | np.floating):
        return True
    if isinstance(v, str):
        try:
            float(unicodedata.normalize("NFKC", v).replace(",", "").strip().rstrip("%"))
        except ValueError:
            return False
        return True
    return False


def _filled(cells: Sequence[Any]) -> int:
    return sum(not _blank(c) for c in cells)


def _meta_label(cells: Sequence[Any]) -> str | None:
    first = cells[0] if len(cells) else None
    if not isinstance(first, str) or not first.strip():
        return None
    return META_LABELS.get(normalise(first).rstrip(":"))


def _unit_row(cells: Sequence[Any]) -> bool:
    filled = [c for c in cells if not _blank(c)]
    return bool(filled) and all(isinstance(c, str) and canonical_unit(c) for c in filled)


def _footer(cells: Sequence[Any]) -> bool:
    filled = [c for c in cells if not _blank(c)]
    if not filled or len(filled) > 2 or not isinstance(filled[0], str):
        return False
    return normalise(filled[0]).startswith(FOOTER_PREFIXES)


class _Layout:
    """Where the header is, which rows under it are labelled rows, how many footer rows."""

    def __init__(self, head: list[tuple[int, list[Any]]], tail: list[tuple[int, list[Any]]]) -> None:
        counts = [_filled(cells) for _, cells in head]
        widest = max(counts)
        need = 1 if widest <= 1 else max(2, math.ceil(0.6 * widest))
        self.header = next(k for k, n in enumerate(counts) if n >= need)
        self.title = [" ".join(show(c) for c in cells if not _blank(c)) for _, cells in head[:self.header]]
        self.header_cells = list(head[self.header][1])
        self.meta: dict[str, dict[int, Any]] = {}
        self.units: dict[int, str] = {}
        k = self.header + 1
        while k < len(head):
            cells = head[k][1]
            label = _meta_label(cells)
            if label is not None:
                values = {j: c for j, c in enumerate(cells) if j > 0 and not _blank(c)}
                self.meta[label] = values
                if label == "unit":
                    self.units.update({j: str(c).strip() for j, c in values.items()})
            elif _unit_row(cells) and not self.units:
                self.units.update({j: str(c).strip() for j, c in enumerate(cells) if not _blank(c)})
            else:
                break
            k += 1
        self.n_meta = k - self.header - 1
        self.footer: list[str] = []
        for _, cells in reversed(tail):
            if not _footer(cells):
                break
            self.footer.insert(0, " ".join(show(c) for c in cells if not _blank(c)))


def _column_letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _headers(cells: Sequence[Any], width: int, has_data: Callable[[int], bool]) -> list[str | None]:
    """Header names; ``None`` for an unnamed column without data (dropped)."""
    names: list[str | None] = []
    seen: dict[str, int] = {}
    for j in range(width):
        c = cells[j] if j < len(cells) else None
        if _blank(c):
            if not has_data(j):
                names.append(None)
                continue
            name = f"column {_column_letter(j)}"
        else:
            name = " ".join(show(c).split())
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _finish(df: pd.DataFrame, layout: _Layout, names: list[str | None], rows: np.ndarray | None,
            source: str, extra: dict[str, Any]) -> pd.DataFrame:
    keep = [j for j, n in enumerate(names) if n is not None]
    df = df.iloc[:, keep] if len(keep) != df.shape[1] else df
    df.columns = [names[j] for j in keep]
    units = {names[j]: u for j, u in layout.units.items() if j < len(names) and names[j] is not None}
    meta = {label: {names[j]: show(v) for j, v in values.items() if j < len(names) and names[j] is not None}
            for label, values in layout.meta.items()}
    for col in [c for c in df.columns if normalise(c) in DATE_COLUMN_HEADERS][:1]:
        sample = df[col].dropna().head(20)
        if len(sample) and "日期" not in df.columns and \
                sum(parse_token(v) is not None for v in sample) >= 0.8 * len(sample):
            df = df.rename(columns={col: "日期"})  # Wind/Choice/iFinD: the dates stand under 指标名称
    df = df.reset_index(drop=True)
    df.attrs.update(source=source, rows=None if rows is None else RowNumbers(rows), units=units, meta=meta,
                    title=layout.title, footer=layout.footer, **extra)
    if rows is None:
        df.attrs["row_offset"] = CSV_ROW_OFFSET
    return df


def _limits(n_rows: int, n_cols: int, max_rows: int, max_cells: int, where: str) -> None:
    if n_rows > max_rows:
        raise DataError(f"{n_rows:,} rows of data; the limit is {max_rows:,} (max_rows); split the table",
                        where=where)
    if n_rows * max(n_cols, 1) > max_cells:
        raise DataError(f"{n_rows:,} rows x {n_cols:,} columns; the limit is {max_cells:,} cells (max_cells); "
                        "split the table", where=where)


# --------------------------------------------------------------------------- CSV

def _decode(raw: bytes, encoding: str | None, where: str) -> tuple[str, str]:
    if encoding is not None:
        _known_encoding(encoding)
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise DataError(f"not valid {encoding}: {_byte_problem(raw, exc)}; check the encoding",
                            where=where) from None
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DataError(f"starts with a UTF-8 mark but is not UTF-8: {_byte_problem(raw, exc)}",
                            where=where) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DataError(f"not valid UTF-16: {_byte_problem(raw, exc)}", where=where) from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise DataError(f"cannot tell the text encoding: not UTF-8 ({_byte_problem(raw, utf8_error)}) and "
                            "not GBK/GB18030; save the file as CSV UTF-8 or give its encoding (encoding=...)",
                            where=where) from None


def _byte_problem(raw: bytes, exc: UnicodeDecodeError) -> str:
    line = raw.count(b"\n", 0, exc.start) + 1
    return f"byte 0x{raw[exc.start]:02x} on line {line}"


def _delimiter(lines: Sequence[str], suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    sample = "\n".join(lines[:10])
    if "," in sample or ("，" not in sample and "\t" not in sample and ";" not in sample):
        return ","
    for d in ("\t", ";", "，"):
        if d in sample:
            return d
    return ","


def _split(line: str, delim: str) -> list[str]:
    return next(csv.reader([line], delimiter=delim, skipinitialspace=True), [])


def _read_csv(p: Path, encoding: str | None, max_rows: int, max_cells: int) -> pd.DataFrame:
    where = str(p)
    text, used = _decode(p.read_bytes(), encoding, where)
    lines = text.split("\n")
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    delim = _delimiter([ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")], p.suffix.lower())
    empty_chars = delim + "\"' \t"
    content = [i for i, ln in enumerate(lines)
               if ln.strip(empty_chars) and not ln.lstrip("\ufeff \t").startswith("#")]
    if not content:
        raise DataError("the file holds no table (empty or only comment lines)", where=where)
    head = [(i + 1, _split(lines[i], delim)) for i in content[:HEAD_ROWS]]
    layout = _Layout(head, [(i + 1, _split(lines[i], delim)) for i in content[-TAIL_ROWS:]])
    start = layout.header + 1 + layout.n_meta
    stop = len(content) - len(layout.footer)
    if stop < start:  # the footer was found inside the header block: keep the rows
        layout.footer, stop = [], len(content)
    body = content[start:stop]
    width = max([len(layout.header_cells)] + [len(c) for _, c in head[start:]])
    _limits(len(body), width, max_rows, max_cells, where)
    try:
        df = pd.read_csv(io.StringIO("\n".join(lines[i] for i in body)), header=None, names=range(width),
                         sep=delim, skipinitialspace=True, index_col=False, engine="c")
    except pd.errors.ParserError as exc:
        raise DataError(_csv_problem(str(exc), body), where=where) from None
    except (ValueError, UnicodeError, MemoryError) as exc:
        raise DataError(f"cannot read as CSV: {exc}", where=where) from None
    rows = np.asarray(body, dtype=np.int64) + 1 if len(df) == len(body) else None
    names = _headers(layout.header_cells, width, lambda j: bool(df[j].notna().any()) if len(df) else False)
    return _finish(df, layout, names, rows, where, {"encoding": used})


def _csv_problem(message: str, body: Sequence[int]) -> str:
    import re

    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if m and 0 < int(m[2]) <= len(body):
        return f"row {body[int(m[2]) - 1] + 1} has {m[3]} cells; the header has {m[1]} (a comma inside a " \
               "value needs quotes)"
    return f"cannot read as CSV: {message.strip()}"


# --------------------------------------------------------------------------- Excel

def check_workbook(path: str | Path) -> None:
    """Refuse a workbook that is not a sound ``.xlsx`` archive before any XML is parsed.

    Checks: a readable zip with ``[Content_Types].xml``; at most :data:`MAX_XLSX_BYTES`
    unpacked (and :data:`MAX_XLSX_STRINGS_BYTES` of shared strings); no part with a DOCTYPE
    (entity expansion, external entities: Excel never writes one).

    Raises
    ------
    DataError
        Naming the file and the problem.
    """
    where = str(path)
    damaged = "is damaged, truncated or not an .xlsx workbook; open it in Excel and save it again as .xlsx"
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise DataError(f"the file {damaged}", where=where) from None
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise DataError(f"the file {damaged}", where=where)
        total = sum(i.file_size for i in infos)
        if total > MAX_XLSX_BYTES:
            raise DataError(f"the workbook unpacks to {total / 1024**2:,.0f} MB; the limit is "
                            f"{MAX_XLSX_BYTES / 1024**2:,.0f} MB", where=where)
        for info in infos:
            if info.filename.endswith("sharedStrings.xml") and info.file_size > MAX_XLSX_STRINGS_BYTES:
                raise DataError(f"the workbook's text cells take {info.file_size / 1024**2:,.0f} MB; the limit is "
                                f"{MAX_XLSX_STRINGS_BYTES / 1024**2:,.0f} MB", where=where)
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                try:
                    with zf.open(info) as fh:
                        head = fh.read(XML_PROLOG_BYTES)
                except Exception:
                    raise DataError(f"the file {damaged}", where=where) from None
                problem = _prolog_problem(head)
                if problem:
                    raise DataError(f"part {info.filename} {problem}; refusing to read it (a workbook saved by "
                                    "Excel or WPS never has one)", where=where)


def _prolog_problem(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
        elif text.startswith("<!", pos):
            return "declares a DOCTYPE or entities (an XML entity bomb or external entity)"
        else:
            return None
        if end < 0:
            break
        pos = end + 2
    if len(head) >= XML_PROLOG_BYTES:
        return f"has an XML prolog longer than {XML_PROLOG_BYTES // 1024} KB"
    return None


def _pick_sheet(names: list[str], sheet: str | int | None, table: str | None, where: str) -> str:
    listed = ", ".join(names)
    if isinstance(sheet, bool) or (sheet is not None and not isinstance(sheet, str | int | np.integer)):
        raise InputError(f"{show(sheet)} is not a sheet name or number", where="sheet")
    if isinstance(sheet, int | np.integer):
        if not 0 <= int(sheet) < len(names):
            raise DataError(f"no sheet number {int(sheet)} (counting from 0); the sheets are {listed}", where=where)
        return names[int(sheet)]
    if isinstance(sheet, str):
        if sheet in names:
            return sheet
        hits = [n for n in names if normalise(n) == normalise(sheet)]
        if len(hits) == 1:
            return hits[0]
        raise DataError(f"no sheet '{sheet}'; the sheets are {listed}", where=where)
    if table is not None:
        want = normalise(table)
        hits = [n for n in names if normalise(n) == want or want in (normalise(t) for t in n.split())]
        if hits:
            return hits[0]
    data = [n for n in names if not any(s in n.casefold() for s in SKIPPED_SHEETS)]
    return (data or names)[0]


def _read_excel(p: Path, sheet: str | int | None, table: str | None, max_rows: int, max_cells: int) -> pd.DataFrame:
    import openpyxl

    where = str(p)
    check_workbook(p)
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except FinstabError:
        raise
    except Exception as exc:
        raise DataError(f"cannot read the workbook: it is damaged or not an .xlsx file ({_brief(exc)})",
                        where=where) from None
    try:
        name = _pick_sheet(list(wb.sheetnames), sheet, table, where)
        source = where if len(wb.sheetnames) == 1 else f"{where} (sheet {name})"
        grid = _excel_rows(wb[name], max_rows, max_cells, source)
    except FinstabError:
        raise
    except Exception as exc:
        raise DataError(f"cannot read the workbook: it is damaged or not an .xlsx file ({_brief(exc)})",
                        where=where) from None
    finally:
        wb.close()
    if not grid:
        raise DataError(f"sheet {name} is empty", where=source)
    layout = _Layout(grid[:HEAD_ROWS], grid[-TAIL_ROWS:])
    start = layout.header + 1 + layout.n_meta
    stop = len(grid) - len(layout.footer)
    if stop < start:
        layout.footer, stop = [], len(grid)
    body = grid[start:stop]
    width = max([len(layout.header_cells)] + [len(c) for _, c in body[:HEAD_ROWS]] +
                [max((len(c) for _, c in body), default=0)])
    _limits(len(body), width, max_rows, max_cells, source)
    df = pd.DataFrame([list(c) + [None] * (width - len(c)) for _, c in body], columns=range(width), dtype=object)
    df = df.infer_objects()
    rows = np.asarray([r for r, _ in body], dtype=np.int64)
    names = _headers(layout.header_cells, width, lambda j: bool(df[j].notna().any()) if len(df) else False)
    return _finish(df, layout, names, rows, source, {"sheet": name})


def _excel_rows(ws: Any, max_rows: int, max_cells: int, source: str) -> list[tuple[int, tuple[Any, ...]]]:
    """Non-empty rows of a read-only sheet as (Excel row number, cells without trailing blanks)."""
    ws.reset_dimensions()  # do not trust the declared size
    out: list[tuple[int, tuple[Any, ...]]] = []
    cells = 0
    for rowno, row in enumerate(ws.iter_rows(values_only=True), start=1):
        end = len(row)
        while end and _blank(row[end - 1]):
            end -= 1
        if not end:
            continue
        out.append((rowno, tuple(row[:end])))
        cells += end
        if len(out) > max_rows + HEAD_ROWS:
            raise DataError(f"more than {max_rows:,} rows of data; the limit is {max_rows:,} (max_rows); "
                            "split the table", where=source)
        if cells > max_cells:
            raise DataError(f"more than {max_cells:,} cells by row {rowno:,}; the limit is {max_cells:,} "
                            "(max_cells); split the table", where=source)
    return out


def _brief(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:160]
    return text or type(exc).__name__


# --------------------------------------------------------------------------- fields

def read_fields(path: str | Path, sheet: str | int | None = None) -> dict[str, Any]:
    """A two-column sheet of ``field``/``value`` rows as a nested mapping.

    Dotted fields nest (``qualitative.real_economy.level``); empty values are left out so that
    validation names what is missing. Extra columns (descriptions) are ignored.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "memo.csv"
    >>> text = "字段 field,说明,值 value\\nbank,银行,CITY003\\nfunds.stability_fund,,500\\n"
    >>> _ = f.write_text(text, encoding="utf-8")
    >>> read_fields(f)
    {'bank': 'CITY003', 'funds': {'stability_fund': '500'}}
    """
    from finstab.core.columns import ColumnSpec, canonical_columns

    df = read_table(path, sheet, table="fields")
    specs = [ColumnSpec("field", "字段", "field", aliases=("键", "key", "项目", "item")),
             ColumnSpec("value", "值", "value", aliases=("内容", "取值", "数值"))]
    df = canonical_columns(df, specs)
    source = df.attrs.get("source", str(path))
    for col in ("field", "value"):
        if col not in df.columns:
            raise DataError(f"needs a '{col}' column (字段 field, 值 value); found {', '.join(map(str, df.columns))}",
                            where=source)
    out: dict[str, Any] = {}
    for pos, (key, value) in enumerate(zip(df["field"], df["value"], strict=True)):
        if _blank(key) or _blank(value):
            continue
        parts = [k.strip() for k in str(key).split(".")]
        node = out
        for k in parts[:-1]:
            child = node.setdefault(k, {})
            if not isinstance(child, dict):
                raise DataError(f"field {key} is given twice (as a value and as a group)", where=describe_row(df, pos))
            node = child
        if parts[-1] in node:
            raise DataError(f"field {key} is given twice", where=describe_row(df, pos))
        node[parts[-1]] = value.item() if isinstance(value, np.generic) else \
            value.strip() if isinstance(value, str) else value
    return out


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` and move ``tmp`` onto ``path`` only if it succeeded."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix,
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_folder(out_dir: str | Path, write: Callable[[Path], None]) -> list[Path]:
    """Call ``write(tmp)`` on an empty hidden folder, then move its files into ``out_dir``.

    Nothing reaches ``out_dir`` unless ``write`` finishes: a failure or an interruption
    leaves at most a hidden ``.finstab-*`` folder, which the next call does not read.
    Returns the paths written, in the order they were created.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", where=str(out))
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".finstab-", dir=out))
    try:
        write(tmp)
        made = sorted(tmp.rglob("*"), key=lambda p: p.stat().st_mtime_ns)
        written = []
        for f in made:
            if f.is_file():
                target = out / f.relative_to(tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, target)
                written.append(target)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'`` (OWASP CSV injection).

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok", "-2.5", "@SUM(A1)"]}))["a"].tolist()
    ["'=1+1", 'ok', '-2.5', "'@SUM(A1)"]
    """
    out = None
    for col in df.columns:
        s = df[col]
        if s.dtype != object and not pd.api.types.is_string_dtype(s):
            continue
        text = s.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES, na=False) & pd.to_numeric(text, errors="coerce").isna()
        if risky.any():
            out = df.copy() if out is None else out
            out[col] = s.where(~risky, "'" + text)
    header = [f"'{c}" if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c for c in df.columns]
    if header != list(df.columns):
        out = (df.copy() if out is None else out).set_axis(header, axis=1)
    return df if out is None else out


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV with a UTF-8 BOM so Excel opens Chinese text correctly."""
    safe = neutralise_formulas(df)
    return atomic_write(path, lambda p: safe.to_csv(p, index=False, encoding="utf-8-sig"))


#: rows of data an Excel sheet holds (1,048,576 less the header row)
EXCEL_MAX_ROWS = 1_048_575
EXCEL_MAX_COLUMNS = 16_384


def check_excel_size(sheets: Mapping[str, pd.DataFrame]) -> None:
    """Refuse, before writing anything, a sheet that Excel cannot hold."""
    for name, df in sheets.items():
        if len(df) > EXCEL_MAX_ROWS or df.shape[1] > EXCEL_MAX_COLUMNS:
            raise DataError(f"sheet {name} has {len(df):,} rows x {df.shape[1]:,} columns; an Excel sheet holds "
                            f"{EXCEL_MAX_ROWS:,} x {EXCEL_MAX_COLUMNS:,}: use the CSV files", where="Excel output")


def number_format(column: pd.Series) -> str | None:
    """Excel number format for a float column: thousands and 2 decimals, or 4 decimals for small values.

    Examples
    --------
    >>> number_format(pd.Series([1234.5, 7.25])), number_format(pd.Series([0.018, 0.2]))
    ('#,##0.00', '0.0000')
    >>> number_format(pd.Series(["a"])) is None
    True
    """
    if not pd.api.types.is_float_dtype(column):
        return None
    finite = column[np.isfinite(column)]
    return "0.0000" if len(finite) and finite.abs().max() < 10 else "#,##0.00"


EXCEL_MAX_TEXT = 32_767  # characters in one cell
_SHEET_FORBIDDEN = set("[]:*?/\\")


def _cell(value: Any) -> Any:
    """A cell value as XlsxWriter writes it: Python scalars, None for an empty cell."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):  # NaN, NaT, pd.NA
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"  # as the CSV files have them
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat(sep=" ")
    if isinstance(value, bool | int | float | str | dt.datetime | dt.date):
        return value
    return str(value)


def _date_format(value: Any) -> str | None:
    """Excel's display of a date cell (a bare serial number otherwise)."""
    if isinstance(value, dt.datetime):
        return "yyyy-mm-dd" if value.time() == dt.time() else "yyyy-mm-dd hh:mm:ss"
    return "yyyy-mm-dd" if isinstance(value, dt.date) else None


def _sheet_names(names: Sequence[str]) -> list[str]:
    """Names as Excel takes them (31 characters), refused where Excel would refuse them or two collide."""
    out: list[str] = []
    for name in names:
        short = str(name)[:31]
        bad = sorted(_SHEET_FORBIDDEN & set(short))
        if not short or short.startswith("'") or short.endswith("'") or bad:
            why = f"contains {' '.join(bad)}" if bad else "is empty or starts or ends with '"
            raise DataError(f"sheet name '{name}' {why}; Excel refuses it", where="Excel output")
        same = [n for n, o in zip(names, out, strict=False) if o.casefold() == short.casefold()]
        if same:
            raise DataError(f"sheet names '{same[0]}' and '{name}' are the same to Excel (first 31 characters, any "
                            "case)", where="Excel output")
        out.append(short)
    return out


def _write_column(ws: Any, k: int, column: pd.Series, cell_format: Callable[[Any], Any], numbers: Any) -> None:
    """Column ``k`` below the header; empty cells are not written. A float column without fills is
    written straight from its array with the format ``numbers``; other cells get ``cell_format(value)``."""
    if numbers is not None:
        values = column.to_numpy(dtype=float)
        for row in np.flatnonzero(np.isfinite(values)).tolist():
            ws.write_number(row + 1, k, values[row], numbers)
        for row in np.flatnonzero(np.isinf(values)).tolist():
            ws.write_string(row + 1, k, _cell(values[row]), numbers)
        return
    for row, value in enumerate(column.tolist(), start=1):
        value = _cell(value)
        if value is None:
            continue
        if ws.write(row, k, value, cell_format(value)) == -2:  # XlsxWriter cut a string at Excel's limit
            warn(f"Excel output, sheet {ws.name} row {row + 1}, column {column.name}: text of {len(value):,} "
                 f"characters cut to {EXCEL_MAX_TEXT:,}, Excel's limit; the CSV file has it whole", DataQualityWarning)


def write_excel(sheets: Mapping[str, pd.DataFrame], path: str | Path,
                fills: Mapping[str, Mapping[str, str]] | None = None) -> Path:
    """Write sheets formatted for people: bold frozen header, autofilter, fitted widths, number
    and date formats, coloured cells (XlsxWriter: every cell is written once, with its format).

    Parameters
    ----------
    sheets
        Sheet name -> frame.
    fills
        Column name -> {cell value -> hex colour}; matching cells are filled (grade colours).

    Raises
    ------
    DataError
        A sheet that Excel cannot hold, or a sheet name it refuses; nothing is written.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> path = Path(tempfile.mkdtemp()) / "grades.xlsx"
    >>> _ = write_excel({"scores": pd.DataFrame({"region": ["A"], "grade": ["safe"], "score": [81.5]})}, path,
    ...                 fills={"grade": {"safe": "#2e7d32"}})
    >>> ws = openpyxl.load_workbook(path)["scores"]
    >>> ws["C2"].number_format, ws["B2"].fill.start_color.rgb, ws.freeze_panes, ws.auto_filter.ref
    ('#,##0.00', 'FF2E7D32', 'A2', 'A1:C2')
    """
    import xlsxwriter

    check_excel_size(sheets)
    names = _sheet_names(list(sheets))

    def write(tmp: Path) -> None:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        formats: dict[tuple[str | None, str | None], Any] = {}

        def style(num: str | None, fill: str | None = None) -> Any:
            if (num, fill) not in formats:
                spec = {"num_format": num} if num else {}
                formats[num, fill] = book.add_format({**spec, "bg_color": fill, "pattern": 1} if fill else spec)
            return formats[num, fill]

        bold = book.add_format({"bold": True})
        try:
            for name, frame in zip(names, sheets.values(), strict=True):
                df = neutralise_formulas(frame)
                ws = book.add_worksheet(name)
                ws.write_row(0, 0, [_cell(c) for c in df.columns], bold)
                ws.freeze_panes(1, 0)
                if len(df.columns):
                    ws.autofilter(0, 0, len(df), len(df.columns) - 1)
                for k, col in enumerate(df.columns):
                    column = df.iloc[:, k]
                    num = number_format(column)
                    colours = (fills or {}).get(str(col)) or {}

                    def cell_format(value: Any, num: str | None = num, colours: Mapping[str, str] = colours) -> Any:
                        return style(_date_format(value) or num, colours.get(str(value)))

                    _write_column(ws, k, column, cell_format, style(num) if num and not colours else None)
                    shown = [len(str(col))] + [len(f"{v:,.4f}" if num else str(v)) for v in column.head(200)]
                    ws.set_column(k, k, min(max(max(shown) + 2, 8), 60))
        finally:
            book.close()
    return atomic_write(path, write)
