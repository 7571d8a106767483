"""``finstab spillover``: Diebold-Yilmaz connectedness of market prices, returns or ranges."""

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


def _lags(text: str) -> int | str:
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    if text in ("aic", "bic", "hqic", "fpe"):
        return text
    raise ConfigError(f"{text!r}; expected a number or aic, bic, hqic, fpe", where="--lags")


@handle_errors
def spillover_command(
    data: Path | None = typer.Option(None, "--data", help="CSV or Excel: date + one column per market; "
                                                          "default: the synthetic sample prices."),
    kind: str = typer.Option("prices", "--kind", help="prices (-> log returns), returns (as given) or "
                                                      "range (long date, market, high, low[, open, close])."),
    window: int = typer.Option(200, "--window", help="Rows per rolling window; 0 = whole sample only."),
    lags: str = typer.Option("4", "--lags", help="VAR order, or aic / bic / hqic / fpe."),
    horizon: int = typer.Option(10, "--horizon", help="Forecast horizon H (sums A_0 .. A_{H-1})."),
    sheet: str = typer.Option("0", "--sheet", help="Excel sheet name or number."),
    dask: str | None = typer.Option(None, "--dask", help="Rolling windows in blocks on dask: 'local' (worker "
                                    "processes here) or a scheduler address such as tcp://host:8786."),
    out: Path | None = OutOption,
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """Total, directional, net and pairwise spillovers (Diebold & Yilmaz 2012), static and rolling."""
    from finstab.pipelines.spillover import run_spillover

    runs = open_store(store, no_store)
    if data is None:
        console.print("using the SYNTHETIC sample prices", style="yellow")
        data = sample_path("markets/prices.csv")
    if window < 0:
        raise ConfigError(f"{window}; expected 0 or a positive number of rows", where="--window")
    run = run_spillover(data, kind=kind, window=window or None, lags=_lags(lags), horizon=horizon,
                        sheet=int(sheet) if sheet.isdigit() else sheet, scheduler=dask).with_lang(lang)
    static = run.static
    console.print(f"[bold]TCI = {static.tci:.2f} %[/]  VAR({static.lags}), H = {static.horizon}, "
                  f"T = {static.n_obs}, {run.data_kind}")
    console.print(rich_table(static.pairwise.reset_index(), "pairwise (row i <- column j, %)", digits=2))
    console.print(rich_table(static.directional().sort_values("net", ascending=False), "to / from / net (%)",
                             digits=2))
    if run.rolling is not None:
        console.print(run.rolling.with_lang(lang).summary().splitlines()[1])
    deliver(run, lang=lang, out=out, store=runs, label=f"spillover: {Path(data).name}")
