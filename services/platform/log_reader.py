"""Read one partition of a topic from an offset to its end (read_committed), for state rebuilds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import TopicAuthorizationFailedError


def reader(client: dict[str, Any], **overrides: Any) -> AIOKafkaConsumer:
    """An unassigned, group-less read_committed consumer (callers ``assign`` partitions)."""
    options: dict[str, Any] = {
        "enable_auto_commit": False,
        "isolation_level": "read_committed",
        "auto_offset_reset": "earliest",
        "client_id": f"reader-{uuid.uuid4().hex[:8]}",
        # One fetch answers at most 8 MiB (not aiokafka's 50 MiB): a new replica runs a dozen of these at
        # once (restores, read models), and what they buffer is resident memory (ADR 0015).
        "max_partition_fetch_bytes": 2 * 1024 * 1024,
        "fetch_max_bytes": 8 * 1024 * 1024,
    }
    options.update(client)
    options.update(overrides)
    return AIOKafkaConsumer(**options)


async def read_partition(
    client: dict[str, Any], topic: str, partition: int, start: int = 0, end: int | None = None
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """Yield committed records of ``topic``/``partition`` from ``start`` to the end at call time."""
    if end is not None and end <= start:
        return  # nothing to read (and aiokafka dislikes a consumer stopped right after start)
    consumer = reader(client)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        stop = end if end is not None else (await consumer.end_offsets([tp]))[tp]
        if start >= stop:
            return
        consumer.seek(tp, start)
        while await consumer.position(tp) < stop:
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=5000)
            for record in batch.get(tp, []):
                if record.offset >= stop:
                    return
                yield record
    finally:
        await consumer.stop()


async def read_all(
    client: dict[str, Any], topic: str, partitions: list[int] | None = None
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every committed record of a topic (or some of its partitions), partition by partition."""
    if partitions is None:
        partitions = await partitions_of(client, topic)
    out: list[ConsumerRecord[bytes, bytes]] = []
    for partition in partitions:
        out.extend([record async for record in read_partition(client, topic, partition)])
    return out


async def partitions_of(client: dict[str, Any], topic: str) -> list[int]:
    """The partition numbers of a topic (a topic this principal may not describe is an error, not empty)."""
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if any(t["error_code"] == TopicAuthorizationFailedError.errno for t in described):
        raise TopicAuthorizationFailedError(topic)
    return sorted(p["partition"] for t in described for p in t["partitions"])
