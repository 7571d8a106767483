"""``finstab runs`` and ``finstab report``: browse stored runs, diff them, render reports."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from finstab.cli.common import LangOption, console, handle_errors, report_written, rich_table

runs_app = typer.Typer(no_args_is_help=True, help="Stored analysis runs (DuckDB by default).")
StoreOption = typer.Option(None, "--store", help="Store file or SQLAlchemy URL (default: $FINSTAB_STORE "
                           "or out/finstab.duckdb, where finstab demo records).")


@runs_app.command("list")
@handle_errors
def list_command(store: str | None = StoreOption, kind: str | None = typer.Option(None, "--kind")) -> None:
    """Runs, newest first, with their provenance hashes."""
    from finstab.store.database import Store

    console.print(rich_table(Store(store, read_only=True).runs(kind), "runs"))


@runs_app.command("show")
@handle_errors
def show_command(run: str, store: str | None = StoreOption, rows: int = typer.Option(10, "--rows")) -> None:
    """Provenance, parameters and the head of every table of a run (id or unique prefix)."""
    from finstab.store.database import Store

    stored = Store(store, read_only=True).run(run)
    meta = stored.meta
    console.print(f"[bold]{meta['id']}[/] {meta['kind']} — {meta['label']}")
    console.print(f"finstab {meta['version']} | config {meta['config_hash']} | data {meta['data_hash']} | "
                  f"{meta['created']}{' | SYNTHETIC DATA' if meta['synthetic'] else ''}")
    console.print(f"parameters: {json.dumps(stored.parameters, ensure_ascii=False)}")
    console.print(meta["summary"])
    for name, table in stored.tables.items():
        console.print(rich_table(table.head(rows), f"{name} ({len(table)} rows)", digits=4))


@runs_app.command("diff")
@handle_errors
def diff_command(a: str, b: str, store: str | None = StoreOption, rows: int = typer.Option(20, "--rows")) -> None:
    """Numbers that differ between two runs."""
    from finstab.store.database import Store

    diff = Store(store, read_only=True).diff(a, b)
    if diff.empty:
        console.print("no differences: the two runs give the same numbers and grades")
        return
    counts = diff["change"].value_counts().to_dict()
    first = diff.assign(_abs=diff["delta"].abs()).sort_values(["change", "_abs"], ascending=[True, False])
    console.print(rich_table(first.drop(columns="_abs").head(rows),
                             f"{len(diff)} differences: " + ", ".join(f"{n} {k}" for k, n in counts.items()), digits=4))


@handle_errors
def report_command(runs: list[str] = typer.Argument(..., help="Run ids or unique prefixes; several give one report."),
                   store: str | None = StoreOption, lang: str = LangOption,
                   pdf: bool = typer.Option(False, "--pdf", help="Also print to PDF (needs Chromium)."),
                   out: Path = typer.Option(Path("out"), "--out")) -> None:
    """Self-contained HTML (and PDF) report of stored runs: the same sections as the demo."""
    from finstab.report.stored import write_run_report
    from finstab.store.database import Store

    source = Store(store, read_only=True)
    report_written(paths=write_run_report([source.run(r) for r in runs], out, lang, pdf=pdf))
