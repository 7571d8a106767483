"""``finstab warn``: KLR early-warning signals."""

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
)
from finstab.samples import sample_path


@handle_errors
def warn_command(
    system: str | None = typer.Option(None, "--system", help="Indicator system for a monitor panel; "
                                      "omit for the bank panel with the IN index."),
    data: Path | None = typer.Option(None, "--data", help="Panel; default: the synthetic sample."),
    events: Path | None = typer.Option(None, "--events", help="Crisis/failure dates."),
    horizon: int = typer.Option(4, "--horizon", help="Warning window in periods."),
    threshold: float = typer.Option(0.5, "--threshold", help="Composite index level that raises a warning."),
    out: Path | None = OutOption,
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """Thresholds minimising the noise-to-signal ratio, usefulness, composite index evaluation."""
    from finstab.pipelines.warning import run_warning

    runs = open_store(store, no_store)
    if events is None:
        console.print("using SYNTHETIC sample data and events", style="yellow")
        if system is None:
            events = sample_path("banks/failures.csv")
        elif system == "local_debt":
            data = data or sample_path("themes/local_debt.csv")
            events = sample_path("themes/local_debt_events.csv")
    if events is None:
        raise typer.BadParameter("--events is required with your own --system", param_hint="--events")
    run = run_warning(system=system, data=data, events=events, horizon=horizon, threshold=threshold)
    console.print(run.with_lang(lang).evaluation_line())
    deliver(run, lang=lang, out=out, store=runs, label=f"KLR warning: {system or 'bank panel'}, horizon {horizon}")
