"""Run one interview-service process until SIGTERM/SIGINT: writer + HTTP in one event loop."""

from __future__ import annotations

import asyncio
import socket

from schemas.topics import Topics
from services.interview.entrypoints.http import create_app
from services.interview.entrypoints.service import InterviewService
from services.interview.entrypoints.settings import InterviewSettings
from services.platform.cli_habits import exit_misconfigured, listen_or_exit, load
from services.platform.logging import configure_logging
from services.platform.serving import Http, run_loop, run_service, stop_on_signals
from services.platform.settings import KafkaSettings
from services.platform.tracing import configure_tracing


async def serve(kafka: KafkaSettings, settings: InterviewSettings, sock: socket.socket | None = None) -> int:
    """Start, wait for a stop signal (or a writer failure), stop within the grace period; exit code."""
    service = InterviewService(
        kafka.client_kwargs(), Topics(kafka.topic_prefix), settings, kafka.partitions,
        replication_factor=kafka.replication_factor, startup_wait_s=kafka.startup_wait_s,
    )  # fmt: skip
    stop = asyncio.Event()
    stop_on_signals(stop)
    http = Http(create_app(service), settings.host, settings.port, sock) if settings.http else None
    return 0 if await run_service(service, http, stop) else 1


def main() -> int:
    """Entry of ``python -m services.interview``: settings from the environment.

    Every misconfiguration (a bad or missing setting, a taken port) exits 2 with one line before Kafka.
    """
    settings, kafka = load(InterviewSettings), load(KafkaSettings)
    if not kafka.bootstrap_servers:
        exit_misconfigured("KAFKA_BOOTSTRAP_SERVERS is not set; point it at a broker (e.g. 127.0.0.1:9092)")
    for problem in settings.auth.problems() if settings.http else []:
        exit_misconfigured(problem)
    where = "INTERVIEW_HOST, INTERVIEW_PORT"
    sock = listen_or_exit(settings.host, settings.port, where) if settings.http else None
    configure_logging(settings.log_level, settings.log_json)
    configure_tracing("interview")
    return run_loop(serve(kafka, settings, sock))
