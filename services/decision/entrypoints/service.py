"""Run the decision service until a stop event: projection, query feed, release watcher, lag, HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import structlog
from aiokafka import TopicPartition

from schemas.dlq import RETRY, SKIP
from services.decision.adapters.records import dlq_entry
from services.decision.entrypoints.api import create_app
from services.decision.entrypoints.runtime import DecisionRuntime, build_runtime
from services.decision.entrypoints.settings import DecisionSettings
from services.platform.log_reader import partitions_of, reader
from services.platform.serving import Http, run_service
from services.platform.topics import ensure_topics

log = structlog.get_logger(__name__)

GC_YOUNG_THRESHOLD = 10_000
"""Allocations between young collections while the service runs (CPython's default is 700).

The service keeps every interview and every revision in memory, and each record allocates hundreds of
short-lived objects: at the default, promoted leftovers trigger a full collection of that whole heap
every few thousand records (a quarter of the benchmark's CPU). Only when cycles are collected changes.
"""


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
    """Committed input records not yet projected, per owned partition.

    Measured from the consumer's position, which has passed the transaction markers the interview
    writer leaves after each batch: counting from the last record + 1 would show a lag of 1 forever.
    """
    consumer = reader(runtime.client)
    await consumer.start()
    try:
        while True:
            positions = await runtime.processor.positions()
            tps = [TopicPartition(runtime.topics.interview_events, p) for p in sorted(positions)]
            ends = await consumer.end_offsets(tps) if tps else {}
            for tp, end in ends.items():
                done = max(positions[tp.partition], runtime.progress.positions.get(tp.partition, 0))
                runtime.progress.metrics.lag.labels(str(tp.partition)).set(max(end - done, 0))
            await asyncio.sleep(every_s)
    finally:
        await consumer.stop()


async def after_ready(
    runtime: DecisionRuntime, run: Callable[[], Coroutine[Any, Any, None]], every_s: float = 0.1
) -> None:
    """Run a history feed once the service is first ready (ADR 0015): reading what grows with history
    must not compete with the restore of live state for the event loop and the cores."""
    while not runtime.ready:  # noqa: ASYNC110 (a property of several parts, polled)
        await asyncio.sleep(every_s)
    await run()


class DecisionService:
    """The parts of one decision-service process (run by ``run_service``)."""

    name = "decision"

    def __init__(self, runtime: DecisionRuntime) -> None:
        self.runtime = runtime
        self.failed = asyncio.Event()
        self._processing: asyncio.Task[None] | None = None
        self._helpers: list[asyncio.Task[None]] = []
        self._candidacy: asyncio.Task[None] | None = None
        self._stopping = False  # parts ending after stop() are not failures

    @property
    def ready(self) -> bool:
        """Partitions owned and rebuilt, the query store caught up, nothing failed."""
        return self.runtime.ready and not self.failed.is_set()

    async def start(self) -> None:
        """Create missing topics, start the projection, the query feed, the release watcher and lag."""
        kafka, rt = self.runtime.settings.kafka, self.runtime
        await ensure_topics(rt.client, rt.topics, kafka.partitions, kafka.replication_factor)
        self._processing = self._critical(rt.processor.run(), "decision-processor")
        self._helpers = [
            self._critical(after_ready(rt, rt.feed.run), "decision-feed"),
            self._critical(rt.participant_feed.run(), "decision-participant-feed"),
            self._critical(rt.latest_feed.run(), "decision-latest-feed"),  # for readiness (ADR 0015)
            self._critical(watch_releases(rt), "decision-release-watcher"),
            self._critical(track_lag(rt), "decision-lag"),
        ]
        if rt.calibration_feed is not None:  # interviewer calibration (ADR 0013)
            calibration = after_ready(rt, rt.calibration_feed.run)  # not part of readiness
            self._helpers.append(self._critical(calibration, "decision-calibration-feed"))
        if rt.candidacy is not None:  # ADR 0012: the candidacy projection and its query feed
            self._candidacy = self._critical(rt.candidacy.processor.run(), "candidacy-processor")
            self._helpers.append(self._critical(after_ready(rt, rt.candidacy.feed.run), "candidacy-feed"))

    def _critical(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stopping:
            return
        error = task.exception() or RuntimeError(f"{task.get_name()} ended on its own")
        log.error("decision service part failed", task=task.get_name(), error=repr(error))
        self.failed.set()

    async def stop(self) -> None:
        """Finish or abort the open batch within the grace period, leave the group, stop the helpers."""
        self._stopping = True
        await self.runtime.processor.stop()
        if self.runtime.candidacy is not None:
            await self.runtime.candidacy.processor.stop()
        late: set[asyncio.Task[None]] = set()
        processing = [t for t in (self._processing, self._candidacy) if t is not None]
        if processing:
            _, late = await asyncio.wait(processing, timeout=self.runtime.settings.shutdown_grace_s)
        for task in [*late, *self._helpers]:
            task.cancel()
        parts = [*processing, *self._helpers]
        await asyncio.gather(*parts, return_exceptions=True)
        log.info("decision service drained", late=[t.get_name() for t in late])


@contextlib.contextmanager
def young_gc_threshold() -> Iterator[None]:
    """``GC_YOUNG_THRESHOLD`` while the service runs, the previous thresholds after."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], GC_YOUNG_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


async def run_decision_service(
    settings: DecisionSettings, stop_event: asyncio.Event, runtime: DecisionRuntime | None = None
) -> None:
    """Run until ``stop_event`` is set, then finish or abort the open batch, leave the group and return.

    Raises when a part failed: a crashed part must not look like a clean stop (the supervisor restarts).
    """
    runtime = runtime or build_runtime(settings)
    http = Http(create_app(runtime), settings.host, settings.port)
    with young_gc_threshold():
        clean = await run_service(DecisionService(runtime), http, stop_event)
    if not clean:
        raise RuntimeError("decision service stopped after a failure")
