"""``finstab bank``: the stability-fund bank screen."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.common import console, handle_errors, report_written, rich_table
from finstab.samples import sample_path

bank_app = typer.Typer(no_args_is_help=True, help="IN index screen, threshold calibration, decision memo.")

DATA = typer.Option(None, "--data", help="Bank x quarter panel (CSV/Excel); default: the synthetic sample.")
PARAMS = typer.Option(None, "--params", help="IN parameters YAML; default: the paper's.")


def _data(path: Path | None) -> Path:
    if path is None:
        console.print("using the SYNTHETIC sample bank panel", style="yellow")
        return sample_path("banks/panel.csv")
    return path


@bank_app.command("screen")
@handle_errors
def screen_command(data: Path | None = DATA, params: Path | None = PARAMS,
                   threshold: float | None = typer.Option(None, "--threshold", help="IN threshold."),
                   failures: Path | None = typer.Option(None, "--failures", help="Calibrate the threshold first."),
                   quarter: str | None = typer.Option(None, "--quarter", help="Quarter, e.g. 2021Q1."),
                   out: Path | None = typer.Option(None, "--out", help="Write the screen to DIR/screen.csv.")) -> None:
    """Watch list: IN, 4-quarter trend, volatility and systemic-impact flags."""
    from finstab.pipelines import run_bank_screen

    res, cal = run_bank_screen(_data(data), params=params, threshold=threshold, failures=failures)
    if cal is not None:
        console.print(cal.summary())
    console.print(rich_table(res.watch_list(quarter), "IN watch list", digits=5))
    console.print(res.summary(), style="dim")
    if out is not None:
        from finstab.core.io import write_csv

        console.print(f"wrote {write_csv(res.to_frame(), Path(out) / 'screen.csv')}")


@bank_app.command("calibrate")
@handle_errors
def calibrate_command(data: Path | None = DATA, params: Path | None = PARAMS,
                      failures: Path = typer.Option(None, "--failures", help="bank, failure_quarter CSV."),
                      penalty: float = typer.Option(3.0, "--penalty", help="PELT penalty factor.")) -> None:
    """Threshold = mean IN where failed banks' paths jump; hits, false alarms, lead time."""
    from finstab.pipelines import run_bank_screen

    failures = failures or sample_path("banks/failures.csv")
    _, cal = run_bank_screen(_data(data), params=params, failures=failures, penalty=penalty)
    console.print(rich_table(cal.jumps, "Jumps of failed banks", digits=6))
    console.print(cal.summary())


@bank_app.command("memo")
@handle_errors
def memo_command(bank: str = typer.Option(..., "--bank", help="Bank id."),
                 data: Path | None = DATA, params: Path | None = PARAMS,
                 inputs: Path | None = typer.Option(None, "--inputs", help="Analyst inputs YAML."),
                 threshold: float | None = typer.Option(None, "--threshold"),
                 failures: Path | None = typer.Option(None, "--failures"),
                 out: Path = typer.Option(Path("out/memo"), "--out", help="Output directory.")) -> None:
    """Bilingual decision memo (Markdown and HTML) with the eight items."""
    from finstab.pipelines import run_bank_memo

    memo = run_bank_memo(bank, _data(data), inputs or sample_path("banks/memo_inputs.yaml"),
                         params=params, threshold=threshold, failures=failures)
    console.print(memo.waterfall.summary())
    report_written(paths=memo.write(out))
