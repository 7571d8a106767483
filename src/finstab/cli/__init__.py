"""Command-line interface (typer + rich); each command is a thin call into a pipeline."""
