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
    layers: bool = typer.Option(False, "--layers", help="Multi-layer network: banks, markets and sectors, a "
                                "foreign block (--nodes/--edges, default: the synthetic quarterly snapshots)."),
    nodes: Path | None = typer.Option(None, "--nodes", help="With --layers: node table (node, kind, region, "
                                      "market, equity, external_assets, external_liabilities[, quarter])."),
    quarter: str | None = typer.Option(None, "--quarter", help="With --layers: the snapshot (default: latest)."),
    market_shock: list[str] = typer.Option([], "--market-shock", help="With --layers: MARKET:LOSS, e.g. "
                                           "property:0.3 (repeatable)."),
    foreign_funding: float = typer.Option(0.0, "--foreign-funding", help="With --layers: share of foreign "
                                          "funding withdrawn."),
    fx: float = typer.Option(0.0, "--fx", help="With --layers: depreciation hitting foreign-currency liabilities."),
    out: Path | None = OutOption,
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """Eisenberg-Noe clearing after a shock, DebtRank ranking, Furfine cascade, region matrix."""
    from finstab.pipelines.contagion import run_contagion

    if layers:
        _layered(nodes, edges, quarter, market_shock, foreign_funding, fx, region, variant,
                 out=out, runs=open_store(store, no_store), lang=lang)
        return
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


def _market_shocks(specs: list[str]) -> dict[str, float]:
    out = {}
    for spec in specs:
        market, _, loss = spec.partition(":")
        try:
            out[market.strip()] = float(loss)
        except ValueError:
            raise ConfigError(f"{spec!r}; expected MARKET:LOSS such as property:0.3", where="--market-shock") from None
    return out


def _layered(nodes, edges, quarter, market_shock, foreign_funding, fx, region, variant, *, out, runs, lang) -> None:
    from finstab.pipelines.contagion import run_layered_contagion

    if (nodes is None) != (edges is None):
        raise ConfigError("give both --nodes and --edges (or neither, for the synthetic sample)",
                          where="--nodes/--edges")
    if nodes is None:
        console.print("using the SYNTHETIC multi-layer snapshots", style="yellow")
        nodes, edges = sample_path("markets/nodes.csv"), sample_path("markets/edges.csv")
    res = run_layered_contagion(nodes, edges, quarter=quarter, market_shocks=_market_shocks(market_shock),
                                foreign_funding=foreign_funding, fx=fx, region=region, variant=variant)
    deliver(res, lang=lang, out=out, store=runs, label=f"multi-layer contagion {quarter or ''}".strip())
