"""``finstab contagion``: interbank and cross-region contagion."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.common import console, handle_errors, report_written, rich_table
from finstab.samples import sample_path


@handle_errors
def contagion_command(
    banks: Path | None = typer.Option(None, "--banks", help="Bank table; default: the synthetic sample."),
    edges: Path | None = typer.Option(None, "--edges", help="Edges lender, borrower, amount."),
    shock: float = typer.Option(0.05, "--shock", help="Fractional loss on external assets."),
    region: str | None = typer.Option(None, "--region", help="Shock only this region's banks."),
    variant: str = typer.Option("battiston2012", "--variant", help="battiston2012 or bardoscia2015."),
    top: int = typer.Option(10, "--top", help="Rows of the ranking to show."),
    out: Path | None = typer.Option(None, "--out", help="Write ranking and region matrix here."),
) -> None:
    """Eisenberg-Noe clearing after a shock, DebtRank ranking, Furfine cascade, region matrix."""
    from finstab.pipelines import run_contagion

    if banks is None or edges is None:
        console.print("using the SYNTHETIC sample network", style="yellow")
        banks, edges = sample_path("network/banks.csv"), sample_path("network/edges.csv")
    run = run_contagion(banks, edges, shock=shock, region=region, variant=variant)
    console.print(run.clearing.summary())
    console.print(f"Furfine cascade rounds: {[len(r) for r in run.cascade_rounds]}")
    console.print(rich_table(run.ranking.head(top), f"DebtRank ranking ({variant})", digits=4))
    console.print(rich_table(run.largest_flows(top), "Largest cross-region exposures"))
    report_written(run.provenance, run.write(out) if out is not None else ())
