"""``finstab fund``: stability-fund sizing (and, later, financing plans)."""

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
from finstab.fund.defaults import COVERAGE as DEFAULT_COVERAGE
from finstab.fund.defaults import SIMS as DEFAULT_SIMS

fund_app = typer.Typer(no_args_is_help=True, help="Stability-fund sizing by contingent-claims analysis.")


@fund_app.command("size")
@handle_errors
def size_command(
    data: Path = typer.Option(..., "--data", help="Folder with balance_sheets.csv and market.csv."),
    year: int | None = typer.Option(None, "--year", help="Year to show (default: the latest sized year)."),
    alpha: float = typer.Option(0.05, "--alpha", help="Tail probability of the VaR."),
    tier_method: str = typer.Option("quantile", "--tiers", help="quantile (tertiles) or jenks."),
    sigma: str = typer.Option("log_changes", "--sigma", help="log_changes or merton_asset_vol."),
    window: str = typer.Option("expanding", "--window", help="expanding, or a number of years (rolling)."),
    min_obs: int = typer.Option(3, "--min-obs", help="Annual changes needed before a year is sized."),
    conventions: Path | None = typer.Option(None, "--conventions", help="Sector conventions YAML."),
    mc: int = typer.Option(0, "--mc", help="Monte Carlo scenarios for the system fund (0: none)."),
    seed: int = typer.Option(0, "--seed", help="Monte Carlo seed."),
    dask: str | None = typer.Option(None, "--dask", help="'local' for a LocalCluster or a scheduler address."),
    out: Path | None = OutOption,
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """Fund size per sector and province: ranking, all sectors' tiers, trends, allocation, normality."""
    import pandas as pd

    from finstab.pipelines.fund import run_fund_sizing

    runs = open_store(store, no_store)
    res = run_fund_sizing(data, alpha=alpha, tier_method=tier_method, conventions=conventions, year=year,
                          n_sims=mc, seed=seed, scheduler=dask, sigma=sigma, window=_window(window),
                          min_obs=min_obs)
    shown = res.with_lang(lang)
    tables = shown.display_tables()
    console.print(rich_table(tables["sectors"], f"{'部门配置' if lang == 'zh' else 'Sector allocation'}, "
                             f"{res.shown_year}", digits=4))
    trends = res.trends().pivot(index="year", columns="sector", values="mean_relative")
    console.print(rich_table(shown.display(pd.DataFrame({"sector": trends.columns}).assign(
        **{str(y): trends.loc[y].to_numpy() for y in trends.index})),
        "各部门平均相对规模" if lang == "zh" else "Mean relative size by sector and year", digits=4))
    tiers = res.tier_table().groupby(["sector", "tier"]).size().unstack("tier", fill_value=0)
    console.print(rich_table(shown.display(tiers.rename(columns=lambda t: f"tier {t}").reset_index()),
                             f"{'各部门梯队省份数' if lang == 'zh' else 'Provinces per tier, all sectors'}, "
                             f"{res.shown_year}"))
    jb = res.normality
    console.print(f"Jarque-Bera on log market values: {int(jb['lognormal_not_rejected_5pct'].sum())} of "
                  f"{len(jb)} series not rejected at 5 %")
    if res.monte_carlo is not None:
        console.print(rich_table(tables["monte_carlo"].head(5), "Monte Carlo: system and sectors", digits=4))
    deliver(res, lang=lang, out=out, store=runs, label=f"fund sizing {res.shown_year} on {data.name}")


def _window(text: str) -> str | int:
    if text == "expanding":
        return text
    if not text.isdigit():
        raise ConfigError(f"{text!r}; expected 'expanding' or a whole number of years", where="--window")
    return int(text)


@fund_app.command("plan")
@handle_errors
def plan_command(
    target: float | None = typer.Option(None, "--target", help="Target size (100 million yuan); default: "
                                        "coverage x the system VaR fund of the sizing."),
    years: int = typer.Option(..., "--years", help="Collection period in years."),
    from_run: str | None = typer.Option(None, "--from-run", help="Take fund sizes (and the target) from a stored "
                                        "fund-sizing run (id or prefix) instead of the sample data."),
    contributors: Path | None = typer.Option(None, "--contributors", help="Contributors CSV/Excel (id, base, "
                                             "dsib, risk...); default: the sample bank panel."),
    bond_yield: float = typer.Option(0.025, "--yield", help="Yield on the government bonds held."),
    rules: Path | None = typer.Option(None, "--rules", help="Financing rules YAML."),
    coverage: float = typer.Option(DEFAULT_COVERAGE, "--coverage", help="Share of the system's unexpected loss "
                                   "the fund bears."),
    sims: int = typer.Option(DEFAULT_SIMS, "--sims", help="Loss scenarios."),
    out: Path | None = OutOption,
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """Risk-based levies, reserve path, relending bridge, central and provincial layers."""
    from finstab.pipelines.financing import run_financing_plan

    runs = open_store(store, no_store)
    sizing = None
    if from_run is not None:
        source = runs if runs is not None else open_store(store)
        sizing = source.load(from_run)
        if sizing.kind != "fund_sizing":
            raise ConfigError(f"run {from_run} is a {sizing.kind} run, not a fund sizing", where="--from-run")
    run = run_financing_plan(target=target, years=years, bond_yield=bond_yield, rules=rules, sizing=sizing,
                             contributors=contributors,
                             coverage=coverage, n_sims=sims)
    console.print(run.with_lang(lang).summary())
    console.print(rich_table(run.plan.by_bucket(), "Levies by risk bucket, year 1", digits=6))
    deliver(run, lang=lang, out=out, store=runs, label=f"financing plan: target {run.plan.target:,.0f}, {years} years")
