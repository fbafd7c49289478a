"""``hiring-pipeline decision ...`` / ``python -m services.decision``: run a role, list or retry parked."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
from pathlib import Path
from typing import Any

import typer
from aiokafka import AIOKafkaProducer

from schemas.dlq import POISON, DlqEntry
from schemas.topics import Topics
from services.decision.adapters.records import dlq_entry, release_record
from services.decision.domain.dlq import latest_words
from services.decision.entrypoints.settings import DecisionSettings, Role
from services.platform.cli_habits import app as cli_app
from services.platform.cli_habits import exit_misconfigured, listen_or_exit, load
from services.platform.log_reader import read_all
from services.platform.logging import configure_logging
from services.platform.serving import stop_on_signals
from services.platform.tracing import configure_tracing

app = cli_app(
    help="The decision service: four roles (projector, candidacy, query, notary), each its own process "
    "(ADR 0016, 0026).",
    no_args_is_help=True,
)
PORT = typer.Option(None, help="HTTP port (DECISION_PORT; default: the role's own).")


@app.command()
def projector(port: int = PORT) -> None:
    """The verdict projector: interview.events to verdicts, exactly once; probes and metrics (8083)."""
    _run(Role.PROJECTOR, port)


@app.command()
def candidacy(port: int = PORT) -> None:
    """The candidacy projector: round verdicts to candidacy verdicts, exactly once; probes, metrics (8084)."""
    _run(Role.CANDIDACY, port)


@app.command()
def query(port: int = PORT) -> None:
    """The query service: the read models and the HTTP query API (8082); any number of replicas."""
    _run(Role.QUERY, port)


@app.command()
def notary(port: int = PORT) -> None:
    """The notary: transparency-log trees and signed checkpoints, exactly once (ADR 0026); probes (8085)."""
    _run(Role.NOTARY, port)


@app.command()
def serve(port: int = PORT) -> None:
    """All four roles in ONE process (8082): for development and in-process tests, not production."""
    _run(Role.SERVE, port)


def _run(role: Role, port: int | None) -> None:
    """Run ``role`` until SIGTERM/SIGINT; Kafka from KAFKA_*, the rest from DECISION_*.

    Every misconfiguration (a bad or missing setting, a taken port) exits 2 with one line before Kafka.
    """
    settings = load(DecisionSettings)
    if port is not None:
        settings = settings.model_copy(update={"port": port})
    if not settings.kafka.bootstrap_servers:
        exit_misconfigured("KAFKA_BOOTSTRAP_SERVERS is not set; point it at a broker (e.g. 127.0.0.1:9092)")
    serves_reads = role in (Role.QUERY, Role.SERVE)  # the projectors answer probes and metrics only
    for problem in settings.auth.problems() if serves_reads else []:
        exit_misconfigured(problem)
    where = "--port" if port is not None else "DECISION_HOST, DECISION_PORT"
    sock = listen_or_exit(settings.host, settings.port_of(role), where)
    configure_logging(settings.log_level, settings.log_json)
    configure_tracing("decision")  # one service in traces; the role is in the logs and metrics
    if not asyncio.run(_serve(settings, role, sock)):
        raise typer.Exit(1)  # a part failed (logged): let the supervisor restart us


async def _serve(settings: DecisionSettings, role: Role, sock: socket.socket) -> bool:
    from services.decision.entrypoints.service import run_role

    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        await run_role(settings, role, stop, sock=sock)
    except RuntimeError:
        return False
    return True


@app.command("tlog-key")
def tlog_key(
    name: str = typer.Option(..., help="The key's name, in every signature (e.g. example.com/notary-2027)."),
    out: Path = typer.Option(..., help="New file for the PRIVATE+KEY line (owner-only; never printed)."),
) -> None:
    """A new notary signing key (ADR 0026): the private key to ``--out``, the verifier key to stdout."""
    from schemas.checkpoint import generate_key

    skey, vkey = generate_key(name)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never overwrite a key
    with os.fdopen(fd, "w") as file:
        file.write(skey + "\n")
    typer.echo(vkey)


async def parked_entries(client: dict[str, Any], topics: Topics) -> list[DlqEntry]:
    """DLQ records whose latest word is still ``poison`` (their interviews wait behind them)."""
    entries = [e for r in await read_all(client, topics.dlq) if (e := dlq_entry(r)) is not None]
    by_partition: dict[int, list[DlqEntry]] = {}
    for entry in entries:
        by_partition.setdefault(entry.partition, []).append(entry)
    status = [e for group in by_partition.values() for e in latest_words(group).values()]
    return [e for e in status if e.kind == POISON]


@app.command()
def parked(
    as_json: bool = typer.Option(False, "--json", help="A JSON array of the parked records (empty: [])."),
) -> None:
    """List parked records: interview, source offset, reason ("none" when nothing is parked)."""
    settings = load(DecisionSettings)
    if not settings.kafka.bootstrap_servers:
        exit_misconfigured("KAFKA_BOOTSTRAP_SERVERS is not set; point it at a broker (e.g. 127.0.0.1:9092)")
    topics = Topics(settings.kafka.topic_prefix)
    entries = asyncio.run(parked_entries(settings.kafka.client_kwargs(), topics))
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(e) for e in entries], indent=2))
        return
    for e in entries:
        typer.echo(f"{e.interview_id}\tp{e.partition}@{e.offset}\t{e.code}\t{e.reason}")
    if not entries:
        typer.echo("none")


async def release(
    client: dict[str, Any], topics: Topics, interview: str | None, *, skip: bool
) -> list[DlqEntry]:
    """Write a release for each parked record (of one interview, or all); the owner resumes them."""
    chosen = [e for e in await parked_entries(client, topics) if interview in (None, e.interview_id)]
    producer = AIOKafkaProducer(enable_idempotence=True, **client)
    await producer.start()
    try:
        for entry in chosen:
            out = release_record(entry, topics, skip=skip)
            await producer.send_and_wait(
                out.topic, out.value, key=out.key, headers=out.headers, partition=out.partition
            )
    finally:
        await producer.stop()
    return chosen


@app.command("retry-parked")
def retry_parked(
    interview: str = typer.Option(None, help="Only this interview (default: every parked one)."),
    skip: bool = typer.Option(False, help="Drop the parked record for good (it is not an interview fact)."),
) -> None:
    """After a fix is deployed: re-read the parked records (or skip them) and resume their interviews."""
    settings = DecisionSettings()
    topics = Topics(settings.kafka.topic_prefix)
    done = asyncio.run(release(settings.kafka.client_kwargs(), topics, interview, skip=skip))
    for e in done:
        typer.echo(
            f"released {e.interview_id} p{e.partition}@{e.offset} ({e.code}) -> {'skip' if skip else 'retry'}"
        )
    if not done:
        typer.echo("nothing parked")
