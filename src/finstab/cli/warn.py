"""``finstab warn``: KLR early-warning signals."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.common import console, handle_errors, rich_table
from finstab.samples import sample_path


@handle_errors
def warn_command(
    system: str | None = typer.Option(None, "--system", help="Indicator system for a monitor panel; "
                                      "omit for the bank panel with the IN index."),
    data: Path | None = typer.Option(None, "--data", help="Panel; default: the synthetic sample."),
    events: Path | None = typer.Option(None, "--events", help="Crisis/failure dates."),
    horizon: int = typer.Option(4, "--horizon", help="Warning window in periods."),
    threshold: float = typer.Option(0.5, "--threshold", help="Composite index level that raises a warning."),
) -> None:
    """Thresholds minimising the noise-to-signal ratio, usefulness, composite index evaluation."""
    from finstab.pipelines import run_warning

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
    cols = ["indicator", "direction", "threshold", "nsr", "hit_rate", "false_alarm_rate", "relative_usefulness"]
    console.print(rich_table(run.signals.table[cols], f"KLR signals, horizon {horizon}", digits=4))
    ev = run.evaluation
    console.print(f"composite >= {threshold}: hit rate {ev['hit_rate']:.2%}, false alarms "
                  f"{ev['false_alarm_rate']:.2%}, warned {ev['events_warned']}/{ev['events']} events, "
                  f"mean lead {ev['mean_lead']:.1f} periods")
