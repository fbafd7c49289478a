"""``hiring-pipeline interview ...``: a typer sub-app the platform CLI mounts."""

from __future__ import annotations

import os

import typer

from services.platform.cli_habits import app as cli_app

app = cli_app(help="The interview service (command side).", no_args_is_help=True)


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


@app.command("reset-state")
def reset_state(
    partition: list[int] = typer.Option(..., "--partition", help="Commands partition to reset (repeatable)."),
) -> None:
    """Forget the writer's state of partitions: the next owner rebuilds it from interview.events.

    The release of an interview parked with ``history_unreadable``: stop the writers, deploy a build that
    reads the record, reset its partition, start the writers. Kafka from KAFKA_*, the group from
    INTERVIEW_GROUP_ID. Refused while any writer runs: it would write state over the reset.
    """
    import asyncio

    from schemas.topics import Topics
    from services.interview.adapters.state_reset import active_members, reset_partitions
    from services.interview.entrypoints.settings import InterviewSettings, writer_group
    from services.platform.settings import KafkaSettings

    kafka = KafkaSettings()
    if not kafka.bootstrap_servers:
        typer.echo("error: KAFKA_BOOTSTRAP_SERVERS is not set", err=True)
        raise typer.Exit(2)
    topics, client = Topics(kafka.topic_prefix), kafka.client_kwargs()
    group = writer_group(InterviewSettings(), topics)
    members = asyncio.run(active_members(client, group))
    if members:
        typer.echo(f"error: {members} writer(s) of group {group} are running; stop them first", err=True)
        raise typer.Exit(1)
    topic = topics.writer_state
    forgotten = asyncio.run(reset_partitions(client, topic, partition))
    for p, count in sorted(forgotten.items()):
        typer.echo(f"{topic}[{p}]: {count} keys forgotten; the next writer rebuilds it from interview.events")
