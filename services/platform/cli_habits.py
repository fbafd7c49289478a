"""What every command line of the product does alike: ``-h``, ``--version``, misconfiguration as one line.

A misconfiguration (a bad or missing setting, a port another process holds) is the operator's to fix,
not a crash: one ``error: ...`` line on stderr and exit code 2, before the process touches Kafka.
Exit 1 stays "cannot start / failed" (``platform.startup``): Kafka unreachable, a part failed.
"""

from __future__ import annotations

import os
import socket
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings
from rich.console import Console

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
"""Every typer app: ``-h`` as well as ``--help`` (child commands inherit it from the group)."""
MISCONFIGURED = 2
PIPED_WIDTH = 1000
"""Columns of stdout when it is not a terminal: tables size to their content and no cell is cut."""
S = TypeVar("S", bound=BaseSettings)


class MisconfiguredError(Exception):
    """A setting the operator must fix: the message names the variable, the value and what is allowed."""


def package_version() -> str:
    """The installed distribution's version (``unknown`` when run from a bare source tree)."""
    try:
        return version("hiring-pipeline")
    except PackageNotFoundError:  # pragma: no cover - the package is always installed (editable)
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"hiring-pipeline {package_version()}")
        raise typer.Exit()


def app(**kwargs: Any) -> typer.Typer:
    """A typer group with ``-h``/``--help`` and an eager ``--version`` (keyword arguments: typer's)."""
    group = typer.Typer(context_settings=CONTEXT_SETTINGS, **kwargs)

    @group.callback()
    def _options(
        show_version: bool = typer.Option(
            False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        pass

    return group


def stdout_console() -> Console:
    """A rich Console on stdout: the terminal's width, or (piped, no COLUMNS) wide enough for every cell."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console()
    return Console(width=PIPED_WIDTH)


def exit_misconfigured(message: str) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit 2."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    raise SystemExit(MISCONFIGURED)


def _env_prefix(model: type[BaseModel], title: str) -> str:
    """The env prefix of ``model``, or of its nested settings class named ``title`` (a default factory's)."""
    if model.__name__ != title:
        for field in model.model_fields.values():
            nested = field.annotation
            if isinstance(nested, type) and issubclass(nested, BaseSettings) and nested.__name__ == title:
                model = nested
                break
    return str(model.model_config.get("env_prefix", "") or "")


def describe(error: ValidationError, model: type[BaseModel]) -> str:
    """One line for a settings ValidationError: each variable, its value and what is allowed."""
    prefix, parts = _env_prefix(model, error.title), []
    for item in error.errors(include_url=False):
        why = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:  # a check across settings: its input is all of them (secrets too), never shown
            parts.append(f"{prefix}* settings: {why}")
            continue
        name = prefix + "_".join(str(p) for p in item["loc"]).upper()
        if item["type"] == "missing":
            parts.append(f"{name} is not set ({why.lower()})")
        else:
            parts.append(f"{name}={item['input']!s} is not allowed: {why}")
    return "; ".join(parts)


def load(model: type[S], **values: Any) -> S:
    """``model(**values)`` read from the environment; a bad or missing value exits 2 with one line."""
    try:
        return model(**values)
    except ValidationError as exc:
        exit_misconfigured(describe(exc, model))


def listen(host: str, port: int, setting: str) -> socket.socket:
    """The HTTP listening socket, bound now: a taken port is found before Kafka is ever touched."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:  # errno's own words: create_server appends the address to strerror
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise MisconfiguredError(
            f"cannot listen on {host}:{port} ({setting}): {why}; "
            "another process holds the port, or the address is not this host's"
        ) from None


def listen_or_exit(host: str, port: int, setting: str) -> socket.socket:
    """``listen``, exiting 2 with one line when the address cannot be bound."""
    try:
        return listen(host, port, setting)
    except MisconfiguredError as exc:
        exit_misconfigured(str(exc))
