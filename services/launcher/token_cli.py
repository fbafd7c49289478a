"""``hiring-pipeline token ...``: bearer tokens of the local development issuer (platform.devkeys)."""

from __future__ import annotations

from pathlib import Path

import typer

from services.platform.auth import Role
from services.platform.cli_habits import app as cli_app
from services.platform.devkeys import dev_issuer, parse_ttl

app = cli_app(
    help="Development tokens signed by a local key (production: your OIDC provider).", no_args_is_help=True
)
_DIR = typer.Option(None, "--dir", help="Key directory (default: $XDG_STATE_HOME/hiring-pipeline/auth).")


@app.command("issue")
def issue(
    role: list[Role] = typer.Option(..., "--role", help="Role to grant (repeatable)."),
    sub: str = typer.Option(..., "--sub", help="Subject: the participant (or service) id the token names."),
    interview: list[str] = typer.Option(
        [], "--interview", help="Narrow the token to this interview (repeatable); default: any."
    ),
    ttl: str = typer.Option("1h", "--ttl", help="Lifetime: seconds, or e.g. 15m, 8h, 2d (at most 7d)."),
    directory: Path = _DIR,
) -> None:
    """Print a signed JWT (the key is created on first use): TOKEN=$(hiring-pipeline token issue ...)."""
    try:
        token = dev_issuer(directory).issue([r.value for r in role], sub, parse_ttl(ttl), interview)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(token)


@app.command("env")
def env(directory: Path = _DIR) -> None:
    """Print the AUTH_* settings that make a service trust the local issuer (eval "$(... token env)")."""
    for name, value in dev_issuer(directory).env().items():
        typer.echo(f"export {name}={value}")
