"""Read the audited topics into records, and load records into (fresh) topics of another cluster/prefix."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas.codec import headers_to_attributes
from schemas.topics import DLQ, INTERVIEW_EVENTS, Topics
from services.audit.domain.dlq import Position, relocate
from services.audit.domain.records import AUDITED_TOPICS, LogRecord
from services.platform.log_reader import partitions_of, read_partition, reader
from services.platform.topics import ensure_topics

Progress = Callable[[int], None]


class TopicError(RuntimeError):
    """An audited topic is missing or cannot be used as asked."""


def log_record(record: ConsumerRecord[bytes, bytes], topic: str) -> LogRecord:
    """A consumed record as an audit record (``topic`` is the base name)."""
    headers = [(name, value or b"") for name, value in record.headers]
    other = tuple(
        (name, value.decode("utf-8", errors="replace"))
        for name, value in headers
        if not name.startswith("ce_") and name.lower() != "content-type"
    )
    key = record.key.decode("utf-8", errors="replace") if record.key is not None else None
    return LogRecord(topic, record.partition, record.offset, key, headers_to_attributes(headers),
                     record.value, record.timestamp, other)  # fmt: skip


async def existing_topics(client: dict[str, Any]) -> set[str]:
    """Names of the cluster's topics."""
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def require_topics(client: dict[str, Any], topics: Topics, bases: Iterable[str]) -> None:
    """Raise ``TopicError`` naming the first audited topic that does not exist."""
    found = await existing_topics(client)
    for base in bases:
        if topics.name(base) not in found:
            raise TopicError(
                f"topic {topics.name(base)!r} does not exist or this client may not see it "
                "(check --topic-prefix, and the ACLs of KAFKA_SASL_USERNAME on a secured cluster)"
            )


async def sizes(client: dict[str, Any], name: str) -> dict[int, tuple[int, int]]:
    """``partition -> (beginning, end)`` offsets of a topic."""
    parts = [TopicPartition(name, p) for p in await partitions_of(client, name)]
    consumer = reader(client)
    await consumer.start()
    try:
        begin, end = await consumer.beginning_offsets(parts), await consumer.end_offsets(parts)
    finally:
        await consumer.stop()
    return {tp.partition: (begin[tp], end[tp]) for tp in parts}


async def read_topic(
    client: dict[str, Any], topics: Topics, base: str, progress: Progress | None = None
) -> list[LogRecord]:
    """Every committed record of an audited topic from offset 0, partition by partition."""
    return [record async for record in stream_topic(client, topics, base, progress)]


async def stream_topic(
    client: dict[str, Any], topics: Topics, base: str, progress: Progress | None = None
) -> AsyncIterator[LogRecord]:
    """``read_topic`` one record at a time, holding none of them."""
    name = topics.name(base)
    for partition in sorted(await sizes(client, name)):
        async for record in read_partition(client, name, partition):
            yield log_record(record, base)
            if progress is not None:
                progress(1)


def wire_headers(record: LogRecord) -> list[tuple[str, bytes]]:
    """The record's headers as written by the codec: ``ce_*``, ``content-type``, then any others."""
    return record.wire_headers()


async def produce(
    client: dict[str, Any],
    topics: Topics,
    records: Iterable[LogRecord],
    progress: Progress | None = None,
    placed: dict[Position, Position] | None = None,
) -> dict[str, int]:
    """Write records in order to ``topics`` (same partition when it exists); return counts per topic.

    ``placed`` is filled with where each ``interview.events`` record landed (old -> new position).
    """
    partitions: dict[str, int] = {}
    counts: dict[str, int] = {}
    producer = AIOKafkaProducer(enable_idempotence=True, acks="all", linger_ms=5, **client)
    await producer.start()
    try:
        pending: list[tuple[LogRecord, asyncio.Future[Any]]] = []
        for record in records:
            name = topics.name(record.topic)
            if name not in partitions:
                partitions[name] = len(await producer.partitions_for(name))
            pending.append((record, await producer.send(
                name, record.value, key=record.key.encode() if record.key is not None else None,
                partition=record.partition if record.partition < partitions[name] else None,
                headers=wire_headers(record), timestamp_ms=record.timestamp,
            )))  # fmt: skip
            counts[record.topic] = counts.get(record.topic, 0) + 1
            if len(pending) >= 1000:
                await _settle(pending, progress, placed)
        await _settle(pending, progress, placed)
    finally:
        await producer.stop()
    return counts


async def _settle(
    pending: list[tuple[LogRecord, asyncio.Future[Any]]],
    progress: Progress | None,
    placed: dict[Position, Position] | None,
) -> None:
    written = await asyncio.gather(*(future for _, future in pending))
    if placed is not None:
        for (record, _), meta in zip(pending, written, strict=True):
            if record.topic == INTERVIEW_EVENTS:
                placed[(record.partition, record.offset)] = (meta.partition, meta.offset)
    if progress is not None:
        progress(len(pending))
    pending.clear()


async def import_into(
    client: dict[str, Any],
    topics: Topics,
    partitions: int,
    records: Iterable[LogRecord],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Create the topics if missing, refuse non-empty ones unless ``force``, then produce the records.

    DLQ records go last, re-pointed at the new offsets of the records they speak about.
    """
    await ensure_topics(client, topics, partitions)
    if not force:
        for base in AUDITED_TOPICS:
            held = sum(end - begin for begin, end in (await sizes(client, topics.name(base))).values())
            if held:
                raise TopicError(
                    f"topic {topics.name(base)!r} already holds {held} records; import into fresh topics "
                    "(another --topic-prefix) or pass --force to append"
                )
    records = list(records)
    placed: dict[Position, Position] = {}
    counts = await produce(client, topics, [r for r in records if r.topic != DLQ], progress, placed)
    target = topics.name(INTERVIEW_EVENTS)
    dlq = [relocate(r, placed, target) for r in records if r.topic == DLQ]
    if dlq:
        counts.update(await produce(client, topics, dlq, progress))
    return counts
