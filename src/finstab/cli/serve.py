"""``finstab serve``: the web dashboard."""

from __future__ import annotations

from pathlib import Path

import typer

from finstab.cli.common import console, handle_errors


@handle_errors
def serve_command(
    store: str | None = typer.Option(None, "--store", help="Store file or SQLAlchemy URL."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    tokens: Path | None = typer.Option(None, "--tokens", help="YAML {token: role}; else $FINSTAB_TOKENS."),
    max_upload_mb: float = typer.Option(5, "--max-upload-mb", min=0.01, max=1024),
    session_hours: float = typer.Option(8, "--session-hours", min=0.01, max=24 * 30,
                                        help="How long a login lasts."),
) -> None:
    """Serve the dashboard: log in with a token, upload, run, browse every module's runs.

    The DuckDB store is opened only while a request uses it, so ``finstab runs`` and other
    commands can use the same file while the server runs.
    """
    try:
        import uvicorn

        from finstab.web.app import create_app
    except ImportError:
        console.print("[red]the web dashboard needs: pip install 'finstab[web]'[/]")
        raise typer.Exit(2) from None
    from finstab.store.database import Store
    from finstab.web.auth import load_tokens, new_token

    table = load_tokens(tokens)  # a bad tokens file or store fails here, before anything is served
    runs = Store(store).check()
    if not table:
        token = new_token()
        table = {token: "analyst"}
        console.print(f"no tokens configured; analyst token for this session: [bold]{token}[/]")
    app = create_app(runs, table, int(max_upload_mb * 1024 * 1024), session_hours=session_hours)
    console.print(f"finstab dashboard on http://{host}:{port}/ (API docs at /docs); store {runs.url}")
    uvicorn.run(app, host=host, port=port, log_level="warning")
