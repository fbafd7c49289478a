"""Options and helpers shared by the ``hiring-audit`` commands."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console

from services.audit.domain.report import Model
from services.audit.entrypoints.progress import stderr_console
from services.audit.entrypoints.source import Source, SourceError, Spooled, load, load_spooled
from services.platform.cli_habits import stdout_console

FROM = typer.Option(None, "--from", help="Read a JSONL export directory instead of Kafka.")
PREFIX = typer.Option(None, "--topic-prefix", help="Topic name prefix (default: KAFKA_TOPIC_PREFIX).")
SERVERS = typer.Option(None, "--bootstrap-servers", help="Kafka cluster (default: KAFKA_BOOTSTRAP_SERVERS).")
JSON = typer.Option(False, "--json", help="Print the machine-readable report (see `hiring-audit schema`).")
QUIET = typer.Option(False, "--no-progress", help="No progress bar.")

M = TypeVar("M", bound=Model)


def fail(message: str) -> typer.Exit:
    """Print an error to stderr and return the exit for bad input (2)."""
    stderr_console().print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def emit(report: M, as_json: bool, table: Callable[[Console, M], None] | None) -> None:
    """The report as JSON on stdout, or the readable table."""
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    elif table is not None:
        table(stdout_console(), report)


def parse_time(text: str | None) -> datetime | None:
    """RFC 3339 / ISO 8601; a time without an offset is taken as UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{text!r} is not an ISO 8601 time, e.g. 2025-01-06T09:00:05Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read(from_dir: Path | None, servers: str | None, prefix: str | None, quiet: bool) -> Source:
    """Load the history or exit 2 with the reason."""
    try:
        return load(from_dir, servers, prefix, not quiet)
    except SourceError as exc:
        raise fail(str(exc)) from None


def read_spooled(from_dir: Path | None, servers: str | None, prefix: str | None, quiet: bool) -> Spooled:
    """Spool the history (``verify``) or exit 2 with the reason."""
    try:
        return load_spooled(from_dir, servers, prefix, not quiet)
    except SourceError as exc:
        raise fail(str(exc)) from None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: a replay allocates millions of acyclic objects, and full collections
    over the growing heap cost about a third of verify's time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
