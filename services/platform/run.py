"""The main run: a real broker, the topics, both services, sample interviews, until Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from services.platform.broker import Broker, kafka_broker
from services.platform.topics import Topics, ensure_topics

console = Console()


@contextmanager
def _interrupts() -> Iterator[asyncio.Event]:
    """An event set by SIGINT/SIGTERM, so Ctrl-C stops everything in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _serve(broker: Broker, exit_after_sample: bool) -> None:
    topics = Topics(broker.settings.topic_prefix)
    created = await ensure_topics(broker.client(), topics, broker.settings.partitions,
                                  broker.settings.replication_factor)
    console.print(f"topics ready ({len(created)} created): {topics.name('*')}")
    with _interrupts() as stop:
        if exit_after_sample:
            return
        console.print("[bold]Running.[/bold] Press Ctrl-C to stop.")
        await stop.wait()
    console.print("stopping ...")


def run(exit_after_sample: bool = False) -> None:
    """Start (or connect to) Kafka and run until Ctrl-C."""
    with kafka_broker() as broker:
        where = broker.settings.bootstrap_servers
        console.print(f"Kafka ({broker.kind}) at {where}" +
                      (f", ready in {broker.started_in:.1f}s" if broker.kind == "local" else ""))
        asyncio.run(_serve(broker, exit_after_sample))
    console.print("stopped cleanly")
