"""The ``finstab`` command."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.bank import bank_app
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
from finstab.cli.contagion import contagion_command
from finstab.cli.fund import fund_app
from finstab.cli.runs import report_command, runs_app
from finstab.cli.serve import serve_command
from finstab.cli.spillover import spillover_command
from finstab.cli.template import template_command
from finstab.cli.warn import warn_command
from finstab.core.errors import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="finstab: financial-stability analysis (monitor, FCE, bank screen, "
                       "fund sizing, contagion).")
systems_app = typer.Typer(no_args_is_help=True, help="List and show indicator systems.")
app.add_typer(systems_app, name="systems")


@app.callback()
def _quiet_python_warnings() -> None:
    """Results carry their warnings and every command prints them once, as one line each:
    Python's own display of the same warnings (with source lines) would only repeat them."""
    import warnings

    from finstab.core.warnings import FinstabWarning

    warnings.filterwarnings("ignore", category=FinstabWarning)
app.add_typer(fund_app, name="fund")
app.add_typer(bank_app, name="bank")
app.command("contagion")(contagion_command)
app.command("spillover")(spillover_command)
app.command("warn")(warn_command)
app.add_typer(runs_app, name="runs")
app.command("report")(report_command)
app.command("serve")(serve_command)
app.command("template")(template_command)


@systems_app.command("list")
@handle_errors
def systems_list(lang: str = LangOption) -> None:
    """List the shipped presets."""
    import pandas as pd

    from finstab.monitor.systems import available_presets, load_system

    rows = []
    for name in available_presets():
        s = load_system(name)
        rows.append({"preset": name, "name": s.name(lang), "indicators": len(s.tree.indicators)})
    console.print(rich_table(pd.DataFrame(rows), "presets"))


@systems_app.command("show")
@handle_errors
def systems_show(name: str, lang: str = LangOption) -> None:
    """Show a system's tree with local and global weights."""
    from finstab.monitor.systems import load_system

    s = load_system(name)
    tree = s.tree
    console.print(f"[bold]{s.name(lang)}[/] ({s.id}) — {len(tree.indicators)} indicators")
    console.print(s.source, style="dim")
    for k, node in enumerate(tree.nodes[1:], start=1):
        gw = float(tree.membership[k] @ tree.global_weights)
        console.print(f"{'  ' * (node.level - 1)}[bold]{node.name(lang)}[/] "
                      f"local {node.local_weight:.4f} global {gw:.4f}")
        for j, ind in enumerate(tree.indicators):
            if tree.indicator_parent[j] == node.id:
                console.print(f"{'  ' * node.level}- {ind.id}: {ind.name(lang)} [{ind.type}] "
                              f"cuts {ind.cuts} global {tree.global_weights[j]:.4f}")


@app.command("ahp")
@handle_errors
def ahp_command(
    file: Path = typer.Argument(..., help="YAML or CSV file with a square pairwise matrix."),
    method: str = typer.Option("eigen", help="eigen or geometric."),
    ri_table: str = typer.Option("saaty1980", help="Random-index table name."),
) -> None:
    """Weights, lambda_max, CI, CR and the most inconsistent judgment of a matrix."""
    from finstab.core.io import read_table
    from finstab.mcda.ahp import ahp_weights

    labels = None
    if file.suffix.lower() in (".yaml", ".yml"):
        from finstab.core.config import load_yaml

        data = load_yaml(file)
        if isinstance(data, dict):
            labels, data = data.get("labels"), data.get("matrix")
        from finstab.monitor.systems.schema import _parse_judgment

        if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
            raise ConfigError("expected a square matrix: a list of rows, or a mapping with 'matrix' (and "
                              "'labels')", where=str(file))
        try:
            matrix = [[_parse_judgment(x) for x in row] for row in data]
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"expected a list of rows of numbers: {exc}", where=str(file)) from None
    else:
        df = read_table(file)
        labels = [str(c) for c in df.columns]
        matrix = df.to_numpy()
    res = ahp_weights(matrix, method=method, ri_table=ri_table, name=str(file))
    console.print(res.summary(labels))


@app.command("monitor")
@handle_errors
def monitor_command(
    data: Path = typer.Option(..., "--data", help="CSV or Excel panel (long or wide)."),
    system: str = typer.Option("zibo", "--system", help="Preset name or YAML path."),
    out: Path | None = OutOption,
    method: str = typer.Option("threshold", "--method", help="threshold or fce."),
    objective: str | None = typer.Option(None, "--objective", help="Blend AHP with entropy or critic weights."),
    alpha: float = typer.Option(0.5, "--alpha", help="Share of the AHP weights in the blend."),
    missing: str = typer.Option("error", "--missing", help="error, or renormalise over present indicators."),
    dask: str | None = typer.Option(None, "--dask", help="Score chunks of regions on dask: 'local' (worker "
                                    "processes here) or a scheduler address such as tcp://host:8786."),
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding of a CSV (default: detect UTF-8, "
                                        "UTF-8 with BOM, GBK/GB18030)."),
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """Score a panel with an indicator system and print scores and grades."""
    from finstab.core.io import read_table
    from finstab.pipelines.monitor import run_monitor

    runs = open_store(store, no_store)
    panel = read_table(data, encoding=encoding) if encoding else data
    result = run_monitor(system, panel, method=method, missing=missing, objective=objective, alpha=alpha,
                         scheduler=dask)
    deliver(result, lang=lang, out=out, store=runs, label=f"{system} on {data.name}")


@app.command("fce")
@handle_errors
def fce_command(
    system: str = typer.Option("guangxi", "--system", help="Preset name or YAML path."),
    votes: Path | None = typer.Option(None, "--votes", help="Expert vote counts per indicator and grade."),
    data: Path | None = typer.Option(None, "--data", help="Indicator values (long or wide)."),
    operator: str = typer.Option("weighted_average", "--operator",
                                 help="weighted_average | min_max | product_max | min_bounded_sum"),
    experts: int | None = typer.Option(None, "--experts", help="Expected number of experts per row."),
    out: Path | None = OutOption,
    store: str | None = StoreOption,
    no_store: bool = NoStoreOption,
    lang: str = LangOption,
) -> None:
    """AHP + fuzzy comprehensive evaluation: membership B, score and grade per layer."""
    from finstab.pipelines.monitor import run_fce

    runs = open_store(store, no_store)
    result = run_fce(system, votes=votes, data=data, operator=operator, n_experts=experts)
    source = (votes or data).name if (votes or data) else ""
    deliver(result, lang=lang, out=out, store=runs, label=f"{system} FCE ({operator}) on {source}")


@app.command("demo")
@handle_errors
def demo_command(out: Path = typer.Option(Path("out"), "--out", help="Output directory."),
                 lang: str = LangOption) -> None:
    """Run every method on the embedded sample data and write DIR/report.html."""
    from finstab.report.demo import run_demo

    path = run_demo(out, lang, console=console, workers=1)
    console.print(f"[bold green]report written:[/] {path}")


if __name__ == "__main__":
    app()
