"""What each decision role runs (ADR 0016): its processors, its background jobs and its probes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from schemas.dlq import RETRY, SKIP
from services.decision.adapters.records import dlq_entry
from services.decision.entrypoints.probes import Health, Probes
from services.decision.entrypoints.runtime import (
    CandidacyRuntime,
    DecisionRuntime,
    NotaryRuntime,
    ProjectorRuntime,
    QueryRuntime,
)
from services.platform.eos import TransactionalProcessor
from services.platform.log_reader import partitions_of, reader

Job = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class Part:
    """One role's share of a process: processors (drained within the grace on stop), jobs, probes."""

    processors: dict[str, TransactionalProcessor]
    jobs: dict[str, Job]
    probes: Probes


async def watch_releases(projector: ProjectorRuntime, every_ms: int = 500) -> None:
    """Tail the DLQ; poke each owned partition whose state predates a release, so it resumes now.

    Read from the beginning: a release written before this watcher started still counts (the handler
    ignores releases its rebuilt state already includes). Poking after every poll also covers a release
    that landed while its partition was being rebuilt.
    """
    client, dlq = projector.client, projector.topics.dlq
    consumer = reader(client)
    await consumer.start()
    try:
        tps = [TopicPartition(dlq, p) for p in await partitions_of(client, dlq)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while True:
            for records in (await consumer.getmany(timeout_ms=every_ms)).values():
                for entry in filter(None, map(dlq_entry, records)):
                    if entry.kind in (RETRY, SKIP):
                        projector.handler.note_release(entry.partition, entry.dlq_offset)
            for partition in sorted(projector.handler.stale() & projector.processor.assigned):
                projector.processor.poke(partition)
    finally:
        await consumer.stop()


async def track_lag(projector: ProjectorRuntime, every_s: float = 2.0) -> None:
    """Committed input records not yet projected, per owned partition.

    Measured from the consumer's position, which has passed the transaction markers the interview
    writer leaves after each batch: counting from the last record + 1 would show a lag of 1 forever.
    """
    consumer = reader(projector.client)
    await consumer.start()
    progress = projector.progress
    try:
        while True:
            positions = await projector.processor.positions()
            tps = [TopicPartition(projector.topics.interview_events, p) for p in sorted(positions)]
            ends = await consumer.end_offsets(tps) if tps else {}
            for tp, end in ends.items():
                done = max(positions[tp.partition], progress.positions.get(tp.partition, 0))
                progress.metrics.lag.labels(str(tp.partition)).set(max(end - done, 0))
            await asyncio.sleep(every_s)
    finally:
        await consumer.stop()


def after_ready(ready: Callable[[], bool], run: Job, every_s: float = 0.1) -> Job:
    """``run`` once ``ready()`` first holds (ADR 0015): reading what grows with history must not compete
    with the restore of live state for the event loop and the cores."""

    async def later() -> None:
        while not ready():  # noqa: ASYNC110 (a property of several parts, polled)
            await asyncio.sleep(every_s)
        await run()

    return later


def projector_part(projector: ProjectorRuntime) -> Part:
    """The verdict projector: the processor, the release watcher and the lag."""

    def health() -> Health:
        parked = len(projector.handler.parked())
        return Health(status="ready", role="projector", partitions=sorted(projector.processor.assigned),
                      parked=parked)  # fmt: skip

    def metrics() -> bytes:
        projector.progress.metrics.parked.set(len(projector.handler.parked()))
        return projector.progress.metrics.render()

    waiting = "claiming and restoring the interview.events partitions"
    probes = Probes("projector", lambda: projector.ready, waiting, health, metrics)
    jobs: dict[str, Job] = {
        "decision-release-watcher": lambda: watch_releases(projector),
        "decision-lag": lambda: track_lag(projector),
    }
    return Part({"decision-processor": projector.processor}, jobs, probes)


def candidacy_part(candidacy: CandidacyRuntime) -> Part:
    """The candidacy projector (ADR 0012): its processor."""

    def health() -> Health:
        return Health(status="ready", role="candidacy", partitions=sorted(candidacy.processor.assigned))

    waiting = "claiming and restoring the decision.candidacy-rounds partitions"
    probes = Probes("candidacy", lambda: candidacy.ready, waiting, health, candidacy.metrics.render)
    return Part({"candidacy-processor": candidacy.processor}, {}, probes)


def query_part(query: QueryRuntime, ready: Callable[[], bool] | None = None) -> Part:
    """The query service: one feed per topic; the history feeds once ``ready`` (default: its own)."""
    ready = ready or (lambda: query.ready)

    def health() -> Health:
        history = "complete" if query.history_complete() else "catching_up"
        return Health(status="ready", role="query", history=history)

    def metrics() -> bytes:
        for feed in query.feeds():
            query.metrics.read.labels(feed.topic).set(feed.read)
        for name, target in (("latest", query.latest), ("calibration", query.calibrated)):
            query.metrics.caught_up.labels(name).set(int(target.caught_up.is_set()))
        for name, feed in (("revisions", query.feed), ("participants", query.participant_feed),
                           ("candidacies", query.candidacy_feed)):  # fmt: skip
            query.metrics.caught_up.labels(name).set(int(feed.caught_up.is_set()))
        return query.metrics.render()

    waiting = "reading the latest verdicts and the participants"
    probes = Probes("query", lambda: query.ready, waiting, health, metrics)
    jobs: dict[str, Job] = {
        "decision-participant-feed": query.participant_feed.run,
        "decision-verdict-feed": query.verdict_feed.run,  # latest verdicts (readiness) and calibration
        "decision-feed": after_ready(ready, query.feed.run),
        "candidacy-feed": after_ready(ready, query.candidacy_feed.run),
    }
    for feed in query.proof_feeds:  # the transparency log's proof store (ADR 0026): after readiness too
        jobs[f"proof-feed-{feed.topic}"] = after_ready(ready, feed.run)
    return Part({}, jobs, probes)


async def poke_due(notary: NotaryRuntime, every_s: float) -> None:
    """Run a transaction on each owned partition whose checkpoint is due but has no new input (ADR 0026):
    a checkpoint covers the last records within about one interval even when nothing more arrives."""
    while True:
        for topic, handler in notary.handlers.items():
            processor = notary.processors[topic]
            for partition in sorted(handler.due() & processor.assigned):
                processor.poke(partition)
        await asyncio.sleep(every_s)


def notary_part(notary: NotaryRuntime, interval_s: float) -> Part:
    """The notary (ADR 0026): a processor per logged topic and the job that pokes due checkpoints."""

    def health() -> Health:
        owned = sorted({p for processor in notary.processors.values() for p in processor.assigned})
        return Health(status="ready", role="notary", partitions=owned)

    waiting = "claiming the logged partitions and restoring their trees"
    probes = Probes("notary", lambda: notary.ready, waiting, health, notary.metrics.render)
    jobs: dict[str, Job] = {"notary-checkpoints": lambda: poke_due(notary, min(interval_s / 2, 1.0))}
    processors = {f"notary-{topic}": p for topic, p in notary.processors.items()}
    return Part(dict(processors), jobs, probes)


def serve_parts(runtime: DecisionRuntime) -> list[Part]:
    """All four roles in one process; the history feeds wait until every role is ready."""
    return [
        projector_part(runtime.projector),
        candidacy_part(runtime.candidacy),
        query_part(runtime.query, lambda: runtime.ready),
        notary_part(runtime.notary, runtime.settings.tlog_interval_s),
    ]


def combined(parts: list[Part]) -> Probes:
    """One process's probes over several roles (``serve``): ready when all are, metrics of all."""

    def health() -> Health:
        found = [p.probes.health() for p in parts]
        projected = next((h for h in found if h.role == "projector"), Health(status="ready"))
        history = next((h.history for h in found if h.role == "query"), "complete")
        return projected.model_copy(update={"role": "serve", "history": history})

    waiting = "restoring partitions or reading the latest verdicts and the participants"
    return Probes(
        "serve", lambda: all(p.probes.ready() for p in parts), waiting, health,
        lambda: b"".join(p.probes.metrics() for p in parts),
    )  # fmt: skip
