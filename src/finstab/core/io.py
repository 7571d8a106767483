"""Readers and writers: CSV / Excel in, atomic CSV / Excel / text out."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from finstab.core.errors import DataError, InputError

READERS = {".csv": "csv", ".xlsx": "excel", ".xls": "excel"}
#: CSV rows are numbered as a spreadsheet shows them: header on line 1.
CSV_ROW_OFFSET = 2


def read_table(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV (``#`` comment lines allowed) or Excel sheet.

    The frame's ``attrs`` carry ``source`` (the file) and ``row_offset`` so that later
    validation can name the row a person sees in the file.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError("file not found", where=str(p))
    kind = READERS.get(p.suffix.lower())
    if kind is None:
        raise DataError(f"unsupported file type {p.suffix!r}; expected .csv or .xlsx", where=str(p))
    try:
        if kind == "csv":
            df = pd.read_csv(p, comment="#", skipinitialspace=True)
        else:
            df = pd.read_excel(p, sheet_name=sheet)
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        raise DataError(f"cannot read: {exc}", where=str(p)) from None
    df.columns = [str(c).strip() for c in df.columns]
    df.attrs.update(source=str(p), row_offset=CSV_ROW_OFFSET)
    return df


def describe_row(df: pd.DataFrame, position: int) -> str:
    """'file.csv row 7' for a positional row of a frame read by :func:`read_table`."""
    source = df.attrs.get("source", "data")
    offset = df.attrs.get("row_offset")
    if offset is None:
        return f"{source} index {df.index[position]!r}"
    return f"{source} row {position + offset}"


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


def write_excel(sheets: Mapping[str, pd.DataFrame], path: str | Path,
                fills: Mapping[str, Mapping[str, str]] | None = None) -> Path:
    """Write sheets formatted for people: bold frozen header, fitted widths, coloured cells.

    Parameters
    ----------
    sheets
        Sheet name -> frame.
    fills
        Column name -> {cell value -> hex colour}; matching cells are filled (grade colours).
    """
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, frame in sheets.items():
                df = neutralise_formulas(frame)
                df.to_excel(xw, sheet_name=name[:31], index=False)
                ws = xw.sheets[name[:31]]
                ws.freeze_panes = "A2"
                for cell in ws[1]:
                    cell.font = Font(bold=True)
                for k, col in enumerate(df.columns, start=1):
                    width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
                    ws.column_dimensions[get_column_letter(k)].width = min(max(width + 2, 8), 60)
                    colours = (fills or {}).get(str(col))
                    if not colours:
                        continue
                    for row, value in enumerate(df[col], start=2):
                        hexcol = colours.get(str(value))
                        if hexcol:
                            ws.cell(row=row, column=k).fill = PatternFill(
                                "solid", start_color=hexcol.lstrip("#"))
    return atomic_write(path, write)
