"""``finstab template``: input workbooks to fill in."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.common import console, handle_errors


@handle_errors
def template_command(
    kind: str = typer.Argument(..., help="monitor, votes, banks, failures, memo, cca, network, contributors or "
                                         "events."),
    system: str | None = typer.Option(None, "--system", help="monitor and votes: preset name or YAML file "
                                                              "(default zibo / guangxi)."),
    out: Path = typer.Option(..., "--out", help="Workbook to write (.xlsx)."),
) -> None:
    """Write an input workbook: bilingual headers, units, validation, instructions, two sample rows."""
    from finstab.templates import KINDS, write_template

    path = write_template(kind, out, system)
    zh, en, command = KINDS[kind]
    console.print(f"wrote {path}: {zh} / {en}")
    console.print(f"fill it in, then: {command}", style="dim")
