"""Run one interview-service process until SIGTERM/SIGINT: writer + HTTP (uvicorn) in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from typing import Any

import structlog
import uvicorn

from schemas.topics import Topics
from services.interview.entrypoints.http import create_app
from services.interview.entrypoints.service import InterviewService
from services.interview.entrypoints.settings import InterviewSettings
from services.platform.logging import configure_logging
from services.platform.settings import KafkaSettings

log = structlog.get_logger("interview.run")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process-wide handler below decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(kafka: KafkaSettings, settings: InterviewSettings) -> int:
    """Start, wait for a stop signal (or a writer failure), stop within the grace period; exit code."""
    service = InterviewService(kafka.client_kwargs(), Topics(kafka.topic_prefix), settings, kafka.partitions)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    server = _server(service, settings) if settings.http else None
    signals: list[asyncio.Task[Any]] = [
        asyncio.create_task(stop.wait()),
        asyncio.create_task(service.failed.wait()),
    ]
    serving = asyncio.create_task(server.serve()) if server is not None else None
    await asyncio.wait([*signals, *([serving] if serving else [])], return_when=asyncio.FIRST_COMPLETED)
    log.info("stopping", signal=stop.is_set(), writer_failed=service.failed.is_set())
    for task in signals:
        task.cancel()
    if server is not None and serving is not None:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 3)
    await service.stop()
    return 1 if service.failed.is_set() else 0


def _server(service: InterviewService, settings: InterviewSettings) -> _Server:
    config = uvicorn.Config(
        create_app(service),
        host=settings.host,
        port=settings.port,
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    return _Server(config)


def main() -> int:
    """Entry of ``python -m services.interview``: settings from the environment."""
    settings = InterviewSettings()
    configure_logging(settings.log_level, settings.log_json)
    kafka = KafkaSettings()
    if not kafka.bootstrap_servers:
        log.error("KAFKA_BOOTSTRAP_SERVERS is not set; point it at a broker (e.g. 127.0.0.1:9092)")
        return 2
    return asyncio.run(serve(kafka, settings))
