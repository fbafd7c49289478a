"""Forget the writer's state of a partition: tombstones for every key of its changelog partition."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from services.platform.log_reader import read_partition


async def reset_partitions(client: dict[str, Any], topic: str, partitions: list[int]) -> dict[int, int]:
    """Delete every key of each changelog partition; how many keys each held."""
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, **client)
    await producer.start()
    try:
        out = {}
        for partition in partitions:
            keys = {r.key async for r in read_partition(client, topic, partition) if r.key is not None}
            for key in keys:
                await producer.send(topic, None, key=key, partition=partition)
            out[partition] = len(keys)
        await producer.flush()
        return out
    finally:
        await producer.stop()


async def active_members(client: dict[str, Any], group: str) -> int:
    """Members of a consumer group right now (0: nobody consumes, the writers are stopped)."""
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    return sum(len(g["members"]) for r in responses for g in r.to_object()["groups"])
