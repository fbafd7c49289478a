"""``hiring-pipeline interview ...``: a typer sub-app the platform CLI mounts."""

from __future__ import annotations

import os

import typer

app = typer.Typer(help="The interview service (command side).", no_args_is_help=True)


@app.command()
def serve(
    host: str = typer.Option(None, help="HTTP listen address (INTERVIEW_HOST)."),
    port: int = typer.Option(None, help="HTTP listen port (INTERVIEW_PORT)."),
    http: bool = typer.Option(None, "--http/--no-http", help="Serve HTTP (INTERVIEW_HTTP)."),
    writer: bool = typer.Option(None, "--writer/--no-writer", help="Run the writer (INTERVIEW_WRITER)."),
) -> None:
    """Run the interview service until SIGTERM; Kafka from KAFKA_*, the rest from INTERVIEW_*."""
    for name, value in {"HOST": host, "PORT": port, "HTTP": http, "WRITER": writer}.items():
        if value is not None:
            os.environ[f"INTERVIEW_{name}"] = str(value).lower() if isinstance(value, bool) else str(value)
    from services.interview.entrypoints.run import main

    raise typer.Exit(main())
