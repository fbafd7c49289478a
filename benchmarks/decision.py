"""Benchmark: projected interview events/s (exactly once) against a raw aiokafka consumer of the same records.

``python -m benchmarks.decision [--interviews 1250]`` uses ``KAFKA_BOOTSTRAP_SERVERS`` or starts the
local broker. Prints the pure projection rate, the raw read rate, the service rate, and the ratio.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
import uuid
from typing import Any

import typer
from aiokafka import AIOKafkaConsumer

from schemas.topics import Topics
from services.decision.domain.replay import project
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.decision.entrypoints.settings import DecisionSettings
from services.platform.broker import Broker, kafka_broker
from services.platform.local_kafka import free_port
from services.platform.logging import configure_logging
from services.platform.topics import ensure_topics
from testkit.interviews import stream
from testkit.kafka import produce


async def raw_read(client: dict[str, Any], topic: str, total: int) -> float:
    """Seconds a plain read_committed consumer takes to read ``total`` records of ``topic``."""
    consumer = AIOKafkaConsumer(
        topic, group_id=f"raw-{uuid.uuid4().hex[:6]}", isolation_level="read_committed",
        auto_offset_reset="earliest", enable_auto_commit=False, **client,
    )  # fmt: skip
    await consumer.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < total:
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            seen += sum(len(records) for records in batches.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def projected(
    settings: DecisionSettings, total: int, profile: cProfile.Profile | None = None
) -> tuple[float, float]:
    """Seconds the service takes to project and commit ``total`` records: from its start, from ready."""
    runtime, stop = build_runtime(settings), asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(run_decision_service(settings, stop, runtime))
    while not runtime.processor.ready:  # noqa: ASYNC110 - sampling progress
        await asyncio.sleep(0.01)
    ready = time.perf_counter()
    if profile is not None:
        profile.enable()
    while sum(runtime.progress.positions.values()) < total:  # noqa: ASYNC110 - sampling progress
        await asyncio.sleep(0.02)
    done = time.perf_counter()
    if profile is not None:
        profile.disable()
    stop.set()
    await task
    return done - started, done - ready


async def bench(broker: Broker, interviews: int, profile: str | None = None) -> None:
    """Produce, then time the pure projection, the raw consumer and the service on the same records."""
    client, topics = broker.client(), Topics(f"bench{uuid.uuid4().hex[:6]}.")
    await ensure_topics(client, topics, broker.settings.partitions)
    events = stream(interviews, prefix="bench")
    started = time.perf_counter()
    revisions = len(project(events))
    pure = time.perf_counter() - started
    await produce(client, topics.interview_events, events)
    raw = await raw_read(client, topics.interview_events, len(events))
    kafka = broker.settings.model_copy(update={"topic_prefix": topics.prefix})
    settings = DecisionSettings(port=free_port(), log_level="WARNING").model_copy(update={"kafka": kafka})
    profiler = cProfile.Profile() if profile else None
    cold, warm = await projected(settings, len(events), profiler)
    n = len(events)
    print(f"events {n}, revisions {revisions}, partitions {broker.settings.partitions}")
    print(f"pure project():              {n / pure:10.0f} events/s (no Kafka, no decode/encode)")
    print(f"raw aiokafka consumer:       {n / raw:10.0f} events/s (read_committed, count only)")
    print(f"decision service, from ready:{n / warm:10.0f} events/s (decode, project, produce, commit)")
    print(f"decision service, from start:{n / cold:10.0f} events/s (plus group join and rebuild)")
    print(f"ratio service / raw:         {raw / warm:10.3f} (from ready), {raw / cold:.3f} (from start)")
    if profiler is not None and profile:
        profiler.dump_stats(profile)
        print(f"profile of the service from ready (cProfile, slows it down) written to {profile}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main(
    interviews: int = typer.Option(1250, help="Interviews (about 16 events each)."),
    profile: str | None = typer.Option(None, help="Write a cProfile of the service (from ready) here."),
) -> None:
    """Run the benchmark once."""
    configure_logging("WARNING")
    with kafka_broker() as broker:
        asyncio.run(bench(broker, interviews, profile))


if __name__ == "__main__":
    typer.run(main)
