"""``finstab contagion``: interbank and cross-region contagion."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.common import (
    LangOption,
    NoStoreOption,
    OutOption,
    StoreOption,
    console,
    deliver,
    handle_errors,
    open_store,
    rich_table,
)
from finstab.core.errors import ConfigError
from finstab.samples import sample_path


@handle_errors
def contagion_command(
    banks: Path | None = typer.Option(None, "--banks", help="Bank table; default: the synthetic sample."),
    edges: Path | None = typer.Option(None, "--edges", help="Edges lender, borrower, amount."),
    shock: float = typer.Option(0.05, "--shock", help="Fractional loss on external assets."),
    region: str | None = typer.Option(None, "--region", help="Shock only this region's banks."),
    variant: str = typer.Option("battiston2012", "--variant", help="battiston2012 or bardoscia2015."),
    top: int = typer.Option(10, "--top", help="Rows of the ranking to show."),
    out: Path | None = OutOption,
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """Eisenberg-Noe clearing after a shock, DebtRank ranking, Furfine cascade, region matrix."""
    from finstab.pipelines.contagion import run_contagion

    if (banks is None) != (edges is None):
        raise ConfigError("give both --banks and --edges (or neither, for the synthetic sample)",
                          where="--banks/--edges")
    runs = open_store(store, no_store)
    if banks is None or edges is None:
        console.print("using the SYNTHETIC sample network", style="yellow")
        banks, edges = sample_path("network/banks.csv"), sample_path("network/edges.csv")
    run = run_contagion(banks, edges, shock=shock, region=region, variant=variant)
    shown = run.with_lang(lang)
    console.print(shown.headline())
    console.print(rich_table(shown.display(run.largest_flows(top)), "Largest cross-region exposures"))
    deliver(run, lang=lang, out=out, store=runs, label=f"contagion: {shock:.0%} shock{' ' + region if region else ''}")
