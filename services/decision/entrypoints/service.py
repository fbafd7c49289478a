"""Run the decision service until a stop event: projection, query feed, release watcher, lag, HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine, Iterator
from typing import Any

import structlog
import uvicorn
from aiokafka import TopicPartition

from schemas.dlq import RETRY, SKIP
from services.decision.adapters.records import dlq_entry
from services.decision.entrypoints.api import create_app
from services.decision.entrypoints.runtime import DecisionRuntime, build_runtime
from services.decision.entrypoints.settings import DecisionSettings
from services.platform.log_reader import partitions_of, reader
from services.platform.topics import ensure_topics

log = structlog.get_logger(__name__)

GC_YOUNG_THRESHOLD = 10_000
"""Allocations between young collections while the service runs (CPython's default is 700).

The service keeps every interview and every revision in memory, and each record allocates hundreds of
short-lived objects: at the default, promoted leftovers trigger a full collection of that whole heap
every few thousand records (a quarter of the benchmark's CPU). Only when cycles are collected changes.
"""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service's stop event rules shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def watch_releases(runtime: DecisionRuntime, every_ms: int = 500) -> None:
    """Tail the DLQ; poke each owned partition whose state predates a release, so it resumes now.

    Read from the beginning: a release written before this watcher started still counts (the handler
    ignores releases its rebuilt state already includes). Poking after every poll also covers a release
    that landed while its partition was being rebuilt.
    """
    consumer = reader(runtime.client)
    await consumer.start()
    try:
        tps = [
            TopicPartition(runtime.topics.dlq, p)
            for p in await partitions_of(runtime.client, runtime.topics.dlq)
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while True:
            for records in (await consumer.getmany(timeout_ms=every_ms)).values():
                for entry in filter(None, map(dlq_entry, records)):
                    if entry.kind in (RETRY, SKIP):
                        runtime.handler.note_release(entry.partition, entry.dlq_offset)
            for partition in sorted(runtime.handler.stale() & runtime.processor.assigned):
                runtime.processor.poke(partition)
    finally:
        await consumer.stop()


async def track_lag(runtime: DecisionRuntime, every_s: float = 2.0) -> None:
    """Committed input records not yet projected, per owned partition."""
    consumer = reader(runtime.client)
    await consumer.start()
    try:
        while True:
            owned = sorted(runtime.processor.assigned)
            tps = [TopicPartition(runtime.topics.interview_events, p) for p in owned]
            ends = await consumer.end_offsets(tps) if tps else {}
            for tp, end in ends.items():
                state = runtime.handler.partitions.get(tp.partition)
                position = runtime.progress.positions.get(tp.partition, state.committed if state else end)
                runtime.progress.metrics.lag.labels(str(tp.partition)).set(max(end - position, 0))
            await asyncio.sleep(every_s)
    finally:
        await consumer.stop()


def _server(runtime: DecisionRuntime) -> _Server:
    s = runtime.settings
    config = uvicorn.Config(create_app(runtime), host=s.host, port=s.port, log_config=None, lifespan="off")
    return _Server(config)


async def run_decision_service(
    settings: DecisionSettings, stop_event: asyncio.Event, runtime: DecisionRuntime | None = None
) -> None:
    """Run until ``stop_event`` is set, then finish or abort the open batch, leave the group and return."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], GC_YOUNG_THRESHOLD), *threshold[1:])
    try:
        await _run(settings, stop_event, runtime or build_runtime(settings))
    finally:
        gc.set_threshold(*threshold)


async def _run(settings: DecisionSettings, stop_event: asyncio.Event, runtime: DecisionRuntime) -> None:
    kafka = settings.kafka
    await ensure_topics(runtime.client, runtime.topics, kafka.partitions, kafka.replication_factor)
    server = _server(runtime)
    processing = asyncio.create_task(runtime.processor.run(), name="decision-processor")
    helpers = [_task(c) for c in (runtime.feed.run(), watch_releases(runtime), track_lag(runtime))]
    serving = asyncio.create_task(server.serve(), name="decision-http")
    log.info("decision service started", port=settings.port, group=settings.group)
    failed = await _until(stop_event, processing, serving)
    await _shutdown(runtime, server, processing, serving, helpers)
    if failed is not None:  # a crashed part must not look like a clean stop: let the supervisor restart us
        raise RuntimeError("decision service stopped after a failure") from failed


def _task(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    return asyncio.create_task(coro)


async def _until(stop_event: asyncio.Event, *critical: asyncio.Task[None]) -> BaseException | None:
    """Wait for the stop event or the end of a critical task; return that task's exception if any."""
    stopping = asyncio.create_task(stop_event.wait())
    done, _ = await asyncio.wait([stopping, *critical], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    for task in done - {stopping}:
        error = task.exception() or RuntimeError(f"{task.get_name()} ended on its own")
        log.error("decision service part failed", task=task.get_name(), error=repr(error))
        return error
    return None


async def _shutdown(
    runtime: DecisionRuntime,
    server: _Server,
    processing: asyncio.Task[None],
    serving: asyncio.Task[None],
    helpers: list[asyncio.Task[None]],
) -> None:
    await runtime.processor.stop()
    server.should_exit = True
    grace = runtime.settings.shutdown_grace_s
    _, late = await asyncio.wait([processing, serving], timeout=grace)
    for task in [*late, *helpers]:
        task.cancel()
    await asyncio.gather(processing, serving, *helpers, return_exceptions=True)
    log.info("decision service stopped", late=[t.get_name() for t in late])
