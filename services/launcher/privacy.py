"""``hiring-pipeline privacy``: erase a candidate's personal text (crypto-shredding), make a KEK."""

from __future__ import annotations

import asyncio

import typer
from aiokafka.errors import KafkaError

from schemas.sealed import ERASED
from schemas.topics import Topics
from services.interview.entrypoints.settings import InterviewSettings, writer_group
from services.platform.cli_habits import app as cli_app
from services.platform.cli_habits import stdout_console
from services.platform.logging import configure_logging
from services.platform.privacy.crypto import KekError, new_kek_text
from services.platform.privacy.erase import erase_candidate
from services.platform.privacy.keystore import KeyStoreUnavailableError
from services.platform.privacy.settings import PrivacySettings
from services.platform.privacy.tail import STATED_BOUND_S
from services.platform.settings import KafkaSettings

app = cli_app(help="Personal data: erase a candidate (crypto-shredding).", no_args_is_help=True)
console = stdout_console()


@app.command("erase")
def erase(
    candidate: str = typer.Option(..., "--candidate", help="The candidate id (as in interview.opened)."),
) -> None:
    """Destroy the candidate's data keys: their sealed text reads as erased everywhere from now on.

    Writes a tombstone per key to the compacted key topic (running services drop the key at once),
    then deletes the consumed records of interview.commands (the only topic with clear text). Exit
    1 when the candidate has no live key (never written, or already erased).
    """
    configure_logging("WARNING", json=False)
    kafka = KafkaSettings()
    if not kafka.bootstrap_servers:
        console.print("[red]error:[/red] KAFKA_BOOTSTRAP_SERVERS is not set")
        raise typer.Exit(2)
    topics = Topics(kafka.topic_prefix)
    try:
        kek = PrivacySettings().load_kek()
        group = writer_group(InterviewSettings(), topics)
        done = asyncio.run(erase_candidate(kafka.client_kwargs(), topics, kek, candidate, group))
    except (KekError, KeyStoreUnavailableError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except (KafkaError, OSError) as exc:
        console.print(f"[red]error:[/red] cannot reach Kafka at {kafka.bootstrap_servers}: {exc}")
        raise typer.Exit(2) from None
    deleted = ", ".join(f"{p}:<{o}" for p, o in sorted(done.commands_deleted_to.items())) or "none"
    console.print(f"consumed commands deleted on {topics.commands}: partitions {deleted}")
    if not done.kids:
        console.print(f"no live data key for candidate {candidate} (never written, or already erased)")
        raise typer.Exit(1)
    bound_h = STATED_BOUND_S // 3600
    console.print(
        f"erased candidate {candidate}: destroyed data keys {', '.join(done.kids)} on {topics.privacy_keys}; "
        f"their sealed text now reads {ERASED}. The wrapped keys and the deleted commands leave the "
        f"broker's disks within {bound_h} h (docs/security.md: backups keep them longer).",
        markup=False,
    )


@app.command("new-kek")
def new_kek() -> None:
    """Print a fresh random key-encryption key (base64url) for PRIVACY_KEK / PRIVACY_KEK_FILE."""
    typer.echo(new_kek_text())
