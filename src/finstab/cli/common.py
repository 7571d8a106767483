"""Shared CLI helpers: error handling, rich tables, language option."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from finstab.core.errors import FinstabError

# Outside a terminal (pipes, CI logs) rich would fall back to 80 columns; tables need more.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

LANGS = ("zh", "en")


def _check_lang(value: str) -> str:
    if value not in LANGS:
        raise typer.BadParameter(f"{value!r} is not one of zh, en")
    return value


LangOption = typer.Option("zh", "--lang", help="Label language: zh or en.", callback=_check_lang)
StoreOption = typer.Option(None, "--store", help="Record the run in this store: a DuckDB file or SQLAlchemy URL "
                           "(default: $FINSTAB_STORE or out/finstab.duckdb).")
NoStoreOption = typer.Option(False, "--no-store", help="Do not record the run.")
OutOption = typer.Option(None, "--out", help="Folder for the CSV tables, results.xlsx and summary.txt.")
#: rows of a result's main table printed in the terminal; the files hold them all
PREVIEW_ROWS = 40


def open_store(store: str | None, no_store: bool = False):
    """The run store, opened and checked before any work starts (``None`` with ``--no-store``)."""
    if no_store:
        return None
    from finstab.store.database import Store

    return Store(store)


def grade_styles(result) -> dict[str, dict[str, str]]:
    """Grade colours for the terminal, keyed by the displayed grade column and names."""
    from finstab.core.labels import column_label

    grades = getattr(getattr(result, "system", None), "grade_scale", ())
    return {column_label("grade", result.lang): {g.name(result.lang): f"bold {g.color}" for g in grades}}


def deliver(result, *, lang: str, out=None, store=None, label: str = "", digits: int = 2) -> str | None:
    """Show a result (main table, provenance, warnings), write its files, record it; returns the run id."""
    result = result.with_lang(lang)
    styles = grade_styles(result)
    main = result.to_frame()
    more = f" — first {PREVIEW_ROWS} of {len(main)} rows; all in the files" if len(main) > PREVIEW_ROWS else ""
    console.print(rich_table(result.display(main.head(PREVIEW_ROWS)), f"{label or result.kind}{more}", digits=digits,
                             styles=styles))
    console.print(result.provenance.describe(lang), style="dim")
    for w in result.warnings:
        err_console.print(f"[bold yellow]warning:[/] {w}", highlight=False)
    rid = None
    if store is not None:  # the run first: files can be written again from it, a lost run cannot
        rid = store.save(result, label=label)
        console.print(f"recorded run [bold]{rid}[/] in {store.url}")
    for p in result.write(out) if out is not None else []:
        console.print(f"wrote {p}")
    return rid


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn finstab errors into one red line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FinstabError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(2) from None

    return wrapper


def report_written(provenance=None, paths=()) -> None:
    """The provenance line, then one line per file written."""
    if provenance is not None:
        console.print(provenance.describe(), style="dim")
    for p in paths:
        console.print(f"wrote {p}")


def rich_table(df, title: str = "", digits: int = 2,
               styles: dict[str, dict[str, str]] | None = None) -> Table:
    """A rich table from a frame; ``styles`` maps column -> {value -> style}."""
    import pandas as pd

    table = Table(title=title, show_lines=False)
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col])
        table.add_column(str(col), justify="right" if numeric else "left")
    for row in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, row, strict=True):
            text = f"{v:.{digits}f}" if isinstance(v, float) else str(v)
            style = (styles or {}).get(str(col), {}).get(str(v))
            cells.append(f"[{style}]{text}[/]" if style else text)
        table.add_row(*cells)
    return table
