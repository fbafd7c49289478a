"""``hiring-pipeline``: the local broker, topics, and the main run."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import uuid
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.table import Table

from schemas.topics import TOPIC_SPECS, Topics
from services.decision.entrypoints.cli import app as decision_app
from services.interview.entrypoints.cli import app as interview_app
from services.launcher import principals, secure_kafka
from services.launcher.calibration_sample import OFFSET_INTERVIEWER, feed_calibration_sample
from services.launcher.check import check
from services.launcher.privacy import app as privacy_app
from services.launcher.token_cli import app as token_app
from services.platform import local_kafka
from services.platform.cli_habits import app as cli_app
from services.platform.cli_habits import load, stdout_console
from services.platform.devkeys import dev_issuer
from services.platform.settings import KafkaSettings
from services.platform.topics import describe, ensure_topics

app = cli_app(
    help="hiring-pipeline: interview and decision services on Apache Kafka.", no_args_is_help=True
)
kafka_app = cli_app(
    help="The embedded Apache Kafka broker (real broker, jars from Maven Central).", no_args_is_help=True
)
topics_app = cli_app(help="Product topics.", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")
app.add_typer(topics_app, name="topics")
app.add_typer(interview_app, name="interview", help="The interview service (command side).")
app.add_typer(decision_app, name="decision", help="The decision service: its four roles.")
app.add_typer(privacy_app, name="privacy", help="Personal data: erase a candidate (crypto-shredding).")
app.add_typer(token_app, name="token", help="Development bearer tokens (a local signing key).")
app.command("check")(check)
console = stdout_console()


def state_dir() -> Path:
    """Where ``kafka up`` keeps its named broker (XDG_STATE_HOME or ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hiring-pipeline" / "kafka"


def _fail(message: str) -> typer.Exit:
    """One ``error:`` line on stderr (stdout stays the command's output) and exit code 2."""
    Console(stderr=True).print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code=2)


@kafka_app.command("fetch")
def kafka_fetch() -> None:
    """Download the broker jars into the user cache (once per Kafka version)."""
    try:
        path = local_kafka.ensure_jars()
    except (local_kafka.MissingPrerequisiteError, local_kafka.BrokerStartError) as exc:
        raise _fail(str(exc)) from None
    console.print(f"Apache Kafka {local_kafka.KAFKA_VERSION} jars in {path}")


@kafka_app.command("up")
def kafka_up(
    data_dir: Path = typer.Option(None, help="Broker data directory (default: the named state dir)."),
    port: int = typer.Option(0, help="Client port on 127.0.0.1 (0: a free one)."),
    fresh: bool = typer.Option(False, help="Wipe the data directory first (a new cluster)."),
    secure: bool = typer.Option(
        False,
        help="SASL_SSL with SCRAM-SHA-512, a throwaway CA, the standard authorizer and one user per "
        "service with least-privilege ACLs (passwords in <data dir>/credentials). Only on a new data dir.",
    ),
) -> None:
    """Start a single-node KRaft broker in the background and provision the topics."""
    target = data_dir or state_dir()
    info = local_kafka.BrokerInfo.load(target)
    if info is not None and local_kafka.pid_alive(info.pid):
        console.print(f"already running: pid {info.pid} at {info.bootstrap_servers}")
        return
    if fresh:
        shutil.rmtree(target, ignore_errors=True)
        info = None  # a new cluster: secure only with --secure
    formatted = (target / "log" / "meta.properties").exists()
    if secure and formatted and not (info is not None and info.secure):
        raise _fail(
            f"{target} holds a broker formatted without --secure; add --fresh (wipes it) or use --data-dir"
        )
    users = secure_kafka.make_credentials(target) if secure or (info is not None and info.secure) else None
    try:
        info = local_kafka.start_broker(target, port or None, scram_users=users)
        client = secure_kafka.admin_client(info) if info.secure else None
        took = local_kafka.wait_ready(info, client=client)
    except (local_kafka.MissingPrerequisiteError, local_kafka.BrokerStartError) as exc:
        raise _fail(str(exc)) from None
    if info.secure:
        created, acls = asyncio.run(secure_kafka.provision(info, load(KafkaSettings)))
    else:
        created = asyncio.run(_provision(info.bootstrap_servers))
    # One fact per line: a sentence of comma-joined values wraps on a narrow terminal into lines that
    # end in commas, and the values are what a reader copies.
    console.print(f"Apache Kafka {info.version} ready in {took:.1f}s (pid {info.pid})", soft_wrap=True,
                  highlight=False)  # fmt: skip
    console.print(f"  KAFKA_BOOTSTRAP_SERVERS={info.bootstrap_servers}", soft_wrap=True, highlight=False)
    console.print(f"  data directory: {info.data_dir}", soft_wrap=True, highlight=False)
    _print_created(created)
    if info.secure:
        console.print(f"SASL_SSL, SCRAM-SHA-512, {acls} ACLs; environment of each principal:")
        for user in secure_kafka.USERS:
            env = info.client_env(user, secure_kafka.password_file(target, user))
            console.print(f"  {user}: " + " ".join(f"{k}={v}" for k, v in env.items()), soft_wrap=True)


@kafka_app.command("env")
def kafka_env(
    user: str = typer.Option(
        principals.AUDIT, help="The principal of a --secure broker: admin, interview, decision or audit."
    ),
    data_dir: Path = typer.Option(None, help="Data directory given to `up`."),
) -> None:
    """Print `export KAFKA_...` lines for a client of the running broker (use with eval)."""
    target = data_dir or state_dir()
    info = local_kafka.BrokerInfo.load(target)
    if info is None or not local_kafka.pid_alive(info.pid):
        raise _fail(f"no broker runs from {target}; start one with `hiring-pipeline kafka up`")
    if info.secure and user not in secure_kafka.USERS:
        raise _fail(f"unknown user {user!r}; one of {', '.join(secure_kafka.USERS)}")
    env = info.client_env()
    if info.secure:
        env = info.client_env(user, secure_kafka.password_file(target, user))
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}")


@kafka_app.command("down")
def kafka_down(data_dir: Path = typer.Option(None, help="Data directory given to `up`.")) -> None:
    """Stop the broker started by ``up`` (by its process id)."""
    info = local_kafka.BrokerInfo.load(data_dir or state_dir())
    if info is None or not local_kafka.pid_alive(info.pid):
        console.print("not running")
        return
    local_kafka.stop_broker(info)
    console.print(f"stopped pid {info.pid}")


@kafka_app.command("status")
def kafka_status(data_dir: Path = typer.Option(None, help="Data directory given to `up`.")) -> None:
    """Show whether the broker runs and the product topics it holds."""
    info = local_kafka.BrokerInfo.load(data_dir or state_dir())
    if info is None or not local_kafka.pid_alive(info.pid):
        console.print("not running")
        raise typer.Exit(code=1)
    console.print(
        f"running: pid {info.pid} at {info.bootstrap_servers} "
        f"(Kafka {info.version}, {info.security_protocol})"
    )
    settings = load(KafkaSettings)
    if info.secure:
        settings = secure_kafka.user_settings(info, local_kafka.ADMIN_USER, settings)
    _print_topics(settings.model_copy(update={"bootstrap_servers": info.bootstrap_servers}))


@topics_app.command("create")
def topics_create() -> None:
    """Create the product topics on KAFKA_BOOTSTRAP_SERVERS (idempotent)."""
    settings = load(KafkaSettings)
    if not settings.bootstrap_servers:
        raise _fail("KAFKA_BOOTSTRAP_SERVERS is not set")
    created = asyncio.run(_provision(settings.bootstrap_servers))
    _print_created(created)


def _print_created(created: list[str]) -> None:
    """The topics just created, one per line (none: all existed)."""
    if not created:
        console.print("topics created: none (all existed)")
        return
    console.print(f"topics created ({len(created)}):", highlight=False)
    for name in created:
        console.print(f"  {name}", soft_wrap=True, highlight=False)


async def _provision(bootstrap: str) -> list[str]:
    settings = load(KafkaSettings).model_copy(update={"bootstrap_servers": bootstrap})
    return await ensure_topics(
        settings.client_kwargs(),
        Topics(settings.topic_prefix),
        settings.partitions,
        settings.replication_factor,
    )


def _print_topics(settings: KafkaSettings) -> None:
    client, topics = settings.client_kwargs(), Topics(settings.topic_prefix)
    names = [topics.name(spec.name) for spec in TOPIC_SPECS]
    found = asyncio.run(describe(client, names))
    table = Table("topic", "partitions", "cleanup.policy", "retention.ms")
    for name in names:
        item = found.get(name, {})
        config = item.get("config", {})
        table.add_row(
            name,
            str(item.get("partitions", "-")),
            config.get("cleanup.policy", "-"),
            config.get("retention.ms", "-"),
        )
    console.print(table)


def main() -> None:
    """Console-script entry point."""
    app()


@app.command("sample-calibration")
def sample_calibration(
    interview_url: str = typer.Option("http://127.0.0.1:8080", help="The interview service's base URL."),
    interviews: int = typer.Option(36, min=1, help="Interviews to feed."),
    seed: int = typer.Option(13, help="Seed of the sample (the same seed gives the same ratings)."),
    token_file: Path = typer.Option(
        None, envvar="SAMPLE_TOKEN_FILE", help="File holding a bearer token with role service (default: "
        "one signed by the local development issuer, the one `hiring-pipeline token env` makes trusted).",
    ),
) -> None:  # fmt: skip
    """Feed the calibration sample (one interviewer rates 1.6 points low) through the interview service."""
    # A service token acts for each participant, as the main run's feeder does.
    token = token_file.read_text().strip() if token_file else dev_issuer().issue(
        "service", "sample-calibration", ttl_s=3600
    )  # fmt: skip
    auth = {"Authorization": f"Bearer {token}"}

    async def go() -> int:
        async with httpx.AsyncClient(base_url=interview_url, timeout=30, headers=auth) as http:
            fed = await feed_calibration_sample(http, uuid.uuid4().hex[:6], interviews, seed=seed)
        return sum(len(f.event_ids) for f in fed)

    try:
        events = asyncio.run(go())
    except (httpx.HTTPError, RuntimeError) as exc:
        raise _fail(f"feeding the calibration sample to {interview_url} failed: {exc}") from None
    console.print(f"fed {interviews} interviews ({events} events); expect `{OFFSET_INTERVIEWER}` flagged by "
                  "GET /calibration on the decision service and by `hiring-audit calibration`")  # fmt: skip


@app.command("run")
def run_command(
    exit_after_sample: bool = typer.Option(
        False, help="Stop after the sample interviews instead of serving until Ctrl-C."
    ),
    secure: bool = typer.Option(
        False,
        help="A local broker with SASL_SSL (SCRAM-SHA-512), a throwaway CA and ACLs; each service runs "
        "as its own Kafka user (ignores KAFKA_BOOTSTRAP_SERVERS).",
    ),
) -> None:
    """Start Kafka (embedded unless KAFKA_BOOTSTRAP_SERVERS), the topics and the services."""
    from services.launcher.run import run

    try:
        run(exit_after_sample, secure)
    except (local_kafka.MissingPrerequisiteError, local_kafka.BrokerStartError) as exc:
        raise _fail(str(exc)) from None


if __name__ == "__main__":
    main()
