"""``finstab fund``: stability-fund sizing (and, later, financing plans)."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.common import console, handle_errors, report_written, rich_table

fund_app = typer.Typer(no_args_is_help=True, help="Stability-fund sizing by contingent-claims analysis.")


@fund_app.command("size")
@handle_errors
def size_command(
    data: Path = typer.Option(..., "--data", help="Folder with balance_sheets.csv and market.csv."),
    year: int = typer.Option(2020, "--year", help="Year to report."),
    alpha: float = typer.Option(0.05, "--alpha", help="Tail probability of the VaR."),
    tier_method: str = typer.Option("quantile", "--tiers", help="quantile (tertiles) or jenks."),
    conventions: Path | None = typer.Option(None, "--conventions", help="Sector conventions YAML."),
    mc: int = typer.Option(0, "--mc", help="Monte Carlo scenarios for the system fund (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Monte Carlo seed."),
    dask: str | None = typer.Option(None, "--dask", help="'local' for a LocalCluster or a scheduler address."),
    out: Path | None = typer.Option(None, "--out", help="Directory for CSV and Excel results."),
) -> None:
    """Fund size per sector and province: ranking, tiers, sector allocation, normality."""
    from finstab.pipelines import run_fund_sizing

    res = run_fund_sizing(data, alpha=alpha, tier_method=tier_method, conventions=conventions,
                          mc_year=year, n_sims=mc, seed=seed, scheduler=dask)
    console.print(rich_table(res.province_ranking(year), f"Provinces by fund size, {year} (100 million yuan)"))
    console.print(rich_table(res.sector_allocation(year), f"Sector allocation, {year}", digits=4))
    jb = res.normality
    console.print(f"Jarque-Bera on log market values: {int(jb['lognormal_not_rejected_5pct'].sum())} of "
                  f"{len(jb)} series not rejected at 5 % (p-values in jarque_bera.csv)")
    if res.monte_carlo is not None:
        console.print(rich_table(res.monte_carlo.to_frame().head(5), "Monte Carlo: system and sectors",
                                 digits=4))
    report_written(res.provenance, res.write(out, year) if out is not None else ())


@fund_app.command("plan")
@handle_errors
def plan_command(
    target: float = typer.Option(..., "--target", help="Target size (100 million yuan)."),
    years: int = typer.Option(..., "--years", help="Collection period in years."),
    bond_yield: float = typer.Option(0.025, "--yield", help="Yield on the government bonds held."),
    rules: Path | None = typer.Option(None, "--rules", help="Financing rules YAML."),
    coverage: float = typer.Option(0.01, "--coverage", help="Share of the system's unexpected loss borne."),
    sims: int = typer.Option(2000, "--sims", help="Loss scenarios."),
    contributors: Path | None = typer.Option(None, "--contributors", help="Contributors (template 'contributors'); "
                                             "default: the sample bank panel's latest quarter."),
    out: Path | None = typer.Option(None, "--out", help="Write the levy schedule (Excel) here."),
) -> None:
    """Risk-based levies, reserve path, relending bridge, central and provincial layers."""
    from finstab.pipelines import run_financing_plan

    run = run_financing_plan(target=target, years=years, bond_yield=bond_yield, rules=rules,
                             coverage=coverage, n_sims=sims, contributors=contributors)
    plan = run.plan
    console.print(plan.summary())
    console.print(rich_table(plan.by_bucket(), "Levies by risk bucket, year 1", digits=6))
    console.print(rich_table(plan.reserve, "Reserve path"))
    stats = run.scenarios.summary_stats
    console.print(f"{stats['scenarios']:,} loss scenarios: P(reserve exhausted) = {stats['p_exhausted']:.2%}, "
                  f"largest bridge {stats['max_bridge']:,.2f}")
    console.print(rich_table(run.layers.sort_values("total_fund", ascending=False).head(10),
                             f"Provincial layers and central-pool allocation (central layer {run.central_layer:,.0f})"))
    report_written(run.provenance, run.write(out) if out is not None else ())
