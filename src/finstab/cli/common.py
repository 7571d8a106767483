"""Shared CLI helpers: error handling, rich tables, language option."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from finstab.core.errors import FinstabError

# Outside a terminal (pipes, CI logs) rich would fall back to 80 columns; tables need more.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

LangOption = typer.Option("zh", "--lang", help="Label language: zh or en.")


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


def rich_table(df: pd.DataFrame, title: str = "", digits: int = 2,
               styles: dict[str, dict[str, str]] | None = None) -> Table:
    """A rich table from a frame; ``styles`` maps column -> {value -> style}."""
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
